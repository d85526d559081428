"""Answers kept from one build for the next, each under a key made from everything it was computed from.

Some questions about all the reports take a second or more at 2,000 reports (similar incidents,
the calendar) and get the same answer as long as what they read is the same. The one who asks makes
a key from those inputs (`key_of`: with the source of this package and the Python it runs on, so a
change of code is a change of key) and keeps the answer as plain JSON in the checkout's cache folder
(`report_cache`: in the user's cache folder, never in the checkout), one file per question, holding
the last answer. An answer is used only under the same key; a file that cannot be read, or is of
another key, is ignored: never an error, and the answer is computed again.
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import Any

import msgspec

from handbook.reading.report_cache import package_hash, replace_json

FORMAT_NAME = "postmortem-handbook kept answer"
FORMAT_VERSION = 1


def key_of(*inputs: Any) -> str:
    """The key of an answer computed from `inputs` (plain data, tuples, msgspec structs) by this package
    on this Python. An answer written by a library names the library's version among its inputs."""
    digest = hashlib.sha256(f"{package_hash()}\0{platform.python_implementation()} {platform.python_version()}\0"
                            .encode("ascii"))
    try:
        encoded = msgspec.json.encode([FORMAT_VERSION, *inputs])
    except UnicodeEncodeError:  # a lone surrogate (site-wide text is not cleaned at reading): escaped instead
        encoded = json.dumps(msgspec.to_builtins([FORMAT_VERSION, *inputs]), ensure_ascii=True).encode("ascii")
    digest.update(encoded)
    return digest.hexdigest()


def kept_path(folder: Path, name: str) -> Path:
    """The file of the answers kept to the question `name` (a plain word) in the cache folder `folder`."""
    return folder / f"{name}.json"


def read_kept(folder: Path, name: str, key: str) -> Any | None:
    """The answer to `name` kept under `key`, as plain JSON values; None when there is none to use."""
    try:
        with kept_path(folder, name).open("rb") as stream:
            document = json.load(stream)
        if isinstance(document, dict) and document.get("format") == FORMAT_NAME and document.get("key") == key:
            return document.get("answer")
    except Exception:  # noqa: BLE001 - whatever is wrong with a kept answer, it is computed again
        pass
    return None


def write_kept(folder: Path, name: str, key: str, answer: Any) -> None:
    """Keep `answer` (JSON-ready values) to `name` under `key`, replacing the one kept before."""
    replace_json(kept_path(folder, name), lambda: {"format": FORMAT_NAME, "key": key, "answer": answer})
