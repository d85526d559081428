"""Slack: `handbook announce` and `handbook digest`, printed and posted to a real local webhook.

The webhook is a real HTTP server on 127.0.0.1 that records every request and answers from a
script. Expected items are computed here from the example files' YAML, not through the
handbook package, and Block Kit limits are checked by a checker written here.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import socket
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


from handbook.delivery import webhook as webhook_module

from .conftest import (FIXTURES, TODAY, copy_project, counted_examples, example_reports, handbook, refused_port,
                       visible_examples)

SITE = "https://handbook.larkspur.example"  # mkdocs.yml's default site_url
SECRET_PARTS = ("T0SECRET42", "B0SECRET42", "xoxWebhookToken9f8e7d")
HOSTILE = "<!channel> <script>x</script> | *b*"
OPEN = {"open", "in-progress"}


# -- a scripted webhook --------------------------------------------------------------------------
@dataclass
class Webhook:
    url: str = ""
    requests: list[dict] = field(default_factory=list)
    script: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    """Answers in order; once used up, `default` answers."""
    default: tuple[int, dict[str, str], bytes] = (200, {}, b"ok")

    @property
    def bodies(self) -> list[dict]:
        return [json.loads(r["body"].decode("utf-8")) for r in self.requests]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        hook: Webhook = self.server.hook  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        hook.requests.append({"path": self.path, "content_type": self.headers.get("Content-Type"), "body": body})
        status, headers, answer = hook.script.pop(0) if hook.script else hook.default
        for name, form in echoes(self.path).items():  # a server that echoes the address
            answer = answer.replace(b"{" + name.encode() + b"}", form.encode())
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


def echoes(path: str) -> dict[str, str]:
    """The forms a server may echo the webhook's path in, by the name an answer writes `{name}` for."""
    return {"path": path, "PATH": path.upper(), "path_lower": path.lower(),
            "path_percent": urllib.parse.quote(path, safe="").lower(),
            "path_base64": base64.b64encode(path.encode()).decode(),
            "path_json": "".join(f"\\u{ord(char):04x}" for char in path)}


@pytest.fixture
def webhook():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    hook = Webhook()
    server.hook = hook  # type: ignore[attr-defined]
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/services/{'/'.join(SECRET_PARTS)}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()


def post_env(url: str) -> dict[str, str]:
    return {"SLACK_WEBHOOK_URL": url, "HANDBOOK_SLACK_MAX_WAIT": "0.05", "NO_PROXY": "*", "no_proxy": "*"}


def assert_no_secret(text: str, url: str) -> None:
    """No part of the webhook's address is in `text`, in any case or encoding."""
    assert url.lower() not in text.lower()
    for part in SECRET_PARTS:
        forms = {part.lower(), part.encode().hex(), "".join(f"\\u{ord(char):04x}" for char in part)}
        for prefix in ("", "x", "xy"):  # the part at each position of base64's 3-byte groups
            forms.add(base64.b64encode((prefix + part).encode()).decode()[len(prefix) * 2:-4].lower())
        assert not [form for form in forms if form in text.lower()], part


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project, with one extra internal report whose title is hostile."""
    project = copy_project(tmp_path_factory.mktemp("slack"))
    text = (FIXTURES / "valid.md").read_text(encoding="utf-8")
    hostile = text.replace("title: Checkout requests timed out after a connection-pool change",
                           f"title: {json.dumps(HOSTILE)}")
    assert hostile != text
    (project / "postmortems" / "2026" / "2026-10-05-hostile.md").write_text(hostile, encoding="utf-8")
    return project


# -- an independent Block Kit checker -------------------------------------------------------------
_SLACK_LINK = re.compile(r"<(https?://[^\s|<>]+)(?:\|([^|<>]*))?>")
_BARE_AMP = re.compile(r"&(?!amp;|lt;|gt;)")


def check_mrkdwn(text: str) -> list[tuple[str, str]]:
    """Every `<...>` in the text is an http(s) link whose label has no `|`; every `&` is an entity.

    Returns the links as (url, label)."""
    links = [(m.group(1), m.group(2) or "") for m in _SLACK_LINK.finditer(text)]
    rest = _SLACK_LINK.sub("", text)
    assert "<" not in rest and ">" not in rest, f"an unescaped < or > outside a link in {text!r}"
    assert not _BARE_AMP.search(text), f"an unescaped & in {text!r}"
    return links


def _text_object(obj: dict, limit: int, kinds: tuple[str, ...] = ("plain_text", "mrkdwn")) -> str:
    assert obj["type"] in kinds, obj
    assert set(obj) <= {"type", "text", "emoji", "verbatim"}, obj
    assert isinstance(obj["text"], str) and 0 < len(obj["text"]) <= limit, (len(obj["text"]), limit)
    check_mrkdwn(obj["text"])
    return obj["text"]


def check_block_kit(payload: dict) -> str:
    """Assert the payload is a Block Kit message within Slack's limits; returns all of its text."""
    assert set(payload) == {"text", "blocks"}
    assert isinstance(payload["text"], str) and payload["text"]
    check_mrkdwn(payload["text"])
    blocks = payload["blocks"]
    assert isinstance(blocks, list) and 0 < len(blocks) <= 50
    texts = [payload["text"]]
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            assert set(block) <= {"type", "text", "block_id"}
            texts.append(_text_object(block["text"], 150, ("plain_text",)))
        elif kind == "section":
            assert "text" in block or "fields" in block
            assert set(block) <= {"type", "text", "fields", "block_id"}
            if "text" in block:
                texts.append(_text_object(block["text"], 3000))
            fields = block.get("fields", [])
            assert len(fields) <= 10
            texts += [_text_object(f, 2000) for f in fields]
        elif kind == "context":
            assert 0 < len(block["elements"]) <= 10
            texts += [_text_object(e, 3000) for e in block["elements"]]
        else:
            pytest.fail(f"unexpected block type {kind}")
    return "\n".join(texts)


