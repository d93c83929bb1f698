"""Write the standard set-up cell into every chapter notebook.

The repository's address and the branch or tag the book is published from live in
one place, ``_config.yml`` (``repository.url`` and ``repository.branch``); the set-up
cell installs the helpers from that same ref, so a notebook opened in Colab always
gets the helpers it was written with. Run this after changing either (e.g. in a
fork): ``.venv/bin/python scripts/sync_setup_cells.py``.
``tests/test_notebooks.py`` fails when a notebook's first code cell differs from
the cell this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent

SETUP_TEMPLATE = """\
# Set-up: run this cell first. On Colab it installs the course's `helpers`
# package from the repository (Colab's own torch, tensorflow and numpy stay as
# they are); elsewhere `make lab` has installed it already.
import subprocess
import sys

REPOSITORY = "{url}"
REF = "{ref}"  # the branch or release tag this book is published from
if "google.colab" in sys.modules:
    helpers = f"lm4f-helpers @ git+{{REPOSITORY}}@{{REF}}"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", helpers], check=True)

from helpers import runtime

course = runtime.setup()"""


def _repository(config_path: Path) -> dict:
    return yaml.safe_load(config_path.read_text(encoding="utf-8"))["repository"]


def repository_url(config_path: Path = ROOT / "_config.yml") -> str:
    """The repository address from the book's configuration."""
    return _repository(config_path)["url"]


def repository_ref(config_path: Path = ROOT / "_config.yml") -> str:
    """The branch or tag the book is published from.

    Colab opens the notebooks of that ref and installs its helpers. A release is
    published by tagging it and setting ``repository.branch`` to the tag: the Colab
    button then opens the tagged notebooks, and their set-up cell installs the tagged
    helpers.
    """
    return _repository(config_path).get("branch", "main")


def setup_cell_source(url: str | None = None, ref: str | None = None) -> str:
    """The exact source every notebook's first code cell must have."""
    return SETUP_TEMPLATE.format(
        url=url or repository_url(), ref=ref or repository_ref()
    )


def chapter_notebooks() -> list[Path]:
    """Every notebook of the course, in file order."""
    return sorted((ROOT / "chapters").glob("*.ipynb"))


def sync(path: Path, source: str) -> bool:
    """Make ``path``'s first code cell the set-up cell; True if the file changed."""
    nb = nbformat.read(path, as_version=4)
    first = next((c for c in nb.cells if c.cell_type == "code"), None)
    if first is not None and first.source == source:
        return False
    if first is None:
        nb.cells.insert(0, nbformat.v4.new_code_cell(source))
    else:
        first.source = source
    nbformat.write(nb, path)
    return True


def main() -> int:
    source = setup_cell_source()
    changed = [p.name for p in chapter_notebooks() if sync(p, source)]
    print(
        f"set-up cell updated in {len(changed)} notebook(s): "
        f"{', '.join(changed) or 'none'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
