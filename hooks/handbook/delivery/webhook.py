"""Posting a JSON message to an incoming webhook (Slack's), with its address kept secret.

The address of an incoming webhook is a credential: whoever has it can post to the channel.
So it is parsed once, into a `Webhook`, and refused unless it is a plain https address (http
only to this machine, for tests); no message this module produces ever holds it, in any form;
a redirect is a failure (Slack never redirects a webhook, and following one would send the
message elsewhere); and one deadline bounds each whole request, however slowly a server answers.

Built on the standard library's `http.client`: the HTTP clients we looked at (urllib, urllib3,
httpx) bound each read of the socket, not the whole answer, so a server sending one byte at a
time could hold the command for many times its timeout. Here a timer shuts the socket down when
the deadline passes, whatever call is waiting on it.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handbook.core.redaction import redact

ATTEMPTS = 4
TIMEOUT = 10.0
"""Seconds one request may take in all: connecting, sending, and reading the whole answer."""
RETRY_AFTER_CAP = 30.0
BACKOFF = (1.0, 2.0, 4.0)
BODY_LIMIT = 200
ANSWER_LIMIT = 64 * 1024
NAME = "the Slack webhook"
ENV = "SLACK_WEBHOOK_URL"

_LOOPBACK_NAMES = {"localhost"}


class PostError(Exception):
    """Posting failed, or the address was refused. The message never contains the address."""

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass(frozen=True, slots=True)
class Webhook:
    """A checked webhook address. Its `repr` never shows the address."""

    scheme: str
    host: str
    port: int
    target: str
    """The path and query, sent as the request target."""
    secrets: tuple[str, ...]
    """Every part of the address that must never be printed (`redact` finds each in any form)."""

    def __repr__(self) -> str:
        return f"Webhook({self.scheme}://[redacted])"

    __str__ = __repr__

    def redact(self, text: str) -> str:
        """Return `text` with every part of the address taken out, in any case or encoding, safe to print."""
        return redact(text, self.secrets)


def _refuse(why: str) -> PostError:
    return PostError(f"{ENV} {why}; copy the webhook's URL from Slack's app settings (Incoming Webhooks).")


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_webhook(url: str) -> Webhook:
    """The checked address of `url`, or PostError (which never quotes it) saying what is wrong."""
    url = url.strip()
    if not url:
        raise _refuse("is empty")
    if re.search(r"[\x00-\x20\x7f-\x9f]", url):
        raise _refuse("holds a space or a control character")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
        host = parts.hostname or ""
    except ValueError:
        raise _refuse("is not a valid address") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise _refuse("is not an https address")
    if not host:
        raise _refuse("has no host")
    if parts.username is not None or parts.password is not None:
        raise _refuse("carries a user name or password, which a webhook never has")
    if parts.fragment:
        raise _refuse("has a #fragment, which a webhook never has")
    if scheme == "http" and not _is_loopback(host):
        raise _refuse("is not an https address (plain http is allowed only to this machine, for tests)")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    pieces = {url, parts.netloc, parts.path, parts.query, target, host}
    pieces.update(seg for seg in re.split(r"[/?&=]", parts.path + "?" + parts.query) if len(seg) >= 6)
    return Webhook(scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80), target=target,
                   secrets=tuple(sorted((p for p in pieces if len(p) >= 3), key=len, reverse=True)))


def retry_wait(header: str | None, attempt: int, cap: float) -> float:
    """Seconds to wait before attempt `attempt + 1`: Retry-After (seconds, at most 30) or 1, 2, 4 s."""
    wait = BACKOFF[min(attempt - 1, len(BACKOFF) - 1)]
    if header:
        try:
            wait = min(max(float(header.strip()), 0.0), RETRY_AFTER_CAP)
        except ValueError:
            pass  # an HTTP date, or nonsense: keep the backoff
    return max(0.0, min(wait, cap))


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    retry_after: str | None
    body: bytes


class _Deadline:
    """Shuts a connection's socket down when `seconds` have passed, whatever call waits on it."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.connection = connection
        self.expired = False
        self.timer = threading.Timer(seconds, self._expire)
        self.timer.daemon = True

    def _expire(self) -> None:
        self.expired = True
        sock = self.connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> _Deadline:
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.cancel()


def _request_once(hook: Webhook, data: bytes, timeout: float) -> Answer:
    """One POST, bounded as a whole by `timeout` seconds. Raises OSError or HTTPException."""
    connection: http.client.HTTPConnection
    if hook.scheme == "https":
        connection = http.client.HTTPSConnection(hook.host, hook.port, timeout=timeout,
                                                 context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(hook.host, hook.port, timeout=timeout)
    with _Deadline(connection, timeout) as deadline:
        try:
            connection.request("POST", hook.target, body=data,
                               headers={"Content-Type": "application/json; charset=utf-8",
                                        "User-Agent": "postmortem-handbook"})
            response = connection.getresponse()
            body = response.read(ANSWER_LIMIT)
            if deadline.expired:  # the socket was shut down under a read: the answer may be cut short
                raise TimeoutError(f"no complete answer within {timeout:g} s")
            return Answer(response.status, response.getheader("Retry-After"), body)
        except (OSError, http.client.HTTPException, ValueError):
            if deadline.expired:
                raise TimeoutError(f"no complete answer within {timeout:g} s") from None
            raise
        finally:
            connection.close()


def _body_text(raw: bytes, hook: Webhook) -> str:
    body = hook.redact(" ".join(raw.decode("utf-8", "replace").split()))
    body = "".join(ch if ch.isprintable() else " " for ch in body)
    return body[:BODY_LIMIT] + ("…" if len(body) > BODY_LIMIT else "")


def post(url: str, payload: dict[str, Any], *, sleep: Callable[[float], None] = time.sleep,
         max_wait: float = RETRY_AFTER_CAP, attempts: int = ATTEMPTS, timeout: float = TIMEOUT) -> int:
    """POST `payload` as JSON to the webhook at `url`; retry 429 and 5xx. Returns the attempts used.

    Raises PostError, whose message never holds the address, for a refused address, a redirect,
    any other non-2xx answer after the retries, or a request that did not finish within `timeout`.
    `sleep` is injectable for tests; `max_wait` caps every wait between attempts.
    """
    hook = parse_webhook(url)
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    for attempt in range(1, attempts + 1):
        try:
            answer = _request_once(hook, data, timeout)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            detail = hook.redact(str(exc) or exc.__class__.__name__)[:BODY_LIMIT]
            raise PostError(f"could not reach {NAME}: {detail}") from None
        status, body = answer.status, _body_text(answer.body, hook)
        if 200 <= status <= 299:
            return attempt
        if 300 <= status <= 399:
            raise PostError(f"{NAME} answered with a redirect (HTTP {status}), which is never followed: "
                            "check that the address is the webhook's URL exactly as Slack gives it.", status, body)
        if (status == 429 or 500 <= status <= 599) and attempt < attempts:
            sleep(retry_wait(answer.retry_after, attempt, max_wait))
            continue
        tries = f" after {attempt} attempts" if attempt > 1 else ""
        raise PostError(f"{NAME} answered HTTP {status}{tries}: {body or '(empty response)'}", status, body)
    raise PostError(f"{NAME} did not accept the message")  # pragma: no cover - the loop returns or raises
