"""The newer surfaces hold what the older ones hold: each class of leak found by the attack trial of
December 2026, attacked at its boundary (issue 24)."""

from __future__ import annotations

import pytest

from handbook.reading.parts import view_for

from .conftest import check_text, copy_project, handbook, mkdocs
from .test_audience import _outputs
from .test_parts import EXTERNAL, _line_of, _public, _validate, _with_words, _words, worded  # noqa: F401


# -- 1. a name listed twice is withheld twice -----------------------------------------------------
def _twice_listed(valid_text: str) -> str:
    text = _public(valid_text).replace("visibility: public\n", "visibility: public\nfield_visibility:\n"
                                       "  services.vault-bridge: internal\n  tags.vault-bridge: internal\n")
    text = text.replace("services: [checkout-api, payments-gateway]",
                        "services: [checkout-api, vault-bridge, payments-gateway, vault-bridge]")
    return text.replace("tags: [database]", "tags: [vault-bridge, database, vault-bridge]")


def test_a_withheld_name_listed_twice_is_withheld_every_time(tmp_path, taxonomy, valid_text):
    collection, _ = check_text(tmp_path, taxonomy, _twice_listed(valid_text))
    assert [p for p in collection.problems if p.level.value == "error"] == []
    view = view_for(collection.reports[0], taxonomy, "public")
    assert view.data["services"] == ["checkout-api", "payments-gateway"] and view.data["tags"] == ["database"]
    assert set(view.withheld) == {"services.vault-bridge", "tags.vault-bridge"}


