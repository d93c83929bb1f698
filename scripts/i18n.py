"""The Chinese edition's translations: gettext ``.po``, one entry per markdown cell.

    python scripts/i18n.py update     # English → locales/zh_CN/*.po: new/stale/obsolete
    python scripts/i18n.py generate   # English + .po → zh/chapters/*.ipynb, zh/*.md
    python scripts/i18n.py check      # fails on stale or missing translations, old zh/
    python scripts/i18n.py status     # how much of each page is translated
    python scripts/i18n.py messages   # the helpers' messages → helpers/locale/zh_CN.po

The code lives once. A Chinese notebook is its English notebook with every
markdown cell replaced by its translation; code cells are copied byte for
byte, except that the set-up cell names the language (``SETUP_LINE_ZH``). The
Chinese build executes nothing of its own: ``scripts/execute_book.py`` puts in
the book's execution cache, for each Chinese notebook, the English run's
outputs with the helpers' messages in Chinese.

One ``.po`` file per English page (``locales/zh_CN/chapters/02_math.po`` for
``chapters/02_math.ipynb``), one entry per markdown cell: ``msgctxt`` is the
cell's id, ``msgid`` the English cell, ``msgstr`` the Chinese cell. A Markdown
page (``intro.md``) is one cell whose id is ``page``. The files open in Poedit,
Weblate or any gettext tool. ``update`` follows gettext's conventions:

* a new English cell gets an empty entry;
* an English cell changed since it was translated keeps its translation but is
  marked ``fuzzy`` (stale), with the English it was translated from kept as
  ``#| msgid`` so the translator sees what changed;
* the entry of a removed cell becomes obsolete (``#~``) and comes back if the
  cell does.

``generate`` keeps the English text of a cell that is untranslated or stale
and flags it in the cell's metadata (``"i18n": "untranslated"`` or
``"stale"``), so a partly translated page still builds and says which parts
are English. A page whose ``.po`` header has ``X-Translation-Complete: yes``
must have every cell translated and current: ``check`` fails otherwise.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import i18n_messages
import nbformat
import polib
import yaml
from toc import toc_entries

ROOT = Path(__file__).resolve().parent.parent
LOCALE = "zh_CN"
EDITION = "zh"  # the Chinese book's folder
PAGE_ID = "page"  # the msgctxt of a Markdown page, which is one cell
COMPLETE_HEADER = "X-Translation-Complete"
SOURCE_HEADER = "X-Source-File"
# Pages of the English book that have no text of their own to translate are still
# listed here so the Chinese book has all of them; the Chinese-only pages (glossary)
# live in zh/.
MARKDOWN_SUFFIXES = {".md"}

# The Chinese notebooks' set-up cell names the language, so that what the helpers
# say while the reader runs the notebook is Chinese (helpers/i18n.py). It is the one
# code line that differs; the book still executes each notebook once, and
# scripts/execute_book.py derives the Chinese outputs from the English run.
SETUP_LINE = "course = runtime.setup()"
SETUP_LINE_ZH: str | None = 'course = runtime.setup(language="zh")'

_FENCE = re.compile(
    r"^[ \t]{0,3}(`{3,}|~{3,}|:{3,})\s*(\{[\w:-]+\}|mermaid)?", re.MULTILINE
)
_ROLE = re.compile(
    r"\{(?P<role>cite:[pt]|cite|ref|numref|doc|eq|term|download)\}`(?P<body>[^`]*)`"
)
# A role's own link text may be translated ({ref}`第 4 章 <ch-4>`), its target may not.
_ROLE_TARGET = re.compile(r"<(?P<target>[^<>]+)>\s*\Z")
# Names that other pages link to: label lines, :label: options, the argument of
# {caption} / {solution-start}, and labelled display math ($$ ... $$ (eq-x)).
_NAMES = re.compile(
    r"^\((?P<label>[\w.-]+)\)=[ \t]*$"
    r"|^:label:[ \t]*(?P<option>\S+)"
    r"|\{(?:caption|solution-start)\}[ \t]+(?P<argument>\S+)"
    r"|\$\$[ \t]*\((?P<equation>[\w.-]+)\)",
    re.MULTILINE,
)
_MERMAID = re.compile(
    r"^(?P<fence>`{3,})mermaid[ \t]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_MERMAID_TITLE = re.compile(r"\A\s*---\s*\ntitle:\s*(?P<title>.*?)\s*\n---", re.DOTALL)


class TranslationError(Exception):
    """A translation that cannot be used as it is; the message says what to fix."""


# --- the English sources --------------------------------------------------------------


def book_sources(root: Path = ROOT) -> list[Path]:
    """The English pages ``_toc.yml`` lists (notebooks and Markdown), in its order."""
    names = toc_entries(root / "_toc.yml")
    found = []
    for name in names:
        for suffix in (".ipynb", ".md"):
            if (root / f"{name}{suffix}").is_file():
                found.append(root / f"{name}{suffix}")
                break
        else:
            raise TranslationError(
                f"_toc.yml lists {name!r}, but neither {name}.ipynb nor "
                f"{name}.md exists: fix _toc.yml"
            )
    return found


def markdown_cells(source: Path) -> list[tuple[str, str]]:
    """``(cell id, text)`` of every markdown cell of an English page, in order.

    A Markdown page is a single cell with the id ``page``.
    """
    if source.suffix in MARKDOWN_SUFFIXES:
        return [(PAGE_ID, source.read_text(encoding="utf-8"))]
    nb = nbformat.read(source, as_version=4)
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        if not cell.get("id"):
            raise TranslationError(
                f"{source}: markdown cell {index} has no id; save the notebook "
                "with nbformat 4.5 or later so every cell has one"
            )
        cells.append((cell.id, cell.source))
    ids = [cell_id for cell_id, _ in cells]
    duplicates = sorted({cell_id for cell_id in ids if ids.count(cell_id) > 1})
    if duplicates:
        raise TranslationError(
            f"{source}: cell ids {duplicates} occur twice; give each cell its own "
            "id (copying a cell in an old editor can do this)"
        )
    return cells


def po_path(source: Path, root: Path = ROOT) -> Path:
    """Where the translations of an English page live: ``locales/zh_CN/<page>.po``."""
    return root / "locales" / LOCALE / source.relative_to(root).with_suffix(".po")


def edition_path(source: Path, root: Path = ROOT) -> Path:
    """Where the Chinese page generated from an English page goes: ``zh/<page>``."""
    return root / EDITION / source.relative_to(root)


# --- update ---------------------------------------------------------------------------


def new_catalog(source: Path, root: Path = ROOT) -> polib.POFile:
    catalog = polib.POFile(wrapwidth=0)
    catalog.metadata = {
        "Project-Id-Version": "Large Models for Founders",
        "Language": LOCALE,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": "nplurals=1; plural=0;",
        SOURCE_HEADER: source.relative_to(root).as_posix(),
        COMPLETE_HEADER: "no",
    }
    return catalog


def load_catalog(path: Path) -> polib.POFile:
    try:
        catalog = polib.pofile(str(path), wrapwidth=0)
    except (OSError, ValueError) as error:
        raise TranslationError(
            f"{path} is not a readable .po file ({error}); fix it in a gettext "
            "editor or restore it from git"
        ) from error
    catalog.wrapwidth = 0
    return catalog


def update_catalog(
    catalog: polib.POFile, cells: list[tuple[str, str]]
) -> dict[str, int]:
    """Bring ``catalog`` in line with the English ``cells``; count what changed."""
    counts = {"new": 0, "stale": 0, "obsolete": 0, "revived": 0}
    by_id = {entry.msgctxt: entry for entry in catalog}
    wanted = set()
    order = []
    for cell_id, text in cells:
        wanted.add(cell_id)
        entry = by_id.get(cell_id)
        if entry is None:
            entry = polib.POEntry(msgctxt=cell_id, msgid=text, msgstr="")
            counts["new"] += 1
        else:
            if entry.obsolete:
                entry.obsolete = False
                counts["revived"] += 1
            if entry.msgid != text:
                if entry.msgstr and "fuzzy" not in entry.flags:
                    # gettext's convention: keep the English the translation was
                    # made from
                    entry.previous_msgid = entry.msgid
                    entry.flags.append("fuzzy")
                    counts["stale"] += 1
                entry.msgid = text
        order.append(entry)
    for entry in catalog:
        if entry.msgctxt not in wanted and not entry.obsolete:
            entry.obsolete = True
            counts["obsolete"] += 1
        if entry.msgctxt not in wanted:
            order.append(entry)
    catalog[:] = order
    return counts


def update(root: Path = ROOT, sources: list[Path] | None = None) -> list[str]:
    """Create or update each English page's ``.po`` file; return one line per page."""
    report = []
    for source in sources or book_sources(root):
        path = po_path(source, root)
        catalog = load_catalog(path) if path.exists() else new_catalog(source, root)
        counts = update_catalog(catalog, markdown_cells(source))
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog.save(str(path))
        changes = (
            ", ".join(f"{n} {what}" for what, n in counts.items() if n) or "up to date"
        )
        report.append(f"{path.relative_to(root)}: {changes}")
    return report


