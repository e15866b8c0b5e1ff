"""What a test server sends, chosen by the model name in the request.

Each protocol's encoder plays the same script (:mod:`.steps`), so a test computes the exact
text a client must show with :func:`build_scenario` instead of hard-coding it.
"""

from __future__ import annotations

import re
from typing import List, Optional

from . import messages
from .steps import (Drop, Finish, HtmlPage, HttpError, InbandError, Malformed, Pause, Reasoning,
                    Scenario, Stall, Step, Text)

PROTOCOLS = ("ollama", "openai", "openrouter", "anthropic", "gemini")

# Replaced by BAD_UTF8_BYTES in the encoded body: JSON cannot carry invalid UTF-8 itself.
BAD_UTF8_MARK = "~BAD-UTF8~"
BAD_UTF8_BYTES = b"\xff\xfe\xc3"

UNICODE_ANSWER = "Ünïcødé ✓ 日本語 🎬"
BIG_EVENT_SIZE = 1024 * 1024
PING_EVERY = 0.3
SLOW_TOKEN_DELAY = 0.05
SLOW_LOAD_SECONDS = 2.5
FEW = 3

CODE_ANSWER = (
    "Here is a script that adds a blur:\n\n"
    "```python\n"
    "import nuke\n"
    "node = nuke.createNode(\"Blur\")\n"
    "node[\"size\"].setValue(4)\n"
    "```\n\n"
    "And the same as nodes:\n\n"
    "```nk\n"
    "Blur {\n"
    " size 4\n"
    " name Blur1\n"
    "}\n"
    "```\n"
)

# Node-graph helper answers (nuke_ai_panel.assist): a despill + edge blur snippet, Python that
# works, raises after creating a node, or opens dialogs, and an expression.
NK_BUILD_ANSWER = (
    "A HueCorrect suppresses the green spill, a Keyer pulls an edge matte from the result, "
    "and an EdgeBlur softens the edges inside that matte.\n\n"
    "```nk\n"
    "set cut_paste_input [stack 0]\n"
    "push $cut_paste_input\n"
    "HueCorrect {\n"
    " hue {sat {}\n"
    "   lum {}\n"
    "   red {}\n"
    "   green {}\n"
    "   blue {}\n"
    "   r_sup {}\n"
    "   g_sup {curve 1 0.55 0.55 1}\n"
    "   b_sup {}\n"
    "   sat_thrsh {}}\n"
    " name HueCorrect_despill\n"
    "}\n"
    "set Ndespill [stack 0]\n"
    "Keyer {\n"
    " operation greenscreen\n"
    " range {0.05 0.3 1 1}\n"
    " name Keyer_edgeMatte\n"
    "}\n"
    "push $Ndespill\n"
    "EdgeBlur {\n"
    " inputs 2\n"
    " size 6\n"
    " name EdgeBlur_soften\n"
    "}\n"
    "```\n"
)
PY_OK_ANSWER = (
    "This adds a Grade named Grade_ai below the selection.\n\n"
    "```python\n"
    "import nuke\n"
    "grade = nuke.createNode(\"Grade\")\n"
    "grade.setName(\"Grade_ai\")\n"
    "grade[\"white\"].setValue(1.1)\n"
    "print(\"created\", grade.name())\n"
    "```\n"
)
PY_RAISE_ANSWER = (
    "This adds a Blur and copies its size to the defocus node.\n\n"
    "```python\n"
    "import nuke\n"
    "blur = nuke.createNode(\"Blur\")\n"
    "blur[\"size\"].setValue(4)\n"
    "print(\"blur added\")\n"
    "source = nuke.toNode(\"Blur_doesNotExist\")\n"
    "blur[\"size\"].setValue(source[\"size\"].value())\n"
    "```\n"
)
PY_ASK_ANSWER = (
    "This asks before adding a backdrop, then adds a Dot.\n\n"
    "```python\n"
    "import nuke\n"
    "if nuke.ask(\"Add a backdrop too?\"):\n"
    "    nuke.createNode(\"BackdropNode\")\n"
    "name = nuke.getInput(\"Name for the dot\", \"Dot_ai\")\n"
    "dot = nuke.createNode(\"Dot\")\n"
    "dot.setName(name)\n"
    "nuke.message(\"Added \" + dot.name())\n"
    "```\n"
)
EXPR_ANSWER = "```tcl\nsin(frame / 8) * 4 + 6\n```\n"
# A /build answer with a knob Grade does not have, and the same answer repaired: the lint
# repair round (DESIGN section 12). ``nk-invented`` never fixes it; ``nk-repaired`` fixes it
# from its second request on.
NK_INVENTED_ANSWER = ("A Grade that lifts the whites.\n\n```nk\nset cut_paste_input [stack 0]\n"
                      "push $cut_paste_input\nGrade {\n whitepoint_r 0.9\n name Grade_lift\n}\n```\n")
