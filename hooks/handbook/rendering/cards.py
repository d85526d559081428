"""Link-preview cards: one 1200x630 PNG per report, drawn at build time and stored by content.

A report's link unfurls in Slack and elsewhere with a large image. This module draws it from what
the report says (id, title, severity, status, customer impact) and the site's name, with the font
Pillow ships inside its wheel: no system font is read and nothing is fetched.

* A card is data first (`Card`): exactly the fields drawn. `Card.key` hashes them with
  `DRAWING_VERSION` and Pillow's version, so a card is drawn again only when something it shows,
  or the way it is drawn, changed.
* Drawn cards are stored as `<key>.png` in a cache folder the build names (`Settings.cards_dir`:
  the user's cache folder, never a checkout, as for the preview's cache, so no file a pull request
  commits is ever published as a card; shared by every checkout, as the name is the content's).
  Files are written atomically; a card found is touched, and one unused for `KEEP_DAYS` is removed.
  A build that draws many (the first one) shares the drawing with other processes.
* Any title is accepted: the font draws ASCII and a little punctuation, so accents are folded
  (`Zürich` is drawn `Zurich`), symbols it lacks (emoji) are left out, and a title with letters it
  cannot draw (Cyrillic, CJK, Hebrew, Arabic...) is not drawn at all rather than drawn wrong: the
  card then shows the id large, and the link's text, which Slack shows above the image, carries the
  title. Long titles wrap to three lines and end with an ellipsis. Control and format characters
  (bidirectional overrides included) are never drawn.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from handbook.core.files import write_atomic
from handbook.rendering.charts import SEVERITY_COLOURS

if TYPE_CHECKING:  # Pillow is imported when a card is drawn, not by every build that finds them cached
    from PIL import Image
    from PIL.ImageFont import FreeTypeFont

WIDTH, HEIGHT = 1200, 630
"""The size every link preview asks for (1.91:1)."""
DRAWING_VERSION = 1
"""Bump when the drawing changes: every cached card is drawn again."""
KEEP_DAYS = 30
"""A cached card no build used for this long is removed."""

# The severity scale is the site's one (charts.SEVERITY_COLOURS, handbook.css's light `--pm-sev-1`
# to `--pm-sev-5`; tests/test_charts.py keeps the two equal). A severity ranked below these is drawn
# in the neutral colours, as the site's `.pm-sev` pill is.
ON_SEVERITY = "#ffffff"
NEUTRAL, ON_NEUTRAL = "#e8eaed", "#1e2029"
PAPER, INK = "#ffffff", "#1e2029"
BRAND = "#3f51b5"
"""Material's `primary: indigo`, the site's header colour: the band with the site's name."""

PAPER_I, MUTED_I, INK_I = 0, 45, 63
SEVERITY_I, ON_SEVERITY_I = 64, 127
BRAND_I, ON_BRAND_I = 128, 191
"""The card is a palette image, drawn with these indices. Each pair of colours that text is drawn in
and on is a ramp of 64 entries (paper to ink, severity to the text on it, the band to its text), so
the antialiased text Pillow blends into a palette image, index by index, lands on the right shade.
Secondary text is the ink ramp at 45/63 (about #5e6066). A palette image is a third of the pixels
of an RGB one to compress, which is most of the cost of a card."""
COMPRESSION = 3
"""zlib level of the PNG: flat colour compresses well already at this level (about 30 KB)."""

MARGIN, BAR, BAND = 88, 24, 76
TITLE_SIZE, TITLE_LEADING, TITLE_LINES = 60, 74, 3
MAX_CHARS = 400
"""Characters of a value looked at: three lines hold about 100, so a 10,000-character title costs
no more than a short one."""


@dataclass(frozen=True, slots=True)
class Card:
    """Exactly what one card shows: its cache key is made of these fields and nothing else."""

    id: str
    title: str
    severity: str
    """The severity's id (`SEV2`), empty when the report gives none."""
    severity_name: str
    """Its name in handbook.yml (`Major`), empty when unknown."""
    rank: int
    """1 for the most severe, 0 when the severity is not in handbook.yml."""
    status: str
    impact: str
    """The customer impact's duration as the page shows it (`40 min`), or `not known`."""
    site: str

    @property
    def key(self) -> str:
        """A hash of the fields, the drawing's version and Pillow's: the cached file's name."""
        from PIL import __version__ as pillow

        text = json.dumps([DRAWING_VERSION, pillow, *astuple(self)], ensure_ascii=True)
        return hashlib.sha256(text.encode("ascii")).hexdigest()[:32]


