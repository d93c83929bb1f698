"""Every picture a code cell draws has a caption, in both editions.

A caption is a ``{caption} fig-…`` markdown cell right after the code cell that draws
(``_ext/course_figures.py`` makes it a numbered figure on the site). Which cells draw is
known only by running them, so this reads the book's execution cache, like
``tests/test_executed_notebooks.py``. Needs ``make book`` first (``make test`` does it).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from book_cache import executed_code_cells
from execute_book import book_notebooks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = book_notebooks()
PICTURES = ("image/png", "image/svg+xml", "image/jpeg")
CAPTION = re.compile(r"\A(`{3,}|:{3,})\{caption\} (?P<name>fig-[a-z0-9-]+)\n\S")

pytestmark = pytest.mark.site


def pictures(cell) -> int:
    """How many pictures an executed code cell drew."""
    return sum(
        any(kind in output.get("data", {}) for kind in PICTURES)
        for output in cell.get("outputs", [])
    )


def captions(notebook) -> list[tuple[int, str]]:
    """``(index, name)`` of every ``{caption}`` markdown cell."""
    return [
        (index, match["name"])
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "markdown" and (match := CAPTION.match(cell.source))
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_picture_has_a_caption_right_after_it(path: Path, cache):
    source = nbformat.read(path, as_version=4)
    executed = iter(executed_code_cells(cache, path))
    uncaptioned, drawn, several = [], set(), []
    for index, cell in enumerate(source.cells):
        if cell.cell_type != "code":
            continue
        count = pictures(next(executed))
        if count > 1:  # one caption per cell: the others would go without
            several.append(f"cell {index} draws {count}")
        if count:
            drawn.add(index)
            following = (
                source.cells[index + 1] if index + 1 < len(source.cells) else None
            )
            if following is None or not CAPTION.match(following.source):
                uncaptioned.append(
                    f"cell {index} ({cell.source.splitlines()[0][:60]!r})"
                )
    assert not uncaptioned, (
        f"{path.name}: pictures with no {{caption}} cell right after: {uncaptioned}"
    )
    assert not several, f"{path.name}: one picture per cell, each captioned: {several}"
    stray = [name for index, name in captions(source) if index - 1 not in drawn]
    assert not stray, f"{path.name}: captions under a cell that draws nothing: {stray}"


def test_figure_names_are_unique_and_the_chinese_edition_keeps_them():
    names = {}
    for path in NOTEBOOKS:
        english = [name for _, name in captions(nbformat.read(path, as_version=4))]
        chinese_path = ROOT / "zh" / path.relative_to(ROOT)
        chinese = [
            name for _, name in captions(nbformat.read(chinese_path, as_version=4))
        ]
        assert chinese == english, f"{path.name}: the Chinese edition's figures differ"
        for name in english:
            assert name not in names, (
                f"{name} in both {names.get(name)} and {path.name}"
            )
            names[name] = path.name
    assert len(names) >= 40, f"only {len(names)} captioned figures in the book"
