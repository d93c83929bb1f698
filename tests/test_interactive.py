"""helpers.interactive: what the chapters' widgets do with what a reader types."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from helpers import interactive


def test_docstring_examples():
    failures, tried = doctest.testmod(interactive)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize(
    "text, expected",
    [("0.1", 0.1), (" 1e-3 ", 1e-3), ("-2", -2.0), (3, 3.0), (np.float32(0.5), 0.5)],
)
def test_parse_number_accepts_numbers(text, expected):
    assert interactive.parse_number(text, "x") == pytest.approx(expected)


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("abc", "must be a number"),
        ("nan", "finite"),
        ("inf", "finite"),
        ("1,5", "must be a number"),
        (None, "x must be"),
        (True, "x must be"),
    ],
)
def test_parse_number_refuses_what_is_not_a_number(text, words):
    with pytest.raises(ValueError, match=words):
        interactive.parse_number(text, "x")


def test_parse_number_checks_the_range():
    assert interactive.parse_number("1", "lr", low=0, low_open=True) == 1.0
    with pytest.raises(ValueError, match="lr"):
        interactive.parse_number("0", "lr", low=0, low_open=True)
    with pytest.raises(ValueError, match="lr"):
        interactive.parse_number("-5", "lr", low=0)
    with pytest.raises(ValueError, match="lr"):
        interactive.parse_number("1e9", "lr", high=10)


def test_clean_text():
    assert interactive.clean_text("  hi \n", "query") == "hi"
    with pytest.raises(ValueError, match="query is empty"):
        interactive.clean_text(" \n\t ", "query")
    with pytest.raises(ValueError, match="must be text"):
        interactive.clean_text(42, "query")
    with pytest.raises(ValueError, match="under 10"):
        interactive.clean_text("x" * 11, "query", max_chars=10)
    with pytest.raises(ValueError, match="max_chars"):
        interactive.clean_text("x", "query", max_chars=0)


def test_text_lines():
    assert interactive.text_lines("a\n\n b \n  \nc", "docs") == ["a", "b", "c"]
    with pytest.raises(ValueError, match="3 lines"):
        interactive.text_lines("a\nb\nc", "docs", max_lines=2)
    with pytest.raises(ValueError, match="docs is empty"):
        interactive.text_lines("\n\n", "docs")


def test_parse_numbers():
    assert interactive.parse_numbers("1 2,3\n4", "filter", count=4) == [
        1.0,
        2.0,
        3.0,
        4.0,
    ]
    with pytest.raises(ValueError, match="exactly 9 numbers, got 2"):
        interactive.parse_numbers("1 2", "filter", count=9)
    with pytest.raises(ValueError, match="item 2"):
        interactive.parse_numbers("1 x 3", "filter", count=3)


def test_explain_errors_prints_bad_input_and_keeps_other_errors(capsys):
    @interactive.explain_errors
    def callback(text):
        if text == "bug":
            raise KeyError("a real bug")
        return interactive.parse_number(text, "value") * 2

    assert callback("2") == 4.0
    assert callback("two") is None
    assert (
        capsys.readouterr().out.strip()
        == "⚠️ value must be a number such as 0.1, got 'two'"
    )
    with pytest.raises(KeyError):
        callback("bug")
    assert callback.__name__ == "callback"
