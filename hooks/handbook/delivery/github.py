"""GitHub's issues, through PyGithub: listing, opening and closing the issues of one repository.

PyGithub speaks GitHub's REST API for us: it follows the `Link` headers of a paginated listing,
retries 5xx answers and rate limits (`GithubRetry`), and takes a `base_url`, for GitHub Enterprise
Server and for the tests' server on 127.0.0.1. Around it, this module adds what the command needs:

* the token is a secret: no message this module makes holds it, in any form, whatever the server
  answered (`GitHubError` messages are built here from the status and GitHub's own short message,
  with the token taken out);
* waiting is bounded: a rate limit that resets within `max_wait` seconds is waited for, a later one
  fails at once with the time it resets (PyGithub alone would sleep until then);
* every failure is one `GitHubError` with a sentence a person can act on, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import (BadCredentialsException, RateLimitExceededException,
                                    RateLimitExceededExceedsMaxWait, UnknownObjectException)
from github.Repository import Repository

from handbook.core.text import visible
from handbook.reading.tracker import markers_in

TIMEOUT = 15
"""Seconds one request may take."""
MAX_WAIT = 60.0
WRITE_PAUSE = 1.0
"""Seconds between two requests that write (GitHub asks integrations for at least one)."""
"""Seconds at most to wait for a rate limit to reset before giving up."""
PER_PAGE = 100
MESSAGE_LIMIT = 200


class GitHubError(Exception):
    """GitHub could not be reached, or refused. The message never holds the token."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One issue as the sync needs it."""

    number: int
    url: str
    """Its address on GitHub's web site (`html_url`): what an item's `ticket` holds."""
    state: str
    markers: tuple[str, ...] = ()
    """The items (`INC-2026-003/AI-2`) whose marker line its body carries."""


