"""The book's build cost: one edition against both.

    python -m bench book          (after ``make book``: it reads the execution cache)

Executing the notebooks is the expensive part of a build, and it happens once: a
Chinese notebook has its English notebook's code cells byte for byte
(``scripts/i18n.py``), so the Chinese build finds every notebook in the English
execution cache and executes nothing. This bench reads how long each notebook's
execution took (``scripts/execute_book.py`` records it in the cache), times the
two Sphinx builds from that cache (``--all``: every page rebuilt, into the same
folders as ``make book``), and prints what the second edition adds.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from execute_book import book_notebooks  # noqa: E402


def execution_seconds(cache_dir: Path) -> dict[str, float] | None:
    """Each notebook's recorded execution time; None if one is not in the cache."""
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_dir))
    seconds = {}
    for path in book_notebooks():
        try:
            record = cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            print(
                f"{path.relative_to(ROOT)} is not in the execution cache: run "
                "`make book` first",
                file=sys.stderr,
            )
            return None
        seconds[path.stem] = float(record.data.get("execution_seconds", "nan"))
    return seconds


def timed_build(*arguments: str) -> float:
    command = [
        str(Path(sys.executable).parent / "jupyter-book"),
        "build",
        *arguments,
        "--all",
        "--builder",
        "html",
        "--warningiserror",
        "--nitpick",
        "--keep-going",
    ]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}")
    return time.perf_counter() - start


def main() -> int:
    seconds = execution_seconds(ROOT / "_build" / ".jupyter_cache")
    if seconds is None:
        return 0  # skipped, said why: not a failure of the other benches
    executed = sum(seconds.values())
    english = timed_build(".")
    chinese = timed_build("zh", "--path-output", "_build/zh")
    one, both = executed + english, executed + english + chinese
    print(f"{'step':52s} {'seconds':>8s}")
    print(f"{'execute the notebooks (sum of the times recorded)':52s} {executed:8.1f}")
    print(f"{'Sphinx build, English, from the cache':52s} {english:8.1f}")
    print(f"{'Sphinx build, Chinese, from the same cache':52s} {chinese:8.1f}")
    print(
        f"\none edition {one:.0f} s, both {both:.0f} s: the Chinese edition adds "
        f"{both / one - 1:.0%} (executing its notebooks again would add "
        f"{(both + executed) / one - 1:.0%})"
    )
    slowest = sorted(seconds.items(), key=lambda item: -item[1])[:3]
    print("slowest notebooks: " + ", ".join(f"{name} {s:.0f} s" for name, s in slowest))
    print(
        "(execution seconds are as recorded: with notebooks run two at a time, "
        "each includes the other's competition for the cores)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
