"""The GitHub side: the workflows pass actionlint and do what the README promises, the
pre-commit hooks run real commands, and `handbook validate --summary` writes a safe job summary."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from handbook.core.problems import Level, Problem
from handbook.rendering.reporting import render_summary, summary_line

from .conftest import ROOT, copy_project, handbook

WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).parent / "actionlint"
GUARD = "env.SLACK_WEBHOOK_URL != ''"


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the key `on` as True.
    on = workflow.get("on", workflow.get(True))
    return {on: None} if isinstance(on, str) else dict(on)


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def step_running(job: dict, command: str) -> tuple[int, dict]:
    found = [(i, s) for i, s in enumerate(job["steps"]) if command in s.get("run", "")]
    assert len(found) == 1, f"expected one step running {command!r}, found {len(found)}"
    return found[0]


def actionlint(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT.exists(), f"{ACTIONLINT} is missing: run `make test` (it is pinned in requirements.lock)"
    return subprocess.run([str(ACTIONLINT), "-no-color", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


# -- actionlint ---------------------------------------------------------------------------------

def test_every_workflow_passes_actionlint():
    files = sorted(WORKFLOWS.glob("*.y*ml"))
    assert {f.name for f in files} >= {"pull-request.yml", "publish.yml", "digest.yml", "sync-tracker.yml"}
    done = actionlint(*(str(f.relative_to(ROOT)) for f in files))
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_actionlint_really_finds_problems(tmp_path):
    """So that the test above cannot pass by linting nothing."""
    text = (WORKFLOWS / "pull-request.yml").read_text(encoding="utf-8")
    broken = text.replace("    runs-on: ubuntu-latest", "    needs: no-such-job\n    runs-on: ubuntu-latest", 1)
    broken = broken.replace("steps.setup.outcome == 'success'", "steps.setup.outcome == ", 1)
    assert broken != text
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "broken.yml").write_text(broken, encoding="utf-8")
    done = actionlint(".github/workflows/broken.yml", cwd=tmp_path)
    assert done.returncode == 1
    assert "no-such-job" in done.stdout
    assert "[expression]" in done.stdout


def test_actions_are_pinned_to_a_major_version():
    for path in WORKFLOWS.glob("*.yml"):
        for step in steps(yaml.safe_load(path.read_text(encoding="utf-8"))):
            if "uses" in step:
                assert re.fullmatch(r"actions/[a-z-]+@v\d+", step["uses"]), (path.name, step["uses"])


def test_workflows_read_only_by_default_and_time_limited():
    for path in WORKFLOWS.glob("*.yml"):
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert workflow["permissions"] == {"contents": "read"}, path.name
        assert "concurrency" in workflow, path.name
        for name, job in workflow["jobs"].items():
            assert 0 < job["timeout-minutes"] <= 30, (path.name, name)


# -- pull request -------------------------------------------------------------------------------

def test_pull_request_validates_then_builds_then_tests():
    workflow = load("pull-request.yml")
    assert "pull_request" in triggers(workflow)
    assert workflow["concurrency"]["cancel-in-progress"] is True
    (job,) = workflow["jobs"].values()
    setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"] == {"python-version": "3.11", "cache": "pip", "cache-dependency-path": "requirements.lock"}
    v, validate = step_running(job, "handbook validate --format github")
    assert '--summary "$GITHUB_STEP_SUMMARY"' in validate["run"]
    assert "continue-on-error" not in validate  # a report with an error fails the check
    b, build = step_running(job, "make build")
    c, chromium = step_running(job, "apt-get install -y --no-install-recommends chromium")
    t, test = step_running(job, "make test")
    assert v < b < c < t
    for later in (build, chromium, test):  # still run, and report, after a validation failure
        assert "!cancelled()" in later["if"]


# -- publish and digest -------------------------------------------------------------------------

def test_publish_builds_for_the_configured_audience_and_deploys_to_pages():
    workflow = load("publish.yml")
    assert triggers(workflow) == {"push": {"branches": ["main"]}, "workflow_dispatch": None}
    assert workflow["env"]["HANDBOOK_AUDIENCE"] == "${{ vars.HANDBOOK_AUDIENCE }}"  # no default: see below
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    step_running(build, "make build")
    assert any(s.get("uses", "").startswith("actions/upload-pages-artifact@") and s["with"]["path"] == "site"
               for s in build["steps"])
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert "public" in (WORKFLOWS / "publish.yml").read_text(encoding="utf-8")  # the warning for public sites


def test_publish_keeps_the_whole_user_cache_folder_between_runs(tmp_path):
    """The build's user cache folder (cards, checked reports, kept answers) is restored before the build
    under a key new on every run, from the newest one saved before, and is the folder the build uses:
    the step that names it gives what `report_cache.user_cache_root` gives, with and without
    XDG_CACHE_HOME."""
    import os

    job = load("publish.yml")["jobs"]["build"]
    f, find = next((i, s) for i, s in enumerate(job["steps"]) if s.get("id") == "user-cache")
    r, restore = next((i, s) for i, s in enumerate(job["steps"]) if s.get("uses", "").startswith("actions/cache@"))
    b, _ = step_running(job, "make build")
    assert f < r < b
    assert restore["with"] == {"path": "${{ steps.user-cache.outputs.path }}",
                               "key": "handbook-cache-${{ github.run_id }}-${{ github.run_attempt }}",
                               "restore-keys": "handbook-cache-"}
    script = ("import sys; sys.path.insert(0, sys.argv[1]); "
              "from handbook.reading.report_cache import user_cache_root; print(user_cache_root())")
    for xdg in (None, str(tmp_path / "xdg")):
        env = {k: v for k, v in os.environ.items() if k != "XDG_CACHE_HOME"}
        env["HOME"] = str(tmp_path / "home")
        if xdg is not None:
            env["XDG_CACHE_HOME"] = xdg
        output = tmp_path / "output"
        output.write_text("", encoding="utf-8")
        subprocess.run(["bash", "-c", find["run"]], env={**env, "GITHUB_OUTPUT": str(output)}, check=True, timeout=60)
        found = subprocess.run([sys.executable, "-c", script, str(ROOT / "hooks")], env=env, capture_output=True,
                               text=True, check=True, timeout=60).stdout.strip()
        assert output.read_text(encoding="utf-8") == f"path={found}\n"


def test_publish_announces_only_on_push_and_only_when_the_secret_is_set():
    workflow = load("publish.yml")
    job = workflow["jobs"]["announce"]
    assert job["needs"] == "deploy"
    assert job["if"] == "github.event_name == 'push'"
    assert job["env"] == {"SLACK_WEBHOOK_URL": "${{ secrets.SLACK_WEBHOOK_URL }}"}
    _, announce = step_running(job, "handbook announce")
    assert announce["run"] == '.venv/bin/handbook announce --since "$BEFORE" --post'
    assert announce["env"]["BEFORE"] == "${{ github.event.before }}"
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    assert all(step["if"] == GUARD for step in job["steps"])
    # The webhook reaches no other job.
    for name, other in workflow["jobs"].items():
        if name != "announce":
            assert "SLACK_WEBHOOK_URL" not in json.dumps(other), name


def test_digest_runs_weekly_and_posts_only_when_the_secret_is_set():
    workflow = load("digest.yml")
    assert triggers(workflow) == {"schedule": [{"cron": "0 8 * * 1"}], "workflow_dispatch": None}
    (job,) = workflow["jobs"].values()
    assert job["env"] == {"SLACK_WEBHOOK_URL": "${{ secrets.SLACK_WEBHOOK_URL }}"}
    _, digest = step_running(job, "handbook digest --post")
    assert all(step["if"] == GUARD for step in job["steps"])
    assert digest["run"].rstrip().endswith(".venv/bin/handbook digest --post")


def test_sync_tracker_opens_issues_then_pulls_states_then_proposes_a_pull_request():
    workflow = load("sync-tracker.yml")
    assert triggers(workflow) == {"schedule": [{"cron": "30 6 * * *"}], "workflow_dispatch": None}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "write", "issues": "write", "pull-requests": "write"}
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False  # the push step alone gets git credentials
    a, apply = step_running(job, "handbook sync github --apply")
    p, pull = step_running(job, "handbook sync github --pull")
    r, propose = step_running(job, "gh pr create")
    assert a < p < r
    token = "${{ secrets.HANDBOOK_GITHUB_TOKEN || secrets.GITHUB_TOKEN }}"
    assert apply["env"]["HANDBOOK_GITHUB_TOKEN"] == pull["env"]["HANDBOOK_GITHUB_TOKEN"] == token
    # The changes go to a branch of their own and a pull request, never to the default branch.
    assert propose["env"]["BRANCH"] == "handbook/sync-tracker"
    assert 'git push --force origin "$BRANCH"' in propose["run"]
    assert re.findall(r"git push[^\n]*", propose["run"]) == ['git push --force origin "$BRANCH"']
    assert '--base "$BASE" --head "$BRANCH"' in propose["run"]
    assert "HANDBOOK_GITHUB_TOKEN" not in json.dumps(propose)
    for name, other in workflow["jobs"].items():
        assert "secrets.HANDBOOK_GITHUB_TOKEN" not in json.dumps([s for s in other["steps"] if s not in (apply, pull)])


# -- pre-commit hooks, template, code owners ----------------------------------------------------

def test_pre_commit_hooks_run_the_handbook_command(tmp_path):
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert set(hooks) == {"handbook-validate", "handbook-schema-check"}
    validate, schema = hooks["handbook-validate"], hooks["handbook-schema-check"]
    assert (validate["entry"], validate["language"], validate["pass_filenames"]) == ("handbook validate", "python", True)
    assert (schema["entry"], schema["language"], schema["pass_filenames"]) == ("handbook schema --check", "python", False)
    assert re.search(validate["files"], "postmortems/2026/2026-10-05-checkout.md")
    assert not re.search(validate["files"], "docs/handbook/index.md")
    assert not re.search(validate["files"], "postmortems/2026/notes.txt")
    assert re.search(schema["files"], "handbook.yml") and not re.search(schema["files"], "handbook.yml.bak")
    # `language: python` installs the repository: the console script must be declared.
    assert 'handbook = "handbook.cli:main"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    # The entries are real commands that pass on the examples, as pre-commit would run them.
    project = copy_project(tmp_path)
    reports = sorted(str(p.relative_to(project)) for p in (project / "postmortems").rglob("*.md"))
    assert reports
    for entry, args in ((validate["entry"], reports), (schema["entry"], [])):
        done = handbook(project, *entry.split()[1:], *args)
        assert done.code == 0, done.output


def test_pull_request_template_covers_the_checklist():
    text = (ROOT / ".github" / "pull_request_template.md").read_text(encoding="utf-8")
    for needle in ("Front matter", "Timeline", "three", "two layers", "owner", "due", "priority", "category",
                   "verification", "Status", "make serve", "handbook validate", "Reviewers", "restricted"):
        assert needle.lower() in text.lower(), needle
    assert text.count("- [ ]") >= 10


def test_codeowners_example_assigns_each_area():
    rules = {}
    for line in (ROOT / ".github" / "CODEOWNERS.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *owners = line.split()
            assert owners and all(re.fullmatch(r"@[\w-]+/[\w-]+", o) for o in owners), line
            rules[pattern] = owners
    assert rules["/postmortems/"] == ["@larkspur/incident-review"]
    assert "@larkspur/handbook-maintainers" in rules["/handbook.yml"]
    assert rules["/hooks/"] == ["@larkspur/handbook-maintainers"]
    assert rules["/docs/"] == ["@larkspur/incident-response-leads"]


# -- handbook validate --summary ----------------------------------------------------------------

def table_rows(summary: str) -> list[str]:
    return [line for line in summary.splitlines() if line.startswith("|")]


def test_validate_appends_a_summary_per_file(tmp_path, valid_text):
    project = copy_project(tmp_path / "project", examples=False)
    folder = project / "postmortems"
    (folder / "clean.md").write_text(valid_text, encoding="utf-8")
    broken = valid_text.replace("id: INC-2026-101", "id: INC-2026-102").replace("severity: SEV2", 'severity: "SEV|2"')
    (folder / "broken.md").write_text(broken, encoding="utf-8")
    summary = tmp_path / "step-summary.md"
    summary.write_text("# Written by an earlier step\n", encoding="utf-8")

    plain = handbook(project, "validate", "--format", "github")
    first = handbook(project, "validate", "--format", "github", "--summary", str(summary))
    assert (first.code, first.out) == (plain.code, plain.out) == (1, plain.out)  # stdout unchanged
    handbook(project, "validate", "--format", "github", "--summary", str(summary))
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# Written by an earlier step\n")  # appended, not overwritten
    assert text.count("## Postmortem validation") == 2

    problems = json.loads(handbook(project, "validate", "--format", "json").out)["problems"]
    assert problems and {p["file"] for p in problems} == {"postmortems/broken.md"}
    assert "### postmortems/broken.md" in text
    assert "clean.md" not in text
    severity_line = broken.splitlines().index('severity: "SEV|2"') + 1
    for p in problems:
        assert f"| {p['line']} | {p['level']} | {p['rule']} | " in text
    assert any(p["line"] == severity_line and p["rule"] == "unknown-value" and "|" in p["message"] for p in problems)
    header = "| Line | Level | Rule | Message | Fix |"
    for row in table_rows(text):  # the `|` in the message did not add a column
        assert row.count("|") == header.count("|"), row
    assert "SEV&#124;2" in text


def test_validate_summary_of_a_clean_run_and_an_empty_path(tmp_path, valid_text):
    project = copy_project(tmp_path / "project", examples=False)
    (project / "postmortems" / "clean.md").write_text(valid_text, encoding="utf-8")
    summary = tmp_path / "summary.md"
    done = handbook(project, "validate", "--summary", str(summary))
    assert done.code == 0, done.output
    text = summary.read_text(encoding="utf-8")
    assert "no problems" in text and not table_rows(text)
    # `--summary "$GITHUB_STEP_SUMMARY"` outside Actions: the variable is empty, nothing is written.
    assert handbook(project, "validate", "--summary", "").code == 0
    assert sorted(p.name for p in project.iterdir()) == sorted(p.name for p in copy_project(tmp_path / "again").iterdir())


def test_validate_summary_that_cannot_be_written_exits_2(tmp_path, valid_text):
    project = copy_project(tmp_path / "project", examples=False)
    done = handbook(project, "validate", "--summary", str(tmp_path / "no-such-folder" / "summary.md"))
    assert done.code == 2
    assert "Cannot write the summary" in done.err and "Traceback" not in done.output


def test_render_summary_keeps_user_text_inside_its_cell():
    problems = [
        Problem("postmortems/a_b.md", 7, "unknown-value", Level.ERROR, "`x` is `a | b`\nand <script>alert(1)</script>",
                "Use one of: a, b | c."),
        Problem("postmortems/a_b.md", 9, "placeholder", Level.WARNING, "TODO left in the text."),
    ]
    text = render_summary(problems, 3)
    rows = table_rows(text)
    assert len(rows) == 4  # header, delimiter, two problems
    assert all(row.count("|") == 6 for row in rows)
    assert "<script>" not in text and "\nand" not in text
    assert "| 7 | error | unknown-value |" in text and "| 9 | warning | placeholder |" in text
    assert summary_line(problems, 3).split(":")[0] in text
    assert "1 error, 1 warning." in text


@pytest.mark.parametrize("limit", [1, 2])
def test_render_summary_is_bounded(limit):
    problems = [Problem(f"postmortems/{i}.md", i + 1, "placeholder", Level.WARNING, "TODO") for i in range(3)]
    rows = [r for r in table_rows(render_summary(problems, 3, limit=limit)) if r.startswith("| ") and "Line" not in r]
    assert len(rows) == limit
    assert f"{3 - limit} more problem" in render_summary(problems, 3, limit=limit)


@pytest.mark.parametrize("name,job", [("publish.yml", "build"), ("digest.yml", "digest")])
def test_publishing_fails_closed_until_the_audience_is_set(name, job):
    """Without HANDBOOK_AUDIENCE nothing is built, deployed or posted (the first step of the job fails and
    says how to set it), rather than internal reports on a host that may be public."""
    steps = load(name)["jobs"][job]["steps"]
    assert load(name)["env"]["HANDBOOK_AUDIENCE"] == "${{ vars.HANDBOOK_AUDIENCE }}"
    first = steps[0]
    assert first["name"] == "Check that the audience is set"
    for value, code in [("", 1), ("Public", 1), ("everyone", 1), ("public", 0), ("internal", 0), ("restricted", 0)]:
        env = {"PATH": "/usr/bin:/bin", "HANDBOOK_AUDIENCE": value}
        done = subprocess.run(["bash", "-e", "-c", first["run"]], env=env, capture_output=True, text=True)
        assert done.returncode == code, (value, done.stdout, done.stderr)
        if code:
            assert done.stdout.startswith("::error title=HANDBOOK_AUDIENCE is not set::")
            assert "Settings > Secrets and variables > Actions > Variables" in done.stdout
