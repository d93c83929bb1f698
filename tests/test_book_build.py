"""A notebook that fails must stop the book build loudly, naming the notebook and the cell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_failing_notebook_fails_the_build_and_names_notebook_and_cell(tmp_path):
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    # the course's own execution settings, without the site extras this tiny book does not need
    book = {"title": "broken", "only_build_toc_files": True, "execute": config["execute"]}
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(book), encoding="utf-8")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: broken_chapter\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A chapter with a bug"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("y = x / 0  # the bug"),
        nbformat.v4.new_code_cell("print('never reached')"),
    ]
    nbformat.write(nb, tmp_path / "broken_chapter.ipynb")

    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jupyter_book), "build", str(tmp_path), "--warningiserror", "--builder", "html"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the build passed although a notebook raised an error"
    assert "broken_chapter" in output
    assert "ZeroDivisionError" in output
    assert "y = x / 0" in output  # the failing cell's source is shown
