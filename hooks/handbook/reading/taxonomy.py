"""The taxonomy: everything `handbook.yml` declares, declared once, here.

Each part of the file is a msgspec `Struct` below. That one declaration gives the typed, frozen
objects the rest of the package reads, the JSON Schema an editor checks handbook.yml with as it
is typed (`taxonomy_schema`, written by `handbook schema`), and the messages for a broken file:
msgspec names the path of the first value that does not fit, and the YAML reader knows the line
of every path. What a schema cannot say (a section required from a status that does not exist,
a pattern that is not a regular expression, an id used twice) is checked after it, with lines too.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import msgspec

from handbook.core.files import Refused, read_file
from handbook.core.problems import Level, Problem, ProblemSink
from handbook.reading.sections import normalise
from handbook.reading.source import Limits, load_yaml

Id = Annotated[str, msgspec.Meta(min_length=1, description="Unique within its list; used in reports.")]
Count = Annotated[int, msgspec.Meta(ge=0)]
Texts = tuple[str, ...]


class TaxonomyError(Exception):
    """handbook.yml is missing or invalid; `problems` says where."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.file}:{p.line}: {p.message}" for p in problems))
        self.problems = problems


class _Part(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A part of handbook.yml: a key it does not declare is a mistake (a typo), never ignored.
    (Each part repeats `frozen` and `kw_only`, as type checkers want them on every class.)"""


class Ids(_Part, frozen=True, kw_only=True):
    """How report and action item ids look."""

    pattern: str
    """Regular expression every report id matches."""
    format: str
    """How `handbook new` writes the next id, with `{year}` and `{number}`."""
    example: str
    """An id shown in messages."""
    action_item_pattern: str
    """Regular expression every action item id matches."""


class Severity(_Part, frozen=True, kw_only=True):
    """A severity level, most severe first."""

    id: Id
    name: str
    description: str = ""
    review_deadline_business_days: Count | None
    """Business days from resolution to the review meeting; null: no deadline."""
    effectiveness_review_days: Annotated[tuple[Count, Count], msgspec.Meta(
        description="[from, until]: the effectiveness review is due from this many days after the fixes are in, "
                    "and late after the second number.")] | None = None
    """The window of the effectiveness review, in days after its clock starts (see `EffectivenessReviews`);
    null: reports of this severity have none."""


class Priority(_Part, frozen=True, kw_only=True):
    """An action item priority."""

    id: Id
    window_days: Count
    """Days from the incident within which an item of this priority is due."""
    impact: str = ""
    effort: str = ""
    horizon: str = ""


class Term(_Part, frozen=True, kw_only=True):
    """A named entry of a simple list: an action category or a contributing factor layer."""

    id: Id
    name: str
    description: str = ""


class Kind(_Part, frozen=True, kw_only=True):
    """What a report is about: the organisation's own incident, or something kept for learning."""

    id: Id
    name: str
    description: str = ""
    counted: bool = True
    """Counted as the organisation's own incident: in the incident lists, metrics, the action-items
    register, the review queue and the digest. Kinds that are not (another company's outage kept as
    a case study, a drill) are listed on the library page instead."""
    own_response: bool = True
    """The response roles and the action items are the organisation's own (our incident, our drill).
    When false (another company's outage kept as a case study), no role is required, an action item
    needs only the keys of `ITEM_KEYS` (`action_item_fields` says from which status), and the checks
    that judge a commitment of ours (due window, verification, owner is a person, open items on a
    closed report) are not applied to it: its author never has to invent what the source does not say.
    Everything about learning (sections, timeline, contributing factors, blameless wording) still is."""


_DEFAULT_KINDS = (Kind(id="incident", name="Incident", counted=True),)


class ActionStatus(_Part, frozen=True, kw_only=True):
    """Where an action item stands."""

    id: Id
    open: bool
    """Whether an item in this status still needs work (it is listed, and can be overdue)."""


class Status(_Part, frozen=True, kw_only=True):
    """Where a report stands, in the order a report goes through them."""

    id: Id
    description: str = ""
    enforced: bool
    """From this status on, the rules are enforced: problems are errors, and the report is published."""
    reviewed: bool
    """The review meeting has been held."""
    requires_no_open_actions: bool = False


class Role(_Part, frozen=True, kw_only=True):
    """A response role named in the report's `roles`."""

    id: Id
    name: str
    required: bool = False
    many: bool = False
    """The role holds a list of names."""


class Visibilities(_Part, frozen=True, kw_only=True):
    """Who may read a report."""

    levels: Annotated[Texts, msgspec.Meta(min_length=1)]
    """From the least to the most restricted."""
    default: str
    restricted_tags: Texts = ()
    """Reports with one of these tags are on the protected track: the most restricted level."""
    words: dict[str, Texts] = msgspec.field(default_factory=dict)
    """Level -> words only readers of that level (or a narrower one) may read: internal host names,
    service names. Text a wider audience reads must not hold them (rule `internal-word`). Matched
    whole, in any case; `*` stands for any run of letters, digits, `.` and `-` (`*.corp.example`)."""


class Section(_Part, frozen=True, kw_only=True):
    """A body section, in the order sections appear in a report."""

    id: Id
    title: str
    required_from: str
    """The first status at which the section must be present and not empty."""
    generated: bool = False
    """Filled from the front matter: only its heading is required."""
    subsections: Texts = ()


ACTION_ITEM_KEYS = ("id", "description", "owner", "due", "priority", "category", "verification", "status", "ticket",
                    "done")
"""The keys an action item may have (the report schema describes each); `action_item_fields` says
from which status each one is required."""

ITEM_KEYS = ("id", "description")
"""The action item keys that say what the item is, as opposed to what makes it a commitment of ours
(owner, due, priority, category, status, verification): the only ones required in a report of a kind
whose response is not the organisation's own (`own_response: false`)."""

NOT_STATED = "not stated"
"""The one explicit value for a fact no source gives: accepted for an action item's `owner`, `due` and
`priority` at every status (compared regardless of case and spacing), and shown as "not stated"."""

NOT_STATED_KEYS = ("owner", "due", "priority")
"""The action item keys that may say `not stated`."""


def is_not_stated(value: object) -> bool:
    """Whether `value` is the explicit "not stated" (any case, any spacing)."""
    return isinstance(value, str) and " ".join(value.split()).casefold() == NOT_STATED


LONG_TERM = "long-term"
"""The `due` of an item its source calls long-term: no date, so never overdue, shown as "long-term"."""


def is_long_term(value: object) -> bool:
    """Whether `value` is `long-term` (any case)."""
    return isinstance(value, str) and value.strip().casefold() == LONG_TERM


class ActionField(_Part, frozen=True, kw_only=True):
    """An action item key and the first report status from which every item must give it."""

    id: Id
    """One of the action item keys: id, description, owner, due, priority, category, verification,
    status, ticket."""
    required_from: str
    """The first status at which every action item must have this key (before it, an item may leave
    it out: a proposed item has no owner yet). Keys not listed are optional."""


class FactorRule(_Part, frozen=True, kw_only=True):
    """How many contributing factors a review needs."""

    min_count: Count
    min_layers: Count


class Rules(_Part, frozen=True, kw_only=True):
    """The thresholds and word lists of the blameless-review rules."""

    contributing_factors: FactorRule
    blame_phrases: Texts
    refused_actions: Texts
    vague_actions: Texts
    min_verification_words: Count
    non_signals: Texts
    """Verifications that are no answer (`done`, `not stated`, `see ticket`): compared with the
    whole verification, regardless of case, spacing and punctuation at either end."""
    group_words: Texts = ()
    """Words that mark a group, not a person (`team`, `-wide`), matched as whole words regardless
    of case in owners and roles."""
    people: Texts = ()
    """When not empty, every owner and role holder must be one of these names."""
    placeholders: Texts
    review_warning_business_days: Count


class Outcome(_Part, frozen=True, kw_only=True):
    """What an effectiveness review found."""

    id: Id
    name: str
    description: str = ""
    working: bool = False
    """The fixes were verified as working (counted as such on the metrics page)."""


class EffectivenessReviews(_Part, frozen=True, kw_only=True):
    """Some weeks after the fixes are in, someone checks that they work and records what was measured."""

    categories: tuple[str, ...] = ("prevent", "detect")
    """Action-item categories whose completion starts the clock: the day the last of them was done (its
    `done:` date); a report with none of them starts it on its review meeting (`review_meeting:`)."""
    done_statuses: tuple[str, ...] = ("done",)
    """Action-item statuses that mean the fix is in (an item dropped as `wont-do` is not waited for)."""
    outcomes: Annotated[tuple[Outcome, ...], msgspec.Meta(min_length=1)] = (
        Outcome(id="working", name="Working", working=True), Outcome(id="partly", name="Partly working"),
        Outcome(id="not-working", name="Not working"))


Suffix = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9]{1,16}$", description="A file suffix, without the dot.")]


