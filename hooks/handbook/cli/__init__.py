"""The `handbook` command line: a thin adapter over the package.

`app` holds the command group and the checking commands; `new`, `slack`, `github` and `timeline` add
theirs to it when imported here, so `handbook.cli:main` (the console script) has every command.
"""

from __future__ import annotations

from handbook.cli import github, new, slack, timeline  # noqa: F401 - importing them registers their commands
from handbook.cli.app import main

__all__ = ["main"]

if __name__ == "__main__":  # pragma: no cover
    main()
