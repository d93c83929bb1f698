"""Small fixes to the pages Jupyter Book writes, through Sphinx's public events only.

1. Diagrams drawn from disk. sphinxcontrib-mermaid loads Mermaid from an inline
   ES module (``import mermaid from "…"``), and browsers refuse to fetch module
   scripts from ``file://`` (Chromium: "blocked by CORS policy", origin
   ``null``), so a reader who opens ``_build/html/index.html`` directly saw every
   diagram as its source text. Pages with diagrams now load Mermaid's classic
   build (``mermaid.min.js``, which defines ``window.mermaid``) as an ordinary
   script, and the extension's own module takes ``mermaid`` from there instead
   of importing it. An inline module fetches nothing, so it runs from disk too,
   and it keeps everything sphinxcontrib-mermaid does (its styles, the theme
   switch, diagrams drawn when they become visible).

2. The set-up cell collapsed. Every chapter's first code cell sets the
   notebook up (it installs ``helpers`` on Colab); on the site its source hides
   behind a toggle, as if the cell carried the ``hide-input`` tag, while its
   one-line environment report stays visible. The notebook itself is not
   changed, so Colab and JupyterLab still show the cell, and the execution
   cache (keyed on the notebook's cells and their metadata) still matches.

3. Thebe. Jupyter Book always loads sphinx-thebe, whose inline configuration
   script came out twice on every page ("Identifier 'THEBE_JS_URL' has already
   been declared" in the browser): Sphinx 7 registers an inline script added
   after the builder starts twice (fixed upstream by sphinx-doc/sphinx#13402,
   in a Sphinx newer than Jupyter Book 1 allows). The course does not use Thebe
   (each chapter links to Colab and runs in JupyterLab), so its scripts and
   stylesheet are left out of every page. sphinx-thebe has no setting that
   stops it adding them, so they are removed from the page's ``script_files``
   and ``css_files`` in ``html-page-context``, the event Sphinx documents for
   changing what a page is rendered with.

4. Fonts of the offline widget manager. The ipywidgets embedder
   (@jupyter-widgets/html-manager 1.x, served from ``_static/vendor``) loads
   its icon fonts *relative to the page*, not to itself: from
   ``@jupyter-widgets/html-manager/dist/`` or, on pages whose widgets load the
   controls bundle first, from ``@jupyter-widgets/`` (both seen in Chromium).
   After the build, the fonts are copied into both folders beside every page
   that shows widgets, so nothing is fetched from a CDN and nothing 404s.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.errors import ConfigError, ExtensionError
from sphinx.transforms.post_transforms import SphinxPostTransform

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
FONT_SUFFIXES = {".woff2", ".woff", ".ttf", ".eot", ".svg"}
MANAGER_STATIC = Path("_static") / "vendor" / "html-manager"
FONT_FOLDERS = (
    Path("@jupyter-widgets") / "html-manager" / "dist",
    Path("@jupyter-widgets"),
)

# The first line of sphinxcontrib-mermaid's page script (its template default.js.j2).
MERMAID_IMPORT = re.compile(r"^import mermaid from [^;\n]+;$", re.MULTILINE)
MERMAID_FROM_PAGE = (
    "const mermaid = window.mermaid;  // course_site: loaded as a classic script"
)

SETUP_PROMPTS = {
    "prompt_show": "Show the set-up code",
    "prompt_hide": "Hide the set-up code",
}


# --- 1. Mermaid from disk -------------------------------------------------------------


def check_mermaid_build(app, config) -> None:
    """Refuse an ES-module build of Mermaid: it cannot load from ``file://``."""
    local = config.mermaid_use_local
    if not local or local.endswith(".mjs") or "://" in local:
        raise ConfigError(
            f"mermaid_use_local is {local!r}: point it at Mermaid's classic build "
            "in the site's static folder (vendor/mermaid/mermaid.min.js, copied by "
            "scripts/vendor_assets.sh), "
            "so that diagrams also draw when a page is opened from disk"
        )


