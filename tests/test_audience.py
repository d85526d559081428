"""A build for one audience leaves no trace of the reports that audience may not read."""

from __future__ import annotations

import gzip
import html
import re
from pathlib import Path

import pytest
import yaml

from .conftest import RANK, ROOT, copy_project, example_reports, handbook, is_counted, mkdocs


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


def _marked_phrases(body: str) -> list[tuple[str, str]]:
    """(level, eight words from the middle of its longest line) of each `::: level` stretch of a body."""
    found = []
    for level, text in re.findall(r"^::: (\w+)\n(.*?)^:::$", body, flags=re.S | re.M):
        longest = max(text.split("\n"), key=len)
        words = re.sub(r"[`*_\[\]()]", "", longest).split()
        found.append((level, " ".join(words[3:11])))
    return found


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
    # the parts of the examples kept for a narrower audience than this build's: a phrase of each stretch
    for report in shown:
        for level, phrase in _marked_phrases(report["_body"]):
            if RANK[level] > RANK[audience]:
                leaks = [name for name, text in outputs.items() if phrase in text]
                assert not leaks, f"{phrase!r} ({level}) of {report['id']} leaks into {leaks} ({audience} build)"
            else:
                assert phrase in outputs[f"incidents/{report['id']}/index.html"], (phrase, audience)
    assert audience != "public" or any(r["id"] == "INC-2026-001" and len(_marked_phrases(r["_body"])) == 2
                                       for r in shown), "the examples need a public report with marked parts"
    # handbook.yml's words kept for narrower readers: in no output at all (`*` dropped, matched as text)
    words = yaml.safe_load((ROOT / "handbook.yml").read_text(encoding="utf-8"))["visibilities"]["words"]
    for level, listed in words.items():
        if RANK[level] > RANK[audience]:
            for word in listed:
                needle = word.replace("*", "").strip(".")
                leaks = [name for name, text in outputs.items() if needle.lower() in text.lower()]
                assert not leaks, f"the {level} word {word!r} leaks into {leaks} ({audience} build)"
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


# -- parts of a report kept for a narrower audience ------------------------------------------------
@pytest.mark.parametrize("audience", ["public", "internal", "restricted"])
def test_marked_parts_leave_no_trace_in_any_output(tmp_path, valid_text, audience):
    """A public report with a section, a paragraph, a timeline entry, an action item, a factor, a field and
    a service kept for internal or restricted readers: each build holds exactly the parts its audience
    may read, in the report's page and nowhere else, and no other build holds a word of them."""
    from .test_parts import MARKED, READS, marked_report

    project = copy_project(tmp_path, examples=False)
    (project / "postmortems" / "marked.md").write_text(marked_report(valid_text), encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site", env={"HANDBOOK_AUDIENCE": audience})
    assert result.code == 0, result.output
    outputs = _outputs(project / "site")
    page = outputs["incidents/INC-2026-101/index.html"]
    for name, phrase in MARKED.items():
        if name in READS[audience]:
            assert phrase in page, (name, audience)
        else:
            leaks = [path for path, text in outputs.items() if phrase in text]
            assert not leaks, f"the {name} {phrase!r} leaks into {leaks} ({audience} build)"
    for path in ("incidents/INC-2026-101/index.html", "incidents.json", "feed.xml", "calendar.ics",
                 "search/search_index.json", "actions/index.html"):
        assert "field_visibility" not in outputs[path] and "\n:::" not in outputs[path], path
    # the readers who may read a part are told it is left out of the report's own, public version
    raw_page = (project / "site" / "incidents" / "INC-2026-101" / "index.html").read_text(encoding="utf-8")
    labels = raw_page.count("left out of the public version of this report")
    assert labels == {"public": 0, "internal": 2, "restricted": 3}[audience]
    # Slack: the announcement and the digest for a channel of this audience
    announced = handbook(project, "announce", "INC-2026-101", "--audience", audience, "--format", "blocks")
    digest = handbook(project, "digest", "--audience", audience, "--format", "blocks")
    assert announced.code == 0 and digest.code == 0, announced.output + digest.output
    for name, phrase in MARKED.items():
        if name not in READS[audience]:
            assert phrase not in announced.out and phrase not in digest.out, (name, audience)
