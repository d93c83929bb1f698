"""Reader input for the interactive cells: checked, with a clear message on bad input.

A widget hands its callback whatever the reader typed or chose. These helpers turn that
into a clean value or a ``ValueError`` whose message says what is wrong and what to do,
and :func:`explain_errors` shows that message in place of a traceback.
"""

from __future__ import annotations

import functools
import math
import numbers

from helpers import arguments
from helpers.arguments import argument_name, must_be
from helpers.i18n import Message, error_text


def parse_number(
    text,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Read a number the reader typed (``"0.1"``, ``" 1e-3 "``) and check its range.

    Parameters
    ----------
    text : str or number
        What the widget returned. Numbers pass straight to the range check.
    name : str
        What the number is, for the message.
    low, high, low_open, high_open
        The allowed interval, as in :func:`helpers.arguments.number`.

    Raises
    ------
    ValueError
        When the text is empty, is not a number, or is outside the interval.

    Examples
    --------
    >>> parse_number(" 0.5 ", "learning rate", low=0, low_open=True)
    0.5
    >>> parse_number("fast", "learning rate")
    Traceback (most recent call last):
    ...
    ValueError: learning rate must be a number such as 0.1, got 'fast'
    """
    if isinstance(text, str):
        stripped = text.strip()
        if not stripped:
            raise ValueError(
                Message("{name} is empty: type a number", name=argument_name(name))
            )
        try:
            value = float(stripped)
        except ValueError:
            raise ValueError(
                Message(
                    "{name} must be a number such as 0.1, got {text}",
                    name=argument_name(name),
                    text=repr(text),
                )
            ) from None
        if not math.isfinite(value):
            raise ValueError(must_be(name, Message("a finite number"), text))
    else:
        value = text
    # no interval to state: any finite real number will do
    if low is None and high is None:
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not math.isfinite(value)
        ):
            raise ValueError(must_be(name, Message("a finite number"), value))
        return float(value)
    return arguments.number(
        value, name, low=low, high=high, low_open=low_open, high_open=high_open
    )


def clean_text(text, name: str, *, max_chars: int = 2_000) -> str:
    """Return the reader's text stripped; refuse empty or over-long text.

    Examples
    --------
    >>> clean_text("  how do I pay?  ", "question")
    'how do I pay?'
    >>> clean_text("   ", "question")
    Traceback (most recent call last):
    ...
    ValueError: question is empty: type some text
    """
    max_chars = arguments.integer(max_chars, "max_chars")
    if not isinstance(text, str):
        raise ValueError(
            Message(
                "{name} must be text, got {kind}",
                name=argument_name(name),
                kind=type(text).__name__,
            )
        )
    stripped = text.strip()
    if not stripped:
        raise ValueError(
            Message("{name} is empty: type some text", name=argument_name(name))
        )
    if len(stripped) > max_chars:
        raise ValueError(
            Message(
                "{name} is {length:,} characters long: keep it under {limit:,}",
                name=argument_name(name),
                length=len(stripped),
                limit=max_chars,
            )
        )
    return stripped


def text_lines(
    text, name: str, *, max_lines: int = 200, max_chars: int = 20_000
) -> list[str]:
    """Split the reader's text into non-blank lines (one item per line), each stripped.

    Examples
    --------
    >>> text_lines("first\\n\\n  second \\n", "documents")
    ['first', 'second']
    """
    max_lines = arguments.integer(max_lines, "max_lines")
    lines = [
        line.strip()
        for line in clean_text(text, name, max_chars=max_chars).splitlines()
    ]
    lines = [line for line in lines if line]
    if len(lines) > max_lines:
        raise ValueError(
            Message(
                "{name} has {count:,} lines: keep it to {limit:,} or fewer",
                name=argument_name(name),
                count=len(lines),
                limit=max_lines,
            )
        )
    return lines


def parse_numbers(text, name: str, *, count: int) -> list[float]:
    """Read exactly ``count`` numbers separated by commas, spaces or new lines.

    Examples
    --------
    >>> parse_numbers("1, 0, -1", "row", count=3)
    [1.0, 0.0, -1.0]
    """
    count = arguments.integer(count, "count")
    items = clean_text(text, name).replace(",", " ").split()
    if len(items) != count:
        raise ValueError(
            Message(
                "{name} needs exactly {count} numbers, got {got}",
                name=argument_name(name),
                count=count,
                got=len(items),
            )
        )
    return [
        parse_number(
            item, Message("{name}, item {i}", name=argument_name(name), i=i + 1)
        )
        for i, item in enumerate(items)
    ]


def explain_errors(function):
    """Wrap a widget callback: a ``ValueError`` is printed as one line, not raised.

    Only ``ValueError`` — the error these helpers and :mod:`helpers.arguments` raise for
    bad input — is caught; a bug of any other kind still shows its traceback.

    Examples
    --------
    >>> @explain_errors
    ... def half(text):
    ...     return parse_number(text, "x") / 2
    >>> half("4")
    2.0
    >>> half("four")
    ⚠️ x must be a number such as 0.1, got 'four'
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ValueError as error:
            print(Message("⚠️ {error}", error=error_text(error)))
            return None

    return wrapper
