"""Writing a report (`handbook new`), stable addresses, link previews and machine-readable outputs."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest
import yaml
from bs4 import BeautifulSoup
from PIL import Image

from .conftest import BIN, ROOT, TODAY, copy_project, handbook, mkdocs

ATOM = "{http://www.w3.org/2005/Atom}"


def _front(path):
    return yaml.load(path.read_text(encoding="utf-8").split("---\n")[1], Loader=yaml.BaseLoader)


@pytest.mark.parametrize("title,name", [
    ("Checkout requests timed out after a slow ledger query optimisation",  # 66: cut before `optimisation`
     "checkout-requests-timed-out-after-a-slow-ledger-query"),
    ("a" * 61 + " b", "a" * 60),                                  # one word longer than the limit: cut in it
    ("Exactly sixty characters of title text here for the limit x", None),  # 60: kept whole
])
def test_new_cuts_a_long_title_after_a_whole_word(tmp_path, title, name):
    project = copy_project(tmp_path, examples=False)
    result = handbook(project, "new", "--no-input", "--title", title, "--severity", "SEV3",
                      "--services", "api", "--started", "2026-11-03T09:12:00Z", "--owner", "Ada Moreau")
    assert result.code == 0, result.output
    [path] = (project / "postmortems" / "2026").glob("*.md")
    slug = path.stem.removeprefix("2026-11-03-")
    words = title.lower().replace(" ", "-")
    assert len(slug) <= 60 and words.startswith(slug)
    if name is not None:
        assert slug == name
    elif len(words) <= 60:
        assert slug == words
    else:
        assert words[len(slug)] == "-", f"{slug!r} ends mid-word"


def test_new_creates_a_draft_with_the_next_id_that_validates(tmp_path):
    project = copy_project(tmp_path)
    args = ["new", "--no-input", "--title", "Checkout latency: p99 over 2 s", "--severity", "SEV2",
            "--services", "checkout-api, ledger", "--started", "2026-11-03T09:12:00Z", "--owner", "Ada Moreau"]
    result = handbook(project, *args)
    assert result.code == 0, result.output
    path = project / "postmortems" / "2026" / "2026-11-03-checkout-latency-p99-over-2-s.md"
    assert path.exists()
    front = _front(path)
    used = [_front(p)["id"] for p in (project / "postmortems").rglob("*.md") if p != path]
    highest = max(int(i.split("-")[2]) for i in used if i.startswith("INC-2026-"))
    assert front["id"] == f"INC-2026-{highest + 1:03d}"
    assert front["title"] == "Checkout latency: p99 over 2 s" and front["services"] == ["checkout-api", "ledger"]
    assert front["status"] == "draft"
    assert "Still to fill in" in result.out and "TODO" in result.out
    check = handbook(project, "validate", str(path.relative_to(project)))
    assert check.code == 0, check.output  # a fresh draft has warnings only
    assert "warning" in check.out
    # the same command again must not overwrite the file
    before = path.read_bytes()
    again = handbook(project, *args)
    assert again.code == 2 and "already exists" in again.err
    assert path.read_bytes() == before


def test_new_asks_for_what_is_missing_in_a_terminal(tmp_path):
    project = copy_project(tmp_path, examples=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDBOOK_")}
    parent, child = pty.openpty()
    process = subprocess.Popen([str(BIN / "handbook"), "new"], cwd=project, env=env, stdin=child, stdout=child,
                               stderr=child, close_fds=True)
    os.close(child)
    answers = iter(["Ledger writes stalled", "SEV3", "ledger", "2026-11-12T10:00:00Z", "Mei-Ling Zhou"])
    seen = b""
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([parent], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(parent, 1024)
        except OSError:
            break
        seen += chunk
        if chunk.rstrip().endswith(b":"):
            os.write(parent, (next(answers) + "\n").encode())
    process.wait(timeout=10)
    os.close(parent)
    assert process.returncode == 0, seen.decode(errors="replace")
    assert b"Title" in seen and b"Severity" in seen
    created = list((project / "postmortems").rglob("*.md"))
    assert [p.name for p in created] == ["2026-11-12-ledger-writes-stalled.md"]
    front = _front(created[0])
    assert front["id"] == "INC-2026-001" and front["severity"] == "SEV3" and front["owner"] == "Mei-Ling Zhou"


def test_new_refuses_an_unknown_severity(tmp_path):
    project = copy_project(tmp_path, examples=False)
    result = handbook(project, "new", "--no-input", "--title", "x", "--severity", "SEV9")
    assert result.code == 2 and "SEV1" in result.err
    assert not list((project / "postmortems").rglob("*.md"))


def test_address_is_built_from_the_id_and_survives_a_rename(tmp_path):
    project = copy_project(tmp_path)
    source = next((project / "postmortems").rglob("*edge-proxy*.md"))
    report_id = _front(source)["id"]
    moved = project / "postmortems" / "renamed" / "whatever-name.md"
    moved.parent.mkdir()
    source.rename(moved)
    for attachment in source.parent.glob("*.png"):  # what it shows moves with it, as its links are relative
        attachment.rename(moved.parent / attachment.name)
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    site = project / "site"
    assert (site / "incidents" / report_id / "index.html").exists()
    # other addresses redirect to the permanent one
    for alias in ("incidents/whatever-name",):
        page = (site / alias / "index.html").read_text(encoding="utf-8")
        soup = BeautifulSoup(page, "html.parser")
        refresh = soup.select_one('meta[http-equiv="refresh"]')["content"]
        target = refresh.split("url=", 1)[1]
        resolved = os.path.normpath(os.path.join(alias, target))
        assert resolved == f"incidents/{report_id}"
        assert soup.select_one('link[rel="canonical"]')["href"].endswith(f"/incidents/{report_id}/")


def _preview_tags(html: str) -> dict[str, str]:
    soup = BeautifulSoup(html, "html.parser")
    return {m.get("property") or m.get("name"): m["content"] for m in soup.select("meta[content]")
            if (m.get("property") or m.get("name") or "").startswith(("og:", "twitter:", "article:"))}


def test_report_pages_unfurl_with_escaped_open_graph_tags_and_their_own_card(tmp_path, valid_text):
    project = copy_project(tmp_path)
    hostile = valid_text.replace("title: Checkout requests timed out after a connection-pool change",
                                 "title: '\"><img src=x onerror=alert(1)> & <script>alert(2)</script>'")
    (project / "postmortems" / "hostile.md").write_text(hostile, encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site", env={"HANDBOOK_SITE_URL": "https://pm.example.org/"})
    assert result.code == 0, result.output
    site = project / "site"
    html = (site / "incidents" / "INC-2026-101" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(2)" not in html and "<img src=x" not in html
    meta = _preview_tags(html)
    title = "INC-2026-101: \"><img src=x onerror=alert(1)> & <script>alert(2)</script>"
    assert meta["og:title"] == meta["twitter:title"] == title
    assert meta["og:type"] == "article"
    assert meta["og:url"] == "https://pm.example.org/incidents/INC-2026-101/"
    assert meta["og:image"] == meta["twitter:image"] == "https://pm.example.org/assets/cards/INC-2026-101.png"
    assert (meta["og:image:width"], meta["og:image:height"], meta["og:image:type"]) == ("1200", "630", "image/png")
    assert meta["og:image:alt"].startswith(title + ". Severity SEV2 · Major; status reviewed;")
    assert meta["twitter:card"] == "summary_large_image"
    assert len(meta["og:description"]) <= 200
    assert meta["og:description"].startswith("Status: reviewed. A configuration change")
    assert meta["twitter:label1"] == "Severity" and meta["twitter:data1"] == "SEV2 · Major"
    assert meta["twitter:label2"] == "Customer impact" and meta["twitter:data2"] == "40 min"
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one('link[rel="canonical"]')["href"] == "https://pm.example.org/incidents/INC-2026-101/"
    # the card: a 1200x630 PNG of this report, not the site's image, and another report's is another
    card = site / "assets" / "cards" / "INC-2026-101.png"
    with Image.open(card) as image:
        assert (image.format, image.size) == ("PNG", (1200, 630))
    cards = sorted((site / "assets" / "cards").glob("*.png"))
    pages = sorted(p.parent.name for p in (site / "incidents").glob("INC-*/index.html"))
    assert [p.stem for p in cards] == pages
    assert len({p.read_bytes() for p in cards}) == len(cards)  # one drawing per report
    assert card.read_bytes() != (site / "assets" / "images" / "incident-card.png").read_bytes()
    # the file-name address redirects, and unfurls as the report does (its tags escaped the same way)
    redirect = (site / "incidents" / "hostile" / "index.html").read_text(encoding="utf-8")
    assert "Redirecting…" in redirect and "<script>alert(2)" not in redirect and "<img src=x" not in redirect
    assert _preview_tags(redirect) == meta


def test_cards_are_drawn_once_and_again_only_for_the_report_that_changed(tmp_path):
    project = copy_project(tmp_path)
    env = {"XDG_CACHE_HOME": str(tmp_path / "user-cache")}
    count = len(list((project / "postmortems").rglob("*.md")))
    first = mkdocs(project, "build", "--strict", "-d", "site", env=env)
    assert first.code == 0, first.output
    drawn = int(re.search(r"link-preview cards: (\d+) drawn, 0 from the cache", first.output).group(1))
    assert 0 < drawn <= count
    cached = sorted((tmp_path / "user-cache" / "postmortem-handbook" / "cards").glob("*.png"))
    assert len(cached) == drawn
    files = {p: (p.stat().st_ino, p.read_bytes()) for p in cached}
    second = mkdocs(project, "build", "--strict", "-d", "site2", env=env)
    assert second.code == 0, second.output
    assert f"link-preview cards: 0 drawn, {drawn} from the cache (" in second.output
    assert {p.name: p.read_bytes() for p in (project / "site2" / "assets" / "cards").iterdir()} == {
        p.name: p.read_bytes() for p in (project / "site" / "assets" / "cards").iterdir()}
    # a change to something the card does not show draws nothing; a new title draws that card only
    source = next((project / "postmortems").rglob("*edge-proxy*.md"))
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("## Summary\n", "## Summary\n\nOne more sentence.\n", 1), encoding="utf-8")
    third = mkdocs(project, "build", "--strict", "-d", "site3", env=env)
    assert f"link-preview cards: 0 drawn, {drawn} from the cache (" in third.output, third.output
    front_title = _front(source)["title"]
    source.write_text(text.replace(f"title: {front_title}", "title: A new title for the card"), encoding="utf-8")
    fourth = mkdocs(project, "build", "--strict", "-d", "site4", env=env)
    assert f"link-preview cards: 1 drawn, {drawn - 1} from the cache (" in fourth.output, fourth.output
    # none rewritten (a card is written to a new file that replaces the old one, so it would change inode)
    assert {p: (p.stat().st_ino, p.read_bytes()) for p in cached} == files
    assert len(list((tmp_path / "user-cache" / "postmortem-handbook" / "cards").glob("*.png"))) == drawn + 1


def test_no_page_loads_anything_from_another_host(example_site):
    for page in example_site.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.select("script[src], link[rel=stylesheet], img[src]"):
            url = tag.get("src") or tag.get("href")
            assert not url.startswith(("http:", "https:", "//")), (page, url)


def test_incidents_json_lists_every_published_report(example_site):
    document = json.loads((example_site / "incidents.json").read_text(encoding="utf-8"))
    pages = sorted(p.parent.name for p in (example_site / "incidents").glob("INC-*/index.html"))
    assert sorted(r["id"] for r in document["incidents"]) == pages
    assert document["count"] == len(pages)
    record = next(r for r in document["incidents"] if r["open_action_items"] and r["counted"])
    source = next(p for p in (ROOT / "postmortems").rglob("*.md") if _front(p)["id"] == record["id"])
    front = _front(source)
    assert record["url"].endswith(f"/incidents/{record['id']}/")
    assert {a["id"] for a in record["open_action_items"]} == {
        a["id"] for a in front["action_items"] if a["status"] in ("open", "in-progress")}
    assert record["action_items"]["total"] == len(front["action_items"])
    assert all(a["overdue"] == (a["due"] < TODAY) for a in record["open_action_items"])
    assert record["durations_seconds"]["time_to_detect"] >= 0


def test_feed_lists_published_reports_only(example_site):
    feed = ET.parse(example_site / "feed.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    statuses = {}
    for path in (ROOT / "postmortems").rglob("*.md"):
        front = _front(path)
        statuses[front["id"]] = front["status"]
    titles = [e.find(f"{ATOM}title").text.split(":")[0] for e in entries]
    pages = {p.parent.name for p in (example_site / "incidents").glob("INC-*/index.html")}
    assert set(titles) == {i for i in pages if statuses[i] != "draft"}
    assert all(e.find(f"{ATOM}link").get("href").endswith(f"/incidents/{t}/") for e, t in zip(entries, titles))


def test_every_page_links_the_feed_where_it_is(example_site):
    pages = [p for p in example_site.rglob("*.html") if "Redirecting…" not in p.read_text(encoding="utf-8")]
    assert len(pages) > 20
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        links = soup.select('link[rel="alternate"][type="application/atom+xml"]')
        assert len(links) == 1, page
        if page.name == "404.html":  # served at any depth: MkDocs gives it addresses from the site root
            assert links[0]["href"] == "/feed.xml"
            continue
        target = (page.parent / links[0]["href"]).resolve()
        assert target == (example_site / "feed.xml").resolve(), page
