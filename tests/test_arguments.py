"""One wording for bad counts across helpers, and ``True`` is never a count."""

import numpy as np
import pytest
import torch

from helpers import arguments, recommend, runtime, train


@pytest.mark.parametrize("value", [1, 7, np.int64(3)])
def test_whole_numbers_at_or_above_the_minimum_pass_as_int(value):
    result = arguments.integer(value, "n")
    assert result == int(value) and type(result) is int


@pytest.mark.parametrize(
    ("value", "minimum", "wanted"),
    [
        (0, 1, "n must be a positive integer, got 0"),
        (True, 1, "n must be a positive integer, got True"),
        (2.0, 1, "n must be a positive integer, got 2.0"),
        ("3", 1, "n must be a positive integer, got '3'"),
        (-1, 0, "n must be a non-negative integer, got -1"),
        (4, 5, "n must be an integer ≥ 5, got 4"),
    ],
)
def test_bad_values_are_named_with_what_was_wanted(value, minimum, wanted):
    with pytest.raises(ValueError) as error:
        arguments.integer(value, "n", minimum)
    assert str(error.value) == wanted


def test_the_helpers_share_it():
    x, y = torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)
    with pytest.raises(
        ValueError, match="batch_size must be a positive integer, got True"
    ):
        train.TensorLoader(x, y, batch_size=True)  # accepted as a batch of one before
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        runtime.seed_everything(-1)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        recommend.popular_items(None, k=0)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: arguments.number(3, "x"), 3.0),
        (lambda: arguments.number(np.float32(0.5), "x", low=0, high=1), 0.5),
        (lambda: arguments.number(torch.tensor(2.0), "x", low=2), 2.0),
        (lambda: arguments.positive_number(1e-9, "lr"), 1e-9),
        (lambda: arguments.fraction(0.25, "share"), 0.25),
        (lambda: arguments.probability(1, "p"), 1.0),
        (lambda: arguments.probability(0, "p"), 0.0),
    ],
)
def test_numbers_inside_their_interval_pass_as_float(call, expected):
    result = call()
    assert result == expected and type(result) is float


@pytest.mark.parametrize(
    ("call", "wanted"),
    [
        (
            lambda: arguments.number(float("nan"), "x"),
            "x must be a finite number, got nan",
        ),
        (
            lambda: arguments.number(float("inf"), "x"),
            "x must be a finite number, got inf",
        ),
        (lambda: arguments.number(True, "x"), "x must be a finite number, got True"),
        (lambda: arguments.number("1", "x"), "x must be a finite number, got '1'"),
        (
            lambda: arguments.number(1 + 2j, "x"),
            "x must be a finite number, got (1+2j)",
        ),
        (lambda: arguments.number(None, "x"), "x must be a finite number, got None"),
        (
            lambda: arguments.number(6, "x", high=5),
            "x must be a finite number ≤ 5, got 6",
        ),
        (
            lambda: arguments.positive_number(0, "lr"),
            "lr must be a finite number > 0, got 0",
        ),
        (
            lambda: arguments.positive_number(-1.5, "lr"),
            "lr must be a finite number > 0, got -1.5",
        ),
        (
            lambda: arguments.fraction(0, "share"),
            "share must be a finite number in (0, 1), got 0",
        ),
        (
            lambda: arguments.fraction(1.0, "share"),
            "share must be a finite number in (0, 1), got 1.0",
        ),
        (
            lambda: arguments.probability(1.01, "p"),
            "p must be a finite number in [0, 1], got 1.01",
        ),
        (
            lambda: arguments.number(1, "t", low=0, high=1, high_open=True),
            "t must be a finite number in [0, 1), got 1",
        ),
    ],
)
def test_numbers_outside_are_named_with_the_interval(call, wanted):
    with pytest.raises(ValueError) as error:
        call()
    assert str(error.value) == wanted


def test_choice_returns_the_option_and_lists_them_when_wrong():
    assert arguments.choice("full", "profile", ("quick", "full")) == "full"
    assert arguments.choice(np.True_, "flag", ("auto", True, False)) is True
    with pytest.raises(ValueError) as error:
        arguments.choice("fast", "profile", ("quick", "full"))
    assert str(error.value) == "profile must be one of 'quick', 'full'; got 'fast'"
    for not_a_flag in (1, 0, "True", np.array([True]), [True]):
        with pytest.raises(ValueError, match="flag must be one of 'auto', True, False"):
            arguments.choice(not_a_flag, "flag", ("auto", True, False))
    with pytest.raises(ValueError, match="n must be one of 1, 2; got True"):
        arguments.choice(True, "n", (1, 2))


def test_the_doctests_of_the_module_hold():
    import doctest

    assert doctest.testmod(arguments).failed == 0
