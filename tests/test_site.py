"""The built website, as a reader sees it: headless Chromium, no internet.

Every page is opened twice, as readers open it: from a local web server
(``make serve``) and straight from disk (``file://``, double-clicking
``_build/html/index.html``), where browsers refuse some scripts a server may
send (ES modules). Every request that would leave this machine is refused and
recorded, so a page that would fetch MathJax, Mermaid or the widget manager
from a CDN fails here. Needs ``make book`` first (``make test`` does it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
import yaml
from browser import chromium, refuse_non_local, serve_folder
from test_exercises import blocks as exercise_blocks
from test_figures import captions
from toc import toc_entries

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build" / "html"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))

pytestmark = pytest.mark.site


PAGES = toc_entries(ROOT / "_toc.yml")

# Known, harmless console errors of the theme itself. pydata-sphinx-theme logs this
# one on a reader's first visit, before it has stored a colour mode; it then uses
# "auto".
KNOWN_CONSOLE_ERRORS = ("Got invalid theme mode: . Resetting to auto.",)
CHAPTERS = [p for p in PAGES if p.startswith("chapters/")]
# How a reader opens the site: served (make serve) or from disk (file://).
ORIGINS = ("http", "file")


@pytest.fixture(scope="module")
def site_roots():
    """The site's address for each origin: the local test server, and the folder on
    disk."""
    if not (BUILD / "index.html").is_file():
        pytest.fail(
            "no built site in _build/html: run `make book` first (`make test` does)"
        )
    with serve_folder(BUILD) as url:
        yield {"http": url, "file": BUILD.as_uri()}


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@dataclass
class Visit:
    """What happened while a page loaded."""

    page: object
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def load(browser, url: str, width: int | None = None) -> tuple[object, Visit]:
    """Open ``url`` in a new browser context ``width`` pixels wide; return the
    context (to close) and what happened while the page loaded."""
    viewport = {"width": width, "height": 900} if width else None
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    seen = Visit(page)

    refuse_non_local(context, seen.blocked)
    page.on("requestfailed", lambda r: seen.failed.append(f"{r.url}: {r.failure}"))
    page.on(
        "response",
        lambda r: (
            seen.failed.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None
        ),
    )
    page.on("pageerror", lambda e: seen.errors.append(f"uncaught: {e}"))
    page.on(
        "console",
        lambda m: (
            seen.errors.append(m.text)
            if m.type == "error" and m.text not in KNOWN_CONSOLE_ERRORS
            else None
        ),
    )
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.ok, (
        f"{url}: HTTP {response and response.status}"
    )
    return context, seen


@pytest.fixture
def visit(browser, site_roots):
    """Open a page afresh, for this test alone."""
    contexts = []

    def open_page(name: str, origin: str = "http") -> Visit:
        """Open page ``name`` served (``http``) or from disk (``file``)."""
        context, seen = load(browser, f"{site_roots[origin]}/{name}.html")
        contexts.append(context)
        return seen

    yield open_page
    for context in contexts:
        context.close()


# A desktop window. The code column's width in characters is measured at this width.
DESKTOP_WIDTH = 1400


@pytest.fixture(scope="module")
def shown(browser, site_roots):
    """Each page as served, opened once in a desktop window and shared by the checks
    of this module.

    Loading a chapter is 2–7 s of the browser's work, and a chapter has seven checks.
    They only read the page, or put back what they change (a toggle they open, they
    close again), so one load serves them all; the ``file://`` loads stay separate.
    """
    pages: dict[str, Visit] = {}
    contexts = []

    def show(name: str) -> Visit:
        if name not in pages:
            context, pages[name] = load(
                browser, f"{site_roots['http']}/{name}.html", DESKTOP_WIDTH
            )
            contexts.append(context)
        return pages[name]

    yield show
    for context in contexts:
        context.close()


def wait_until(page, script: str, what: str, timeout_ms: int = 20_000):
    try:
        page.wait_for_function(script, timeout=timeout_ms)
    except Exception as error:  # playwright's TimeoutError: say what did not happen
        raise AssertionError(
            f"{page.url}: {what} within {timeout_ms / 1000:.0f} s"
        ) from error


@pytest.mark.parametrize("origin", ORIGINS)
@pytest.mark.parametrize("name", PAGES)
def test_page_loads_offline_and_everything_on_it_renders(shown, visit, name, origin):
    seen = shown(name) if origin == "http" else visit(name, origin)
    page = seen.page
    name = f"{name} ({origin})"
    assert seen.blocked == [], (
        f"{name}: requests to the internet (the site must work offline): {seen.blocked}"
    )
    assert seen.failed == [], f"{name}: failed requests: {seen.failed}"

    diagrams = page.locator(".mermaid").count()
    if diagrams:
        wait_until(
            page,
            "[...document.querySelectorAll('.mermaid')]"
            ".every(e => e.querySelector('svg'))",
            f"all {diagrams} Mermaid diagrams drawn as SVG",
        )
        broken = page.eval_on_selector_all(
            ".mermaid svg",
            "svgs => svgs.filter("
            "s => /Syntax error|Parse error/i.test(s.textContent)"
            ").length",
        )
        assert broken == 0, f"{name}: {broken} Mermaid diagram(s) failed to parse"

    maths = page.locator("span.math, div.math").count()
    if maths:
        wait_until(
            page,
            f"document.querySelectorAll('mjx-container').length >= {maths}",
            f"all {maths} formulas typeset by MathJax",
        )

    images = page.eval_on_selector_all(
        "img",
        "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)",
    )
    assert images == [], f"{name}: images that did not load: {images}"

    widgets = page.locator(
        'script[type="application/vnd.jupyter.widget-view+json"]'
    ).count()
    if widgets:
        assert (
            page.locator(
                'script[type="application/vnd.jupyter.widget-state+json"]'
            ).count()
            == 1
        ), f"{name}: widget views without the saved widget state: they cannot render"
        wait_until(
            page,
            "document.querySelectorAll("
            "'.jupyter-widgets.widget-container, .widget-inline-hbox, "
            ".widget-vbox, .widget-hbox'"
            f").length >= {widgets}",
            f"all {widgets} widgets rendered",
        )

    assert seen.errors == [], f"{name}: errors in the browser console: {seen.errors}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_figure_a_chapter_draws_is_on_its_page(shown, name):
    """A code cell that calls plt.show() must leave at least one image in the page's
    outputs."""
    notebook = nbformat.read(ROOT / f"{name}.ipynb", as_version=4)
    drawing_cells = sum(
        c.cell_type == "code"
        and "plt.show()" in c.source
        and "remove-cell" not in c.metadata.get("tags", [])
        for c in notebook.cells
    )
    page = shown(name).page
    # A figure drawn inside a widget's output appears once the widget manager has
    # rendered the saved widget state, which can be after the page's network is idle.
    try:
        wait_until(
            page,
            f"document.querySelectorAll('.cell_output img').length >= {drawing_cells}",
            f"{drawing_cells} figures shown",
        )
    except AssertionError:
        pass  # the assertion below says how many there are
    figures = page.locator(".cell_output img").count()
    assert figures >= drawing_cells, (
        f"{name}: {drawing_cells} cells call plt.show() "
        f"but the page shows {figures} figures "
        "(is MPLBACKEND set for the book build? "
        "a kernel only draws inline when it is not)"
    )


@pytest.mark.parametrize("name", CHAPTERS)
def test_colab_button_opens_this_notebook(shown, name):
    page = shown(name).page
    links = page.eval_on_selector_all(
        "a[href*='colab.research.google.com']", "links => links.map(a => a.href)"
    )
    repo = urlparse(CONFIG["repository"]["url"]).path.strip("/")
    branch = CONFIG["repository"]["branch"]
    expected = (
        f"https://colab.research.google.com/github/{repo}/blob/{branch}/{name}.ipynb"
    )
    assert expected in links, (
        f"{name}: Colab button points at {links}, expected {expected}"
    )


def test_the_checks_above_are_not_vacuous(shown):
    """The appendix has diagrams and maths and chapter 1 has widgets, so each check
    really ran."""
    appendix = shown("chapters/appendix_diagrams").page
    assert appendix.locator(".mermaid").count() >= 8
    assert appendix.locator("span.math, div.math").count() >= 1
    overview = shown("chapters/01_overview").page
    assert (
        overview.locator(
            'script[type="application/vnd.jupyter.widget-view+json"]'
        ).count()
        >= 1
    )
    assert overview.locator("img").count() >= 1


def setup_cell_first_line(name: str) -> str:
    """The first line of the notebook's first code cell (its set-up cell)."""
    notebook = nbformat.read(ROOT / f"{name}.ipynb", as_version=4)
    first = next(c for c in notebook.cells if c.cell_type == "code")
    return first.source.splitlines()[0]


