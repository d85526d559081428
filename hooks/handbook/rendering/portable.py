"""The author's Markdown made safe to render anywhere: parsed once, cut down, written back by us.

An external message's Markdown is published for renderers we do not know (a status page may use
Python-Markdown, a CommonMark renderer, with or without extensions). Escaping the author's Markdown
line by line cannot hold for all of them: each reads a link's destination on the next line, a
reference definition inside a quote or a list item, an escaped backtick or an autolink in its own
way. So nothing of the author's syntax is passed on. `portable()` renders the Markdown once, with
Python-Markdown and raw HTML shown as text; cuts the HTML down to the site's allowlist
(`sanitise`); reads that into a small tree of the constructs below; and writes each output from the
tree, every construct written by us:

* paragraphs, headings, lists, quotes, code, rules, strong, emphasis and links to an absolute
  http, https or mailto address (`sanitise.URL_SCHEMES`) are kept; anything else (an image, a
  table, a relative link) is kept as its words;
* in Markdown (`Portable.markdown`), a word is never syntax: each character that starts or closes
  syntax in some renderer or extension (`& < > \\ ` * _ [ ] { } | ~ ^ = $ #`) is written as a
  character reference, which CommonMark reads as that character and Python-Markdown passes on as a
  reference (both show the character, neither reads it as syntax: not even where Python-Markdown
  reads a block's structure, which ignores backslash escapes); so is a line's first character when
  it is punctuation, the `.` or `)` after the number a line starts with, and a `!` just before a
  link. A paragraph or heading is one line (a code block: a line each, held together by hard
  breaks), so no line continues or underlines another. Code is the only text not escaped, and a
  span always closes where we close it: its fence is longer than any run of backticks in it, it
  holds no two in a row, and a space parts two spans. A link is `[words](<address>)`, the address
  starting with its scheme, percent-encoded so that it holds no space, angle bracket, backtick,
  double quote or backslash;
* in HTML (`Portable.html`), those elements only, with `href` (and a list's `start`) their only
  attributes; as plain text (`Portable.text`), the words as typed.

`tests/test_statement_export.py` renders the Markdown with Python-Markdown (plain, and with common
extensions) and with markdown-it-py's CommonMark, and checks what comes out.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote

import markdown  # type: ignore[import-untyped]  # Python-Markdown ships no type information

from handbook.core.text import BAD_CHARACTERS
from handbook.rendering.sanitise import URL_SCHEMES, sanitise


# -- the tree: what is kept ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Inline:
    """A run of words: `text` (plain), or `strong`, `em`, `code` (its `text`), `a` (to `href`)."""

    kind: str
    text: str = ""
    children: tuple["Inline", ...] = ()
    href: str = ""


@dataclass(frozen=True, slots=True)
class Block:
    """A block: `p`, `h1`..`h6` (`inlines`), `ul`, `ol` (`items`, from `start`), `blockquote`
    (`blocks`), `pre` (`lines`) or `hr`."""

    kind: str
    inlines: tuple[Inline, ...] = ()
    blocks: tuple["Block", ...] = ()
    items: tuple[tuple["Block", ...], ...] = ()
    lines: tuple[str, ...] = ()
    start: int = 1


@dataclass(frozen=True, slots=True)
class Portable:
    """One piece of the author's Markdown, as each output publishes it."""

    markdown: str
    html: str
    text: str


@functools.lru_cache(maxsize=2048)
def portable(source: str) -> Portable:
    """The author's Markdown `source` as safe Markdown, HTML and plain text, all from one tree."""
    blocks = _blocks(_parsed(sanitise(_rendered(source))).children)
    return Portable("\n".join(_md_blocks(blocks)), "\n".join(_html_block(b) for b in blocks), _text_blocks(blocks))


def _rendered(source: str) -> str:
    """`source` as HTML by plain Python-Markdown, raw HTML shown as text."""
    renderer = markdown.Markdown()
    renderer.preprocessors.deregister("html_block")
    renderer.inlinePatterns.deregister("html")
    return str(renderer.convert(BAD_CHARACTERS.sub("", source)))


# -- reading the sanitised HTML -----------------------------------------------------------------
@dataclass(slots=True)
class _Element:
    tag: str
    attrs: dict[str, str]
    children: list["_Element | str"]


