"""The author's fast path: preview one report among thousands in a couple of seconds.

`mkdocs serve` rebuilds the whole site on every save; with 2,000 reports that takes tens of
seconds. In preview mode (`handbook preview PATH`, or `HANDBOOK_PREVIEW=PATH`), a build reads and
checks afresh only the report being written; every other report comes from the store of checked
reports a full build keeps (`checks.incremental`, while its file's bytes are the same), and only the
report being written gets a page. The handbook and every index page are still built, from all reports.
"""

from __future__ import annotations

from pathlib import Path

from handbook.checks.collection import Collection
from handbook.checks.incremental import load_incrementally
from handbook.reading.links import Layout
from handbook.reading.taxonomy import Taxonomy


def load_for_preview(files: list[Path], tax: Taxonomy, layout: Layout, target: Path, cache_dir: Path) -> Collection:
    """Return all reports: `target` read and checked afresh, the rest from the store while unchanged.

    `cache_dir` is the store's folder; `Settings.cache_dir` puts it outside the repository. Links are
    checked again on every build: the files they point at may have changed."""
    collection, _ = load_incrementally(files, tax, layout, cache_dir, fresh=frozenset({target}))
    return collection
