"""A build for one audience leaves no trace of the reports that audience may not read."""

from __future__ import annotations

import gzip
import html
import re
from pathlib import Path

import pytest
import yaml

from .conftest import RANK, ROOT, copy_project, example_reports, is_counted, mkdocs


def publishes_statement(report: dict) -> bool:
    """Whether an example report publishes an external message (read here from handbook.yml and the
    file, not through the package): it has the section, its status is at least `published_from`, and
    its kind is counted."""
    taxonomy = yaml.safe_load((ROOT / "handbook.yml").read_text(encoding="utf-8"))
    message = taxonomy["external_message"]
    order = [s["id"] for s in taxonomy["statuses"]]
    return (f"\n## {message['title']}\n" in report["_body"] and is_counted(report)
            and order.index(report["status"]) >= order.index(message["published_from"]))


def _statement_files(report_id: str) -> set[str]:
    """The outputs that may name a report whatever its visibility, because it publishes an external
    message: the message's own files and page, and the list of messages."""
    return {f"statements/{report_id}.md", f"statements/{report_id}.json", f"statements/{report_id}/index.html",
            "statements/index.html", "statements/index.json"}


def _reports() -> list[dict]:
    out = []
    for front in example_reports():
        summary = front["_body"].split("## Summary", 1)[1].split("##", 1)[0]
        words = re.sub(r"[`*_\[\]()]", "", summary).split()
        front["_phrase"] = " ".join(words[3:11])  # eight words from the middle of the summary's first line
        out.append(front)
    return out


def _outputs(site: Path) -> dict[str, str]:
    texts = {}
    for path in site.rglob("*"):
        if path.is_dir() or path.suffix in (".png", ".ico", ".woff2", ".woff", ".svg") or "assets" in path.parts:
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        text = data.decode("utf-8", errors="replace")
        if path.suffix == ".ics":  # iCalendar folds long lines and writes `,` and `;` as `\,` and `\;`
            text += "\n" + re.sub(r"\\([\\;,])", r"\1", re.sub(r"\r\n[ \t]", "", text))
        texts[path.relative_to(site).as_posix()] = text + "\n" + html.unescape(text)
    return texts


@pytest.mark.parametrize("audience", ["public", "internal", "restricted"])
def test_hidden_reports_leave_no_trace(tmp_path, audience):
    project = copy_project(tmp_path)
    result = mkdocs(project, "build", "--strict", "-d", "site", env={"HANDBOOK_AUDIENCE": audience})
    assert result.code == 0, result.output
    site = project / "site"
    outputs = _outputs(site)
    assert "incidents.json" in outputs and "feed.xml" in outputs and "sitemap.xml" in outputs
    assert "calendar.ics" in outputs
    assert "search/search_index.json" in outputs
    hidden = [r for r in _reports() if RANK[r["_visibility"]] > RANK[audience]]
    shown = [r for r in _reports() if RANK[r["_visibility"]] <= RANK[audience]]
    assert shown
    if audience != "restricted":
        assert hidden, "the examples need a report this audience may not read"
    for report in hidden:
        assert len(report["_phrase"]) > 20
        # A report's external message is written to be public: its files, its page and the list of messages
        # name its id (and the sitemap the page's address), and nothing else of it (but its title when it
        # gives no `external_title`: the message then takes the report's title).
        told = publishes_statement(report)
        allowed = _statement_files(report["id"]) if told else set()
        named = {report["id"]} | ({report["title"]} if not report.get("external_title") else set())
        for needle in (report["id"], report["title"], report["_phrase"]):
            leaks = [name for name, text in outputs.items()
                     if needle in (text.replace(f"statements/{needle}/", "") if told and "sitemap" in name else text)
                     and not (needle in named and name in allowed)]
            assert not leaks, f"{needle!r} of {report['id']} leaks into {leaks} ({audience} build)"
        assert not (site / "incidents" / report["id"]).exists()
        assert (site / "statements" / f"{report['id']}.json").exists() is told
    # a link-preview card for each report shown, and none for a hidden one (its pixels hold its title)
    cards = {p.name for p in (site / "assets" / "cards").iterdir()}
    assert cards == {f"{report['id']}.png" for report in shown}
    for report in shown:
        assert (site / "incidents" / report["id"] / "index.html").exists()
        assert report["id"] in outputs["incidents.json"]
        assert report["_phrase"] in outputs[f"incidents/{report['id']}/index.html"]


def test_an_unknown_audience_is_refused_with_the_choices(tmp_path):
    project = copy_project(tmp_path)
    result = mkdocs(project, "build", "-d", "site", env={"HANDBOOK_AUDIENCE": "everyone"})
    assert result.code == 1
    # MkDocs' own validation of the plugin's typed option
    assert "option 'audience'" in result.output and "'public', 'internal', 'restricted'" in result.output
    assert "everyone" in result.output and "Traceback" not in result.output


def test_security_reports_are_restricted_by_default(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    text = valid_text.replace("visibility: internal\n", "").replace("tags: [database]", "tags: [security]")
    (project / "postmortems" / "sec.md").write_text(text, encoding="utf-8")
    internal = mkdocs(project, "build", "--strict", "-d", "site")
    assert internal.code == 0, internal.output
    assert not (project / "site" / "incidents" / "INC-2026-101").exists()
    restricted = mkdocs(project, "build", "--strict", "-d", "site2", env={"HANDBOOK_AUDIENCE": "restricted"})
    assert restricted.code == 0
    assert (project / "site2" / "incidents" / "INC-2026-101" / "index.html").exists()


def test_a_link_to_a_hidden_report_is_dropped_everywhere(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    hidden = valid_text.replace("title: Checkout requests timed out", "title: Hidden vault incident timed out")
    (project / "postmortems" / "hidden.md").write_text(hidden, encoding="utf-8")
    public = valid_text.replace("id: INC-2026-101", "id: INC-2026-102").replace("visibility: internal",
                                                                                "visibility: public")
    public = public.replace("related: []", "related: [INC-2026-101]")
    (project / "postmortems" / "public.md").write_text(public, encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site", env={"HANDBOOK_AUDIENCE": "public"})
    assert result.code == 0, result.output
    outputs = _outputs(project / "site")
    assert "INC-2026-102" in outputs["incidents.json"]
    for needle in ("INC-2026-101", "Hidden vault"):
        assert not [name for name, text in outputs.items() if needle in text], needle
