"""Every citation in the book points at an entry of ``references.bib``; every chapter
cites.

The files are read when the tests run, so chapters, pages and bibliography entries added
later are checked without touching this file. No network, no build: plain text parsing.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from toc import toc_entries

ROOT = Path(__file__).resolve().parent.parent
BIB = ROOT / "references.bib"

# MyST roles of sphinxcontrib-bibtex: {cite}, {cite:p}, {cite:t}, {cite:ps},
# {cite:ts}, ...
CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]*)`")
BIB_ENTRY = re.compile(r"^\s*@(\w+)\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)


def prose(text: str) -> str:
    """MyST ``text`` without its code: plain fenced blocks and ````...```` spans.

    Directive fences (```` ```{note} ````, ```` ````{dropdown} ````) are kept: their
    bodies are parsed as MyST, so a citation there is a real one.
    """
    kept, plain, directives = [], None, []
    for line in text.splitlines():
        fence = re.match(r"\s*(`{3,}|~{3,})\s*(.*)$", line)
        if plain is not None:  # inside a code block: drop lines up to its closing fence
            if fence and fence.group(1) == plain and not fence.group(2):
                plain = None
        elif fence and fence.group(2).startswith("{"):  # a directive opens
            directives.append(fence.group(1))
            kept.append(line)
        elif (
            fence
            and not fence.group(2)
            and directives
            and fence.group(1) == directives[-1]
        ):
            directives.pop()  # a directive closes
            kept.append(line)
        elif fence:  # a code block opens
            plain = fence.group(1)
        else:
            kept.append(line)
    return re.sub(r"``.+?``", "", "\n".join(kept))


def cited_keys(text: str) -> list[str]:
    """The bibliography keys cited in MyST ``text``, in order, one per citation.

    >>> cited_keys("as {cite:t}`smith2020` and {cite:p}`a2019, b2021` did; {cite}`c`")
    ['smith2020', 'a2019', 'b2021', 'c']
    """
    return [
        key.strip()
        for keys in CITE_ROLE.findall(prose(text))
        for key in keys.split(",")
    ]


def bib_keys(text: str) -> list[str]:
    """The keys of the entries in BibTeX ``text``.

    ``@comment``, ``@string`` and ``@preamble`` are not entries.
    """
    return [
        key
        for kind, key in BIB_ENTRY.findall(text)
        if kind.lower() not in {"comment", "string", "preamble"}
    ]


def book_pages() -> list[Path]:
    """The book's pages: the files ``_toc.yml`` lists and all pages in ``chapters/``."""
    listed = toc_entries(ROOT / "_toc.yml")
    pages = set()
    for name in listed:
        pages.update(
            p for p in (ROOT / f"{name}.ipynb", ROOT / f"{name}.md") if p.exists()
        )
    for pattern in ("*.ipynb", "*.md"):
        pages.update(
            p
            for p in (ROOT / "chapters").rglob(pattern)
            if ".ipynb_checkpoints" not in p.parts
        )
    return sorted(pages)


def page_text(path: Path) -> str:
    """The text a page can cite in: a markdown file, or a notebook's markdown cells."""
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    notebook = nbformat.read(path, as_version=4)
    return "\n".join(
        cell.source for cell in notebook.cells if cell.cell_type == "markdown"
    )


def chapter_notebooks() -> list[Path]:
    return sorted((ROOT / "chapters").glob("*.ipynb"))


def test_the_parsers_find_what_they_should():
    text = (
        "{cite:p}`x1, y2`, {cite:t}`z3`, {cite}`w4`, {cite:ps}`v5` "
        "but not `{cite}` alone"
    )
    assert cited_keys(text) == ["x1", "y2", "z3", "w4", "v5"]
    bib = "@article{one,\n title={A}}\n@InProceedings{ two ,\n}\n@comment{not a key,}\n"
    assert bib_keys(bib) == ["one", "two"]
    code = (
        "write ``{cite:p}`KEY` `` like this\n```python\n{cite:p}`x`\n```\n"
        "```{note}\n{cite}`y`\n```"
    )
    assert cited_keys(code) == ["y"]
    nested = (
        "````{dropdown} S\n```python\n{cite}`no`\n```\n{cite}`in`\n````\n{cite}`after`"
    )
    assert cited_keys(nested) == ["in", "after"]


def test_there_is_something_to_check():
    assert BIB.exists(), "references.bib is missing"
    assert len(chapter_notebooks()) >= 2
    assert sum(len(cited_keys(page_text(p))) for p in book_pages()) > 0


def test_no_bibliography_key_is_defined_twice():
    counts = Counter(bib_keys(BIB.read_text(encoding="utf-8")))
    duplicated = sorted(key for key, n in counts.items() if n > 1)
    assert not duplicated, (
        f"references.bib defines these keys more than once: {duplicated}"
    )


@pytest.mark.parametrize("page", book_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_key_is_in_the_bibliography(page):
    known = set(bib_keys(BIB.read_text(encoding="utf-8")))
    missing = sorted({key for key in cited_keys(page_text(page)) if key not in known})
    assert not missing, (
        f"{page.relative_to(ROOT)} cites keys that references.bib lacks: {missing}"
    )


@pytest.mark.parametrize("notebook", chapter_notebooks(), ids=lambda p: p.name)
def test_every_chapter_cites_a_source(notebook):
    assert cited_keys(page_text(notebook)), (
        f"{notebook.name} cites no source: add a {{cite:p}} role"
    )
