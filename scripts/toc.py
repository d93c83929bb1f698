"""The book's table of contents, read once for every script and test that needs it."""

from __future__ import annotations

from pathlib import Path

import yaml


def toc_entries(toc_file: Path) -> list[str]:
    """Every page ``toc_file`` names — its root, then each ``file`` in reading order."""
    toc = yaml.safe_load(Path(toc_file).read_text(encoding="utf-8"))
    names = [toc["root"]]

    def visit(node) -> None:
        if isinstance(node, dict):
            if "file" in node:
                names.append(node["file"])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(toc.get("parts", toc.get("chapters", [])))
    return names