# -- the example data, read here --------------------------------------------------------------------
def _example(report_id: str) -> dict:
    return next(r for r in example_reports() if r["id"] == report_id)


# -- announce: posting --------------------------------------------------------------------------------
def test_post_retries_429_and_500_then_sends_valid_block_kit(project, webhook):
    webhook.script = [(429, {"Retry-After": "0"}, b"rate_limited"), (500, {}, b"server_error"), (200, {}, b"ok")]
    result = handbook(project, "announce", "INC-2026-004", "--post", "--format", "blocks",
                      env=post_env(webhook.url))
    assert result.code == 0, result.output
    assert result.out.strip() == "Posted to Slack."
    assert_no_secret(result.output, webhook.url)
    assert len(webhook.requests) == 3
    assert all(r["path"] == "/services/" + "/".join(SECRET_PARTS) for r in webhook.requests)
    assert all(r["content_type"].startswith("application/json") for r in webhook.requests)
    bodies = webhook.bodies
    assert bodies[0] == bodies[1] == bodies[2]
    text = check_block_kit(bodies[0])
    report = _example("INC-2026-004")
    assert bodies[0]["blocks"][0]["type"] == "header"
    assert report["title"] in bodies[0]["blocks"][0]["text"]["text"]
    assert "INC-2026-004" in text and "SEV2" in text and "Major" in text
    assert report["owner"] in text
    assert "55 min" in text  # customer impact: mitigated 08:05 - started 07:10
    links = [url for block in bodies[0]["blocks"] if block["type"] == "context"
             for element in block["elements"] for url, _ in check_mrkdwn(element["text"])]
    assert links == [f"{SITE}/incidents/INC-2026-004/"]


def test_post_mrkdwn_sends_text_only(project, webhook):
    result = handbook(project, "announce", "INC-2026-001", "--post", env=post_env(webhook.url))
    assert result.code == 0, result.output
    assert "Posted to Slack." in result.out
    [body] = webhook.bodies
    assert set(body) == {"text"}
    assert f"<{SITE}/incidents/INC-2026-001/|" in body["text"]
    assert_no_secret(result.output, webhook.url)


def test_permanent_500_fails_with_the_status_and_a_short_body(project, webhook):
    echo = b"internal_error while handling {path} " + b"x" * 400
    webhook.default = (500, {}, echo)
    result = handbook(project, "announce", "INC-2026-004", "--post", env=post_env(webhook.url))
    assert result.code == 1, result.output
    assert len(webhook.requests) == 4
    assert "500" in result.err and "internal_error" in result.err
    assert "the Slack webhook" in result.err
    assert "x" * 201 not in result.err  # Slack's answer is cut to 200 characters
    assert "Posted" not in result.out
    assert_no_secret(result.output, webhook.url)


