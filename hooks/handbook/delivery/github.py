"""GitHub's issues, through PyGithub: listing, opening and closing the issues of one repository.

PyGithub speaks GitHub's REST API for us: it retries 5xx answers and rate limits (`GithubRetry`),
and takes a `base_url`, for GitHub Enterprise Server and for the tests' server on 127.0.0.1.
Around it, this module adds what the command needs:

* the token is a secret: no message this module makes holds it, in any case or encoding, whatever
  the server answered (every `GitHubError` passes through `core.redaction.redact`);
* what GitHub says is not trusted: an issue's address is kept only when it is a plain issue address
  of the repository (`reading.tracker.plain_issue_address`), a redirect is a failure (never
  followed), and the listing of issues follows its `Link` headers only to the API's own address,
  for at most `max_pages` pages and `list_time` seconds;
* waiting is bounded: a rate limit that resets within `max_wait` seconds is waited for, a later one
  fails at once with the time it resets (PyGithub alone would sleep until then);
* every failure is one `GitHubError` with a sentence a person can act on, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import (BadCredentialsException, RateLimitExceededException,
                                    RateLimitExceededExceedsMaxWait, UnknownObjectException)
from github.Repository import Repository

from handbook.core.redaction import MIN_ENCODED, redact
from handbook.reading.tracker import plain_issue_address, web_address

TIMEOUT = 15
"""Seconds one request may take."""
MAX_WAIT = 60.0
"""Seconds at most to wait for a rate limit to reset before giving up."""
WRITE_PAUSE = 1.0
"""Seconds between two requests that write (GitHub asks integrations for at least one)."""
PER_PAGE = 100
MAX_PAGES = 300
"""Pages of issues read at most (30,000 issues): a listing that goes on is a server's fault."""
LIST_TIME = 300.0
"""Seconds the listing of issues may take at most, all its pages together."""
MESSAGE_LIMIT = 200
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NOT_CONNECTED = "not connected to GitHub (a bug in the handbook: connect() was not called)"


class GitHubError(Exception):
    """GitHub could not be reached, or refused. The message never holds the token."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One issue as the sync needs it."""

    number: int
    url: str | None
    """Its address on GitHub's web site (`html_url`), what an item's `ticket` holds; None when GitHub
    gave one that is not a plain issue address of the repository (never printed, never written)."""
    state: str
    title: str = ""
    body: str = ""
    ours: bool = False
    """Opened with the handbook's token: by the token's own user, or, for an app's token, by an app."""


class _Redirected(Exception):
    """GitHub answered a request with a redirect, which is never followed."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class _Retry(GithubRetry):
    """GithubRetry, with a `Retry-After` longer than `max_rate_limit_wait` refused instead of slept, a
    request that may have opened an issue never sent twice (a POST answered 5xx, or whose answer was
    lost, may have been carried out: the next run finds that issue and links it), and a redirect
    refused: urllib3 asks `is_retry` about every answer, so every redirect is seen here, before
    PyGithub would follow it or read its body as the answer."""

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Tell whether to send the request again: never a POST that reached a failing server."""
        if status_code in _REDIRECTS:
            raise _Redirected(status_code)
        if method.upper() == "POST" and status_code >= 500:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def get_retry_after(self, response: Any) -> float | None:
        """The `Retry-After` wait, or RateLimitExceededExceedsMaxWait when it is longer than allowed."""
        wait = super().get_retry_after(response)
        if wait is not None and self.max_rate_limit_wait is not None and wait > self.max_rate_limit_wait:
            raise RateLimitExceededExceedsMaxWait(response.status, None, dict(response.headers), wait=wait)
        return wait


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers or {}).items():
        if str(key).lower() == name:
            return str(value)
    return None


