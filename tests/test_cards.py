"""Link-preview cards (hooks/handbook/rendering/cards.py): any text draws a 1200x630 PNG or
degrades without a crash, the cache draws each card once, and the colours are the site's.

Real builds with cards are in tests/test_publish.py (tags, files, the cache across builds) and
tests/test_audience.py (no card for a report the audience may not read)."""

from __future__ import annotations

import datetime as dt
import io
import os
import time
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from handbook.reading.settings import Settings
from handbook.rendering import cards, charts
from handbook.rendering.cards import HEIGHT, WIDTH, Card, draw_card, drawable, ensure_cards, wrap
from handbook.rendering.site import plan_site
from handbook_mkdocs.links import MkDocsLinks

from .conftest import ROOT

CARD = Card(id="INC-2026-101", title="Checkout requests timed out after a connection-pool change",
            severity="SEV2", severity_name="Major", rank=2, status="reviewed", impact="40 min",
            site="Larkspur incident handbook")

HOSTILE_TITLES = [
    "A" * 10_000,                                        # one word far longer than a line
    "word " * 2_000,                                     # 10,000 characters of words
    "🔥🔥🔥 💥",                                          # nothing but emoji
    "תקלה בתשלומים في الدفع",                            # right-to-left scripts
    "Сбой оплаты 支付失败 결제 실패",                      # letters the font does not have
    "ok\u202egnp.exe\u200b\x1b[31mred\x00\x07\ufeff",   # bidi override, zero-width, ANSI, NUL, BEL, BOM
    "Z̸̢̛͚a̵̡͌l̷̨̏g̶̯̈o̸̰͝",                                     # stacked combining marks
    "",
    " \t\n ",
    "\ud800 lone surrogate",
    "x" * 50 + " " + "y" * 3000 + " z",
]


def _png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("title", HOSTILE_TITLES, ids=range(len(HOSTILE_TITLES)))
def test_any_title_draws_a_card_of_the_right_size(title):
    data = draw_card(replace(CARD, title=title, site=title, status=title, severity_name=title))
    image = _png(data)
    assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
    assert len(data) < 100_000


@settings(max_examples=40, deadline=None)
@given(title=st.text(max_size=300), site=st.text(max_size=60), rank=st.integers(-3, 9))
def test_generated_text_never_breaks_a_card(title, site, rank):
    shown = drawable(title)
    assert shown is None or (shown == shown.strip() and "  " not in shown and len(shown) <= cards.MAX_CHARS)
    assert _png(draw_card(replace(CARD, title=title, site=site, rank=rank))).size == (WIDTH, HEIGHT)


def test_text_is_folded_to_what_the_font_draws_and_never_garbled():
    assert drawable("Zürich — Łódź failover 🔥 at 09:00") == "Zurich - Lodz failover at 09:00"
    assert drawable("ﬁle ＡＰＩ  timed\tout") == "file API timed out"
    assert drawable("a\u202eb\u200bc\x1bd") == "abcd"  # no control or format character reaches a card
    assert drawable("Сбой оплаты in eu-west") is None  # a word it cannot write: not drawn at all
    assert drawable("支付失败") is None and drawable("🔥") is None and drawable("  ") is None


def test_long_titles_wrap_to_three_lines_with_an_ellipsis():
    font = cards._font(cards.TITLE_SIZE)
    width = 1000
    lines = wrap("word " * 2_000, font, width, 3)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(font.getlength(line) <= width for line in lines)
    assert wrap("Short title", font, width, 3) == ["Short title"]
    cut = wrap("A" * 10_000, font, width, 3)
    assert len(cut) == 3 and all(font.getlength(line) <= width for line in cut) and cut[-1].endswith("…")


def test_a_title_the_font_cannot_draw_leaves_the_id_on_the_card():
    latin, cyrillic = draw_card(CARD), draw_card(replace(CARD, title="Сбой оплаты"))
    assert latin != cyrillic
    assert cyrillic == draw_card(replace(CARD, title="支付失败"))  # both: the id, large, and no title


def test_every_drawn_field_changes_the_card_and_its_key():
    base = draw_card(CARD)
    assert draw_card(CARD) == base  # the same fields draw the same bytes
    changes = {"id": "INC-2026-102", "title": "Another title", "severity": "SEV1", "severity_name": "Critical",
               "rank": 1, "status": "closed", "impact": "2 h 05 min", "site": "Another handbook"}
    keys = {CARD.key}
    for name, value in changes.items():
        other = replace(CARD, **{name: value})
        assert draw_card(other) != base, name
        keys.add(other.key)
    assert len(keys) == len(changes) + 1


