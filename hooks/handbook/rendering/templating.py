"""Generated HTML from templates, every value escaped by construction.

The parts of a page the handbook draws itself (action items, and more as they move here) are
Jinja templates in `templates/`, rendered with autoescaping on and undefined names refused: a
value reaches the page escaped whatever it holds, without a call to remember at each site.
"""

from __future__ import annotations

from typing import Any

import jinja2
from markupsafe import Markup

from handbook.rendering.markup import fragment

NOT_KNOWN = Markup('<span class="pm-unknown">not known</span>')


def known(value: Any) -> Any:
    """A value the report may not give, as the page shows it: "not known", never a silent blank.
    (A filter, not a macro: it runs for every field of every page, and a filter is a plain call.)"""
    return NOT_KNOWN if value is None or value == "" else value

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("handbook.rendering", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # the templates are the package's own: no file check on each of thousands of renders
)
_ENVIRONMENT.filters["known"] = known


def render_html(name: str, **context: Any) -> str:
    """The template `name` rendered with `context`: HTML with every value escaped."""
    return _ENVIRONMENT.get_template(name).render(**context)


def render_fragment(name: str, *, searched: bool = True, **context: Any) -> list[str]:
    """The template `name` rendered with `context`, as a fragment of generated HTML for a page (one not
    `searched` is left out of the search index: `markup.fragment`)."""
    return fragment([line for line in render_html(name, **context).split("\n") if line.strip()], searched=searched)
