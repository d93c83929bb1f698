"""Run notebooks top to bottom with no Jupyter server or kernel, each in a new process.

    python scripts/run_notebook.py chapters/07_3_recommender.ipynb [...]
    python scripts/run_notebook.py chapters/07_3_recommender.ipynb --report results.json

For a machine that has Python, the frameworks and IPython but no Jupyter test
stack (the GPU machine of ``scripts/device_check.sh``). In CI the notebooks run
under nbval instead; this runner follows the same rules:

- every code cell runs in order in one IPython shell per notebook (so
  ``display``, ``get_ipython`` and widgets work as in a kernel), with the
  notebook's folder as working directory and this checkout's ``helpers``
  importable;
- a cell tagged with an optional framework that is not installed (e.g.
  ``tensorflow``) is skipped, by the test suite's own rule
  (``tests/optional_cells.py``);
- the first failing cell stops its notebook, and the report names it.

Prints each notebook's output, the slowest cells, wall time and peak resident
memory of the notebook's process; exits 1 if any notebook failed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def code_cells(path: Path) -> list[dict]:
    """The notebook's code cells, sources joined; ValueError if it is not a notebook."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(
            f"{path} is not a Jupyter notebook (nbformat 4 JSON): "
            f"{type(error).__name__}: {error}"
        ) from error
    for cell in cells:
        if isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
    return cells


def run_one(path: Path) -> dict:
    """Execute one notebook in this process; return what happened."""
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    from optional_cells import missing_framework

    os.environ.setdefault("MPLBACKEND", "Agg")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="nocolor")
    # A styled table has only an HTML form; in a log, show its numbers as plain text.
    shell.display_formatter.formatters["text/plain"].for_type_by_name(
        "pandas.io.formats.style",
        "Styler",
        lambda styler, printer, cycle: printer.text(styler.data.to_string()),
    )
    os.chdir(path.parent)
    outcome = {
        "notebook": str(path),
        "cells": 0,
        "skipped": [],
        "slowest": [],
        "failed_cell": None,
    }
    start = time.perf_counter()
    timings = []
    for number, cell in enumerate(code_cells(path)):
        missing = missing_framework(cell.get("metadata", {}).get("tags", []))
        if missing:
            outcome["skipped"].append(number)
            print(
                f"--- cell {number}: skipped ({missing} is not installed)", flush=True
            )
            continue
        print(f"--- cell {number}", flush=True)
        cell_start = time.perf_counter()
        result = shell.run_cell(cell["source"], store_history=True)
        timings.append((time.perf_counter() - cell_start, number))
        outcome["cells"] += 1
        if not result.success:
            error = result.error_in_exec or result.error_before_exec
            outcome["failed_cell"] = number
            outcome["error"] = f"{type(error).__name__}: {error}"[:2000]
            break
    outcome["seconds"] = time.perf_counter() - start
    outcome["slowest"] = [
        [number, round(seconds, 1)]
        for seconds, number in sorted(timings, reverse=True)[:5]
    ]
    outcome["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument(
        "--report", type=Path, help="also write the results as JSON here"
    )
    # child mode: write the outcome here
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.one:
        (path,) = args.notebooks
        outcome = run_one(path.resolve())
        args.one.write_text(json.dumps(outcome))
        return 0

    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    not_notebooks = []
    for path in args.notebooks:
        try:
            code_cells(path)
        except ValueError as error:
            not_notebooks.append(str(error))
    if not_notebooks:
        parser.error("; ".join(not_notebooks))
    # checked now, not after an hour of notebooks whose results would then be lost
    if args.report and not args.report.parent.is_dir():
        parser.error(f"--report: the folder {args.report.parent} does not exist")
    results = []
    for path in args.notebooks:
        with tempfile.TemporaryDirectory() as scratch:
            report = Path(scratch) / "outcome.json"
            started = time.perf_counter()
            child = subprocess.run(
                [sys.executable, __file__, str(path), "--one", str(report)]
            )
            if report.is_file():
                outcome = json.loads(report.read_text())
            else:
                outcome = {
                    "notebook": str(path),
                    "failed_cell": "?",
                    "error": "the runner process died "
                    f"(exit status {child.returncode})",
                }
            outcome["process_seconds"] = time.perf_counter() - started
        results.append(outcome)

    print(f"\n{'notebook':40s} {'seconds':>8s} {'peak RSS':>10s}  result")
    for outcome in results:
        name = Path(outcome["notebook"]).name
        if outcome.get("failed_cell") is None:
            skipped = (
                f", {len(outcome['skipped'])} skipped" if outcome["skipped"] else ""
            )
            print(
                f"{name:40s} {outcome['seconds']:8.1f} {outcome['peak_mib']:6.0f} MiB  "
                f"ok: {outcome['cells']} cells{skipped}; "
                f"slowest (cell, s) {outcome['slowest']}"
            )
        else:
            print(
                f"{name:40s} {'':8s} {'':10s}  "
                f"FAILED in code cell {outcome['failed_cell']}: "
                f"{outcome.get('error', '')[:300]}"
            )
    if args.report:
        args.report.write_text(json.dumps(results, indent=1))
    return 1 if any(o.get("failed_cell") is not None for o in results) else 0


if __name__ == "__main__":
    sys.exit(main())