@dataclass(slots=True)
class CardSet:
    """The cards of one build, by key: where each is, and what it cost."""

    files: dict[str, Path] = field(default_factory=dict)
    """Cards in the cache folder."""
    data: dict[str, bytes] = field(default_factory=dict)
    """Cards drawn that could not be stored (the cache folder is not writable): kept in memory."""
    failed: dict[str, Exception] = field(default_factory=dict)
    """Cards that could not be drawn (a bug of ours), with the exception."""
    drawn: int = 0
    cached: int = 0
    seconds: float = 0.0
    """Wall time spent finding, drawing and storing them."""
    cpu_seconds: float = 0.0
    """CPU time spent on it, in this process and the ones that drew cards with it."""


# -- the cache ------------------------------------------------------------------------------------

def ensure_cards(cards: Mapping[str, Card], folder: Path) -> CardSet:
    """Every card of `cards` (by `Card.key`) in `folder`, drawing those not found there. Never
    raises: a card that cannot be stored stays in memory, one that cannot be drawn is in `failed`."""
    result = CardSet()
    started, cpu = time.perf_counter(), _cpu_time()
    missing: list[tuple[str, Card]] = []
    for key, card in cards.items():
        path = folder / f"{key}.png"
        try:
            os.utime(path)  # found: marked as used, for the pruning below
        except OSError:
            missing.append((key, card))
        else:
            result.files[key] = path
            result.cached += 1
    for key, outcome in _draw_all(missing, folder):
        if isinstance(outcome, Exception):
            result.failed[key] = outcome
            continue
        result.drawn += 1
        if isinstance(outcome, Path):
            result.files[key] = outcome
        else:
            result.data[key] = outcome
    _prune(folder, set(result.files))
    result.seconds, result.cpu_seconds = time.perf_counter() - started, _cpu_time() - cpu
    return result


