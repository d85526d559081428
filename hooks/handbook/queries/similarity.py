"""Similar incidents: for each report, the others most like it, and why.

A report is described by its services, its contributing-factor layers, its tags and the terms of
its summary and contributing factors (`words.terms`: words without stop words, and pairs of adjacent
words). Two reports score, from 0 to 1, the weighted mean (handbook.yml `similarity.weights`) of

- the cosine similarity of their TF-IDF vectors: a term weighs (1 + ln tf) * idf, with the smoothed
  idf = 1 + ln((1 + N) / (1 + df)); a term named in more than `max_postings` reports is left out, as
  a stop word is (it says nothing about a pair, and its postings would make the work quadratic);
- the Jaccard overlap (shared / either) of their services, of their layers and of their tags.

A report lists at most `top` others scoring at least `min_score`, the highest first and equal
scores by id, leaving out itself and the reports it is declared related to either way (those keep
their own list on the page). Only the reports given are compared: the site gives those its audience
may read, so no list can name a report the reader cannot open.

Cost. Nothing is compared all against all. Inverted indexes map each term, service and tag to the
reports that name it (its postings). A report's candidates are the reports found in the postings
of its own terms, services and tags; a service or tag named in more than `max_postings` reports
finds none on its own (it still counts in the score of the candidates found otherwise); a pair
that shares nothing else is not compared, and the layers, five or so that nearly every report
has, never find candidates. The text part of every candidate's score is accumulated from the
postings themselves. With N reports, T terms a report and postings of at most P (`max_postings`),
one report costs O(T * P) for its candidates and their text scores, plus O(C * s) for the set
overlaps of its C <= (T + services + tags) * P candidates with s services, layers and tags; in all
O(N * T * P) time instead of the O(N^2 * T) of comparing every pair, and O(N * T) memory for the
vectors and the postings. `bench/similar.py` measures it on the benchmark's synthetic reports.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from handbook.queries.words import terms
from handbook.reading.model import Report
from handbook.reading.taxonomy import Similarity, tag_key

REASON_WORDS = 3
"""How many shared terms a match names as its reason."""


@dataclass(frozen=True, slots=True)
class Match:
    """Another report like this one: its score, and what the two have in common."""

    report: Report
    score: float
    services: tuple[str, ...]
    """The services both name, in this report's order."""
    layers: tuple[str, ...]
    """The contributing-factor layers both have (ids), in this report's order."""
    tags: tuple[str, ...]
    """The tags both carry, as this report writes them."""
    words: tuple[str, ...]
    """The shared terms that add most to the text score, most first (at most `REASON_WORDS`)."""


@dataclass(slots=True)
class _Profile:
    report: Report
    name: str
    """Sorts equal scores: the id, or the page key of a report without one."""
    vector: dict[str, float]
    norm: float
    services: dict[str, str]
    """Compared form (case and blanks ignored) -> the name as written."""
    layers: dict[str, None]
    tags: dict[str, str]
    excluded: frozenset[str]
    """The ids it is declared related to, either way."""
    bits: tuple[int, int, int] = (0, 0, 0)
    """Its services, layers and tags as sets of bits (one bit per distinct value): an overlap is then
    one `&` and a bit count."""
    sizes: tuple[int, int, int] = (0, 0, 0)


def _text(report: Report) -> str:
    """The text compared: the summary and each contributing factor, each ending its own clause."""
    return ". ".join([report.summary, *(f.description for f in report.factors)])


def _bits(values: Iterable[str], numbers: dict[str, int]) -> int:
    bits = 0
    for value in values:
        bits |= 1 << numbers.setdefault(value, len(numbers))
    return bits


@dataclass(frozen=True, slots=True)
class _Postings:
    """Term, service or tag -> the reports naming it, in increasing order: for a term, parallel lists of
    the reports and of the term's weight in each, divided by the report's norm."""

    terms: dict[str, tuple[list[int], list[float]]]
    services: dict[str, list[int]]
    tags: dict[str, list[int]]


