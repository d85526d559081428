"""Writing an action item's `ticket:` into its report, as an author would: one line, nothing else.

`handbook sync github` records the address of the issue it opened in the item's front matter. The
file is edited as text, not dumped again from data, so the author's formatting, quoting, comments
and key order stay exactly as they were: the front matter is composed (not loaded) to find where
the item's last value ends, and one line, `ticket: <address>` at the column of the item's keys, is
inserted after it (or an empty `ticket:` the item already has is filled in). The result is read
again with the report reader and must give the same front matter with only that ticket added;
otherwise nothing is written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from handbook.core.problems import ProblemSink
from handbook.reading.source import parse_source

_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+")


class EditError(Exception):
    """The item cannot be edited safely; the message says why and what to do instead."""


def ticket_line_value(url: str) -> str:
    """`url` as a YAML value: plain when it reads back unchanged, else double-quoted."""
    if _PLAIN_URL.fullmatch(url) and ": " not in url and not url.endswith(":"):
        return url
    return '"' + url.replace("\\", "\\\\").replace('"', '\\"') + '"'


def add_ticket(text: str, index: int, item_id: str, url: str) -> str:
    """`text`, a report, with `ticket: url` added to action item number `index` (from 0), whose id must
    be `item_id`. Raises EditError when the item is not where it was, already has a ticket, or is
    written in a form one inserted line cannot extend (a flow mapping `{...}`)."""
    if not re.fullmatch(r"https?://[^\s\"\\]+", url):
        raise EditError("the issue's address is not an http(s) address without spaces, quotes or backslashes")
    crlf = "\r\n" in text
    plain = text.replace("\r\n", "\n")
    if "\r" in plain:
        raise EditError("the file ends its lines with a lone CR; save it with LF line endings first")
    lines = plain.split("\n")
    if not lines or lines[0].strip() != "---":
        raise EditError("the file has no front matter")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise EditError("the front matter is never closed")
    front = "\n".join(lines[1:end])
    start = len(lines[0]) + 1
    edited = _edit(front, index, item_id, url)
    result = plain[:start] + edited + plain[start + len(front):]
    _check(plain, result, index, url)
    return result.replace("\n", "\r\n") if crlf else result


def _edit(front: str, index: int, item_id: str, url: str) -> str:
    try:
        root = yaml.compose(front, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        raise EditError("the front matter is not valid YAML (run `handbook validate`)") from None
    items = _value(root, "action_items")
    if not isinstance(items, yaml.SequenceNode) or index >= len(items.value):
        raise EditError(f"the report has no action item number {index + 1} any more")
    item = items.value[index]
    if not isinstance(item, yaml.MappingNode) or not item.value:
        raise EditError(f"action item number {index + 1} is not a set of `key: value` pairs")
    found = _value(item, "id")
    if not isinstance(found, yaml.ScalarNode) or found.value.strip() != item_id:
        raise EditError(f"action item number {index + 1} is no longer `{item_id}`")
    if item.flow_style:
        raise EditError("the item is written on one line as `{...}`; add `ticket: <address>` to it by hand")
    value = ticket_line_value(url)
    for key_node, value_node in item.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == "ticket":
            if not isinstance(value_node, yaml.ScalarNode) or value_node.value.strip():
                raise EditError("the item already has a ticket")
            # an empty `ticket:` (or `ticket: ""`): fill it in, keeping what follows on the line
            return front[:key_node.end_mark.index] + ": " + value + front[value_node.end_mark.index:]
    column = item.value[0][0].start_mark.column
    last = item.value[-1][1].end_mark.index
    line_start = front.rfind("\n", 0, last) + 1
    if not front[line_start:last].strip():  # the value ended at the start of a later line
        at = line_start
    else:
        newline = front.find("\n", last)
        at = len(front) + 1 if newline < 0 else newline + 1
    line = " " * column + "ticket: " + value
    if at > len(front):
        return front + "\n" + line
    return front[:at] + line + "\n" + front[at:]


def _value(mapping: Any, key: str) -> Any:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    return next((v for k, v in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def _check(before: str, after: str, index: int, url: str) -> None:
    """The edited report must read as the original plus the one ticket, or nothing is written."""
    old, new = _read(before), _read(after)
    if old is None or new is None:
        raise EditError("the edited front matter would not read back; add the ticket by hand")
    items = old.get("action_items")
    if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
        items[index]["ticket"] = url
    if old != new:
        raise EditError("the edit would change more than the ticket; add it by hand")


def _read(text: str) -> dict[str, Any] | None:
    sink = ProblemSink("report")
    source = parse_source(text.encode("utf-8"), Path("report.md"), "report", sink, max_lines=10**6)
    return source.data
