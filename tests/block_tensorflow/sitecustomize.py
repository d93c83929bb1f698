"""Put this folder on PYTHONPATH to make TensorFlow look uninstalled (for tests).

Used by tests/test_optional_cells.py to run notebooks as they run on a machine
without TensorFlow, kernel included (the kernel inherits PYTHONPATH).
"""

import importlib.abc
import sys


class _NoTensorFlow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if (
            name == "tensorflow"
            or name.startswith("tensorflow.")
            or name == "keras"
            or name.startswith("keras.")
        ):
            raise ModuleNotFoundError(
                f"No module named {name!r} (hidden for this test)", name=name
            )
        return None


sys.meta_path.insert(0, _NoTensorFlow())
