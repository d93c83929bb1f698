"""Checks of the arguments that ``helpers`` functions take, with one wording for all.

A reader who passes ``batch_size=0``, ``epochs=2.5`` or ``k=True`` should get the same
clear sentence from every function, not a traceback from deep inside torch.
"""

from __future__ import annotations

import math
import numbers

from .i18n import Message


def argument_name(name) -> Message | str:
    """An argument's name for a message: words (``"learning rate"``) are translated,
    an identifier (``batch_size``) stays as the reader types it in code."""
    if isinstance(name, Message) or " " not in name:
        return name
    return Message(name)  # i18n: names are collected from the calls


def integer(value, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` if it is a whole number ≥ ``minimum``; else raise.

    Parameters
    ----------
    value
        What the caller passed. Python and numpy integers are accepted; ``bool``
        is not (``True`` is an ``int`` to Python but never a sensible count).
    name : str
        The argument's name, for the message.
    minimum : int
        The smallest allowed value.

    Raises
    ------
    ValueError
        Naming the argument, what it must be and what it was.

    Examples
    --------
    >>> integer(32, "batch_size")
    32
    >>> integer(True, "batch_size")
    Traceback (most recent call last):
    ...
    ValueError: batch_size must be a positive integer, got True
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < minimum
    ):
        if minimum in (0, 1):
            wanted = Message(("a non-negative integer", "a positive integer")[minimum])
        else:
            wanted = Message("an integer ≥ {minimum}", minimum=minimum)
        raise ValueError(must_be(name, wanted, value))
    return int(value)


def must_be(name, wanted: Message, value) -> Message:
    """The one sentence for a bad argument: what it must be and what it was."""
    return Message(
        "{name} must be {wanted}, got {value}",
        name=argument_name(name),
        wanted=wanted,
        value=repr(value),
    )


def _finite_number(low, high, low_open: bool, high_open: bool) -> Message:
    """A finite number ``in [0, 1)``, ``> 0`` or ``≤ 5``, in the usual notation."""
    if low is None and high is None:
        return Message("a finite number")
    if high is None:
        bound = f"{'>' if low_open else '≥'} {low:g}"
    elif low is None:
        bound = f"{'<' if high_open else '≤'} {high:g}"
    else:
        interval = (
            f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        )
        return Message("a finite number in {interval}", interval=interval)
    return Message("a finite number {bound}", bound=bound)


def number(
    value,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a ``float`` if it is a finite real number in the interval,
    else raise.

    Parameters
    ----------
    value
        What the caller passed. Python, numpy and 0-d torch numbers are accepted;
        ``bool``, strings, NaN and infinities are not.
    name : str
        The argument's name, for the message.
    low, high
        Bounds of the interval (``None``: unbounded on that side).
    low_open, high_open
        Exclude the bound itself (``(0, 1)`` rather than ``[0, 1]``).

    Raises
    ------
    ValueError
        Naming the argument, the interval and what it was.

    Examples
    --------
    >>> number(0.5, "ink_threshold", low=0, high=1, high_open=True)
    0.5
    >>> number(1.0, "ink_threshold", low=0, high=1, high_open=True)
    Traceback (most recent call last):
    ...
    ValueError: ink_threshold must be a finite number in [0, 1), got 1.0
    """
    wanted = _finite_number(low, high, low_open, high_open)
    # numpy or torch scalars
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
    ):
        raise ValueError(must_be(name, wanted, value))
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise ValueError(must_be(name, wanted, value))
    return float(value)


def positive_number(value, name: str) -> float:
    """Return ``value`` as a ``float`` if it is a finite number > 0
    (a learning rate, a scale).

    >>> positive_number(0, "lr")
    Traceback (most recent call last):
    ...
    ValueError: lr must be a finite number > 0, got 0
    """
    return number(value, name, low=0, low_open=True)


def fraction(value, name: str) -> float:
    """Return ``value`` as a ``float`` if it lies strictly between 0 and 1
    (a share of the data).

    >>> fraction(1, "fraction")
    Traceback (most recent call last):
    ...
    ValueError: fraction must be a finite number in (0, 1), got 1
    """
    return number(value, name, low=0, high=1, low_open=True, high_open=True)


def probability(value, name: str) -> float:
    """Return ``value`` as a ``float`` if it lies in ``[0, 1]``
    (a probability, a threshold)."""
    return number(value, name, low=0, high=1)


def _is_bool(value) -> bool:
    kind = type(value)  # numpy's bool is recognised without importing numpy
    return isinstance(value, bool) or (
        kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_")
    )


def choice(value, name: str, options):
    """Return ``value`` if it is one of ``options``; else raise, listing them.

    ``True`` does not count as ``1`` (nor ``1`` as ``True``): for a flag that
    may be ``"auto"``, ``True`` or ``False``, a ``1`` is refused.

    >>> choice("mnist", "style", ("mnist", "fashion"))
    'mnist'
    >>> choice("digits", "style", ("mnist", "fashion"))
    Traceback (most recent call last):
    ...
    ValueError: style must be one of 'mnist', 'fashion'; got 'digits'
    """
    options = tuple(options)
    for option in options:
        try:
            same = _is_bool(value) == _is_bool(option) and bool(value == option)
        except (TypeError, ValueError):  # an array compared with a string, say
            same = False
        if same:
            return option
    listed = ", ".join(repr(option) for option in options)
    raise ValueError(
        Message(
            "{name} must be one of {options}; got {value}",
            name=argument_name(name),
            options=listed,
            value=f"{value!r:.60}",
        )
    )
