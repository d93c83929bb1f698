"""The code a chapter teaches is the code later chapters import; cells stay short.

A chapter teaches a definition in a cell whose first line is the marker

    # taught here; saved in helpers.MODULE

and ``helpers/MODULE.py`` holds the same definition for later chapters,
scripts and benchmarks (the idea of *Dive into Deep Learning*'s ``#@save``).
These tests compare the two as Python syntax trees (``ast.dump``: comments and
layout may differ, names, defaults, decorators, docstrings and code may not),
so the notebook and the package cannot drift apart. They also check that no
other notebook, script or benchmark writes a taught definition again, and that
no code cell is longer than a reader takes in at a glance (30 lines).
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
MARKER = re.compile(r"^# taught here; saved in (helpers\.\w+)\s*$")
MAX_CELL_LINES = 30

TAUGHT = {
    # (module, name): the notebook that teaches it
    ("helpers.models", "article_cnn"): "07_1_image_recognition.ipynb",
    ("helpers.models", "augment"): "07_1_image_recognition.ipynb",
    ("helpers.models", "improved_cnn"): "07_1_image_recognition.ipynb",
    ("helpers.keras_models", "keras_article_cnn"): "07_1_image_recognition.ipynb",
    ("helpers.keras_models", "EpochTimer"): "07_1_image_recognition.ipynb",
    ("helpers.models", "BiasedMF"): "07_3_recommender.ipynb",
    ("helpers.bpmf", "select_dim"): "07_3_recommender.ipynb",
    ("helpers.encoders", "mean_pool"): "05_case_studies.ipynb",
    ("helpers.encoders", "embed"): "05_case_studies.ipynb",
}
"""Every definition that must be taught in a notebook and saved in ``helpers``."""

NOT_YET_SWITCHED: set[tuple[str, str]] = set()
"""Notebooks and modules that still write a taught definition again instead of importing
it. Whoever edits one replaces the copy by an import and removes its entry here."""

OTHER_CODE_SAME_NAME = {
    (
        "08_trends.ipynb",
        "augment",
    ),  # shifts only, with its own generator: not 7.1's augment
    ("09_tools.ipynb", "EpochTimer"),  # a Lightning callback, not 7.1's Keras one
    # the checked front end of the RAG project: it validates its input, loads the
    # encoder when none is given and calls helpers.encoders.embed for the pooling itself
    ("helpers/llm/rag.py", "embed"),
}
"""Different functions that happen to share a taught definition's name."""

NOT_YET_SPLIT: set[str] = set()
"""Notebooks that still have a code cell over 30 lines. Each is expected to fail the
cell-length test (strictly: once a notebook passes, the test says to remove it here)."""


def code_cells(notebook: Path):
    """Yield (index, cell id, source) for every code cell of a notebook."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            yield index, cell.get("id", "?"), "".join(cell["source"])


def parse_cell(source: str) -> ast.Module:
    """Parse a cell, leaving out IPython's magics and shell escapes (not Python)."""
    kept = [
        "" if line.lstrip().startswith(("%", "!")) else line
        for line in source.splitlines()
    ]
    return ast.parse("\n".join(kept))


def definitions(tree: ast.Module) -> dict[str, ast.AST]:
    """The top-level functions and classes of a module or cell, by name."""
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {node.name: node for node in tree.body if isinstance(node, kinds)}


def marked_definitions():
    """Every definition in a marked cell.

    Each as (notebook, cell index, cell id, module, name, node).
    """
    found = []
    for notebook in CHAPTERS:
        for index, cell_id, source in code_cells(notebook):
            match = MARKER.match(source.splitlines()[0]) if source.strip() else None
            if match:
                for name, node in definitions(parse_cell(source)).items():
                    found.append(
                        (notebook.name, index, cell_id, match.group(1), name, node)
                    )
    return found


def package_definition(module: str, name: str):
    # read the file, do not import it: helpers.keras_models would import TensorFlow
    path = Path(importlib.util.find_spec(module).origin)
    return definitions(ast.parse(path.read_text(encoding="utf-8"))).get(name)


MARKED = marked_definitions()


def test_every_marked_cell_defines_something():
    for notebook in CHAPTERS:
        for index, cell_id, source in code_cells(notebook):
            if source.strip() and MARKER.match(source.splitlines()[0]):
                assert definitions(parse_cell(source)), (
                    f"{notebook.name}, cell {index} (id {cell_id}) carries the "
                    "'taught here' marker but defines no function or class"
                )


