"""scripts/run_notebook.py: notebooks run without Jupyter (the GPU machine has none)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "scripts" / "run_notebook.py"
BLOCKER = Path(__file__).resolve().parent / "block_tensorflow"


def notebook(path: Path, *cells) -> Path:
    nb = nbformat.v4.new_notebook()
    for source, tags in cells:
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
    nbformat.write(nb, path)
    return path


def run(*args, hide_tensorflow=True):
    env = {**os.environ, "PYTHONPATH": str(BLOCKER) if hide_tensorflow else ""}
    return subprocess.run(
        [sys.executable, str(RUNNER), *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cells_share_a_shell_display_works_and_missing_frameworks_are_skipped(tmp_path):
    good = notebook(
        tmp_path / "good.ipynb",
        ("from pathlib import Path\nimport helpers\nx = 20", []),
        ("import tensorflow", ["tensorflow"]),
        (
            "from IPython.display import display\ndisplay({'answer': x + 22})\n"
            "print('cwd', Path.cwd().name)",
            [],
        ),
        (
            "import pandas as pd\n"
            "display(pd.DataFrame({'accuracy': [0.9876]}).style.format('{:.1%}'))",
            [],
        ),
    )
    result = run(good, "--report", tmp_path / "report.json")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "{'answer': 42}" in result.stdout and f"cwd {tmp_path.name}" in result.stdout
    assert "0.9876" in result.stdout  # a styled table is logged as its numbers
    assert "cell 1: skipped (tensorflow is not installed)" in result.stdout
    (outcome,) = json.loads((tmp_path / "report.json").read_text())
    assert (
        outcome["failed_cell"] is None
        and outcome["cells"] == 3
        and outcome["skipped"] == [1]
    )
    assert outcome["peak_mib"] > 10 and outcome["seconds"] >= 0


def test_the_first_failing_cell_stops_its_notebook_and_is_named(tmp_path):
    bad = notebook(
        tmp_path / "bad.ipynb",
        ("y = 1", []),
        ("assert y == 2, 'y is not 2'", []),
        ("print('after')", []),
    )
    good = notebook(tmp_path / "good.ipynb", ("print('fine')", []))
    result = run(bad, good, "--report", tmp_path / "report.json")
    assert result.returncode == 1
    assert "after" not in result.stdout and "fine" in result.stdout
    assert "FAILED in code cell 1: AssertionError: y is not 2" in result.stdout
    outcomes = json.loads((tmp_path / "report.json").read_text())
    assert [o["failed_cell"] for o in outcomes] == [1, None]


def test_a_missing_notebook_is_a_usage_error(tmp_path):
    result = run(tmp_path / "nowhere.ipynb")
    assert result.returncode == 2 and "no such notebook" in result.stderr


def test_a_file_that_is_not_a_notebook_is_a_usage_error(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    result = run(broken)
    assert result.returncode == 2 and "is not a Jupyter notebook" in result.stderr


def test_a_report_folder_that_does_not_exist_is_refused_before_running(tmp_path):
    good = notebook(tmp_path / "good.ipynb", ("print('ran')", []))
    result = run(good, "--report", tmp_path / "no" / "such" / "report.json")
    assert result.returncode == 2 and "does not exist" in result.stderr
    # refused before running: nothing computed is then lost
    assert "ran" not in result.stdout
