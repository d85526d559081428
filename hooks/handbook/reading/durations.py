"""The durations a report's timestamps give, defined once.

Each is the span from one front-matter timestamp to the first of a list that the report gives.
The model computes them from here, and the README, the handbook's metrics page (the
`duration_table` macro), the report header, Slack and incidents.json all mean the same thing by
each name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Duration:
    key: str
    """The name in code and in incidents.json (`durations_seconds`)."""
    label: str
    """How pages and messages name it."""
    start: str
    """The front-matter timestamp it is counted from."""
    ends: tuple[str, ...]
    """The timestamps it is counted to: the first one the report gives."""
    meaning: str
    """What it measures, in a sentence."""


DURATIONS: tuple[Duration, ...] = (
    Duration("time_to_detect", "Time to detect", "started", ("detected",),
             "How long the problem went unnoticed: from the start of impact to the moment we knew."),
    Duration("time_to_mitigate", "Time to mitigate", "detected", ("mitigated",),
             "How long the response took to stop the harm: from detection to the mitigation."),
    Duration("time_to_resolve", "Time to resolve", "detected", ("resolved",),
             "How long the incident stayed open once known: from detection to resolution."),
    Duration("customer_impact", "Customer impact", "started", ("impact_ended", "mitigated"),
             "How long customers were affected: to impact_ended when the report gives it (impact can "
             "outlast the mitigation, as caches refill or queues drain), else to mitigated."),
)
BY_KEY = {d.key: d for d in DURATIONS}