_VOID = {"br", "hr", "img"}


class _TreeBuilder(HTMLParser):
    """Sanitised HTML as a tree of `_Element`s and text (character references read)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("", {}, [])
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open an element (an empty one, such as `br`, is closed at once)."""
        element = _Element(tag, {k: v or "" for k, v in attrs}, [])
        self.open[-1].children.append(element)
        if tag not in _VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        """Close the innermost open element of `tag`, and any left open inside it."""
        if any(e.tag == tag for e in self.open[1:]):
            while self.open.pop().tag != tag:
                pass

    def handle_data(self, data: str) -> None:
        """Add words to the open element, without the characters no report may hold."""
        self.open[-1].children.append(BAD_CHARACTERS.sub("", data))


def _parsed(html_text: str) -> _Element:
    """The tree of `html_text`."""
    builder = _TreeBuilder()
    builder.feed(html_text)
    builder.close()
    return builder.root


_HEADINGS = {f"h{level}" for level in range(1, 7)}
_BLOCK_TAGS = {"p", "ul", "ol", "li", "blockquote", "pre", "hr", "div", "table", "thead", "tbody", "tfoot", "tr",
               "td", "th", "dl", "dt", "dd", "details", "summary", "figure", "figcaption", *_HEADINGS}
_STRONG, _EM = {"strong", "b"}, {"em", "i"}


def _blocks(nodes: list[_Element | str]) -> tuple[Block, ...]:
    """The blocks kept of `nodes`: a block we do not keep is its blocks; words between blocks, a paragraph."""
    out: list[Block] = []
    loose: list[_Element | str] = []
    for node in nodes:
        if isinstance(node, str) or node.tag not in _BLOCK_TAGS:
            loose.append(node)
        else:
            out += _paragraph("p", loose) + _block(node)
            loose = []
    return tuple(out + _paragraph("p", loose))


def _block(node: _Element) -> list[Block]:
    """The blocks kept of one block element."""
    if node.tag == "p" or node.tag in _HEADINGS:
        return _paragraph(node.tag, node.children)
    if node.tag in ("ul", "ol"):
        items = tuple(item for li in node.children
                      if (item := _blocks(li.children if isinstance(li, _Element) and li.tag == "li" else [li])))
        start = node.attrs.get("start", "1")
        return [Block(node.tag, items=items, start=int(start) if start.isdigit() else 1)] if items else []
    if node.tag == "blockquote":
        inner = _blocks(node.children)
        return [Block("blockquote", blocks=inner)] if inner else []
    if node.tag == "pre":
        lines = tuple(line for line in _words(node).split("\n") if line.strip())
        return [Block("pre", lines=lines)] if lines else []
    if node.tag == "hr":
        return [Block("hr")]
    return list(_blocks(node.children))


def _paragraph(kind: str, nodes: list[_Element | str]) -> list[Block]:
    """A paragraph or heading of `nodes`' words, or nothing when they hold none."""
    inlines = _inlines(nodes)
    return [Block(kind, inlines=inlines)] if "".join(_plain(i) for i in inlines).strip() else []


def _inlines(nodes: list[_Element | str], *, in_link: bool = False) -> tuple[Inline, ...]:
    """The runs of words kept of `nodes`: an element we do not keep is its words (an image, its alt text)."""
    out: list[Inline] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(Inline("text", node))
        elif node.tag == "br":
            out.append(Inline("text", " "))
        elif node.tag == "img":
            out.append(Inline("text", node.attrs.get("alt", "")))
        elif node.tag == "code":
            out.append(Inline("code", _words(node)))
        elif node.tag == "a" and not in_link and (href := _absolute(node.attrs.get("href", ""))):
            words = _inlines(node.children, in_link=True)
            out.append(Inline("a", children=words if "".join(map(_plain, words)).strip() else (Inline("text", href),),
                              href=href))
        elif node.tag in _STRONG or node.tag in _EM:
            out.append(Inline("strong" if node.tag in _STRONG else "em",
                              children=_inlines(node.children, in_link=in_link)))
        else:
            out += _inlines(node.children, in_link=in_link)
    return tuple(out)