def test_client_error_is_not_retried(project, webhook):
    webhook.default = (400, {}, b"invalid_blocks")
    result = handbook(project, "announce", "INC-2026-004", "--post", "--format", "blocks", env=post_env(webhook.url))
    assert result.code == 1
    assert len(webhook.requests) == 1
    assert "HTTP 400" in result.err and "invalid_blocks" in result.err
    assert_no_secret(result.output, webhook.url)


def test_unreachable_webhook_does_not_leak_the_address(project):
    with refused_port() as port:  # held, never listening: no other worker's server can answer there
        url = f"http://127.0.0.1:{port}/services/{'/'.join(SECRET_PARTS)}"
        result = handbook(project, "announce", "INC-2026-004", "--post", env=post_env(url))
    assert result.code == 1, result.output
    assert "the Slack webhook" in result.err
    assert "Traceback" not in result.output
    assert_no_secret(result.output, url)


def test_missing_or_bad_webhook_setting_is_a_usage_error(project):
    result = handbook(project, "announce", "INC-2026-004", "--post", env={"SLACK_WEBHOOK_URL": ""})
    assert result.code == 2
    assert "SLACK_WEBHOOK_URL" in result.err and "set" in result.err
    result = handbook(project, "digest", "--post", env={"SLACK_WEBHOOK_URL": ""})
    assert result.code == 2 and "SLACK_WEBHOOK_URL" in result.err
    bad = f"ftp://hooks.example/services/{'/'.join(SECRET_PARTS)}"
    result = handbook(project, "announce", "INC-2026-004", "--post", env={"SLACK_WEBHOOK_URL": bad})
    assert result.code == 2
    assert_no_secret(result.output, bad)


def test_post_waits_honour_retry_after_and_the_cap(webhook):
    """The domain function with an injected sleep, against the real local server."""
    waits: list[float] = []
    webhook.script = [(429, {"Retry-After": "120"}, b""), (503, {}, b""), (429, {"Retry-After": "soon"}, b"")]
    attempts = webhook_module.post(webhook.url, {"text": "hi"}, sleep=waits.append)
    assert attempts == 4
    assert waits == [30.0, 2.0, 4.0]  # Retry-After capped at 30 s; otherwise the 1, 2, 4 s backoff
    webhook.requests.clear()
    webhook.script = [(503, {}, b""), (200, {}, b"ok")]
    waits.clear()
    assert webhook_module.post(webhook.url, {"text": "hi"}, sleep=waits.append, max_wait=0.5) == 2
    assert waits == [0.5]
    webhook.default = (502, {}, b"bad gateway at {path}")
    with pytest.raises(webhook_module.PostError) as caught:
        webhook_module.post(webhook.url, {"text": "hi"}, sleep=waits.append)
    assert caught.value.status == 502
    assert_no_secret(str(caught.value), webhook.url)


# -- the webhook's address is a secret, redirects fail, one deadline bounds a request ---------------
@pytest.mark.parametrize("form", [
    "https://hook-user:{secret}@hooks.example/services/{path}",      # credentials, no port
    "https://hook-user:{secret}@hooks.example:8443/services/{path}",  # credentials and a port
    "https://hooks.example/services/{secret}\t/{path}",              # a tab inside the address
    "https://hooks.example/services/{secret}\n/{path}",              # a line feed inside it
    "http://hooks.example/services/{secret}/{path}",                 # plain http to another machine
    "https://hooks.example:99999/services/{secret}/{path}",          # a port out of range
    "https://[hooks.example/services/{secret}/{path}",               # a broken host
    "https://hooks.example/services/{secret}/{path}#fragment",
])
def test_a_refused_address_is_never_printed(project, form):
    url = form.format(secret=SECRET_PARTS[0], path="/".join(SECRET_PARTS[1:]))
    result = handbook(project, "announce", "INC-2026-004", "--post", env=post_env(url))
    assert result.code == 2, result.output
    assert "SLACK_WEBHOOK_URL" in result.err and "Traceback" not in result.output
    assert_no_secret(result.output, url)
    assert "hook-user" not in result.output and "hooks.example" not in result.output


def test_a_redirect_is_a_failure_and_is_not_followed(project, webhook):
    webhook.script = [(302, {"Location": f"http://127.0.0.1:1/services/{SECRET_PARTS[2]}"}, b"moved")]
    result = handbook(project, "announce", "INC-2026-004", "--post", env=post_env(webhook.url))
    assert result.code == 1, result.output
    assert "redirect" in result.err and "HTTP 302" in result.err
    assert len(webhook.requests) == 1
    assert "Posted" not in result.out
    assert_no_secret(result.output, webhook.url)


