"""The plugin's options, declared once for the build and for the `handbook` command.

mkdocs.yml names them under `plugins: - handbook:`. MkDocs validates them for a build; the CLI
reads mkdocs.yml with MkDocs' own YAML loader (`!ENV`, `!relative`) and validates the same
options with the same declaration, without loading the theme and every other plugin.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.utils.yaml import yaml_load

from handbook.core.files import Refused, read_file
from handbook.core.text import visible
from handbook.reading.settings import Settings, SettingsError, settings_from_options

PLUGIN = "handbook"


class HandbookConfig(base.Config):
    """`plugins: - handbook:` in mkdocs.yml."""

    config = c.Type(str, default="handbook.yml")
    """handbook.yml, the taxonomy, relative to mkdocs.yml."""
    postmortems = c.Type(str, default="postmortems")
    """The folder of the reports, relative to mkdocs.yml."""
    audience = c.Choice(("public", "internal", "restricted"), default="internal")
    """Who the build is for: it includes the reports of this level and the less restricted ones."""
    today = c.Optional(c.Type((str, dt.date)))  # `!ENV` reads 2026-11-20 as a date
    """YYYY-MM-DD; empty for the build date (fixes "today" for overdue items and the review queue)."""
    preview = c.Optional(c.Type(str))
    """One report to rebuild alone under `mkdocs serve` (set by `handbook preview PATH`)."""
    macros_pages = c.ListOfItems(c.Type(str), default=[])
    """The pages of docs/ (docs-relative, `handbook/roles.md`) that mkdocs-macros renders: their `{{ … }}`
    runs as code at build time. Every other page is text, whatever its front matter says."""


def settings_from_config(root: Path, options: HandbookConfig, *, site_url: str, repo_url: str,
                         directory_urls: bool = True, docs_dir: str = "docs") -> Settings:
    """The domain's settings from validated plugin options and MkDocs' own `use_directory_urls` and
    `docs_dir`."""
    return settings_from_options(root, {name: options[name] for name, _ in HandbookConfig._schema},
                                 site_url=site_url, repo_url=repo_url, directory_urls=directory_urls,
                                 docs_dir=docs_dir)


MAX_CONFIG_BYTES = 1024 * 1024
"""Bytes in mkdocs.yml at most."""


def load_settings(mkdocs_yml: Path) -> Settings:
    """The settings a build with `mkdocs_yml` would use, read the way MkDocs reads them."""
    try:
        stream = io.BytesIO(read_file(mkdocs_yml, MAX_CONFIG_BYTES, what=str(mkdocs_yml)))
        stream.name = str(mkdocs_yml)  # MkDocs resolves INHERIT: against it
        document = yaml_load(stream) or {}
    except Refused as refused:
        raise SettingsError(f"{refused.message} {refused.fix}") from None
    except Exception as exc:  # noqa: BLE001 - MkDocs' loader raises YAML and config errors alike
        raise SettingsError(f"Cannot read {mkdocs_yml}: {exc}") from None
    if not isinstance(document, dict):
        raise SettingsError(f"{mkdocs_yml} is not a mapping of settings.")
    options = HandbookConfig(config_file_path=str(mkdocs_yml))
    options.load_dict(_plugin_options(document.get("plugins"), mkdocs_yml))
    failed, warnings = options.validate()
    if failed:
        name, error = failed[0]
        raise SettingsError(f"{mkdocs_yml}: plugins.{PLUGIN}.{name}: {error}")
    for name, warning in warnings:  # an unknown key, as `mkdocs build` warns about it
        sys.stderr.write(f"{mkdocs_yml}: warning: plugins.{PLUGIN}.{name}: {visible(str(warning))}\n")
    return settings_from_config(mkdocs_yml.parent.resolve(), options, site_url=str(document.get("site_url") or ""),
                                repo_url=str(document.get("repo_url") or ""),
                                directory_urls=document.get("use_directory_urls", True) is not False,
                                docs_dir=str(document.get("docs_dir") or "docs"))


def _plugin_options(plugins: Any, mkdocs_yml: Path) -> dict[str, Any]:
    """The options written for the handbook plugin in mkdocs.yml's `plugins` (a list or a mapping)."""
    items = plugins.items() if isinstance(plugins, dict) else (
        (next(iter(p)), next(iter(p.values()))) if isinstance(p, dict) and len(p) == 1 else (p, {})
        for p in (plugins or []))
    for name, value in items:
        if name == PLUGIN:
            return dict(value or {})
    raise SettingsError(f"{mkdocs_yml} does not use the handbook plugin: add `- handbook` under `plugins:`.")
