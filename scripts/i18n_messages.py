"""The helpers' messages to the reader, collected for their translation catalogue.

    python scripts/i18n.py messages   # code → helpers/locale/zh_CN.po: new/obsolete
    python scripts/i18n.py check      # also fails on an untranslated message

What is collected (``helpers/i18n.py`` explains how the texts are shown):

* the template of every ``Message("...")`` in ``helpers/`` (every string in its
  first argument, so ``Message("a" if x else "b")`` gives both);
* every ``tr("...")`` label, in ``helpers/`` and in the English notebooks;
* every ``hint="..."`` that a notebook gives an exercise checker;
* the names given in words to the argument checks (``parse_number(text, "learning
  rate")``): a name with a space is translated, an identifier such as ``batch_size``
  is not (it is what the reader types in code).

The catalogue follows gettext's conventions like the pages' catalogues: a new
text gets an empty entry, a text no longer in the code becomes obsolete (``#~``),
and the translation of a text that comes back is kept.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

import nbformat
import polib

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = Path("helpers/locale/zh_CN.po")
# helpers' argument checks and the widget input parsers: (function, position of name)
NAMED_CHECKS = {
    "integer": 1,
    "number": 1,
    "positive_number": 1,
    "fraction": 1,
    "probability": 1,
    "choice": 1,
    "parse_number": 1,
    "parse_numbers": 1,
    "clean_text": 1,
    "text_lines": 1,
}


def _called(node: ast.Call) -> str | None:
    function = node.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else None


def _strings(node: ast.AST) -> list[str]:
    return [
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def texts_in_code(source: str, *, notebook: bool) -> list[tuple[str, int]]:
    """The translatable texts of one piece of Python code, with their lines."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: such a cell has nothing to translate
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = _called(node)
        if called == "tr" and node.args:
            found += [(text, node.lineno) for text in _strings(node.args[0])]
        elif called == "Message" and node.args and not notebook:
            found += [(text, node.lineno) for text in _strings(node.args[0])]
        if called in NAMED_CHECKS:
            position = NAMED_CHECKS[called]
            name = next((k.value for k in node.keywords if k.arg == "name"), None)
            if name is None and len(node.args) > position:
                name = node.args[position]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                if " " in name.value:
                    found.append((name.value, node.lineno))
        if notebook:
            for keyword in node.keywords:
                if keyword.arg == "hint" and isinstance(keyword.value, ast.Constant):
                    if keyword.value.value:
                        found.append((keyword.value.value, node.lineno))
    return found


# On the line of a Message whose text is not written in the call, this comment says
# where its texts come from instead (the names of arguments, the notebooks' hints…).
DYNAMIC = "# i18n:"


def uncollected(root: Path = ROOT) -> list[str]:
    """``Message(...)`` calls in ``helpers/`` whose text this script cannot see.

    The English text of a message must be written in the call (a string, or strings
    in an expression), or the line must say with ``# i18n: …`` where its texts are
    collected; otherwise its translation would silently go missing.
    """
    found = []
    for path in sorted((root / "helpers").rglob("*.py")):
        code = path.read_text(encoding="utf-8")
        lines = code.splitlines()
        for node in ast.walk(ast.parse(code)):
            if not (isinstance(node, ast.Call) and _called(node) == "Message"):
                continue
            if not node.args or _strings(node.args[0]):
                continue
            span = lines[node.lineno - 1 : node.end_lineno]
            if not any(DYNAMIC in line for line in span):
                where = path.relative_to(root).as_posix()
                found.append(
                    f"{where}:{node.lineno}: Message(...) with no text in the call: "
                    "write the English there, or say where it is collected "
                    f"({DYNAMIC} …)"
                )
    return found


def collect(root: Path = ROOT) -> dict[str, list[tuple[str, str]]]:
    """Every text to translate → where it occurs (``(file, line)``), sorted by file."""
    texts: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((root / "helpers").rglob("*.py")):
        where = path.relative_to(root).as_posix()
        for text, line in texts_in_code(
            path.read_text(encoding="utf-8"), notebook=False
        ):
            texts.setdefault(text, []).append((where, str(line)))
    for path in sorted((root / "chapters").glob("*.ipynb")):
        where = path.relative_to(root).as_posix()
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for text, _ in texts_in_code(cell.source, notebook=True):
                texts.setdefault(text, []).append((where, cell.id))
    return texts


def fields(text: str) -> set[str]:
    """The ``str.format`` field names of a template (an empty set for plain text)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:  # a lone brace: plain text, shown as it is
        return set()


def update(root: Path = ROOT) -> list[str]:
    """Bring the catalogue in step with the code; return a line saying what changed."""
    path = root / CATALOGUE
    if path.exists():
        catalogue = polib.pofile(str(path), wrapwidth=0)
    else:
        catalogue = polib.POFile(wrapwidth=0)
        catalogue.metadata = {
            "Project-Id-Version": "lm4f-helpers",
            "Language": "zh_CN",
            "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit",
        }
    texts = collect(root)
    known = {entry.msgid: entry for entry in catalogue}
    added = 0
    for text, places in texts.items():
        entry = known.get(text)
        if entry is None:
            entry = polib.POEntry(msgid=text, msgstr="")
            catalogue.append(entry)
            added += 1
        entry.obsolete = False
        entry.occurrences = places
        flags = [f for f in entry.flags if f != "python-brace-format"]
        entry.flags = flags + (["python-brace-format"] if fields(text) else [])
    retired = 0
    for entry in catalogue:
        if entry.msgid not in texts and not entry.obsolete:
            entry.obsolete = True
            retired += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    catalogue.save(str(path))
    return [f"{CATALOGUE}: {len(texts)} texts, {added} new, {retired} obsolete"]


def problems(root: Path = ROOT) -> list[str]:
    """What keeps the catalogue from matching the code: missing or broken entries."""
    path = root / CATALOGUE
    if not path.exists():
        return [f"{CATALOGUE} is missing: run `python scripts/i18n.py messages`"]
    catalogue = polib.pofile(str(path))
    entries = {entry.msgid: entry for entry in catalogue if not entry.obsolete}
    found = uncollected(root)
    for text in collect(root):
        entry = entries.get(text)
        if entry is None:
            found.append(f"{CATALOGUE}: no entry for {text!r} (run `make i18n`)")
        elif not entry.msgstr or entry.fuzzy:
            found.append(f"{CATALOGUE}: {text!r} is not translated")
        elif fields(entry.msgstr) != fields(text):
            found.append(
                f"{CATALOGUE}: the translation of {text!r} has the fields "
                f"{sorted(fields(entry.msgstr))}, the English {sorted(fields(text))}"
            )
    return found