class Attachments(_Part, frozen=True, kw_only=True):
    """Files kept next to the reports (screenshots, graphs, exported logs) that a report links to or shows:
    the site publishes each one a published report links to, at an address of its own."""

    types: tuple[Suffix, ...] = ("png", "jpg", "jpeg", "gif", "webp", "pdf", "txt", "csv", "log")
    """The suffixes published (regardless of case). SVG is left out on purpose: opened on its own, an SVG
    file can run script."""
    max_bytes: Annotated[int, msgspec.Meta(ge=1)] = 10_485_760
    """The largest attachment, in bytes."""


Login = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$",
                                     description="A GitHub login, as in https://github.com/<login>.")]
Repository = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$",
                                          description="owner/name of a GitHub repository.")]


class GitHubLabels(_Part, frozen=True, kw_only=True):
    """The labels `handbook sync github` puts on the issue it opens for an action item."""

    always: Texts = ()
    """Put on every such issue (for example `postmortem`)."""
    priority: str = "priority: {id}"
    """The label for the item's priority, `{id}` standing for the priority's id; empty: none."""
    category: str = "{id}"
    """The label for the item's category, `{id}` standing for the category's id; empty: none."""

    def for_item(self, priority: str | None, category: str | None) -> list[str]:
        """The labels of an item of `priority` and `category` (None: not a declared one, no label)."""
        found = list(self.always)
        for template, value in ((self.priority, priority), (self.category, category)):
            if template and value:
                found.append(template.replace("{id}", value))
        return list(dict.fromkeys(label for label in found if label.strip()))


