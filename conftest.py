"""Shared pytest set-up.

Notebook cells that need an optional framework carry a tag naming it (e.g.
``tensorflow``). Where that framework is not installed, nbval skips exactly
those cells and pytest reports them as skipped, with the reason (the hook
lives in tests/optional_cells.py). The slowest test files run first (see below).
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

# the hook of tests/optional_cells.py (also a plugin of its own), called below
from optional_cells import (  # noqa: E402
    pytest_collection_modifyitems as skip_missing_frameworks,
)

# The test files that take longest (seconds of one process, from `pytest
# --durations=0`: the two site checks about 190 and 150, then 30-50 each), run
# first. pytest-xdist hands out whole files (--dist loadfile) in this order
# (--no-loadscope-reorder), so the long ones start at once and the short ones fill
# in after, instead of one process running a long file alone at the end.
SLOWEST_FIRST = (
    "test_site.py",
    "test_site_zh.py",
    "test_lab.py",
    "test_execution_stall.py",
    "test_llm.py",
    "test_bpmf.py",
    "test_ddp.py",
    "test_data_faults.py",
    "test_book_build.py",
    "test_i18n_messages.py",
)


def pytest_collection_modifyitems(config, items):
    skip_missing_frameworks(config, items)
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    # a stable sort: within a file, and among the other files, the order stays
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


# Executed notebooks take the quick profile unless the caller chose one.
os.environ.setdefault("COURSE_PROFILE", "quick")