def _words(node: _Element | str) -> str:
    """Every word of `node`, as typed."""
    return node if isinstance(node, str) else "".join(_words(child) for child in node.children)


_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_URL_SAFE = "/:?#@!$&'()*+,;=%~-._"


def _absolute(value: str) -> str | None:
    """`value` as an address every renderer reads as it is: absolute, of a scheme the site links to
    (`sanitise.URL_SCHEMES`), starting with that scheme, percent-encoded where it is not plain ASCII
    or holds a space, a bracket, a quote or a backslash; None when it is not such an address."""
    value = value.strip("".join(map(chr, range(0x21))))
    scheme = _SCHEME.match(value)
    if scheme is None or scheme.group(1).lower() not in URL_SCHEMES or len(value) == scheme.end():
        return None
    return quote(value, safe=_URL_SAFE)


# -- Markdown -----------------------------------------------------------------------------------
_MD_REFERENCES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;",
                                **{c: f"&#{ord(c)};" for c in "\\`*_[]{}|~^=$#"}})
_ASCII_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")
_NUMBERED = re.compile(r"(\d+)([.)])")


def markdown_text(value: str) -> str:
    """Plain text as one line of Markdown that every renderer shows as it is, and as nothing else."""
    return _line(_escaped(value))


def _escaped(value: str) -> str:
    """Words as Markdown that shows them as they are, anywhere in a line (see `_line` for its start)."""
    return BAD_CHARACTERS.sub("", value).translate(_MD_REFERENCES)


def _line(content: str) -> str:
    """A block's Markdown on one line, its start never read as a block's syntax: its first character,
    when punctuation other than the `*`, `[`, `` ` `` and `&` only we write, and the `.` or `)` after a
    number it starts with, as character references."""
    line = " ".join(content.split())
    if line[:1] and _ASCII_PUNCTUATION.match(line) and line[0] not in "*[`&":
        return f"&#{ord(line[0])};{line[1:]}"
    numbered = _NUMBERED.match(line)
    return f"{numbered.group(1)}&#{ord(numbered.group(2))};{line[numbered.end():]}" if numbered else line


def _md_blocks(blocks: tuple[Block, ...]) -> list[str]:
    """Blocks as Markdown lines, a blank line between two."""
    out: list[str] = []
    for block in blocks:
        out += ([""] if out else []) + _md_block(block)
    return out


def _md_block(block: Block) -> list[str]:
    """One block as Markdown lines."""
    if block.kind == "p":
        return [_line(_md_inlines(block.inlines))]
    if block.kind in _HEADINGS:
        return ["#" * int(block.kind[1]) + " " + _line(_md_inlines(block.inlines))]
    if block.kind == "blockquote":
        return [f"> {line}" if line else ">" for line in _md_blocks(block.blocks)]
    if block.kind in ("ul", "ol"):
        return _md_list(block)
    if block.kind == "pre":  # a line of code each, the lines held together by hard breaks
        last = len(block.lines) - 1
        return [_line(_md_code(line)) + ("  " if n < last else "") for n, line in enumerate(block.lines)]
    return ["---"]


def _md_list(block: Block) -> list[str]:
    """A list as Markdown lines: each item's first line after its marker, the others indented under it
    (four spaces at least: Python-Markdown's rule); a blank line between items when one holds more
    than a paragraph."""
    loose = _loose(block)
    out: list[str] = []
    for n, item in enumerate(block.items):
        marker = _marker(block, n)
        indent = " " * max(4, len(marker))
        lines = _md_blocks(item) or [""]
        out += ([""] if out and loose else []) + [(marker + lines[0]).rstrip()]
        out += [indent + line if line else "" for line in lines[1:]]
    return out


def _loose(block: Block) -> bool:
    """Whether an item of the list holds more than a paragraph (then each is written as paragraphs)."""
    return any(len(item) != 1 or item[0].kind != "p" for item in block.items)


def _marker(block: Block, n: int) -> str:
    """The marker of the `n`th item of a list: `- `, or its number."""
    return "- " if block.kind == "ul" else f"{block.start + n}. "


def _md_code(code: str) -> str:
    """Code as a code span (its spaces run together); as words when it holds two backticks in a row (a
    span of it would need a fence of three, which opens a fenced block at the start of a line)."""
    code = " ".join(code.split())
    if not code or "``" in code:
        return _escaped(code)
    return f"`` {code} ``" if "`" in code else f"`{code}`"