class GitHub(_Part, frozen=True, kw_only=True):
    """Action items tracked as GitHub issues (`handbook sync github`)."""

    repository: Repository
    """owner/name of the repository whose issues track the action items."""
    api_url: str = "https://api.github.com"
    """GitHub's REST API; for GitHub Enterprise Server, `https://HOST/api/v3`. Plain http is refused but
    to this machine (for tests): the token would travel in clear."""
    visibility: str = "internal"
    """The most restricted report visibility whose items get an issue: whoever can read the repository's
    issues reads the item, its verification and its report's title."""
    state_file: str = "tracker/github.json"
    """Where `handbook sync github --pull` records each linked issue's state, relative to the folder of
    mkdocs.yml. Commit it: validation and the action items page read it."""
    not_planned: Texts = ()
    """Closed action statuses whose issue is closed as "not planned" (`wont-do`); the others close it as
    "completed"."""
    assignees: dict[str, Login] = msgspec.field(default_factory=dict)
    """An item's owner, as reports write it, to the GitHub login the issue is assigned to. An owner not
    listed gets an issue with no assignee."""
    labels: GitHubLabels = msgspec.field(default_factory=GitHubLabels)

Weight = Annotated[float, msgspec.Meta(ge=0)]
Share = Annotated[float, msgspec.Meta(ge=0, le=1)]


class SimilarityWeights(_Part, frozen=True, kw_only=True):
    """How much each kind of likeness counts in a similarity score (divided by their sum)."""

    text: Weight = 0.5
    """The cosine similarity of the words of the summaries and contributing factors (TF-IDF)."""
    services: Weight = 0.25
    """The share of services the two reports have in common (Jaccard)."""
    layers: Weight = 0.1
    """The share of contributing-factor layers they have in common (Jaccard)."""
    tags: Weight = 0.15
    """The share of tags they have in common (Jaccard)."""


class Similarity(_Part, frozen=True, kw_only=True):
    """The "Similar incidents" list of each report page, computed from the reports themselves.

    ```yaml
    similarity: {top: 3, min_score: 0.15, max_postings: 100, weights: {text: 0.5, services: 0.25}}
    ```"""

    top: Count = 3
    """At most this many similar reports on a page (0: none)."""
    min_score: Share = 0.15
    """The lowest score (0 to 1) a report needs to be listed as similar."""
    max_postings: Annotated[int, msgspec.Meta(ge=2)] = 100
    """A word in more reports than this is left out, as a stop word is; a service or tag in more reports
    than this finds no candidates by itself, but still counts in the score of those found otherwise."""
    weights: SimilarityWeights = msgspec.field(default_factory=SimilarityWeights)


