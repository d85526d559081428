"""An external message's files are safe to render anywhere (issue 24, case 6).

`statements/<id>.md`, each part's `markdown` in `statements/<id>.json` and in `statements/index.json`
are published for a status page, which may render them with Python-Markdown (plain, or with the
usual extensions) or with a CommonMark renderer (markdown-it-py here). A real build of a report whose
message holds every known way past a line-by-line escaper (a link's destination or a reference
definition on the next line, a definition inside a quote or a list item, raw HTML after an escaped
backtick, an element inside an autolink, a scheme written with character references...) writes
them; each is rendered by every renderer, and the HTML that comes out may hold only the elements
below, no event handler and no link but to http, https and mailto. The JSON's `html` is held to the
same. Generated Markdown gets the same treatment, and ordinary messages still read as written.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import markdown
import pytest
from bs4 import BeautifulSoup, Comment, Declaration, Doctype, ProcessingInstruction
from bs4.element import CData
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from handbook.queries.statements import Statement, StatementPart
from handbook.rendering.statements import statement_files

from .conftest import copy_project, mkdocs

# What a published message may turn into, whatever renders it: the test's own list, on purpose not
# the code's (a tag added there must be added here too, by someone who thought about it).
ELEMENTS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code", "strong",
            "em", "a", "hr", "br"}
ATTRIBUTES = {"href", "start", "id"}  # `id`: the headings' anchors of the toc extension
SCHEMES = {"http", "https", "mailto"}

_COMMONMARK = MarkdownIt("commonmark")  # raw HTML on, as CommonMark has it
_COMMONMARK_GFM = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_SITE = ["admonition", "attr_list", "def_list", "footnotes", "md_in_html", "tables", "toc", "pymdownx.details",
         "pymdownx.superfences", "pymdownx.tabbed"]  # mkdocs.yml's markdown_extensions
RENDERERS = {
    "python-markdown": lambda text: markdown.markdown(text),
    "python-markdown+extra": lambda text: markdown.markdown(
        text, extensions=["extra", "abbr", "admonition", "sane_lists", "smarty", "toc", "nl2br", "legacy_attrs"]),
    "python-markdown+site": lambda text: markdown.markdown(
        text, extensions=[*_SITE, "pymdownx.tilde", "pymdownx.caret", "pymdownx.mark", "pymdownx.betterem"],
        extension_configs={"pymdownx.tabbed": {"alternate_style": True}}),
    "markdown-it-commonmark": _COMMONMARK.render,
    "markdown-it-commonmark+gfm": _COMMONMARK_GFM.render,
}
PLAIN_RENDERERS = ["python-markdown", "markdown-it-commonmark"]

# -- the payloads: each a way past escaping Markdown line by line -----------------------------------
PAYLOADS = [
    "A [link whose destination is on the next line](\njavascript:alert('next-line'))",
    "A [reference defined on the next line][nl].\n\n[nl]:\njavascript:alert('ref-next-line')",
    "> [quoted]: javascript:alert('ref-in-quote')\n\nThen [quoted].",
    "- [listed]: javascript:alert('ref-in-item')\n\nThen [listed].",
    "1. [numbered]: javascript:alert('ref-in-numbered-item')\n\nThen [numbered].",
    "An escaped backtick \\`<img src=x onerror=alert('escaped-backtick')>`",
    "Two backslashes \\\\`<svg onload=alert('double-backslash')>`",
    "Inside an autolink <https://status.example.com/<svg/onload=alert('autolink')>",
    "[tab](java\tscript:alert('tab'))",
    "[case](JaVaScRiPt:alert('case'))",
    "[angle](<javascript:alert('angle')>)",
    "[space]( javascript:alert('space'))",
    "<javascript:alert('scheme-autolink')>",
    "![image](javascript:alert('image'))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgnZGF0YScpPC9zY3JpcHQ+)",
    "[vbscript](vbscript:msgbox('vbscript'))",
    "[titled](https://status.example.com/t \"x\" onmouseover=\"alert('title')\")",
    "[[nested](javascript:alert('nested'))](https://status.example.com/n)",
    "[ref]: <javascript:alert('angle-ref')>\n\n[ref]",
    "`a`[`` x`<img src=x onerror=alert('adjacent-code')> ``](javascript:x)",
    "Attributes below\n{: onclick=\"alert('attr-list')\" }",
    "**Bold**{ onmouseover=\"alert('attr-list-inline')\" } text",
    "<div onclick=\"alert('html-block')\">A block of HTML</div>",
    "<script>alert('script')</script>",
    "<details open ontoggle=alert('details')>",
    "Raw <img src=x onerror=alert('inline-html')> in a line",
    "&lt;img src=x onerror=alert('entities')&gt; and &#60;b&#62;",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert('table')> | c |",
    "Term\n: <img src=x onerror=alert('definition')>",
    "A footnote[^f].\n\n[^f]: [f](javascript:alert('footnote'))",
    "*[HTML]: <img src=x onerror=alert('abbreviation')>",
    "!!! note \"<img src=x onerror=alert('admonition')>\"",
    "```\n<script>alert('fenced')</script>\n```",
    "    <script>alert('indented')</script>",
    "==mark== ~~del~~ ^^ins^^ ~sub~ ^sup^ $math$ {++critic++} ++ctrl+a++",
    "+ plus\n* star\n10) paren\n\n[TOC]",
    "ticket #12 costs 5 * 3 = 15 & 2 < 3 > 1 | pipes | ~tilde~ snake_case_name \\back\\slash !",
    "Fine: [our status page](https://status.example.com/incidents/1), <mailto:help@example.com> and `code`.",
]
"""Payloads a reviewed report may hold: the build publishes them."""
REFUSED = [
    "[decimal](&#106;avascript:alert('decimal-reference'))",
    "[hex](&#x6A;avascript&#x3A;alert('hex-reference'))",
    "[named](javascript&colon;alert('named-reference'))",
    "A line\n===\nand a line\n---\nunderlined",
]
"""Payloads the checks refuse in a reviewed report (a link they read as relative, a heading out of the
format): the files are tested with them in-process."""
TITLE = "Checkout {: onclick=\"alert('title-attr')\" } <svg onload=alert('title')> [t]: javascript:alert(1) #"


def _message() -> str:
    """The report's external message: every payload in every part, a blank line between two."""
    body = "\n\n".join(PAYLOADS)
    return ("\n## External message\n\n### Summary\n\n" + body + "\n\n### What happened\n\n" + body +
            "\n\n### What we are doing\n\n- An item\n- " + body.replace("\n", "\n  ") + "\n")


