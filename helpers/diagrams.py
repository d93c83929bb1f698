"""Mermaid diagrams: written once as a fence, drawn everywhere.

Every diagram in the course is a ```` ```mermaid ```` fence in a markdown cell.
JupyterLab (4.1+) draws such fences natively and the website draws them
through sphinxcontrib-mermaid. Colab's markdown renderer does not, so a code
cell after the diagram calls :func:`draw` with the diagram's title: on Colab
it shows the diagram as HTML drawn by Mermaid's JavaScript; everywhere else it
does nothing, because the diagram is already drawn.

The markdown cell is the one place a diagram is written. A running kernel
cannot read the notebook it belongs to, so :func:`draw` takes the text from
:mod:`helpers.diagram_sources`, a copy of every chapter's diagrams that
``python -m helpers.diagrams`` writes and the tests compare with the notebooks.
Colab installs the helpers from the branch the book is published from, the
branch its notebooks open from, so the copy it draws is the notebook's diagram.
"""

from __future__ import annotations

import html
import itertools
import re
import sys
from pathlib import Path

from . import runtime

MERMAID_VERSION = "11.12.1"
"""Mermaid release used on Colab;
the site serves the same one from npm (package.json)."""

MERMAID_CDN = (
    f"https://cdn.jsdelivr.net/npm/mermaid@{MERMAID_VERSION}/dist/mermaid.esm.min.mjs"
)
LINE_LENGTH = 88
"""Columns of a line in the generated module, ruff's limit (see pyproject.toml)."""

