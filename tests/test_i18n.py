"""The Chinese edition stays in step with the English one (scripts/i18n.py).

The first tests run the three commands on a throwaway book in ``tmp_path``; the
last ones check the repository itself: no stale translation, every page marked
complete fully translated, the committed Chinese pages equal to what
``generate`` writes, and their code cells byte-identical to English.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import polib
import pytest
import yaml
from toc import toc_entries

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location("i18n", ROOT / "scripts" / "i18n.py")
i18n = importlib.util.module_from_spec(SPEC)
sys.modules["i18n"] = i18n
SPEC.loader.exec_module(i18n)

MERMAID = """Flow:

```mermaid
---
title: Tiny flow
---
flowchart LR
  a["input"] --> b["output"]
```
"""


def make_book(root: Path, cells: list[tuple[str, str, str]]) -> Path:
    """A one-notebook book at ``root``: cells are ``(id, kind, text)``."""
    nb = nbformat.v4.new_notebook()
    for cell_id, kind, text in cells:
        cell = (
            nbformat.v4.new_markdown_cell(text)
            if kind == "md"
            else nbformat.v4.new_code_cell(text)
        )
        cell.id = cell_id
        nb.cells.append(cell)
    (root / "chapters").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, root / "chapters" / "one.ipynb")
    (root / "intro.md").write_text("# Hello\n\nWelcome.\n", encoding="utf-8")
    toc = {"format": "jb-book", "root": "intro", "chapters": [{"file": "chapters/one"}]}
    (root / "_toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    return root / "chapters" / "one.ipynb"


SETUP = "from helpers import runtime\n\ncourse = runtime.setup()"
CELLS = [
    ("m1", "md", "# Title\n\nSee {cite:p}`lecun1998gradient`."),
    ("c1", "code", SETUP),
    ("m2", "md", MERMAID),
    ("c2", "code", "print('loss', 1 + 1)"),
]


@pytest.fixture
def book(tmp_path):
    make_book(tmp_path, CELLS)
    return tmp_path


def catalog(root: Path, name: str = "chapters/one") -> polib.POFile:
    return polib.pofile(str(root / "locales" / "zh_CN" / f"{name}.po"))


def translate(
    root: Path, translations: dict[str, str], name: str = "chapters/one"
) -> None:
    po = catalog(root, name)
    for entry in po:
        if entry.msgctxt in translations:
            entry.msgstr = translations[entry.msgctxt]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.save()


def edit_cell(notebook: Path, cell_id: str, text: str | None) -> None:
    nb = nbformat.read(notebook, as_version=4)
    if text is None:
        nb.cells = [c for c in nb.cells if c.id != cell_id]
    else:
        next(c for c in nb.cells if c.id == cell_id).source = text
    nbformat.write(nb, notebook)


ZH_M1 = "# 标题\n\n参见 {cite:p}`lecun1998gradient`。"
ZH_M2 = (
    MERMAID.replace("Flow:", "流程：")
    .replace('"input"', '"输入"')
    .replace('"output"', '"输出"')
)


def test_update_creates_one_entry_per_markdown_cell(book):
    i18n.update(book)
    entries = {e.msgctxt: e for e in catalog(book)}
    assert set(entries) == {"m1", "m2"}  # code cells are never translated
    assert entries["m1"].msgid == CELLS[0][2] and entries["m1"].msgstr == ""
    assert catalog(book, "intro")[0].msgctxt == i18n.PAGE_ID


def test_changed_english_cell_turns_its_translation_stale(book):
    i18n.update(book)
    translate(book, {"m1": ZH_M1, "m2": ZH_M2})
    assert i18n.page_status(book / "chapters" / "one.ipynb", book).stale == []
    edit_cell(
        book / "chapters" / "one.ipynb",
        "m1",
        "# A new title\n\nSee {cite:p}`lecun1998gradient`.",
    )
    counts = i18n.update(book)
    assert "1 stale" in counts[1]
    entry = next(e for e in catalog(book) if e.msgctxt == "m1")
    assert "fuzzy" in entry.flags and entry.msgstr == ZH_M1
    assert entry.previous_msgid == CELLS[0][2]  # the translator sees what changed
    assert i18n.page_status(book / "chapters" / "one.ipynb", book).stale == ["m1"]


def test_stale_is_detected_even_without_update(book):
    """An English edit with no `update` after it is stale, not silently translated."""
    i18n.update(book)
    translate(book, {"m1": ZH_M1, "m2": ZH_M2})
    i18n.generate(book)
    edit_cell(
        book / "chapters" / "one.ipynb",
        "m1",
        "# Changed\n\nSee {cite:p}`lecun1998gradient`.",
    )
    problems = i18n.check(book)
    assert any("cell m1: stale" in p for p in problems)
    zh = nbformat.reads(
        i18n.generated_text(book / "chapters" / "one.ipynb", book), as_version=4
    )
    assert (
        zh.cells[0].source.startswith("# Changed")
        and zh.cells[0].metadata["i18n"] == "stale"
    )


def test_removed_cell_becomes_obsolete_and_comes_back(book):
    i18n.update(book)
    translate(book, {"m2": ZH_M2})
    notebook = book / "chapters" / "one.ipynb"
    edit_cell(notebook, "m2", None)
    i18n.update(book)
    assert [e.msgctxt for e in catalog(book) if e.obsolete] == ["m2"]
    make_book(book, CELLS)  # the cell is back
    i18n.update(book)
    entry = next(e for e in catalog(book) if e.msgctxt == "m2")
    assert not entry.obsolete and entry.msgstr == ZH_M2


def test_generate_replaces_markdown_and_keeps_code_byte_identical(book):
    i18n.update(book)
    translate(book, {"m1": ZH_M1})
    i18n.generate(book)
    zh_path = book / "zh" / "chapters" / "one.ipynb"
    zh = nbformat.read(zh_path, as_version=4)
    assert [c.source for c in zh.cells] == [
        ZH_M1,
        SETUP.replace("setup()", 'setup(language="zh")'),  # the one code that differs
        MERMAID,
        "print('loss', 1 + 1)",
    ]
    assert "i18n" not in zh.cells[0].metadata
    assert zh.cells[2].metadata["i18n"] == "untranslated"  # English kept, and flagged
    assert zh.metadata["course"]["language"] == "zh_CN"
    assert i18n.code_cells_differ(book / "chapters" / "one.ipynb", zh_path) == []
    assert (book / "zh" / "intro.md").read_text(
        encoding="utf-8"
    ) == "# Hello\n\nWelcome.\n"


def test_generate_can_keep_the_set_up_cell_as_it_is(book, monkeypatch):
    monkeypatch.setattr(i18n, "SETUP_LINE_ZH", None)
    i18n.update(book)
    i18n.generate(book)
    zh_path = book / "zh" / "chapters" / "one.ipynb"
    zh = nbformat.read(zh_path, as_version=4)
    assert zh.cells[1].source == SETUP
    assert zh.cells[3].source == CELLS[3][2]
    assert i18n.code_cells_differ(book / "chapters" / "one.ipynb", zh_path) == []


def test_translation_that_breaks_a_diagram_or_citation_is_refused(book):
    i18n.update(book)
    retitled = ZH_M2.replace("title: Tiny flow", "title: 小流程")
    translate(book, {"m1": "# 标题\n\n参见文献。", "m2": retitled})
    with pytest.raises(i18n.TranslationError) as error:
        i18n.generate(book)
    assert "roles differ" in str(error.value) and "lecun1998gradient" in str(
        error.value
    )
    translate(book, {"m1": ZH_M1})
    with pytest.raises(i18n.TranslationError, match="Mermaid titles must stay"):
        i18n.generate(book)


def test_a_reference_keeps_its_target_and_a_label_its_name_in_translation():
    english = (
        "(sec-4-2)=\n## 4.2 Tuning\n\nSee {ref}`chapter 4 <ch-4>`.\n\n"
        "```{caption} fig-4-loss\nThe loss.\n```\n\n$$ y = x $$ (eq-4-line)"
    )
    chinese = (
        "(sec-4-2)=\n## 4.2 调优\n\n见{ref}`第 4 章 <ch-4>`。\n\n"
        "```{caption} fig-4-loss\n损失。\n```\n\n$$ y = x $$ (eq-4-line)"
    )
    assert i18n.structure_problems(english, chinese) == []  # link text translated
    wrong_target = chinese.replace("<ch-4>", "<ch-5>")
    assert "roles differ" in i18n.structure_problems(english, wrong_target)[0]
    for label in ("sec-4-2", "fig-4-loss", "eq-4-line"):
        renamed = chinese.replace(label, label + "-zh")
        assert any(
            "labels must stay" in p for p in i18n.structure_problems(english, renamed)
        ), label


def test_check_reports_every_kind_of_drift(book):
    notebook = book / "chapters" / "one.ipynb"
    assert any("no locales" in p for p in i18n.check(book))
    i18n.update(book)
    i18n.generate(book)
    assert (
        i18n.check(book) == []
    )  # untranslated is fine while the page is not marked complete
    po = catalog(book)
    po.metadata[i18n.COMPLETE_HEADER] = "yes"
    po.save()
    assert any(
        "m1: not translated, but the page is marked complete" in p
        for p in i18n.check(book)
    )
    translate(book, {"m1": ZH_M1, "m2": ZH_M2})
    assert any(
        "differs from what" in p for p in i18n.check(book)
    )  # zh/ not regenerated
    i18n.generate(book)
    assert i18n.check(book) == []
    nb = nbformat.read(notebook, as_version=4)
    new = nbformat.v4.new_markdown_cell("A new paragraph.")
    new.id = "m3"
    nb.cells.append(new)
    nbformat.write(nb, notebook)
    assert any("behind its English page" in p for p in i18n.check(book))


def test_command_line_fails_with_a_message_on_drift(book, monkeypatch, capsys):
    monkeypatch.setattr(i18n, "ROOT", book)
    assert i18n.main(["update"]) == 0
    assert i18n.main(["generate"]) == 0
    assert i18n.main(["check"]) == 0
    edit_cell(book / "chapters" / "one.ipynb", "c2", "print('changed')")
    assert i18n.main(["check"]) == 1
    assert "differs from what" in capsys.readouterr().err


def test_unreadable_po_file_gets_a_clear_message(book, capsys, monkeypatch):
    monkeypatch.setattr(i18n, "ROOT", book)
    i18n.main(["update"])
    (book / "locales" / "zh_CN" / "chapters" / "one.po").write_text(
        'msgctxt "m1"\nmsgid "x"\nmsgstr "y"\nnot gettext\n'
    )
    assert i18n.main(["generate"]) == 1
    assert "is not a readable .po file" in capsys.readouterr().err


# --- the repository itself ------------------------------------------------------------


def test_repository_translations_are_in_step():
    problems = i18n.check(ROOT)
    assert not problems, "\n".join(problems)


def test_chinese_code_cells_are_the_english_ones():
    for source in i18n.book_sources(ROOT):
        if source.suffix == ".ipynb":
            target = i18n.edition_path(source, ROOT)
            assert i18n.code_cells_differ(source, target) == [], target


def test_chinese_toc_lists_the_english_pages():
    english = toc_entries(ROOT / "_toc.yml")
    chinese = [p for p in toc_entries(ROOT / "zh" / "_toc.yml") if p != "glossary"]
    assert chinese == english


def test_pages_proven_end_to_end_are_complete():
    for page in ("intro.md", "chapters/appendix_diagrams.ipynb"):
        status = i18n.page_status(ROOT / page, ROOT)
        assert (
            status.complete and status.translated == status.total and not status.stale
        ), page


# --- the site extension's pure parts (_ext/course_i18n.py) ----------------------------


def load_extension():
    spec = importlib.util.spec_from_file_location(
        "course_i18n", ROOT / "_ext" / "course_i18n.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "page, chinese, others, expected",
    [
        ("intro", False, {"intro"}, "zh/intro.html"),
        (
            "chapters/02_math",
            False,
            {"chapters/02_math"},
            "../zh/chapters/02_math.html",
        ),
        ("chapters/02_math", True, {"chapters/02_math"}, "../../chapters/02_math.html"),
        ("intro", True, {"intro"}, "../intro.html"),
        (
            "glossary",
            True,
            {"intro"},
            "../index.html",
        ),  # no English glossary: the English home page
    ],
)
def test_switcher_links_to_the_same_page_in_the_other_edition(
    page, chinese, others, expected
):
    assert load_extension().other_edition_href(page, chinese, others) == expected


def test_web_font_faces_are_limited_to_chinese_code_points():
    css = """
    @font-face { font-family: 'Noto Sans SC'; font-weight: 400;
      src: url(./files/x-latin-400-normal.woff2) format('woff2'),
        url(./files/x.woff) format('woff');
      unicode-range: U+0000-00FF,U+2000-206F; }
    @font-face { font-family: 'Noto Sans SC'; font-weight: 400;
      src: url(./files/x-7-400-normal.woff2) format('woff2');
      unicode-range: U+201c-201d,U+4e00-4e8f,U+ff01,U+1f300-1f30a; }
    """
    faces, files = load_extension().cjk_only_css(css, "course-cjk")
    assert files == ["x-7-400-normal.woff2"]  # the Latin face is dropped
    assert (
        "font-family: 'Course CJK'" in faces
        and "url(course-cjk/x-7-400-normal.woff2)" in faces
    )
    assert (
        "unicode-range: U+4e00-4e8f,U+ff01;" in faces
    )  # quotes and emoji are not ours


# jieba's own source has regular expressions in plain strings ('\.'), which Python
# flags when it compiles the module
@pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")
def test_the_chinese_indexer_answers_as_sphinxs_and_keeps_latin_words_in_a_set():
    """Same words and stems as Sphinx's own Chinese indexer, without its list that
    every stemmed word is looked up in (quadratic in the book's length)."""
    from sphinx.search.zh import SearchChinese

    options = {"dict": str(ROOT / "locales" / "zh_CN" / "search_terms.txt")}
    ours = load_extension().chinese_indexer()(options)
    stock = SearchChinese(options)
    stock.latin_terms = []  # its class-level list, not one that earlier tests grew
    texts = [
        "学习率太大时，损失函数会发散。Adam was used with AdamW and SGD.",
        "卷积神经网络（CNN）和 LSTM 的 API 一样 was simple; 2 cores, 88 columns.",
    ]
    for text in texts:
        assert ours.split(text) == stock.split(text)
    assert isinstance(ours.latin_terms, set)
    assert ours.latin_terms == set(stock.latin_terms)
    # a Latin word already seen is kept whole where the stemmer would cut it short
    words = ["was", "Adam", "columns", "cores", "unseen", "学习率"]
    assert [ours.stem(w) for w in words] == [stock.stem(w) for w in words]
    assert ours.stem("was") == "was" and ours.stem("cores") == stock.stem("cores")