@pytest.fixture(scope="module")
def site(tmp_path_factory, valid_text) -> Path:
    """A real build of a report whose external message holds every payload, and its title one too."""
    project = copy_project(tmp_path_factory.mktemp("statement-export"), examples=False)
    text = valid_text.replace("severity: SEV2\n", f"external_title: '{TITLE.replace(chr(39), chr(39) * 2)}'\n"
                                                  "severity: SEV2\n")
    (project / "postmortems" / "hostile.md").write_text(text + _message(), encoding="utf-8")
    result = mkdocs(project, "build", "-d", "site", env={"HANDBOOK_AUDIENCE": "public"})
    assert result.code == 0, result.output
    return project / "site"


# -- what a rendering may hold ----------------------------------------------------------------------
def _scheme(url: str) -> str | None:
    """The scheme a browser reads in `url` (references read, spaces and control characters dropped)."""
    cleaned = re.sub(r"[\x00-\x20\x7f-\x9f]", "", html.unescape(url)).lower()
    found = re.match(r"([a-z][a-z0-9+.\-]*):", cleaned)
    return found.group(1) if found else None


def unsafe(rendered: str) -> list[str]:
    """Everything in `rendered` (HTML) a published message may not hold: an element outside the list,
    an attribute outside it (an event handler), a link but to http(s) or mailto, a comment or a
    declaration."""
    soup = BeautifulSoup(rendered, "html.parser")
    found = [f"<{tag.name}>" for tag in soup.find_all(True) if tag.name not in ELEMENTS]
    for tag in soup.find_all(True):
        found += [f"{tag.name}[{name}]" for name in tag.attrs if name not in ATTRIBUTES or name.startswith("on")]
        if "href" in tag.attrs and _scheme(tag["href"]) not in SCHEMES:
            found.append(f"href={tag['href']!r}")
    found += [f"{type(node).__name__}: {node!r}" for node in soup.find_all(string=True)
              if isinstance(node, (Comment, Declaration, Doctype, ProcessingInstruction, CData))]
    return found


def _published(site: Path) -> dict[str, str]:
    """Every piece of Markdown the build published: name -> Markdown."""
    folder = site / "statements"
    pieces = {path.name: path.read_text(encoding="utf-8") for path in folder.glob("*.md")}
    for path in folder.glob("*.json"):
        records = json.loads(path.read_text(encoding="utf-8"))
        for record in records if isinstance(records, list) else [records]:
            pieces.update({f"{path.name}: {record['id']} {p['id']}": p["markdown"] for p in record["parts"]})
    return pieces


def _words(rendered: str) -> str:
    return " ".join(BeautifulSoup(rendered, "html.parser").get_text(" ").split())


# -- the hostile build ------------------------------------------------------------------------------
def test_the_build_publishes_the_hostile_message(site):
    assert sorted(p.name for p in (site / "statements").glob("*.*") if p.suffix != ".html") == [
        "INC-2026-101.json", "INC-2026-101.md", "index.json"]
    assert len(_published(site)) == 1 + 3 + 3


@pytest.mark.parametrize("renderer", RENDERERS)
def test_every_published_markdown_renders_to_the_allowlist_only(site, renderer):
    render = RENDERERS[renderer]
    found = {name: unsafe(render(text)) for name, text in _published(site).items()}
    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_json_html_holds_the_allowlist_only_and_the_same_words_as_the_markdown(site):
    record = json.loads((site / "statements" / "INC-2026-101.json").read_text(encoding="utf-8"))
    assert [list(part) for part in record["parts"]] == [["id", "title", "markdown", "html", "text"]] * 3
    for part in record["parts"]:
        assert unsafe(part["html"]) == [], part["id"]
        for renderer in PLAIN_RENDERERS:
            assert _words(RENDERERS[renderer](part["markdown"])) == _words(part["html"]), (part["id"], renderer)