NK_REPAIRED_ANSWER = NK_INVENTED_ANSWER.replace("whitepoint_r", "whitepoint")
HELPER_ANSWERS = {"nk-build": NK_BUILD_ANSWER, "py-ok": PY_OK_ANSWER, "py-raise": PY_RAISE_ANSWER,
                  "py-ask": PY_ASK_ANSWER, "expr": EXPR_ANSWER}


def tokenize(text: str, size: int = 4) -> List[str]:
    """Small deterministic tokens (words with their trailing space, cut to ``size`` chars)."""
    tokens: List[str] = []
    for word in re.findall(r"\S+\s*|\s+", text):
        tokens.extend(word[i:i + size] for i in range(0, len(word), size))
    return tokens


def answer_for(prompt: str) -> str:
    return f"Echo: {prompt}"


def capabilities(model: str) -> Optional[List[str]]:
    """What Ollama's ``/api/show`` lists for ``model``: ``text-only...`` models take no
    images, ``no-tools...`` models no tools, ``old-server...`` answers without the field
    (Ollama before 0.6); every other model takes both."""
    name = scenario_name(model)
    if name.startswith("old-server"):
        return None
    if name.startswith("text-only"):
        return ["completion", "tools"]
    if name.startswith("no-tools"):
        return ["completion", "vision"]
    return ["completion", "tools", "vision"]


def scenario_name(model: str) -> str:
    """``openai/slow-5`` and ``stall-mid:latest`` select the same scenario as the bare name."""
    return model.rsplit("/", 1)[-1].split(":", 1)[0]


