"""The two editions of the built website, as a reader sees them: headless Chromium,
no internet.

Checks the Chinese site in ``_build/html/zh`` and its links with the English one
in ``_build/html``: every Chinese page loads offline with no failed request,
``<html lang>`` is right in each edition, the language switcher leads to the
same page in the other edition (both ways), a Chinese query finds the page that
teaches it, and Chinese text is drawn with the site's own web font — asked of
Chromium itself (DevTools ``CSS.getPlatformFontsForNode``), because
``document.fonts.check`` answers true even for a font that does not exist.

``COURSE_SITE`` may point at another built site (a folder holding ``zh/``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from browser import chromium, refuse_non_local, serve_folder
from toc import toc_entries

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("COURSE_SITE") or ROOT / "_build" / "html")
ZH = SITE / "zh"
# The woff2 files that course_i18n serves name themselves "Noto Sans SC Thin"
# (fontsource cuts every weight from one variable font), whatever weight they draw:
# match the start of the name.
WEB_FONT = "Noto Sans SC"
KNOWN_CONSOLE_ERRORS = ("Got invalid theme mode: . Resetting to auto.",)

pytestmark = [
    pytest.mark.site,
    pytest.mark.skipif(
        not (ZH / "index.html").is_file(),
        reason=f"no Chinese site in {ZH}: "
        "build it first (make book builds both editions)",
    ),
]

# What a reader searches for, and the chapter that teaches it: it must be among the
# first results, not merely somewhere in a list of every page that uses the word.
QUERIES = {
    "损失函数": "chapters/02_math",
    "卷积": "chapters/03_algorithms",
    "学习率": "chapters/04_training",
    "过拟合": "chapters/04_training",
}
TOP_RESULTS = 3


ZH_PAGES = toc_entries(ROOT / "zh" / "_toc.yml")
EN_PAGES = toc_entries(ROOT / "_toc.yml")


@pytest.fixture(scope="module")
def site_url():
    with serve_folder(SITE) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def load(browser, url: str):
    """Open ``url`` offline in a new browser context; return (context, page,
    problems seen)."""
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    blocked: list[str] = []
    refuse_non_local(context, blocked)
    page.on("requestfailed", lambda r: problems.append(f"{r.url}: {r.failure}"))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and m.text not in KNOWN_CONSOLE_ERRORS
            else None
        ),
    )
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.ok, (
        f"{url}: HTTP {response and response.status}"
    )
    problems.extend(f"request to the internet: {url}" for url in blocked)
    return context, page, problems


@pytest.fixture
def open_page(browser, site_url):
    """Open a page afresh, for this test alone (a test that navigates or searches)."""
    contexts = []

    def visit(path: str):
        """Open ``path`` (relative to the site); return (page, problems seen)."""
        context, page, problems = load(browser, f"{site_url}/{path}")
        contexts.append(context)
        return page, problems

    yield visit
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def shown(browser, site_url):
    """Each page opened once and shared by the checks that only read it.

    A chapter page is seconds of the browser's work; the load check, the exercise
    titles and the font checks read the same pages, so one load serves them all.
    The checks leave the page as they found it (``mark_chinese_text`` removes its
    mark again).
    """
    pages: dict[str, tuple] = {}
    contexts = []

    def show(path: str):
        if path not in pages:
            context, *pages[path] = load(browser, f"{site_url}/{path}")
            contexts.append(context)
        return pages[path]

    yield show
    for context in contexts:
        context.close()


def fonts_drawing(page, selector: str) -> list[dict]:
    """The fonts Chromium really used for the text of the first element matching
    ``selector``."""
    page.evaluate("document.fonts.ready")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})[
        "nodeId"
    ]
    assert node, f"{page.url}: nothing matches {selector}"
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


@contextmanager
def chinese_text_marked(page, within: str) -> Iterator[str]:
    """Mark the first visible element under ``within`` whose own text is Chinese;
    yield its selector, and take the mark away again (the page is shared)."""
    found = page.evaluate(
        """(within) => {
          const han = /\\p{Script=Han}/u;
          for (const el of document.querySelectorAll(
              within + ', ' + within + ' *')) {
            const own = [...el.childNodes].filter(n => n.nodeType === 3)
              .map(n => n.data).join('');
            if (han.test(own) && el.getClientRects().length) {
              el.setAttribute('data-zh-probe', ''); return true;
            }
          }
          return false;
        }""",
        within,
    )
    assert found, f"{page.url}: no Chinese text under {within}"
    try:
        yield "[data-zh-probe]"
    finally:
        page.evaluate(
            "document.querySelector('[data-zh-probe]').removeAttribute('data-zh-probe')"
        )


@pytest.mark.parametrize("name", ZH_PAGES)
def test_chinese_page_loads_offline_in_chinese(shown, name):
    assert (ZH / f"{name}.html").is_file(), f"zh/{name}.html was not built"
    page, problems = shown(f"zh/{name}.html")
    assert problems == [], f"zh/{name}: {problems}"
    assert page.get_attribute("html", "lang") == "zh-CN"
    if page.locator(".mermaid").count():
        page.wait_for_function(
            "[...document.querySelectorAll('.mermaid')]"
            ".every(e => e.querySelector('svg'))",
            timeout=20_000,
        )


def test_exercises_and_solutions_are_titled_in_chinese(shown):
    page, _ = shown("zh/chapters/03_algorithms.html")
    exercise = page.locator("div.exercise .admonition-title").first.inner_text()
    solution = page.locator("div.solution .admonition-title").first.inner_text()
    assert exercise.startswith("练习 1"), exercise
    assert solution.startswith("解答") and "练习 1" in solution, solution


# Clicked in the browser: a page at the site's root and one in a folder (their
# relative links differ); test_every_switcher_link_resolves reads every page's link.
@pytest.mark.parametrize("name", ["intro", "chapters/appendix_diagrams"])
def test_switcher_leads_to_the_same_page_in_the_other_edition(
    open_page, site_url, name
):
    page, _ = open_page(f"zh/{name}.html")
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.click("a.course-language-switcher")
    page.wait_for_load_state()
    assert page.url == f"{site_url}/{name}.html"
    assert page.get_attribute("html", "lang") == "en"
    page.click("a.course-language-switcher")
    page.wait_for_load_state()
    assert page.url == f"{site_url}/zh/{name}.html"


def test_every_switcher_link_resolves():
    """Every page of both editions links to a page that exists, in the other
    language."""
    checked = 0
    for edition, pages in ((SITE, EN_PAGES), (ZH, ZH_PAGES)):
        for name in pages:
            html_file = edition / f"{name}.html"
            if not html_file.is_file():
                continue
            match = re.search(
                r'class="course-language-switcher[^"]*" href="([^"]+)"',
                html_file.read_text(encoding="utf-8"),
            )
            assert match, f"{html_file}: no language switcher"
            target = (html_file.parent / match.group(1)).resolve()
            assert target.is_file(), (
                f"{html_file}: the switcher points at {target}, which is missing"
            )
            assert target.is_relative_to(ZH.resolve()) == (edition == SITE)
            checked += 1
    assert checked >= 4


@pytest.mark.parametrize("query", QUERIES)
def test_chinese_query_finds_the_page_that_teaches_it(open_page, query):
    page, problems = open_page(f"zh/search.html?q={quote(query)}")
    # the summary line gets its number of pages when the search has finished
    page.wait_for_function(
        "/\\d/.test(document.querySelector('.search-summary')?.textContent || '')",
        timeout=20_000,
    )
    hits = page.eval_on_selector_all(
        "#search-results li a", "links => links.map(a => a.href)"
    )
    wanted = QUERIES[query]
    first = hits[:TOP_RESULTS]
    assert any(f"/zh/{wanted}.html" in hit for hit in first), (
        f"{query}: zh/{wanted}.html is not among the first {TOP_RESULTS} results {hits}"
    )
    assert problems == []


def test_query_splitter_cuts_a_chinese_sentence_into_indexed_words(open_page):
    page, _ = open_page("zh/search.html?q=%E5%8D%B7%E7%A7%AF")
    page.wait_for_function(
        "typeof Search !== 'undefined' && Search._index !== null", timeout=20_000
    )
    words = page.evaluate("splitQuery('卷积层的损失函数 LSTM')")
    assert words == ["卷积层", "损失函数", "LSTM"], words


@pytest.mark.parametrize(
    "path, within",
    [
        ("zh/chapters/appendix_diagrams.html", "main h1"),
        ("zh/chapters/appendix_diagrams.html", ".mermaid svg"),
        ("zh/intro.html", "main p"),
        (
            "chapters/appendix_diagrams.html",
            "main h1",
        ),  # the English edition's Chinese words too
    ],
)
def test_chinese_text_is_drawn_with_the_bundled_font(shown, path, within):
    page, _ = shown(path)
    if ".mermaid" in within:
        page.wait_for_function("document.querySelector('.mermaid svg')", timeout=20_000)
    with chinese_text_marked(page, within) as selector:
        fonts = fonts_drawing(page, selector)
        # every Chinese character of the element comes from the web font, none from
        # a system font
        han = page.evaluate(
            """s => [...document.querySelector(s).childNodes]
                     .filter(n => n.nodeType === 3).map(n => n.data).join('')
                     .match(/\\p{Script=Han}/gu)?.length || 0""",
            selector,
        )
    ours = [
        f for f in fonts if f["familyName"].startswith(WEB_FONT) and f["isCustomFont"]
    ]
    assert ours, f"{path} {within}: Chinese drawn with {fonts}, not the site's web font"
    assert sum(f["glyphCount"] for f in ours) >= han > 0, f"{path} {within}: {fonts}"