# --- generate -------------------------------------------------------------------------


def entry_state(entry: polib.POEntry | None) -> str:
    """``translated``, ``stale`` or ``untranslated``."""
    if entry is None or not entry.msgstr.strip():
        return "untranslated"
    if "fuzzy" in entry.flags:
        return "stale"
    return "translated"


def mermaid_titles(text: str) -> list[str]:
    """The titles of a markdown text's Mermaid diagrams.

    ``helpers.diagrams.draw`` looks the diagrams up by title.
    """
    titles = []
    for match in _MERMAID.finditer(text):
        title = _MERMAID_TITLE.match(match.group("body"))
        titles.append(title.group("title") if title else "")
    return titles


def structure_problems(english: str, chinese: str) -> list[str]:
    """What a translation dropped or garbled that the page needs to keep working.

    Compared: the number of fences and directives, the Mermaid diagrams and their
    titles (the Colab cell after a diagram finds it by title), the citation and
    cross-reference roles (``{cite:p}`key```, ``{ref}`label```: their targets must
    survive unchanged, a reference's link text is translated), and the labels the
    text defines (other pages link to them).
    """
    problems = []
    if _FENCE.findall(english) != _FENCE.findall(chinese):
        problems.append(
            f"fences/directives differ: English {_FENCE.findall(english)}, "
            f"Chinese {_FENCE.findall(chinese)}"
        )
    if mermaid_titles(english) != mermaid_titles(chinese):
        problems.append(
            f"Mermaid titles must stay as in English {mermaid_titles(english)}, "
            f"got {mermaid_titles(chinese)}"
        )
    en_roles, zh_roles = role_targets(english), role_targets(chinese)
    if en_roles != zh_roles:
        missing = sorted(set(en_roles) - set(zh_roles))
        extra = sorted(set(zh_roles) - set(en_roles))
        problems.append(f"roles differ: missing {missing}, unexpected {extra}")
    if names(english) != names(chinese):
        problems.append(
            f"labels must stay as in English {names(english)}, got {names(chinese)}"
        )
    return problems


