"""Markdown -> HTML for the transcript (markdown-it-py, CommonMark), the streaming chunk
boundaries and the code highlighting (Pygments): pure Python, no Qt needed."""

from __future__ import annotations

import re

import pytest

from src.ui.chunks import chunk_ends, split_chunks
from src.ui.highlight import LineHighlighter, highlight, highlight_lines
from src.ui.markdown import render, render_chunk


def inline(text: str) -> str:
    html = render_chunk(text).html
    assert html.startswith("<p>") and html.endswith("</p>")
    return html[3:-4]
from tests.protocol_servers.scenarios import CODE_ANSWER


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_headings_paragraphs_emphasis() -> None:
    out = render("# Title\n\nSome **bold**, *italic*, ***both*** and ~~gone~~ text.\n").html
    assert out.startswith('<h1 style="font-size:x-large;">Title</h1>')
    assert "<b>bold</b>" in out and "<i>italic</i>" in out
    # CommonMark nests ***both*** as emphasis around strong
    assert "<i><b>both</b></i>" in out and "<s>gone</s>" in out


def test_nested_emphasis_and_snake_case() -> None:
    assert inline("*a **b** c*") == "<i>a <b>b</b> c</i>"
    assert inline("call my_node_name and __init__ now") == \
        "call my_node_name and <b>init</b> now"
    assert inline("x * y * z") == "x * y * z"
    assert inline("nuke_ai_panel_home") == "nuke_ai_panel_home"


def test_everything_from_the_model_is_escaped() -> None:
    out = render('<script>alert("x")</script> & <b>not bold</b>\n').html
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "&amp;" in out and "&lt;b&gt;not bold&lt;/b&gt;" in out
    code = render("`<img src=x onerror=y>`").html
    assert "<img" not in code and "&lt;img src=x onerror=y&gt;" in code


def test_links_only_safe_schemes() -> None:
    out = inline('[docs](https://learn.foundry.com/nuke "t") and <https://a.b/c?d=1&e=2>')
    assert '<a href="https://learn.foundry.com/nuke">docs</a>' in out
    assert '<a href="https://a.b/c?d=1&amp;e=2">' in out
    bad = inline('[click](javascript:alert(1)) [x](" onmouseover=")')
    assert "<a" not in bad and "click" in bad
    bare = inline("see https://example.com/page.")
    assert '<a href="https://example.com/page">https://example.com/page</a>.' in bare


def test_inline_code_keeps_markup_characters() -> None:
    assert inline("use `node['size']` and `a*b*c`") == (
        'use <code style="background-color:#1d1f21;">node[&#x27;size&#x27;]</code> and '
        '<code style="background-color:#1d1f21;">a*b*c</code>')
    assert inline(r"\*not italic\*") == "*not italic*"


TOP = ' style="margin-top:0px;margin-bottom:0px;"'


def test_lists_nested_and_ordered() -> None:
    # each top-level item is a chunk of its own (drawn once while streaming): its own list,
    # without margins, so the items still read as one list
    out = render("- one\n- two\n  - inner *x*\n    1. deep\n- three\n").html
    assert out == (f"<ul{TOP}><li>one</li></ul><ul{TOP}><li>two<ul><li>inner <i>x</i><ol>"
                   f"<li>deep</li></ol></li></ul></li></ul><ul{TOP}><li>three</li></ul>")
    numbered = render("3. c\n4. d\n").html
    assert numbered == f'<ol start="3"{TOP}><li>c</li></ol><ol start="4"{TOP}><li>d</li></ol>'


def test_loose_list_keeps_numbering_across_chunks() -> None:
    out = render("1. first\n\n2. second\n").html
    assert out == f'<ol{TOP}><li>first</li></ol><ol start="2"{TOP}><li>second</li></ol>'


