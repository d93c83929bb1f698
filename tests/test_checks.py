"""Unit tests of helpers.checks."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import torch

from helpers import checks


def test_doctests():
    assert doctest.testmod(checks).failed == 0


def test_close_numbers_and_tensors_pass():
    assert checks.check_close(torch.tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]))
    assert checks.check_close(np.float32(0.1) * 3, 0.3, rtol=1e-6)


def test_wrong_value_fails_with_the_numbers_and_the_hint():
    result = checks.check_close(2.0, 3.0, hint="add the bias")
    assert not result
    assert (
        "expected 3" in result.message
        and "got 2" in result.message
        and "add the bias" in result.message
    )
    assert result.message.startswith("❌")


def test_wrong_shape_is_named():
    result = checks.check_close(np.zeros((2, 3)), np.zeros((3, 2)))
    assert not result and "shape (3, 2)" in result.message


def test_largest_difference_is_located():
    result = checks.check_close(np.array([[1, 2], [3, 9]]), np.array([[1, 2], [3, 4]]))
    assert "index (1, 1)" in result.message


def test_unanswered_exercise():
    assert "no answer yet" in checks.check_close(..., 1.0).message
    assert "no answer yet" in checks.check_equal(..., 1).message


def test_non_numeric_answer_is_a_clear_type_error():
    with pytest.raises(TypeError, match="answer must be a number"):
        checks.check_close("seven", 7)


def test_check_equal():
    assert checks.check_equal((4, 3), (4, 3))
    assert "expected 'ReLU'" in checks.check_equal("relu", "ReLU").message


def test_check_function_reports_the_failing_input_and_exceptions():
    assert checks.check_function(lambda x: x * x, lambda x: x**2, [0, 1.5, -2])
    wrong = checks.check_function(lambda x: 2 * x, lambda x: x**2, [0, 3])
    assert not wrong and "for input 3" in wrong.message
    crash = checks.check_function(lambda x: 1 / x, lambda x: 1 / (x + 1e-12), [0])
    assert not crash and "ZeroDivisionError" in crash.message


def test_results_render_in_notebooks():
    assert "#1a7f37" in checks.check_equal(1, 1)._repr_html_()
    assert "&lt;" in checks.check_equal("<", ">")._repr_html_()


@pytest.mark.parametrize(
    ("answer", "expected", "passed"),
    [
        (
            np.array([1, 2]),
            np.array([1, 2]),
            True,
        ),  # was: "truth value of an array is ambiguous"
        (np.array([1, 2]), [1, 3], False),
        (torch.tensor([1, 2]), [1, 2], True),
        (np.array([1, 2]), [[1, 2]], False),  # same numbers, another shape
        ((3, 4), (3, 4), True),
        (float("nan"), float("nan"), True),  # was ❌ "expected nan, got nan"
        ("abc", np.array([1]), False),
    ],
)
def test_check_equal_compares_arrays_and_tensors_element_wise(answer, expected, passed):
    assert bool(checks.check_equal(answer, expected)) is passed


def test_check_function_refuses_no_inputs_and_reports_non_numbers():
    with pytest.raises(ValueError, match="inputs is empty"):  # was ✅ for any function
        checks.check_function(abs, abs, [])
    with pytest.raises(TypeError, match="inputs must be a list"):
        checks.check_function(abs, abs, 5)
    # was a TypeError out of the checker
    result = checks.check_function(lambda v: "x", abs, [1])
    assert not result and "returned str 'x'" in result.message


@pytest.mark.parametrize(
    "tolerance", [{"rtol": -1}, {"atol": float("nan")}, {"rtol": "0.1"}]
)
def test_tolerances_must_be_non_negative_numbers(tolerance):
    with pytest.raises(ValueError, match="tol must be a finite number ≥ 0"):
        checks.check_close(1.0, 1.0, **tolerance)
