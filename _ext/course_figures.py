"""Numbered, captioned figures for the pictures that code cells draw; figures and
exercises numbered from 1 on each page (``number_on_each_page``).

A chapter's figures are drawn by its code cells, so there is no ``{figure}`` directive
to caption them. myst-nb can caption a cell's output from the cell's *metadata*
(``mystnb.figure.caption``), but the caption would then be English in both editions:
the Chinese notebooks must keep exactly the English code cells, metadata included,
because the execution cache is keyed on them and the Chinese book reuses the English
book's outputs.

So the caption is written in the markdown cell right after the code cell::

    ```{caption} fig-loss-curves
    Training and validation loss per epoch.
    ```

where it is translated like any other markdown, and read as the figure's caption by a
reader of the notebook in JupyterLab or Colab. On the site this directive wraps the
picture that the code cell above drew in a figure with the caption: Sphinx numbers it
("Fig. 3", "图 3"), and ``{numref}`fig-loss-curves``` links to it. This is what myst-nb
does itself for a cell with figure metadata
(``myst_nb.core.render.create_figure_context``): a ``figure`` node around the output's
``mime_bundle``, with the caption after it.

A ``{caption}`` that follows no picture is an error, with the page and the line, so a
caption can never silently caption nothing (e.g. after a cell was moved). The directive
only records the caption; a transform, once the page is parsed, finds the cell before
it, using docutils' public tree API and nothing of myst-nb's but the ``nb_element``
names it gives its nodes.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg", "image/gif")


def _pictures(cell: nodes.Element) -> list[nodes.Element]:
    """The ``mime_bundle`` containers of a code cell's outputs that hold a picture."""
    return [
        bundle
        for bundle in cell.findall(nodes.container)
        if bundle.get("nb_element") == "mime_bundle"
        and any(child.get("mime_type") in IMAGE_TYPES for child in bundle.children)
    ]


class pending_caption(nodes.General, nodes.Element):
    """Where a ``{caption}`` stood; ``CaptionPicture`` turns it into a figure."""


def _previous_code_cell(node: nodes.Element) -> nodes.Element | None:
    """The node just before ``node`` if it is a code cell.

    myst-nb marks code cells with ``nb_element="cell_code"``.
    """
    parent = node.parent
    index = parent.index(node)
    for previous in reversed(parent.children[:index]):
        if (
            isinstance(previous, nodes.container)
            and previous.get("nb_element") == "cell_code"
        ):
            return previous
        if not isinstance(previous, (nodes.target, nodes.comment)):
            return None
    return None


class CaptionDirective(SphinxDirective):
    """``{caption} name``: caption the picture drawn by the code cell just above."""

    required_arguments = 1
    has_content = True

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        if not self.content:
            raise self.error(f"{{caption}} {name}: the caption text is missing")
        pending = pending_caption(name=name)
        pending.source, pending.line = self.get_source_info()
        self.state.nested_parse(self.content, self.content_offset, pending)
        if not isinstance(pending.children[0], nodes.paragraph):
            raise self.error(
                f"{{caption}} {name}: the caption must start with a paragraph"
            )
        return [pending]


class CaptionPicture(SphinxTransform):
    """Wrap the picture above a ``{caption}`` in a numbered figure with that caption."""

    default_priority = 500  # at read time, so that Sphinx numbers the figures

    def apply(self) -> None:
        for pending in list(self.document.findall(pending_caption)):
            name = pending["name"]
            cell = _previous_code_cell(pending)
            pictures = _pictures(cell) if cell is not None else []
            if not pictures:
                logger.error(
                    f"{{caption}} {name}: no picture above it; a caption goes in the "
                    "markdown cell right after the code cell that draws the figure",
                    location=pending,
                )
                pending.parent.remove(pending)
                continue
            bundle = pictures[-1]  # a cell that draws several pictures: the last one
            first, *rest = pending.children
            figure = nodes.figure()
            figure.source, figure.line = pending.source, pending.line
            bundle.replace_self(figure)
            figure += bundle
            figure += nodes.caption(first.rawsource, "", *first.children)
            if rest:
                figure += nodes.legend("", *rest)
            figure["names"].append(nodes.fully_normalize_name(name))
            self.document.note_explicit_target(figure, figure)
            pending.parent.remove(pending)


def number_on_each_page(app, env) -> list[str]:
    """Number figures and exercises from 1 on every page: "Fig. 2" of chapter 4 is the
    second figure of chapter 4.

    Unless the table of contents is numbered (which would put a number before every
    heading, and the course's titles carry the article's numbers already), Sphinx
    counts each kind of numbered thing through the whole book, so chapter 2 began at
    "Exercise 5". ``env.toc_fignumbers`` maps page → kind → id → number; Sphinx fills
    it in its own ``env-get-updated`` handler, and this one runs after it (priority
    900) and counts again page by page, in the page's order.
    """
    renumbered = set()
    for docname, kinds in env.toc_fignumbers.items():
        for numbers in kinds.values():
            for position, node_id in enumerate(sorted(numbers, key=numbers.get), 1):
                if numbers[node_id] != (position,):
                    numbers[node_id] = (position,)
                    renumbered.add(docname)
    # Sphinx compared its own numbers with the last build's and may have found nothing
    # changed: the pages renumbered here are written again, so none keeps a stale one.
    return sorted(renumbered)


def setup(app):
    app.connect("env-get-updated", number_on_each_page, priority=900)
    app.add_node(pending_caption)
    app.add_directive("caption", CaptionDirective)
    app.add_transform(CaptionPicture)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