@pytest.mark.parametrize("name", CHAPTERS)
def test_setup_cell_source_is_collapsed_behind_a_toggle(shown, name):
    """The set-up cell's code hides behind a toggle on the site (the notebook still
    shows it)."""
    page = shown(name).page
    first_cell = page.locator("div.cell").first
    source = first_cell.locator("div.cell_input")
    assert setup_cell_first_line(name) in (source.text_content() or ""), (
        f"{name}: the page's first code cell is not the notebook's set-up cell"
    )
    assert not source.is_visible(), (
        f"{name}: the set-up cell's code is shown; it should be collapsed"
    )
    toggle = first_cell.locator("summary").first
    toggle.click()
    assert source.is_visible(), (
        f"{name}: the toggle above the set-up cell does not show its code"
    )
    toggle.click()  # and hides it again (the other checks share this page)
    assert not source.is_visible(), f"{name}: the set-up cell's code stays shown"


def caption_names(name: str) -> list[str]:
    """The names of a chapter's ``{caption}`` cells, in order."""
    notebook = nbformat.read(ROOT / f"{name}.ipynb", as_version=4)
    return [caption for _, caption in captions(notebook)]


@pytest.mark.parametrize("name", [n for n in CHAPTERS if caption_names(n)])
def test_every_caption_is_a_numbered_figure_counted_from_one(shown, name):
    page = shown(name).page
    figures = page.locator("figure")
    names = caption_names(name)
    ids = [figures.nth(i).get_attribute("id") for i in range(figures.count())]
    assert ids == names, f"{name}: figures {ids} on the page, captions {names}"
    for number in range(1, len(names) + 1):
        figure = figures.nth(number - 1)
        assert figure.locator("img").count() == 1, (
            f"{name}: figure {number} has no image"
        )
        caption = figure.locator("figcaption").inner_text()
        assert caption.startswith(f"Fig. {number} "), f"{name}: {caption[:40]!r}"


