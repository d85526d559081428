"""Shared fixtures: the repository's own taxonomy, a valid report, and real site builds."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from handbook.reading.links import Layout
from handbook import Taxonomy, load_collection, load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BIN = Path(sys.executable).parent
TODAY = "2026-11-20"  # the fixed "today" of every test build
COPIED = ["mkdocs.yml", "handbook.yml", "docs", "postmortems", "templates", "schema", "overrides",
          "hooks/macros.py"]


RANK = {"public": 0, "internal": 1, "restricted": 2}
USER_CACHE: list[Path] = []
"""The user cache folder (XDG_CACHE_HOME) of the commands the tests run, unless a test names its
own: builds keep their link-preview cards there, not in the cache of whoever runs the tests."""


@pytest.fixture(scope="session", autouse=True)
def user_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A user cache folder for each pytest process: under pytest-xdist each worker is a process of
    its own, with its own session fixtures and its own `USER_CACHE`, so no two workers share a cache
    (the cards' pruning of one would race with the other's reads). XDG_CACHE_HOME is set in this
    process too, for the code the tests run in-process (a plan_site() draws cards into it)."""
    folder = tmp_path_factory.mktemp("user-cache")
    USER_CACHE[:] = [folder]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        yield folder
    USER_CACHE.clear()


def example_reports() -> list[dict]:
    """The example reports' front matter, read with plain YAML (every value stays text), not with
    the package under test; `_path`, `_body` and `_visibility` are added."""
    reports = []
    for path in sorted((ROOT / "postmortems").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        front = yaml.load(text.split("---\n")[1], Loader=yaml.BaseLoader)
        front["_path"] = path
        front["_body"] = text.split("---\n", 2)[2]
        front["_visibility"] = front.get("visibility") or (
            "restricted" if "security" in front.get("tags", []) else "internal")
        reports.append(front)
    return reports


def visible_examples(audience: str = "internal") -> list[dict]:
    """The example reports an audience may read."""
    return [r for r in example_reports() if RANK[r["_visibility"]] <= RANK[audience]]


def is_counted(report: dict) -> bool:
    """Whether an example report is of a kind handbook.yml counts as our own incident (a case study or
    a drill is not: it is on the library page, not in the incident lists, metrics or worklists)."""
    kinds = yaml.safe_load((ROOT / "handbook.yml").read_text(encoding="utf-8"))["kinds"]
    counted = {k["id"]: k.get("counted", True) for k in kinds}
    return counted[report.get("kind", kinds[0]["id"])]


def counted_examples(audience: str = "internal") -> list[dict]:
    """The example reports an audience may read that count as our own incidents."""
    return [r for r in visible_examples(audience) if is_counted(r)]


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy(ROOT / "handbook.yml")


@pytest.fixture(scope="session")
def valid_text() -> str:
    return (FIXTURES / "valid.md").read_text(encoding="utf-8")


def check_text(tmp_path: Path, taxonomy: Taxonomy, text: str | bytes, name: str = "report.md"):
    """Write one report and check it with the domain API; returns (collection, path)."""
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return load_collection([path], taxonomy, Layout.of(tmp_path)), path


def copy_project(dest: Path, *, examples: bool = True) -> Path:
    """A copy of the repository's site sources in `dest`, as a user's fork would have them."""
    for name in COPIED:
        source = ROOT / name
        if not source.exists():
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    if not examples:
        shutil.rmtree(dest / "postmortems")
        (dest / "postmortems").mkdir()
    return dest


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> Run:
    # never the cache of whoever runs the tests: a command run before the session's fixture is a bug
    assert USER_CACHE, "run() before the user_cache fixture: the command would use the real user cache"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HANDBOOK_")}
    environment["XDG_CACHE_HOME"] = str(USER_CACHE[0])
    environment.update({"HANDBOOK_TODAY": TODAY, "NO_MKDOCS_2_WARNING": "1", **(env or {})})
    done = subprocess.run(args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout)
    return Run(done.returncode, done.stdout, done.stderr)


PORTS_PER_WORKER = 500


def _ephemeral_ports() -> tuple[int, int]:
    """The range the kernel hands out ports from for bind(0) and outgoing connections."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text(encoding="ascii").split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 0, 0


def free_port() -> int:
    """A port on 127.0.0.1 for a server a test starts as a command (which binds it itself).

    Between this check and the server's bind another process could take the port. A port from
    bind(0) is drawn from the kernel's ephemeral range, which every other worker's servers, HTTP
    requests and Chromium draw from too; so this takes one below that range, from a slice of its own
    for each pytest-xdist worker (PYTEST_XDIST_WORKER), where nothing is handed out by the kernel and
    no other worker looks. Each candidate is checked by binding it; bind(0) is the fallback."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    start = 20_000 + (int(worker) if worker.isdigit() else 0) * PORTS_PER_WORKER
    low, _ = _ephemeral_ports()
    candidates = random.sample(range(start, start + PORTS_PER_WORKER), 20) \
        if 1024 < start and start + PORTS_PER_WORKER <= low else []
    for port in [*candidates, 0]:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError("no free port on 127.0.0.1")


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A port on 127.0.0.1 where a connection is refused: bound but never listening, and held for
    the whole block, so no other process (another worker's server) can take it meanwhile."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def mkdocs(project: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    return run([str(BIN / "mkdocs"), *args], project, env)


def handbook(project: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    return run([str(BIN / "handbook"), *args], project, env)


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project built once, strictly, for the internal audience. Returns the site folder."""
    project = copy_project(tmp_path_factory.mktemp("example"))
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    return project / "site"