def role_targets(text: str) -> list[str]:
    """The roles of a text as ``{role}`target```, sorted; a cross-reference's link text
    (``{ref}`words <target>```) is left out, since it is translated."""
    found = []
    for match in _ROLE.finditer(text):
        body = match["body"]
        target = _ROLE_TARGET.search(body)
        if match["role"] in ("ref", "numref", "doc", "term") and target:
            body = target["target"]
        found.append(f"{{{match['role']}}}`{body}`")
    return sorted(found)


def names(text: str) -> list[str]:
    """The labels a text defines, in order (see ``_NAMES``)."""
    return [next(v for v in m.groups() if v) for m in _NAMES.finditer(text)]


def translate_cells(
    catalog: polib.POFile | None, cells: list[tuple[str, str]], where: str
) -> dict[str, tuple[str, str]]:
    """``{cell id: (text to use, state)}``.

    Raises when a translation breaks the page's structure.
    """
    entries = (
        {e.msgctxt: e for e in catalog if not e.obsolete} if catalog is not None else {}
    )
    result = {}
    for cell_id, english in cells:
        entry = entries.get(cell_id)
        state = entry_state(entry)
        if state == "translated" and entry.msgid != english:
            state = "stale"  # the .po was not updated after the English changed
        if state == "translated":
            problems = structure_problems(english, entry.msgstr)
            if problems:
                raise TranslationError(
                    f"{where}, cell {cell_id}: " + "; ".join(problems)
                )
            result[cell_id] = (entry.msgstr, state)
        else:
            result[cell_id] = (english, state)
    return result


