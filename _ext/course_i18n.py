"""The site's two editions, English and Chinese: switcher, Chinese search and font.

Used by both books (``_config.yml`` and ``zh/_config.yml``); what differs is
``language`` (unset or ``en`` for English, ``zh_CN`` for Chinese).

1. Language switcher. Every page gets a link, in the article header, to the same
   page in the other edition: the Chinese book is built into ``zh/`` inside the
   English site, so ``chapters/02_math.html`` ↔ ``zh/chapters/02_math.html``.
   Links are relative, so they work from a file:// copy too. A page that exists
   only in one edition (the Chinese glossary) links to the other's home page.
2. ``<html lang>`` comes from Sphinx's ``language`` (``zh_CN`` → ``zh-CN``).
3. Chinese search. Sphinx's Chinese indexer cuts the pages into words with
   jieba; ``locales/zh_CN/search_terms.txt`` adds the course's terms (学习率,
   损失函数 …) to jieba's dictionary. In the browser, stock Sphinx splits a query
   only at non-letters, so 损失函数 stays one word and finds nothing unless the
   index has exactly that word; ``search-zh.js`` splits a Chinese query into
   the longest words the index knows. The indexer itself is Sphinx's, with one
   repair (``chinese_indexer``): its record of Latin words is a set, not a list.
4. Chinese web font. Noto Sans SC (npm ``@fontsource/noto-sans-sc``, SIL OFL 1.1)
   is served from the site. Its ``@font-face`` rules are rewritten into one
   family, ``Course CJK``, whose faces cover only CJK code points, and that
   family is put *first* in the theme's font stacks and Mermaid's: Latin text
   keeps the theme's fonts, and Chinese never falls back to whatever the
   reader's system has (or to empty boxes when it has nothing). A browser
   downloads only the subsets a page uses (``unicode-range``).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

ROOT = Path(__file__).resolve().parent.parent
EDITION_FOLDER = "zh"  # where the Chinese site sits inside the English one
FAMILY = "Course CJK"
FONT_WEIGHTS = (400, 700)
FONT_OUT = "course-cjk"  # folder of the rewritten faces inside _static
# The code points the Chinese face may draw: CJK radicals, punctuation, kana and
# ideographs (U+2E80–U+9FFF), compatibility ideographs, vertical and compatibility
# forms, full-width forms, and the supplementary ideograph planes. Not Latin, not
# emoji, not private use.
CJK_SPANS = (
    (0x2E80, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE10, 0xFE1F),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
    (0x20000, 0x3FFFF),
)
MERMAID_FONTS = f"'{FAMILY}', 'trebuchet ms', verdana, arial, sans-serif"
TEMPLATES = Path(__file__).resolve().parent / "templates"
SEARCH_TERMS = ROOT / "locales" / "zh_CN" / "search_terms.txt"
SWITCHER = "course-language-switcher.html"


def font_source() -> Path:
    """The vendored ``@fontsource/noto-sans-sc`` (its CSS and ``files/``).

    Override: COURSE_CJK_FONT_DIR.
    """
    return Path(
        os.environ.get("COURSE_CJK_FONT_DIR")
        or ROOT / "site_assets" / "vendor" / "noto-sans-sc"
    )


def is_chinese(language: str | None) -> bool:
    return bool(language) and language.lower().startswith("zh")


# --- 1. the switcher ------------------------------------------------------------------


def other_edition_href(
    pagename: str, chinese: bool, pages_of_other: set[str] | None
) -> str:
    """The relative address, from ``pagename``, of this page in the other edition."""
    depth = pagename.count("/")
    up = "../" * depth
    target = (
        pagename if pages_of_other is None or pagename in pages_of_other else "index"
    )
    if chinese:  # zh/<page>.html → <page>.html: one level further up
        return f"{up}../{target}.html"
    return f"{up}{EDITION_FOLDER}/{target}.html"


def english_pages() -> set[str]:
    return {
        p.relative_to(ROOT).with_suffix("").as_posix()
        for p in [*ROOT.glob("*.md"), *ROOT.glob("chapters/*.ipynb")]
    } | {"index"}


def chinese_pages() -> set[str]:
    book = ROOT / EDITION_FOLDER
    return {
        p.relative_to(book).with_suffix("").as_posix()
        for p in [*book.glob("*.md"), *book.glob("chapters/*.ipynb")]
    } | {"index"}


def on_page_context(app, pagename, templatename, context, doctree):
    chinese = is_chinese(app.config.language)
    others = english_pages() if chinese else chinese_pages()
    context["course_other_edition_href"] = other_edition_href(pagename, chinese, others)
    context["course_other_edition_label"] = "English" if chinese else "中文"
    context["course_other_edition_lang"] = "en" if chinese else "zh-CN"
    context["course_other_edition_title"] = (
        "Read this page in English" if chinese else "阅读本页中文版"
    )


# --- 4. the font ----------------------------------------------------------------------


def _ranges(value: str) -> list[tuple[int, int]]:
    spans = []
    for part in value.split(","):
        part = part.strip().upper().removeprefix("U+")
        low, _, high = part.partition("-")
        spans.append((int(low, 16), int(high or low, 16)))
    return spans


def cjk_only_css(css: str, files_url: str) -> tuple[str, list[str]]:
    """Rewrite fontsource's ``@font-face`` rules into the CJK-only family.

    Returns (css, woff2 files). Each face keeps only the part of its ``unicode-range``
    inside ``CJK_SPANS``; a face with nothing left (Latin, Cyrillic, Vietnamese,
    emoji) is dropped. Only the woff2 source is kept (every browser that supports
    ``unicode-range`` reads woff2).
    """
    faces, files = [], []
    for block in re.findall(r"@font-face\s*\{(.*?)\}", css, re.DOTALL):
        src = re.search(r"url\(\./files/([^)]+\.woff2)\)", block)
        unicode_range = re.search(r"unicode-range:\s*([^;]+);", block)
        weight = re.search(r"font-weight:\s*(\d+)", block)
        if not (src and unicode_range and weight):
            continue
        kept = [
            (max(lo, first), min(hi, last))
            for lo, hi in _ranges(unicode_range.group(1))
            for first, last in CJK_SPANS
            if lo <= last and hi >= first
        ]
        if not kept:
            continue
        ranges = ",".join(
            f"U+{lo:x}" if lo == hi else f"U+{lo:x}-{hi:x}" for lo, hi in kept
        )
        files.append(src.group(1))
        faces.append(
            "@font-face {\n"
            f"  font-family: '{FAMILY}';\n"
            "  font-style: normal;\n  font-display: swap;\n"
            f"  font-weight: {weight.group(1)};\n"
            f"  src: url({files_url}/{src.group(1)}) format('woff2');\n"
            f"  unicode-range: {ranges};\n}}\n"
        )
    return "".join(faces), files


THEME_CSS = f"""
/* The Chinese face first: it covers only CJK code points, so Latin text keeps \
the theme's fonts. */
html {{
  --pst-font-family-base: '{FAMILY}', var(--pst-font-family-base-system);
  --pst-font-family-heading: '{FAMILY}', var(--pst-font-family-base-system);
  --pst-font-family-monospace: var(--pst-font-family-monospace-system), \
'{FAMILY}', monospace;
}}
/* The switcher sits in a row with the theme's buttons (the theme stacks its \
header items). */
.header-article-items__end {{ display: flex; align-items: center; }}
.course-language-switcher {{ margin-inline: 0.25rem; font-size: 0.9rem; \
white-space: nowrap; }}
"""


def write_font(outdir: Path) -> int:
    """Write ``_static/course-cjk.css`` and its woff2 files; return how many faces."""
    source = font_source()
    sheets = [source / f"{weight}.css" for weight in FONT_WEIGHTS]
    if not all(sheet.is_file() for sheet in sheets):
        raise ExtensionError(
            f"the Chinese web font is missing from {source}: run `make setup` "
            "(it copies @fontsource/noto-sans-sc from node_modules), "
            "or set COURSE_CJK_FONT_DIR"
        )
    static = outdir / "_static"
    target = static / FONT_OUT
    target.mkdir(parents=True, exist_ok=True)
    css, count = [], 0
    for sheet in sheets:
        faces, files = cjk_only_css(sheet.read_text(encoding="utf-8"), FONT_OUT)
        css.append(faces)
        count += len(files)
        for name in files:
            if not (target / name).exists():
                shutil.copy2(source / "files" / name, target / name)
    licence = source / "LICENSE"
    if licence.is_file():
        shutil.copy2(licence, target / "LICENSE")
    (static / "course-cjk.css").write_text("".join(css) + THEME_CSS, encoding="utf-8")
    return count


def on_build_finished(app, exception):
    if exception is None and app.builder.format == "html":
        write_font(Path(app.outdir))


# --- configuration --------------------------------------------------------------------


def on_config_inited(app, config):
    config.templates_path = [*config.templates_path, str(TEMPLATES)]
    options = dict(config.html_theme_options or {})
    header_end = options.get("article_header_end", ["article-header-buttons.html"])
    if isinstance(header_end, str):
        header_end = [header_end]
    if SWITCHER not in header_end:
        options["article_header_end"] = [SWITCHER, *header_end]
    config.html_theme_options = options
    mermaid = (
        dict(config.mermaid_init_config or {})
        if hasattr(config, "mermaid_init_config")
        else None
    )
    if mermaid is not None:
        mermaid.setdefault("fontFamily", MERMAID_FONTS)
        config.mermaid_init_config = mermaid
    if is_chinese(config.language):
        config.html_search_language = "zh"
        search_options = dict(config.html_search_options or {})
        search_options.setdefault("dict", str(SEARCH_TERMS))
        config.html_search_options = search_options
        app.add_js_file("zh/search-zh.js", priority=200)


class _TermSet(set):
    """A set that takes ``extend`` as a list does (what ``SearchChinese.split``
    calls)."""

    def extend(self, terms) -> None:
        self.update(terms)


def chinese_indexer() -> type:
    """Sphinx's Chinese search indexer, with its Latin words kept in a set.

    ``SearchChinese`` (Sphinx 7.4) appends every Latin word it splits to a list
    that is never emptied, and asks whether each word it stems is in that list:
    time grows with the square of the text. For this book that was 18 s of the
    Chinese build's 56 s. A set gives the same answers at once, so the index is
    the same (tests/test_i18n.py compares the two). Made on demand: importing
    the indexer imports jieba, which the English book does not need.
    """
    from sphinx.search.zh import SearchChinese

    class ChineseIndexer(SearchChinese):
        def init(self, options: dict[str, str]) -> None:
            super().init(options)
            self.latin_terms = _TermSet()

    return ChineseIndexer


def setup(app):
    app.add_search_language(chinese_indexer())
    app.connect("config-inited", on_config_inited, priority=800)
    app.connect("html-page-context", on_page_context)
    app.connect("build-finished", on_build_finished)
    app.add_css_file("course-cjk.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
