"""Real MkDocs builds in temporary folders: the gate on broken reports, and the live preview."""

from __future__ import annotations

import contextlib
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import BIN, TODAY, copy_project, free_port, handbook, mkdocs


def _with_report(tmp_path, text: str, name: str = "report.md"):
    project = copy_project(tmp_path, examples=True)
    (project / "postmortems" / name).write_text(text, encoding="utf-8")
    return project


def _broken(valid_text: str) -> str:
    return valid_text.replace("## Detection\n", "## Detektion\n").replace("severity: SEV2", "severity: SEV9")


@pytest.mark.parametrize("flags", [[], ["-q"], ["--strict"], ["--strict", "-q"]],
                         ids=["plain", "quiet", "strict", "strict-quiet"])
def test_build_fails_on_a_broken_report_listing_every_problem(tmp_path, valid_text, flags):
    project = _with_report(tmp_path, _broken(valid_text))
    result = mkdocs(project, "build", *flags, "-d", "site")
    assert result.code == 1
    assert "postmortems/report.md:4: error [unknown-value]" in result.output
    assert "postmortems/report.md:" in result.output and "[missing-section]" in result.output
    assert "3 error(s)" in result.output
    assert "Traceback" not in result.output
    assert not (project / "site" / "incidents" / "INC-2026-101").exists()


@pytest.mark.parametrize("flags,code", [([], 0), (["-q"], 0), (["--strict"], 1), (["--strict", "-q"], 1)],
                         ids=["plain", "quiet", "strict", "strict-quiet"])
def test_draft_warnings_fail_only_strict_builds(tmp_path, valid_text, flags, code):
    draft = valid_text.replace("status: reviewed", "status: draft").replace("## Summary\n", "## Overview\n")
    result = mkdocs(_with_report(tmp_path, draft), "build", *flags, "-d", "site")
    assert result.code == code, result.output
    if code:
        assert "2 warning(s)" in result.output


def test_examples_build_strictly_with_no_warning(example_site):
    assert (example_site / "index.html").exists()
    assert (example_site / "incidents" / "index.html").exists()


def test_build_of_an_unparseable_file_fails_with_its_line(tmp_path, valid_text):
    project = _with_report(tmp_path, valid_text.replace("title: Checkout", "title: [Checkout"))
    result = mkdocs(project, "build", "-q", "-d", "site")
    assert result.code == 1
    assert "postmortems/report.md:3: error [yaml-syntax]" in result.output


def _server_env(tmp_path) -> dict[str, str]:
    """The whole environment of a live server: a user cache and a TMPDIR inside the test's own folder
    (`mkdocs serve` builds into a temporary folder that a terminated server leaves behind)."""
    temporary = tmp_path / "server-tmp"
    temporary.mkdir(exist_ok=True)
    return {"HANDBOOK_TODAY": TODAY, "NO_MKDOCS_2_WARNING": "1", "PATH": str(BIN),
            "XDG_CACHE_HOME": str(tmp_path / "user-cache"), "TMPDIR": str(temporary)}


def _get(url: str, deadline: float) -> str:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode("utf-8")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_serve_keeps_running_and_shows_the_problems_on_the_page(tmp_path, valid_text):
    project = _with_report(tmp_path, _broken(valid_text))
    broken_yaml = valid_text.replace("id: INC-2026-101", "id: INC-2026-102").replace("title: Checkout",
                                                                                     "title: [Checkout")
    (project / "postmortems" / "unparseable.md").write_text(broken_yaml, encoding="utf-8")
    port = free_port()
    server = subprocess.Popen([str(BIN / "mkdocs"), "serve", "--no-livereload", "-a", f"127.0.0.1:{port}"],
                              cwd=project, env=_server_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        page = _get(f"http://127.0.0.1:{port}/incidents/INC-2026-101/", time.monotonic() + 60)
        assert 'class="admonition failure"' in page
        assert "unknown-value" in page and "missing-section" in page
        # A file whose front matter cannot be read says nothing of who may read it: the author's preview
        # gives it a page with its problems and none of its text (a build leaves it out as restricted).
        unread = _get(f"http://127.0.0.1:{port}/incidents/unparseable/", time.monotonic() + 30)
        assert "yaml-syntax" in unread and "connection pool" not in unread
        assert server.poll() is None  # still serving
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=20)
    assert "postmortems/unparseable.md:3: error [yaml-syntax]" in out