class _Retry(GithubRetry):
    """GithubRetry, with a `Retry-After` longer than `max_rate_limit_wait` refused instead of slept, and
    a request that may have opened an issue never sent twice: a POST answered 5xx, or whose answer
    was lost, may have been carried out (the next run finds that issue by its marker)."""

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Whether to send the request again: never a POST that reached a failing server."""
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
    _repo: Repository | None = field(default=None, repr=False)
    _assignable: dict[str, bool] = field(default_factory=dict, repr=False)
    _opened: dict[int, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return f"GitHubIssues({self.api_url!r}, {self.repository!r}, token=[redacted])"

    # -- the calls ---------------------------------------------------------------------------------
    def connect(self) -> None:
        """Reach the repository (one GET), so that a wrong token or name fails before anything is done."""
        for name in ("github", "urllib3"):  # their retry notes are ours to tell, not theirs to print
            logging.getLogger(name).addHandler(logging.NullHandler())
            logging.getLogger(name).propagate = False
        retry = _Retry(total=4, connect=1, read=0, backoff_factor=1.0, raise_on_status=False,
                       status_forcelist=[429, *range(500, 600)], max_rate_limit_wait=self.max_wait,
                       secondary_rate_wait=min(60.0, self.max_wait))
        client = Github(auth=Auth.Token(self.token), base_url=self.api_url.rstrip("/"), timeout=TIMEOUT,
                        per_page=PER_PAGE, retry=retry, user_agent="postmortem-handbook",
                        seconds_between_writes=self.write_pause)
        with self._calling(finding_repository=True):
            self._repo = client.get_repo(self.repository)

    def issues(self) -> list[Issue]:
        """Every issue of the repository, open and closed (pull requests left out), page by page."""
        repo = self._connected()
        with self._calling():
            found = []
            for issue in repo.get_issues(state="all"):
                url = issue.html_url
                if "/pull/" in url:  # GitHub lists pull requests among the issues
                    continue
                found.append(Issue(issue.number, url, issue.state, tuple(markers_in(issue.body))))
            return found

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
            return Issue(issue.number, issue.html_url, issue.state, tuple(markers_in(body)))

    def close(self, number: int, reason: str) -> None:
        """Close issue `number` as `reason` (`completed` or `not_planned`)."""
        repo = self._connected()
        with self._calling():
            issue = self._opened.get(number) or repo.get_issue(number)
            issue.edit(state="closed", state_reason=reason)

    def _connected(self) -> Repository:
        if self._repo is None:
            raise GitHubError("not connected to GitHub (a bug in the handbook: connect() was not called)")
        return self._repo

    # -- failures as sentences ---------------------------------------------------------------------
    def redact(self, text: str) -> str:
        """`text` without the token, and with control characters made visible."""
        if self.token:
            text = text.replace(self.token, "[redacted]")
        return visible(text)

    def _said(self, exc: GithubException) -> str:
        data = exc.data
        said = data.get("message") if isinstance(data, dict) else None
        said = " ".join(str(said or exc.message or "").split())
        said = self.redact(said)
        return said[:MESSAGE_LIMIT] + ("…" if len(said) > MESSAGE_LIMIT else "")

    @contextmanager
    def _calling(self, *, finding_repository: bool = False) -> Iterator[None]:
        """Turn whatever PyGithub, requests or urllib3 raise into a GitHubError that names what to do."""
        try:
            yield
        except GitHubError:
            raise
        except RateLimitExceededException as exc:
            raise GitHubError(self._rate_limited(exc)) from None
        except BadCredentialsException as exc:
            raise GitHubError(f"GitHub refused the token (HTTP {exc.status}: {self._said(exc) or 'bad credentials'}). "
                              "Check that HANDBOOK_GITHUB_TOKEN or GITHUB_TOKEN holds a valid token that has not "
                              "expired.") from None
        except UnknownObjectException as exc:
            if finding_repository:
                raise GitHubError(f"GitHub has no repository {self.repository}, or the token may not see it "
                                  f"(HTTP {exc.status}). Check github.repository in handbook.yml and that the "
                                  "token has access to that repository.") from None
            raise GitHubError(f"GitHub answered HTTP {exc.status} (not found): {self._said(exc) or 'no message'}.") \
                from None
        except GithubException as exc:
            said = self._said(exc) or "no message"
            if exc.status == 401:
                raise GitHubError(f"GitHub refused the token (HTTP 401: {said}). Check that HANDBOOK_GITHUB_TOKEN "
                                  "or GITHUB_TOKEN holds a valid token that has not expired.") from None
            if exc.status == 403:
                raise GitHubError(f"GitHub refused the request (HTTP 403: {said}). The token needs to read and "
                                  f"write the issues of {self.repository} (in a workflow: `permissions: issues: "
                                  "write`; for a personal token: the Issues permission on that repository).") \
                    from None
            raise GitHubError(f"GitHub answered HTTP {exc.status}: {said}.") from None
        except requests.exceptions.Timeout:
            raise GitHubError(f"GitHub at {self.api_url} gave no answer within {TIMEOUT} s; try again later.") \
                from None
        except requests.exceptions.ConnectionError as exc:
            refused = "refused" in str(exc).lower()
            why = "the connection was refused" if refused else "the network failed"
            raise GitHubError(f"Could not reach GitHub at {self.api_url}: {why}. Check github.api_url in "
                              "handbook.yml and the network.") from None
        except requests.exceptions.RequestException as exc:
            raise GitHubError(f"Could not talk to GitHub at {self.api_url} ({exc.__class__.__name__}).") from None
        except Exception as exc:  # noqa: BLE001 - never a traceback, never the token
            raise GitHubError(f"Talking to GitHub failed unexpectedly ({exc.__class__.__name__}); this may be a "
                              "bug in the handbook.") from None

    def _rate_limited(self, exc: RateLimitExceededException) -> str:
        headers = exc.headers or {}
        reset = _header(headers, "x-ratelimit-reset")
        wait = getattr(exc, "wait", None)
        now = dt.datetime.now(dt.timezone.utc)
        when = None
        if reset and reset.strip().isdigit():
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