def localise_setup_cell(source: str) -> str:
    if SETUP_LINE_ZH is None:
        return source
    if SETUP_LINE not in source:
        raise TranslationError(
            f"the set-up cell has no line {SETUP_LINE!r} to name the language in"
        )
    return source.replace(SETUP_LINE, SETUP_LINE_ZH)


def generated_text(source: Path, root: Path = ROOT) -> str:
    """The Chinese page for an English page, as the text that ``generate`` writes."""
    path = po_path(source, root)
    catalog = load_catalog(path) if path.exists() else None
    cells = markdown_cells(source)
    where = str(path.relative_to(root))
    translated = translate_cells(catalog, cells, where)
    if source.suffix in MARKDOWN_SUFFIXES:
        return translated[PAGE_ID][0]
    nb = nbformat.read(source, as_version=4)
    zh = copy.deepcopy(nb)
    first_code = True
    for cell in zh.cells:
        if cell.cell_type == "markdown":
            text, state = translated[cell.id]
            cell.source = text
            cell.metadata.pop("i18n", None)
            if state != "translated":
                cell.metadata["i18n"] = state
        elif cell.cell_type == "code" and first_code:
            cell.source = localise_setup_cell(cell.source)
            first_code = False
    # Not hashed by the execution cache (only code cells and the kernelspec are): free
    # to differ.
    zh.metadata["course"] = {
        "language": LOCALE,
        "translated_from": source.relative_to(root).as_posix(),
    }
    return nbformat.writes(zh) + "\n"


def generate(root: Path = ROOT, sources: list[Path] | None = None) -> list[str]:
    """Write the Chinese page of every English page; return one line per page."""
    report = []
    for source in sources or book_sources(root):
        target = edition_path(source, root)
        text = generated_text(source, root)
        target.parent.mkdir(parents=True, exist_ok=True)
        changed = not target.exists() or target.read_text(encoding="utf-8") != text
        if changed:
            target.write_text(text, encoding="utf-8")
        report.append(
            f"{target.relative_to(root)}: {'written' if changed else 'unchanged'}"
        )
    if sources is None and (root / "_config.yml").is_file():
        target = root / EDITION / "_config.yml"
        text = zh_config_text(root)
        changed = not target.exists() or target.read_text(encoding="utf-8") != text
        if changed:
            target.write_text(text, encoding="utf-8")
        report.append(
            f"{target.relative_to(root)}: {'written' if changed else 'unchanged'}"
        )
    return report


# --- the Chinese book's configuration -------------------------------------------------

