"""Generated external messages: a reviewed report whose `## External message` is built from hostile Markdown.

Each part is a random mix of fragments that once got (or could get) past an escaper: a link's
destination or a reference definition on the next line, a definition inside a quote or a list
item, a scheme written with character references, raw HTML, an element inside an autolink,
backslashes before backticks, attr_list's `{: onclick=...}`. The build publishes what the checks let
through as `statements/<id>.md` and `.json`, which must then be safe to render anywhere
(`check.unsafe_markup`).
"""

from __future__ import annotations

import copy
import random
from typing import Any

FRAGMENTS = [
    "A [link whose destination is on the next line](\njavascript:alert('next-line'))",
    "A [reference defined on the next line][nl].\n\n[nl]:\njavascript:alert('ref-next-line')",
    "> [quoted]: javascript:alert('ref-in-quote')\n\nThen [quoted].",
    "- [listed]: javascript:alert('ref-in-item')\n\nThen [listed].",
    "1. [numbered]: javascript:alert('ref-in-numbered-item')\n\nThen [numbered].",
    "An escaped backtick \\`<img src=x onerror=alert('escaped-backtick')>`",
    "Two backslashes \\\\`<svg onload=alert('double-backslash')>`",
    "Inside an autolink <https://status.example.com/<svg/onload=alert('autolink')>",
    "<https://status.example.com/<img src=x onerror=alert(1)>>",
    "[tab](java\tscript:alert('tab'))",
    "[case](JaVaScRiPt:alert('case'))",
    "[angle](<javascript:alert('angle')>)",
    "[space]( javascript:alert('space'))",
    "<javascript:alert('scheme-autolink')>",
    "![image](javascript:alert('image'))",
    "![x](https://status.example.com/x.png \"t\" onerror=\"alert(1)\")",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgnZGF0YScpPC9zY3JpcHQ+)",
    "[vbscript](vbscript:msgbox('vbscript'))",
    "[titled](https://status.example.com/t \"x\" onmouseover=\"alert('title')\")",
    "[[nested](javascript:alert('nested'))](https://status.example.com/n)",
    "[ref]: <javascript:alert('angle-ref')>\n\n[ref]",
    "`a`[`` x`<img src=x onerror=alert('adjacent-code')> ``](javascript:x)",
    "Attributes below\n{: onclick=\"alert('attr-list')\" }",
    "**Bold**{ onmouseover=\"alert('attr-list-inline')\" } text",
    "{: #id .class onclick=alert(1) }",
    "<div onclick=\"alert('html-block')\">A block of HTML</div>",
    "<script>alert('script')</script>",
    "<details open ontoggle=alert('details')>",
    "Raw <img src=x onerror=alert('inline-html')> in a line",
    "<a href=\"javascript:alert(1)\">raw link</a>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<style>*{color:red}</style>",
    "&lt;img src=x onerror=alert('entities')&gt; and &#60;b&#62;",
    "[decimal](&#106;avascript:alert('decimal-reference'))",
    "[hex](&#x6A;avascript&#x3A;alert('hex-reference'))",
    "[named](javascript&colon;alert('named-reference'))",
    "[nul](java&#0;script:alert(1))",
    "[newline](java&#10;script:alert(1))",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert('table')> | c |",
    "Term\n: <img src=x onerror=alert('definition')>",
    "A footnote[^f].\n\n[^f]: [f](javascript:alert('footnote'))",
    "*[HTML]: <img src=x onerror=alert('abbreviation')>",
    "!!! note \"<img src=x onerror=alert('admonition')>\"",
    "```\n<script>alert('fenced')</script>\n```",
    "    <script>alert('indented')</script>",
    "<!-- a comment <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "==mark== ~~del~~ ^^ins^^ ~sub~ ^sup^ $math$ {++critic++} ++ctrl+a++",
    "+ plus\n* star\n10) paren\n\n[TOC]",
    "ticket #12 costs 5 * 3 = 15 & 2 < 3 > 1 | pipes | ~tilde~ snake_case_name \\back\\slash !",
    "Fine: [our status page](https://status.example.com/incidents/1), <mailto:help@example.com> and `code`.",
    "[a relative link](../2026/other-report.md) and [ref][r]\n\n[r]: ../../handbook.yml",
    "\x02wzxhzdk:0\x03 placeholder",
    "\u2028line separator\u2029 and \xa0no-break",
]
"""Whole fragments, each one way past escaping Markdown line by line (several from tests/test_statement_export.py)."""
PIECES = list("<>&\\`*_[]()!:#-+=.|~^${}\"' \t") + [
    "\n", "\n\n", "\n    ", "\n> ", "\n- ", "\n1. ", "javascript:", "JaVaScRiPt:", "&#106;", "&#x3A;", "&colon;",
    "&#x6A;", "https://x.example/", "mailto:a@x.example", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
    "onerror=", "<script>", "</p>", "<a href=", "[x]: ", "](", "](javascript:x)", "`a`", "``", "```", "~~~",
    "{: onclick=alert(1) }", "{ onmouseover=x }", "!!! ", "==", "^^", "10)", "word", "[", "]:", "\\\\", "\\`"]
"""Smaller pieces, strung together at random."""
SEPARATORS = ["\n\n", "\n", " ", "", "\n    ", "\n> ", "\n- ", "\n1. "]
PARTS = ("Summary", "What happened", "What we are doing")


def _strung(rng: random.Random) -> str:
    """Return a run of small pieces."""
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 30)))


def _spliced(rng: random.Random, first: str, second: str) -> str:
    """Return `second` put inside `first` at a random place."""
    at = rng.randrange(len(first) + 1)
    return first[:at] + second + first[at:]


def _fragment(rng: random.Random) -> str:
    """Return one hostile fragment: whole, strung from pieces, or two spliced together."""
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(FRAGMENTS)
    if roll < 0.8:
        return _strung(rng)
    return _spliced(rng, rng.choice(FRAGMENTS), rng.choice(FRAGMENTS + [_strung(rng)]))


def part_text(rng: random.Random) -> str:
    """Return one part of a message: fragments joined by random separators, never empty."""
    text = rng.choice(SEPARATORS).join(_fragment(rng) for _ in range(rng.randint(1, 6)))
    return text if text.strip() else "Words."


def message_section(rng: random.Random) -> str:
    """Return an `## External message` section with its three parts, each hostile."""
    lines = ["", "## External message", ""]
    for title in PARTS:
        lines += [f"### {title}", "", part_text(rng), ""]
    return "\n".join(lines)


def statement_front(front: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Return the report's front matter, reviewed or closed, sometimes with a hostile `external_title`."""
    made = copy.deepcopy(front)
    made["status"] = rng.choice(["reviewed", "reviewed", "closed"])
    if rng.random() < 0.5:
        made["external_title"] = " ".join(_fragment(rng).split()) or "Title"
    return made
