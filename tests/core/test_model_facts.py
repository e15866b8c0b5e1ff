"""What is known of a model's context window, and the large-prompt warning's wording."""

from __future__ import annotations

import pytest

from nuke_ai_panel.model_facts import (LARGE_PROMPT_BYTES, context_from_listing,
                                       context_from_show, estimate_tokens,
                                       ollama_context_window, size_warning)
from nuke_ai_panel.settings import Deadlines, ProviderSettings
from nuke_ai_panel.worker import Worker
from tests.protocol_servers import ProtocolServer


@pytest.mark.parametrize("details, window", [
    ({"id": "openai/gpt-4o", "context_length": 128000}, 128000),
    ({"id": "x", "top_provider": {"context_length": 32768}}, 32768),
    ({"name": "models/gemini-2.0-flash", "inputTokenLimit": 1048576}, 1048576),
    ({"id": "mistral-large-latest", "max_context_length": 131072}, 131072),
    ({"id": "qwen", "max_model_len": 32768}, 32768),
    ({"id": "gpt-4o-mini"}, None), ({"context_length": "many"}, None),
    ({"context_length": 0}, None), ({"context_length": True}, None), (None, None),
])
def test_windows_from_model_lists(details, window) -> None:
    assert context_from_listing(details) == window


def test_windows_from_ollama_show() -> None:
    assert context_from_show({"model_info": {"llama.context_length": 131072}}) == 131072
    assert context_from_show({"parameters": "stop \"<|eot|>\"\nnum_ctx 8192",
                              "model_info": {"llama.context_length": 131072}}) == 8192, \
        "num_ctx is the window Ollama really uses"
    assert context_from_show({"model_info": {"general.architecture": "llama"}}) is None
    assert context_from_show([]) is None


def test_the_warning_names_the_size_and_the_window() -> None:
    text = "x" * 40_000
    assert estimate_tokens(text) == 10_000
    assert size_warning(text, 8192, "llama3.2") == (
        "This prompt is 39 KB, about 10,000 tokens: more than llama3.2's context window of "
        "8,192 tokens, so the model would not see all of it.")
    assert size_warning(text, 128_000, "gpt-4o") is None
    assert size_warning(text, None) is None


def test_over_100_kb_warns_when_the_window_is_unknown() -> None:
    big = "y" * (LARGE_PROMPT_BYTES + 1)
    assert size_warning(big, None) == ("This prompt is 100 KB, about 25,601 tokens. A prompt "
                                       "this big is slow, may cost a lot and may not fit the "
                                       "model.")
    assert size_warning("y" * LARGE_PROMPT_BYTES, None) is None
    assert size_warning("\u00e9" * (LARGE_PROMPT_BYTES // 2 + 1), None) is not None, \
        "bytes are counted, not characters"


def test_ollama_is_asked_for_the_window(private_worker: Worker) -> None:
    with ProtocolServer("ollama") as server:
        server.context_length = 4096
        settings = ProviderSettings("ollama", server.base_url, model="llama3.2",
                                    deadlines=Deadlines(request=5))
        handle = private_worker.submit(
            lambda session: ollama_context_window(session, settings, "llama3.2"))
        assert handle.result(10) == 4096
        assert server.requests[-1].json_body == {"model": "llama3.2"}
        server.context_length = None
        handle = private_worker.submit(
            lambda session: ollama_context_window(session, settings, "llama3.2"))
        assert handle.result(10) is None


def test_an_unreachable_ollama_leaves_the_window_unknown(private_worker: Worker) -> None:
    from tests.ui.panel_helpers import closed_port_url

    settings = ProviderSettings("ollama", closed_port_url(), model="m",
                                deadlines=Deadlines(request=5))
    handle = private_worker.submit(lambda session: ollama_context_window(session, settings, "m"))
    assert handle.result(10) is None