class Themes(_Part, frozen=True, kw_only=True):
    """The themes page: what keeps coming back across the organisation's own incidents.

    ```yaml
    themes: {repeat_window_days: 180, repeats_listed: 50, years: 5, action_min_overlap: 0.6}
    ```"""

    repeat_window_days: Annotated[int, msgspec.Meta(ge=1)] = 180
    """Two incidents of the same service with a contributing factor in the same layer are a repeat when
    the later one started at most this many days after the earlier."""
    repeats_listed: Annotated[int, msgspec.Meta(ge=1)] = 50
    """How many repeats, the latest first, the page lists row by row. Every repeat is counted in the
    services table and written to `themes/repeats.json`, which the page links to."""
    years: Annotated[int, msgspec.Meta(ge=1, le=20)] = 5
    """How many years, up to the build's, the tables over time show (older incidents count in the total)."""
    action_min_overlap: Share = 0.6
    """Action items of different reports repeat each other when this share of their words (stop words
    left out, Jaccard) is the same."""


class MessagePart(_Part, frozen=True, kw_only=True):
    """A `###` part of the external message, in the order the published message gives them."""

    id: Id
    """The part's name in the published JSON (`summary`, `what_happened`...)."""
    title: Annotated[str, msgspec.Meta(min_length=1)]
    """Its `###` heading in the report, and its heading in the published message."""


class ExternalMessage(_Part, frozen=True, kw_only=True):
    """The shorter, sanitised version of a report that is published for customers and the status page:
    an optional body section of the report, with a `###` heading for each part.

    ```yaml
    external_message:
      title: External message
      parts: [{id: summary, title: Summary}, {id: what_happened, title: What happened}]
      published_from: reviewed
    ```"""

    title: Annotated[str, msgspec.Meta(min_length=1)] = "External message"
    """The `##` heading of the optional body section that holds the message."""
    parts: Annotated[tuple[MessagePart, ...], msgspec.Meta(min_length=1)] = (
        MessagePart(id="summary", title="Summary"), MessagePart(id="what_happened", title="What happened"),
        MessagePart(id="what_we_are_doing", title="What we are doing"))
    """Its `###` parts, in this order; once the section is written, each is required and not empty."""
    published_from: str = "reviewed"
    """The first report status at which the message is published (on every build, whatever the report's
    visibility: it is written to be public)."""


