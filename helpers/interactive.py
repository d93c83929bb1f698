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
            raise ValueError(f"{name} is empty: type a number")
        try:
            value = float(stripped)
        except ValueError:
            raise ValueError(
                f"{name} must be a number such as 0.1, got {text!r}"
            ) from None
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {text!r}")
    else:
        value = text
    # no interval to state: any finite real number will do
    if low is None and high is None:
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not math.isfinite(value)
        ):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
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
        raise ValueError(f"{name} must be text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"{name} is empty: type some text")
    if len(stripped) > max_chars:
        raise ValueError(
            f"{name} is {len(stripped):,} characters long: keep it under {max_chars:,}"
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
            f"{name} has {len(lines):,} lines: keep it to {max_lines:,} or fewer"
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
        raise ValueError(f"{name} needs exactly {count} numbers, got {len(items)}")
    return [parse_number(item, f"{name}, item {i + 1}") for i, item in enumerate(items)]


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
            print(f"⚠️ {error}")
            return None

    return wrapper
