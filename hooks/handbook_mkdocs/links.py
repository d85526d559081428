"""Links between pages exactly as MkDocs makes them.

A page's address is its `File.url` and a link between two pages is `get_relative_url` of the two
addresses: MkDocs' own functions, so `use_directory_urls` (and whatever MkDocs does with it next)
means the same for the pages we generate as for every other page.
"""

from __future__ import annotations

from urllib.parse import quote

from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url


class MkDocsLinks:
    """`PageLinks` (hooks/handbook/rendering/routes.py) for one build's `use_directory_urls`."""

    def __init__(self, use_directory_urls: bool) -> None:
        self.use_directory_urls = use_directory_urls
        self._urls: dict[str, str] = {}

    def url(self, src: str) -> str:
        """The address of the page whose docs-relative source path is `src`, as MkDocs serves it."""
        found = self._urls.get(src)
        if found is None:
            found = self._urls[src] = File(src, None, "", self.use_directory_urls).url
        return found

    def destination(self, src: str) -> str:
        """The site path MkDocs writes the file of docs/ at `src` to: a page's HTML, any other file as it is."""
        return File(src, None, "", self.use_directory_urls).dest_uri

    def href(self, src: str, target: str) -> str:
        """The relative link from the page at `src` to the page at `target` (both docs-relative sources)."""
        return get_relative_url(self.url(target), self.url(src))

    def file_href(self, src: str, target: str) -> str:
        """The relative link from the page at `src` to the file written at `target` as it is: its address
        is its path (as a static file's `File.url`), even for a name MkDocs would take for a page."""
        return get_relative_url(quote(target), self.url(src))
