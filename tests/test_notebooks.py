"""Static checks of every notebook: what nbval (which executes them) does not see."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

from helpers import diagrams

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from sync_setup_cells import chapter_notebooks, repository_url, setup_cell_source  # noqa: E402
from toc import toc_entries  # noqa: E402

NOTEBOOKS = chapter_notebooks()
IDS = [p.name for p in NOTEBOOKS]


def toc_files() -> list[str]:
    return toc_entries(ROOT / "_toc.yml")


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


def test_every_notebook_is_in_the_table_of_contents_and_back():
    listed = {f for f in toc_files() if f.startswith("chapters/")}
    on_disk = {f"chapters/{p.stem}" for p in NOTEBOOKS}
    assert listed == on_disk


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_valid_and_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.outputs or c.execution_count)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} have outputs; "
        "clear them (jupyter nbconvert --clear-output --inplace)"
    )
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_first_code_cell_is_the_setup_cell(path):
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert first.source == setup_cell_source(), (
        f"{path.name}: the first code cell is not the standard set-up cell; "
        "run `.venv/bin/python scripts/sync_setup_cells.py`"
    )


def test_setup_cell_installs_from_the_configured_repository():
    url = repository_url()
    assert url.startswith("https://github.com/")
    assert f'REPOSITORY = "{url}"' in setup_cell_source()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_diagram_has_a_title_and_every_draw_call_names_one(path):
    nb = nbformat.read(path, as_version=4)
    found = diagrams.notebook_diagrams(nb)
    titles = [diagrams.diagram_title(d) for d in found]
    assert None not in titles, (
        f"{path.name}: every Mermaid diagram needs a front-matter title"
    )
    # The site passes the front matter through MyST's directive options, which drops
    # quotes: a colon in a title then breaks Mermaid's YAML parser in the browser.
    assert not [t for t in titles if ":" in t], (
        f"{path.name}: no colon in diagram titles: {titles}"
    )
    assert len(set(titles)) == len(titles), (
        f"{path.name}: diagram titles must be unique"
    )
    called = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            calls = re.findall(r"diagrams\.draw\(\s*\"([^\"]+)\"", cell.source)
            if calls:
                assert "remove-cell" in cell.metadata.get("tags", []), (
                    f"{path.name}: a diagrams.draw cell only matters on Colab; "
                    "tag it remove-cell"
                )
            called.extend(calls)
    assert sorted(called) == sorted(titles), (
        f"{path.name}: each diagram needs exactly one diagrams.draw cell"
    )


def widget_cells(nb) -> list[int]:
    """Indices of code cells that show an ipywidgets control."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and "ipywidgets" in "".join(c.source for c in nb.cells[: i + 1])
        and re.search(r"\bdisplay\(\s*widgets\.|\binteract(ive)?\(", cell.source)
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_chapter_has_something_to_play_with(path):
    """An interactive in every notebook; the text before it says where it is live.

    On the website a widget shows the state computed when the page was built, so the
    reader must be told that it responds only in a running notebook.
    """
    nb = nbformat.read(path, as_version=4)
    shown = widget_cells(nb)
    assert shown, f"{path.name}: no interactive (no ipywidgets control is displayed)"
    first = shown[0]
    # the "Try it" text may sit above a cell that defines what the widget calls
    before = "".join(
        c.source
        for c in nb.cells[max(0, first - 4) : first]
        if c.cell_type == "markdown"
    )
    assert re.search(r"run the notebook|notebook runs", before), (
        f"{path.name}: the text before its first interactive (cell {first}) should "
        "say that it is live only when the notebook runs (JupyterLab or Colab)"
    )