def _cpu_time() -> float:
    """CPU time of this process and of the children it has waited for (the drawing processes)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


PARALLEL_FROM = 100
"""Cards to draw from which the work is shared with other processes (a first build, a new site name)."""
MAX_JOBS = 4

Outcome = Path | bytes | Exception
"""A card drawn and stored, drawn but kept in memory, or not drawn."""


def _draw_all(missing: list[tuple[str, Card]], folder: Path) -> list[tuple[str, Outcome]]:
    jobs = min(os.cpu_count() or 1, MAX_JOBS) if len(missing) >= PARALLEL_FROM else 1
    if jobs > 1:
        import multiprocessing as mp  # only for many cards
        import threading

        # fork copies this process as it is, so only while no other thread (a server's) runs here
        if "fork" not in mp.get_all_start_methods() or threading.active_count() > 1:
            jobs = 1
    if jobs == 1:
        return _draw_some(missing, folder)
    _warm_up({card.site for _, card in missing})
    chunks = [missing[i::jobs] for i in range(jobs)]
    with mp.get_context("fork").Pool(jobs - 1) as pool:
        others = pool.starmap_async(_draw_some, [(chunk, folder) for chunk in chunks[1:]])
        parts = [_draw_some(chunks[0], folder), *others.get()]
    return [item for part in parts for item in part]


def _draw_some(missing: list[tuple[str, Card]], folder: Path) -> list[tuple[str, Outcome]]:
    """Draw and store each card; in another process, its result comes back through a pipe."""
    done: list[tuple[str, Outcome]] = []
    for key, card in missing:
        try:
            png = draw_card(card)
        except Exception as exc:  # noqa: BLE001 - one card never ends the build
            done.append((key, RuntimeError(f"{type(exc).__name__}: {exc}")))  # always picklable
            continue
        path = folder / f"{key}.png"
        done.append((key, path if _store(path, png) else png))
    return done


def _store(path: Path, png: bytes) -> bool:
    try:
        write_atomic(path, png, mode=0o600)
    except OSError:
        return False
    return True


def _prune(folder: Path, used: set[str]) -> None:
    """Remove the cards (and stray temporary files) nothing used for `KEEP_DAYS`."""
    limit = time.time() - KEEP_DAYS * 86400
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if not (name.endswith(".png") or name.endswith(".tmp")) or name[:-4] in used:
                    continue
                try:
                    if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < limit:
                        os.unlink(entry.path)
                except OSError:
                    continue
    except OSError:
        return


# -- text the font can draw -----------------------------------------------------------------------

_FOLDS = str.maketrans({
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i", "ħ": "h", "Ħ": "H",
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "„": "“", "‚": "‘", "′": "'",
})
"""Letters and dashes that do not decompose into ones the font has."""
_SPACES = re.compile(r"\s+")


@functools.cache
def _font(size: int) -> FreeTypeFont:
    """Pillow's own font (Aileron Regular) at `size` px, laid out by Pillow itself (the same result
    whether or not the machine has libraqm)."""
    from PIL import ImageFont

    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):
        raise RuntimeError("Pillow was built without FreeType: link-preview cards cannot be drawn")
    return font.font_variant(layout_engine=ImageFont.Layout.BASIC)


_drawable: dict[str, bool] = {}


def _can_draw(char: str) -> bool:
    """Whether the font has a glyph for `char` (rather than its empty-box glyph)."""
    known = _drawable.get(char)
    if known is None:
        font = _font(40)
        missing = font.getmask("\uffff")
        mask = font.getmask(char)
        known = _drawable[char] = char == " " or mask.size != missing.size or bytes(mask) != bytes(missing)
    return known


def drawable(value: str) -> str | None:
    """`value` as the card's font can draw it, on one line; None when it cannot be drawn without
    dropping a letter or a digit (or is empty)."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", value[: MAX_CHARS * 2]))
    out: list[str] = []
    for char in text.translate(_FOLDS):
        category = unicodedata.category(char)
        if category[0] == "Z" or char in "\t\n\r\x0b\x0c":
            out.append(" ")
        elif category in ("Mn", "Me", "Mc", "Cc", "Cf", "Cs", "Co", "Cn"):
            continue  # accents folded away; controls, format characters and non-characters never drawn
        elif _can_draw(char):
            out.append(char)
        elif category[0] in "LN":
            return None  # a word the font cannot write: better not drawn than drawn wrong
        else:
            out.append(" ")  # a symbol the font lacks (an emoji, an arrow): left out
    folded = _SPACES.sub(" ", "".join(out)).strip()
    return folded[:MAX_CHARS] or None


def wrap(text: str, font: FreeTypeFont, width: int, lines: int) -> list[str]:
    """`text` in at most `lines` lines of at most `width` px, the last ending with an ellipsis when
    the text goes on; a word longer than a line is cut."""
    words = text.split(" ")
    space = font.getlength(" ")
    out: list[str] = []
    current: list[str] = []
    used = 0.0
    index = 0
    while index < len(words) and len(out) < lines:
        word = words[index]
        extra = font.getlength(word) + (space if current else 0.0)  # each word measured once
        if used + extra <= width:
            current.append(word)
            used += extra
            index += 1
        elif current:
            out.append(" ".join(current))
            current, used = [], 0.0
        else:
            cut = _longest_prefix(word, font, width)
            out.append(word[:cut])
            words[index] = word[cut:]
    if current and len(out) < lines:
        out.append(" ".join(current))
        current = []
    if current or index < len(words):
        out[-1] += "…"
    return [fit(line, font, width) for line in out]  # kerning across spaces, never past the edge


def fit(text: str, font: FreeTypeFont, width: int) -> str:
    """`text` on one line of at most `width` px, cut with an ellipsis when it is longer."""
    if font.getlength(text) <= width:
        return text
    cut = _longest_prefix(text, font, width - font.getlength("…"))
    return text[:cut].rstrip(" ,;:.-") + "…"


def _longest_prefix(text: str, font: FreeTypeFont, width: float) -> int:
    """The length of the longest prefix of `text` that fits in `width` px (at least 1)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low


# -- drawing --------------------------------------------------------------------------------------

def severity_colours(rank: int) -> tuple[str, str]:
    """The pill's background and text colours for the severity ranked `rank` (1: most severe)."""
    if 1 <= rank <= len(SEVERITY_COLOURS):
        return SEVERITY_COLOURS[rank - 1], ON_SEVERITY
    return NEUTRAL, ON_NEUTRAL


