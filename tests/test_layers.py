"""The package keeps its layers (import-linter), type-checks (mypy) and documents every public function.

core → reading → checks → queries → rendering and delivery → the CLI: each layer imports only the
layers below it, nothing below rendering makes HTML, and the package never imports MkDocs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .conftest import ROOT, run


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    env = {"PYTHONPATH": str(ROOT / "hooks") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = run([str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"], ROOT, env=env)
    assert result.code == 0, result.output
    assert "3 kept, 0 broken" in result.output


def test_a_broken_layer_is_caught(tmp_path):
    """The contract can fail: a copy of the package where a reading module imports rendering."""
    import shutil

    copy = tmp_path / "hooks"
    shutil.copytree(ROOT / "hooks" / "handbook", copy / "handbook",
                    ignore=shutil.ignore_patterns("__pycache__"))
    model = copy / "handbook" / "reading" / "model.py"
    model.write_text(model.read_text(encoding="utf-8") + "\nfrom handbook.rendering import markup  # noqa\n",
                     encoding="utf-8")
    lint = Path(sys.executable).with_name("lint-imports")
    result = run([str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"], tmp_path,
                 env={"PYTHONPATH": str(copy)})
    assert result.code == 1
    assert "handbook.reading.model -> handbook.rendering.markup" in result.output


def test_the_package_and_the_plugin_type_check(tmp_path):
    mypy = Path(sys.executable).with_name("mypy")
    # --no-incremental still writes a cache: into the test's folder, not hooks/.mypy_cache in the checkout
    result = run([str(mypy), "--config-file", str(ROOT / "pyproject.toml"), "--no-incremental",
                  "--cache-dir", str(tmp_path / "mypy-cache")], ROOT / "hooks", timeout=600)
    assert result.code == 0, result.output
    assert "Success: no issues found" in result.output


def test_every_public_function_says_what_it_does():
    import ast

    missing = []
    for path in sorted((ROOT / "hooks").glob("handbook*/**/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_") \
                    and ast.get_docstring(node) is None:
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not missing, "public functions without a docstring:\n" + "\n".join(missing)
