"""Safe Markdown and HTML for generated pages.

Everything a report author typed is shown as text: escaped with numeric entities so that
neither Markdown (`*`, `|`, `[`) nor HTML (`<script>`) in a title, owner or action item can
change the page. Links are emitted only for http and https addresses.
"""

from __future__ import annotations

import html
import re
import secrets
from urllib.parse import quote, urlsplit

from handbook.reading.sections import literal_flags

# Characters that can start Markdown or HTML syntax inside a paragraph or a table cell.
_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "&<>\\`*_[]()|~^!{}#+=:\"'$"}
_MD_TABLE = str.maketrans(_MD_SPECIAL)
_SAFE_URL = re.compile(r"^https?://[^\s<>\"]+$", re.I)


def md(value: object) -> str:
    """Text for a Markdown paragraph or table cell: every special character as an entity."""
    text = "" if value is None else str(value)
    return " ".join(text.split()).translate(_MD_TABLE)


def attr(value: object) -> str:
    """Text for an HTML attribute or element."""
    return html.escape("" if value is None else " ".join(str(value).split()), quote=True)


def safe_url(value: object) -> str | None:
    """The address when it is http or https, else None."""
    if isinstance(value, str) and _SAFE_URL.match(value.strip()):
        return quote(value.strip(), safe=":/?#@!$&'*+,;=%-._~")
    return None


def url_label(href: str) -> str:
    """The last part of an address's path (a ticket's key, a dashboard's name), to tell links apart."""
    return urlsplit(href).path.rstrip("/").rpartition("/")[2]


# -- generated HTML kept out of Markdown ---------------------------------------------------------
# Generated tables, cards and charts are HTML already. Left in a page's Markdown, Python-Markdown
# would parse every one of them again (its raw-HTML parser is pure Python: report pages cost half
# as much again as an ordinary page). `fragment()` marks such HTML; `split_fragments()` swaps each
# for a one-line marker before MkDocs sees the page, and `join_fragments()` puts the HTML back into
# the rendered page. The token makes the markers impossible to write by accident in a report.
#
# A fragment that is not searched (`searched=False`: the similar incidents, which name other reports)
# is put back only after the search index has read the page, so the indexer neither parses it nor
# finds a word of it; the site's generator says when (the MkDocs plugin: after Material's search).
_TOKEN = secrets.token_hex(8)
_BEGIN, _END = f"<!--pm-fragment-{_TOKEN}-->", f"<!--/pm-fragment-{_TOKEN}-->"
_BEGIN_UNSEARCHED = f"<!--pm-fragment-unsearched-{_TOKEN}-->"
_UNSEARCHED = "-unsearched-->"


def fragment(lines: list[str], *, searched: bool = True) -> list[str]:
    """Mark generated HTML lines as a fragment (they must not hold a blank line); one not `searched` is
    left out of the search index."""
    return [_BEGIN if searched else _BEGIN_UNSEARCHED, *lines, _END, ""]


def split_fragments(markdown: str) -> tuple[str, dict[str, str]]:
    """The Markdown with each fragment replaced by a marker, and the marker -> HTML map."""
    if _BEGIN not in markdown and _BEGIN_UNSEARCHED not in markdown:
        return markdown, {}
    out: list[str] = []
    fragments: dict[str, str] = {}
    current: list[str] | None = None
    searched = True
    for line in markdown.split("\n"):
        if current is None and (line == _BEGIN or line == _BEGIN_UNSEARCHED):
            current, searched = [], line == _BEGIN
        elif current is not None and line == _END:
            marker = f"<!--pm-{_TOKEN}-{len(fragments)}{'-->' if searched else _UNSEARCHED}"
            fragments[marker] = "\n".join(current)
            out.append(marker)
            current = None
        elif current is not None:
            current.append(line)
        else:
            out.append(line)
    return "\n".join(out), fragments


def unsearched(fragments: dict[str, str]) -> dict[str, str]:
    """The fragments of `fragments` left out of the search index (those `join_fragments(searched=False)` puts back)."""
    return {marker: content for marker, content in fragments.items() if marker.endswith(_UNSEARCHED)}


def join_fragments(html_text: str, fragments: dict[str, str], *, searched: bool = True) -> str:
    """Put each fragment's HTML back where its marker was rendered: those searched, or (`searched=False`)
    those put back after the search index has read the page."""
    for marker, content in fragments.items():
        if marker.endswith(_UNSEARCHED) != searched:
            html_text = html_text.replace(marker, content, 1)
    return html_text


# -- the author's own Markdown (report bodies) -------------------------------------------------
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.S)
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>", re.I)
_LINK_TARGET = re.compile(r"(\]\(\s*<?)([a-zA-Z][a-zA-Z0-9+.\-]*:)")
_REF_TARGET = re.compile(r"^(\s{0,3}\[[^\]]+\]:\s*<?)([a-zA-Z][a-zA-Z0-9+.\-]*:)")
_ALLOWED_SCHEMES = {"http:", "https:", "mailto:"}


def safe_markdown(body: str) -> str:
    """The author's Markdown with raw HTML shown as text and only http(s)/mailto link schemes.

    Code blocks and code spans are left alone: Markdown already shows them literally.
    """
    out: list[str] = []
    lines = body.split("\n")
    for line, literal in zip(lines, literal_flags(lines)):
        if literal:  # fenced or indented code
            out.append(line)
            continue
        if "<" not in line and "](" not in line and "]:" not in line:
            out.append(line)  # nothing here for `_safe_line` to change (most lines): skip its passes
            continue
        out.append(_safe_line(line))
    return "\n".join(out)


def _safe_line(line: str) -> str:
    parts = []
    last = 0
    for span in _CODE_SPAN.finditer(line):
        parts.append(_escape_html(line[last:span.start()]))
        parts.append(span.group(0))
        last = span.end()
    parts.append(_escape_html(line[last:]))
    line = "".join(parts)
    line = _LINK_TARGET.sub(lambda m: m.group(1) + (m.group(2) if m.group(2).lower() in _ALLOWED_SCHEMES
                                                     else "#unsafe-link-removed:"), line)
    return _REF_TARGET.sub(lambda m: m.group(1) + (m.group(2) if m.group(2).lower() in _ALLOWED_SCHEMES
                                                   else "#unsafe-link-removed:"), line)


def _escape_html(text: str) -> str:
    links: list[str] = []

    def _keep(match: re.Match[str]) -> str:
        links.append(match.group(0))
        return f"\x00{len(links) - 1}\x00"

    text = _AUTOLINK.sub(_keep, text)
    text = text.replace("<", "&lt;").replace(">", "&gt;") if "<" in text else text
    # `>` at the start of a line is a block quote; only `<` opens HTML, so restore leading `>`.
    stripped = text.lstrip()
    if stripped.startswith("&gt;"):
        indent = text[: len(text) - len(stripped)]
        while stripped.startswith("&gt;"):
            indent += ">"
            stripped = stripped[4:]
        text = indent + stripped
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], text)
