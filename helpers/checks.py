"""Exercise checkers: ✅ when the reader's answer is right, ❌ with a hint when not.

A checker never raises on a wrong answer (the reader is learning, not
failing a test); it returns a :class:`Result` that prints itself and is truthy
only when the answer passed, so a solution cell can ``assert`` it.

Examples
--------
>>> check_close(0.1 + 0.2, 0.3)
✅ Correct.
>>> check_equal((3, 4), (4, 3), hint="rows come first")
❌ Not yet: expected (4, 3), got (3, 4). Hint: rows come first
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape

import numpy as np

from .arguments import number
from .i18n import Message
from .tensors import to_numpy


@dataclass(frozen=True)
class Result:
    """The outcome of one check: whether it passed and what to tell the reader.

    ``text`` is kept as a :class:`~helpers.i18n.Message`, shown in the notebook's
    language; ``message`` is that text as a string.
    """

    passed: bool
    text: Message

    @property
    def message(self) -> str:
        return str(self.text)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.passed else "#cf222e"
        return (
            f'<div style="color:{colour};font-weight:600">{escape(self.message)}</div>'
        )


@dataclass(frozen=True, repr=False)
class Failure(Result):
    """A failed check, with what was wrong (``detail``) apart from the hint."""

    detail: Message | None = None


def _result(passed: bool, detail: Message | None, hint: str) -> Result:
    if passed:
        return Result(True, Message("✅ Correct."))
    if hint:
        # The hint is the notebook's English text; its translation is in the catalogue.
        hint = Message(hint)  # i18n: hints are collected from the notebooks
        text = Message("❌ Not yet: {detail}. Hint: {hint}", detail=detail, hint=hint)
    else:
        text = Message("❌ Not yet: {detail}.", detail=detail)
    return Failure(False, text, detail)


NO_ANSWER = Message("no answer yet (replace the `...`)")


def _as_array(value, name: str) -> np.ndarray:
    """Turn numbers, lists, numpy arrays and torch/TF tensors into a float array."""
    try:
        return np.asarray(to_numpy(value), dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be a number or an array of numbers, got "
            f"{type(value).__name__}"
        ) from error


def check_close(
    answer, expected, *, rtol: float = 1e-6, atol: float = 1e-9, hint: str = ""
) -> Result:
    """Check a number or array against the expected value within a tolerance.

    Parameters
    ----------
    answer, expected
        Numbers, sequences, numpy arrays or torch/TensorFlow tensors.
    rtol, atol
        Relative and absolute tolerance, as in :func:`numpy.allclose`.
    hint
        Shown when the answer is wrong.
    """
    rtol, atol = number(rtol, "rtol", low=0), number(atol, "atol", low=0)
    if answer is None or answer is Ellipsis:
        return _result(False, NO_ANSWER, hint)
    got, want = _as_array(answer, "answer"), _as_array(expected, "expected")
    if got.shape != want.shape:
        detail = Message(
            "expected shape {want}, got shape {got}", want=want.shape, got=got.shape
        )
        return _result(False, detail, hint)
    if np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        return _result(True, None, hint)
    if want.ndim == 0:
        detail = Message(
            "expected {want}, got {got}",
            want=f"{want.item():.6g}",
            got=f"{got.item():.6g}",
        )
        return _result(False, detail, hint)
    worst = np.unravel_index(np.argmax(np.abs(got - want)), want.shape)
    detail = Message(
        "largest difference at index {index}: expected {want}, got {got}",
        index=tuple(int(i) for i in worst),
        want=f"{want[worst]:.6g}",
        got=f"{got[worst]:.6g}",
    )
    return _result(False, detail, hint)


def check_equal(answer, expected, *, hint: str = "") -> Result:
    """Check an exact answer (a shape, a label, a word, a count)."""
    if answer is Ellipsis:
        return _result(False, NO_ANSWER, hint)
    detail = Message(
        "expected {want}, got {got}", want=repr(expected), got=repr(answer)
    )
    return _result(_same(answer, expected), detail, hint)


def _same(answer, expected) -> bool:
    """Exact equality, also for NaN and arrays or tensors (element-wise, same shape)."""
    if any(
        hasattr(v, "shape") and getattr(v, "ndim", 0) > 0 for v in (answer, expected)
    ):
        try:
            got, want = _as_array(answer, "answer"), _as_array(expected, "expected")
        except TypeError:
            return False
        return got.shape == want.shape and bool(
            np.array_equal(got, want, equal_nan=True)
        )
    if (
        isinstance(answer, float)
        and isinstance(expected, float)
        and np.isnan(answer)
        and np.isnan(expected)
    ):
        return True
    try:
        return bool(answer == expected)
    except (TypeError, ValueError, RuntimeError):  # e.g. a 0-d tensor against a list
        return False


def check_function(
    function: Callable,
    reference: Callable,
    inputs: Iterable,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    hint: str = "",
) -> Result:
    """Check that the reader's ``function`` agrees with ``reference`` on every input.

    An exception inside the reader's function is reported as a failed check
    (with its message), not raised.

    Raises
    ------
    TypeError, ValueError
        If ``inputs`` is not a non-empty collection (a check on no input would pass
        whatever the function does).
    """
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):
        raise TypeError(
            f"inputs must be a list of inputs to try, got {type(inputs).__name__}"
        )
    inputs = list(inputs)
    if not inputs:
        raise ValueError("inputs is empty: a check on no input would pass any function")
    for x in inputs:
        try:
            got = function(x)
        except (
            Exception
        ) as error:  # the reader's code: report, do not crash the notebook
            detail = Message(
                "calling it on {x} raised {error}",
                x=repr(x),
                error=f"{type(error).__name__}: {error}",
            )
            return _result(False, detail, hint)
        try:
            outcome = check_close(got, reference(x), rtol=rtol, atol=atol)
        # the reader's function returned text, a dict…: a wrong answer
        except TypeError:
            detail = Message(
                "for input {x}: it returned {kind} {value}, not a number or an array "
                "of numbers",
                x=repr(x),
                kind=type(got).__name__,
                value=f"{got!r:.40}",
            )
            return _result(False, detail, hint)
        if not outcome:
            detail = Message(
                "for input {x}: {detail}", x=repr(x), detail=outcome.detail
            )
            return _result(False, detail, hint)
    return _result(True, None, hint)
