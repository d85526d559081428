"""`make fuzz`: generated report sets through the reader, the checks and every renderer, at volume;
and, in a share of the sets, hostile external messages, Slack exports, tracker state files and
GitHub API answers (served by a GitHub on 127.0.0.1 that each worker starts) through their readers.

    .venv/bin/python -m fuzz.run --reports 100000 --seed 1 --failures fuzz-failures

Sets are split between worker processes (one per core). A worker writes each set to its own
folder before checking it, so when a worker dies (a crash of the interpreter or of libyaml, shown
as a signal) the set it was on is saved and a new worker goes on from the next one. Every failing
set is written to the failures folder as JSON (its seed, index, files and what failed), with its
files beside it; `--replay FILE` checks one again. The exit code is 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hooks"))


def _save(failures: Path, seed: int, index: int, what: list[str], work: Path | None = None) -> None:
    from .check import as_dict
    from .generate import report_set

    failures.mkdir(parents=True, exist_ok=True)
    record = as_dict(report_set(seed, index)) | {"failures": what}
    name = f"seed{seed}-set{index}"
    (failures / f"{name}.json").write_text(json.dumps(record, ensure_ascii=True, indent=1, default=str), encoding="ascii")
    for part, into in (("postmortems", name), ("chat", f"{name}-chat"), ("tracker", f"{name}-tracker")):
        source = work / part if work is not None else None
        if source is not None and source.is_dir():
            _copy(source, failures / into)


def _copy(source: Path, target: Path) -> None:
    """Copy a set's folder as it is: links as links, a named pipe left out."""
    try:
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    except shutil.Error:
        pass  # a named pipe (the record names it): everything else is copied


def worker(seed: int, start: int, stop: int, failures: Path, progress: Path, work: Path) -> int:
    """Check sets [start, stop); write the index being checked to `progress` before each one."""
    from handbook.reading.taxonomy import load_taxonomy

    from .check import check_set
    from .generate import report_set

    tax = load_taxonomy(ROOT / "handbook.yml")
    reports = failed = 0
    for index in range(start, stop):
        generated = report_set(seed, index)
        progress.write_text(json.dumps({"index": index, "reports": reports, "failed": failed}), encoding="ascii")
        found = check_set(generated, work, tax)
        reports += len(generated.reports)
        if found:
            failed += 1
            _save(failures, seed, index, found, work)
    progress.write_text(json.dumps({"index": stop, "reports": reports, "failed": failed}), encoding="ascii")
    return 0


def _spawn(seed: int, start: int, stop: int, failures: Path, scratch: Path, number: int) -> tuple[subprocess.Popen, Path, Path]:
    progress = scratch / f"progress-{number}"
    work = scratch / f"work-{number}"
    command = [sys.executable, "-m", "fuzz.run", "--worker", "--seed", str(seed), "--start", str(start),
               "--stop", str(stop), "--failures", str(failures), "--progress", str(progress), "--work", str(work)]
    # The kept reports of every set go to the scratch folder, removed at the end, never to the user's cache.
    env = {**os.environ, "XDG_CACHE_HOME": str(scratch / "cache")}
    return subprocess.Popen(command, cwd=ROOT, env=env), progress, work


def drive(reports: int, seed: int, failures: Path, workers: int) -> int:
    """Run sets until at least `reports` reports were checked; print the figures; 1 if anything failed."""
    from .generate import report_set, set_size

    # sets hold 1 to 6 reports: find how many sets make up the number of reports asked for
    sets, counted = 0, 0
    while counted < reports:
        counted += set_size(seed, sets)
        sets += 1
    started = time.monotonic()
    crashes: list[int] = []
    totals = {"reports": 0, "failed": 0}
    bounds = [sets * n // workers for n in range(workers + 1)]
    pending = [(bounds[n], bounds[n + 1]) for n in range(workers) if bounds[n] < bounds[n + 1]]
    with tempfile.TemporaryDirectory(prefix="handbook-fuzz-") as scratch_name:
        scratch = Path(scratch_name)
        running = [(*_spawn(seed, a, b, failures, scratch, n), b) for n, (a, b) in enumerate(pending)]
        number = len(running)
        while running:
            still = []
            for process, progress, work, stop in running:
                code = process.poll()
                if code is None:
                    still.append((process, progress, work, stop))
                    continue
                text = progress.read_text(encoding="ascii") if progress.exists() else ""
                done = json.loads(text) if text else {"index": -1, "reports": 0, "failed": 0}
                totals["reports"] += done["reports"]
                totals["failed"] += done["failed"]
                if code == 0 and done["index"] == stop:
                    continue
                # the worker died on a set: save it as a crash, and go on from the next one
                index = done["index"]
                crashes.append(index)
                if index >= 0:
                    _save(failures, seed, index, [f"the process ended with exit code {code} on this set"], work)
                    totals["reports"] += len(report_set(seed, index).reports)
                    if index + 1 < stop:
                        number += 1
                        still.append((*_spawn(seed, index + 1, stop, failures, scratch, number), stop))
            running = still
            time.sleep(0.2)
    elapsed = time.monotonic() - started
    failed = totals["failed"]
    print(f"fuzz: seed {seed}: {totals['reports']:,} reports in {sets:,} sets checked in {elapsed:,.0f} s "
          f"({workers} workers): {failed} failing set(s), {len(crashes)} crash(es).")
    if failed or crashes:
        print(f"fuzz: failing sets written to {failures}/ (replay one with --replay FILE).")
        return 1
    return 0


def replay(record: Path) -> int:
    from handbook.reading.taxonomy import load_taxonomy

    from .check import check_set
    from .generate import report_set

    document = json.loads(record.read_text(encoding="ascii"))
    generated = report_set(int(document["seed"]), int(document["index"]))
    with tempfile.TemporaryDirectory(prefix="handbook-replay-") as work:
        os.environ["XDG_CACHE_HOME"] = str(Path(work) / "cache")  # as the workers: nothing kept in the user's cache
        found = check_set(generated, Path(work) / "set", load_taxonomy(ROOT / "handbook.yml"))
    print("\n".join(found) if found else "no failure")
    return 1 if found else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=100_000, help="reports to generate (default 100,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--failures", type=Path, default=ROOT / "fuzz-failures")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--replay", type=Path, help="check the set a failure file names again")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stop", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--progress", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replay:
        return replay(args.replay)
    if args.worker:
        return worker(args.seed, args.start, args.stop, args.failures.resolve(), args.progress, args.work)
    return drive(args.reports, args.seed, args.failures.resolve(), max(1, args.workers))


if __name__ == "__main__":
    sys.exit(main())
