"""Shared pytest set-up.

Notebook cells that need an optional framework carry a tag naming it (e.g.
``tensorflow``). Where that framework is not installed, nbval skips exactly
those cells and pytest reports them as skipped, with the reason.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tests"))

from optional_cells import missing_framework  # noqa: E402

# Executed notebooks take the quick profile unless the caller chose one.
os.environ.setdefault("COURSE_PROFILE", "quick")


def pytest_collection_modifyitems(config, items):
    for item in items:
        cell = getattr(item, "cell", None)  # nbval's IPyNbCell carries its notebook cell
        if cell is None:
            continue
        missing = missing_framework(cell.get("metadata", {}).get("tags", []))
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"cell tagged {missing!r}: {missing} is not installed"))
