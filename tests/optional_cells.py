"""Which notebook cells to skip because an optional framework is missing.

Also a pytest plugin: the root conftest.py uses its hook, and a test that runs
pytest in a subprocess loads it with ``-p optional_cells``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable

# cell tag -> module that must be importable for the cell to run
OPTIONAL_FRAMEWORKS = {"tensorflow": "tensorflow"}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    # a finder that refuses the module (or a broken install) counts as missing
    except ImportError:
        return False


def missing_framework(
    tags: Iterable[str], installed: Callable[[str], bool] = _installed
) -> str | None:
    """The tag of the first optional framework a cell needs and lacks, else None."""
    for tag in tags:
        module = OPTIONAL_FRAMEWORKS.get(tag)
        if module is not None and not installed(module):
            return tag
    return None


def pytest_collection_modifyitems(config, items):
    """Skip nbval cells tagged with a missing framework; the report gives the reason."""
    import pytest

    for item in items:
        # nbval's IPyNbCell carries its notebook cell
        cell = getattr(item, "cell", None)
        if cell is None:
            continue
        missing = missing_framework(cell.get("metadata", {}).get("tags", []))
        if missing:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"cell tagged {missing!r}: {missing} is not installed"
                )
            )
