"""Cells tagged with an optional framework: skipped, and reported as skipped, where it
is missing."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from optional_cells import OPTIONAL_FRAMEWORKS, missing_framework

ROOT = Path(__file__).resolve().parent.parent
BLOCKER = Path(__file__).resolve().parent / "block_tensorflow"


def test_cell_without_tags_always_runs():
    assert missing_framework([], installed=lambda m: False) is None


def test_tensorflow_cell_skipped_only_where_tensorflow_is_missing():
    assert missing_framework(["tensorflow"], installed=lambda m: False) == "tensorflow"
    assert missing_framework(["tensorflow"], installed=lambda m: True) is None


def test_unrelated_tags_are_ignored():
    assert (
        missing_framework(["hide-input", "remove-cell"], installed=lambda m: False)
        is None
    )


def test_without_tensorflow_nbval_skips_exactly_the_tagged_cells(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    tagged = nbformat.v4.new_code_cell(
        "import tensorflow as tf\nkeras_value = tf.constant(1)"
    )
    tagged.metadata["tags"] = ["tensorflow"]
    nb.cells = [
        nbformat.v4.new_code_cell("x = 41"),
        tagged,
        nbformat.v4.new_code_cell("assert x + 1 == 42"),
    ]
    path = tmp_path / "optional.ipynb"
    nbformat.write(nb, path)
    tests = Path(__file__).resolve().parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(BLOCKER), str(tests), os.environ.get("PYTHONPATH", "")]
        ),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(path),
            "--nbval-lax",
            "--nbval-current-env",
            "-rs",
            "-p",
            "no:cacheprovider",
            "-p",
            "optional_cells",
            "--rootdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "2 passed, 1 skipped" in result.stdout
    assert "tensorflow is not installed" in result.stdout


def _defined(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _used(tree: ast.AST) -> set[str]:
    return {
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


def _parse(source: str) -> ast.AST:
    # IPython magics and shell escapes are not Python; blank them out for the analysis
    lines = [
        "" if line.lstrip().startswith(("%", "!")) else line
        for line in source.splitlines()
    ]
    return ast.parse("\n".join(lines))


@pytest.mark.parametrize(
    "path", sorted((ROOT / "chapters").glob("*.ipynb")), ids=lambda p: p.name
)
def test_no_cell_depends_on_a_name_only_an_optional_cell_defines(path):
    """A later untagged cell must not use what only a `tensorflow` cell defined."""
    nb = nbformat.read(path, as_version=4)
    optional_only: set[str] = set()
    always: set[str] = set()
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = _parse(cell.source)
        if set(cell.metadata.get("tags", [])) & set(OPTIONAL_FRAMEWORKS):
            optional_only |= _defined(tree) - always
            continue
        leaked = (_used(tree) & optional_only) - _defined(tree)
        if leaked:
            problems.append(f"cell {index} uses {sorted(leaked)}")
        always |= _defined(tree)
        optional_only -= _defined(tree)
    assert not problems, (
        f"{path.name}: names defined only in optional (tensorflow) cells: {problems}"
    )
