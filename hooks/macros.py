"""mkdocs-macros module: the handbook's tables and words, rendered from handbook.yml.

Named by `plugins.macros.module_name` in mkdocs.yml. Handbook pages call these macros, so a
change to the taxonomy changes the handbook too. Report pages are never rendered as Jinja:
they are generated with `render_macros: false` (incident logs may contain `{{ ... }}`).
"""

from __future__ import annotations

from pathlib import Path

from handbook import settings_from_extra
from handbook.handbook_tables import HandbookTables


def define_env(env) -> None:  # noqa: ANN001 - the macros plugin's environment object
    root = Path(env.conf.config_file_path).parent.resolve()
    taxonomy = settings_from_extra(root, env.conf.extra).load_taxonomy()
    tables = HandbookTables(taxonomy)
    env.variables["org"] = dict(taxonomy.organisation)
    env.variables["rules"] = taxonomy.raw["rules"]
    env.variables["taxonomy"] = taxonomy.raw
    for name in HandbookTables.MACROS:
        env.macro(getattr(tables, name), name)
