"""`handbook sync github`, run as a command against a real HTTP server on 127.0.0.1 that answers the part
of GitHub's REST API PyGithub calls for it: the repository, the token's user, the issues (listed over
several pages with `Link` headers, opened, closed), the assignees; with scripted failures (401, 403,
404, a rate limit, a redirect) and a server that echoes the token, gives odd issue addresses, or lists
pages for ever.

What the server received is checked here, and the reports are read back with our reader; the token
given to every command must appear in no output and no file, in any case or encoding.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from handbook.core.problems import ProblemSink
from handbook.reading.source import read_source

from .conftest import BIN, FIXTURES, ROOT, copy_project, handbook, mkdocs, refused_port, run

TOKEN = "ghp_T0kenNeverPrinted4242"
REPO = "larkspur/postmortems"
SITE = "https://handbook.larkspur.example"
LEDGER = "postmortems/2026/2026-11-12-ledger-anti-wraparound-vacuum.md"
EDGE = "postmortems/2026/2026-02-09-edge-proxy-circuit-breaker-outage.md"
IDENTITY = "postmortems/2026/2026-04-17-identity-credential-stuffing.md"
PAGE_SIZE = 2


# -- a small GitHub ------------------------------------------------------------------------------
@dataclass
class GitHub:
    """The state of the fake repository and every request it answered."""

    base: str = ""
    issues: list[dict] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    created: list[dict] = field(default_factory=list)
    """The JSON bodies of the POSTs that opened an issue."""
    script: list[tuple[str, int, dict[str, str], dict]] = field(default_factory=list)
    """(method, status, headers, body) answered instead, once each, to the next request of that method."""
    assignable: set[str] = field(default_factory=lambda: {"mei-ling-zhou", "kwame-mensah"})
    repository: str = REPO
    login: str | None = "handbook-bot"
    """The token's user, as `GET /user` answers; None: an app's token, which `GET /user` refuses."""
    address: str = "{base}/{repo}/{kind}/{number}"
    """How an issue's `html_url` is written."""
    endless: bool = False
    """Every page of the listing has a next one."""
    next_base: str = ""
    """Where the listing's next pages are said to be (empty: here)."""

    @property
    def author(self) -> str:
        """Who the issues the token opens are opened by."""
        return self.login or "handbook-app[bot]"

    def issue(self, number: int, title: str, body: str, state: str = "open", pull: bool = False,
              user: str | None = None) -> dict:
        kind = "pull" if pull else "issues"
        data = {"url": f"{self.base}/api/v3/repos/{self.repository}/issues/{number}",
                "html_url": self.address.format(base=self.base, repo=self.repository, kind=kind, number=number),
                "id": 1000 + number, "number": number, "title": title, "body": body, "state": state,
                "state_reason": None if state == "open" else "completed", "labels": [], "assignees": [],
                "assignee": None, "comments": 0, "created_at": "2026-11-01T00:00:00Z",
                "updated_at": "2026-11-01T00:00:00Z", "closed_at": None,
                "user": {"login": user, "id": 7, "type": "Bot" if user.endswith("[bot]") else "User"} if user else None,
                "performed_via_github_app": {"id": 9, "slug": "handbook-app"} if user and user.endswith("[bot]")
                else None}
        if pull:
            data["pull_request"] = {"url": data["url"].replace("/issues/", "/pulls/")}
        return data

    def add(self, title: str, body: str = "", state: str = "open", pull: bool = False,
            user: str | None = None) -> dict:
        data = self.issue(len(self.issues) + 1, title, body, state, pull, user)
        self.issues.append(data)
        return data

    def by_number(self, number: int) -> dict:
        return next(i for i in self.issues if i["number"] == number)

    def count(self, method: str, path_start: str = "") -> int:
        return sum(1 for m, p in self.requests if m == method and p.startswith(path_start))


