"""Where things are: the project root, the handbook plugin's options, and the taxonomy.

The options are declared and validated by the MkDocs plugin (`handbook_mkdocs.options`), for a
build and for the CLI alike; this module turns them into the `Settings` the package works with.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from handbook.reading.links import Layout
from handbook.reading.report_cache import checkout_cache_dir, user_cache_root
from handbook.reading.taxonomy import Taxonomy, load_taxonomy


class SettingsError(Exception):
    """The handbook plugin's options in mkdocs.yml are missing or wrong."""


@dataclass(frozen=True, slots=True)
class Settings:
    root: Path
    """The folder that holds mkdocs.yml."""
    config: Path
    """handbook.yml: the taxonomy."""
    postmortems: Path
    audience: str
    today: dt.date
    site_url: str
    repo_url: str
    preview: Path | None = None
    """The one report being written, in preview mode (`handbook preview`); None for a full build."""
    directory_urls: bool = True
    """MkDocs' `use_directory_urls`: `incidents/INC-1/` (True) or `incidents/INC-1.html` (False)."""
    card_cache: Path | None = None
    """Where the link-preview cards are stored, when not in the user's cache folder (see `cards_dir`)."""
    docs: Path | None = None
    """MkDocs' `docs_dir` (the handbook's pages); `root/docs` when not given."""

    @property
    def layout(self) -> Layout:
        """Where the files a report may link to live."""
        return Layout(self.root, self.postmortems, self.docs or self.root / "docs")

    @property
    def cache_dir(self) -> Path:
        """This checkout's cache folder (the preview's reports, a full build's checked reports, similar
        incidents and calendar): outside the checkout, in the user's cache folder (see `report_cache`),
        so nothing a pull request commits is ever read as a cache."""
        return checkout_cache_dir(self.root)

    @property
    def cards_dir(self) -> Path:
        """The link-preview cards' cache (`rendering.cards`): `card_cache`, else in the user's cache
        folder, never in a checkout, and shared by every checkout, as a card's file name is a hash of
        what it shows."""
        return self.card_cache or user_cache_root() / "cards"

    def load_taxonomy(self) -> Taxonomy:
        """handbook.yml, read and checked (TaxonomyError with located problems when invalid)."""
        return load_taxonomy(self.config, self.config.relative_to(self.root).as_posix()
                             if self.config.is_relative_to(self.root) else str(self.config), self.root)


def settings_from_options(root: Path, block: Mapping[str, Any], *, site_url: str = "", repo_url: str = "",
                          directory_urls: bool = True, docs_dir: str | Path = "docs") -> Settings:
    """Settings from the handbook plugin's validated options (`plugins: - handbook:` in mkdocs.yml)."""
    today_value = block.get("today") or os.environ.get("HANDBOOK_TODAY") or ""
    try:
        today = dt.date.fromisoformat(str(today_value)) if today_value else dt.date.today()
    except ValueError:
        raise SettingsError(f"plugins.handbook.today is `{today_value}`; write it as YYYY-MM-DD, or leave it empty "
                            "for the build date.") from None
    return Settings(
        root=root,
        config=(root / str(block.get("config", "handbook.yml"))).resolve(),
        postmortems=(root / str(block.get("postmortems", "postmortems"))).resolve(),
        audience=str(block.get("audience") or "internal"),
        today=today,
        site_url=site_url or "",
        repo_url=repo_url or "",
        preview=_preview_path(root, block.get("preview") or os.environ.get("HANDBOOK_PREVIEW") or ""),
        directory_urls=directory_urls,
        docs=(root / docs_dir).resolve(),
    )


def _preview_path(root: Path, value: object) -> Path | None:
    if not value:
        return None
    path = (root / str(value)).resolve()
    if not path.is_file():
        raise SettingsError(f"The report to preview, `{value}`, is not a file; give its path, for example "
                            "postmortems/2026/2026-11-03-checkout-latency.md.")
    return path


def find_mkdocs_yml(start: Path) -> Path:
    """The nearest mkdocs.yml in `start` or a folder above it; SettingsError when there is none."""
    for folder in (start, *start.parents):
        candidate = folder / "mkdocs.yml"
        if candidate.is_file():
            return candidate
    raise SettingsError(f"No mkdocs.yml in {start} or any folder above it; run the command inside the "
                        "handbook repository, or pass --config.")