@pytest.mark.parametrize("form", ["PATH", "path_lower", "path_percent", "path_base64", "path_json"])
def test_a_404_echoing_the_address_in_any_case_or_encoding_never_shows_it(project, webhook, form):
    webhook.default = (404, {}, f"no_service: no webhook at {{{form}}}".encode())
    result = handbook(project, "announce", "INC-2026-004", "--post", env=post_env(webhook.url))
    assert result.code == 1, result.output
    assert "the Slack webhook answered HTTP 404: no_service: no webhook at [redacted]" in result.err, result.err
    assert "Traceback" not in result.output
    assert_no_secret(result.output, webhook.url)


def test_every_form_of_the_secret_is_redacted_from_an_answer(webhook):
    import urllib.parse
    path = "/services/" + "/".join(SECRET_PARTS)
    webhook.default = (400, {}, ("raw {path} quoted " + urllib.parse.quote(path, safe="") + " json " +
                                 json.dumps(path)).encode())
    with pytest.raises(webhook_module.PostError) as caught:
        webhook_module.post(webhook.url, {"text": "hi"}, sleep=lambda _: None)
    assert caught.value.status == 400 and "[redacted]" in str(caught.value)
    assert_no_secret(str(caught.value), webhook.url)
    assert "SECRET42" not in str(caught.value) and "SECRET42" not in caught.value.body


