"""The book's execution cache, as the tests that check executed notebooks read it.

``make book`` executes every notebook into ``_build/.jupyter_cache`` (keyed on the
code cells); the tests read the run of each notebook's *current* code from there
instead of executing it again.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "_build" / ".jupyter_cache"


@pytest.fixture(scope="module")
def cache():
    from jupyter_cache import get_cache

    if not CACHE.is_dir():
        pytest.fail(
            f"no execution cache at {CACHE}: run `make book` first (`make test` does)"
        )
    return get_cache(str(CACHE))


def executed_code_cells(cache, path: Path) -> list:
    """The code cells of the cached run of notebook ``path``, in order; fails the test
    when the book was not built from the notebook's current code."""
    try:
        record = cache.match_cache_notebook(nbformat.read(path, as_version=4))
    except KeyError:
        pytest.fail(
            f"the book was not built from the current code of {path.name}: "
            "run `make book`"
        )
    cells = cache.get_cache_bundle(record.pk).nb.cells
    return [cell for cell in cells if cell.cell_type == "code"]
