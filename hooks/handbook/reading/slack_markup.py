"""Slack's message markup as one line of plain text, for a timeline entry.

Slack stores a message's text with its references in angle brackets and `&`, `<` and `>` escaped
as HTML entities (https://api.slack.com/reference/surfaces/formatting#escaping). A timeline reads
the text as a person saw it in the channel:

    <@U024BE7LH>                  the user's display name (or real name), without an @
    <#C024BE7LR|incident-42>      #incident-42 (the channel's name when the reference has none)
    <!here> <!channel> <!everyone> @here @channel @everyone
    <!subteam^S012|@sre>          @sre (any other `<!...|label>`: its label, such as a date's)
    <https://x|label>             label (https://x)
    <https://x>                   https://x
    <mailto:a@example.com|Ada>    Ada
    &amp; &lt; &gt;               & < >

Emoji codes (`:rotating_light:`) stay as they are. Line breaks, tabs and runs of spaces become one
space; control characters and bidirectional overrides are dropped, so one message is one line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from handbook.core.text import INVISIBLE

_REFERENCE = re.compile(r"<([^<>]*)>")
_BROADCASTS = ("here", "channel", "everyone")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_ENTITY = re.compile("|".join(_ENTITIES))


def unescape(text: str) -> str:
    """Slack's three entities decoded (in one pass: `&amp;lt;` is `&lt;`, as Slack shows it)."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(0)], text)


def one_line(text: str) -> str:
    """`text` on one line: whitespace runs as one space, invisible characters removed."""
    return " ".join(INVISIBLE.sub(lambda m: " " if m.group(0).isspace() else "", text).split())


def plain_text(text: str, users: Mapping[str, str], channels: Mapping[str, str]) -> str:
    """A message's `text` as plain text on one line; `users` and `channels` map ids to names."""

    def _reference(found: re.Match[str]) -> str:
        inner = found.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return users.get(target[1:]) or label.lstrip("@") or target[1:]
        if target.startswith("#"):
            name = label or channels.get(target[1:]) or target[1:]
            return "#" + name.lstrip("#")
        if target.startswith("!"):
            command = target[1:].split("^", 1)[0]
            if command in _BROADCASTS:
                return "@" + command
            return label
        if target.startswith("mailto:"):
            return label or target[len("mailto:"):]
        if label and label != target:
            return f"{label} ({target})"
        return target

    return one_line(unescape(_REFERENCE.sub(_reference, text)))
