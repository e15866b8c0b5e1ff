"""The one fence parser and language table the transcript, the helpers and /expr share."""

from __future__ import annotations

import pytest

from nuke_ai_panel.fences import (NUKE, PYTHON, CodeBlock, code_blocks, info_language,
                                  language_family, match_opener)


@pytest.mark.parametrize("tag, family", [
    ("python", PYTHON), ("py", PYTHON), ("Python3", PYTHON), ("py3", PYTHON), ("pycon", PYTHON),
    ("nk", NUKE), ("nuke", NUKE), ("tcl", NUKE), ("TCL", NUKE), ("nukescript", NUKE),
    ("nk-script", NUKE), ("tk", NUKE), ("expr", NUKE), ("expression", NUKE),
    ("", None), ("glsl", None), ("json", None), ("blinkscript", None),
])
def test_one_language_table(tag: str, family) -> None:
    assert language_family(tag) == family


@pytest.mark.parametrize("info, language", [
    ("python", "python"), (" Python  title=x", "python"), ("{.nk}", "nk"), ("", ""),
    ("tcl {expr}", "tcl"),
])
def test_info_string_first_word(info: str, language: str) -> None:
    assert info_language(info) == language


def test_openers() -> None:
    assert match_opener("```python") == (0, "```", "python")
    assert match_opener("  ~~~~ nk") == (2, "~~~~", "nk")
    assert match_opener("\t```") == (4, "```", "")
    assert match_opener("``not") is None
    assert match_opener("```inline```") is None, "a backtick fence's info has no backticks"
    assert match_opener("~~~ a`b") == (0, "~~~", "a`b")


def test_blocks_in_order_with_exact_source() -> None:
    text = ("Intro\n\n```python\nimport nuke\n\nnuke.createNode('Blur')\n```\n\n"
            "~~~~nk\nBlur {\n```\n}\n~~~~\nAfter\n```\nplain\n```\n")
    assert code_blocks(text) == [
        CodeBlock("python", "import nuke\n\nnuke.createNode('Blur')\n"),
        CodeBlock("nk", "Blur {\n```\n}\n"),
        CodeBlock("", "plain\n"),
    ]


def test_closing_fence_must_be_as_long_and_of_the_same_character() -> None:
    blocks = code_blocks("````\na\n```\n~~~~\nb\n````\n")
    assert blocks == [CodeBlock("", "a\n```\n~~~~\nb\n")]


def test_an_unclosed_block_runs_to_the_end() -> None:
    (block,) = code_blocks("Here:\n```nk\nBlur {\n size 3")
    assert block == CodeBlock("nk", "Blur {\n size 3", closed=False)
    assert block.family == NUKE


def test_indented_fence_loses_its_indentation_and_crlf_is_read() -> None:
    (block,) = code_blocks("1. step\n   ```py\r\n   x = 1\r\n     y = 2\r\n   ```\r\n")
    assert block == CodeBlock("py", "x = 1\n  y = 2\n")
