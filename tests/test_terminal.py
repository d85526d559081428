"""What a reviewer reads in a terminal or a CI log is what the report says: author text never
moves the cursor, recolours the screen, fakes another problem line or reorders the words.

Reports put ANSI escape sequences, C1 controls, carriage returns and bidirectional overrides in a
file name, in values the validator quotes back (severity, visibility, related ids, action fields,
timestamps) and in key names; `handbook validate` (every format) and `mkdocs build` are run for
real and their output searched byte by byte.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handbook import Level, Problem
from handbook.core.text import visible

from .conftest import copy_project, handbook, mkdocs

# Characters that act on a terminal instead of being shown: escape (and the sequences it starts),
# the C1 control sequence introducer, carriage return, backspace, bell, and the bidirectional overrides.
ACTIVE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SEQUENCE = "\\e[2J\\e[1;31m"  # clear the screen, then red: a YAML escape inside double quotes
HOSTILE_NAME = "2026-10-05-\x1b[2Jcleared\u202etxt.md"


def _hostile(valid_text: str) -> str:
    text = valid_text
    for plain, hostile in {
        "severity: SEV2": f'severity: "SEV2{SEQUENCE}"',
        "visibility: internal": 'visibility: "internal\\x9b2J\\r"',
        "related: []": f'related: ["INC-2026-999{SEQUENCE}"]',
        "started: 2026-10-05T09:00:00Z": 'started: "2026-10-05T09:00:00Z\\b\\b\\a"',
        "owner: Dev Patel": f'owner: "Dev Patel{SEQUENCE}"',
        "tags: [database]": 'tags: [database]\n"k\\e]8;;https://evil.example\\e\\\\ey\\u202e": 1',
    }.items():
        assert plain in text
        text = text.replace(plain, hostile, 1)
    return text.replace("## Summary\n", "## Summary\n\nA fake line: \x1b[1A\x1b[2K\r ok\n", 1)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, valid_text: str):
    project = copy_project(tmp_path_factory.mktemp("terminal"), examples=False)
    folder = project / "postmortems" / "2026"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / HOSTILE_NAME).write_text(_hostile(valid_text), encoding="utf-8")
    return project


def _assert_inert(output: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in ACTIVE.findall(output)})
    assert not found, f"characters that act on a terminal reached the output: {found}"


@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_validate_prints_author_text_inert(project, fmt):
    result = handbook(project, "validate", "--format", fmt)
    assert result.code == 1, result.output
    _assert_inert(result.output)
    assert "Traceback" not in result.output
    if fmt == "json":
        problems = json.loads(result.out)["problems"]
        assert problems and all(not ACTIVE.search(json.dumps(p, ensure_ascii=False)) for p in problems)
    else:
        # the file is still named, with its escape written out where a reader can see it
        assert "\\x1b[2Jcleared\\u202etxt.md" in result.output
        assert "control-character" in result.output


def test_the_job_summary_is_inert(project, tmp_path):
    summary = tmp_path / "summary.md"
    result = handbook(project, "validate", "--format", "github", "--summary", str(summary))
    assert result.code == 1
    written = summary.read_text(encoding="utf-8")
    assert "control-character" in written
    _assert_inert(written)


def test_a_build_log_is_inert(project):
    result = mkdocs(project, "build", "-d", "site")
    assert result.code == 1
    _assert_inert(result.output)
    assert "control-character" in result.output


@pytest.mark.parametrize("text, shown", [
    ("\x1b[31mred", "\\x1b[31mred"),
    ("line\nnext", "line\\x0anext"),
    ("back\rover", "back\\x0dover"),
    ("\x9b2J", "\\x9b2J"),
    ("abc\u202edef", "abc\\u202edef"),
    ("tab\there", "tab\\x09here"),
    ("\U0010ffff", "\\U0010ffff"),
    ("plain · ünïcode 事故", "plain · ünïcode 事故"),
])
def test_visible_writes_each_active_character_out(text, shown):
    assert visible(text) == shown
    problem = Problem(text, 1, "rule", Level.ERROR, text, text)
    assert (problem.file, problem.message, problem.hint) == (shown, shown, shown)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12)
       | st.lists(st.sampled_from(["a", "é", "\x1b", "\x85", "\ud800", "\ufdd0", "\ufffe", "\U0001fffe",
                                   "\U0010ffff", "😀", "\t", "\n"]), max_size=8).map("".join))
def test_the_fast_search_finds_exactly_what_the_full_class_finds(value):
    from handbook.core.text import BAD_CHARACTERS, find_bad

    fast, full = find_bad(value), BAD_CHARACTERS.search(value)
    assert (fast is None) == (full is None)
    assert fast is None or fast.start() == full.start()
