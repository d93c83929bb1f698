"""helpers.strategy: the chapter 6 calculator's arithmetic and bad-input messages."""

from __future__ import annotations

import math

import pytest

from helpers import strategy


def test_serving_cost_per_million_is_time_times_price():
    # 1e6 requests at 50/s take 20,000 s = 5.556 h; at 2.40 per hour that is 13.33
    assert strategy.serving_cost_per_million(50, 2.40) == pytest.approx(
        13.3333, rel=1e-4
    )
    assert strategy.serving_cost_per_million(50, 0) == 0


def test_break_even_volume_repays_the_fixed_cost_exactly():
    volume = strategy.break_even_requests(
        1_000, own_cost_per_million=5, api_price_per_million=15
    )
    own = 1_000 + 5 * volume / 1e6
    api = 15 * volume / 1e6
    assert own == pytest.approx(api)
    assert math.isinf(strategy.break_even_requests(1_000, 15, 15))
    assert math.isinf(strategy.break_even_requests(1_000, 20, 15))


def test_decision_threshold_follows_the_costs():
    assert strategy.decision_threshold(3, 1) == 0.75
    assert strategy.decision_threshold(1, 4) == 0.2
    assert strategy.decision_threshold(2, 2) == 0.5


def test_accuracy_margin_and_the_test_size_agree():
    n = strategy.examples_for_margin(0.8, 0.02)
    assert (
        strategy.accuracy_margin(0.8, n) <= 0.02 < strategy.accuracy_margin(0.8, n - 1)
    )
    assert strategy.accuracy_margin(0.8, 600) == pytest.approx(
        1.96 * math.sqrt(0.16 / 600)
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: strategy.serving_cost_per_million(0, 1),
            "requests per second must be a finite number > 0",
        ),
        (lambda: strategy.serving_cost_per_million(-5, 1), "> 0, got -5"),
        (
            lambda: strategy.serving_cost_per_million("fast", 1),
            "must be a finite number",
        ),
        (
            lambda: strategy.serving_cost_per_million(10, float("inf")),
            "price per hour must be",
        ),
        (
            lambda: strategy.decision_threshold(0, 1),
            "false positive must be a finite number > 0",
        ),
        (lambda: strategy.decision_threshold(True, 1), "got True"),
        (
            lambda: strategy.accuracy_margin(1.2, 100),
            r"accuracy must be a finite number in \[0, 1\]",
        ),
        (
            lambda: strategy.examples_for_margin(0.8, 0),
            "margin must be a finite number > 0",
        ),
    ],
)
def test_bad_input_raises_a_sentence(call, message):
    with pytest.raises(ValueError, match=message):
        call()


GOOD = dict(
    requests_per_second=100,
    price_per_hour=1.0,
    api_price_per_million=50,
    fixed_cost_per_month=2_000,
    monthly_requests=10_000_000,
    cost_false_positive=3,
    cost_false_negative=1,
)


def test_calculator_report_states_costs_break_even_and_threshold():
    text = "\n".join(strategy.calculator_report(**GOOD))
    own = strategy.serving_cost_per_million(100, 1.0)
    assert f"{own:,.4g} per million" in text
    assert f"break-even volume: {2_000 / (50 - own) * 1e6:,.0f} requests/month" in text
    assert "the API is cheaper" in text  # 10 M requests do not repay 2,000 a month
    assert "act when p ≥ 0.750" in text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("requests_per_second", 0),
        ("price_per_hour", -1),
        ("monthly_requests", float("nan")),
        ("api_price_per_million", "cheap"),
        ("cost_false_negative", 0),
        ("fixed_cost_per_month", None),
    ],
)
def test_calculator_report_turns_bad_input_into_one_message(field, value):
    lines = strategy.calculator_report(**{**GOOD, field: value})
    assert (
        len(lines) == 1 and lines[0].startswith("⚠️") and "Change that input" in lines[0]
    )