def draw_card(card: Card) -> bytes:
    """The card as PNG bytes: 1200x630, a palette image of about 30 KB."""
    from PIL import ImageDraw

    severity, on_severity = severity_colours(card.rank)
    image = _background(card.site).copy()
    image.putpalette(_palette(severity, on_severity))
    draw = ImageDraw.Draw(image)
    draw.fontmode = "L"  # antialiased: see PAPER_I
    left, width = MARGIN, WIDTH - MARGIN - 64
    draw.rectangle((0, 0, BAR - 1, HEIGHT - BAND - 1), fill=SEVERITY_I if card.rank else MUTED_I)

    ident = drawable(card.id) or ""
    title = drawable(card.title)
    if title is not None:
        if ident:
            draw.text((left, 58), fit(ident, _font(40), width), font=_font(40), fill=MUTED_I)
        for number, line in enumerate(wrap(title, _font(TITLE_SIZE), width, TITLE_LINES)):
            draw.text((left, 118 + number * TITLE_LEADING), line, font=_font(TITLE_SIZE), fill=INK_I)
    elif ident:  # the title cannot be drawn: the id is what the card shows
        draw.text((left, 150), fit(ident, _font(96), width), font=_font(96), fill=INK_I)

    text = _font(36)
    offset = text.getlength(IMPACT_LABEL)
    impact = fit(drawable(card.impact) or "not known", text, int(width - offset))
    draw.text((left + offset, 366), impact, font=text, fill=INK_I)

    names = [drawable(card.severity), drawable(card.severity_name)]
    top, height, pad, gap = 432, 66, 28, 18
    label = fit(" · ".join(n for n in names if n) or "Severity not known", text, width // 2)
    right = left + int(text.getlength(label)) + 2 * pad
    draw.rounded_rectangle((left, top, right, top + height), radius=height // 2, fill=SEVERITY_I)
    draw.text((left + pad, top + height // 2), label, font=text, fill=ON_SEVERITY_I, anchor="lm")
    status = fit(drawable(card.status) or "status not known", text, width - (right + gap - left) - 2 * pad)
    start, right = right + gap, right + gap + int(text.getlength(status)) + 2 * pad
    draw.rounded_rectangle((start, top, right, top + height), radius=height // 2, outline=MUTED_I, width=3)
    draw.text((start + pad, top + height // 2), status, font=text, fill=INK_I, anchor="lm")

    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=COMPRESSION)
    return buffer.getvalue()


IMPACT_LABEL = "Customer impact "


@functools.lru_cache(maxsize=4)
def _background(site: str) -> Image.Image:
    """What every card of a site has: the paper, the label of the impact and the band with the
    site's name (drawn once, copied for each card)."""
    from PIL import Image, ImageDraw

    image = Image.new("P", (WIDTH, HEIGHT), PAPER_I)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "L"
    draw.text((MARGIN, 366), IMPACT_LABEL, font=_font(36), fill=MUTED_I)
    draw.rectangle((0, HEIGHT - BAND, WIDTH - 1, HEIGHT - 1), fill=BRAND_I)
    name = drawable(site)
    if name:
        draw.text((MARGIN, HEIGHT - BAND // 2), fit(name, _font(32), WIDTH - MARGIN - 64), font=_font(32),
                  fill=ON_BRAND_I, anchor="lm")
    return image


def _warm_up(sites: set[str]) -> None:
    """Load Pillow, the fonts and the backgrounds once, before other processes copy this one."""
    for size in (32, 36, 40, 96, TITLE_SIZE):
        _font(size)
    for site in sites:
        _background(site)


@functools.cache
def _palette(severity: str, on_severity: str) -> list[int]:
    """The card's palette (flat RGB values): the three ramps of `PAPER_I`..`ON_BRAND_I`."""
    colours: list[int] = []
    for start, end in ((PAPER, INK), (severity, on_severity), (BRAND, PAPER)):
        a, b = _rgb(start), _rgb(end)
        for step in range(64):
            colours += [round(a[i] + (b[i] - a[i]) * step / 63) for i in range(3)]
    return colours


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
