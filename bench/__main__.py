"""Run every benchmark script in this folder (``python -m bench [NAME ...]``)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def main(names: list[str]) -> int:
    scripts = sorted(Path(__file__).parent.glob("bench_*.py"))
    if names:
        scripts = [
            s
            for s in scripts
            if s.stem.removeprefix("bench_") in names or s.stem in names
        ]
        if not scripts:
            print(
                f"no benchmark named {' or '.join(names)}; see bench/bench_*.py",
                file=sys.stderr,
            )
            return 2
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        sys.argv = [str(script)]  # each script parses its own (empty) arguments
        runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
