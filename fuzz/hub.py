"""Generated GitHub API answers, served by a tiny GitHub on 127.0.0.1 to `delivery.github.GitHubIssues`.

A case is a token, the calls to make (connect, then list, open, close, ask about an assignee) and,
for each kind of request, the answers to give in order before the usual one: issue listings with
fields of the wrong type and odd `html_url`s (the token echoed, `<svg>`, ANSI escapes, another
repository, a query, a pull request), `Link` headers that lead to the next page for ever or to
another host, bodies that are not JSON or not UTF-8, redirects, 4xx and 5xx answers echoing the
token in various cases and encodings, and answers that are not HTTP at all. Answers are text with
placeholders (`{base}`, `{repo}`, `{token:FORM}`), filled in by the server, so a case is a pure
function of the rng whatever port the server is on.

One server runs per process (`hub()`), on a thread; `Hub.serving(case)` makes it answer for one case.
A request is answered at most once with a status the client retries (429, 5xx, a rate limit) before
an answer it does not retry, so the client never sleeps out its backoff.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
import threading
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

REPOSITORY = "larkspur/postmortems"
API = "/api/v3"
FORMS = ["raw", "upper", "lower", "swapcase", "percent", "percent-lower", "percent-twice", "percent-some", "base64",
         "base64-header", "base64url", "hex", "json-u", "html-hex", "html-dec", "header", "part", "part-upper"]
"""The forms a server echoes the token in (`echo`)."""
STATUSES = [200, 200, 201, 204, 301, 302, 303, 307, 308, 400, 401, 403, 403, 404, 410, 422, 429, 500, 502, 503]
RETRIED = {429, *range(500, 600)}


def echo(token: str, form: str) -> str:
    """Return the token as a server may echo it: in another case, percent-encoded, base64, hex, escaped."""
    main = max(token.split("_"), key=len)
    forms = {
        "raw": token, "upper": token.upper(), "lower": token.lower(), "swapcase": token.swapcase(),
        "percent": "".join(f"%{b:02X}" for b in token.encode()),
        "percent-lower": "".join(f"%{b:02x}" for b in token.encode()),
        "percent-twice": "".join(f"%25{b:02X}" for b in token.encode()),
        "percent-some": "".join(f"%{ord(c):02X}" if i % 3 == 0 else c for i, c in enumerate(token)),
        "base64": base64.b64encode(token.encode()).decode(),
        "base64-header": base64.b64encode(f"x-access-token:{token}".encode()).decode(),
        "base64url": base64.urlsafe_b64encode(f"token {token}".encode()).decode().rstrip("="),
        "hex": token.encode().hex(), "json-u": "".join(f"\\u{ord(c):04x}" for c in token),
        "html-hex": "".join(f"&#x{ord(c):x};" for c in token), "html-dec": "".join(f"&#{ord(c)};" for c in token),
        "header": f"token {token}", "part": main, "part-upper": main.upper()}
    return forms[form]


@dataclass
class Answer:
    """One answer: a status, headers and a body (text with placeholders), or raw bytes that are not HTTP."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str | None = None
    """None: the usual body of that request."""
    raw: str | None = None
    """Sent as it is (placeholders filled, as latin-1) instead of an HTTP answer."""
    retried: bool = False
    """The client sends the request again after it."""
    reason: str = "Answer"
    """The status line's reason phrase (placeholders filled)."""


@dataclass
class GitHubCase:
    """One generated GitHub: the token, the calls made, and the answers each kind of request gets first."""

    token: str
    calls: list[str]
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    issues: list[str] = field(default_factory=list)
    """The usual listing's issues, as JSON text with placeholders, two a page."""
    endless: bool = False
    """The usual listing's pages each link to a next one."""
    login: str = "handbook-bot"


# -- generating a case ----------------------------------------------------------------------------
def _token(rng: random.Random) -> str:
    """Return a token shaped as GitHub's are (classic, app, fine-grained) or as another tracker's."""
    alphabet = string.ascii_letters + string.digits
    word = lambda n: "".join(rng.choice(alphabet) for _ in range(n))  # noqa: E731
    return rng.choice([f"ghp_{word(36)}", f"ghs_{word(36)}", f"github_pat_{word(22)}_{word(59)}", word(40)])


