"""Project 7.3 in the full profile: all five official folds, the quality target asserted.

The full profile of the recommender runs on a CPU in a few minutes, so the
ordinary test suite runs it (most chapters' full profiles need a GPU and run
only in ``make test-gpu``). The notebook's own ``assert`` cells hold the
checks: every model beats the global mean, MF beats the bias model, and the
quality target (biased MF ≤ 0.912 RMSE averaged over u1–u5, hyper-parameters
chosen on validation data).

The target is not met yet (measured: 0.9125). Rather than loosen it, this
test reports exactly that as an expected failure — and only that: any other
failing cell fails the test, and once the target cell passes, the strict
xfail turns into a failure that says to remove the marker.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "chapters" / "07_3_recommender.ipynb"


class TargetNotMet(Exception):
    """The only failure the xfail below accepts: anything else fails the test."""


def target_cell_number() -> int:
    """nbval's number ("Cell N") of the code cell that asserts the quality target."""
    code_cells = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    (number,) = [n for n, c in enumerate(code_cells) if "TARGET_RMSE =" in c.source]
    return number


@pytest.mark.xfail(strict=True, raises=TargetNotMet,
                   reason="biased MF measures 0.9125 mean RMSE; the 0.912 target is not met yet")
def test_recommender_notebook_passes_in_the_full_profile():
    env = {**os.environ, "COURSE_PROFILE": "full"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(NOTEBOOK), "--nbval-lax", "--nbval-current-env",
         "-p", "no:cacheprovider", "-q", "-rf"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    failed = {int(n) for n in re.findall(r"^FAILED \S*::Cell (\d+)", result.stdout, re.MULTILINE)}
    unexpected = failed - {target_cell_number()}
    assert not unexpected and (result.returncode == 0 or failed), (
        f"full profile failed in cells {sorted(unexpected)}:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    )
    # Only the quality-target cell may fail; it must pass for this test to pass.
    if result.returncode != 0:
        raise TargetNotMet(result.stdout[-1500:])