def similar_reports(reports: list[Report], settings: Similarity, wanted: Iterable[Report] | None = None,
                    referenced_by: Mapping[str, Sequence[str]] | None = None) -> dict[str, list[Match]]:
    """Report path (`rel`) -> the reports most like it among `reports`, best first, leaving out those
    related either way (`referenced_by`: id -> the ids listing it). Only the reports of `wanted` get a
    list when it is given (an author's preview draws one page)."""
    weights = settings.weights
    total = weights.text + weights.services + weights.layers + weights.tags
    if settings.top == 0 or total <= 0 or len(reports) < 2:
        return {}
    shares = tuple(w / total for w in (weights.text, weights.services, weights.layers, weights.tags))
    profiles, df = _profiles(reports, settings.max_postings, referenced_by or {})
    postings = _postings(profiles, df)
    targets = {r.rel for r in wanted} if wanted is not None else None
    # With every report wanted, each pair is scored once, from its first report (others after it in
    # the postings only), and kept for both; otherwise each wanted report looks at every other.
    both = targets is None
    kept: list[list[tuple[float, str, str, int]]] = [[] for _ in profiles]
    for index, p in enumerate(profiles):
        if targets is not None and p.report.rel not in targets:
            continue
        cosines = _cosines(p, index, postings, both)
        for other in _candidates(p, index, cosines, postings, settings.max_postings, both):
            q = profiles[other]
            score = _score(p, q, cosines.get(other, 0.0), shares, settings.min_score)
            if score is None or q.name in p.excluded or p.name in q.excluded:
                continue
            _keep(kept[index], (-score, q.name, q.report.rel, other), settings.top)
            if both:
                _keep(kept[other], (-score, p.name, p.report.rel, index), settings.top)
    found: dict[str, list[Match]] = {}
    for index, p in enumerate(profiles):
        if targets is None or p.report.rel in targets:
            best = sorted(kept[index])[:settings.top]
            found[p.report.rel] = [_match(p, profiles[other], -negative) for negative, _, _, other in best]
    return found


def _profiles(reports: list[Report], cap: int,
              referenced_by: Mapping[str, Sequence[str]]) -> tuple[list[_Profile], Counter[str]]:
    """Describe each report for comparing (its TF-IDF vector and its sets as bits), and count in how many
    reports each term is: a term in more than `cap` is left out of every vector."""
    counts = [Counter(terms(_text(r))) for r in reports]
    df: Counter[str] = Counter()
    for tf in counts:
        df.update(tf.keys())
    n = len(reports)
    numbers: tuple[dict[str, int], dict[str, int], dict[str, int]] = ({}, {}, {})
    profiles: list[_Profile] = []
    for report, tf in zip(reports, counts):
        vector = {t: (1 + math.log(c)) * (1 + math.log((1 + n) / (1 + df[t]))) for t, c in tf.items() if df[t] <= cap}
        p = _Profile(report, report.id or report.key, vector, math.sqrt(sum(w * w for w in vector.values())),
                     {" ".join(s.split()).casefold(): s for s in report.services},
                     dict.fromkeys(f.layer for f in report.factors if f.layer),
                     {tag_key(t): t for t in report.tags},
                     frozenset(report.related) | frozenset(referenced_by.get(report.id, ())))
        p.bits = (_bits(p.services, numbers[0]), _bits(p.layers, numbers[1]), _bits(p.tags, numbers[2]))
        p.sizes = (len(p.services), len(p.layers), len(p.tags))
        profiles.append(p)
    return profiles, df


def _postings(profiles: list[_Profile], df: Counter[str]) -> _Postings:
    """Index the reports by their terms (but those of one report only), services and tags."""
    found = _Postings(defaultdict(lambda: ([], [])), defaultdict(list), defaultdict(list))
    for index, p in enumerate(profiles):
        for term, weight in p.vector.items():
            if df[term] > 1:  # a term of one report finds nobody
                postings = found.terms[term]
                postings[0].append(index)
                postings[1].append(weight / p.norm)
        for service in p.services:
            found.services[service].append(index)
        for tag in p.tags:
            found.tags[tag].append(index)
    return found