def _echoed(rng: random.Random) -> str:
    """Return the placeholder of the token in one of the FORMS."""
    return "{token:" + rng.choice(FORMS) + "}"


PLAIN = "{base}/{repo}/issues/{n}"
URLS = ["{base}/{repo}/issues/{n}/", "{base}/{repo}/pull/{n}",
        "{base}/{repo}/issues/{n}?t={token:raw}", "{base}/{repo}/issues/{n}#{token:lower}", "{base}/a/b/issues/{n}",
        "{base}/LARKSPUR/Postmortems/issues/{n}", "https://github.com/{repo}/issues/{n}", "{base}/{repo}/issues/{m}",
        "{base}/{repo}/issues/0{n}", "{base}/{repo}/issues/{n}\n", " {base}/{repo}/issues/{n}",
        "{base}/{repo}/issues/{n}<svg onload=alert(1)>", "\u001b[31m{base}/{repo}/issues/{n}",
        "{base}/{repo}/issues/{n}\u001b[0m", "{base}/{repo}/issues/{token:raw}", "{base}/{repo}/issues/{token:base64}",
        "{base}/../{repo}/issues/{n}", "{base}/{repo}/issues/{n}%0a", "javascript:alert(1)", "a" * 100_000,
        "{base}/{repo}/issues/{n}\u202e", "{base}/{repo}/issues/\uff11", "{base}@evil.example/{repo}/issues/{n}",
        "{base}/{repo}/issues/{n}/../1", "{base}/{repo}/issues/" + "9" * 30, "{base}/{repo}/issues/{token:percent}"]
VALUES = ["null", "true", "0", "-1", "1.5", "\"7\"", "[]", "{}", "[7]", "{\"a\": 1}", "\"\"", "1" + "0" * 30,
          "1" + "0" * 5_000, "1e400", "NaN", "\"\\ud800\"", "[" * 5_000 + "]" * 5_000]


def _json(text: str) -> str:
    """Return `text` as a JSON string whose placeholders survive (they are filled in JSON-escaped)."""
    return json.dumps(text)


def _issue(rng: random.Random, number: int) -> str:
    """Return one issue of a listing as JSON text, its fields hostile now and then."""
    url = PLAIN if rng.random() < 0.5 else rng.choice(URLS)
    url = url.replace("{n}", str(number)).replace("{m}", str(number + 1))
    fields = {"number": str(number), "html_url": _json(url), "state": _json(rng.choice(["open", "closed"])),
              "title": _json("Issue " + str(number)), "body": _json("<!-- handbook:INC-2026-001/AI-1 -->"),
              "user": '{"login": "handbook-bot"}'}
    for _ in range(rng.choice([0, 0, 0, 0, 1, 2, 3])):
        key = rng.choice(["number", "html_url", "state", "title", "body", "user", "pull_request",
                          "performed_via_github_app"])
        fields[key] = rng.choice(VALUES + [_json(_echoed(rng)), _json("\u001b[2J" + _echoed(rng))])
    if rng.random() < 0.05:
        return rng.choice(VALUES)
    return "{" + ", ".join(f"{_json(k)}: {v}" for k, v in fields.items()) + "}"