def test_a_public_build_holds_no_trace_of_a_service_listed_twice(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    (project / "postmortems" / "twice.md").write_text(_twice_listed(valid_text), encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site", env={"HANDBOOK_AUDIENCE": "public"})
    assert result.code == 0, result.output
    leaks = [name for name, text in _outputs(project / "site").items() if "vault-bridge" in text]
    assert leaks == []
    account = handbook(project, "validate", "--audience", "public")
    assert "the field services.vault-bridge" in account.out and "the field tags.vault-bridge" in account.out


# -- 2. the title an external message stands under is public text ---------------------------------
def test_the_title_standing_in_for_an_external_title_is_checked_as_public_text(worded, valid_text):  # noqa: F811
    restricted = valid_text.replace("visibility: internal\n", "visibility: restricted\n", 1)
    titled = restricted.replace("title: Checkout requests timed out", "title: db-7.corp.example timed out")
    found = _words(_validate(worded, titled + "\n" + EXTERNAL))
    assert len(found) == 1 and "`public` readers read `title`" in found[0].message
    assert found[0].line == _line_of(titled, "title: db-7") and "external_title" in found[0].hint
    # with a title of its own for the message, the report's title is read by its own readers only
    own = titled.replace("visibility: restricted\n", "visibility: restricted\nexternal_title: Checkout was slow\n")
    assert _words(_validate(worded, own + "\n" + EXTERNAL)) == []
    # without the message, the title is published nowhere but to the report's readers
    assert _words(_validate(worded, titled)) == []


# -- 3. a mark inside a quote or a list item keeps its part and is refused ------------------------
@pytest.mark.parametrize("prefix", ["> ", "- ", ">", "1. ", "> - "])
def test_a_mark_inside_a_quote_or_a_list_item_is_read_and_refused(tmp_path, taxonomy, valid_text, prefix):
    secret = "The bridge password was read aloud to staff."
    text = _public(valid_text).replace("## Detection\n", f"{prefix}::: internal\n{prefix}{secret}\n{prefix}:::\n\n"
                                                          "## Detection\n")
    collection, _ = check_text(tmp_path, taxonomy, text)
    found = [p for p in collection.problems if p.rule == "audience-mark"]
    opening = _line_of(text, f"{prefix}::: internal")
    assert [p.line for p in found] == [opening, opening + 2]
    assert all("inside a quote or a list item" in p.message and p.level.value == "error" for p in found)
    view = view_for(collection.reports[0], taxonomy, "public")
    assert secret not in view.body and ":::" not in view.body
    assert secret in view_for(collection.reports[0], taxonomy, "internal").body


# -- 4. the file name is published, so it is checked -----------------------------------------------
def test_a_file_name_holding_a_narrower_word_is_refused(worded, valid_text):  # noqa: F811
    taxonomy, folder = worded
    collection, _ = check_text(folder, taxonomy, _public(valid_text), name="db-7.corp.example.md")
    found = _words(collection)
    assert len(found) == 1 and found[0].line == 1 and "file name" in found[0].message
    assert "`db-7.corp.example`" in found[0].message and "git mv" in found[0].hint
    # an internal report's file name may hold an internal word: only internal readers see its addresses
    collection, _ = check_text(folder, taxonomy, valid_text, name="db-8.corp.example.md")
    assert _words(collection) == []


# -- 14. the author's preview shows an unreadable report's problems -------------------------------
def test_serving_shows_an_unreadable_reports_problems_and_none_of_its_text(tmp_path, valid_text):
    from dataclasses import replace

    from handbook.rendering.site import plan_site
    from handbook_mkdocs.links import MkDocsLinks
    from handbook_mkdocs.options import load_settings

    from .test_injection import _drawn

    project = copy_project(tmp_path, examples=False)
    secret = "The vault-east signer was opened by hand."
    broken = valid_text.replace("title: Checkout", "title: [Checkout").replace("## Detection\n",
                                                                              f"{secret}\n\n## Detection\n")
    (project / "postmortems" / "unparseable.md").write_text(broken, encoding="utf-8")
    settings = load_settings(project / "mkdocs.yml")
    for audience in ("public", "internal"):
        plan = plan_site(replace(settings, audience=audience), settings.load_taxonomy(), MkDocsLinks(True),
                         show_problems=True)
        (src,) = [src for src, report in plan.report_sources.items() if report.rel == "postmortems/unparseable.md"]
        page = plan.pages[src]
        assert "yaml-syntax" in _drawn(plan), audience
        assert secret not in _drawn(plan) and "Checkout" not in page, audience
        # a build (no problems shown) still leaves it out, as the most restricted
        built = plan_site(replace(settings, audience=audience), settings.load_taxonomy(), MkDocsLinks(True))
        assert "postmortems/unparseable.md" not in {r.rel for r in built.report_sources.values()}


# -- 10. one way of opening a repository file: devices, pipes and links out are refused -----------
@pytest.mark.parametrize("planted", ["tracker", "sibling", "template", "handbook.yml"])
def test_a_device_where_a_file_is_expected_is_refused_at_once(tmp_path, valid_text, planted):
    import os

    project = copy_project(tmp_path, examples=False)
    report = project / "postmortems" / "report.md"
    report.write_text(valid_text, encoding="utf-8")
    if planted == "tracker":  # the state file `handbook sync github --pull` writes, committed as a link
        (project / "tracker").mkdir(exist_ok=True)  # handbook.yml's github.state_file
        target = project / "tracker" / "github.json"
    else:
        target = {"sibling": project / "postmortems" / "zero.md",
                  "template": project / "templates" / "postmortem.md",
                  "handbook.yml": project / "handbook.yml"}[planted]
    target.unlink(missing_ok=True)
    os.symlink("/dev/zero", target)
    commands = [("validate",), ("validate", "postmortems/report.md"), ("new", "--title", "A new one",
                                                                       "--severity", "SEV3", "--owner", "Ada")]
    for command in commands:
        done = handbook(project, *command)  # an unbounded read would never end (or end in MemoryError)
        assert "Traceback" not in done.output and "MemoryError" not in done.output, (command, done.output)
        if planted == "handbook.yml" or (planted, command[0]) in (("tracker", "validate"), ("template", "new")):
            assert done.code != 0 and ("not a regular file" in done.output or "outside the repository" in done.output), \
                (command, done.output)
    if planted == "tracker":
        result = mkdocs(project, "build", "--strict", "-d", "site")
        assert result.code != 0 and ("not a regular file" in result.output or "outside the repository" in result.output)


# -- 16. one file name in two folders: the address of both leads to neither -----------------------
def test_two_reports_with_one_file_name_share_no_address(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    for year, number in (("2025", "101"), ("2026", "102")):
        (project / "postmortems" / year).mkdir(parents=True, exist_ok=True)
        (project / "postmortems" / year / "outage.md").write_text(
            valid_text.replace("INC-2026-101", f"INC-2026-{number}"), encoding="utf-8")
    result = mkdocs(project, "build", "-d", "site")
    assert result.code == 0, result.output
    site = project / "site"
    assert not (site / "incidents" / "outage").exists()
    assert (site / "incidents" / "INC-2026-101" / "index.html").exists()
    assert (site / "incidents" / "INC-2026-102" / "index.html").exists()
    run = handbook(project, "validate")
    assert "postmortems/2025/outage.md:1: warning [shared-file-name]" in run.out
    assert "postmortems/2026/outage.md has this file's name too" in run.out


# -- found by `make fuzz`: hostile bytes in chat exports and the tracker's state file ----------------
def test_half_a_character_and_a_nameless_zip_entry_are_located_errors(tmp_path):
    import json
    import zipfile

    from .test_slack_timeline import CHANNELS, DAY, GOOD, USERS, _day_file, _export, _fail, ts

    project = copy_project(tmp_path / "project", examples=False)
    surrogate = '{"ts": "' + ts(8, 20) + '", "user": "U1", "text": "x", "\\ud800": 1}'
    export = _export(tmp_path / "half.zip", _day_file(GOOD, surrogate))
    err = _fail(project, "--slack-export", str(export), "--channel", "inc-ledger-positions")
    assert err.startswith(f"handbook: {export}: {DAY}, message 2 (line 3): a text holds half of a character"), err
    nameless = tmp_path / "nameless.zip"
    with zipfile.ZipFile(nameless, "w") as archive:
        archive.writestr("channels.json", json.dumps(CHANNELS))
        archive.writestr("users.json", json.dumps(USERS))
        archive.writestr(DAY, _day_file(GOOD))
        archive.writestr(zipfile.ZipInfo(""), "x")  # a member without a name
    done = handbook(project, "timeline", "--slack-export", str(nameless), "--channel", "inc-ledger-positions")
    assert done.code == 0 and "Traceback" not in done.output and "Found it" in done.out, done.output


def test_a_tracker_state_file_that_is_not_utf8_is_a_located_error(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    (project / "postmortems" / "report.md").write_text(valid_text, encoding="utf-8")
    (project / "tracker").mkdir()
    (project / "tracker" / "github.json").write_bytes(b'{"issues": {},\n "repository": "\xff"}')
    done = handbook(project, "validate")
    assert done.code != 0 and "Traceback" not in done.output, done.output
    assert "tracker/github.json:2: error [tracker-file] The tracker's state file is not UTF-8 text" in done.output


def test_a_name_or_a_file_that_starts_with_a_placeholder_word_is_not_one(tmp_path, taxonomy, valid_text):
    """`TODO-bot` (a Slack user a timeline quotes) and `todo.txt` are true text; `TODO:` is the template's."""
    text = valid_text.replace("- 09:25 — The change is identified as the trigger.\n",
                              "- 09:25 — TODO-bot: the change is identified as the trigger (see TODO.md).\n")
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert [p for p in collection.problems if p.rule == "placeholder"] == []
    left = valid_text.replace("- 09:25 — The change is identified as the trigger.\n", "- 09:25 — TODO: who saw it.\n")
    collection, _ = check_text(tmp_path, taxonomy, left)
    assert [p.line for p in collection.problems if p.rule == "placeholder"] == [_line_of(left, "TODO: who")]


def test_a_file_name_that_is_a_page_address_in_another_case_gets_no_redirect(tmp_path, valid_text):
    """`inc-2026-101.md` holding INC-2026-101: on a file system that ignores case the redirect's folder
    would be the page's own, and the page would send its readers to itself."""
    project = copy_project(tmp_path, examples=False)
    (project / "postmortems" / "inc-2026-101.md").write_text(valid_text, encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    folders = [p.name for p in (project / "site" / "incidents").iterdir() if p.is_dir()]
    assert [name for name in folders if name.casefold() == "inc-2026-101"] == ["INC-2026-101"]