@dataclass
class GitHubIssues:
    """The issues of one repository, reached with one token."""

    api_url: str
    repository: str
    token: str = field(repr=False)
    max_wait: float = MAX_WAIT
    write_pause: float = WRITE_PAUSE
    list_time: float = LIST_TIME
    max_pages: int = MAX_PAGES
    _github: Github | None = field(default=None, repr=False)
    _repo: Repository | None = field(default=None, repr=False)
    _login: str | None = field(default=None, repr=False)
    """The login of the token's user; None for an app's token (GitHub refuses those `GET /user`)."""
    _assignable: dict[str, bool] = field(default_factory=dict, repr=False)
    _opened: dict[int, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return f"GitHubIssues({self.api_url!r}, {self.repository!r}, token=[redacted])"

    # -- the calls ---------------------------------------------------------------------------------
    def connect(self) -> None:
        """Reach the repository (one GET), so that a wrong token or name fails before anything is done,
        and ask whose token it is (one more)."""
        # Their retry notes are ours to tell, not theirs to print: PyGithub gives its logger a handler that
        # writes every note to stderr when it is imported, and a note holds the server's words (which may
        # echo the token, or hold escapes). Every handler goes.
        for name in ("github", "urllib3"):
            library = logging.getLogger(name)
            library.handlers[:] = [logging.NullHandler()]
            library.propagate = False
        retry = _Retry(total=4, connect=1, read=0, backoff_factor=1.0, raise_on_status=False,
                       status_forcelist=[429, *range(500, 600)], max_rate_limit_wait=self.max_wait,
                       secondary_rate_wait=min(60.0, self.max_wait))
        self._github = Github(auth=Auth.Token(self.token), base_url=self.api_url.rstrip("/"), timeout=TIMEOUT,
                              per_page=PER_PAGE, retry=retry, user_agent="postmortem-handbook",
                              seconds_between_writes=self.write_pause)
        with self._calling(finding_repository=True):
            self._repo = self._github.get_repo(self.repository)
        with self._calling():
            self._login = self._token_login(self._github)

    def issues(self) -> list[Issue]:
        """Every issue of the repository, open and closed (pull requests left out), page by page as the
        `Link` headers lead; a GitHubError past `max_pages` pages or `list_time` seconds."""
        requester = self._client().requester
        deadline = time.monotonic() + self.list_time
        path = f"/repos/{self.repository}/issues"
        parameters: dict[str, Any] | None = {"state": "all", "per_page": PER_PAGE}
        found: list[Issue] = []
        with self._calling():
            for page in range(1, self.max_pages + 1):
                headers, data = requester.requestJsonAndCheck("GET", path, parameters=parameters)
                if not isinstance(data, list):
                    raise GitHubError(f"GitHub's page {page} of the issues of {self.repository} is not a list of "
                                      f"issues; check github.api_url in handbook.yml ({self.api_url}).")
                found += [issue for issue in map(self._issue, data) if issue is not None]
                following = self._next_page(headers)
                if not data or following is None:
                    return found
                path, parameters = following, None
                if time.monotonic() > deadline:
                    raise GitHubError(f"GitHub's list of the issues of {self.repository} did not end within "
                                      f"{self.list_time:g} s ({page} pages read); try again later, and check "
                                      f"github.api_url in handbook.yml ({self.api_url}).")
            raise GitHubError(f"GitHub's list of the issues of {self.repository} went on past {self.max_pages} "
                              f"pages ({self.max_pages * PER_PAGE:,} issues), more than the handbook reads; check "
                              f"github.api_url in handbook.yml ({self.api_url}).")

    def assignable(self, login: str) -> bool:
        """Whether issues of the repository can be assigned to `login` (asked once per login)."""
        if login not in self._assignable:
            repo = self._connected()
            with self._calling():
                self._assignable[login] = repo.has_in_assignees(login)
        return self._assignable[login]

    def create(self, title: str, body: str, labels: list[str], assignee: str | None) -> Issue:
        """Open an issue; returns it."""
        repo = self._connected()
        with self._calling():
            if assignee:
                issue = repo.create_issue(title=title, body=body, labels=labels, assignees=[assignee])
            else:
                issue = repo.create_issue(title=title, body=body, labels=labels)
            self._opened[issue.number] = issue
            opened = self._issue(issue.raw_data)
        if opened is None:
            raise GitHubError(f"GitHub's answer to opening an issue in {self.repository} does not describe an "
                              "issue; the next run finds the issue, if it was opened, and links it.")
        return opened

    def close(self, number: int, reason: str) -> None:
        """Close issue `number` as `reason` (`completed` or `not_planned`)."""
        repo = self._connected()
        with self._calling():
            issue = self._opened.get(number) or repo.get_issue(number)
            issue.edit(state="closed", state_reason=reason)

    def _connected(self) -> Repository:
        if self._repo is None:
            raise GitHubError(_NOT_CONNECTED)
        return self._repo

    def _client(self) -> Github:
        if self._github is None:
            raise GitHubError(_NOT_CONNECTED)
        return self._github

    # -- what GitHub answered ----------------------------------------------------------------------
    @staticmethod
    def _token_login(client: Github) -> str | None:
        """Return the login of the token's user, or None for an app's token, which `GET /user` refuses."""
        try:
            _, data = client.requester.requestJsonAndCheck("GET", "/user")
        except GithubException as exc:
            if isinstance(exc, RateLimitExceededException) or exc.status not in (403, 404):
                raise
            return None
        login = data.get("login") if isinstance(data, dict) else None
        return login if isinstance(login, str) and login else None

    def _issue(self, raw: Any) -> Issue | None:
        """Return the issue GitHub described in `raw`; None for a pull request or anything not an issue."""
        if not isinstance(raw, dict) or raw.get("pull_request") is not None:
            return None
        number, url, title, body = (raw.get(key) for key in ("number", "html_url", "title", "body"))
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            return None
        plain = isinstance(url, str) and plain_issue_address(url, web_address(self.api_url), self.repository) == number
        return Issue(number=number, url=url if plain else None, state=str(raw.get("state")),
                     title=title if isinstance(title, str) else "", body=body if isinstance(body, str) else "",
                     ours=self._ours(raw))

    def _ours(self, raw: dict[str, Any]) -> bool:
        """Tell whether the handbook's token opened the issue: its user did, or, for an app's token, an app."""
        user = raw.get("user")
        login = user.get("login") if isinstance(user, dict) else None
        if not isinstance(login, str):
            return False
        if self._login is not None:
            return login.casefold() == self._login.casefold()
        return login.endswith("[bot]") or bool(raw.get("performed_via_github_app"))

    def _next_page(self, headers: dict[str, Any]) -> str | None:
        """Return the next page a listing's `Link` header names, as a path below the API's address, or None;
        a GitHubError when it is anywhere else (the token would go with the request)."""
        link = _header(headers, "link")
        found = [each.get("url", "") for each in requests.utils.parse_header_links(link)
                 if each.get("rel") == "next"] if link else []
        if not found:
            return None
        api = urllib.parse.urlsplit(self.api_url.rstrip("/"))
        target = urllib.parse.urlsplit(urllib.parse.urljoin(self.api_url.rstrip("/") + "/", found[0]))
        if (re.search(r"[\s\x00-\x1f\x7f]", found[0]) or (target.scheme, target.netloc.lower()) !=
                (api.scheme, api.netloc.lower()) or not target.path.startswith(api.path + "/") or target.fragment):
            raise GitHubError(f"GitHub's list of the issues of {self.repository} gave its next page at another "
                              f"address than {self.api_url}, which the handbook does not follow; check "
                              "github.api_url in handbook.yml.")
        return target.path[len(api.path):] + (f"?{target.query}" if target.query else "")

    # -- failures as sentences ---------------------------------------------------------------------
    def redact(self, text: str) -> str:
        """Return `text` without the token, in any case or encoding, safe to print."""
        parts = [part for part in self.token.split("_") if len(part) >= MIN_ENCODED]  # ghp_…, github_pat_…
        return redact(text, [self.token, *parts] if self.token else [])

    def _said(self, exc: GithubException) -> str:
        data = exc.data
        said = data.get("message") if isinstance(data, dict) else None
        said = self.redact(" ".join(str(said or exc.message or "").split()))
        return said[:MESSAGE_LIMIT] + ("…" if len(said) > MESSAGE_LIMIT else "")

    @contextmanager
    def _calling(self, *, finding_repository: bool = False) -> Iterator[None]:
        """Turn whatever PyGithub, requests or urllib3 raise into a GitHubError that names what to do."""
        try:
            yield
        except GitHubError:
            raise
        except Exception as exc:  # noqa: BLE001 - never a traceback, never the token
            raise GitHubError(self.redact(self._sentence(exc, finding_repository))) from None

    def _sentence(self, exc: Exception, finding_repository: bool) -> str:
        """Say in one sentence what failed and what to do, for whatever a call raised."""
        if isinstance(exc, RateLimitExceededException):
            return self._rate_limited(exc)
        if isinstance(exc, BadCredentialsException):
            return (f"GitHub refused the token (HTTP {exc.status}: {self._said(exc) or 'bad credentials'}). Check "
                    "that HANDBOOK_GITHUB_TOKEN or GITHUB_TOKEN holds a valid token that has not expired.")
        if isinstance(exc, UnknownObjectException):
            if finding_repository:
                return (f"GitHub has no repository {self.repository}, or the token may not see it (HTTP "
                        f"{exc.status}). Check github.repository in handbook.yml and that the token has access to "
                        "that repository.")
            return f"GitHub answered HTTP {exc.status} (not found): {self._said(exc) or 'no message'}."
        if isinstance(exc, _Redirected):
            return (f"GitHub at {self.api_url} answered with a redirect (HTTP {exc.status}), which the handbook "
                    "never follows: check github.api_url and github.repository in handbook.yml (a renamed or moved "
                    "repository answers with one).")
        if isinstance(exc, GithubException):
            said = self._said(exc) or "no message"
            if exc.status == 401:
                return (f"GitHub refused the token (HTTP 401: {said}). Check that HANDBOOK_GITHUB_TOKEN or "
                        "GITHUB_TOKEN holds a valid token that has not expired.")
            if exc.status == 403:
                return (f"GitHub refused the request (HTTP 403: {said}). The token needs to read and write the "
                        f"issues of {self.repository} (in a workflow: `permissions: issues: write`; for a personal "
                        "token: the Issues permission on that repository).")
            return f"GitHub answered HTTP {exc.status}: {said}."
        if isinstance(exc, requests.exceptions.Timeout):
            return f"GitHub at {self.api_url} gave no answer within {TIMEOUT} s; try again later."
        if isinstance(exc, requests.exceptions.ConnectionError):
            why = "the connection was refused" if "refused" in str(exc).lower() else "the network failed"
            return (f"Could not reach GitHub at {self.api_url}: {why}. Check github.api_url in handbook.yml and "
                    "the network.")
        if isinstance(exc, requests.exceptions.RequestException):
            return f"Could not talk to GitHub at {self.api_url} ({exc.__class__.__name__})."
        return (f"Talking to GitHub failed unexpectedly ({exc.__class__.__name__}); this may be a bug in the "
                "handbook.")

    def _rate_limited(self, exc: RateLimitExceededException) -> str:
        headers = exc.headers or {}
        reset = _header(headers, "x-ratelimit-reset")
        wait = getattr(exc, "wait", None)
        now = dt.datetime.now(dt.timezone.utc)
        when = None
        if reset and reset.strip().isdigit() and len(reset.strip()) <= 10:  # a time before the year 2286
            when = dt.datetime.fromtimestamp(int(reset.strip()), dt.timezone.utc)
        elif isinstance(wait, (int, float)):
            when = now + dt.timedelta(seconds=float(wait))
        limit, left = _header(headers, "x-ratelimit-limit"), _header(headers, "x-ratelimit-remaining")
        used = f" ({left} of {limit} requests left)" if limit and left is not None else ""
        if when is None:
            return f"GitHub's API rate limit is used up{used}. Wait a while and run the command again."
        minutes = max(0, round((when - now).total_seconds() / 60))
        return (f"GitHub's API rate limit is used up{used}; it resets at {when:%Y-%m-%d %H:%M} UTC (in {minutes} "
                f"minute{'s' if minutes != 1 else ''}). Run the command again after that.")
