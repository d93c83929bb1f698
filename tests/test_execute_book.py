"""scripts/execute_book.py: notebooks executed once into the book's cache, with clear
failures."""

from __future__ import annotations

import os
import sys
import time
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


@pytest.fixture(autouse=True)
def kernel_environment_undone(monkeypatch):
    """``main`` sets variables for the kernels it starts; each test's are undone after
    it, so they do not reach the tests that run later in this process."""
    for name in ("OMP_NUM_THREADS", execute_book.i18n.RECORD_ENV):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)


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


def test_notebooks_run_side_by_side_with_jobs(tmp_path):
    """With --jobs 2, the second notebook starts before the first one ends."""
    stamps = tmp_path / "stamps"
    stamps.mkdir()
    body = (
        "import pathlib, time\n"
        f"stamps = pathlib.Path({str(stamps)!r})\n"
        "(stamps / '{name}.start').write_text(repr(time.time()))\n"
        "time.sleep(3)\n"
        "(stamps / '{name}.end').write_text(repr(time.time()))"
    )
    paths = [
        _notebook(tmp_path / f"{name}.ipynb", body.format(name=name))
        for name in ("first", "second")
    ]
    build = tmp_path / "build"
    assert (
        execute_book.main([*map(str, paths), "--build", str(build), "--jobs", "2"]) == 0
    )

    def stamp(name):
        return float((stamps / name).read_text())

    assert stamp("second.start") < stamp("first.end")
    assert stamp("first.start") < stamp("second.end")
    # both are in the cache: a second run executes nothing
    ended = stamp("first.end")
    assert execute_book.main([*map(str, paths), "--build", str(build)]) == 0
    assert stamp("first.end") == ended


def test_a_failure_stops_the_notebooks_still_running(tmp_path, capsys):
    slow = _notebook(
        tmp_path / "slow.ipynb",
        "import time\ntime.sleep(60)",
        f"open({str(tmp_path / 'finished')!r}, 'w').close()",
    )
    broken = _notebook(tmp_path / "broken.ipynb", "import time\ntime.sleep(2)\n1 / 0")
    start = time.monotonic()
    code = execute_book.main(
        [str(slow), str(broken), "--build", str(tmp_path / "b"), "--jobs", "2"]
    )
    assert code == 1 and time.monotonic() - start < 45
    err = capsys.readouterr().err
    assert "broken.ipynb" in err and "ZeroDivisionError" in err
    assert not (tmp_path / "finished").exists()


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_a_bad_job_count_is_named(monkeypatch, value):
    monkeypatch.setenv("BOOK_JOBS", value)
    with pytest.raises(SystemExit, match="BOOK_JOBS must be a whole number"):
        execute_book.default_jobs()


def _printed(path: Path, build: Path) -> str:
    """What the executed notebook's first cell printed, from the book's cache."""
    from jupyter_cache import get_cache

    cache = get_cache(str(build / ".jupyter_cache"))
    record = cache.match_cache_notebook(nbformat.read(path, 4))
    return cache.get_cache_bundle(record.pk).nb.cells[0].outputs[0]["text"]


def test_each_kernel_gets_its_share_of_the_cores(tmp_path, monkeypatch):
    """Four cores, two notebooks at a time: two threads for each kernel."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(
        execute_book.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False
    )
    path = _notebook(
        tmp_path / "threads.ipynb", "import os\nprint(os.environ['OMP_NUM_THREADS'])"
    )
    build = tmp_path / "build"
    assert execute_book.main([str(path), "--build", str(build), "--jobs", "2"]) == 0
    assert _printed(path, build) == "2\n"
    # more kernels than cores: one thread each, never none
    assert execute_book.threads_per_kernel(8) == 1


def test_a_thread_count_the_reader_chose_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    path = _notebook(
        tmp_path / "threads.ipynb", "import os\nprint(os.environ['OMP_NUM_THREADS'])"
    )
    build = tmp_path / "build"
    assert execute_book.main([str(path), "--build", str(build), "--jobs", "2"]) == 0
    assert _printed(path, build) == "3\n"
