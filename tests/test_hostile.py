"""Hostile and broken input: shown as text everywhere, parsed safely, never a traceback."""

from __future__ import annotations

import json
import time
import tracemalloc
import xml.etree.ElementTree as ET

from bs4 import BeautifulSoup

from handbook import Level

from .conftest import check_text, copy_project, handbook, mkdocs

SCRIPT = "<script>alert(7)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PIPE = "a | b | c"


def _hostile_report(valid_text: str) -> str:
    text = valid_text
    text = text.replace("title: Checkout requests timed out after a connection-pool change",
                        f"title: '{IMG} {SCRIPT}'")
    text = text.replace("services: [checkout-api, payments-gateway]", f"services: ['{SCRIPT}', '{PIPE}']")
    text = text.replace("owner: Ada Moreau", f"owner: '{IMG}'", 1)
    text = text.replace("description: Route configuration changes through the same canary stage as code.",
                        f"description: 'Route {PIPE} changes {SCRIPT} through the canary'")
    text = text.replace("- 09:25 — The change is identified as the trigger.",
                        f"- 09:25 — The change {SCRIPT} is identified {IMG} as the trigger [x](javascript:alert(3)).")
    text = text.replace("## Impact\n", f"## Impact\n\n<iframe src=\"https://evil.example\"></iframe>\n\n"
                        f"[click](javascript:alert(4)) and [ok](https://example.com/ok) and <https://example.com/a>\n")
    return text


def test_hostile_text_is_shown_as_text_in_html_json_and_feed(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    (project / "postmortems" / "hostile.md").write_text(_hostile_report(valid_text), encoding="utf-8")
    assert handbook(project, "validate").code == 0
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    site = project / "site"
    for page in site.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for script in soup.find_all("script"):
            assert "alert" not in script.get_text(), page
        assert not soup.find_all("iframe"), page
        assert not soup.select("img[onerror]"), page
        for link in soup.find_all("a", href=True):
            assert not link["href"].strip().lower().startswith("javascript:"), page
    report = BeautifulSoup((site / "incidents" / "INC-2026-101" / "index.html").read_text(encoding="utf-8"),
                           "html.parser")
    text = report.select_one("article").get_text(" ")
    assert SCRIPT in text and IMG in text  # shown, as text
    # a `|` in an action does not break the action items: one block per item, the text whole
    items = report.select("#action-items ~ ol.pm-actions > li.pm-action")
    assert [i.select_one(".pm-action__id").get_text() for i in items] == ["AI-1", "AI-2"]
    assert items[0].select_one(".pm-action__text").get_text() == f"Route {PIPE} changes {SCRIPT} through the canary"
    assert items[0].select_one(".pm-action__facts").get_text().startswith("Owner: Dev Patel · Priority: P1")
    assert report.select_one('a[href="https://example.com/ok"]') is not None
    assert report.select_one('a[href="https://example.com/a"]') is not None
    document = json.loads((site / "incidents.json").read_text(encoding="utf-8"))
    assert document["incidents"][0]["title"] == f"{IMG} {SCRIPT}"
    feed = ET.parse(site / "feed.xml").getroot()
    assert SCRIPT in "".join(feed.itertext())
    assert "<script>" not in (site / "feed.xml").read_text(encoding="utf-8")


def test_link_fields_accept_only_http_and_https(tmp_path, taxonomy, valid_text):
    for bad in ("javascript:alert(1)", "data:text/html;hi", "ftp://example.com/x", "//example.com"):
        text = valid_text.replace("https://grafana.example.com/d/checkout", bad)
        collection, _ = check_text(tmp_path, taxonomy, text)
        assert [p.rule for p in collection.problems] == ["bad-url"], bad


def test_an_alias_bomb_is_refused_quickly_in_bounded_memory(tmp_path, taxonomy, valid_text):
    bomb = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    bomb += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    text = valid_text.replace("tags: [database]\n", "tags: [database]\n" + "\n".join(bomb) + "\n")
    tracemalloc.start()
    started = time.process_time()  # this process's CPU time: other workers and builds on the machine do not count
    collection, _ = check_text(tmp_path, taxonomy, text)
    elapsed = time.process_time() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert any(p.rule == "yaml-alias" and p.level is Level.ERROR for p in collection.problems)
    assert elapsed < 1.0 and peak < 20 * 1024 * 1024


def test_awkward_but_reasonable_input_is_accepted_or_located(tmp_path, taxonomy, valid_text):
    cases = {
        # tabs inside values are fine; a tab used for indentation is a located YAML error
        "tab-in-value": (valid_text.replace("title: Checkout", "title: Checkout\twith a tab"), []),
        "tab-indent": (valid_text.replace("  commander: Ada Moreau", "\tcommander: Ada Moreau"), ["yaml-syntax"]),
        # numbers where text is expected
        "number-title": (valid_text.replace("title: Checkout requests timed out after a connection-pool change",
                                            "title: 404"), ["wrong-type"]),
        "list-owner": (valid_text.replace("owner: Ada Moreau", "owner: [Ada, Ben]", 1), ["wrong-type"]),
        # a date written as a plain number
        "number-date": (valid_text.replace("due: 2026-10-15", "due: 20261015"), ["wrong-type"]),
        "number-timestamp": (valid_text.replace("started: 2026-10-05T09:00:00Z", "started: 1759654800"),
                             ["wrong-type"]),
    }
    for name, (text, rules) in cases.items():
        collection, _ = check_text(tmp_path, taxonomy, text, name=f"{name}.md")
        found = sorted({p.rule for p in collection.problems})
        assert found == rules, (name, [(p.rule, p.message) for p in collection.problems])
        assert all(p.line >= 1 and p.hint for p in collection.problems)
        assert len(collection.reports) == 1
    date_hint = check_text(tmp_path, taxonomy, cases["number-date"][0], name="d.md")[0].problems[0].hint
    assert "YYYY-MM-DD" in date_hint


def test_no_traceback_on_any_broken_file_through_the_command_line(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    folder = project / "postmortems"
    (folder / "nul.md").write_bytes(b"---\nid: INC-2026-001\x00\n---\n")
    (folder / "bom-crlf.md").write_bytes(b"\xef\xbb\xbf" + valid_text.replace("\n", "\r\n").encode())
    (folder / "binary.md").write_bytes(bytes(range(256)))
    (folder / "list.md").write_text("---\n- a\n- b\n---\n", encoding="utf-8")
    (folder / "unclosed.md").write_text("---\nid: INC-2026-002\ntitle: x\n", encoding="utf-8")
    (folder / "scalar.md").write_text("---\njust text\n---\n", encoding="utf-8")
    result = handbook(project, "validate", "--format", "json")
    assert "Traceback" not in result.output
    document = json.loads(result.out)
    assert document["reports"] == 6
    by_file = {p["file"].split("/")[-1] for p in document["problems"] if p["level"] == "error"}
    assert by_file == {"nul.md", "binary.md", "list.md", "unclosed.md", "scalar.md"}
    build = mkdocs(project, "build", "-d", "site")
    assert build.code == 1 and "Traceback" not in build.output
