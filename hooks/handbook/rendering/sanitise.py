"""The rendered HTML of generated pages, cut down to an allowlist after Markdown has run.

Report bodies are the author's Markdown. Whatever a Markdown extension makes of them (attribute
lists, raw HTML in a list continuation, a link scheme written with character references), the
HTML that reaches the page holds only the elements and attributes below, links only to http(s),
mailto, in-page and relative addresses, and no script, style or event handler. We use nh3, the
Python binding of the Rust crate ammonia: an HTML5 parser-based allowlist sanitiser that is
maintained, fast (a report page costs well under a millisecond) and, unlike bleach, not
deprecated.

Generated tables, cards and charts are not sanitised: they are kept out of the Markdown as
fragments (see `markup.fragment`) and put back after this step, each built from escaped values.
"""

from __future__ import annotations

import nh3

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre",
    "s", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul",
}
_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"style", "colspan", "rowspan", "align"},
    "th": {"style", "colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    "details": {"open"},
    "abbr": {"title"},
    # Material's mark of a section left out of the search index (the similar incidents' heading)
    **{f"h{level}": {"data-search-exclude"} for level in range(2, 7)},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
"""The schemes a link may have (besides in-page and relative addresses here); `portable` links to these only."""
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    url_schemes=set(URL_SCHEMES),
    strip_comments=False,      # the fragment markers are comments; an author's are inert text in HTML
    link_rel=None,             # keep headings' permalinks and in-page links as they are
    filter_style_properties={"text-align"},  # Markdown's table alignment, nothing else
    clean_content_tags={"script", "style"},
)


def sanitise(html: str) -> str:
    """`html` with only allowlisted elements, attributes, URL schemes and table alignment left."""
    return _CLEANER.clean(html)
