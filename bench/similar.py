#!/usr/bin/env python3
"""How long "Similar incidents" and the themes page take to compute, at scale.

Usage (from the repository root):

    .venv/bin/python bench/similar.py [--sizes 500,2000] [--rounds 3]

For each N it writes the benchmark's N synthetic reports (`bench/build.py`'s `make_reports`, the
same seed) into a temporary folder, reads them once with the domain package (`load_collection`,
not timed), then times, --rounds times each, `similar_reports` over all N (what a site build does
before drawing the report pages) and the themes page's figures (`themes.themes`). It prints the
median and the fastest round in seconds, the candidate pairs scored, how many reports got at least
one similar report, and the ratio of the 2,000 time to the 500 time (about 4 would be linear, 16
quadratic). A measurement, not a test: exit status 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "hooks")]

from build import TODAY, make_reports, write_reports  # noqa: E402  (bench/build.py)
from handbook import find_reports, load_collection, load_taxonomy  # noqa: E402
from handbook.queries.similarity import similar_reports  # noqa: E402
from handbook.queries.themes import themes  # noqa: E402
from handbook.reading.links import Layout  # noqa: E402


def timed(rounds: int, work) -> tuple[list[float], object]:  # noqa: ANN001 - any callable
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return times, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="500,2000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    tax = load_taxonomy(HERE.parent / "handbook.yml")
    today = dt.date.fromisoformat(TODAY)
    medians: dict[int, float] = {}
    print(f"similarity: top {tax.similarity.top}, min_score {tax.similarity.min_score}, "
          f"max_postings {tax.similarity.max_postings}")
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as work:
            root = Path(work)
            write_reports(root / "postmortems", make_reports(n))
            reports = load_collection(find_reports([root / "postmortems"]), tax, Layout.of(root)).reports
        times, found = timed(args.rounds, lambda: similar_reports(reports, tax.similarity))
        assert isinstance(found, dict)
        listed = sum(1 for matches in found.values() if matches)
        shown = sum(len(matches) for matches in found.values())
        theme_times, _ = timed(args.rounds, lambda: themes(reports, tax, today))
        medians[n] = statistics.median(times)
        print(f"N = {n:5}: similar incidents {statistics.median(times):.2f} s median, {min(times):.2f} s fastest "
              f"({listed} reports with a similar one, {shown} listed); themes {statistics.median(theme_times):.2f} s "
              "median")
    if 500 in medians and 2000 in medians:
        print(f"similar incidents, N = 2000 / N = 500: {medians[2000] / medians[500]:.1f}x "
              "(4x linear, 16x quadratic)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