class Taxonomy(_Part, frozen=True, kw_only=True):
    """Everything handbook.yml declares."""

    organisation: dict[str, str]
    """Names the handbook's pages use: the company, its channels and tools."""
    ids: Ids
    severities: Annotated[tuple[Severity, ...], msgspec.Meta(min_length=1)]
    priorities: Annotated[tuple[Priority, ...], msgspec.Meta(min_length=1)]
    action_categories: Annotated[tuple[Term, ...], msgspec.Meta(min_length=1)]
    action_statuses: Annotated[tuple[ActionStatus, ...], msgspec.Meta(min_length=1)]
    contributing_factor_layers: Annotated[tuple[Term, ...], msgspec.Meta(min_length=1)]
    statuses: Annotated[tuple[Status, ...], msgspec.Meta(min_length=1)]
    roles: Annotated[tuple[Role, ...], msgspec.Meta(min_length=1)]
    visibilities: Visibilities
    kinds: Annotated[tuple[Kind, ...], msgspec.Meta(min_length=1)] = _DEFAULT_KINDS
    """The first is the kind of a report that does not say."""
    sections: Annotated[tuple[Section, ...], msgspec.Meta(min_length=1)]
    action_item_fields: tuple[ActionField, ...]
    """The keys every action item must give, each from its status on."""
    rules: Rules
    attachments: Attachments = msgspec.field(default_factory=Attachments)
    effectiveness_reviews: EffectivenessReviews = msgspec.field(default_factory=EffectivenessReviews)
    limits: Limits = msgspec.field(default_factory=Limits)
    github: GitHub | None = None
    """Where action items are tracked as GitHub issues; None: `handbook sync github` is not set up."""
    similarity: Similarity = msgspec.field(default_factory=Similarity)
    themes: Themes = msgspec.field(default_factory=Themes)
    external_message: ExternalMessage = msgspec.field(default_factory=ExternalMessage)
    """The external message a report may carry for customers and the status page."""

    def severity(self, sev_id: str | None) -> Severity | None:
        """The severity with id `sev_id`, or None."""
        return next((s for s in self.severities if s.id == sev_id), None)

    def severity_rank(self, sev_id: str | None) -> int | None:
        """The severity's place on the scale, 1 for the most severe (None for an unknown severity): the
        one colour scale of pills, tables and charts follows it."""
        return next((n for n, s in enumerate(self.severities, 1) if s.id == sev_id), None)

    def priority(self, prio_id: str | None) -> Priority | None:
        """The priority with id `prio_id`, or None."""
        return next((p for p in self.priorities if p.id == prio_id), None)

    def status(self, status_id: str | None) -> Status | None:
        """The status with id `status_id`, or None."""
        return next((s for s in self.statuses if s.id == status_id), None)

    def status_rank(self, status_id: str) -> int:
        """The status's position in the declared order (unknown statuses first)."""
        return next((i for i, s in enumerate(self.statuses) if s.id == status_id), -1)

    def outcome(self, outcome_id: str | None) -> Outcome | None:
        """The effectiveness-review outcome with id `outcome_id`, or None."""
        return next((o for o in self.effectiveness_reviews.outcomes if o.id == outcome_id), None)

    def kind(self, kind_id: str) -> Kind:
        """The kind `kind_id` ("" for a report that does not say: the first declared); an unknown id,
        which validation refuses, reads as the first kind too."""
        return next((k for k in self.kinds if k.id == kind_id), self.kinds[0])

    def own_response(self, kind_id: str) -> bool:
        """Whether a report of kind `kind_id` gives the organisation's own roles and action items
        (`own_response` in handbook.yml; "" and unknown ids read as the first kind, as in `kind`)."""
        return self.kind(kind_id).own_response

    def is_published(self, status_id: str) -> bool:
        """A report is published (in feeds, announcements) from the first enforced status on."""
        status = self.status(status_id)
        return bool(status and status.enforced)

    def is_open_action(self, status_id: object) -> bool:
        """Unknown or missing statuses count as open: an item is never silently dropped."""
        if not isinstance(status_id, str):
            return True
        return next((s.open for s in self.action_statuses if s.id == status_id), True)

    def required_action_keys(self, status_id: str | None) -> list[str]:
        """The action item keys a report in `status_id` must give (for an unknown status: all declared)."""
        rank = self.status_rank(status_id) if status_id is not None else -1
        if rank < 0:
            rank = len(self.statuses)
        return [f.id for f in self.action_item_fields if self.status_rank(f.required_from) <= rank]

    def restricted_by_tags(self, tags: list[str]) -> list[str]:
        """The tags among `tags` that put a report on the protected track (matched as `tag_key` does)."""
        protected = {tag_key(t) for t in self.visibilities.restricted_tags}
        return [t for t in tags if tag_key(t) in protected]

    @property
    def most_restricted(self) -> str:
        """The most restricted visibility level: where a report goes when nothing else is known."""
        return self.visibilities.levels[-1]

    def visibility_rank(self, visibility: str) -> int:
        """How restricted `visibility` is (0 public); unknown levels count as the most restricted."""
        levels = self.visibilities.levels
        return levels.index(visibility) if visibility in levels else len(levels)

    def label(self, kind: str, term_id: str) -> str:
        """Display name of a category, layer or role id (the id itself when unknown)."""
        terms: dict[str, tuple[Term, ...] | tuple[Role, ...]] = {
            "category": self.action_categories, "layer": self.contributing_factor_layers, "role": self.roles}
        return next((t.name for t in terms[kind] if t.id == term_id), term_id)


def tag_key(tag: str) -> str:
    """How tags compare: regardless of case and of blanks around or inside (`Security`, ` SECURITY `)."""
    return " ".join(tag.split()).casefold()


def taxonomy_schema() -> dict[str, Any]:
    """The JSON Schema of handbook.yml, from the declaration above (for editors; `handbook schema`)."""
    schema = msgspec.json.schema(Taxonomy)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "handbook.yml: the taxonomy of the postmortem handbook", **schema}


MAX_TAXONOMY_BYTES = 1024 * 1024
"""Bytes in handbook.yml at most."""