class _Handler(BaseHTTPRequestHandler):
    def _answer(self, status: int, body: object = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        hub: GitHub = self.server.hub  # type: ignore[attr-defined]
        url = urllib.parse.urlsplit(self.path)
        hub.requests.append((method, url.path))
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"null") if length else None
        for index, (scripted, status, headers, body) in enumerate(hub.script):
            if scripted == method:
                del hub.script[index]
                # A server that echoes what it was sent: the token must still not be printed.
                text = json.dumps(body)
                for name, form in echoes(self.headers.get("Authorization", "")).items():
                    text = text.replace("{" + name + "}", json.dumps(form)[1:-1])
                return self._answer(status, json.loads(text), headers)
        if self.headers.get("Authorization") != f"token {TOKEN}":
            return self._answer(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com"})
        if method == "GET" and url.path == "/api/v3/user":
            if hub.login is None:
                return self._answer(403, {"message": "Resource not accessible by integration"})
            return self._answer(200, {"login": hub.login, "id": 7, "type": "User"})
        prefix = f"/api/v3/repos/{hub.repository}"
        path = url.path
        if not path.startswith(prefix + "") or (path != prefix and not path.startswith(prefix + "/")):
            return self._answer(404, {"message": "Not Found"})
        rest = path[len(prefix):]
        if method == "GET" and rest == "":
            return self._answer(200, {"id": 1, "name": hub.repository.split("/")[1], "full_name": hub.repository,
                                      "url": f"{hub.base}{prefix}", "html_url": f"{hub.base}/{hub.repository}"})
        if method == "GET" and rest == "/issues":
            query = urllib.parse.parse_qs(url.query)
            assert query.get("state") == ["all"], query
            page = int(query.get("page", ["1"])[0])
            last = page + 1 if hub.endless else max(1, -(-len(hub.issues) // PAGE_SIZE))
            chunk = hub.issues[:PAGE_SIZE] if hub.endless else hub.issues[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
            links = []
            base = f"{hub.next_base or hub.base}{prefix}/issues?state=all&per_page=100"
            if page < last:
                links += [f'<{base}&page={page + 1}>; rel="next"', f'<{base}&page={last}>; rel="last"']
            return self._answer(200, chunk, {"Link": ", ".join(links)} if links else {})
        found = re.fullmatch(r"/assignees/([^/]+)", rest)
        if method == "GET" and found:
            return self._answer(204 if found[1] in hub.assignable else 404,
                                None if found[1] in hub.assignable else {"message": "Not Found"})
        if method == "POST" and rest == "/issues":
            hub.created.append(payload)
            issue = hub.add(payload["title"], payload.get("body") or "", user=hub.author)
            issue["labels"] = [{"name": n} for n in payload.get("labels", [])]
            issue["assignees"] = [{"login": a} for a in payload.get("assignees", [])]
            return self._answer(201, issue)
        found = re.fullmatch(r"/issues/(\d+)", rest)
        if found and method in ("GET", "PATCH"):
            issue = hub.by_number(int(found[1]))
            if method == "PATCH":
                issue.update({k: v for k, v in payload.items() if k in ("state", "state_reason")})
            return self._answer(200, issue)
        return self._answer(404, {"message": "Not Found"})

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle("PATCH")

    def log_message(self, *args: object) -> None:
        pass


def echoes(secret: str) -> dict[str, str]:
    """The forms a server may echo `secret` in, by the name a scripted answer writes `{name}` for."""
    return {"authorization": secret, "AUTHORIZATION": secret.upper(), "authorization_lower": secret.lower(),
            "authorization_percent": "".join(f"%{byte:02X}" for byte in secret.encode()),
            "authorization_base64": base64.b64encode(secret.encode()).decode(),
            "authorization_json": "".join(f"\\u{ord(char):04x}" for char in secret)}


@contextmanager
def serving() -> Iterator[GitHub]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    state = GitHub(base=f"http://127.0.0.1:{server.server_address[1]}")
    server.hub = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hub():
    with serving() as state:
        yield state


def make_project(tmp_path: Path, api: str) -> Path:
    """Three of the examples (one with tickets everywhere, one restricted) and a case study, with
    handbook.yml's `github.api_url` pointed at `api`."""
    project = copy_project(tmp_path / "project", examples=False)
    for rel in (LEDGER, EDGE, IDENTITY, "postmortems/2026/2026-02-09-edge-5xx-ratio.png"):
        target = project / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / rel).read_bytes())
    study = (FIXTURES / "valid.md").read_text(encoding="utf-8").replace("status: reviewed\n",
                                                                       "status: reviewed\nkind: case-study\n", 1)
    (project / "postmortems" / "2026" / "case-study.md").write_text(study, encoding="utf-8")
    config = project / "handbook.yml"
    text = config.read_text(encoding="utf-8")
    assert "  api_url: https://api.github.com " in text
    config.write_text(text.replace("  api_url: https://api.github.com ", f"  api_url: {api} ", 1), encoding="utf-8")
    return project


def env(token: str | None = TOKEN) -> dict[str, str]:
    found = {"NO_PROXY": "*", "no_proxy": "*", "GITHUB_TOKEN": "", "HANDBOOK_GITHUB_MAX_WAIT": "5",
             "HANDBOOK_GITHUB_WRITE_PAUSE": "0"}  # the local server needs no pause between writes
    if token is not None:
        found["HANDBOOK_GITHUB_TOKEN"] = token
    return found


def snapshot(project: Path) -> dict[str, bytes]:
    return {str(p.relative_to(project)): p.read_bytes() for p in sorted(project.rglob("*")) if p.is_file()}


def items_of(project: Path, rel: str) -> dict[str, dict]:
    sink = ProblemSink(rel)
    source = read_source(project / rel, rel, sink, max_bytes=10**7, max_lines=10**5)
    assert source.data is not None, sink.problems
    return {item["id"]: item for item in source.data["action_items"]}


def secret_forms(secret: str) -> set[str]:
    """`secret` and its tail, lower-cased, percent-encoded, JSON-escaped, and in base64 wherever it starts."""
    found = set()
    for part in (secret, secret[4:]):
        found |= {part.lower(), urllib.parse.quote(part, safe="").lower(), part.encode().hex(),
                  "".join(f"\\u{ord(char):04x}" for char in part)}
        for prefix in ("", "x", "xy"):  # the secret at each position of base64's 3-byte groups
            encoded = base64.b64encode((prefix + part).encode()).decode()
            found.add(encoded[len(prefix) * 2:-4].lower())
    return found


def assert_secret_kept(*outputs: str, project: Path | None = None) -> None:
    """The token is in no output (and no file of `project`), in any case or encoding."""
    forms = secret_forms(TOKEN)
    for output in outputs:
        for form in forms:
            assert form not in output.lower(), form
    if project is not None:
        for name, data in snapshot(project).items():
            text = data.decode("utf-8", "replace").lower()
            assert not [form for form in forms if form in text], name


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """The title and body of the issue a run opens for each item, by its key (`INC-2026-006/AI-3`), as
    a first run against an empty repository opened them."""
    with serving() as first:
        project = make_project(tmp_path_factory.mktemp("earlier"), f"{first.base}/api/v3")
        result = handbook(project, "sync", "github", "--apply", env=env())
        assert result.code == 0, result.output
    return {re.search(r"<!-- handbook:(\S+) -->$", c["body"])[1]: (c["title"], c["body"]) for c in first.created}


@pytest.fixture
def seeded(hub: GitHub, tmp_path: Path, earlier: dict[str, tuple[str, str]]) -> tuple[GitHub, Path]:
    """Unrelated issues and a pull request over three pages, and the issue an earlier run opened for
    INC-2026-006 AI-3 without getting to write it into the report."""
    project = make_project(tmp_path, f"{hub.base}/api/v3")
    hub.add("Flaky staging deploys", "Nothing to do with postmortems.", user="someone")
    hub.add("Bump the runner image", "", pull=True, user="someone")
    hub.add("An old closed question", "", state="closed", user=hub.author)
    hub.add(*earlier["INC-2026-006/AI-3"], user=hub.author)
    hub.add("Quoting an item", "Text that mentions <!-- handbook:INC-2026-006/AI-2 --> inside a sentence.",
            user=hub.author)
    return hub, project


# -- dry run ----------------------------------------------------------------------------------------
def test_the_dry_run_changes_nothing_and_opens_nothing(seeded):
    hub, project = seeded
    before = snapshot(project)
    result = handbook(project, "sync", "github", env=env())
    assert result.code == 0, result.output
    assert snapshot(project) == before
    assert hub.count("POST") == hub.count("PATCH") == 0
    lines = result.out.splitlines()
    assert any('INC-2026-006 AI-2: would open "INC-2026-006 AI-2: Alert when any ledger table' in l for l in lines)
    assert any("INC-2026-006 AI-3: would link issue #4" in l for l in lines)
    assert "Dry run: 3 issue(s) would be opened in larkspur/postmortems, 1 opened earlier would be linked." in result.out
    assert "4 item(s) of reports more restricted than `internal` get no issue" in result.out  # INC-2026-002
    assert "INC-2026-001" not in result.out and "INC-2026-101" not in result.out  # tickets; a case study
    assert_secret_kept(result.out, result.err)


def test_the_dry_run_without_a_token_asks_nothing(seeded):
    hub, project = seeded
    before = snapshot(project)
    result = handbook(project, "sync", "github", env=env(token=None))
    assert result.code == 0, result.output
    assert snapshot(project) == before and hub.requests == []
    assert "4 issue(s) would be opened" in result.out
    assert "GitHub was not asked" in result.out


# -- apply, twice, then pull ------------------------------------------------------------------------
def test_apply_opens_one_issue_per_item_writes_each_ticket_and_is_idempotent(seeded):
    hub, project = seeded
    hub.script.append(("POST", 403, {"x-ratelimit-remaining": "0", "x-ratelimit-limit": "5000",
                                     "x-ratelimit-reset": str(int(time.time())), "retry-after": "1"},
                       {"message": "API rate limit exceeded for installation ID 1."}))
    assert handbook(project, "validate", "--strict").code == 0
    ledger_before = (project / LEDGER).read_text(encoding="utf-8")
    edge_before = (project / EDGE).read_bytes()
    result = handbook(project, "sync", "github", "--apply", env=env())
    assert result.code == 0, result.output
    assert_secret_kept(result.out, result.err)
    # Every page of the listing was read, and exactly one issue per item without a ticket was opened
    # (the rate-limited POST opened nothing and was sent again).
    assert hub.count("GET", f"/api/v3/repos/{REPO}/issues") >= 3
    assert hub.count("POST") == 4
    assert [c["title"] for c in hub.created] == [
        "INC-2026-006 AI-1: Run VACUUM FREEZE on every closed ledger partition from a scheduled job between 02:00…",
        "INC-2026-006 AI-2: Alert when any ledger table's transaction id age exceeds 150 million.",
        "INC-2026-006 AI-4: Post captures from checkout-api through a transactional outbox so a slow ledger delays…",
    ]
    first, second, fourth = hub.created
    assert second["labels"] == ["postmortem", "priority: P1", "detect"]
    assert second["assignees"] == ["mei-ling-zhou"]
    assert fourth["labels"] == ["postmortem", "priority: P4", "prevent"]
    assert "assignees" not in fourth  # tomas-okafor cannot be assigned in this repository
    body = second["body"]
    for needle in ("**Action:** Alert when any ledger table's transaction id age exceeds 150 million.",
                   "**Verification:** A staging threshold set below the current age raises the alert within 10 "
                   "minutes", "| Owner | Mei-Ling Zhou |", "| Due | 2026-11-26 |", "| Priority | P1 (short term) |",
                   "| Category | Detect |",
                   f"[INC-2026-006: Checkout failures from slow ledger writes during an anti-wraparound vacuum]"
                   f"({SITE}/incidents/INC-2026-006/#action-ai-2)"):
        assert needle in body, needle
    assert body.endswith("\n<!-- handbook:INC-2026-006/AI-2 -->")
    # The done item's issue was closed as completed right after it was opened.
    assert hub.by_number(6)["state"] == "closed" and hub.by_number(6)["state_reason"] == "completed"
    assert hub.count("PATCH") == 1
    # Each URL went into the right item, and only there.
    items = items_of(project, LEDGER)
    assert items["AI-1"]["ticket"] == hub.by_number(6)["html_url"]
    assert items["AI-2"]["ticket"] == hub.by_number(7)["html_url"]
    assert items["AI-3"]["ticket"] == hub.by_number(4)["html_url"]  # found by its marker, not opened again
    assert items["AI-4"]["ticket"] == hub.by_number(8)["html_url"]
    assert (project / EDGE).read_bytes() == edge_before
    after = (project / LEDGER).read_text(encoding="utf-8")
    added = [line for line in after.splitlines() if line not in ledger_before.splitlines()]
    assert added == [f"    ticket: {hub.by_number(n)['html_url']}" for n in (6, 7, 4, 8)]
    assert len(after.splitlines()) == len(ledger_before.splitlines()) + 4
    assert "INC-2026-006 AI-3: linked issue #4, opened by an earlier run" in result.out
    assert "tomas-okafor` cannot be assigned" in result.out
    check = handbook(project, "validate", "--strict")
    assert check.code == 0, check.output

    again = handbook(project, "sync", "github", "--apply", env=env())
    assert again.code == 0, again.output
    assert hub.count("POST") == 4 and hub.count("PATCH") == 1
    assert "Opened 0 issue(s) in larkspur/postmortems and linked 0 opened earlier." in again.out
    assert (project / LEDGER).read_text(encoding="utf-8") == after


def test_pull_records_the_states_and_the_site_and_validation_show_disagreements(seeded):
    hub, project = seeded
    assert handbook(project, "sync", "github", "--apply", env=env()).code == 0
    hub.by_number(7).update(state="closed", state_reason="completed")  # AI-2 is open in the report
    hub.by_number(6).update(state="open", state_reason=None)  # AI-1 is done in the report
    result = handbook(project, "sync", "github", "--pull", env=env())
    assert result.code == 0, result.output
    assert_secret_kept(result.out, result.err, project=project)
    state = json.loads((project / "tracker" / "github.json").read_text(encoding="utf-8"))
    base = f"{hub.base}/{REPO}/issues"
    assert state == {"repository": REPO, "issues": {
        f"{base}/6": {"number": 6, "state": "open", "item": "INC-2026-006/AI-1"},
        f"{base}/7": {"number": 7, "state": "closed", "item": "INC-2026-006/AI-2"},
        f"{base}/4": {"number": 4, "state": "open", "item": "INC-2026-006/AI-3"},
        f"{base}/8": {"number": 8, "state": "open", "item": "INC-2026-006/AI-4"}}}
    assert "Wrote tracker/github.json: 4 linked issue(s), 3 open and 1 closed." in result.out
    assert "INC-2026-006 AI-2 is `open`, but its issue #7 is closed in GitHub." in result.out
    assert "INC-2026-006 AI-1 is `done`, but its issue #6 is still open in GitHub." in result.out
    same = handbook(project, "sync", "github", "--pull", env=env())
    assert "tracker/github.json is up to date" in same.out

    check = handbook(project, "validate", "--format", "json")
    assert check.code == 0, check.output
    problems = [p for p in json.loads(check.out)["problems"] if p["rule"] == "tracker-disagrees"]
    lines = (project / LEDGER).read_text(encoding="utf-8").splitlines()
    status_lines = [n for n, line in enumerate(lines, 1) if line.strip().startswith("status:") and n > 40]
    assert sorted((p["line"], p["level"]) for p in problems) == [(status_lines[0], "warning"),
                                                                 (status_lines[1], "warning")]
    assert all(p["file"] == LEDGER and "handbook sync github --pull" in p["hint"] for p in problems)
    assert handbook(project, "validate", "--strict").code == 1

    built = mkdocs(project, "build", "-d", "site")
    assert built.code == 0, built.output
    page = BeautifulSoup((project / "site" / "actions" / "index.html").read_text(encoding="utf-8"), "html.parser")
    section = page.find(id="tracker")
    assert section is not None
    table = section.find_next("table")
    rows = [" ".join(td.get_text(" ", strip=True) for td in tr.find_all("td")) for tr in table.find_all("tr")[1:]]
    assert len(rows) == 2
    assert any("AI-1" in r and "done" in r and "#6 open" in r for r in rows), rows
    assert any("AI-2" in r and "open" in r and "#7 closed" in r for r in rows), rows
    issue_cells = page.find_all(attrs={"data-label": "Issue"})
    assert any("#8 open" in c.get_text(" ", strip=True) for c in issue_cells)


# -- errors ------------------------------------------------------------------------------------------
def test_a_missing_token_and_a_missing_repository_are_named(seeded):
    hub, project = seeded
    for args in (("--apply",), ("--pull",)):
        result = handbook(project, "sync", "github", *args, env=env(token=""))
        assert result.code == 2 and "no GitHub token" in result.err and "Traceback" not in result.output
    config = project / "handbook.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text[:text.index("\ngithub:")] + "\n", encoding="utf-8")
    result = handbook(project, "sync", "github", "--apply", env=env())
    assert result.code == 2 and "has no `github:` block" in result.err and "Traceback" not in result.output
    assert hub.requests == []


@pytest.mark.parametrize("status,headers,body,expected", [
    (401, {}, {"message": "Bad credentials: {authorization}"}, "GitHub refused the token (HTTP 401"),
    (403, {}, {"message": "Resource not accessible by integration"},
     "GitHub refused the request (HTTP 403: Resource not accessible by integration). The token needs"),
    (404, {}, {"message": "Not Found"}, "GitHub has no repository larkspur/postmortems, or the token may not see it"),
])
def test_refusals_are_one_sentence_without_the_token(seeded, status, headers, body, expected):
    hub, project = seeded
    before = snapshot(project)
    hub.script.append(("GET", status, headers, body))
    for args in (("--apply",), ("--pull",)):
        hub.script[:] = [("GET", status, headers, body)]
        result = handbook(project, "sync", "github", *args, env=env())
        assert result.code == 1, result.output
        assert expected in result.err, result.err
        assert "Traceback" not in result.output
        assert_secret_kept(result.out, result.err)
    assert snapshot(project) == before and hub.count("POST") == 0


def test_a_spent_rate_limit_says_when_it_resets(seeded):
    hub, project = seeded
    reset = int(time.time()) + 3600
    hub.script.append(("GET", 403, {"x-ratelimit-remaining": "0", "x-ratelimit-limit": "5000",
                                    "x-ratelimit-reset": str(reset)},
                       {"message": "API rate limit exceeded for user ID 1."}))
    started = time.monotonic()
    result = handbook(project, "sync", "github", "--apply", env=env())
    assert time.monotonic() - started < 30  # not an hour's sleep
    assert result.code == 1, result.output
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(reset))
    assert f"GitHub's API rate limit is used up (0 of 5000 requests left); it resets at {when} UTC" in result.err
    assert "Traceback" not in result.output
    assert hub.count("POST") == 0


def test_a_long_retry_after_is_not_slept(seeded):
    hub, project = seeded
    hub.script.append(("GET", 429, {"retry-after": "3600"}, {"message": "Too many requests"}))
    started = time.monotonic()
    result = handbook(project, "sync", "github", "--pull", env=env())
    assert time.monotonic() - started < 30
    assert result.code == 1 and "GitHub's API rate limit is used up" in result.err, result.output


def test_a_refused_connection_is_named(tmp_path):
    with refused_port() as port:  # held, never listening: no other worker's server can answer there
        project = make_project(tmp_path, f"http://127.0.0.1:{port}/api/v3")
        result = handbook(project, "sync", "github", "--apply", env=env())
    assert result.code == 1, result.output
    assert f"Could not reach GitHub at http://127.0.0.1:{port}/api/v3: the connection was refused." in result.err
    assert "Traceback" not in result.output
    assert_secret_kept(result.out, result.err)


def test_plain_http_to_another_machine_is_refused(tmp_path):
    project = make_project(tmp_path, "http://github.example.com/api/v3")
    result = handbook(project, "sync", "github", env=env())
    assert result.code == 2
    assert "github.api_url `http://github.example.com/api/v3` is not an https address" in result.err


# -- the edit of a report ----------------------------------------------------------------------------
URL = "https://github.com/larkspur/postmortems/issues/7"
EDITS = [
    # compact items, a comment after the last key, a block scalar, an empty ticket to fill in
    ("---\nid: INC-1\naction_items:\n- id: AI-1\n  description: |\n    Two\n    lines.\n\n  # kept where it is\n"
     "- id: AI-2\n  ticket:   # to come\n---\nBody\n",
     0, "AI-1",
     "---\nid: INC-1\naction_items:\n- id: AI-1\n  description: |\n    Two\n    lines.\n\n  ticket: " + URL +
     "\n  # kept where it is\n- id: AI-2\n  ticket:   # to come\n---\nBody\n"),
    ("---\nid: INC-1\naction_items:\n- id: AI-1\n- id: AI-2\n  ticket:   # to come\n---\n", 1, "AI-2",
     "---\nid: INC-1\naction_items:\n- id: AI-1\n- id: AI-2\n  ticket: " + URL + "   # to come\n---\n"),
    # indented items with a nested list as the last value, CRLF line endings kept
    ("---\r\nid: INC-1\r\naction_items:\r\n  - id: AI-1\r\n    tags:\r\n      - a\r\n  - id: AI-2\r\n---\r\n", 0,
     "AI-1", "---\r\nid: INC-1\r\naction_items:\r\n  - id: AI-1\r\n    tags:\r\n      - a\r\n    ticket: " + URL +
     "\r\n  - id: AI-2\r\n---\r\n"),
    # the last item of the front matter, its value quoted over two lines
    ('---\nid: INC-1\naction_items:\n  - id: AI-1\n    status: "open\n      still"\n---\n', 0, "AI-1",
     '---\nid: INC-1\naction_items:\n  - id: AI-1\n    status: "open\n      still"\n    ticket: ' + URL + "\n---\n"),
]


@pytest.mark.parametrize("before,index,item,after", EDITS)
def test_the_ticket_is_one_line_added_to_its_item(before, index, item, after):
    from handbook.reading.ticket_edit import add_ticket

    assert add_ticket(before, index, item, URL) == after


@pytest.mark.parametrize("text,index,item,url,why", [
    ("---\nid: INC-1\naction_items:\n- {id: AI-1, status: open}\n---\n", 0, "AI-1", URL, "written on one line"),
    ("---\nid: INC-1\naction_items:\n- id: AI-1\n  ticket: " + URL + "\n---\n", 0, "AI-1", URL, "already has a ticket"),
    ("---\nid: INC-1\naction_items:\n- id: AI-2\n---\n", 0, "AI-1", URL, "no longer `AI-1`"),
    ("---\nid: INC-1\naction_items:\n- id: AI-1\n---\n", 1, "AI-1", URL, "no action item number 2"),
    ("---\nid: INC-1\naction_items:\n- id: AI-1\n---\n", 0, "AI-1", URL + "\nstatus: done", "not an http(s) address"),
])
def test_an_item_that_one_line_cannot_extend_is_refused(text, index, item, url, why):
    from handbook.reading.ticket_edit import EditError, add_ticket

    with pytest.raises(EditError, match=re.escape(why)):
        add_ticket(text, index, item, url)


def test_an_item_that_cannot_take_its_ticket_gets_no_issue(seeded):
    hub, project = seeded
    text = (FIXTURES / "valid.md").read_text(encoding="utf-8").replace("id: INC-2026-101", "id: INC-2026-102")
    start = text.index("  - id: AI-2\n")
    text = text[:start] + "  - {id: AI-2, description: Alert on pool use, owner: Ben Ito, due: 2026-11-01, " \
        "priority: P3, category: detect, verification: The alert fires in the monthly game day, status: open}\n" \
        + text[text.index("---\n", start):]
    (project / "postmortems" / "flow.md").write_text(text, encoding="utf-8")
    assert handbook(project, "validate", "postmortems/flow.md").code == 0
    result = handbook(project, "sync", "github", "--apply", env=env())
    assert result.code == 1, result.output
    assert "INC-2026-102 AI-2: skipped: the item is written on one line as `{...}`" in result.err
    titles = [c["title"] for c in hub.created]
    assert any(t.startswith("INC-2026-102 AI-1:") for t in titles)
    assert not any(t.startswith("INC-2026-102 AI-2:") for t in titles)
    assert "closed issue #" in result.out and "as completed, as the item is `done`" in result.out


def test_a_failing_read_is_tried_again_but_an_issue_is_never_opened_twice(seeded):
    hub, project = seeded
    hub.script[:] = [("GET", 502, {}, {"message": "Bad gateway"}), ("POST", 502, {}, {"message": "Bad gateway"})]
    result = handbook(project, "sync", "github", "--apply", env=env())
    assert result.code == 1, result.output
    assert hub.count("GET", f"/api/v3/repos/{REPO}") >= 2  # the first GET of the repository, answered 502, again
    assert hub.count("POST") == 1  # the POST answered 502 is not sent again: it may have opened the issue
    assert "GitHub answered HTTP 502: Bad gateway." in result.err and "Traceback" not in result.output
    assert_secret_kept(result.out, result.err)


# -- issue 24: only the handbook's own issues are linked ---------------------------------------------
@pytest.mark.parametrize("login", ["handbook-bot", None], ids=["a user's token", "an app's token"])
def test_only_an_issue_the_handbook_opened_with_its_very_text_is_linked(hub, tmp_path, earlier, login):
    hub.login = login  # None: GET /user is refused, and the handbook's issues are opened by its app's bot
    project = make_project(tmp_path, f"{hub.base}/api/v3")
    every_marker = "\n".join(f"<!-- handbook:{key} -->" for key in earlier)
    title_1, _ = earlier["INC-2026-006/AI-1"]
    hub.add(title_1, f"Looks like the handbook's.\n{every_marker}", user="mallory")  # #1: every item's marker
    hub.add(*earlier["INC-2026-006/AI-2"], user="mallory")  # #2: the very text, by someone else
    hub.add(*earlier["INC-2026-006/AI-3"], user=hub.author)  # #3: the handbook's own: linked
    title_4, body_4 = earlier["INC-2026-006/AI-4"]
    hub.add(title_4, body_4 + "\n\nEdited since.", user=hub.author)  # #4: its text changed
    hub.add(*earlier["INC-2026-006/AI-3"], user=hub.author)  # #5: a second one alike: the oldest is linked
    result = handbook(project, "sync", "github", "--apply", env=env())
    assert result.code == 0, result.output
    assert "INC-2026-006 AI-3: linked issue #3, opened by an earlier run" in result.out
    assert hub.count("POST") == 3  # AI-1, AI-2 and AI-4 get issues of their own
    tickets = {key: item["ticket"] for key, item in items_of(project, LEDGER).items()}
    assert tickets["AI-3"] == hub.by_number(3)["html_url"]
    assert sorted(tickets.values()) == sorted(hub.by_number(n)["html_url"] for n in (3, 6, 7, 8))
    assert_secret_kept(result.out, result.err, project=project)


# -- issue 24: the token, in any form, and what GitHub says an issue's address is --------------------
@pytest.mark.parametrize("form", ["AUTHORIZATION", "authorization_lower", "authorization_percent",
                                  "authorization_base64", "authorization_json"])
def test_a_refusal_echoing_the_token_in_any_case_or_encoding_never_shows_it(seeded, form):
    hub, project = seeded
    hub.script.append(("GET", 401, {}, {"message": f"Bad credentials: {{{form}}}"}))
    result = handbook(project, "sync", "github", "--pull", env=env())
    assert result.code == 1, result.output
    assert "GitHub refused the token (HTTP 401: Bad credentials: " in result.err and "[redacted]" in result.err
    assert "Traceback" not in result.output
    assert_secret_kept(result.out, result.err, project=project)


@pytest.mark.parametrize("address", [
    "{base}/{repo}/{kind}/{number}?access_token=" + TOKEN,              # the token, echoed
    "{base}/{repo}/{kind}/{number}#" + TOKEN.upper(),                   # upper-cased
    "{base}/{repo}/{kind}/{number}<svg/onload=alert(document.domain)>",  # markup for the report's page
    "{base}/{repo}/{kind}/{number}\x1b]0;owned\x07\x1b[2J",             # escapes for a terminal
    "{base}/larkspur/other/{kind}/{number}",                             # another repository's
], ids=["token", "upper-cased token", "svg", "ansi", "another repository"])
def test_an_issue_address_that_is_not_plain_is_never_written_nor_printed(hub, tmp_path, address):
    hub.address = address
    project = make_project(tmp_path, f"{hub.base}/api/v3")
    before = snapshot(project)
    result = handbook(project, "sync", "github", "--apply", env=env())
    assert result.code == 1, result.output
    assert hub.count("POST") == 4
    assert snapshot(project) == before  # not one ticket written
    assert result.err.count("is not a plain issue address of larkspur/postmortems, so no ticket was written") == 4
    assert "Traceback" not in result.output
    for text in (result.out, result.err):
        assert "<svg" not in text and "\x1b" not in text and "\x07" not in text and "larkspur/other" not in text
    assert_secret_kept(result.out, result.err, project=project)
    again = handbook(project, "sync", "github", "--apply", env=env())  # the issues are found, not opened again
    assert again.code == 1 and hub.count("POST") == 4 and snapshot(project) == before, again.output


# -- issue 24: a listing that never ends, and redirects ----------------------------------------------
def test_a_listing_that_never_ends_fails_in_one_sentence(seeded):
    hub, project = seeded
    hub.endless = True
    started = time.monotonic()
    result = run([str(BIN / "handbook"), "sync", "github", "--pull"], project,
                 {**env(), "HANDBOOK_GITHUB_LIST_TIME": "2"}, timeout=60)
    assert time.monotonic() - started < 45
    assert result.code == 1, result.output
    [line] = result.err.splitlines()
    assert line.startswith("handbook: GitHub's list of the issues of larkspur/postmortems did not end within 2 s ("), line
    assert "Traceback" not in result.output


def test_the_listing_reads_a_bounded_number_of_pages_and_only_from_the_api(hub):
    from handbook.delivery.github import GitHubError, GitHubIssues

    for number in range(1, 4):
        hub.add(f"Issue {number}", user="someone")
    hub.endless = True
    client = GitHubIssues(f"{hub.base}/api/v3", REPO, TOKEN, write_pause=0, max_pages=3)
    client.connect()
    with pytest.raises(GitHubError, match=r"went on past 3 pages \(300 issues\)"):
        client.issues()
    assert hub.count("GET", f"/api/v3/repos/{REPO}/issues") == 3
    hub.requests.clear()
    hub.endless, hub.next_base = False, "http://elsewhere.example"
    with pytest.raises(GitHubError, match="gave its next page at another address than") as caught:
        client.issues()
    assert hub.count("GET", f"/api/v3/repos/{REPO}/issues") == 1
    assert_secret_kept(str(caught.value))


@pytest.mark.parametrize("method,status", [("GET", 301), ("GET", 302), ("GET", 307), ("POST", 308)])
def test_a_redirect_is_one_sentence_and_never_followed(seeded, method, status):
    hub, project = seeded
    hub.script.append((method, status, {"Location": f"https://elsewhere.example/{TOKEN}"}, {"message": "Moved"}))
    result = handbook(project, "sync", "github", "--apply", env=env())
    assert result.code == 1, result.output
    assert f"answered with a redirect (HTTP {status}), which the handbook never follows" in result.err, result.err
    assert "unexpectedly" not in result.err and "Traceback" not in result.output
    assert hub.count("POST") == (1 if method == "POST" else 0)
    assert_secret_kept(result.out, result.err, project=project)
