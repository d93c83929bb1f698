"""Shared pytest set-up.

Notebook cells that need an optional framework carry a tag naming it (e.g.
``tensorflow``). Where that framework is not installed, nbval skips exactly
those cells and pytest reports them as skipped, with the reason (the hook
lives in tests/optional_cells.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# tests/ holds the shared test plumbing; scripts/ the book tooling that tests import
# (toc, i18n, …)
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "scripts")]

# the fixture `cache`: the book's execution cache (tests/book_cache.py)
from book_cache import cache  # noqa: E402,F401
from optional_cells import pytest_collection_modifyitems  # noqa: E402,F401  (the hook)

# Executed notebooks take the quick profile unless the caller chose one.
os.environ.setdefault("COURSE_PROFILE", "quick")
