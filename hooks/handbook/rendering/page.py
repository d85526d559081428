"""A generated page: its Markdown, and its metadata kept apart from it.

Generated pages carry no front matter. Their title, description and switches reach MkDocs as
data, set on the page by the plugin (`page.meta`), so no text an author wrote can ever be read
by a YAML parser or turn a template engine on (`render_macros` is always False here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handbook.rendering.markup import attr, md


@dataclass(slots=True)
class Page:
    title: str
    """Plain text: the page's title in the browser tab, the navigation and link previews."""
    description: str
    """Plain text: the page's meta description."""
    lines: list[str] = field(default_factory=list)
    """The page's Markdown, line by line (starting with its heading)."""
    listing: bool = True
    """An index page: no table of contents, and out of the search index (its rows are in the reports)."""
    searchable: bool = False
    """A listing that is still in the search index (a service's page: searching a service's name
    should offer it); its tables are kept out of the index by the page itself."""
    data: dict[str, Any] = field(default_factory=dict)
    """More of `page.meta`, as plain data for the theme's templates (which escape it)."""

    @classmethod
    def start(cls, title: str, description: str, *, listing: bool = True, heading: bool = True) -> "Page":
        """A page whose Markdown starts with `title` as its heading (without: the theme writes the title)."""
        return cls(title, description, [f"# {md(title)}", ""] if heading else [], listing)

    @property
    def markdown(self) -> str:
        """The page's Markdown, with no front matter."""
        return "\n".join(self.lines) + "\n"

    def meta(self) -> dict[str, Any]:
        """`page.meta` for MkDocs. Themes print the title and description without escaping them,
        so they are HTML-escaped here."""
        meta: dict[str, Any] = {"title": attr(self.title), "description": attr(self.description),
                                "render_macros": False}
        meta.update(self.data)
        if self.listing:
            meta["hide"] = ["toc"]
            if not self.searchable:
                meta["search"] = {"exclude": True}
        return meta