# A backslash at the end of a line joins the next line to it (written as one line).
CONFIG_HEADER = """\
# 中文版 · the Chinese edition's Jupyter Book configuration, built into _build/html/zh/.
# GENERATED by `python scripts/i18n.py generate` from the English _config.yml: \
edit that one (or
# ZH_CONFIG in scripts/i18n.py) and regenerate. Paths point one folder up, \
at the English book's
# files; the execution cache is the English one (resolved from the working \
directory, the
# repository root), where scripts/execute_book.py has put every Chinese notebook's \
outputs:
# the Chinese build executes nothing.
"""
ZH_CONFIG = {
    "title": "大模型助力创业者",
    "author": "Large Models for Founders 的贡献者",
    "repository": {"path_to_book": EDITION},  # Colab opens zh/chapters/NAME.ipynb
    "execute": {"cache": "_build/.jupyter_cache"},
    "sphinx": {"config": {"language": LOCALE, "html_search_language": "zh"}},
}


def _up(value: str) -> str:
    return value if value.startswith(("/", "http")) else f"../{value}"


def zh_config(english: dict) -> dict:
    """The Chinese book's configuration.

    The English one, with paths one folder up and ``ZH_CONFIG`` on top.
    """
    config = copy.deepcopy(english)
    config["exclude_patterns"] = ["_build", "**/.ipynb_checkpoints"]
    if "favicon" in config.get("html", {}):
        config["html"]["favicon"] = _up(config["html"]["favicon"])
    if "logo" in config:
        config["logo"] = _up(config["logo"])
    config["bibtex_bibfiles"] = [
        _up(path) for path in config.get("bibtex_bibfiles", [])
    ]
    sphinx = config.setdefault("sphinx", {})
    extensions = {
        name: _up(path) for name, path in sphinx.get("local_extensions", {}).items()
    }
    extensions["course_i18n"] = "../_ext/"
    sphinx["local_extensions"] = extensions
    settings = sphinx.setdefault("config", {})
    for key in ("html_static_path", "templates_path", "html_extra_path"):
        if key in settings:
            settings[key] = [_up(path) for path in settings[key]]

    def merge(into: dict, update: dict) -> None:
        for key, value in update.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = copy.deepcopy(value)

    merge(config, ZH_CONFIG)
    return config


def zh_config_text(root: Path = ROOT) -> str:
    english = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    body = yaml.safe_dump(
        zh_config(english), allow_unicode=True, sort_keys=False, width=100
    )
    return CONFIG_HEADER + body


# --- check and status -----------------------------------------------------------------


@dataclass
class PageStatus:
    source: Path
    translated: int
    stale: list[str]
    untranslated: list[str]
    complete: bool  # the .po says the page is fully translated

    @property
    def total(self) -> int:
        return self.translated + len(self.stale) + len(self.untranslated)


def page_status(source: Path, root: Path = ROOT) -> PageStatus:
    path = po_path(source, root)
    catalog = load_catalog(path) if path.exists() else None
    cells = markdown_cells(source)
    states = translate_cells(catalog, cells, str(path.relative_to(root)))
    complete = (
        catalog is not None
        and catalog.metadata.get(COMPLETE_HEADER, "no").lower() == "yes"
    )
    return PageStatus(
        source=source,
        translated=sum(state == "translated" for _, state in states.values()),
        stale=[cell_id for cell_id, (_, state) in states.items() if state == "stale"],
        untranslated=[
            cell_id for cell_id, (_, state) in states.items() if state == "untranslated"
        ],
        complete=complete,
    )