@pytest.mark.parametrize(("module", "name"), sorted(TAUGHT))
def test_taught_definition_is_marked_in_its_chapter(module, name):
    where = [
        (nb, index) for nb, index, _, mod, n, _ in MARKED if (mod, n) == (module, name)
    ]
    assert where, (
        f"{name} must be taught in {TAUGHT[module, name]} in a cell that starts with "
        f"'# taught here; saved in {module}'"
    )
    assert [nb for nb, _ in where] == [TAUGHT[module, name]], (
        f"{name} is taught in {where}; "
        f"it must be taught once, in {TAUGHT[module, name]}"
    )


@pytest.mark.parametrize("marked", MARKED, ids=lambda m: f"{m[0]}:{m[4]}")
def test_notebook_and_helpers_hold_the_same_code(marked):
    notebook, index, cell_id, module, name, node = marked
    saved = package_definition(module, name)
    where = f"{notebook}, cell {index} (id {cell_id}): {name}"
    assert saved is not None, (
        f"{where} is marked as saved in {module}, which has no {name}"
    )
    if ast.dump(node) != ast.dump(saved):
        diff = "\n".join(
            difflib.unified_diff(
                ast.unparse(saved).splitlines(),
                ast.unparse(node).splitlines(),
                fromfile=f"{module}.{name}",
                tofile=f"{notebook} cell {index}",
                lineterm="",
            )
        )
        pytest.fail(f"{where} differs from {module}.{name} (change both):\n{diff}")


def python_files():
    for folder in ("helpers", "scripts", "bench"):
        yield from sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize(("module", "name"), sorted(TAUGHT))
def test_taught_definition_is_not_written_again(module, name):
    home = ROOT / (module.replace(".", "/") + ".py")
    allowed = NOT_YET_SWITCHED | OTHER_CODE_SAME_NAME
    copies = [
        str(path.relative_to(ROOT))
        for path in python_files()
        if path != home
        and (str(path.relative_to(ROOT)), name) not in allowed
        and name in definitions(ast.parse(path.read_text(encoding="utf-8")))
    ]
    for notebook in CHAPTERS:
        if (notebook.name, name) in allowed:
            continue
        for index, _, source in code_cells(notebook):
            first = source.splitlines()[0] if source.strip() else ""
            if not MARKER.match(first) and name in definitions(parse_cell(source)):
                copies.append(f"{notebook.name}, cell {index}")
    assert not copies, (
        f"{name} is written again in {copies}: import it from {module} instead"
    )


def test_allow_lists_name_real_notebooks():
    names = {notebook.name for notebook in CHAPTERS}
    assert NOT_YET_SPLIT <= names, NOT_YET_SPLIT - names
    for where, name in NOT_YET_SWITCHED | OTHER_CODE_SAME_NAME:
        assert where in names or (ROOT / where).is_file(), f"{where} does not exist"
        assert name in {n for _, n in TAUGHT}, f"{name} is not a taught definition"


@pytest.mark.parametrize(
    "notebook",
    [
        pytest.param(
            nb,
            marks=pytest.mark.xfail(
                nb.name in NOT_YET_SPLIT, strict=True, reason="listed in NOT_YET_SPLIT"
            ),
        )
        for nb in CHAPTERS
    ],
    ids=lambda nb: nb.name,
)
def test_no_code_cell_is_longer_than_30_lines(notebook):
    long = [
        f"cell {index} (id {cell_id}): {len(source.splitlines())} lines"
        for index, cell_id, source in code_cells(notebook)
        if len(source.splitlines()) > MAX_CELL_LINES
    ]
    assert not long, (
        f"{notebook.name} has code cells over {MAX_CELL_LINES} lines: {long}"
    )


def test_the_checks_catch_a_difference():
    # the comparison must see a changed default and ignore a changed comment
    one = ast.parse("def f(x, k=2):\n    # a comment\n    return x * k\n").body[0]
    same = ast.parse("def f(x, k=2):\n    return x * k  # another\n").body[0]
    other = ast.parse("def f(x, k=3):\n    return x * k\n").body[0]
    assert ast.dump(one) == ast.dump(same)
    assert ast.dump(one) != ast.dump(other)
    assert MARKER.match("# taught here; saved in helpers.models")
    assert not MARKER.match("# taught here")
