"""mkdocs-macros module: the handbook's tables and words, rendered from handbook.yml.

Named by `plugins.macros.module_name` in mkdocs.yml. Handbook pages call these macros, so a
change to the taxonomy changes the handbook too. Report pages are never rendered as Jinja:
they are generated with `render_macros: false` (incident logs may contain `{{ ... }}`).
"""

from __future__ import annotations

from handbook.rendering.handbook_tables import HandbookTables

UNAVAILABLE = "*This table is drawn from handbook.yml, which cannot be read: see the box at the top of the page.*"


def define_env(env) -> None:  # noqa: ANN001 - the macros plugin's environment object
    # The handbook plugin has read the settings and the taxonomy for this build already (its
    # on_config runs first); when it could not, it reports why (and stops a build), and under
    # `mkdocs serve` the handbook pages are still shown, each table saying why it is missing.
    taxonomy = getattr(env.conf.plugins.get("handbook"), "taxonomy", None)
    if taxonomy is None:
        for name in HandbookTables.MACROS:
            env.macro(lambda *args, **kwargs: UNAVAILABLE, name)
        for name in ("org", "rules", "taxonomy"):
            env.variables[name] = _Unknown()
        return
    tables = HandbookTables(taxonomy)
    env.variables["org"] = {key: _as_text(value) for key, value in taxonomy.organisation.items()}
    env.variables["rules"] = taxonomy.rules
    env.variables["taxonomy"] = taxonomy
    for name in HandbookTables.MACROS:
        env.macro(getattr(tables, name), name)


def _as_text(value: str) -> str:
    """An organisation word as Markdown reads it as text: a Slack channel such as `#inc-bridge` that
    lands at the start of a line would otherwise become a heading."""
    return "\\" + value if value.startswith("#") else value


class _Unknown:
    """A value of handbook.yml while it cannot be read: every part of it reads as "not known"."""

    def __getattr__(self, name: str) -> _Unknown:
        return self

    def __getitem__(self, key: object) -> _Unknown:
        return self

    def __iter__(self):  # noqa: ANN204 - an empty loop in a template
        return iter(())

    def __str__(self) -> str:
        return "(not known)"