_BIG = ("0123456789abcdef" * (BIG_EVENT_SIZE // 16))[:BIG_EVENT_SIZE]


def _normal(tokens: List[str]) -> List[Step]:
    return [Text(t) for t in tokens] + [Finish()]


def _http(name: str, protocol: str, model: str, offered: Optional[str]) -> Optional[HttpError]:
    if name == "http-400":
        return HttpError(400, "invalid_request", messages.BAD_REQUEST_MESSAGE)
    if name == "http-400-tools":
        return HttpError(400, "invalid_request", messages.no_tools_message(protocol, model))
    if name == "http-400-images":
        return HttpError(400, "invalid_request", messages.NO_IMAGES[protocol])
    if name == "http-401":
        return HttpError(401, "auth", messages.auth_message(protocol, offered))
    if name == "http-403":
        return HttpError(403, "permission", messages.FORBIDDEN[protocol])
    if name == "http-404":
        return HttpError(404, "not_found", messages.not_found_message(protocol, model))
    if name == "http-429":
        return HttpError(429, "rate_limit", messages.RATE_LIMIT[protocol],
                         (("Retry-After", "1"),))
    if name == "http-429-ms":
        return HttpError(429, "rate_limit", messages.RATE_LIMIT[protocol],
                         (("retry-after-ms", "200"),))
    if name == "http-500":
        return HttpError(500, "server", messages.SERVER[protocol])
    if name == "no-retry-500":
        return HttpError(500, "server", messages.SERVER[protocol],
                         (("x-should-retry", "false"),))
    if name == "http-503":
        return HttpError(503, "unavailable", messages.UNAVAILABLE[protocol])
    if name == "http-529":
        return HttpError(529, "overloaded", messages.OVERLOADED_MESSAGE)
    return None


def _count(name: str, prefix: str) -> Optional[int]:
    match = re.fullmatch(re.escape(prefix) + r"(\d+)", name)
    return int(match.group(1)) if match else None


def build_scenario(
    protocol: str,
    model: str,
    prompt: str = "",
    *,
    attempt: int = 0,
    offered_key: Optional[str] = None,
) -> Scenario:
    """The scenario for a request: ``attempt`` counts earlier requests for the same model
    (for ``flaky-N``), ``offered_key`` is the credential the client sent (for ``http-401``)."""
    name = scenario_name(model)
    tokens = tokenize(answer_for(prompt))
    few = [Text(t) for t in tokens[:FEW]]
    scenario = Scenario(name, _normal(tokens))

    error = _http(name, protocol, model, offered_key)
    flaky = _count(name, "flaky-")
    if flaky is not None and attempt < flaky:
        error = HttpError(503, "unavailable", messages.UNAVAILABLE[protocol])
    if error is not None:
        scenario.http_error = error
        return scenario

    tokens_n = _count(name, "tokens-")
    slow_n = _count(name, "slow-")
    if name == "http-502-html":
        scenario.html = HtmlPage(502, messages.NGINX_502)
    elif name == "html-200":
        scenario.html = HtmlPage(200, messages.PORTAL_200)
    elif tokens_n is not None:
        scenario.steps = _normal([f"t{i} " for i in range(tokens_n)])
    elif slow_n is not None:
        steps: List[Step] = []
        for i in range(slow_n):
            if i:
                steps.append(Pause(SLOW_TOKEN_DELAY))
            steps.append(Text(f"w{i} "))
        scenario.steps = steps + [Finish()]
    elif name == "slow-load":
        if protocol == "ollama":
            scenario.header_delay = SLOW_LOAD_SECONDS
        else:
            scenario.steps = [Pause(SLOW_LOAD_SECONDS)] + scenario.steps
    elif name == "stall-headers":
        scenario.stall_headers = True
    elif name == "silence-after-headers":
        scenario.prelude = False
        scenario.steps = [Stall()]
    elif name == "stall-mid":
        scenario.steps = few + [Stall()]
    elif name == "pings-only":
        scenario.steps = [Stall(PING_EVERY)]
    elif name == "pings-mid":
        scenario.steps = few + [Stall(PING_EVERY)]
    elif name == "drop-mid":
        scenario.steps = few + [Drop()]
    elif name == "no-terminal":
        scenario.steps = list(few)
    elif name == "inband-error":
        scenario.steps = few + [InbandError(messages.INBAND[protocol])]
    elif name == "inband-error-vllm" and protocol in ("openai", "openrouter"):
        scenario.steps = few + [InbandError(messages.VLLM_INBAND, "vllm")]
    elif name == "malformed":
        scenario.steps = [Text(t) for t in tokens[:2]] + [Malformed()] + _normal(tokens[2:])
    elif name == "big-event":
        scenario.steps = [Text(t) for t in tokens] + [Text(_BIG), Finish()]
    elif name == "crlf":
        scenario.newline = "\r\n"
    elif name == "cr":
        scenario.newline = "\r"
    elif name == "bytewise":
        scenario.steps = _normal(tokenize(UNICODE_ANSWER, 3))
        scenario.newline = "\r\n"
        scenario.bytewise = True
    elif name == "bad-utf8":
        scenario.steps = [Text("Echo: "), Text("bad" + BAD_UTF8_MARK), Text(" bytes"), Finish()]
    elif name == "multi-choice" and protocol in ("openai", "openrouter"):
        other = tokenize("Another answer that must not be shown.")
        steps = []
        for i in range(max(len(tokens), len(other))):
            if i < len(tokens):
                steps.append(Text(tokens[i], 0))
            if i < len(other):
                steps.append(Text(other[i], 1))
        scenario.steps = steps + [Finish()]
        scenario.choices = 2
    elif name == "reasoning":
        thoughts = [Reasoning(t) for t in tokenize(f"Thinking about: {prompt}")]
        scenario.steps = thoughts + scenario.steps
    elif name == "code":
        scenario.steps = _normal(tokenize(CODE_ANSWER))
    elif name in HELPER_ANSWERS:
        scenario.steps = _normal(tokenize(HELPER_ANSWERS[name]))
    elif name in ("nk-invented", "nk-repaired"):
        fixed = name == "nk-repaired" and attempt >= 1
        scenario.steps = _normal(tokenize(NK_REPAIRED_ANSWER if fixed else NK_INVENTED_ANSWER))
    return scenario


SCENARIO_NAMES = (
    "(any other name: normal)", "tokens-N", "slow-N", "slow-load", "stall-headers",
    "silence-after-headers", "stall-mid", "pings-only", "pings-mid", "drop-mid", "no-terminal",
    "inband-error", "inband-error-vllm", "malformed", "big-event", "crlf", "cr", "bytewise",
    "bad-utf8", "multi-choice", "reasoning", "code", "http-400", "http-401", "http-403",
    "http-404", "http-429", "http-429-ms", "http-500", "http-502-html", "http-503", "http-529",
    "html-200", "no-retry-500", "flaky-N", "nk-build", "py-ok", "py-raise", "py-ask", "expr",
    "nk-invented", "nk-repaired",
    "http-400-tools", "http-400-images",
    "agent-NAME (scripted tool calls, tests/protocol_servers/agent_scripts.py)",
    "text-only / no-tools / old-server (Ollama /api/show capabilities)",
    "raw-NAME (byte-exact responses, tests/protocol_servers/raw.py)",
)

