"""Where things are: the project root, mkdocs.yml's `extra.handbook` block, and the taxonomy.

The MkDocs hook gets `extra.handbook` from MkDocs; the CLI reads mkdocs.yml itself with the
loader below, which understands MkDocs' `!ENV` tag and ignores other tags
(`!!python/name:...`), so both see the same settings.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from handbook.reading.report_cache import checkout_cache_dir
from handbook.reading.taxonomy import Taxonomy, load_taxonomy


class SettingsError(Exception):
    """mkdocs.yml's `extra.handbook` block is missing or wrong."""


@dataclass(frozen=True, slots=True)
class Settings:
    root: Path
    """The folder that holds mkdocs.yml."""
    config: Path
    """handbook.yml: the taxonomy."""
    postmortems: Path
    audience: str
    today: dt.date
    site_url: str
    repo_url: str
    preview: Path | None = None
    """The one report being written, in preview mode (`handbook preview`); None for a full build."""

    @property
    def cache_dir(self) -> Path:
        """The preview's cache folder: outside the checkout, in the user's cache folder (see
        `report_cache`), so nothing a pull request commits is ever read as a cache."""
        return checkout_cache_dir(self.root)

    def load_taxonomy(self) -> Taxonomy:
        return load_taxonomy(self.config, self.config.relative_to(self.root).as_posix()
                             if self.config.is_relative_to(self.root) else str(self.config))


def settings_from_extra(root: Path, extra: Mapping[str, Any], *, site_url: str = "", repo_url: str = "") -> Settings:
    """Settings from an already-loaded `extra` mapping of mkdocs.yml."""
    block = extra.get("handbook") if isinstance(extra, Mapping) else None
    if not isinstance(block, Mapping):
        raise SettingsError("mkdocs.yml has no `extra.handbook` block; add one with `config: handbook.yml` "
                            "and `postmortems: postmortems`.")
    today_value = block.get("today") or os.environ.get("HANDBOOK_TODAY") or ""
    try:
        today = dt.date.fromisoformat(str(today_value)) if today_value else dt.date.today()
    except ValueError:
        raise SettingsError(f"extra.handbook.today is `{today_value}`; write it as YYYY-MM-DD, or leave it empty "
                            "for the build date.") from None
    return Settings(
        root=root,
        config=(root / str(block.get("config", "handbook.yml"))).resolve(),
        postmortems=(root / str(block.get("postmortems", "postmortems"))).resolve(),
        audience=str(block.get("audience") or "internal"),
        today=today,
        site_url=site_url or "",
        repo_url=repo_url or "",
        preview=_preview_path(root, block.get("preview") or os.environ.get("HANDBOOK_PREVIEW") or ""),
    )


def _preview_path(root: Path, value: object) -> Path | None:
    if not value:
        return None
    path = (root / str(value)).resolve()
    if not path.is_file():
        raise SettingsError(f"The report to preview, `{value}`, is not a file; give its path, for example "
                            "postmortems/2026/2026-11-03-checkout-latency.md.")
    return path


class _MkDocsYamlLoader(yaml.SafeLoader):
    """Reads mkdocs.yml as MkDocs would for the keys we need."""


def _env_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    # MkDocs' `!ENV [NAME, default]` or `!ENV NAME`
    if isinstance(node, yaml.ScalarNode):
        names, default = [loader.construct_scalar(node)], None
    else:
        values = loader.construct_sequence(node)
        names, default = values[:-1] or values, values[-1] if len(values) > 1 else None
    for name in names:
        if isinstance(name, str) and name in os.environ:
            return yaml.safe_load(os.environ[name]) if os.environ[name] else os.environ[name]
    return default


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_MkDocsYamlLoader.add_constructor("!ENV", _env_tag)
_MkDocsYamlLoader.add_multi_constructor("!", _ignore_tag)
_MkDocsYamlLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_tag)


def find_mkdocs_yml(start: Path) -> Path:
    for folder in (start, *start.parents):
        candidate = folder / "mkdocs.yml"
        if candidate.is_file():
            return candidate
    raise SettingsError(f"No mkdocs.yml in {start} or any folder above it; run the command inside the "
                        "handbook repository, or pass --config.")


def load_settings(mkdocs_yml: Path) -> Settings:
    try:
        config = yaml.load(mkdocs_yml.read_text(encoding="utf-8-sig"), Loader=_MkDocsYamlLoader) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"Cannot read {mkdocs_yml}: {exc}") from None
    return settings_from_extra(mkdocs_yml.parent.resolve(), config.get("extra") or {},
                               site_url=str(config.get("site_url") or ""), repo_url=str(config.get("repo_url") or ""))

