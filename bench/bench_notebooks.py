"""Execute every chapter notebook in a fresh process; print wall time and peak memory.

    python bench/bench_notebooks.py [NOTEBOOK ...]   (COURSE_PROFILE sets the profile)

"peak kernel RSS" is the largest resident set of the notebook's kernel process
(``ru_maxrss`` of the finished child), i.e. what the chapter needs in memory.
The targets (issue: chapters in the quick profile) are under 4 GiB each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
start = time.perf_counter()
NotebookClient(
    nb,
    timeout=1800,
    kernel_name="python3",
    resources={"metadata": {"path": sys.argv[2]}},
).execute()
seconds = time.perf_counter() - start
# the kernel, once it has exited
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024}))
"""


def run(notebook: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(notebook), str(notebook.parent)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if result.returncode != 0:
        return {"error": (result.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(paths: list[str]) -> int:
    notebooks = [Path(p) for p in paths] or sorted((ROOT / "chapters").glob("*.ipynb"))
    profile = os.environ.get("COURSE_PROFILE", "(default)")
    print(f"profile {profile}; {os.cpu_count()} CPUs\n")
    print(f"{'notebook':40s} {'seconds':>8s} {'peak kernel RSS':>16s}")
    total, worst, failed = 0.0, 0.0, 0
    for notebook in notebooks:
        started = time.perf_counter()
        outcome = run(notebook)
        if "error" in outcome:
            failed += 1
            print(f"{notebook.name:40s} {'failed':>8s}  {outcome['error'][:80]}")
            continue
        total += outcome["seconds"]
        worst = max(worst, outcome["peak_mib"])
        print(
            f"{notebook.name:40s} {outcome['seconds']:8.1f} "
            f"{outcome['peak_mib']:12.0f} MiB"
            f"   (process {time.perf_counter() - started:.1f} s)"
        )
    print(
        f"\nall notebooks: {total:.1f} s; largest peak {worst:.0f} MiB "
        "(target < 4096 MiB)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