def test_preview_serves_one_report_fast_with_every_index(tmp_path, valid_text):
    project = _with_report(tmp_path, valid_text)
    target = project / "postmortems" / "report.md"
    port = free_port()
    env = _server_env(tmp_path)
    cache_home = Path(env["XDG_CACHE_HOME"])
    server = subprocess.Popen([str(BIN / "handbook"), "preview", str(target), "-a", f"127.0.0.1:{port}"],
                              cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        page = _get(f"{base}/incidents/INC-2026-101/", time.monotonic() + 60)
        assert "Checkout requests timed out" in page
        # every index is still built from all reports, whose pages are not built
        index = _get(f"{base}/incidents/", time.monotonic() + 10)
        assert "INC-2026-001" in index and "INC-2026-101" in index
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{base}/incidents/INC-2026-001/", timeout=5)
        # the cache is JSON in the user's cache folder, never in the checkout
        assert [p.name for p in cache_home.rglob("*") if p.is_file()] == ["checked.json"]  # the one store
        assert not (project / ".cache").exists()
        # an edit shows up, and a new problem is shown on the page
        target.write_text(valid_text.replace("title: Checkout requests timed out", "title: Edited preview title")
                          .replace("## Detection\n", "## Detektion\n"), encoding="utf-8")
        deadline = time.monotonic() + 60
        while "Edited preview title" not in page and time.monotonic() < deadline:
            time.sleep(0.5)
            page = _get(f"{base}/incidents/INC-2026-101/", deadline)
        assert "Edited preview title" in page and "missing-section" in page
        assert server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=20)