_FENCE = re.compile(
    r"^(?P<indent>[ ]{0,3})(?P<fence>`{3,}|~{3,})[ \t]*mermaid[ \t]*\n"
    r"(?P<body>.*?)"
    r"^(?P=indent)(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_TITLE = re.compile(r"\A\s*---\s*\n(?P<front>.*?)\n---\s*\n", re.DOTALL)
_ids = itertools.count()


def _text(value, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be text (a str), got {type(value).__name__}")
    return value


def mermaid_blocks(markdown: str) -> list[str]:
    """Return the body of every ```` ```mermaid ```` fence in a markdown text,
    in order."""
    _text(markdown, "markdown")
    return [match.group("body").rstrip("\n") for match in _FENCE.finditer(markdown)]


def diagram_title(source: str) -> str | None:
    """Return the ``title:`` of a diagram's front matter (``---`` block), or None."""
    _text(source, "source")
    front = _TITLE.match(source)
    if not front:
        return None
    for line in front.group("front").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "title":
            return value.strip().strip("\"'")
    return None


def notebook_diagrams(notebook: dict) -> list[str]:
    """Return every Mermaid diagram in a notebook's markdown cells, in order.

    Parameters
    ----------
    notebook
        The notebook as a dict (nbformat 4 JSON): ``{"cells": [...]}``.
    """
    if (
        not isinstance(notebook, dict)
        or not isinstance(notebook.get("cells"), list)
        or not all(isinstance(cell, dict) for cell in notebook["cells"])
    ):
        raise ValueError(
            "expected a notebook: a dict with a 'cells' list of cell dicts (nbformat 4)"
        )
    diagrams = []
    for cell in notebook["cells"]:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        diagrams.extend(mermaid_blocks(source))
    return diagrams


def find_diagram(
    diagrams: list[str], title: str, *, where: str = "this notebook"
) -> str:
    """Return the diagram whose front-matter title is ``title``.

    Raises
    ------
    KeyError
        Naming the titles that do exist, so a typo is easy to fix.
    TypeError
        If ``title`` is not a non-empty string (``None`` would match an untitled
        diagram).
    """
    if not isinstance(title, str) or not title.strip():
        raise TypeError(
            f"title must be the diagram's title (a non-empty str), got {title!r}"
        )
    titles = [diagram_title(d) for d in diagrams]
    for candidate, diagram in zip(titles, diagrams, strict=True):
        if candidate == title:
            return diagram
    known = ", ".join(repr(t) for t in titles if t) or "none"
    raise KeyError(
        f"no Mermaid diagram titled {title!r} in {where}; titles found: {known}"
    )


def mermaid_html(source: str, *, script_url: str = MERMAID_CDN) -> str:
    """HTML that draws one Mermaid diagram in a notebook output
    (needs ``script_url`` reachable)."""
    _text(source, "source")
    element_id = f"lm4f-mermaid-{next(_ids)}"
    return (
        f'<pre class="mermaid" id="{element_id}">{html.escape(source)}</pre>\n'
        '<script type="module">\n'
        f'import mermaid from "{script_url}";\n'
        "mermaid.initialize({ startOnLoad: false });\n"
        f'await mermaid.run({{ nodes: [document.getElementById("{element_id}")] }});\n'
        "</script>"
    )


def course_diagrams(chapters: str | Path) -> dict[str, str]:
    """Every titled Mermaid diagram in the notebooks of a ``chapters`` folder, by title.

    Raises
    ------
    ValueError
        If two notebooks use the same title for different diagrams: :func:`draw` finds a
        diagram by its title alone.
    """
    import json

    found: dict[str, str] = {}
    for path in sorted(Path(chapters).glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for diagram in notebook_diagrams(notebook):
            title = diagram_title(diagram)
            if title is None:
                continue
            if found.get(title, diagram) != diagram:
                raise ValueError(
                    f"two different diagrams are titled {title!r} (one in "
                    f"{path.name}); give each diagram its own title"
                )
            found[title] = diagram
    return found


def _quoted(text: str) -> str:
    """``text`` as a Python literal, quoted as ``ruff format`` quotes it."""
    import json

    # JSON's escapes are valid Python
    double_quoted = json.dumps(text, ensure_ascii=False)
    if text.count('"') <= text.count("'"):
        return double_quoted
    body = double_quoted[1:-1].replace('\\"', '"').replace("'", "\\'")
    return f"'{body}'"  # fewer escapes, as ruff format prefers


def _width(text: str) -> int:
    """Columns ``text`` takes as ruff counts them: wide East Asian characters take 2,
    combining marks (the hat of ``r̂``) none."""
    import unicodedata

    def columns(char: str) -> int:
        if unicodedata.category(char) in ("Mn", "Me"):
            return 0
        return 2 if unicodedata.east_asian_width(char) in "WF" else 1

    return sum(columns(char) for char in text)


def _between_nodes(text: str) -> bool:
    """True when ``text`` ends outside every bracket and quoted label of Mermaid."""
    depth, quoted = 0, False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            depth += (char in "([{") - (char in ")]}")
    return depth == 0 and not quoted


def _element(text: str, indent: str) -> list[str]:
    """Source lines of ``text`` as one list element, each within :data:`LINE_LENGTH`.

    A longer line is split after a space, between two nodes where possible, into
    literals that Python joins back together (a word longer than a line stays whole).
    """
    pieces = []
    rest = text
    while _width(f"{indent}{_quoted(rest)},") > LINE_LENGTH:
        fitting = [
            match.end()
            for match in re.finditer(r" (?=\S)", rest)
            if rest[: match.end()].strip()
            and _width(f"{indent}{_quoted(rest[: match.end()])}") <= LINE_LENGTH
        ]
        if not fitting:
            break
        between = [cut for cut in fitting if _between_nodes(rest[:cut])]
        cut = (between or fitting)[-1]
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    return [f"{indent}{_quoted(piece)}" for piece in pieces[:-1]] + [
        f"{indent}{_quoted(pieces[-1])},"
    ]


def sources_module(diagrams: dict[str, str]) -> str:
    """The text of :mod:`helpers.diagram_sources` holding ``diagrams``
    (title → source)."""
    lines = [
        '"""The course\'s Mermaid diagrams, copied from the chapters\' markdown '
        "cells, by title.",
        "",
        "GENERATED by ``python -m helpers.diagrams`` from ``chapters/*.ipynb``: "
        "edit the",
        "diagram in its notebook, then run that command. "
        ":func:`helpers.diagrams.draw` shows",
        "these on Colab; tests/test_diagrams.py fails while this copy and the "
        "notebooks differ.",
        '"""',
        "",
        "DIAGRAMS = {",
    ]
    for title, source in sorted(diagrams.items()):
        lines.append(f'    {_quoted(title)}: "\\n".join(')
        lines.append("        [")
        for line in source.split("\n"):
            lines.extend(_element(line, indent=" " * 12))
        lines.append("        ]")
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def course_diagram(title: str) -> str:
    """The source of the course's diagram titled ``title``
    (from :mod:`helpers.diagram_sources`)."""
    # Why a copy: no public API lets a kernel read the notebook it runs in
    # (https://github.com/ipython/ipython/issues/11924), and Colab offers none either.
    from .diagram_sources import DIAGRAMS

    return find_diagram(list(DIAGRAMS.values()), title, where="the course's chapters")


def draw(title: str, notebook: dict | None = None):
    """Draw the Mermaid diagram titled ``title`` where the front end cannot.

    Parameters
    ----------
    title
        The ``title:`` in the diagram's front matter.
    notebook
        Optionally a notebook (nbformat 4 dict) to take the diagram from, wherever this
        runs.

    Returns
    -------
    IPython.display.HTML or None
        On Colab (or when ``notebook`` is given) the diagram as HTML; in JupyterLab and
        on the website None, because the markdown cell above already shows the diagram.
    """
    if notebook is not None:
        source = find_diagram(notebook_diagrams(notebook), title)
    elif runtime.in_colab():
        source = course_diagram(title)
    else:
        return None
    from IPython.display import HTML

    return HTML(mermaid_html(source))


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.diagrams [--check]``:
    write (or check) helpers/diagram_sources.py."""
    argv = sys.argv[1:] if argv is None else argv
    here = Path(__file__).resolve().parent
    target = here / "diagram_sources.py"
    chapters = here.parent / "chapters"
    if not any(chapters.glob("*.ipynb")):
        print(
            f"no notebooks in {chapters}: run this in a clone of the course's "
            "repository"
        )
        return 2
    text = sources_module(course_diagrams(chapters))
    current = target.read_text(encoding="utf-8") if target.exists() else ""
    if "--check" in argv:
        if current != text:
            print(
                f"{target} differs from the notebooks' diagrams: run python -m "
                "helpers.diagrams"
            )
            return 1
        print(f"{target} matches the notebooks")
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
