"""The small computations behind chapter 6's decisions,
with clear messages for bad input.

serving_cost_per_million
    What a million requests cost on your own machine, from throughput and price.
break_even_requests
    The monthly volume above which serving yourself beats paying per request.
decision_threshold
    The probability above which to act, from the cost of each kind of mistake.
accuracy_margin, examples_for_margin
    How precisely a test set measures accuracy, and how large it must be.
calculator_report
    All of the above from one set of inputs, as lines of text (the chapter's widget).

Bad input (zero, negative, not a number) raises ``ValueError`` in the wording of
:mod:`helpers.arguments`; :func:`calculator_report` turns it into one line instead.
"""

from __future__ import annotations

import math

from .arguments import number, positive_number
from .i18n import Message, error_text


def serving_cost_per_million(
    requests_per_second: float, price_per_hour: float
) -> float:
    """Cost of a million requests on a busy machine: seconds needed × price per second.

    >>> round(serving_cost_per_million(50, 2.40), 2)
    13.33
    """
    rate = positive_number(requests_per_second, "requests per second")
    price = number(price_per_hour, "price per hour", low=0)
    return 1e6 / rate / 3600 * price


def break_even_requests(
    fixed_cost_per_month: float,
    own_cost_per_million: float,
    api_price_per_million: float,
) -> float:
    """Monthly requests above which serving yourself (fixed + own cost) beats an API.

    Returns ``math.inf`` when the API is no dearer per request than serving yourself:
    then no volume repays the fixed cost.

    >>> break_even_requests(1000, 5, 15)
    100000000.0
    """
    fixed = number(fixed_cost_per_month, "fixed cost per month", low=0)
    own = number(own_cost_per_million, "own cost per million", low=0)
    api = number(api_price_per_million, "API price per million", low=0)
    saving_per_million = api - own
    return math.inf if saving_per_million <= 0 else fixed / saving_per_million * 1e6


def decision_threshold(cost_false_positive: float, cost_false_negative: float) -> float:
    """Act when the calibrated probability is ≥ c_FP / (c_FP + c_FN) (Elkan 2001).

    >>> decision_threshold(3, 1)
    0.75
    """
    fp = positive_number(cost_false_positive, "cost of a false positive")
    fn = positive_number(cost_false_negative, "cost of a false negative")
    return fp / (fp + fn)


def accuracy_margin(accuracy: float, n: int, z: float = 1.96) -> float:
    """Half-width of the normal-approximation 95 % interval
    of an accuracy measured on n examples."""
    accuracy = number(accuracy, "accuracy", low=0, high=1)
    n = positive_number(n, "number of test examples")
    return z * math.sqrt(accuracy * (1 - accuracy) / n)


def examples_for_margin(accuracy: float, margin: float, z: float = 1.96) -> int:
    """Test examples needed so the 95 % interval of the accuracy is ± ``margin``."""
    accuracy = number(accuracy, "accuracy", low=0, high=1)
    margin = positive_number(margin, "margin")
    return math.ceil(z**2 * accuracy * (1 - accuracy) / margin**2)


def calculator_report(
    requests_per_second,
    price_per_hour,
    api_price_per_million,
    fixed_cost_per_month,
    monthly_requests,
    cost_false_positive,
    cost_false_negative,
) -> list[str]:
    """The chapter's calculator: build-vs-buy and the decision threshold, as text lines.

    Bad input never raises: the report is then one line saying what to fix.
    """
    try:
        own = serving_cost_per_million(requests_per_second, price_per_hour)
        api = number(api_price_per_million, "API price per million", low=0)
        fixed = number(fixed_cost_per_month, "fixed cost per month", low=0)
        volume = number(monthly_requests, "requests per month", low=0)
        threshold = decision_threshold(cost_false_positive, cost_false_negative)
        break_even = break_even_requests(fixed, own, api)
    except ValueError as error:
        return [
            str(
                Message(
                    "⚠️ {error}. Change that input and the report updates.",
                    error=error_text(error),
                )
            )
        ]
    machines = volume / (requests_per_second * 3600 * 24 * 30)
    own_month, api_month = fixed + own * volume / 1e6, api * volume / 1e6
    cheaper = Message(
        "serving it yourself is cheaper"
        if own_month < api_month
        else "the API is cheaper"
    )
    if math.isinf(break_even):
        break_even_text = Message("never (the API costs no more per request)")
    else:
        break_even_text = Message("{volume:,.0f} requests/month", volume=break_even)
    lines = [
        Message(
            "own machine: {own:,.4g} per million requests (busy machine), "
            "{machines:,.2g} machine(s) busy all month",
            own=own,
            machines=machines,
        ),
        Message(
            "per month at {volume:,.0f} requests: yourself {own_month:,.2f} "
            "(incl. {fixed:,.2f} fixed) vs API {api_month:,.2f} → {cheaper}",
            volume=volume,
            own_month=own_month,
            fixed=fixed,
            api_month=api_month,
            cheaper=cheaper,
        ),
        Message("break-even volume: {volume}", volume=break_even_text),
        Message(
            "act when p ≥ {threshold:.3f} (false positive costs {fp:g}, "
            "false negative {fn:g})",
            threshold=threshold,
            fp=cost_false_positive,
            fn=cost_false_negative,
        ),
    ]
    # Text in the notebook's language (helpers.i18n), one line each.
    lines = [str(line) for line in lines]
    return lines
