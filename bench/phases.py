"""Where one MkDocs build spends its time: per phase, and per kind of page.

Usage (on projects kept by the benchmark):

    .venv/bin/python bench/build.py --sizes 2000 --rounds 1 --keep /tmp/bench
    .venv/bin/python bench/phases.py /tmp/bench/n2000/full      # the site with our hooks
    .venv/bin/python bench/phases.py /tmp/bench/n2000/plain     # plain Material, same files

It builds the project in this process (into a temporary folder) with timers around MkDocs'
page steps (Markdown to HTML; template, search and post-page), Material's search indexing and
every plugin event, and prints the totals with milliseconds per page. A measurement aid for
finding where the full site costs more than the baseline; not a test.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TIMES: dict[tuple[str, str], float] = collections.defaultdict(float)
COUNTS: collections.Counter[tuple[str, str]] = collections.Counter()


def kind(page: Any) -> str:
    uri = page.file.src_uri
    if uri.startswith("incidents/INC-"):
        return "report pages"
    if uri.startswith("reports/"):
        return "report pages (plain)"
    if uri.startswith("handbook/") or uri == "index.md":
        return "handbook pages"
    return "generated indexes"


def timed_per_page(owner: Any, name: str, label: str, *, method: bool = False) -> None:
    """Time `owner.name`, whose first argument (after `self` for a method) is the page."""
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        page = args[1] if method else args[0]
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMES[(label, kind(page))] += time.perf_counter() - started
            COUNTS[(label, kind(page))] += 1

    setattr(owner, name, wrapper)


def timed_event(owner: Any, name: str) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMES[("event " + name, "")] += time.perf_counter() - started

    setattr(owner, name, wrapper)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path, help="a folder with mkdocs.yml")
    args = parser.parse_args()
    os.environ.setdefault("HANDBOOK_TODAY", "2026-11-20")
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    os.chdir(args.project)

    import mkdocs.commands.build as build
    from material.plugins.search import plugin as search
    from mkdocs.config import load_config

    timed_per_page(build, "_populate_page", "1 Markdown to HTML")
    timed_per_page(build, "_build_page", "2 template, search, post-page")
    timed_per_page(search.SearchIndex, "add_entry_from_context", "2a of which search indexing", method=True)
    with tempfile.TemporaryDirectory() as site:
        started = time.perf_counter()
        config = load_config("mkdocs.yml", site_dir=site)
        loaded = time.perf_counter()
        for event in ("on_config", "on_files", "on_nav", "on_env", "on_page_content", "on_post_page",
                      "on_post_build"):
            timed_event(config.plugins, event)
        config.plugins.on_startup(command="build", dirty=False)
        build.build(config)
        done = time.perf_counter()
    print(f"{args.project}: load_config {loaded - started:.2f} s, build {done - loaded:.2f} s")
    for (label, what), seconds in sorted(TIMES.items()):
        count = COUNTS[(label, what)]
        per_page = f"  ({count} pages, {1000 * seconds / count:.1f} ms/page)" if count else ""
        print(f"  {label:<32} {what:<22} {seconds:7.2f} s{per_page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
