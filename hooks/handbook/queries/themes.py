"""Themes across incidents: what keeps coming back (handbook.yml `themes`).

Four views of the organisation's own incidents (the caller passes `audience.counted` reports):

- layers, services and action categories per year: how many incidents had a contributing factor in
  each layer or affected each service, and how many action items of each category were raised, in
  each of the last `years` years (by the year the incident started) and in all;
- repeats: an incident is a repeat when an earlier one affected the same service with a contributing
  factor in the same layer, and started at most `repeat_window_days` days before it (by the days the
  two started on). Each incident is paired with the latest such earlier one, for each service and
  layer; the pairs are then told once each, with every service and layer they share that way;
- repeated actions: action items of different reports whose words (`words.words`, stop words left
  out) overlap by at least `action_min_overlap` (Jaccard), grouped with everything they repeat.

Cost: the counts and the repeats are linear in the reports (times their services and layers, plus a
sort per service and layer). The repeated actions use an inverted index from each word to the
items that use it; a word used by more than `similarity.max_postings` items finds no candidates on
its own, so the work is O(I * W * P) for I items of W words, P the cap, not O(I^2).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from handbook.queries.words import words
from handbook.reading.model import ActionItem, Report
from handbook.reading.taxonomy import Taxonomy


@dataclass(frozen=True, slots=True)
class Tally:
    """A name and its count in each year shown, and over all time."""

    name: str
    per_year: tuple[int, ...]
    total: int


@dataclass(frozen=True, slots=True)
class Repeat:
    """A later incident that repeats an earlier one: same service, a factor in the same layer."""

    earlier: Report
    later: Report
    days: int
    services: tuple[str, ...]
    layers: tuple[str, ...]
    """Layer ids."""


@dataclass(slots=True)
class RepeatedAction:
    """Action items of several reports that say nearly the same thing, the latest first."""

    items: list[tuple[Report, ActionItem]] = field(default_factory=list)

    @property
    def reports(self) -> list[Report]:
        """The reports, each once, in the order of `items`."""
        return list({r.rel: r for r, _ in self.items}.values())


@dataclass(frozen=True, slots=True)
class Themes:
    years: tuple[int, ...]
    layers: tuple[Tally, ...]
    """One per declared layer, in handbook.yml's order (name: the layer's id)."""
    services: tuple[Tally, ...]
    """Every service named, the most incidents first, equal counts by name."""
    categories: tuple[Tally, ...]
    """One per declared action category, in handbook.yml's order (name: the category's id)."""
    repeats: tuple[Repeat, ...]
    """The latest first."""
    repeats_per_service: tuple[tuple[str, int], ...]
    """Each service in a repeat and how many repeats it is in, the most first, equal counts by name."""
    repeated_actions: tuple[RepeatedAction, ...]
    """The ones in the most reports first."""
    reports: int


def _tally(name: str, counts: dict[int, int], years: tuple[int, ...]) -> Tally:
    return Tally(name, tuple(counts.get(y, 0) for y in years), sum(counts.values()))


def _sort_key(report: Report) -> tuple[float, str]:
    """When the incident started (as an instant, whatever its time zone), then its id."""
    return (report.started.timestamp() if report.started else float("-inf"), report.id or report.key)


def themes(reports: list[Report], tax: Taxonomy, today: dt.date) -> Themes:
    """The themes of `reports` (the organisation's own incidents), as of `today`."""
    settings = tax.themes
    years = tuple(range(today.year - settings.years + 1, today.year + 1))
    layer_ids = [t.id for t in tax.contributing_factor_layers]
    category_ids = [c.id for c in tax.action_categories]
    by_layer: dict[str, dict[int, int]] = {layer: defaultdict(int) for layer in layer_ids}
    by_service: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    by_category: dict[str, dict[int, int]] = {c: defaultdict(int) for c in category_ids}
    for r in reports:
        year = r.date.year if r.date else 0
        for layer in dict.fromkeys(f.layer for f in r.factors):
            if layer in by_layer:
                by_layer[layer][year] += 1
        for service in dict.fromkeys(r.services):
            by_service[service][year] += 1
        for item in r.actions:
            if item.category in by_category:
                by_category[item.category][year] += 1
    services = sorted((_tally(s, counts, years) for s, counts in by_service.items()),
                      key=lambda t: (-t.total, t.name.casefold(), t.name))
    found = tuple(repeats(reports, settings.repeat_window_days))
    per_service = Counter(s for r in found for s in r.services)
    return Themes(years, tuple(_tally(layer, by_layer[layer], years) for layer in layer_ids), tuple(services),
                  tuple(_tally(c, by_category[c], years) for c in category_ids), found,
                  tuple(sorted(per_service.items(), key=lambda sc: (-sc[1], sc[0].casefold(), sc[0]))),
                  tuple(repeated_actions(reports, settings.action_min_overlap, tax.similarity.max_postings)),
                  len(reports))


def repeats(reports: list[Report], window_days: int) -> list[Repeat]:
    """Each incident paired with the latest earlier one of the same service and layer that started at
    most `window_days` days before it; the latest repeats first."""
    groups: dict[tuple[str, str], list[Report]] = defaultdict(list)
    order: dict[int, tuple[float, str]] = {}  # each report's `_sort_key`, worked out once
    days: dict[int, dt.date] = {}
    for r in reports:
        if r.date is None:
            continue
        order[id(r)], days[id(r)] = _sort_key(r), r.date
        layers = dict.fromkeys(f.layer for f in r.factors if f.layer)
        for service in dict.fromkeys(r.services):
            for layer in layers:
                groups[(service, layer)].append(r)
    pairs: dict[tuple[str, str], tuple[Report, Report, dict[str, None], dict[str, None]]] = {}
    for (service, layer), group in groups.items():
        group.sort(key=lambda r: order[id(r)])
        for earlier, later in zip(group, group[1:]):
            if (days[id(later)] - days[id(earlier)]).days <= window_days:
                found = pairs.setdefault((earlier.rel, later.rel), (earlier, later, {}, {}))
                found[2][service] = None
                found[3][layer] = None
    out = []
    for earlier, later, services, layers in pairs.values():
        position = {layer: i for i, layer in reversed(list(enumerate(f.layer for f in later.factors)))}
        out.append(Repeat(earlier, later, (days[id(later)] - days[id(earlier)]).days,
                          tuple(s for s in later.services if s in services),
                          tuple(sorted(layers, key=lambda layer: position.get(layer, len(position))))))
    out.sort(key=lambda p: (order[id(p.later)], order[id(p.earlier)]), reverse=True)
    return out


def repeated_actions(reports: list[Report], min_overlap: float, max_postings: int) -> list[RepeatedAction]:
    """Groups of action items, from two or more reports, whose words overlap by at least `min_overlap`
    (any two linked by such an overlap, directly or through others, are one group)."""
    bags: dict[str, frozenset[str]] = {}  # the same words are found once for the same description
    items = []
    for r in reports:
        for a in r.actions:
            description = a.description
            bag = bags.get(description)
            if bag is None:
                bag = bags[description] = frozenset(words(description))
            items.append((r, a, bag))
    postings: dict[str, list[int]] = defaultdict(list)
    for index, (_, _, bag) in enumerate(items):
        for word in bag:
            postings[word].append(index)  # in increasing order
    parent = list(range(len(items)))

    def root(i: int) -> int:
        """The item that stands for `i`'s group (union-find, paths halved as they are walked)."""
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for index, (report, _, bag) in enumerate(items):
        candidates: set[int] = set()
        for word in bag:
            found = postings[word]
            if len(found) <= max_postings:
                candidates.update(found[bisect.bisect_right(found, index):])  # the items after this one
        for other in candidates:
            other_report, _, other_bag = items[other]
            if other_report is report:
                continue
            shared = len(bag & other_bag)
            if shared and shared / (len(bag) + len(other_bag) - shared) >= min_overlap:
                parent[root(other)] = root(index)
    groups: dict[int, RepeatedAction] = defaultdict(RepeatedAction)
    for index, (report, item, _) in enumerate(items):
        groups[root(index)].items.append((report, item))
    out = []
    for group in groups.values():
        if len({r.rel for r, _ in group.items}) < 2:
            continue
        group.items.sort(key=lambda pair: (_sort_key(pair[0]), pair[1].index), reverse=True)
        out.append(group)
    # the most reports first; equal sizes by their latest report (the latest first), then its item's id
    out.sort(key=lambda g: (-len(g.reports), _latest(g)))
    return out


def _latest(group: RepeatedAction) -> tuple[float, str, str]:
    """A key that puts the group with the later latest report first, then the smaller id."""
    report, item = group.items[0]
    return (-_sort_key(report)[0], report.id or report.key, item.id)
