"""Which notebook cells to skip because an optional framework is missing."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable

# cell tag -> module that must be importable for the cell to run
OPTIONAL_FRAMEWORKS = {"tensorflow": "tensorflow"}


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def missing_framework(tags: Iterable[str], installed: Callable[[str], bool] = _installed) -> str | None:
    """Return the tag of the first optional framework a cell needs but is missing, else None."""
    for tag in tags:
        module = OPTIONAL_FRAMEWORKS.get(tag)
        if module is not None and not installed(module):
            return tag
    return None