def test_list_items_after_a_paragraph_are_chunks_of_their_own() -> None:
    assert split_chunks("Intro:\n- a\n- b\n  more b\n- c") == \
        ["Intro:\n", "- a\n", "- b\n  more b\n", "- c"]
    assert split_chunks("Steps:\n1. one\n2. two\n") == ["Steps:\n", "1. one\n", "2. two\n"]
    # an ordered item not numbered 1 does not interrupt a paragraph: it continues it
    assert split_chunks("Intro\n2. x\n") == ["Intro\n2. x\n"]
    assert render("Intro\n2. x\n").html == "<p>Intro<br/>2. x</p>"
    # "- -" may still grow into a thematic break; "Title\n---" is a heading
    assert split_chunks("Title\n---\n") == ["Title\n---\n"]
    assert chunk_ends("a\n- -") == []
    # once the list is left (a heading), a later item line is not split off: "2. b" here
    # continues the paragraph "para"
    assert split_chunks("- a\n# H\npara\n2. b\n") == ["- a\n# H\npara\n2. b\n"]


def test_raw_html_images_and_forged_links_stay_text() -> None:
    out = render('<div onclick="x">hi</div>\n\n![shot](https://a.b/c.png) ![x](file:///etc/p) '
                 "[copy](copy:0) [ok](https://a.b)").html
    assert "<div" not in out and "&lt;div onclick=&quot;x&quot;&gt;hi&lt;/div&gt;" in out
    assert "<img" not in out and '<a href="https://a.b/c.png">shot</a>' in out
    assert 'href="copy:' not in out and 'href="file:' not in out
    assert '<a href="https://a.b">ok</a>' in out


def test_table_with_alignment() -> None:
    out = render("| Node | Knob |\n|:-----|-----:|\n| Blur | size |\n| Grade | `gain` |\n").html
    assert out.startswith("<table")
    assert '<th align="left">Node</th><th align="right">Knob</th>' in out
    assert '<td align="left">Grade</td>' in out and "<code" in out
    assert out.count("<tr>") == 3


def test_block_quote_and_rule() -> None:
    out = render("> quoted **text**\n> more\n\n---\n").html
    assert out.startswith('<blockquote style="color:#8a8a8a;margin-left:12px;"><p>quoted '
                          "<b>text</b><br/>more</p></blockquote>")
    assert out.endswith("<hr/>")


def test_code_blocks_copy_links_and_exact_source() -> None:
    result = render(CODE_ANSWER, code_start=5)
    assert [b.language for b in result.code_blocks] == ["python", "nk"]
    assert result.code_blocks[0].source == (
        'import nuke\nnode = nuke.createNode("Blur")\nnode["size"].setValue(4)\n')
    assert result.code_blocks[1].source == "Blur {\n size 4\n name Blur1\n}\n"
    assert result.html.index('href="copy:5"') < result.html.index("<pre")
    assert 'href="copy:6"' in result.html
    assert text_of(result.html).count("Copy") == 2


def test_python_highlighting() -> None:
    out = highlight('@decorator\ndef f(x):  # note <here>\n    return "s<" + 1.5\n', "python")
    assert '<span style="color:#bbb529;">@decorator</span>' in out
    assert '<span style="color:#cc7832;font-weight:bold;">def</span>' in out
    assert '<span style="color:#ffc66d;">f</span>' in out
    assert "# note &lt;here&gt;" in out and "&quot;s&lt;&quot;" in out
    assert '<span style="color:#6897bb;">1.5</span>' in out
    assert text_of(out).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"') == (
        '@decorator\ndef f(x):  # note <here>\n    return "s<" + 1.5')


def test_highlighting_carries_state_from_line_to_line() -> None:
    source = 'x = """first\n  second"""\ny = 1  # done\n'
    whole = highlight_lines(source, "python")
    assert whole[1] == [('  second"""', ("#6a8759", False, False))]
    assert whole[2][-1] == ("# done", ("#7f848e", False, True))
    streamed = LineHighlighter("python")
    assert streamed.peek('x = """fir') == [("x = ", None), ('"""fir', ("#6a8759", False, False))]
    assert [streamed.line(line) for line in source.split("\n")[:-1]] == whole
    assert highlight_lines("", "python") == []
    assert highlight_lines("a b\n", "glsl") == [[("a b", None)]]


def test_tcl_nk_highlighting() -> None:
    out = highlight('set cut_paste_input [stack 0]\nBlur {\n size 4\n label "a $b"\n}', "nk")
    assert '<span style="color:#cc7832;font-weight:bold;">set</span>' in out
    assert '<span style="color:#4fc1ff;">[stack 0]</span>' in out
    assert '<span style="color:#ffc66d;font-weight:bold;">Blur</span>' in out
    assert '<span style="color:#9876aa;">size</span>' in out
    assert '<span style="color:#6a8759;">&quot;a $b&quot;</span>' in out