def check(root: Path = ROOT, sources: list[Path] | None = None) -> list[str]:
    """Every problem that keeps the two editions out of step; an empty list if none.

    * a stale translation (the English cell changed after it was translated);
    * a missing translation on a page whose ``.po`` says it is complete;
    * a ``.po`` that ``update`` would change (a cell added or removed in English);
    * a committed Chinese page that differs from what ``generate`` writes;
    * a message of the helpers with no current translation (the whole book only).
    """
    problems = []
    if sources is None and (root / i18n_messages.CATALOGUE).parent.is_dir():
        problems += i18n_messages.problems(root)
    for source in sources or book_sources(root):
        name = source.relative_to(root).as_posix()
        path = po_path(source, root)
        if not path.exists():
            problems.append(
                f"{name}: no {path.relative_to(root)}: run `python scripts/i18n.py "
                "update`"
            )
            continue
        try:
            status = page_status(source, root)
        except TranslationError as error:
            problems.append(str(error))
            continue
        for cell_id in status.stale:
            problems.append(
                f"{name}, cell {cell_id}: stale — the English changed after it was "
                f"translated; update the msgstr in {path.relative_to(root)} and remove "
                "its fuzzy flag"
            )
        if status.complete:
            problems.extend(
                f"{name}, cell {cell_id}: not translated, but the page is marked "
                "complete"
                for cell_id in status.untranslated
            )
        catalog = load_catalog(path)
        before = str(catalog)
        update_catalog(catalog, markdown_cells(source))
        if str(catalog) != before:
            problems.append(
                f"{path.relative_to(root)} is behind its English page (cells added or "
                "removed): run `python scripts/i18n.py update`"
            )
        target = edition_path(source, root)
        expected = generated_text(source, root)
        if not target.exists() or target.read_text(encoding="utf-8") != expected:
            problems.append(
                f"{target.relative_to(root)} differs from what `python scripts/i18n.py "
                "generate` writes: run it"
            )
    config = root / EDITION / "_config.yml"
    if (
        sources is None
        and (root / "_config.yml").is_file()
        and (
            not config.exists()
            or config.read_text(encoding="utf-8") != zh_config_text(root)
        )
    ):
        problems.append(
            f"{config.relative_to(root)} differs from what `python scripts/i18n.py "
            "generate` writes from _config.yml: run it"
        )
    return problems


def code_cells_differ(english: Path, chinese: Path) -> list[str]:
    """Ids of a Chinese notebook's code cells that are not byte-identical to English."""
    en = nbformat.read(english, as_version=4)
    zh = nbformat.read(chinese, as_version=4)
    en_code = [(c.id, c.source) for c in en.cells if c.cell_type == "code"]
    zh_code = [(c.id, c.source) for c in zh.cells if c.cell_type == "code"]
    if [i for i, _ in en_code] != [i for i, _ in zh_code]:
        return ["<the code cells differ in number or order>"]
    differ = [i for (i, a), (_, b) in zip(en_code, zh_code, strict=True) if a != b]
    if differ and differ[0] == en_code[0][0] and SETUP_LINE_ZH is not None:
        if localise_setup_cell(en_code[0][1]) == zh_code[0][1]:
            differ = differ[1:]
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "command", choices=["update", "generate", "check", "status", "messages"]
    )
    parser.add_argument(
        "pages",
        nargs="*",
        type=Path,
        help="English pages (default: every page in _toc.yml)",
    )
    args = parser.parse_args(argv)
    try:
        sources = [p.resolve() for p in args.pages] or None
        for page in sources or []:
            if not page.is_file():
                print(f"error: {page} does not exist", file=sys.stderr)
                return 2
        if args.command == "update":
            print("\n".join(update(ROOT, sources)))
        elif args.command == "messages":
            print("\n".join(i18n_messages.update(ROOT)))
        elif args.command == "generate":
            print("\n".join(generate(ROOT, sources)))
        elif args.command == "status":
            for source in sources or book_sources(ROOT):
                s = page_status(source, ROOT)
                mark = " (complete)" if s.complete else ""
                print(
                    f"{s.source.relative_to(ROOT).as_posix()}: "
                    f"{s.translated}/{s.total} translated, {len(s.stale)} stale{mark}"
                )
        else:
            problems = check(ROOT, sources)
            for problem in problems:
                print(problem, file=sys.stderr)
            if problems:
                print(
                    f"{len(problems)} problem(s): the Chinese edition is out of step",
                    file=sys.stderr,
                )
                return 1
            print("the Chinese edition is in step with the English one")
    except TranslationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
