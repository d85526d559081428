"""External messages: written in a report, checked, and published for customers and the status page.

Real builds for the public and the internal audience of reports written here; the expected files are
written out in full, so a change of format shows as a diff. The examples' internal report
INC-2026-003 publishes its message in the public build, and nothing else of it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec
import pytest
from bs4 import BeautifulSoup

from handbook.queries.statements import statement_of
from handbook.rendering.portable import portable
from handbook.rendering.statements import markdown_text

from .conftest import copy_project, check_text, handbook, mkdocs
from .test_audience import _outputs, _reports

MESSAGE = """
## External message

### Summary

Between 09:00 and 10:05 UTC on 5 October, some card checkouts failed.
<!-- for the status page: two sentences at most -->

### What happened

A configuration change left checkout with too few database connections. See
[our status page](https://status.example.com/incidents/1) and the [severity levels](../docs/handbook/severity.md).

### What we are doing

- Configuration changes now pass a **canary** first.
- An alert now watches the connection pool.
"""

PLAIN = MESSAGE.replace("the [severity levels](../docs/handbook/severity.md)", "the severity levels")
"""The message without a link into the repository, for reports checked on their own (no repository around)."""

EXPECTED_JSON = {
    "id": "INC-2026-101",
    "title": "Card checkout errors on 5 October",
    "impact": {"started": "2026-10-05T09:00:00+00:00", "ended": "2026-10-05T10:05:00+00:00",
               "resolved": "2026-10-05T11:00:00+00:00"},
    "parts": [
        {"id": "summary", "title": "Summary",
         "markdown": "Between 09:00 and 10:05 UTC on 5 October, some card checkouts failed.",
         "html": "<p>Between 09:00 and 10:05 UTC on 5 October, some card checkouts failed.</p>",
         "text": "Between 09:00 and 10:05 UTC on 5 October, some card checkouts failed."},
        {"id": "what_happened", "title": "What happened",
         "markdown": "A configuration change left checkout with too few database connections. See "
                     "[our status page](<https://status.example.com/incidents/1>) and the severity levels.",
         "html": "<p>A configuration change left checkout with too few database connections. See "
                 '<a href="https://status.example.com/incidents/1">our status page</a> and the severity levels.</p>',
         "text": "A configuration change left checkout with too few database connections. See our status page "
                 "and the severity levels."},
        {"id": "what_we_are_doing", "title": "What we are doing",
         "markdown": "- Configuration changes now pass a **canary** first.\n- An alert now watches the connection pool.",
         "html": "<ul><li>Configuration changes now pass a <strong>canary</strong> first.</li>"
                 "<li>An alert now watches the connection pool.</li></ul>",
         "text": "- Configuration changes now pass a canary first.\n- An alert now watches the connection pool."},
    ],
}

EXPECTED_MD = """# Card checkout errors on 5 October

**Impact:** 2026-10-05 09:00 to 10:05 UTC (1 h 05 min). **Resolved:** 2026-10-05 11:00 UTC.

## Summary

Between 09:00 and 10:05 UTC on 5 October, some card checkouts failed.

## What happened

A configuration change left checkout with too few database connections. See [our status page](<https://status.example.com/incidents/1>) and the severity levels.

## What we are doing

- Configuration changes now pass a **canary** first.
- An alert now watches the connection pool.
"""

REPORT_TITLE = "Checkout requests timed out after a connection-pool change"
PUBLIC_TITLE = "Invoice emails were sent twice after a retry change"


def _internal(valid_text: str) -> str:
    """INC-2026-101, internal and reviewed, with its own external title and an end of impact."""
    text = valid_text.replace(f"title: {REPORT_TITLE}\n",
                              f"title: {REPORT_TITLE}\nexternal_title: Card checkout errors on 5 October\n")
    text = text.replace("mitigated: 2026-10-05T09:40:00Z\n",
                        "mitigated: 2026-10-05T09:40:00Z\nimpact_ended: 2026-10-05T10:05:00Z\n")
    return text + MESSAGE


def _public(valid_text: str) -> str:
    """INC-2026-102, public and reviewed, 15 days later, without an external title, mitigation not stated."""
    text = valid_text.replace("id: INC-2026-101", "id: INC-2026-102").replace("visibility: internal",
                                                                                "visibility: public")
    text = text.replace(f"title: {REPORT_TITLE}", f"title: {PUBLIC_TITLE}").replace("2026-10-05", "2026-10-20")
    text = text.replace("mitigated: 2026-10-20T09:40:00Z", "mitigated: not stated")
    return text + MESSAGE.replace("5 October", "20 October")


def _other(valid_text: str, number: int, change: tuple[str, str]) -> str:
    """Another report with a complete message that is not published: a draft, in review, a case study."""
    text = valid_text.replace("id: INC-2026-101", f"id: INC-2026-{number}").replace(
        f"title: {REPORT_TITLE}", f"title: Unpublished report {number}")
    return text.replace(*change) + MESSAGE


UNPUBLISHED = {"INC-2026-103": ("status: reviewed", "status: draft"),
               "INC-2026-104": ("status: reviewed", "status: in-review"),  # just before `published_from`
               "INC-2026-105": ("status: reviewed", "kind: case-study\nstatus: reviewed")}


@pytest.fixture(scope="module")
def sites(tmp_path_factory, valid_text) -> dict[str, Path]:
    """The reports above built strictly for the public and the internal audience: audience -> site."""
    project = copy_project(tmp_path_factory.mktemp("statements"), examples=False)
    folder = project / "postmortems"
    (folder / "internal.md").write_text(_internal(valid_text), encoding="utf-8")
    (folder / "public.md").write_text(_public(valid_text), encoding="utf-8")
    for report_id, change in UNPUBLISHED.items():
        (folder / f"{report_id}.md").write_text(_other(valid_text, int(report_id[-3:]), change), encoding="utf-8")
    built = {}
    for audience in ("public", "internal"):
        result = mkdocs(project, "build", "--strict", "-d", f"site-{audience}", env={"HANDBOOK_AUDIENCE": audience})
        assert result.code == 0, result.output
        built[audience] = project / f"site-{audience}"
    return built


def _json(site: Path, name: str):
    return json.loads((site / "statements" / name).read_text(encoding="utf-8"))


def _article(site: Path, page: str):
    return BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser").select_one("article")


@pytest.mark.parametrize("audience", ["public", "internal"])
def test_every_build_publishes_the_files_of_each_message_exactly(sites, audience):
    site = sites[audience]
    assert _json(site, "INC-2026-101.json") == EXPECTED_JSON
    assert (site / "statements" / "INC-2026-101.md").read_text(encoding="utf-8") == EXPECTED_MD
    public = _json(site, "INC-2026-102.json")
    assert public["title"] == PUBLIC_TITLE  # no external_title: the report's own
    assert public["impact"] == {"started": "2026-10-20T09:00:00+00:00", "ended": None,
                                "resolved": "2026-10-20T11:00:00+00:00"}  # mitigated: not stated
    assert "**Impact:** from 2026-10-20 09:00 UTC; when it ended is not known." in \
        (site / "statements" / "INC-2026-102.md").read_text(encoding="utf-8")
    assert _json(site, "index.json") == [public, EXPECTED_JSON]  # newest first
    raw = (site / "statements" / "INC-2026-101.json").read_text(encoding="utf-8")
    assert list(json.loads(raw)) == ["id", "title", "impact", "parts"] and raw.endswith("}\n")
    for report_id in UNPUBLISHED:  # a draft, a report in review, a case study
        assert not list((site / "statements").glob(f"{report_id}*")), report_id


def test_the_files_are_the_same_in_every_build(sites):
    """Nothing in them depends on the audience or the time of the build."""
    names = sorted(p.name for p in (sites["public"] / "statements").iterdir() if p.is_file() and p.suffix != ".html")
    assert names == ["INC-2026-101.json", "INC-2026-101.md", "INC-2026-102.json", "INC-2026-102.md", "index.json"]
    for name in names:
        assert (sites["public"] / "statements" / name).read_bytes() == \
            (sites["internal"] / "statements" / name).read_bytes(), name


def test_a_message_of_a_report_the_audience_may_not_read_names_nothing_else_of_it(sites):
    site = sites["public"]
    article = _article(site, "statements/INC-2026-101/index.html")
    text = " ".join(article.get_text(" ").split())
    assert article.h1.get_text().rstrip("¶") == "Card checkout errors on 5 October"
    assert "INC-2026-101" in text and "2026-10-05 09:00 to 10:05 UTC (1 h 05 min)" in text
    assert "some card checkouts failed" in text and "Resolved 2026-10-05 11:00 UTC" in text
    for absent in (REPORT_TITLE, "checkout-api", "payments-gateway", "SEV2", "internal", "Ada Moreau"):
        assert absent not in text, absent
    page = (site / "statements" / "INC-2026-101" / "index.html").read_text(encoding="utf-8")
    assert "incidents/INC-2026-101" not in page and "postmortems/" not in page
    assert not (site / "incidents" / "INC-2026-101").exists()
    # the public report's message links to its page, and its page back to the message
    other = _article(site, "statements/INC-2026-102/index.html")
    assert [a["href"] for a in other.select(".pm-statement-files a") if "incidents" in a["href"]] == \
        ["../../incidents/INC-2026-102/"]


def test_a_readable_report_and_its_message_link_to_each_other(sites):
    site = sites["internal"]
    article = _article(site, "statements/INC-2026-101/index.html")
    link = article.select_one(".pm-statement-files a[href='../../incidents/INC-2026-101/']")
    assert link is not None and link.get_text() == f"INC-2026-101: {REPORT_TITLE}"
    files = {a.get_text(): a["href"] for a in article.select(".pm-statement-files a")}
    assert files["Markdown"] == "../INC-2026-101.md" and files["JSON"] == "../INC-2026-101.json"
    report = _article(site, "incidents/INC-2026-101/index.html")
    line = report.select_one("h2#external-message + .pm-statement-line")  # under the section's heading
    assert " ".join(line.get_text(" ").split()) == "External message published: Card checkout errors on 5 October"
    assert line.a["href"] == "../../statements/INC-2026-101/"
    for report_id in ("INC-2026-104", "INC-2026-105"):  # in review, a case study: no message published
        assert _article(site, f"incidents/{report_id}/index.html").select_one(".pm-statement-line") is None


def test_the_list_of_messages_is_newest_first_and_in_the_navigation(sites):
    site = sites["public"]
    article = _article(site, "statements/index.html")
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in article.select("tbody tr")]
    assert [row[1] for row in rows] == ["INC-2026-102", "INC-2026-101"]
    assert rows[1][2] == "Card checkout errors on 5 October"
    assert article.select_one("a[href='index.json']") is not None
    incidents = BeautifulSoup((site / "incidents" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert any(a.get_text(strip=True) == "External messages" for a in incidents.select("nav a"))
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not [d for d in index["docs"] if d["location"].startswith("statements/")]  # the reports are searched


def test_the_examples_internal_report_publishes_its_message_and_nothing_else_in_the_public_build(tmp_path):
    project = copy_project(tmp_path)
    result = mkdocs(project, "build", "--strict", "-d", "site", env={"HANDBOOK_AUDIENCE": "public"})
    assert result.code == 0, result.output
    site = project / "site"
    [webhooks] = [r for r in _reports() if r["id"] == "INC-2026-003"]
    assert webhooks["visibility"] == "internal" and webhooks["external_title"] != webhooks["title"]
    told = _json(site, "INC-2026-003.json")
    assert told["title"] == webhooks["external_title"]
    assert told["impact"] == {"started": "2026-06-30T09:15:00+00:00", "ended": "2026-06-30T12:10:00+00:00",
                              "resolved": "2026-06-30T12:35:00+00:00"}  # impact_ended, not mitigated
    assert [p["id"] for p in told["parts"]] == ["summary", "what_happened", "what_we_are_doing"]
    assert (site / "statements" / "INC-2026-003" / "index.html").exists()
    assert "INC-2026-003" in [r["id"] for r in _json(site, "index.json")]
    for name, text in _outputs(site).items():  # its title, a phrase of its summary: nowhere
        assert webhooks["title"] not in text and webhooks["_phrase"] not in text, name
    assert not (site / "incidents" / "INC-2026-003").exists()
    incidents = json.loads((site / "incidents.json").read_text(encoding="utf-8"))
    assert "INC-2026-003" not in [r["id"] for r in incidents["incidents"]]


# -- the checks ------------------------------------------------------------------------------------

def _line(text: str, marker: str) -> int:
    return text[:text.index(marker)].count("\n") + 1


@pytest.mark.parametrize("status,code,strict_code,level", [("reviewed", 1, 1, "error"), ("draft", 0, 1, "warning")])
def test_a_missing_or_empty_part_is_refused_at_its_line(tmp_path, valid_text, status, code, strict_code, level):
    project = copy_project(tmp_path, examples=False)
    message = MESSAGE.replace("\n- Configuration changes now pass a **canary** first.\n"
                              "- An alert now watches the connection pool.\n", "\n")  # an empty part
    message = message.replace("### Summary\n", "### Sumary\n")  # a part that is not there
    text = valid_text.replace("status: reviewed", f"status: {status}") + message
    (project / "postmortems" / "report.md").write_text(text, encoding="utf-8")
    result = handbook(project, "validate")
    assert result.code == code, result.output
    section, empty = _line(text, "## External message"), _line(text, "### What we are doing")
    assert (f"postmortems/report.md:{section}: {level} [external-message] `## External message` has no "
            "`### Summary`.") in result.out
    assert (f"postmortems/report.md:{empty}: {level} [external-message] `### What we are doing` of "
            "`## External message` is empty.") in result.out
    assert "fix: Add `### Summary` under `## External message`" in result.out
    assert handbook(project, "validate", "--strict").code == strict_code


def test_the_section_and_its_parts_are_headings_of_the_format(tmp_path, taxonomy, valid_text):
    collection, _ = check_text(tmp_path, taxonomy, valid_text + PLAIN)
    assert collection.problems == []
    text = valid_text.replace("## Response\n", "## What happened\n\nText.\n\n## Response\n")
    collection, _ = check_text(tmp_path, taxonomy, text)
    [problem] = collection.problems
    assert problem.rule == "stray-heading"
    assert "a part of `## External message`: write `### What happened` under that section" in problem.hint


@pytest.mark.parametrize("value,rule", [('""', "empty-value"), ('"  "', "empty-value"), ("[a, b]", "wrong-type")])
def test_an_external_title_is_text(tmp_path, taxonomy, valid_text, value, rule):
    text = valid_text.replace("severity: SEV2", f"external_title: {value}\nseverity: SEV2") + PLAIN
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert [(p.rule, p.line) for p in collection.problems] == [(rule, _line(text, "external_title:"))]


# -- when a message is published --------------------------------------------------------------------

def _statuses(tmp_path, taxonomy, valid_text) -> dict[str, bool]:
    published = {}
    for status in [s.id for s in taxonomy.statuses]:
        text = valid_text.replace("status: reviewed", f"status: {status}") + PLAIN
        if status == "closed":
            text = text.replace("status: open", "status: done")
        folder = tmp_path / status
        folder.mkdir(exist_ok=True)
        collection, _ = check_text(folder, taxonomy, text)
        [report] = collection.reports
        published[status] = statement_of(report, taxonomy) is not None
    return published


def test_a_message_is_published_from_published_from_on(tmp_path, taxonomy, valid_text):
    assert taxonomy.external_message.published_from == "reviewed"
    assert _statuses(tmp_path, taxonomy, valid_text) == {"draft": False, "in-review": False, "reviewed": True,
                                                         "closed": True}
    earlier = msgspec.structs.replace(taxonomy, external_message=msgspec.structs.replace(
        taxonomy.external_message, published_from="in-review"))
    assert _statuses(tmp_path, earlier, valid_text) == {"draft": False, "in-review": True, "reviewed": True,
                                                        "closed": True}


def test_a_message_with_a_part_missing_or_of_a_kind_not_counted_is_not_published(tmp_path, taxonomy, valid_text):
    summary = "Between 09:00 and 10:05 UTC on 5 October, some card checkouts failed.\n"
    for change in [("### Summary\n", "### Overview\n"), (summary, ""),  # a part missing; a part of a comment only
                   ("## External message\n", "## External notice\n")]:
        collection, _ = check_text(tmp_path, taxonomy, valid_text + PLAIN.replace(*change))
        assert statement_of(collection.reports[0], taxonomy) is None, change
    for kind, published in (("incident", True), ("drill", False), ("case-study", False)):
        text = valid_text.replace("status: reviewed", f"kind: {kind}\nstatus: reviewed") + PLAIN
        collection, _ = check_text(tmp_path, taxonomy, text)
        assert (statement_of(collection.reports[0], taxonomy) is not None) is published, kind


def test_handbook_yml_declares_it_and_refuses_what_cannot_work(tmp_path):
    project = copy_project(tmp_path, examples=False)
    path = project / "handbook.yml"
    original = path.read_text(encoding="utf-8")
    for old, new, message in [
        ("published_from: reviewed", "published_from: approved",
         "external_message.published_from `approved` is not a declared status."),
        ("{id: what_happened, title: What happened}", "{id: summary, title: What happened}",
         "The id `summary` appears twice in external_message.parts."),
        ("  title: External message ", "  title: Timeline ", "external_message.title `Timeline` is also the title"),
    ]:
        changed = original.replace(old, new, 1)
        assert changed != original
        path.write_text(changed, encoding="utf-8")
        result = handbook(project, "validate")
        line = _line(changed, new)
        assert result.code == 2 and f"handbook.yml:{line}:" in result.err and message in result.err, result.output


# -- the text of the files --------------------------------------------------------------------------

def test_the_text_keeps_paragraphs_and_items_and_reads_the_markup():
    markdown = ("Checkout **failed** for `some` users; see [the notice](https://x.example/n).\n"
                "It was _not_ a snake_case problem &amp; no data was lost.\n\n"
                "- First fix\n  continued here.\n2. Second fix\n\n![a graph of errors](https://x.example/g.png)")
    assert portable(markdown).text == ("Checkout failed for some users; see the notice. It was not a snake_case "
                                       "problem & no data was lost.\n\n- First fix continued here.\n- Second fix"
                                       "\n\na graph of errors")


def test_a_title_is_markdown_that_shows_it_as_written():
    assert markdown_text("Checkout *errors* <b>& [more]") == "Checkout &#42;errors&#42; &lt;b&gt;&amp; &#91;more&#93;"
    assert markdown_text("#1 {: onclick=x }") == "&#35;1 &#123;: onclick&#61;x &#125;"  # no heading, no attributes
    assert re.fullmatch(r"[^<>]*", markdown_text('<script>alert("x")</script>'))