LINKS = ['<{base}/api/v3/repos/{repo}/issues?state=all&page={next}>; rel="next"',
         '<{base}/api/v3/repos/{repo}/issues?state=all&page={next}>; rel="next"',
         '<http://elsewhere.example/api/v3/repos/{repo}/issues?page={next}>; rel="next"',
         '<{base}/api/v3/repos/{repo}/issues?page={next}&t={token:raw}>; rel="next"',
         '</api/v3/repos/{repo}/issues?page={next}>; rel="next"', '<?page={next}>; rel="next"',
         '<javascript:alert(1)>; rel="next"', '<{base}/repos/{repo}/issues?page={next}>; rel="next"',
         '<{base}/api/v3/../../x?page={next}>; rel="next"', '<{base}/api/v3/repos/{repo}/issues#x>; rel="next"',
         '<{base}/api/v3/repos/{repo}/issues?page={next}\t>; rel="next"', '<<>>; rel=next', 'rel="next"',
         '<{base}/api/v3/repos/{repo}/issues?page={next}>; rel="NEXT"',
         '<{base}/api/v3/repos/{repo}/issues?page=1>; rel="next"',
         '<https://127.0.0.1:1/api/v3/repos/{repo}/issues?page={next}>; rel="next"',
         '<{base}/api/v3/repos/{repo}/issues?page={next}>; rel="next", <http://elsewhere.example/>; rel="next"',
         '<{base}/api/v3/repos/{repo}/issues?page={next}>; rel="last"', "<" + "a" * 10_000 + '>; rel="next"']
MESSAGES = ["Bad credentials: {echo}", "Not Found {echo}", "API rate limit exceeded for {echo}.",
            "You have exceeded a secondary rate limit {echo}", "Validation Failed", "{echo}", "Moved {echo}",
            "Server Error \u001b[2J{echo}\n\r", "<svg onload=alert(1)>{echo}", "x" * 5_000 + "{echo}"]
HEADERS = [("Location", "https://elsewhere.example/{token:raw}"), ("Location", "{base}/api/v3/{token:percent}"),
           ("Retry-After", "3600"), ("Retry-After", "1"), ("Retry-After", "-1"), ("Retry-After", "abc"),
           ("Retry-After", "99999999999999999999"), ("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
           ("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"), ("X-RateLimit-Remaining", "0"),
           ("X-RateLimit-Limit", "5000"), ("X-RateLimit-Reset", "99999999999"), ("X-RateLimit-Reset", "-5"),
           ("X-RateLimit-Reset", "{token:raw}"), ("X-RateLimit-Reset", "4102444800"), ("Content-Type", "text/html"),
           ("Content-Type", "application/json; charset=latin-1"), ("X-GitHub-Media-Type", "{token:header}"),
           ("WWW-Authenticate", "Bearer {token:raw}")]
BODIES = ["{\"message\": {message}, \"documentation_url\": \"{base}/docs/{token:raw}\"}",
          "{\"message\": {message}, \"errors\": [{\"message\": {message}}]}", "{\"message\": {message}}",
          "{\"message\": [{message}]}", "{\"message\": null}", "<html>{token:raw}</html>", "", "null", "[]", "{}", "7",
          "{\"message\": \"" + "\\u001b" * 100 + "\"}", "{\"message\": " + "[" * 5_000 + "]" * 5_000 + "}",
          "{\"login\": {message}, \"id\": \"x\"}", "{\"message\": \"\\ud800{token:raw}\"}"]
RAWS = ["garbage\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", "HTTP/1.1 999 {token:raw}\r\n\r\n",
        "HTTP/1.1 200\r\nX: \x00\r\n\r\n[]", "HTTP/1.1 200 OK\r\n" + "X-A: b\r\n" * 120 + "\r\n[]", "",
        "HTTP/1.1 200 OK\r\nX: " + "a" * 70_000 + "\r\n\r\n[]",
        "HTTP/1.1 401 {token:raw}\r\nContent-Length: 2\r\n\r\n{}", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n[]",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 500 {token:upper}\r\nContent-Length: 0\r\n\r\n"]


def _answer(rng: random.Random, route: str, after_retried: bool) -> Answer:
    """Return one hostile answer to a request of kind `route` (never a retried one after a retried one)."""
    if rng.random() < 0.08:
        return Answer(raw=rng.choice(RAWS))
    status = rng.choice([s for s in STATUSES if not (after_retried and s in RETRIED)])
    headers = [rng.choice(HEADERS) for _ in range(rng.choice([0, 0, 1, 2]))]
    message = rng.choice(MESSAGES).replace("{echo}", _echoed(rng))
    body: str | None = rng.choice(BODIES).replace("{message}", _json(message))
    if status in (200, 201) and rng.random() < 0.7:
        body = _listing(rng, 1) if route == "issues" else None if rng.random() < 0.5 else _issue(rng, 7)
    if route == "issues" and status == 200 and rng.random() < 0.5:
        headers.append(("Link", rng.choice(LINKS)))
    limited = status == 403 and "rate limit" in message
    retried = status in RETRIED or limited or (status == 403 and any(k == "Retry-After" for k, _ in headers))
    if retried and after_retried:
        status, retried = 400, False
    reason = rng.choice(["Answer"] * 6 + ["{token:raw}", "Forbidden {token:upper}", "{token:percent}", "\x1b[31mred"])
    return Answer(status, headers, body, retried=retried, reason=reason)


def _answers(rng: random.Random, route: str) -> list[Answer]:
    """Return the answers a kind of request gets before the usual one."""
    found: list[Answer] = []
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3])):
        found.append(_answer(rng, route, bool(found) and found[-1].retried))
    return found