def load_taxonomy(path: Path, rel: str | None = None, root: Path | None = None) -> Taxonomy:
    """Read and check handbook.yml (inside the repository `root`, when given). Raises TaxonomyError with
    located problems."""
    rel = rel or path.name
    sink = ProblemSink(rel)
    try:
        text = read_file(path, MAX_TAXONOMY_BYTES, root=root, what="The taxonomy").decode("utf-8-sig")
    except Refused as refused:
        raise TaxonomyError([Problem(rel, 1, "taxonomy", Level.ERROR, refused.message,
                                     "Check the handbook plugin's `config` option in mkdocs.yml.")]) from None
    except UnicodeDecodeError as exc:
        raise TaxonomyError([Problem(rel, 1, "taxonomy", Level.ERROR, f"The taxonomy is not UTF-8 text ({exc.reason}).",
                                     "Save handbook.yml again as UTF-8.")]) from None
    parsed = load_yaml(text, sink)
    if parsed is None:
        raise TaxonomyError(sink.problems)
    raw, lines = parsed
    try:
        taxonomy = msgspec.convert({} if raw is None else raw, Taxonomy)
    except msgspec.ValidationError as exc:
        _locate(str(exc), lines, sink)
        raise TaxonomyError(sink.problems) from None
    _check_references(taxonomy, lines, sink)
    if sink.problems:
        raise TaxonomyError(sink.problems)
    return taxonomy


