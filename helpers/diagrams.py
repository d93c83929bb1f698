"""Mermaid diagrams: written once as a fence, drawn everywhere.

Every diagram in the course is a ```` ```mermaid ```` fence in a markdown cell.
JupyterLab (4.1+) draws such fences natively and the website draws them
through sphinxcontrib-mermaid. Colab's markdown renderer does not, so a code
cell after the diagram calls :func:`draw` with the diagram's title: on Colab
it reads the fence from the open notebook and draws it with Mermaid's
JavaScript; everywhere else it does nothing, because the diagram is already
drawn. The diagram's text is never copied into code.
"""

from __future__ import annotations

import html
import itertools
import re

from . import runtime

MERMAID_VERSION = "11.12.1"
"""Mermaid release used on Colab; the site serves the same one from npm (package.json)."""

MERMAID_CDN = f"https://cdn.jsdelivr.net/npm/mermaid@{MERMAID_VERSION}/dist/mermaid.esm.min.mjs"

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
    """Return the body of every ```` ```mermaid ```` fence in a markdown text, in order."""
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
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list) \
            or not all(isinstance(cell, dict) for cell in notebook["cells"]):
        raise ValueError("expected a notebook: a dict with a 'cells' list of cell dicts (nbformat 4)")
    diagrams = []
    for cell in notebook["cells"]:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        diagrams.extend(mermaid_blocks(source))
    return diagrams


def find_diagram(diagrams: list[str], title: str) -> str:
    """Return the diagram whose front-matter title is ``title``.

    Raises
    ------
    KeyError
        Naming the titles that do exist, so a typo is easy to fix.
    TypeError
        If ``title`` is not a non-empty string (``None`` would match an untitled diagram).
    """
    if not isinstance(title, str) or not title.strip():
        raise TypeError(f"title must be the diagram's title (a non-empty str), got {title!r}")
    titles = [diagram_title(d) for d in diagrams]
    for candidate, diagram in zip(titles, diagrams, strict=True):
        if candidate == title:
            return diagram
    known = ", ".join(repr(t) for t in titles if t) or "none"
    raise KeyError(f"no Mermaid diagram titled {title!r} in this notebook; titles found: {known}")


def mermaid_html(source: str, *, script_url: str = MERMAID_CDN) -> str:
    """HTML that draws one Mermaid diagram in a notebook output (needs ``script_url`` reachable)."""
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


def colab_notebook() -> dict:
    """The notebook open in Colab, as a dict (Colab's front end sends it on request)."""
    from google.colab import _message  # only exists on Colab

    reply = _message.blocking_request("get_ipynb", request="", timeout_sec=30)
    if not reply or "ipynb" not in reply:
        raise RuntimeError("Colab did not send the notebook; re-run the cell once the page has loaded.")
    return reply["ipynb"]


def draw(title: str, notebook: dict | None = None):
    """Draw the notebook's Mermaid diagram titled ``title`` where the front end cannot.

    On Colab (or when ``notebook`` is given) this returns an HTML display of the
    diagram; in JupyterLab and on the website it returns None, because the
    markdown cell above already shows the diagram.
    """
    if notebook is None:
        if not runtime.in_colab():
            return None
        notebook = colab_notebook()
    from IPython.display import HTML

    return HTML(mermaid_html(find_diagram(notebook_diagrams(notebook), title)))