def _listing(rng: random.Random, page: int) -> str:
    """Return a page of a listing as JSON text: up to three issues, hostile now and then."""
    return "[" + ", ".join(_issue(rng, 2 * page - 1 + n) for n in range(rng.randint(0, 3))) + "]"


def github_case(rng: random.Random) -> GitHubCase:
    """Return one generated GitHub: its token, the calls made of it and its answers."""
    calls = ["connect"] + [call for call, share in (("issues", 0.9), ("create", 0.3), ("close", 0.2),
                                                    ("assignable", 0.2)) if rng.random() < share]
    case = GitHubCase(_token(rng), calls, endless=rng.random() < 0.15, login=rng.choice(["handbook-bot"] * 3 + [""]))
    case.issues = [_issue(rng, number) for number in range(1, rng.randint(1 if case.endless else 0, 6) + 1)]
    for route in ("repo", "user", "issues", "create", "issue", "assignee"):
        if route == "repo" and rng.random() < 0.6:
            continue  # most cases get past connect()
        case.answers[route] = _answers(rng, route)
    return case


# -- the server -----------------------------------------------------------------------------------
def _route(method: str, path: str) -> str:
    """Name the kind of a request: `repo`, `user`, `issues`, `create`, `issue`, `assignee` or `other`."""
    prefix = f"{API}/repos/{REPOSITORY}"
    if path == f"{API}/user":
        return "user"
    if path == prefix:
        return "repo"
    if path == f"{prefix}/issues":
        return "create" if method == "POST" else "issues"
    if re.fullmatch(re.escape(prefix) + r"/issues/\d+", path):
        return "issue"
    if path.startswith(f"{prefix}/assignees/"):
        return "assignee"
    return "other"