_AT = re.compile(r"(?P<what>.*) - at `\$(?P<path>[^`]*)`", re.S)
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\.\.\.\]")
_MISSING = re.compile(r"Object missing required field `(?P<name>.+)`")
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<name>.+)`")


def _locate(message: str, lines: dict[tuple[str | int, ...], int], sink: ProblemSink) -> None:
    """Turn msgspec's message for the first value that does not fit into a located problem."""
    found = _AT.fullmatch(message)
    what, path = (found["what"], _path(found["path"])) if found else (message, ())
    where = _name(path)
    missing, unknown = _MISSING.fullmatch(what), _UNKNOWN.fullmatch(what)
    if unknown:
        key = unknown["name"]
        allowed = _fields_at(path)
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"Did you mean `{close[0]}`? " if close else ""
        hint += f"The keys of {where} are: {', '.join(allowed)}." if allowed else "Remove it."
        sink.add(_line(lines, (*path, key)), "taxonomy", f"`{key}` is not a key of {where}.", hint)
    elif missing:
        sink.add(_line(lines, path), "taxonomy", f"{where[0].upper()}{where[1:]} has no `{missing['name']}`, "
                 "which is required.", "Add it; the comments in handbook.yml describe each key.")
    else:
        sink.add(_line(lines, path), "taxonomy", f"The value of {where} does not fit: {what[:1].lower()}{what[1:]}.",
                 "See the comments in handbook.yml for what each key takes.")


def _path(text: str) -> tuple[str | int, ...]:
    """msgspec's `$.a[0].b` as a path (a map's own keys, shown as `[...]`, are left out)."""
    return tuple(int(m[2]) if m[2] else m[1] for m in _STEP.finditer(text) if m[1] or m[2])


def _name(path: tuple[str | int, ...]) -> str:
    """A path as people read it: `severities[0].name`, or "the file"."""
    text = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path).lstrip(".")
    return f"`{text}`" if text else "the file"


def _line(lines: dict[tuple[str | int, ...], int], path: tuple[str | int, ...]) -> int:
    """The line of `path`, or of its nearest ancestor that has one."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1


def _fields_at(path: tuple[str | int, ...]) -> list[str]:
    """The keys the declaration allows at `path` ([] when that is not a part with keys)."""
    info: Any = msgspec.inspect.type_info(Taxonomy)
    for step in path:
        info = _struct_in(info) if isinstance(step, str) else getattr(_unwrap(info), "item_type", None)
        if info is None:
            return []
        if isinstance(step, str):
            info = next((f.type for f in info.fields if f.name == step), None)
            if info is None:
                return []
    struct = _struct_in(info)
    return [f.name for f in struct.fields] if struct is not None else []


def _unwrap(info: Any) -> Any:
    """The one non-null member of an optional type."""
    if isinstance(info, msgspec.inspect.UnionType):
        members = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        return members[0] if len(members) == 1 else info
    return info


def _struct_in(info: Any) -> Any:
    info = _unwrap(info)
    return info if isinstance(info, msgspec.inspect.StructType) else None


Lines = dict[tuple[str | int, ...], int]


def _check_references(tax: Taxonomy, lines: Lines, sink: ProblemSink) -> None:
    """Run the cross-checks the schema cannot express (`CROSS_CHECKS`), each on the whole taxonomy."""
    for check in CROSS_CHECKS:
        check(tax, lines, sink)


def _check_statuses_named(tax: Taxonomy, lines: Lines, sink: ProblemSink) -> None:
    """Refuse a status that is not declared where a section, an item field or the message names one."""
    status_ids = [s.id for s in tax.statuses]
    named = [(("sections", i, "required_from"), s.required_from, f"Section `{s.title}` is required from")
             for i, s in enumerate(tax.sections)]
    named += [(("action_item_fields", i, "required_from"), f.required_from, f"Action item field `{f.id}` is required "
               "from") for i, f in enumerate(tax.action_item_fields)]
    for path, status, what in named:
        if status not in status_ids:
            sink.add(_line(lines, path), "taxonomy", f"{what} unknown status `{status}`.",
                     f"Use one of: {', '.join(status_ids)}.")
    if tax.external_message.published_from not in status_ids:
        sink.add(_line(lines, ("external_message", "published_from")), "taxonomy",
                 f"external_message.published_from `{tax.external_message.published_from}` is not a declared "
                 "status.", f"Use one of: {', '.join(status_ids)}.")
    if not any(s.enforced for s in tax.statuses):
        sink.add(_line(lines, ("statuses",)), "taxonomy",
                 "No status is enforced, so no report would ever be checked.",
                 "Mark the statuses after the draft as `enforced: true`.")


def _check_item_fields(tax: Taxonomy, lines: Lines, sink: ProblemSink) -> None:
    """Refuse an action item field that is not an action item key."""
    for index, field in enumerate(tax.action_item_fields):
        if field.id not in ACTION_ITEM_KEYS:
            close = difflib.get_close_matches(field.id, ACTION_ITEM_KEYS, n=1)
            sink.add(_line(lines, ("action_item_fields", index, "id")), "taxonomy",
                     f"`{field.id}` is not an action item key.",
                     (f"Did you mean `{close[0]}`? " if close else "") + f"Use one of: {', '.join(ACTION_ITEM_KEYS)}.")


def _check_reviews(tax: Taxonomy, lines: Lines, sink: ProblemSink) -> None:
    """Refuse effectiveness reviews naming undeclared categories or statuses, and a window that ends
    before it starts."""
    reviews = tax.effectiveness_reviews
    for key, known in (("categories", [c.id for c in tax.action_categories]),
                       ("done_statuses", [s.id for s in tax.action_statuses])):
        for index, value in enumerate(getattr(reviews, key)):
            if value not in known:
                sink.add(_line(lines, ("effectiveness_reviews", key, index)), "taxonomy",
                         f"effectiveness_reviews.{key} names `{value}`, which is not declared.",
                         f"Use one of: {', '.join(known)}.")
    for index, severity in enumerate(tax.severities):
        window = severity.effectiveness_review_days
        if window is not None and window[0] > window[1]:
            sink.add(_line(lines, ("severities", index, "effectiveness_review_days")), "taxonomy",
                     f"{severity.id}'s effectiveness review window [{window[0]}, {window[1]}] ends before it starts.",
                     "Write the first day first: [30, 90].")


def _check_external_message(tax: Taxonomy, lines: Lines, sink: ProblemSink) -> None:
    """Refuse a message heading that is also a section's, and a part title given twice."""
    message = tax.external_message
    if normalise(message.title) in {normalise(s.title) for s in tax.sections}:
        sink.add(_line(lines, ("external_message", "title")), "taxonomy",
                 f"external_message.title `{message.title}` is also the title of a section.",
                 "Give the external message a heading of its own, for example `External message`.")
    part_titles: set[str] = set()
    for index, part in enumerate(message.parts):
        if normalise(part.title) in part_titles:
            sink.add(_line(lines, ("external_message", "parts", index, "title")), "taxonomy",
                     f"The part title `{part.title}` appears twice in external_message.parts.",
                     "Give every part its own `###` heading.")
        part_titles.add(normalise(part.title))


def _check_similarity(tax: Taxonomy, lines: Lines, sink: ProblemSink) -> None:
    """Refuse similarity weights that could never make two reports similar."""
    weights = tax.similarity.weights
    if weights.text + weights.services + weights.layers + weights.tags <= 0:
        sink.add(_line(lines, ("similarity", "weights")), "taxonomy",
                 "Every similarity weight is 0, so no two reports could ever be similar.",
                 "Give at least one weight a positive value, for example `text: 0.5`; or set `similarity.top: 0`.")