def without_module_import(body: str) -> str:
    """sphinxcontrib-mermaid's page script, ``mermaid`` from the page (not imported)."""
    script, found = MERMAID_IMPORT.subn(MERMAID_FROM_PAGE, body, count=1)
    if not found:
        raise ExtensionError(
            "course_site: sphinxcontrib-mermaid's page script no longer starts with "
            "'import mermaid from …;', so diagrams cannot be made to draw from disk; "
            "check _ext/course_site.py against the installed sphinxcontrib-mermaid"
        )
    return script


def load_mermaid_as_classic_script(
    app, pagename, templatename, context, doctree
) -> None:
    """On pages with diagrams, load ``mermaid.min.js``, then the Mermaid module.

    The module runs without its import of Mermaid.
    """
    scripts = context.get("script_files", [])
    modules = [
        js
        for js in scripts
        if js.attributes.get("type") == "module"
        and "mermaid.initialize" in js.attributes.get("body", "")
    ]
    for module in modules:
        attributes = {
            **module.attributes,
            "body": without_module_import(module.attributes["body"]),
        }
        scripts.remove(module)
        # Deferred classic scripts and module scripts run in document order:
        # Mermaid first.
        app.add_js_file(
            app.config.mermaid_use_local,
            priority=module.priority,
            loading_method="defer",
        )
        app.add_js_file(None, priority=module.priority, **attributes)


# --- 2. The set-up cell collapsed -----------------------------------------------------


class CollapseSetupCell(SphinxPostTransform):
    """Hide the source of a notebook's first code cell behind a toggle (``hide-input``).

    myst-nb turns a code cell into a container with ``nb_element="cell_code"``; a
    ``hide-input`` tag gives it ``hide_mode="input"``, which myst-nb's own
    post-transform (``HideInputCells``, priority 199) then draws as a toggle.
    """

    default_priority = 150  # before myst-nb draws the toggles
    formats = ("html",)

    def run(self, **kwargs) -> None:
        if not str(self.env.doc2path(self.env.docname)).endswith(".ipynb"):
            return
        cells = (
            n
            for n in self.document.findall(nodes.container)
            if n.get("nb_element") == "cell_code"
        )
        first = next(cells, None)
        if first is None or first.get("hide_mode"):
            return
        first["hide_mode"] = "input"
        # the class myst-nb gives a tagged cell
        first["classes"].append("tag_hide-input")
        for key, text in SETUP_PROMPTS.items():
            first[key] = text


# --- 3. No Thebe ---------------------------------------------------------------------


def is_thebe_asset(asset) -> bool:
    """Whether a page's script or stylesheet entry is one of sphinx-thebe's."""
    name = Path(str(asset.filename or "")).name
    return name.startswith("sphinx-thebe") or "THEBE_JS_URL" in asset.attributes.get(
        "body", ""
    )


def drop_thebe_assets(app, pagename, templatename, context, doctree) -> None:
    """Leave sphinx-thebe's scripts and stylesheet out of the page."""
    for key in ("script_files", "css_files"):
        assets = context.get(key, [])
        assets[:] = [asset for asset in assets if not is_thebe_asset(asset)]


# --- 4. Fonts of the widget manager --------------------------------------------------


def copy_widget_fonts(outdir: Path) -> list[Path]:
    """Copy the widget manager's fonts beside each page with widgets.

    Returns the folders written.
    """
    fonts = [
        f for f in (outdir / MANAGER_STATIC).glob("*") if f.suffix in FONT_SUFFIXES
    ]
    pages = outdir.rglob("*.html")
    folders = sorted(
        {page.parent for page in pages if WIDGET_VIEW in page.read_text("utf-8")}
    )
    written = []
    for folder in folders:
        for relative in FONT_FOLDERS:
            target = folder / relative
            target.mkdir(parents=True, exist_ok=True)
            for font in fonts:
                shutil.copy2(font, target / font.name)
            written.append(target)
    return written


def on_build_finished(app, exception):
    if exception is None and app.builder.format == "html":
        copy_widget_fonts(Path(app.outdir))


def setup(app):
    app.setup_extension("sphinxcontrib.mermaid")
    app.connect("config-inited", check_mermaid_build)
    # After sphinxcontrib-mermaid (priority 500) has added its script to the page.
    app.connect("html-page-context", load_mermaid_as_classic_script, priority=900)
    app.connect("html-page-context", drop_thebe_assets, priority=900)
    app.add_post_transform(CollapseSetupCell)
    app.connect("build-finished", on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