class Hub:
    """What the server answers: the case being checked, and how far through its answers it is."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.case: GitHubCase | None = None
        self.served: dict[str, int] = {}
        self.lock = threading.Lock()

    @contextmanager
    def serving(self, case: GitHubCase) -> Iterator[None]:
        """Answer for `case` until the block ends."""
        with self.lock:
            self.case, self.served = case, {}
        try:
            yield
        finally:
            with self.lock:
                self.case = None

    def respond(self, method: str, target: str) -> bytes:
        """Return the bytes to send for one request."""
        url = urllib.parse.urlsplit(target)
        route = _route(method, url.path)
        with self.lock:
            case = self.case
            count = self.served.get(route, 0)
            self.served[route] = count + 1
        if case is None:
            return self._http(Answer(503, body="{\"message\": \"no case\"}"), Answer(), "", url.query)
        scripted = case.answers.get(route, [])
        usual = self._usual(case, route, url.query)
        return self._http(scripted[count] if count < len(scripted) else usual, usual, case.token, url.query)

    def _usual(self, case: GitHubCase, route: str, query: str) -> Answer:
        """Return the answer GitHub gives a request of kind `route`."""
        if route == "repo":
            return Answer(200, body="{\"id\": 1, \"name\": \"postmortems\", \"full_name\": \"{repo}\", "
                                    "\"url\": \"{base}/api/v3/repos/{repo}\", \"html_url\": \"{base}/{repo}\"}")
        if route == "user":
            if not case.login:
                return Answer(403, body="{\"message\": \"Resource not accessible by integration\"}")
            return Answer(200, body=json.dumps({"login": case.login, "id": 7}))
        if route == "issues":
            page = _page(query)
            chunk = case.issues if case.endless else case.issues[(page - 1) * 2: page * 2]
            last = max(1, -(-len(case.issues) // 2))
            headers = [("Link", LINKS[0])] if case.endless or page < last else []
            return Answer(200, headers, "[" + ", ".join(chunk[:2]) + "]")
        if route in ("create", "issue"):
            return Answer(201 if route == "create" else 200,
                          body="{\"number\": 7, \"html_url\": \"{base}/{repo}/issues/7\", \"state\": \"open\", "
                               "\"url\": \"{base}/api/v3/repos/{repo}/issues/7\", "
                               "\"title\": \"t\", \"body\": \"b\", \"user\": {\"login\": \"handbook-bot\"}}")
        if route == "assignee":
            return Answer(204)
        return Answer(404, body="{\"message\": \"Not Found\"}")

    def _filled(self, text: str, token: str, query: str, quoted: bool) -> str:
        """Fill in the placeholders: JSON-escaped inside a body, as they are elsewhere."""

        def put(value: str) -> str:
            return json.dumps(value)[1:-1] if quoted else value

        text = text.replace("{base}", put(self.base)).replace("{repo}", put(REPOSITORY))
        text = text.replace("{next}", str(_page(query) + 1))
        return re.sub(r"\{token:([a-z0-9-]+)\}", lambda found: put(echo(token, found[1])), text)

    def _http(self, answer: Answer, usual: Answer, token: str, query: str) -> bytes:
        """Return the answer as the bytes of an HTTP/1.0 answer (the usual body when it gives none), or the
        raw bytes it is instead."""
        if answer.raw is not None:
            return self._filled(answer.raw, token, query, False).encode("latin-1", "replace")
        body = answer.body if answer.body is not None else usual.body or ""
        data = self._filled(body, token, query, True).encode("utf-8", "surrogatepass")
        lines = [f"HTTP/1.0 {answer.status} {self._filled(answer.reason, token, query, False)}",
                 "Content-Type: application/json; charset=utf-8", f"Content-Length: {len(data)}", "Connection: close"]
        lines += [f"{name}: {self._filled(value, token, query, False)}" for name, value in answer.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + data


def _page(query: str) -> int:
    """Return the `page` a listing's query asks for (1 when it names none it can be read as)."""
    value = urllib.parse.parse_qs(query).get("page", ["1"])[0]
    return int(value) if value.isdigit() and len(value) < 6 else 1


class _Handler(BaseHTTPRequestHandler):
    """Answer every request with what the hub says, and close the connection."""

    protocol_version = "HTTP/1.0"

    def _serve(self) -> None:
        """Read the request's body, send the hub's answer as it is."""
        length = self.headers.get("Content-Length") or "0"
        if length.isdigit() and int(length) < 1 << 24:
            self.rfile.read(int(length))
        self.wfile.write(self.server.hub.respond(self.command, self.path))  # type: ignore[attr-defined]
        self.close_connection = True

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815 - http.server's naming

    def log_message(self, *args: object) -> None:
        """Log nothing: the requests are the fuzzer's own."""


_HUB: Hub | None = None


def _unthrottled() -> None:
    """Take out PyGithub's pause between two requests (0.25 s: `Github`'s `seconds_between_requests`, which
    GitHubIssues leaves at its default). This GitHub is on the machine, and the pause is not what is fuzzed:
    kept, it would be most of the run's time."""
    from github.Requester import Requester

    Requester._Requester__deferRequest = lambda self, verb: None  # type: ignore[attr-defined]


def hub() -> Hub:
    """Return this process's GitHub on 127.0.0.1, started on first use."""
    global _HUB
    if _HUB is None:
        _unthrottled()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        _HUB = Hub(f"http://127.0.0.1:{server.server_address[1]}")
        server.hub = _HUB  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return _HUB