def _check_visibilities(tax: Taxonomy, lines: Lines, sink: ProblemSink) -> None:
    """Refuse words of an unknown level or of everyone's, and an unknown default level."""
    levels = tax.visibilities.levels
    for level in tax.visibilities.words:
        if level not in levels:
            sink.add(_line(lines, ("visibilities", "words", level)), "taxonomy",
                     f"visibilities.words names the level `{level}`, which is not one of the levels.",
                     f"Use one of: {', '.join(levels)}.")
        elif level == levels[0]:
            sink.add(_line(lines, ("visibilities", "words", level)), "taxonomy",
                     f"visibilities.words lists words for `{level}`, whom every reader may read: they would "
                     "never be kept from anyone.", "List them under the narrowest level that may read them.")
    if tax.visibilities.default not in levels:
        sink.add(_line(lines, ("visibilities", "default")), "taxonomy",
                 f"The default visibility `{tax.visibilities.default}` is not one of the levels.",
                 f"Use one of: {', '.join(levels)}.")


def _check_ids(tax: Taxonomy, lines: Lines, sink: ProblemSink) -> None:
    """Refuse an id pattern that is not a regular expression, and an id given twice in one list."""
    for key in ("pattern", "action_item_pattern"):
        try:
            re.compile(getattr(tax.ids, key))
        except re.error as exc:
            sink.add(_line(lines, ("ids", key)), "taxonomy", f"ids.{key} is not a valid regular expression: {exc}.",
                     "Fix the expression, for example '^INC-[0-9]{4}-[0-9]{3}$'.")
    listed: tuple[tuple[str, tuple[Any, ...]], ...] = (
        ("severities", tax.severities), ("priorities", tax.priorities), ("action_categories", tax.action_categories),
        ("action_statuses", tax.action_statuses), ("contributing_factor_layers", tax.contributing_factor_layers),
        ("statuses", tax.statuses), ("roles", tax.roles), ("sections", tax.sections),
        ("action_item_fields", tax.action_item_fields),
        ("effectiveness_reviews.outcomes", tax.effectiveness_reviews.outcomes),
        ("external_message.parts", tax.external_message.parts))
    for name, entries in listed:
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            if entry.id in seen:
                sink.add(_line(lines, (*name.split("."), index)), "taxonomy",
                         f"The id `{entry.id}` appears twice in {name}.", "Give every entry its own id.")
            seen.add(entry.id)


def _check_github_block(tax: Taxonomy, lines: Lines, sink: ProblemSink) -> None:
    """Check the `github` block when there is one (`_check_github`)."""
    if tax.github is not None:
        _check_github(tax, tax.github, lines, sink)


def _check_github(tax: Taxonomy, github: GitHub, lines: dict[tuple[str | int, ...], int], sink: ProblemSink) -> None:
    """The `github` block: a visibility, statuses and an API address the rest of the file allows."""
    if github.visibility not in tax.visibilities.levels:
        sink.add(_line(lines, ("github", "visibility")), "taxonomy",
                 f"github.visibility `{github.visibility}` is not one of the visibility levels.",
                 f"Use one of: {', '.join(tax.visibilities.levels)}.")
    closed = [s.id for s in tax.action_statuses if not s.open]
    for index, status in enumerate(github.not_planned):
        if status not in closed:
            sink.add(_line(lines, ("github", "not_planned", index)), "taxonomy",
                     f"github.not_planned names `{status}`, which is not a closed action status.",
                     f"Use one of: {', '.join(closed) or '(none: no action status is closed)'}.")
    problem = api_url_problem(github.api_url)
    if problem:
        sink.add(_line(lines, ("github", "api_url")), "taxonomy", f"github.api_url {problem}.",
                 "Write https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.")


def api_url_problem(url: str) -> str:
    """Why `url` cannot be GitHub's API address ("" when it can): https only, plain http only to this
    machine (for tests), since the token travels with every request."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return f"`{url}` is not an address"
    if parts.scheme == "https" and host:
        return ""
    if parts.scheme == "http" and host and (host == "localhost" or _loopback(host)):
        return ""
    return f"`{url}` is not an https address (plain http is allowed only to this machine, for tests)"


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


CROSS_CHECKS: tuple[Callable[[Taxonomy, Lines, ProblemSink], None], ...] = (
    _check_statuses_named, _check_item_fields, _check_reviews, _check_external_message, _check_similarity,
    _check_visibilities, _check_ids, _check_github_block)
"""The checks between parts of handbook.yml, in the order their problems are listed."""
