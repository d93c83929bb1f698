"""The language the helpers speak to the reader: English, or Chinese (中文).

The Chinese notebooks' set-up cell calls ``runtime.setup(language="zh")``. From then
on what the helpers say to the reader is Chinese: exercise checks and their hints,
the data sets' provenance lines, widget messages, errors about bad input. Labels
that a notebook writes itself go through :func:`tr`, so the same code cell gives
an English widget in the English notebook and a Chinese one in the Chinese
notebook.

The translations live in ``helpers/locale/zh_CN.po`` (gettext: the ``msgid`` is the
English text, placeholders are ``str.format`` fields); ``python scripts/i18n.py
messages`` collects the texts to translate from the helpers and the notebooks, and
``check`` fails while one lacks its translation. A text missing from the catalogue
is shown in English, never dropped.

A message is kept as a :class:`Message` — its English template and its fields —
and rendered when it is shown, in any language: the book executes each notebook
once, in English, and the Chinese site shows the Chinese text of that same run
(see "one execution, two editions" below and ``scripts/execute_book.py``).

Examples
--------
>>> message = Message("expected {want}, got {got}", want=3, got=4)
>>> message.render("en")
'expected 3, got 4'
>>> message.render("zh")
'应为 3，得到 4'
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

LANGUAGES = ("en", "zh")
# Spellings a reader may use for a language, all meaning the same edition.
_ALIASES = {
    "en": "en",
    "english": "en",
    "zh": "zh",
    "zh_cn": "zh",
    "zh-cn": "zh",
    "zh-hans": "zh",
    "chinese": "zh",
    "中文": "zh",
}
CATALOGUES = {"zh": Path(__file__).parent / "locale" / "zh_CN.po"}

_language = "en"


def set_language(language: str) -> str:
    """Choose the language of the helpers' messages; return its code (``en``, ``zh``).

    Raises
    ------
    ValueError
        If the language is not one the course is written in.
    """
    code = _ALIASES.get(str(language).strip().lower()) if language else None
    if code is None:
        raise ValueError(
            f"language must be 'en' (English) or 'zh' (中文), got {language!r}"
        )
    global _language
    _language = code
    return code


def current_language() -> str:
    """The language the helpers speak now (``"en"`` until :func:`set_language`)."""
    return _language


@functools.cache
def catalogue(language: str) -> dict[str, str]:
    """English text → translation, for ``language`` (empty for English).

    Entries marked fuzzy (their English changed since they were translated) and
    untranslated ones are left out: their English is shown.
    """
    if language == "en":
        return {}
    path = CATALOGUES[language]
    try:
        import polib
    except ModuleNotFoundError:  # an old installation: English rather than a crash
        return {}
    return {
        entry.msgid: entry.msgstr
        for entry in polib.pofile(str(path))
        if entry.msgstr and not entry.fuzzy and not entry.obsolete
    }


def translate(text: str, language: str | None = None) -> str:
    """``text`` in ``language`` (default: the current one); as it is if untranslated."""
    language = language or _language
    return catalogue(language).get(text, text) if language != "en" else text


def tr(text: str) -> str:
    """A label in the notebook's language, e.g. ``description=tr("learning rate")``."""
    if _recording():
        _record("label", text, {lang: translate(text, lang) for lang in LANGUAGES})
    return translate(text)


class Message:
    """A text for the reader, rendered in the current language when it is shown.

    ``Message(template, **fields)``: the template is the English text; with fields
    it is a :meth:`str.format` template (literal braces doubled), without fields it
    is shown as it is. A field may itself be a :class:`Message`, rendered in the
    same language.
    """

    __slots__ = ("template", "fields")

    def __init__(self, template: str, /, **fields) -> None:
        self.template = str(template)
        self.fields = fields

    def render(self, language: str | None = None) -> str:
        language = language or _language
        text = translate(self.template, language)
        if not self.fields:
            return text
        values = {
            name: value.render(language) if isinstance(value, Message) else value
            for name, value in self.fields.items()
        }
        return text.format(**values)

    def renderings(self) -> dict[str, str]:
        """The message in every language of the course."""
        return {language: self.render(language) for language in LANGUAGES}

    def __str__(self) -> str:
        text = self.render()
        if _recording():
            _record("message", text, self.renderings())
        return text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"Message({self.template!r}, **{self.fields!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Message) and (self.template, self.fields) == (
            other.template,
            other.fields,
        )

    def __hash__(self) -> int:
        return hash(self.template)

    def __reduce__(self):  # exceptions carrying a Message survive pickling
        return (_rebuild, (self.template, self.fields))


def _rebuild(template: str, fields: dict) -> Message:
    return Message(template, **fields)  # i18n: rebuilt from a collected one


def tried_first(line: Message, failures: list[str]) -> Message:
    """``line`` followed by what the sources tried before the one that worked said."""
    if not failures:
        return line
    return Message(
        "{line} (tried first: {failures})", line=line, failures="; ".join(failures)
    )


def error_text(error: BaseException) -> Message | str:
    """The message an exception was raised with, kept translatable when it is one."""
    if len(error.args) == 1 and isinstance(error.args[0], Message):
        return error.args[0]
    return str(error)


# --- one execution, two editions ------------------------------------------------
#
# The book executes each notebook once, in English. With COURSE_I18N_RECORD naming a
# file, every message the helpers show and every label tr() gives is also written
# there in both languages, and scripts/execute_book.py turns the English outputs into
# the Chinese edition's: a line of output that is exactly a recorded message becomes
# its Chinese rendering, a widget label its translation. Nothing else is touched.

RECORD_ENV = "COURSE_I18N_RECORD"
_recorded: set[tuple[str, str]] = set()


def _recording() -> bool:
    """Whether to write messages down: an English run with a record file named."""
    return _language == "en" and bool(os.environ.get(RECORD_ENV))


def _record(kind: str, english: str, renderings: dict[str, str]) -> None:
    if (kind, english) in _recorded:
        return
    _recorded.add((kind, english))
    line = json.dumps({"kind": kind, **renderings}, ensure_ascii=False)
    # One short append per message: lines from several kernels do not interleave.
    with open(os.environ[RECORD_ENV], "a", encoding="utf-8") as log:
        log.write(line + "\n")


def recorded_translations(path: Path, language: str) -> tuple[dict, dict]:
    """The lines and labels recorded in ``path``: English → ``language``.

    Returns ``(lines, labels)``. A message of several lines gives one entry per line
    that differs when both languages have as many lines, else one entry for the
    whole text.
    """
    lines: dict[str, str] = {}
    labels: dict[str, str] = {}
    if not Path(path).exists():
        return lines, labels
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        entry = json.loads(raw)
        english, other = entry["en"], entry.get(language, entry["en"])
        if english == other:
            continue
        if entry["kind"] == "label":
            labels[english] = other
            continue
        english_lines, other_lines = english.splitlines(), other.splitlines()
        if len(english_lines) == len(other_lines):
            pairs = zip(english_lines, other_lines, strict=True)
            lines.update((a, b) for a, b in pairs if a != b)  # e.g. an array's rows
        else:
            lines[english] = other
    return lines, labels
