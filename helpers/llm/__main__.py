"""Command line: ``python -m helpers.llm prepare``
(for ``make data``) and ``status``."""

from __future__ import annotations

import argparse
import sys

from ..data.cache import cache_dir, sha256_file
from ..data.errors import DataError
from . import loader


def _status() -> int:
    path = loader.carrier_dir(loader.CARRIER, cache_dir()) / loader.GGUF_NAME
    if not path.is_file():
        print(
            f"{loader.NAME}: not in the cache yet (run `python -m helpers.llm prepare`)"
        )
        return 1
    ok = sha256_file(path) == loader.GGUF_SHA256
    converted = (loader.converted_dir(path) / loader.COMPLETE_MARK).is_file()
    print(
        f"{loader.NAME}: {path} SHA-256 {'verified' if ok else 'MISMATCH'}; "
        f"float32 copy {'ready' if converted else 'not made yet'}"
    )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.llm", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser(
        "prepare", help="download and verify the model file, then convert it"
    )
    p.add_argument(
        "--no-convert",
        action="store_true",
        help="only download and verify the GGUF file (no float32 copy)",
    )
    commands.add_parser("status", help="what the cache holds")
    args = parser.parse_args(argv)
    try:
        if args.command == "prepare":
            return loader.prepare(convert=not args.no_convert)
        return _status()
    # e.g. COURSE_DATA names a file: one sentence, no traceback
    except DataError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
