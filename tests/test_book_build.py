"""Small books built with the course's settings.

A failing notebook stops the build loudly, and the site extension
(``_ext/course_site.py``) writes pages that work from disk.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_failing_notebook_fails_the_build_and_names_notebook_and_cell(tmp_path):
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    # the course's own execution settings, without the site extras this tiny book does
    # not need
    book = {
        "title": "broken",
        "only_build_toc_files": True,
        "execute": config["execute"],
    }
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(book), encoding="utf-8")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: broken_chapter\n", encoding="utf-8"
    )
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A chapter with a bug"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("y = x / 0  # the bug"),
        nbformat.v4.new_code_cell("print('never reached')"),
    ]
    nbformat.write(nb, tmp_path / "broken_chapter.ipynb")

    result = run_build(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, (
        "the build passed although a notebook raised an error"
    )
    assert "broken_chapter" in output
    assert "ZeroDivisionError" in output
    assert "y = x / 0" in output  # the failing cell's source is shown


def small_book(folder: Path, cells: list) -> Path:
    """A one-chapter book with the course's own site configuration and extension."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["exclude_patterns"] = ["_build", "_ext", "site_assets"]
    (folder / "_config.yml").write_text(
        yaml.safe_dump(config, allow_unicode=True), encoding="utf-8"
    )
    (folder / "_toc.yml").write_text(
        "format: jb-book\nroot: chapter\n", encoding="utf-8"
    )
    for shared in ("_ext", "site_assets", "references.bib"):
        (folder / shared).symlink_to(ROOT / shared)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = cells
    nbformat.write(nb, folder / "chapter.ipynb")
    return folder


def run_build(folder: Path) -> subprocess.CompletedProcess:
    """``jupyter-book build`` of the book in ``folder``, warnings as errors."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    return subprocess.run(
        [str(jupyter_book), "build", str(folder), "--warningiserror"]
        + ["--builder", "html"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def build(folder: Path) -> str:
    """Build the book in ``folder`` (warnings are errors); return the chapter's HTML."""
    result = run_build(folder)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return (folder / "_build" / "html" / "chapter.html").read_text(encoding="utf-8")


def test_site_extension_makes_pages_that_work_from_disk(tmp_path):
    """What _ext/course_site.py promises, read from a small book built with it."""
    if not (ROOT / "site_assets" / "vendor" / "mermaid" / "mermaid.min.js").is_file():
        pytest.fail("site_assets/vendor is missing: run `make setup`")
    page = build(
        small_book(
            tmp_path,
            [
                nbformat.v4.new_markdown_cell(
                    "# A chapter\n\n```mermaid\ngraph LR\n  A --> B\n```"
                ),
                nbformat.v4.new_code_cell(
                    "# Set-up: run this cell first.\nprint('environment report')"
                ),
                nbformat.v4.new_code_cell("print('the lesson')"),
            ],
        )
    )
    # Mermaid: the classic build, then sphinxcontrib-mermaid's module without its
    # import.
    classic = page.find('src="_static/vendor/mermaid/mermaid.min.js')
    module = page.find("const mermaid = window.mermaid;")
    assert "import mermaid" not in page and ".mjs" not in page
    assert 0 < classic < module, (
        "mermaid.min.js must load before the script that draws the diagrams"
    )
    # The set-up cell's source is in a collapsed <details>; the next cell is not.
    details = page[page.index("<details") : page.index("</details>")]
    assert (
        "Show the set-up code" in details and "Set-up: run this cell first" in details
    )
    assert "the lesson" not in details and "the lesson" in page
    # its output stays visible
    assert "environment report" in page[page.index("</details>") :]
    # Nothing of sphinx-thebe's.
    assert "THEBE_JS_URL" not in page and "sphinx-thebe" not in page


def test_site_extension_says_what_to_do_when_mermaid_is_an_es_module(tmp_path):
    config_path = (
        small_book(tmp_path, [nbformat.v4.new_markdown_cell("# A chapter")])
        / "_config.yml"
    )
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["sphinx"]["config"]["mermaid_use_local"] = (
        "vendor/mermaid/mermaid.esm.min.mjs"
    )
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with pytest.raises(AssertionError, match="classic build"):
        build(tmp_path)
