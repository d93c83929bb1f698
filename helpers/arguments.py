"""Checks of the arguments that ``helpers`` functions take, with one wording for all.

A reader who passes ``batch_size=0``, ``epochs=2.5`` or ``k=True`` should get the same
clear sentence from every function, not a traceback from deep inside torch.
"""

from __future__ import annotations

import numbers


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
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        wanted = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer ≥ {minimum}")
        raise ValueError(f"{name} must be {wanted}, got {value!r}")
    return int(value)