def _until(url: str, wanted: str, deadline: float) -> str:
    """Fetch `url` until it holds `wanted`, or `deadline` passes. A request may wait while a rebuild
    runs (MkDocs holds every page until the build in progress is done, and a build takes longer on a
    busy machine, as when the suite runs on several workers), but never past `deadline`: a server
    that does not answer by then hangs, and fails the test."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=max(1.0, deadline - time.monotonic())) as response:
                page = response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:  # a 404 page is an answer too
            page = exc.read().decode("utf-8")
        except TimeoutError:
            pytest.fail(f"{url} did not answer by the deadline: the server hangs")
        if wanted in page or time.monotonic() > deadline:
            return page
        time.sleep(0.5)


BOX = "The handbook cannot be built"


@contextlib.contextmanager
def _serving(project, command: list[str], tmp_path):
    """A live server started with `command` (plus its address); yields its base URL. On the way
    out it must still be running, and it must never have printed a traceback."""
    port = free_port()
    server = subprocess.Popen([*command, "-a", f"127.0.0.1:{port}"], cwd=project, env=_server_env(tmp_path),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield f"http://127.0.0.1:{port}"
        assert server.poll() is None
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=20)
    assert "Traceback" not in out


def test_serve_answers_with_the_problem_while_handbook_yml_is_broken(tmp_path, valid_text):
    project = _with_report(tmp_path, valid_text)
    taxonomy = (project / "handbook.yml").read_text(encoding="utf-8")
    with _serving(project, [str(BIN / "mkdocs"), "serve"], tmp_path) as base:
        assert "Checkout requests timed out" in _get(f"{base}/incidents/INC-2026-101/", time.monotonic() + 60)
        (project / "handbook.yml").write_text(taxonomy.replace("limits:", "limits: [\n"), encoding="utf-8")
        page = _until(f"{base}/", BOX, time.monotonic() + 60)
        assert BOX in page and "handbook.yml:" in page and "yaml-syntax" in page
        # the report's own address answers too, with the theme's 404 page naming the problem
        missing = _until(f"{base}/incidents/INC-2026-101/", BOX, time.monotonic() + 20)
        assert BOX in missing
        assert "(not known)" in _until(f"{base}/handbook/action-items/", BOX, time.monotonic() + 20)
        (project / "handbook.yml").write_text(taxonomy, encoding="utf-8")
        page = _until(f"{base}/incidents/INC-2026-101/", "Checkout requests timed out", time.monotonic() + 60)
        assert "Checkout requests timed out" in page and BOX not in page


def test_preview_answers_with_the_problem_when_its_report_is_deleted(tmp_path, valid_text):
    project = _with_report(tmp_path, valid_text)
    target = project / "postmortems" / "report.md"
    with _serving(project, [str(BIN / "handbook"), "preview", str(target)], tmp_path) as base:
        assert "Checkout requests timed out" in _get(f"{base}/incidents/INC-2026-101/", time.monotonic() + 60)
        target.unlink()
        page = _until(f"{base}/", BOX, time.monotonic() + 60)
        assert BOX in page and "The report to preview" in page


def test_preview_is_refused_for_a_build(tmp_path, valid_text):
    project = _with_report(tmp_path, valid_text)
    result = mkdocs(project, "build", "-d", "site", env={"HANDBOOK_PREVIEW": "postmortems/report.md"})
    assert result.code == 1 and "for `mkdocs serve`" in result.output


# -- the plugin's options are typed and validated by MkDocs, and read the same way by the CLI ------

def _with_options(tmp_path, valid_text, old: str, new: str):
    project = _with_report(tmp_path, valid_text)
    config = (project / "mkdocs.yml").read_text(encoding="utf-8")
    assert old in config
    (project / "mkdocs.yml").write_text(config.replace(old, new, 1), encoding="utf-8")
    return project


def test_a_misspelt_option_is_reported_not_ignored(tmp_path, valid_text):
    project = _with_options(tmp_path, valid_text, "      audience: !ENV", "      audiance: public\n      audience: !ENV")
    result = mkdocs(project, "build", "-d", "site")
    assert result.code == 0 and "audiance" in result.output  # MkDocs' warning for an unknown option
    assert mkdocs(project, "build", "--strict", "-d", "site").code == 1
    from .conftest import handbook
    validate = handbook(project, "validate")
    assert validate.code == 0 and "plugins.handbook.audiance" in validate.err  # the CLI warns too


def test_an_unknown_audience_is_refused_by_the_build_and_the_cli(tmp_path, valid_text):
    project = _with_options(tmp_path, valid_text, "audience: !ENV [HANDBOOK_AUDIENCE, internal]", "audience: everyone")
    build = mkdocs(project, "build", "-d", "site")
    assert build.code == 1 and "'audience'" in build.output and "everyone" in build.output
    from .conftest import handbook
    validate = handbook(project, "validate")
    assert validate.code == 2 and "plugins.handbook.audience" in validate.err and "Traceback" not in validate.output


def test_preview_switches_audience(tmp_path, valid_text):
    from .test_parts import MARKED, marked_report

    project = _with_report(tmp_path, marked_report(valid_text))
    target = project / "postmortems" / "report.md"
    with _serving(project, [str(BIN / "handbook"), "preview", str(target), "--audience", "public"], tmp_path) as base:
        page = _get(f"{base}/incidents/INC-2026-101/", time.monotonic() + 60)
        assert "Checkout requests timed out" in page
        assert not [name for name, phrase in MARKED.items() if phrase in page]
        index = _get(f"{base}/incidents/", time.monotonic() + 10)
        assert "INC-2026-001" in index and "INC-2026-003" not in index  # an internal example is not listed
    with _serving(project, [str(BIN / "handbook"), "preview", str(target), "--audience", "restricted"],
                  tmp_path) as base:
        page = _get(f"{base}/incidents/INC-2026-101/", time.monotonic() + 60)
        assert [name for name, phrase in MARKED.items() if phrase not in page] == []
    refused = handbook(project, "preview", str(target), "--audience", "everyone")
    assert refused.code == 2 and "public, internal, restricted" in refused.err
