"""A payload in every field a reader sees, one build, every output file searched.

Each field of one report gets its own payload: markup that would run script if it ever reached a
page as HTML (an event handler, a script element, a `javascript:` link), a Slack broadcast, and
Markdown and template syntax, all carrying the field's name. One strict build writes every output;
every HTML page, the search index, incidents.json, the feed and both Slack formats are then
searched. A field passes when its payload is shown (as text, exactly) where the reader looks for it,
and nothing anywhere turned any payload into markup.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from handbook.rendering.statements import markdown_text

from .conftest import copy_project, handbook, mkdocs


def payload(field: str) -> str:
    return (f'<img src=x onerror=alert("{field}")><script>alert("{field}")</script> '
            f'[x](javascript:alert("{field}")) <!channel> *{field}* {{{{ "{field}" }}}} & |')


def _set(front: dict, path: str, value: str) -> None:
    """Set the front-matter value at `path` ("a.b", "a[0]", "a[0].b") to `value`."""
    parts = path.replace("]", "").replace("[", ".").split(".")
    target = front
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    target[int(last) if last.isdigit() else last] = value


# field path -> where a reader must find it on the report's page (a CSS selector)
FIELDS = {
    "title": "h1",
    "owner": ".pm-card",
    "authors[1]": ".pm-card",
    "roles.commander": ".pm-card",
    "roles.scribe": ".pm-card",
    "roles.communications": ".pm-card",
    "roles.subject_matter_experts[0]": ".pm-card",
    "services[0]": ".pm-card",
    "tags[0]": ".pm-card",
    "impact.users_affected": ".pm-card",
    "impact.data_impact": ".pm-card",
    "contributing_factors[0].description": "table",
    "action_items[1].description": "ol.pm-actions",
    "action_items[1].owner": "ol.pm-actions",
    "action_items[1].verification": "ol.pm-actions",
    "severity_label": ".pm-card",
    "references[0].text": ".pm-card",
    "references[1]": ".pm-card",
    "external_title": ".pm-statement-line",  # the link to the external message, under its section's heading
}
PARTS = ("summary", "what_happened", "what_we_are_doing")
"""The external message's parts: each holds the payload of `external_message.<part>`."""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("hostile-fields"), examples=False)
    text = (Path(__file__).parent / "fixtures" / "valid.md").read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    front["references"] = [{"text": "", "url": "https://example.com/write-up"}, ""]  # optional: filled below
    for field in FIELDS:
        _set(front, field, payload(field))
    front["action_items"][1]["status"] = "open"  # on the action items page and in the digest too
    body = text.split("---\n", 2)[2] + "\n## External message\n\n" + "".join(
        f"### {title}\n\n{payload(f'external_message.{part}')}\n\n"
        for part, title in zip(PARTS, ("Summary", "What happened", "What we are doing")))
    (project / "postmortems" / "report.md").write_text(
        "---\n" + json.dumps(front, default=str, ensure_ascii=False, indent=1) + "\n---\n" + body, encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    return project


def _no_markup_from_payloads(html: str, where: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    for element in soup.find_all(True):
        handlers = [name for name in element.attrs if name.lower().startswith("on")]
        assert not handlers, f"{where}: <{element.name}> has {handlers}"
        href = str(element.get("href", "")).strip().lower()
        assert not href.startswith("javascript:"), f"{where}: <{element.name} href={href!r}>"
    for script in soup.find_all("script"):
        assert "alert(" not in script.get_text(), where
    assert not soup.select('img[src="x"]'), where


def test_no_payload_becomes_markup_in_any_page_or_the_search_index(hostile_site):
    site = hostile_site / "site"
    pages = list(site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        _no_markup_from_payloads(page.read_text(encoding="utf-8"), str(page.relative_to(site)))
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    for doc in index["docs"]:  # Material's search shows these as HTML
        _no_markup_from_payloads(doc["title"], f"search title of {doc['location']}")
        _no_markup_from_payloads(doc["text"], f"search text of {doc['location']}")


@pytest.mark.parametrize("field", FIELDS)
def test_each_field_is_shown_exactly_as_written(hostile_site, field):
    site = hostile_site / "site"
    report = BeautifulSoup((site / "incidents" / "INC-2026-101" / "index.html").read_text(encoding="utf-8"),
                           "html.parser")
    shown = " ".join(" ".join(e.get_text(" ").split()) for e in report.select(f"article {FIELDS[field]}"))
    assert " ".join(payload(field).split()) in shown, field


def test_the_worklists_show_the_payloads_as_text(hostile_site):
    site = hostile_site / "site"
    actions = BeautifulSoup((site / "actions" / "index.html").read_text(encoding="utf-8"), "html.parser")
    text = " ".join(actions.select_one("article").get_text(" ").split())
    for field in ("action_items[1].description", "action_items[1].owner"):
        assert " ".join(payload(field).split()) in text, field
    incidents = BeautifulSoup((site / "incidents" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert payload("title") in incidents.select_one("article table").get_text()


def test_json_and_feed_carry_the_payloads_as_data(hostile_site):
    site = hostile_site / "site"
    record = json.loads((site / "incidents.json").read_text(encoding="utf-8"))["incidents"][0]
    assert record["title"] == payload("title") and record["owner"] == payload("owner")
    assert record["services"][0] == payload("services[0]") and record["tags"][0] == payload("tags[0]")
    assert record["impact"]["users_affected"] == payload("impact.users_affected")
    [item] = [a for a in record["open_action_items"] if a["id"] == "AI-2"]
    assert item["description"] == payload("action_items[1].description")
    assert item["owner"] == payload("action_items[1].owner")
    feed = ET.parse(site / "feed.xml").getroot()  # well-formed, whatever the title holds
    titles = [e.text or "" for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert any(payload("title") in t for t in titles)


def test_the_external_message_shows_the_payloads_as_text_and_its_files_hold_them_as_text(hostile_site):
    site = hostile_site / "site"
    article = BeautifulSoup((site / "statements" / "INC-2026-101" / "index.html").read_text(encoding="utf-8"),
                            "html.parser").select_one("article")
    assert " ".join(article.h1.get_text().rstrip("¶").split()) == payload("external_title")
    shown = " ".join(article.get_text(" ").split())
    record = json.loads((site / "statements" / "INC-2026-101.json").read_text(encoding="utf-8"))
    assert record["title"] == payload("external_title")
    markdown = (site / "statements" / "INC-2026-101.md").read_text(encoding="utf-8")
    assert markdown.startswith(f"# {markdown_text(payload('external_title'))}\n")
    # any Markdown renderer shows it as text: no raw HTML, no link but to http(s) (`\[x\]` is text)
    assert "<" not in markdown and not re.search(r"(?<!\\)\]\(javascript:", markdown)
    for part, field in zip(record["parts"], PARTS):
        script = f'<script>alert("external_message.{field}")</script>'
        assert script in shown and f'<img src=x onerror=alert("external_message.{field}")>' in shown
        assert script in part["text"] and "<!channel>" in part["text"]  # plain text, as typed
        assert "<" not in part["markdown"] and "&lt;script&gt;" in part["markdown"]
        assert part["markdown"] in markdown


@pytest.mark.parametrize("fmt", ["mrkdwn", "blocks"])
def test_slack_messages_never_broadcast_or_link_from_a_payload(hostile_site, fmt):
    result = handbook(hostile_site, "announce", "INC-2026-101", "--format", fmt)
    assert result.code == 0, result.output
    out = result.out if fmt == "mrkdwn" else json.dumps(json.loads(result.out), ensure_ascii=False)
    assert "<!channel>" not in out and "<script>" not in out and "<img" not in out
    assert "<javascript:" not in out  # Slack links only <address|label>; the text may say the rest
    assert "&lt;!channel&gt;" in out
