"""Lazy exports for a package's ``__init__``: a name is imported on first use.

``import helpers.data`` (or ``helpers.llm``) then costs nothing until a name is used,
so a notebook that needs one loader does not import numpy, torch or transformers for
all of them. This is PEP 562's module ``__getattr__``; one implementation serves every
package that uses it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(
    package: str, exports: dict[str, str], namespace: dict
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Return the ``__getattr__`` and ``__dir__`` for ``package``.

    Parameters
    ----------
    package
        The package's ``__name__``.
    exports
        Public name → the submodule (relative, without the dot) that defines it.
    namespace
        The package's ``globals()``: a name, once imported, is stored there, so the
        next use is an ordinary attribute lookup.
    """

    def __getattr__(name: str):
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
