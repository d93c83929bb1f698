"""Run every benchmark script in this folder (``python -m bench [NAME ...]``).

Options after ``--`` go to each script run, e.g. ``python -m bench llm -- --compile``
(``python bench/bench_llm.py --help`` lists a script's own).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    names, options = argv, []
    if "--" in argv:
        cut = argv.index("--")
        names, options = argv[:cut], argv[cut + 1 :]
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
        sys.argv = [str(script), *options]  # each script parses its own
        runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
