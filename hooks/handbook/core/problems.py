"""A validation problem is data: where it is, which rule found it, and how to fix it.

Every output (terminal, GitHub annotations, JSON, the live-preview box on a report page)
renders the same `Problem` records, so they always say the same thing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from handbook.core.text import INVISIBLE as _INVISIBLE_TEST, visible


class Level(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one file."""

    file: str
    """Path of the file, relative to the project root, with forward slashes."""
    line: int
    """1-based line the problem is on (1 when it concerns the whole file)."""
    rule: str
    """Stable rule id, for example `missing-section`: see `handbook rules`."""
    level: Level
    message: str
    """What is wrong, in one sentence."""
    hint: str = ""
    """How to fix it."""
    names: tuple[str, ...] = ()
    """Other files the message names (a duplicate id's other report): a problem shown to an
    audience that may not read one of them is shown without them."""

    def __post_init__(self) -> None:
        # Every output prints these fields, a terminal and a CI log among them: control characters
        # and bidirectional overrides are made visible once, here, whichever check built the problem.
        for name in ("file", "rule", "message", "hint"):
            value = getattr(self, name)
            if _INVISIBLE_TEST.search(value):
                object.__setattr__(self, name, visible(value))

    def sort_key(self) -> tuple[str, int, str, str]:
        """Problems sort by file, line, rule and message."""
        return (self.file, self.line, self.rule, self.message)

    def as_dict(self) -> dict[str, object]:
        """The problem as JSON-ready values (the `--format json` record)."""
        return {
            "file": self.file,
            "line": self.line,
            "rule": self.rule,
            "level": self.level.value,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(slots=True)
class ProblemSink:
    """Collects the problems of one file; the report's status decides whether the rules are enforced.

    `enforced` is False for drafts: their content problems are warnings. Problems that stop a
    report from being read at all are raised with `always_error=True`.
    """

    file: str
    enforced: bool = True
    problems: list[Problem] = field(default_factory=list)

    def add(self, line: int, rule: str, message: str, hint: str = "", *, always_error: bool = False) -> None:
        """Record a problem on `line`: an error where the rules are enforced or with `always_error`, else a warning."""
        level = Level.ERROR if (self.enforced or always_error) else Level.WARNING
        self.problems.append(Problem(self.file, max(1, line), rule, level, message, hint))

    def warn(self, line: int, rule: str, message: str, hint: str = "") -> None:
        """Record a warning on `line`, whatever the report's status."""
        self.problems.append(Problem(self.file, max(1, line), rule, Level.WARNING, message, hint))


def count(problems: list[Problem], level: Level) -> int:
    """How many of `problems` are at `level`."""
    return sum(1 for p in problems if p.level is level)