def test_unknown_language_is_escaped_plainly() -> None:
    result = render("```glsl\nvec4 c = a < b ? x : y;\n```\n")
    assert "vec4 c = a &lt; b ? x : y;" in result.html
    assert "<span" not in result.html.split("<pre", 1)[1]
    assert result.code_blocks[0].source == "vec4 c = a < b ? x : y;\n"


def test_unclosed_fence_renders_what_arrived() -> None:
    result = render("Here:\n```python\nx = 1\n")
    assert result.code_blocks[0].source == "x = 1\n"  # CommonMark keeps the line break
    assert "<pre" in result.html


def test_fence_inside_list_item() -> None:
    result = render("1. Run this:\n   ```python\n   print(1)\n\n   print(2)\n   ```\n2. Done\n")
    assert result.code_blocks[0].source == "print(1)\n\nprint(2)\n"
    assert result.html.startswith(f"<ol{TOP}><li>Run this:")
    assert "white-space:pre-wrap;" in result.html  # long lines wrap: no sideways scrolling
    assert "<li>Done</li>" in result.html


SAMPLES = [
    CODE_ANSWER,
    "# Head\n\nPara one\nstill one.\n\n- a\n- b\n\n  continued\n\n1. x\n\n2. y\n\n| a | b |\n"
    "|---|---|\n| 1 | 2 |\n\n> q\n\n```\nplain\n\n\nblank lines\n```\nafter\n",
    "Text\n```python\ndef f():\n\n    return 1\n```\n\n~~~nk\nBlur {\n}\n~~~\n   \n  indented\n",
    "````\n```\nnested fence\n```\n````\nend",
    "\n\n\nleading blanks\n\n \n\ttab\n\n`` `x` ``\n",
    "Steps:\n1. **one**\n   - sub\n   ```py\n   x = 1\n\n   ```\n2. two\nlazy\n- - -\n* a\n  b\n\n"
    "10. ten\n    more\n11) eleven\nText\n- x\n| a |\n|---|\n| 1 |\n- y\n",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_chunk_boundaries_never_move_while_streaming(text: str) -> None:
    final = chunk_ends(text)
    for size in range(len(text) + 1):
        prefix = chunk_ends(text[:size])
        assert final[:len(prefix)] == prefix, (size, text[:size])
        for index, end in enumerate(prefix):
            assert chunk_ends(text[:size], end) == prefix[index + 1:]


@pytest.mark.parametrize("text", SAMPLES)
def test_render_is_the_chunks_rendered_one_by_one(text: str) -> None:
    chunks = split_chunks(text)
    assert "".join(chunks) == text
    html, count = "", 0
    for chunk in chunks:
        part = render_chunk(chunk, count)
        html += part.html
        count += len(part.code_blocks)
    assert render(text).html == html


def test_chunks_split_at_fences_and_blank_lines() -> None:
    assert split_chunks("a\n\nb\n```py\nx\n\ny\n```\nc") == \
        ["a\n\n", "b\n", "```py\nx\n\ny\n```\n", "c"]
    assert split_chunks("- a\n\n  still a\n") == ["- a\n\n  still a\n"]


def test_nul_characters_cannot_forge_placeholders() -> None:
    out = inline("a\x000\x00 `b`")
    assert "\x00" not in out and "\ufffd0\ufffd" in out


def test_a_table_read_row_by_row_is_the_whole_table() -> None:
    from src.ui.markdown import table_prefix, table_row

    head = "| Node | Knob |\n|:-----|-----:|"
    rows = ["| Blur | size |", "| Grade | `gain` *x* |", "| only one cell |", "| a | b | c |"]
    prefix = table_prefix(head)
    assert prefix is not None
    whole = render_chunk(head + "\n" + "\n".join(rows) + "\n").html
    assert prefix + "".join(table_row(head, row) or "" for row in rows) + "</table>" == whole
    for not_a_row in ("", "   ", "# heading", "> quote", "- item", "```"):
        assert table_row(head, not_a_row) is None, not_a_row
    assert table_prefix("| a |\nnot a delimiter") is None