def _md_inlines(inlines: tuple[Inline, ...]) -> str:
    """Runs of words as Markdown. Where two meet, neither changes the other: a `!` just before a link is
    a reference (`![` would make it an image), and a space parts two code spans (their backticks would
    run together, and a span closed early would leave its code to be read as Markdown)."""
    out = ""
    for inline in inlines:
        written = _md_inline(inline)
        if written.startswith("[") and out.endswith("!"):
            out = out[:-1] + "&#33;"
        elif written.startswith("`") and out.endswith("`"):
            out += " "
        out += written
    return out


def _md_inline(inline: Inline) -> str:
    """One run of words as Markdown."""
    if inline.kind == "text":
        return _escaped(inline.text)
    if inline.kind == "code":
        return _md_code(inline.text)
    inner = _md_inlines(inline.children)
    if inline.kind == "a":
        return f"[{inner.strip()}](<{inline.href.replace('&', '&amp;')}>)"
    mark = "**" if inline.kind == "strong" else "*"
    words = inner.strip()
    if not words:
        return " " if inner else ""
    before, after = (" " if inner[:1].isspace() else ""), (" " if inner[-1:].isspace() else "")
    return f"{before}{mark}{words}{mark}{after}"


# -- HTML and plain text ------------------------------------------------------------------------
_SPACES = re.compile(r"\s+")


def _html_block(block: Block) -> str:
    """One block as HTML."""
    if block.kind == "p" or block.kind in _HEADINGS:
        return f"<{block.kind}>{_html_inlines(block.inlines).strip()}</{block.kind}>"
    if block.kind == "blockquote":
        return "<blockquote>" + "".join(_html_block(b) for b in block.blocks) + "</blockquote>"
    if block.kind in ("ul", "ol"):
        start = f' start="{block.start}"' if block.kind == "ol" and block.start != 1 else ""
        tight = not _loose(block)
        items = "".join("<li>" + (_html_inlines(item[0].inlines).strip() if tight else
                                  "".join(_html_block(b) for b in item)) + "</li>" for item in block.items)
        return f"<{block.kind}{start}>{items}</{block.kind}>"
    if block.kind == "pre":
        return "<pre><code>" + html.escape("\n".join(block.lines)) + "</code></pre>"
    return "<hr>"


def _html_inlines(inlines: tuple[Inline, ...]) -> str:
    """Runs of words as HTML."""
    out = []
    for inline in inlines:
        if inline.kind == "text":
            out.append(html.escape(_SPACES.sub(" ", inline.text)))
        elif inline.kind == "code":
            out.append(f"<code>{html.escape(_SPACES.sub(' ', inline.text))}</code>")
        elif inline.kind == "a":
            out.append(f'<a href="{html.escape(inline.href)}">{_html_inlines(inline.children)}</a>')
        else:
            out.append(f"<{inline.kind}>{_html_inlines(inline.children)}</{inline.kind}>")
    return "".join(out)


def _text_blocks(blocks: tuple[Block, ...], indent: str = "") -> str:
    """Blocks as plain text: a blank line between two, a list's items on a line each (`- `, `1. `)."""
    out = []
    for block in blocks:
        if block.kind in ("ul", "ol"):
            out.append("\n".join(_text_item(_marker(block, n), item, indent) for n, item in enumerate(block.items)))
        elif block.kind == "blockquote":
            out.append(_text_blocks(block.blocks, indent))
        elif block.kind == "pre":
            out.append("\n".join(indent + line for line in block.lines))
        elif block.kind != "hr":
            out.append(indent + " ".join("".join(_plain(i) for i in block.inlines).split()))
    return "\n\n".join(text for text in out if text)


def _text_item(marker: str, item: tuple[Block, ...], indent: str) -> str:
    """One item of a list as plain text, the lines after its first indented under it."""
    under = indent + " " * len(marker)
    return indent + marker + _text_blocks(item, under).replace("\n\n", "\n").removeprefix(under)


def _plain(inline: Inline) -> str:
    """A run of words as plain text."""
    return inline.text if inline.kind in ("text", "code") else "".join(_plain(i) for i in inline.children)
