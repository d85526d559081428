"""Generated HTML from templates, every value escaped by construction.

The parts of a page the handbook draws itself (action items, and more as they move here) are
Jinja templates in `templates/`, rendered with autoescaping on and undefined names refused: a
value reaches the page escaped whatever it holds, without a call to remember at each site.
"""

from __future__ import annotations

from typing import Any

import jinja2

from handbook.rendering.markup import fragment

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("handbook.rendering", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(name: str, **context: Any) -> str:
    """The template `name` rendered with `context`: HTML with every value escaped."""
    return _ENVIRONMENT.get_template(name).render(**context)


def render_fragment(name: str, **context: Any) -> list[str]:
    """The template `name` rendered with `context`, as a fragment of generated HTML for a page."""
    return fragment([line for line in render_html(name, **context).split("\n") if line.strip()])