def test_drawing_version_is_part_of_the_key(monkeypatch):
    before = CARD.key
    monkeypatch.setattr(cards, "DRAWING_VERSION", cards.DRAWING_VERSION + 1)
    assert CARD.key != before


def test_severity_colours_are_the_sites_one_scale():
    assert cards.SEVERITY_COLOURS is charts.SEVERITY_COLOURS  # tests/test_charts.py compares it with handbook.css
    assert cards.severity_colours(2) == ("#c2410c", "#ffffff")
    assert cards.severity_colours(0) == cards.severity_colours(6) == (cards.NEUTRAL, cards.ON_NEUTRAL)


def test_the_cache_draws_each_card_once(tmp_path):
    folder = tmp_path / "cards"
    wanted = {card.key: card for card in (CARD, replace(CARD, id="INC-2026-102"))}
    first = ensure_cards(wanted, folder)
    assert (first.drawn, first.cached) == (2, 0) and not first.data and not first.failed
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{key}.png" for key in wanted)
    written = {p.name: p.read_bytes() for p in folder.iterdir()}
    second = ensure_cards(wanted, folder)
    assert (second.drawn, second.cached) == (0, 2)
    assert second.files == first.files and {p.name: p.read_bytes() for p in folder.iterdir()} == written


def test_a_card_unused_for_a_month_is_removed(tmp_path):
    folder = tmp_path / "cards"
    old, kept = replace(CARD, id="INC-2020-001"), replace(CARD, id="INC-2020-002")
    ensure_cards({old.key: old, kept.key: kept}, folder)
    long_ago = time.time() - (cards.KEEP_DAYS + 1) * 86400
    for card in (old, kept):
        os.utime(folder / f"{card.key}.png", (long_ago, long_ago))
    (folder / ".card-stray.tmp").write_bytes(b"")
    os.utime(folder / ".card-stray.tmp", (long_ago, long_ago))
    ensure_cards({kept.key: kept}, folder)  # uses one of the two: the other has not been used for too long
    assert sorted(p.name for p in folder.iterdir()) == [f"{kept.key}.png"]


def test_many_cards_are_drawn_by_several_processes_alike(tmp_path):
    many = {card.key: card for card in (replace(CARD, id=f"INC-2026-{n:03d}") for n in range(cards.PARALLEL_FROM))}
    made = ensure_cards(many, tmp_path / "cards")
    assert made.drawn == len(many) and set(made.files) == set(many) and not made.failed
    some = sorted(many)[:3]
    assert [made.files[key].read_bytes() for key in some] == [draw_card(many[key]) for key in some]


def test_a_card_that_fails_is_the_reports_internal_error_and_its_link_shows_the_site_image(
        tmp_path, monkeypatch, valid_text, taxonomy):
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "postmortems" / "report.md").write_text(valid_text, encoding="utf-8")
    settings = Settings(root=tmp_path, config=ROOT / "handbook.yml", postmortems=tmp_path / "postmortems",
                        audience="internal", today=dt.date(2026, 11, 20), site_url="https://pm.example.org/",
                        repo_url="", card_cache=tmp_path / "cards")
    monkeypatch.setattr(cards, "draw_card", lambda card: 1 / 0)
    plan = plan_site(settings, taxonomy, MkDocsLinks(use_directory_urls=True), site_name="Handbook")
    assert [(p.file, p.rule) for p in plan.collection.problems] == [("postmortems/report.md", "internal-error")]
    head = {key: content for _, key, content in plan.meta["incidents/INC-2026-101.md"]["handbook_head"]}
    assert head["og:image"] == "https://pm.example.org/assets/images/incident-card.png"
    assert not plan.copies and not [name for name in plan.files if name.startswith("assets/cards/")]
    monkeypatch.undo()
    plan = plan_site(settings, taxonomy, MkDocsLinks(use_directory_urls=True), site_name="Handbook")
    assert not plan.collection.problems and list(plan.copies) == ["assets/cards/INC-2026-101.png"]


def test_an_unwritable_cache_keeps_the_cards_in_memory(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    made = ensure_cards({CARD.key: CARD}, blocked / "cards")
    assert made.drawn == 1 and not made.files and _png(made.data[CARD.key]).size == (WIDTH, HEIGHT)


def test_a_card_that_cannot_be_drawn_is_reported_not_raised(tmp_path, monkeypatch):
    def broken(card: Card) -> bytes:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cards, "draw_card", broken)
    made = ensure_cards({CARD.key: CARD}, tmp_path / "cards")
    assert isinstance(made.failed[CARD.key], RuntimeError) and not made.files and not made.data
