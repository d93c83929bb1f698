"""Time each data loader from a warm cache and measure its peak memory; print a table.

    python bench/bench_data.py            # every loader, 3 warm runs each
    python bench/bench_data.py --cold     # also time the first parse (no parsed cache)

Each measurement runs in a fresh subprocess, so one loader's imports and
allocations do not hide another's. "peak" is the process's maximum resident
set size (``resource.getrusage``), which includes the Python interpreter
(≈ 40 MB with numpy, ≈ 110 MB with pandas); "alloc" is tracemalloc's peak of
what the loader itself allocated.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

LOADERS = [
    "load_mnist",
    "load_fashion_mnist",
    "load_imdb",
    "load_rotten_tomatoes",
    "load_chinese_reviews",
    "load_movielens_100k",
]
TARGETS = {"load_mnist": 1.0, "load_fashion_mnist": 1.0, "load_movielens_100k": 2.0}

CHILD = r"""
import json, resource, sys, time, tracemalloc
import numpy  # imported before timing: every chapter has it already
name, refresh = sys.argv[1], sys.argv[2] == "1"
import helpers.data as d
loader = getattr(d, name)
tracemalloc.start()
t = time.perf_counter()
data = loader(verbose=False, refresh=refresh)
seconds = time.perf_counter() - t
alloc = tracemalloc.get_traced_memory()[1]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
records = data.provenance.records
print(json.dumps({"seconds": seconds, "alloc": alloc, "rss": rss, "records": records,
                  "source": data.provenance.source}))
"""


def measure(name: str, refresh: bool) -> dict:
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", CHILD, name, "1" if refresh else "0"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--cold",
        action="store_true",
        help="also time a parse from the sources (refresh=True)",
    )
    args = parser.parse_args()
    header = (
        f"{'loader':22s} {'mode':5s} {'records':>9s} {'best s':>7s} {'target':>7s} "
        f"{'alloc MiB':>9s} {'peak RSS MiB':>12s}  source"
    )
    print(header)
    print("-" * len(header))
    for name in LOADERS:
        modes = [("cold", True)] if args.cold else []
        modes.append(("warm", False))
        measure(name, False)  # make sure the parsed cache exists
        for mode, refresh in modes:
            runs = [measure(name, refresh) for _ in range(1 if refresh else args.runs)]
            if "error" in runs[0]:
                print(f"{name:22s} {mode:5s} error: {runs[0]['error']}")
                continue
            best = min(r["seconds"] for r in runs)
            target = (
                f"<{TARGETS[name]:.0f} s" if name in TARGETS and mode == "warm" else ""
            )
            r = runs[0]
            alloc = max(x["alloc"] for x in runs) / 2**20
            rss = max(x["rss"] for x in runs) / 2**20
            print(
                f"{name:22s} {mode:5s} {r['records']:>9,} {best:7.3f} {target:>7s} "
                f"{alloc:9.1f} {rss:12.1f}  {r['source']}"
            )


if __name__ == "__main__":
    main()