@pytest.mark.parametrize("renderer", PLAIN_RENDERERS)
def test_the_payloads_show_as_text_and_the_safe_links_stay_links(site, renderer):
    """Not only safe: what the author typed as raw HTML reads as typed, and good links still work."""
    rendered = RENDERERS[renderer]((site / "statements" / "INC-2026-101.md").read_text(encoding="utf-8"))
    soup = BeautifulSoup(rendered, "html.parser")
    assert " ".join(soup.h1.get_text().split()) == " ".join(TITLE.split())
    words = _words(rendered)
    for typed in ("<img src=x onerror=alert('inline-html')>", "<script>alert('script')</script>",
                  "<div onclick=\"alert('html-block')\">A block of HTML</div>",
                  "`<img src=x onerror=alert('escaped-backtick')>`", "<img src=x onerror=alert('entities')> and <b>",
                  "ticket #12 costs 5 * 3 = 15 & 2 < 3 > 1 | pipes | ~tilde~ snake_case_name \\back\\slash !"):
        assert typed in words, typed
    links = {a.get_text(): a["href"] for a in soup.select("a")}
    assert links["our status page"] == "https://status.example.com/incidents/1"
    assert links["help@example.com"] == "mailto:help@example.com"
    assert links["[nested](javascript:alert('nested'))"] == "https://status.example.com/n"  # the inner one: words
    assert "link whose destination is on the next line" in words and "quoted" in words  # their words stay


@pytest.mark.parametrize("payload", PAYLOADS + REFUSED)
def test_each_payload_renders_to_the_allowlist_only(payload):
    """Each payload alone, as a part and as the title, in-process: the files the build writes from it."""
    _assert_safe(payload, [payload])


def _assert_safe(title: str, parts: list[str]) -> None:
    """Every Markdown file and piece of a message of `parts` under `title`, rendered by every renderer,
    and each part's `html`, hold nothing `unsafe`."""
    statement = Statement("INC-2026-900", title or "x", None, None, None,
                          tuple(StatementPart(f"p{n}", f"Part {n}", text) for n, text in enumerate(parts)))
    files = statement_files([statement])
    record = json.loads(files["statements/INC-2026-900.json"])
    for piece in [files["statements/INC-2026-900.md"], *(p["markdown"] for p in record["parts"])]:
        for name, render in RENDERERS.items():
            assert unsafe(render(piece)) == [], (name, piece)
    for part in record["parts"]:
        assert unsafe(part.get("html", "")) == [], part


# -- any message, generated -------------------------------------------------------------------------
SIGNIFICANT = list("<>&\\`*_[]()!:#-+=.|~^${}\"' \n\t") + [
    "\n\n", "\n    ", "\n> ", "\n- ", "\n1. ", "javascript:", "JaVaScRiPt:", "&#106;", "&#x3A;", "&colon;",
    "https://x.example/", "mailto:a@x.example", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
    "onerror=", "<script>", "</p>", "<a href=", "[x]: ", "](", "](javascript:x)", "`a`", "``", "```", "~~~", "{: ",
    "!!! ", "    ", "==", "^^", "2.", "10)", "word", "\x02wzxhzdk:0\x03", "\u2028", "\xa0"]
GENERATED = st.lists(st.sampled_from(SIGNIFICANT), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=GENERATED, parts=st.lists(GENERATED, min_size=1, max_size=3))
def test_any_message_renders_to_the_allowlist_only_everywhere(title, parts):
    _assert_safe(title, parts)


# -- ordinary messages ------------------------------------------------------------------------------
def test_an_ordinary_message_is_published_as_written(example_site):
    """The examples' messages: no character reference where none is needed, the same words everywhere."""
    folder = example_site / "statements"
    outage = (folder / "INC-2026-001.md").read_text(encoding="utf-8")
    assert "&#" not in outage and "&amp;" not in outage
    assert ("On 9 February 2026, from 14:02 to 14:49 UTC, most requests to hosted checkout and to our API "
            "failed with an error.") in outage
    assert "\n- Every configuration change now shows its effect on production before it is approved.\n" in outage
    webhooks = json.loads((folder / "INC-2026-003.json").read_text(encoding="utf-8"))
    assert "the `invoice.paid` notification" in webhooks["parts"][1]["markdown"]
    for record in (json.loads((folder / "INC-2026-001.json").read_text(encoding="utf-8")), webhooks):
        for part in record["parts"]:
            assert "&#" not in part["markdown"], part["markdown"]
            for renderer in PLAIN_RENDERERS:
                assert _words(RENDERERS[renderer](part["markdown"])) == _words(part["html"])
                assert _words(part["html"]) == " ".join(re.sub(r"(?m)^\s*(- |\d+\. )", "", part["text"]).split())
