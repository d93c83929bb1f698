"""scripts/execute_book.py: notebooks executed once into the book's cache, with clear
failures."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import execute_book  # noqa: E402


def _notebook(
    path: Path, *sources: str, tags: dict[int, list[str]] | None = None
) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    for index, cell_tags in (tags or {}).items():
        nb.cells[index].metadata["tags"] = cell_tags
    nbformat.write(nb, path)
    return path


@pytest.fixture
def cache(tmp_path):
    from jupyter_cache import get_cache

    return get_cache(str(tmp_path / "cache"))


def test_a_notebook_runs_once_then_comes_from_the_cache(tmp_path, cache):
    path = _notebook(tmp_path / "a.ipynb", "x = 6 * 7", "print(x)")
    assert execute_book.execute_into_cache(path, cache, timeout=60).startswith(
        "executed in"
    )
    assert execute_book.execute_into_cache(path, cache, timeout=60) == "cached"
    executed = cache.get_cache_bundle(
        cache.match_cache_notebook(nbformat.read(path, 4)).pk
    ).nb
    assert executed.cells[1].outputs[0]["text"] == "42\n"


def test_cells_of_a_missing_framework_are_skipped_not_failed(
    tmp_path, cache, monkeypatch
):
    monkeypatch.setattr(
        execute_book,
        "missing_framework",
        lambda tags: "tensorflow" if "tensorflow" in tags else None,
    )
    path = _notebook(
        tmp_path / "tf.ipynb",
        "import no_such_module_here",
        "print('after')",
        tags={0: ["tensorflow"]},
    )
    outcome = execute_book.execute_into_cache(path, cache, timeout=60)
    assert "skipped code cell 0 (tensorflow is not installed)" in outcome
    executed = cache.get_cache_bundle(
        cache.match_cache_notebook(nbformat.read(path, 4)).pk
    ).nb
    assert (
        executed.cells[0].outputs == []
        and executed.cells[1].outputs[0]["text"] == "after\n"
    )
    assert executed.cells[0].metadata["tags"] == [
        "tensorflow"
    ]  # the skip tag was on a copy only


def test_a_failing_cell_names_the_notebook_and_exits_1(tmp_path, capsys):
    path = _notebook(tmp_path / "broken.ipynb", "1 / 0")
    assert execute_book.main([str(path), "--build", str(tmp_path / "build")]) == 1
    err = capsys.readouterr().err
    assert "broken.ipynb" in err and "ZeroDivisionError" in err


def test_a_missing_notebook_is_named(tmp_path, capsys):
    assert (
        execute_book.main(
            [str(tmp_path / "nowhere.ipynb"), "--build", str(tmp_path / "b")]
        )
        == 2
    )
    assert "nowhere.ipynb does not exist" in capsys.readouterr().err


def test_book_notebooks_follow_the_table_of_contents():
    notebooks = execute_book.book_notebooks()
    assert notebooks[0].name == "01_overview.ipynb"
    assert all(path.suffix == ".ipynb" and path.exists() for path in notebooks)
