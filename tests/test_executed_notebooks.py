"""Every notebook ran top to bottom without an error, checked on the book's own
execution.

``make test`` executes each notebook once: ``make book`` runs them
(``scripts/execute_book.py``) into the book's execution cache and builds the
pages from it. These tests read that cache instead of executing the notebooks
again: for each notebook of the table of contents, the cache holds a run of
its *current* code (so no page was built from stale outputs), and no cell of
that run produced an error. Needs ``make book`` first (``make test`` does it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from book_cache import executed_code_cells  # noqa: E402
from execute_book import book_notebooks  # noqa: E402
from optional_cells import missing_framework  # noqa: E402

pytestmark = pytest.mark.site
NOTEBOOKS = book_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_ran_without_error(path: Path, cache):
    code_cells = executed_code_cells(cache, path)
    assert code_cells, f"{path.name} has no code cell"
    for number, cell in enumerate(code_cells):
        tags = cell.metadata.get("tags", [])
        # e.g. a `tensorflow` cell where TensorFlow is not installed
        if missing_framework(tags):
            continue
        assert cell.get("execution_count") is not None or not cell.source.strip(), (
            f"{path.name}: code cell {number} was not executed"
        )
        errors = [
            output
            for output in cell.get("outputs", [])
            if output.get("output_type") == "error"
        ]
        assert not errors, (
            f"{path.name}: code cell {number} raised {errors[0].get('ename')}"
        )


def test_every_book_notebook_is_listed():
    """The table of contents names every chapter notebook, so none escapes execution."""
    chapters = sorted((ROOT / "chapters").glob("*.ipynb"))
    assert sorted(NOTEBOOKS) == chapters
