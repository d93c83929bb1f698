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

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "_build" / ".jupyter_cache"
sys.path.insert(0, str(ROOT / "scripts"))
from execute_book import book_notebooks  # noqa: E402
from optional_cells import missing_framework  # noqa: E402

pytestmark = pytest.mark.site
NOTEBOOKS = book_notebooks()


@pytest.fixture(scope="module")
def cache():
    from jupyter_cache import get_cache

    if not CACHE.is_dir():
        pytest.fail(
            f"no execution cache at {CACHE}: run `make book` first (`make test` does)"
        )
    return get_cache(str(CACHE))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_ran_without_error(path: Path, cache):
    source = nbformat.read(path, as_version=4)
    try:
        record = cache.match_cache_notebook(source)
    except KeyError:
        pytest.fail(
            f"the book was not built from the current code of {path.name}: "
            "run `make book`"
        )
    executed = cache.get_cache_bundle(record.pk).nb
    code_cells = [cell for cell in executed.cells if cell.cell_type == "code"]
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
