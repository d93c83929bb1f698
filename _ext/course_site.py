"""Small fixes to the pages Jupyter Book writes.

1. Fonts of the offline widget manager. The ipywidgets embedder
   (@jupyter-widgets/html-manager 1.x, served from ``_static/vendor``) loads
   its icon fonts *relative to the page*, not to itself: from
   ``@jupyter-widgets/html-manager/dist/`` or, on pages whose widgets load the
   controls bundle first, from ``@jupyter-widgets/`` (both seen in Chromium).
   After the build, the fonts are copied into both folders beside every page
   that shows widgets, so nothing is fetched from a CDN and nothing 404s.

2. Thebe.
Jupyter Book always loads sphinx-thebe, whose inline configuration script is
registered on an event that fires twice in a Jupyter Book build: every page
declared ``const THEBE_JS_URL`` twice, and the browser threw "Identifier
'THEBE_JS_URL' has already been declared" on every page. The course does not
use Thebe (each chapter links to Colab and runs in JupyterLab), so this
extension stops sphinx-thebe from adding its scripts at all.
"""

from __future__ import annotations

import shutil
from pathlib import Path

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
FONT_SUFFIXES = {".woff2", ".woff", ".ttf", ".eot", ".svg"}
MANAGER_STATIC = Path("_static") / "vendor" / "html-manager"
FONT_FOLDERS = (Path("@jupyter-widgets") / "html-manager" / "dist", Path("@jupyter-widgets"))


def copy_widget_fonts(outdir: Path) -> list[Path]:
    """Copy the widget manager's fonts beside each page with widgets; return the folders written."""
    fonts = [f for f in (outdir / MANAGER_STATIC).glob("*") if f.suffix in FONT_SUFFIXES]
    folders = sorted({page.parent for page in outdir.rglob("*.html") if WIDGET_VIEW in page.read_text("utf-8")})
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


def drop_thebe_scripts(app) -> int:
    """Disconnect sphinx-thebe's script injection; return how many listeners were removed."""
    listeners = app.events.listeners.get("env-before-read-docs", [])
    keep = [entry for entry in listeners if getattr(entry.handler, "__name__", "") != "init_thebe_core"]
    removed = len(listeners) - len(keep)
    app.events.listeners["env-before-read-docs"] = keep
    return removed


def setup(app):
    app.setup_extension("sphinx_thebe")  # make sure its listeners exist before removing them
    drop_thebe_scripts(app)
    app.connect("build-finished", on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
