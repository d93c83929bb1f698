"""Exercises and their solutions, in both editions' notebooks.

Each exercise is a ``{exercise}`` directive of sphinx-exercise with a label; its
solution is a gated ``{solution-start}`` … ``{solution-end}`` block after the
reader's own cells, so that the site numbers the solution, links it to its exercise
and hides it in a dropdown. In JupyterLab (``jupyter.source_hidden``) and Colab
(``cellView: form``) the solution's cells are collapsed: a reader sees the question
and an empty answer cell, not the answer right under it.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from toc import toc_entries

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = [p for p in toc_entries(ROOT / "_toc.yml") if p.startswith("chapters/")]
NOTEBOOKS = [ROOT / f"{p}.ipynb" for p in CHAPTERS] + [
    ROOT / "zh" / f"{p}.ipynb" for p in CHAPTERS
]
IDS = [p.relative_to(ROOT).as_posix() for p in NOTEBOOKS]

EXERCISE = re.compile(
    r"^(`{3,}|:{3,})\{exercise\}[ \t]*(?P<title>.*)\n:label: (?P<label>\S+)", re.M
)
SOLUTION_START = re.compile(
    r"^(`{3,}|:{3,})\{solution-start\} (?P<label>\S+)\n:class: dropdown$", re.M
)
SOLUTION_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}", re.M)
OLD_STYLE = re.compile(
    r"\{dropdown\}[ \t]*(Solution|参考答案|答案)|\*\*(Exercise|练习) ?\d"
)


def label_stem(notebook: Path) -> str:
    return notebook.stem.replace("_", "-")


def blocks(notebook: Path) -> list[tuple[str, str, list]]:
    """The exercises and solution blocks in order: ``("exercise", label, [cell])`` and
    ``("solution", label, [start cell, …, end cell])``; raises on a block left open."""
    found, open_block = [], None
    for cell in nbformat.read(notebook, as_version=4).cells:
        text = cell.source if cell.cell_type == "markdown" else ""
        if open_block is not None:
            open_block[2].append(cell)
            if SOLUTION_END.search(text):
                found.append(open_block)
                open_block = None
            continue
        if match := EXERCISE.search(text):
            found.append(("exercise", match["label"], [cell]))
        if match := SOLUTION_START.search(text):
            open_block = ("solution", match["label"], [cell])
            if SOLUTION_END.search(text):
                raise AssertionError(
                    f"{notebook.name}: solution {match['label']} ends in its first cell"
                )
    assert open_block is None, (
        f"{notebook.name}: solution {open_block[1]} has no {{solution-end}}"
    )
    return found


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_every_exercise_is_numbered_labelled_and_has_one_solution_after_it(notebook):
    found = blocks(notebook)
    exercises = [label for kind, label, _ in found if kind == "exercise"]
    solutions = [label for kind, label, _ in found if kind == "solution"]
    expected = [f"ex-{label_stem(notebook)}-{n}" for n in range(1, len(exercises) + 1)]
    assert exercises == expected, (
        f"{notebook.name}: exercise labels {exercises}, expected {expected}"
    )
    assert solutions == exercises, (
        f"{notebook.name}: solutions {solutions} do not match exercises {exercises}"
    )
    order = [(kind, lab) for kind, lab, _ in found]
    for label in exercises:  # each solution after its exercise, before the next one
        assert order.index(("exercise", label)) + 1 <= order.index(("solution", label))
    assert all(kind == "exercise" or len(cells) >= 3 for kind, _, cells in found), (
        f"{notebook.name}: a solution block holds no code cell "
        "between its start and end"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_solution_cells_are_collapsed_in_jupyterlab_and_colab(notebook):
    for kind, label, cells in blocks(notebook):
        if kind != "solution":
            continue
        code = [c for c in cells if c.cell_type == "code"]
        assert code, (
            f"{notebook.name}: solution {label} has no code cell "
            "that runs and checks it"
        )
        for cell in cells:
            hidden = cell.metadata.get("jupyter", {}).get("source_hidden")
            assert hidden is True, (
                f"{notebook.name}: a cell of solution {label} "
                "is not collapsed in JupyterLab"
            )
        for cell in code:
            assert cell.metadata.get("cellView") == "form", (
                f"{notebook.name}: a code cell of solution {label} "
                "is shown in Colab (needs cellView: form)"
            )
            assert "hide-input" not in cell.metadata.get("tags", []), (
                f"{notebook.name}: solution {label} "
                "hides its code inside its own dropdown"
            )
            assert "assert" in cell.source, (
                f"{notebook.name}: solution {label} is not checked by its cell"
            )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_no_solution_is_written_the_old_way(notebook):
    """No bold "Exercise N" paragraphs, no solutions in a plain dropdown right under
    a question."""
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            assert not OLD_STYLE.search(cell.source), (
                f"{notebook.name}: {cell.source[:120]!r}"
            )


def test_the_checks_above_see_the_exercises():
    counts = {
        p.name: sum(kind == "exercise" for kind, _, _ in blocks(p))
        for p in NOTEBOOKS[: len(CHAPTERS)]
    }
    assert sum(counts.values()) >= 30, counts
    assert sum(c > 0 for c in counts.values()) >= 11, counts