def _cosines(p: _Profile, index: int, postings: _Postings, both: bool) -> dict[int, float]:
    """Sum the cosine of `p` with every report sharing a term, from the postings (with `both`, only the
    reports after `p`'s `index`)."""
    cosines: dict[int, float] = defaultdict(float)
    for term, weight in p.vector.items():
        unit = weight / p.norm
        reports_of, units = postings.terms.get(term, ([], []))
        start = bisect.bisect_right(reports_of, index) if both else 0
        for other, other_unit in zip(reports_of[start:], units[start:]):
            cosines[other] += unit * other_unit
    return cosines


def _candidates(p: _Profile, index: int, cosines: dict[int, float], postings: _Postings, cap: int,
                both: bool) -> set[int]:
    """Find the reports worth scoring against `p`: those sharing a term, or a service or tag named in at
    most `cap` reports (with `both`, only those after `p`'s `index`)."""
    candidates = set(cosines)
    for found_by in [postings.services[key] for key in p.services] + [postings.tags[key] for key in p.tags]:
        if len(found_by) <= cap:
            candidates.update(found_by[bisect.bisect_right(found_by, index):] if both else found_by)
    candidates.discard(index)
    return candidates


def _score(p: _Profile, q: _Profile, cosine: float, shares: tuple[float, ...], min_score: float) -> float | None:
    """Score `p` against `q` (rounded, so equal likeness compares equal whatever order the sums ran in),
    or None below `min_score`."""
    w_text, w_services, w_layers, w_tags = shares
    (s_bits, l_bits, t_bits), (s_size, l_size, t_size) = p.bits, p.sizes
    (qs, ql, qt), (qs_size, ql_size, qt_size) = q.bits, q.sizes
    shared = (s_bits & qs).bit_count()
    score = w_text * cosine + (w_services * shared / (s_size + qs_size - shared) if shared else 0)
    shared = (l_bits & ql).bit_count()
    score += w_layers * shared / (l_size + ql_size - shared) if shared else 0
    shared = (t_bits & qt).bit_count()
    score += w_tags * shared / (t_size + qt_size - shared) if shared else 0
    if score < min_score - 1e-9:
        return None
    score = round(score, 9)
    return None if score < min_score else score


def _keep(best: list[tuple[float, str, str, int]], entry: tuple[float, str, str, int], top: int) -> None:
    """Add `entry` to a report's best so far, cutting the list back to the `top` best now and then."""
    best.append(entry)
    if len(best) > 8 * top:
        best.sort()
        del best[top:]


def _match(p: _Profile, q: _Profile, score: float) -> Match:
    """What `p` and `q` have in common, as `p`'s page tells it."""
    services = [s for s in p.services if s in q.services]
    return Match(q.report, score, tuple(p.services[s] for s in services),
                 tuple(layer for layer in p.layers if layer in q.layers),
                 tuple(p.tags[t] for t in p.tags if t in q.tags), _reason_words(p, q, set(services)))


def _reason_words(p: _Profile, q: _Profile, services: set[str]) -> tuple[str, ...]:
    """The shared terms that weigh most in both. A shared pair of words stands for its two words (it
    weighs as the most of the three), so "connection pool" is named rather than "pool"; a service's
    name is left out (the services are named already)."""
    shared = {t: p.vector[t] * q.vector[t] for t in p.vector if t in q.vector and t not in services}
    weight = {t: w for t, w in shared.items() if " " in t}
    stands_for: dict[str, str] = {}
    for pair in sorted(weight, key=lambda t: (-weight[t], t)):
        for word in pair.split(" "):
            if word in shared:
                stands_for.setdefault(word, pair)
                weight[pair] = max(weight[pair], shared[word])
    weight.update((t, w) for t, w in shared.items() if " " not in t and t not in stands_for)
    return tuple(sorted(weight, key=lambda t: (-weight[t], t))[:REASON_WORDS])
