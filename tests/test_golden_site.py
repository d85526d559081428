"""The examples' site, byte for byte: a change to the inside that changes what readers get is seen.

`tests/golden/site.json` holds the SHA-256 of every file of the examples' internal build. A change
meant to alter the site updates it (`UPDATE_GOLDEN=1 .venv/bin/python -m pytest -n 0
tests/test_golden_site.py`) and says in its commit which files changed and why; any other change
leaves it as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden" / "site.json"


def manifest(site: Path) -> dict[str, str]:
    """Return site path -> SHA-256 of every file of the built site `site`."""
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}


def test_the_examples_site_is_the_golden_one_byte_for_byte(example_site):
    found = manifest(example_site)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    added, gone = sorted(found.keys() - expected.keys()), sorted(expected.keys() - found.keys())
    changed = sorted(p for p in found.keys() & expected.keys() if found[p] != expected[p])
    assert not (added or gone or changed), (
        f"the examples' site differs from tests/golden/site.json: changed {changed}, new {added}, gone {gone}; "
        "if that is meant, run it with UPDATE_GOLDEN=1 and name the files in the commit")