def exercise_labels(name: str) -> list[str]:
    """The labels of a chapter's ``{exercise}`` directives, in order."""
    found = exercise_blocks(ROOT / f"{name}.ipynb")
    return [label for kind, label, _ in found if kind == "exercise"]


WITH_EXERCISES = [name for name in CHAPTERS if exercise_labels(name)]


@pytest.mark.parametrize("name", WITH_EXERCISES)
def test_solutions_are_numbered_linked_to_their_exercise_and_hidden_until_asked_for(
    shown, name
):
    page = shown(name).page
    labels = exercise_labels(name)
    exercises, solutions = page.locator("div.exercise"), page.locator("div.solution")
    assert exercises.count() == solutions.count() == len(labels), (
        f"{name}: {exercises.count()} exercises and "
        f"{solutions.count()} solutions on the page, "
        f"{len(labels)} in the notebook"
    )
    for number, label in enumerate(labels, start=1):
        title = exercises.nth(number - 1).locator(".admonition-title")
        assert title.inner_text().startswith(f"Exercise {number}"), (
            f"{name}: {title.inner_text()!r}"
        )
        solution = solutions.nth(number - 1)
        link = solution.locator(f'.admonition-title a[href="#{label}"]')
        assert link.count() == 1, (
            f"{name}: solution {number} does not link to exercise {label}"
        )
        assert f"Exercise {number}" in link.inner_text()
        body = solution.locator("#solution-content")
        assert not body.is_visible(), (
            f"{name}: solution {number} is shown before it is asked for"
        )
        # the toggle button at the title's end (the rest of the title links to the
        # exercise, and a click there would also scroll the page to it)
        toggle = solution.locator(".toggle-button")
        toggle.click()
        body.wait_for(state="visible", timeout=10_000)
        assert "assert" in body.inner_text(), (
            f"{name}: solution {number} shows no checked code"
        )
        toggle.click()  # hidden again (the other checks share this page)
        body.wait_for(state="hidden", timeout=10_000)


MEASURE_CODE = """() => {
    // Open every collapsed cell (the set-up cell) so that its code is measured too,
    // and close it again afterwards, whatever happens. (Hidden solutions keep their
    // width: they are measured as they are.)
    const closed = [...document.querySelectorAll('details')].filter(d => !d.open);
    closed.forEach(d => { d.open = true; });
    try {
        const blocks = [...document.querySelectorAll('div.cell_input pre')];
        if (!blocks.length) return {columns: null, scrolling: []};
        const pre = blocks[0];
        const probe = document.createElement('span');
        probe.textContent = 'x'.repeat(200);
        pre.appendChild(probe);
        const style = getComputedStyle(pre);
        const inner = pre.clientWidth - parseFloat(style.paddingLeft) -
            parseFloat(style.paddingRight);
        const columns = Math.floor(
            inner / (probe.getBoundingClientRect().width / 200));
        probe.remove();
        const scrolling = blocks.filter(b => b.scrollWidth > b.clientWidth + 1)
            .map(b => {
                const lines = b.textContent.split('\\n');
                return lines.reduce((a, l) => (l.length > a.length ? l : a), '');
            });
        return {columns, scrolling};
    } finally {
        closed.forEach(d => { d.open = false; });
    }
}"""


def code_column(page) -> dict:
    """``columns``: characters of code that fit in a cell; ``scrolling``: the longest
    line of each code cell that scrolls sideways."""
    return page.evaluate(MEASURE_CODE)


# The code column shows about 93 characters of 13-px code in a 1400-px window
# (site_assets/course.css); code lines are at most 88 (ruff, E501), so none scrolls.
@pytest.mark.parametrize("name", CHAPTERS)
def test_no_code_cell_scrolls_sideways_in_a_desktop_window(shown, name):
    page = shown(name).page
    column = code_column(page)
    scrolling = column["scrolling"]
    assert scrolling == [], (
        f"{name}: {len(scrolling)} code cells scroll sideways "
        f"in a {DESKTOP_WIDTH}-px window, whose code "
        f"column shows {column['columns']} characters; their longest lines: "
        + "; ".join(f"{len(line)} chars: {line.strip()[:60]}…" for line in scrolling)
    )