@pytest.fixture
def trickling_server():
    """A server that answers one byte every 0.2 s, for ever: only a deadline on the whole request ends it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                answer = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000
                for byte in answer:
                    if stop.is_set():
                        break
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break
                    stop.wait(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/services/{'/'.join(SECRET_PARTS)}"
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_one_deadline_bounds_the_whole_request(trickling_server):
    started = time.monotonic()
    with pytest.raises(webhook_module.PostError) as caught:
        webhook_module.post(trickling_server, {"text": "hi"}, sleep=lambda _: None, timeout=1.0)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0, f"the request took {elapsed:.1f} s with a 1 s deadline"
    assert "within 1 s" in str(caught.value)
    assert_no_secret(str(caught.value), trickling_server)


# -- announce: content and refusals ------------------------------------------------------------------
def test_mrkdwn_escapes_a_hostile_title(project):
    result = handbook(project, "announce", "INC-2026-101")
    assert result.code == 0, result.output
    out = result.out
    assert "<!channel>" not in out and "<script>" not in out and "</script>" not in out
    assert "&lt;!channel&gt; &lt;script&gt;x&lt;/script&gt;" in out
    links = check_mrkdwn(out)
    assert (f"{SITE}/incidents/INC-2026-101/",
            "INC-2026-101: &lt;!channel&gt; &lt;script&gt;x&lt;/script&gt; ¦ *b*") in links
    assert "SEV2" in out and "Ada Moreau" in out and "40 min" in out  # 09:40 - 09:00
    assert "7% of checkout attempts" in out
    assert "Open action items:* 1" in out


def test_blocks_output_is_valid_json_within_limits(project, tmp_path):
    result = handbook(project, "announce", "INC-2026-101", "--format", "blocks")
    assert result.code == 0, result.output
    payload = json.loads(result.out)
    text = check_block_kit(payload)
    assert "<!channel>" not in text and "<script>" not in text
    header = payload["blocks"][0]["text"]["text"]
    assert header.startswith("INC-2026-101: &lt;!channel&gt;")

    long_project = copy_project(tmp_path / "long", examples=False)
    text = (FIXTURES / "valid.md").read_text(encoding="utf-8")
    title = "R&D <team> " * 60  # 660 characters, every one of them escaped longer
    long = text.replace("title: Checkout requests timed out after a connection-pool change", f"title: {title!r}")
    long = long.replace("owner: Ada Moreau", "owner: " + "Ada & Ben " * 300)
    (long_project / "postmortems" / "long.md").write_text(long, encoding="utf-8")
    result = handbook(long_project, "announce", "INC-2026-101", "--format", "blocks")
    assert result.code == 0, result.output
    payload = json.loads(result.out)
    check_block_kit(payload)
    header = payload["blocks"][0]["text"]["text"]
    assert len(header) <= 150 and header.endswith("…")


@pytest.mark.parametrize(("args", "words"), [
    (["INC-2099-999"], ["INC-2099-999", "no report"]),
    (["INC-2026-002"], ["INC-2026-002", "restricted", "internal"]),
    (["INC-2026-002", "--audience", "public"], ["INC-2026-002", "restricted", "public"]),
    (["INC-2026-006"], ["INC-2026-006", "draft", "not published"]),
    (["--audience", "everyone", "INC-2026-004"], ["everyone"]),
    ([], ["--since"]),
    (["INC-2026-004", "--since", "HEAD"], ["--since"]),
])
def test_refusals_say_which_and_why(project, args, words):
    result = handbook(project, "announce", *args)
    assert result.code == 2, result.output
    assert result.out == ""
    for word in words:
        assert word in result.err
    assert "Traceback" not in result.err


def test_a_restricted_audience_may_announce_a_restricted_report(project):
    result = handbook(project, "announce", "INC-2026-002", "--audience", "restricted")
    assert result.code == 0, result.output
    assert _example("INC-2026-002")["title"] in result.out


# -- announce --since -------------------------------------------------------------------------------
def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
                           "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                          cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def _announced(out: str) -> list[str]:
    return re.findall(r"/incidents/(INC-\d{4}-\d{3})/\|INC", out)


def test_since_announces_only_reports_that_became_published(tmp_path):
    repo = copy_project(tmp_path / "repo")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "examples")
    folder = repo / "postmortems" / "2026"
    draft = folder / "2026-11-12-ledger-anti-wraparound-vacuum.md"
    draft.write_text(draft.read_text(encoding="utf-8").replace("status: draft", "status: in-review", 1),
                     encoding="utf-8")
    reviewed = folder / "2026-09-08-duplicate-invoice-reminder-emails.md"  # already published: edited only
    reviewed.write_text(reviewed.read_text(encoding="utf-8") + "\nOne more lesson.\n", encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "INC-2026-006 goes to review")

    result = handbook(repo, "announce", "--since", "HEAD~1")
    assert result.code == 0, result.output
    assert _announced(result.out) == ["INC-2026-006"]
    assert "INC-2026-004" not in result.out

    result = handbook(repo, "announce", "--since", "HEAD~1", "--format", "blocks")
    assert result.code == 0, result.output
    [line] = result.out.splitlines()
    check_block_kit(json.loads(line))

    # Nothing changed since HEAD: nothing printed. A moved report keeps its id: not new.
    assert handbook(repo, "announce", "--since", "HEAD").out == ""
    _git(repo, "mv", str(reviewed), str(folder / "renamed.md"))
    new = (FIXTURES / "valid.md").read_text(encoding="utf-8")
    (folder / "new.md").write_text(new, encoding="utf-8")
    _git(repo, "add", str(folder / "new.md"))
    result = handbook(repo, "announce", "--since", "HEAD")
    assert result.code == 0, result.output
    assert _announced(result.out) == ["INC-2026-101"]  # a new, published file counts; the move does not


def test_since_without_a_previous_revision_announces_nothing(tmp_path):
    repo = copy_project(tmp_path / "repo")
    result = handbook(repo, "announce", "--since", "HEAD")
    assert result.code == 0 and result.out == "" and "not in a git repository" in result.err
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "examples")
    for rev in ("0" * 40, "no-such-branch"):  # GitHub's `before` for a new branch; an unknown name
        result = handbook(repo, "announce", "--since", rev)
        assert result.code == 0, result.output
        assert result.out == ""
        assert "nothing announced" in result.err


# -- digest -----------------------------------------------------------------------------------------
def _groups(out: str) -> dict[str, set[tuple[str, str]]]:
    """Digest lines by group heading: (report id, item id) or (report id, '') for reviews."""
    groups: dict[str, set[tuple[str, str]]] = {}
    current = None
    for line in out.splitlines():
        heading = re.match(r"^\*(Overdue action items|Due in the next 14 days|Late for review|"
                           r"Effectiveness reviews due) \(\d+\)\*$", line)
        if heading:
            current = groups.setdefault(heading.group(1), set())
        elif line.startswith("• ") and current is not None:
            match = re.match(r"• <[^|>]+/incidents/(INC-\d{4}-\d{3})/\|\1> (AI-\d+)?", line)
            assert match, line
            current.add((match.group(1), match.group(2) or ""))
    return groups


def _expected(audience: str) -> tuple[set, set]:
    today = dt.date.fromisoformat(TODAY)
    horizon = today + dt.timedelta(days=14)
    items = [(r["id"], a["id"], dt.date.fromisoformat(a["due"]))
             for r in counted_examples(audience) for a in r.get("action_items", []) if a["status"] in OPEN]
    return ({(r, a) for r, a, due in items if due < today},
            {(r, a) for r, a, due in items if today <= due <= horizon})


def _business_days_after(start: dt.date, days: int) -> dt.date:
    while days:
        start += dt.timedelta(days=1)
        days -= start.weekday() < 5
    return start


def test_digest_lists_exactly_the_overdue_and_soon_items(project):
    result = handbook(project, "digest")
    assert result.code == 0, result.output
    overdue, soon = _expected("internal")
    overdue.add(("INC-2026-101", "AI-2"))  # the hostile fixture: AI-2 is open, due 2026-11-01
    assert overdue and soon
    groups = _groups(result.out)
    assert groups["Overdue action items"] == overdue
    assert groups["Due in the next 14 days"] == soon
    # Late for review: not reviewed, past the severity's deadline in business days from resolution.
    today = dt.date.fromisoformat(TODAY)
    deadlines = {"SEV1": 1, "SEV2": 3, "SEV3": 5}
    late = {(r["id"], "") for r in visible_examples("internal") if r["status"] in ("draft", "in-review")
            and r["severity"] in deadlines
            and _business_days_after(dt.date.fromisoformat(r["resolved"][:10]), deadlines[r["severity"]]) < today}
    assert late == {("INC-2026-006", "")}
    assert groups["Late for review"] == late
    # the examples' effectiveness reviews: INC-2026-001 late, INC-2026-003 due (tests/test_effectiveness.py)
    assert groups["Effectiveness reviews due"] == {("INC-2026-001", ""), ("INC-2026-003", "")}
    check_mrkdwn(result.out)
    assert f"<{SITE}/actions/|" in result.out


def test_internal_digest_never_shows_a_restricted_report(project):
    secret = _example("INC-2026-002")
    for fmt in ("mrkdwn", "blocks"):
        result = handbook(project, "digest", "--format", fmt)
        assert result.code == 0, result.output
        assert "INC-2026-002" not in result.output
        assert secret["title"] not in result.output
        assert all(a["description"][:40] not in result.output for a in secret["action_items"])
    restricted = handbook(project, "digest", "--audience", "restricted")
    overdue, _ = _expected("restricted")
    assert ("INC-2026-002", "AI-3") in overdue
    assert ("INC-2026-002", "AI-3") in _groups(restricted.out)["Overdue action items"]


def test_digest_blocks_and_the_twenty_line_limit(tmp_path, webhook):
    many = copy_project(tmp_path / "many")
    text = (FIXTURES / "valid.md").read_text(encoding="utf-8")
    for n in range(25):  # 25 more overdue items (AI-2 of each copy is open, due 2026-11-01)
        copy = text.replace("id: INC-2026-101", f"id: INC-2026-{200 + n}").replace("related: []\n", "")
        (many / "postmortems" / f"copy-{n}.md").write_text(copy, encoding="utf-8")
    overdue = len(_expected("internal")[0]) + 25
    result = handbook(many, "digest")
    assert result.code == 0, result.output
    assert len(_groups(result.out)["Overdue action items"]) == 20
    assert f"…and {overdue - 20} more — see <{SITE}/actions/>" in result.out

    result = handbook(many, "digest", "--format", "blocks")
    payload = json.loads(result.out)
    text_all = check_block_kit(payload)
    assert f"…and {overdue - 20} more" in text_all

    result = handbook(many, "digest", "--post", "--format", "blocks", env=post_env(webhook.url))
    assert result.code == 0, result.output
    assert result.out.strip() == "Posted to Slack."
    check_block_kit(webhook.bodies[0])
    assert_no_secret(result.output, webhook.url)


def test_empty_digest_says_so_in_one_line(tmp_path):
    empty = copy_project(tmp_path / "empty", examples=False)
    result = handbook(empty, "digest")
    assert result.code == 0, result.output
    assert len(result.out.strip().splitlines()) == 1
    assert "no action item is overdue" in result.out
    payload = json.loads(handbook(empty, "digest", "--format", "blocks").out)
    check_block_kit(payload)
