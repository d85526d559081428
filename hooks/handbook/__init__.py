"""The postmortem handbook's domain: reports, the taxonomy, validation and reporting.

This package does not import MkDocs. The MkDocs plugin (hooks/handbook_mkdocs/), the macros
module and the `handbook` command line are thin adapters over it.
"""

from __future__ import annotations

from handbook.checks.collection import Collection, find_reports, load_collection
from handbook.checks.rules import RULES, ReportChecker
from handbook.checks.schema import build_schema
from handbook.core.problems import Level, Problem
from handbook.reading.model import ActionItem, Factor, Report
from handbook.reading.settings import Settings, SettingsError, settings_from_options
from handbook.reading.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

__all__ = [
    "RULES",
    "ActionItem",
    "Collection",
    "Factor",
    "Level",
    "Problem",
    "Report",
    "ReportChecker",
    "Settings",
    "SettingsError",
    "Taxonomy",
    "TaxonomyError",
    "build_schema",
    "find_reports",
    "load_collection",
    "load_taxonomy",
    "settings_from_options",
]
