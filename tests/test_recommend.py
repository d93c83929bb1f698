"""Unit tests of helpers.recommend on tiny cases computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers import recommend


def frame(rows):
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating"])


def test_rmse_and_mae_by_hand():
    y, y_hat = [3, 4, 5], [2, 4, 7]  # errors 1, 0, -2
    assert recommend.rmse(y, y_hat) == pytest.approx(math.sqrt(5 / 3))
    assert recommend.mae(y, y_hat) == pytest.approx(1.0)
    assert recommend.rmse(pd.Series([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0


@pytest.mark.parametrize("bad", [([], []), ([1, 2], [1]), ([1, np.nan], [1, 2])])
def test_error_metrics_refuse_bad_input(bad):
    with pytest.raises(ValueError):
        recommend.rmse(*bad)
    with pytest.raises(ValueError):
        recommend.mae(*bad)


# Two users, five items (ids 0-4). User 0 rated item 0 in training; user 1 nothing.
SCORES = np.array(
    [[9.0, 5.0, 4.0, 3.0, 1.0], [1.0, 2.0, 3.0, 4.0, 5.0], [5.0, 4.0, 3.0, 2.0, 1.0]]
)
TRAIN = frame([(0, 0, 5)])
# user 2: nothing relevant
TEST = frame([(0, 2, 5), (0, 4, 4), (0, 3, 2), (1, 4, 5), (2, 0, 1)])


def test_ranking_metrics_by_hand():
    got = recommend.ranking_metrics(SCORES, TRAIN, TEST, k=2)
    # user 0: item 0 is masked, top-2 = [1, 2]; relevant {2, 4}: one hit at rank 2.
    ndcg0 = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    # user 1: top-2 = [4, 3]; relevant {4}: a hit at rank 1 → perfect NDCG.
    assert got["users"] == 2  # user 2 has no relevant test rating and is not evaluated
    assert got["precision"] == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert got["recall"] == pytest.approx((1 / 2 + 1 / 1) / 2)
    assert got["ndcg"] == pytest.approx((ndcg0 + 1.0) / 2)


def test_ranking_metrics_masks_training_items_and_leaves_scores_alone():
    scores = SCORES.copy()
    # Without the mask user 0's top-1 would be item 0 (score 9), rated in training.
    test = frame([(0, 0, 5), (0, 1, 5)])
    got = recommend.ranking_metrics(scores, TRAIN, test, k=1)
    assert got["precision"] == 1.0  # item 1 is recommended and relevant
    np.testing.assert_array_equal(scores, SCORES)  # the caller's matrix is not modified


def test_ranking_metrics_accepts_pairs_of_arrays_and_a_threshold():
    by_arrays = recommend.ranking_metrics(
        SCORES, (np.array([0]), np.array([0])), TEST, k=2
    )
    assert by_arrays == recommend.ranking_metrics(SCORES, TRAIN, TEST, k=2)
    # item 4 of user 0 drops out
    strict = recommend.ranking_metrics(SCORES, TRAIN, TEST, k=2, threshold=5)
    assert strict["recall"] == pytest.approx((1 + 1) / 2)


def test_perfect_ranking_scores_one():
    scores = np.array([[3.0, 2.0, 1.0, 0.0]])
    test = frame([(0, 0, 5), (0, 1, 4)])
    got = recommend.ranking_metrics(scores, frame([]), test, k=2)
    assert got == {
        "precision": 1.0,
        "recall": 1.0,
        "ndcg": pytest.approx(1.0),
        "users": 1,
    }


@pytest.mark.parametrize("k", [0, -1, 2.5, True, "10"])
def test_ranking_metrics_refuses_bad_k(k):
    with pytest.raises(ValueError, match="k must be a positive integer"):
        recommend.ranking_metrics(SCORES, TRAIN, TEST, k=k)


def test_ranking_metrics_refuses_bad_input():
    with pytest.raises(ValueError, match="empty"):
        recommend.ranking_metrics(SCORES, TRAIN, frame([]), k=2)
    with pytest.raises(ValueError, match="no relevant"):
        recommend.ranking_metrics(SCORES, TRAIN, frame([(0, 1, 2)]), k=2)
    with pytest.raises(ValueError, match="larger than the number of items"):
        recommend.ranking_metrics(SCORES, TRAIN, TEST, k=6)
    with pytest.raises(ValueError, match="2-D"):
        recommend.ranking_metrics(SCORES[0], TRAIN, TEST, k=2)
    with pytest.raises(ValueError, match="outside"):
        recommend.ranking_metrics(SCORES, TRAIN, frame([(7, 1, 5)]), k=2)
    with pytest.raises(ValueError, match="lacks the column"):
        recommend.ranking_metrics(SCORES, pd.DataFrame({"user": [0]}), TEST, k=2)


def test_popular_items():
    ratings = frame(
        [
            (1, 10, 5),
            (2, 10, 1),
            (3, 10, 2),
            (1, 20, 5),
            (2, 20, 5),
            (1, 30, 4),
            (2, 30, 3),
        ]
    )
    assert recommend.popular_items(ratings, k=3) == [
        10,
        20,
        30,
    ]  # 3 ratings, then a tie broken by mean
    assert recommend.popular_items(ratings, k=5, min_mean=4) == [20]
    assert recommend.popular_items(ratings, k=5, min_ratings=3) == [10]
    with pytest.raises(ValueError, match="positive integer"):
        recommend.popular_items(ratings, k=0)
    with pytest.raises(ValueError, match="no ratings"):
        recommend.popular_items(frame([]), k=3)


def test_validation_split_is_seeded_and_disjoint():
    ratings = frame([(u, i, 3) for u in range(10) for i in range(10)])
    fit, val = recommend.validation_split(ratings, 0.1, seed=1)
    assert (len(fit), len(val)) == (90, 10)
    pairs = lambda f: set(zip(f.user_id, f.item_id, strict=True))  # noqa: E731
    assert pairs(fit) | pairs(val) == pairs(ratings) and not pairs(fit) & pairs(val)
    again, _ = recommend.validation_split(ratings, 0.1, seed=1)
    pd.testing.assert_frame_equal(fit, again)
    for bad in (0, 1, 1.5):
        with pytest.raises(ValueError, match="fraction"):
            recommend.validation_split(ratings, bad)
    with pytest.raises(ValueError, match="too few"):
        recommend.validation_split(ratings.head(3), 0.1)


def test_fold_summary():
    rows = [
        {"model": "mean", "fold": 1, "rmse": 1.0, "mae": 0.8},
        {"model": "mean", "fold": 2, "rmse": 1.2, "mae": 1.0},
        {"model": "mf", "fold": 1, "rmse": 0.9, "mae": 0.7},
    ]
    summary = recommend.fold_summary(rows)
    assert list(summary.index) == ["mean", "mf"]
    assert summary.loc["mean", "rmse mean"] == pytest.approx(1.1)
    assert summary.loc["mean", "rmse std"] == pytest.approx(np.std([1.0, 1.2], ddof=1))
    assert summary.loc["mf", "rmse std"] == 0.0 and summary.loc["mf", "folds"] == 1
    assert list(summary.columns) == [
        "rmse mean",
        "rmse std",
        "mae mean",
        "mae std",
        "folds",
    ]
    from_mapping = recommend.fold_summary({"a": [1.0, 3.0]})
    assert from_mapping.loc["a", "value mean"] == 2.0


def test_fold_summary_refuses_bad_input():
    with pytest.raises(ValueError, match="no results"):
        recommend.fold_summary([])
    with pytest.raises(ValueError, match="'model'"):
        recommend.fold_summary([{"rmse": 1.0}])
    with pytest.raises(ValueError, match="lack"):
        recommend.fold_summary([{"model": "a", "rmse": 1.0}], metrics=["mae"])


def test_import_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, helpers.recommend; "
        "print(any(m in sys.modules for m in ('torch', 'tensorflow')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("nan_rows", "message"), [(slice(None), "all of them"), (0, "NaN value")]
)
def test_ranking_metrics_refuses_nan_scores_instead_of_ranking_them(nan_rows, message):
    scores = SCORES.copy()
    # was: zeros for every metric, as if the model ranked badly
    scores[nan_rows] = np.nan
    with pytest.raises(ValueError, match=f"scores hold .*{message}.*-inf, not NaN"):
        recommend.ranking_metrics(scores, TRAIN, TEST, k=2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": "4"}, "threshold must be a finite number"),
        ({"threshold": float("nan")}, "threshold must be a finite number"),
        ({"scores": [["a", "b"]]}, "scores must be a 2-D array of numbers"),
        ({"train_pairs": (np.array([0]),)}, "train_pairs must be a DataFrame"),
        ({"test_frame": [(0, 1, 5)]}, "test_frame must be a pandas DataFrame"),
        (
            {"test_frame": frame([(0, 1, 5)]).drop(columns="rating")},
            "lacks the column.*rating",
        ),
    ],
)
def test_ranking_metrics_names_each_malformed_argument(kwargs, message):
    args = {
        "scores": SCORES,
        "train_pairs": TRAIN,
        "test_frame": TEST,
        "k": 2,
        **kwargs,
    }
    with pytest.raises((TypeError, ValueError), match=message):
        recommend.ranking_metrics(**args)


@pytest.mark.parametrize(
    ("fraction", "seed", "message"),
    [
        (1, 0, r"fraction must be a finite number in \(0, 1\), got 1"),
        (float("nan"), 0, "fraction must be a finite number"),
        ("0.1", 0, "fraction must be a finite number"),
        (0.1, -1, "seed must be a non-negative integer"),
        (0.1, 1.5, "seed must be a non-negative integer"),
    ],
)
def test_validation_split_checks_fraction_and_seed(fraction, seed, message):
    with pytest.raises(ValueError, match=message):
        recommend.validation_split(frame([(1, 1, 3)] * 20), fraction, seed=seed)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"k": -1}, ValueError, "k must be a positive integer, got -1"),
        ({"min_ratings": -2}, ValueError, "min_ratings must be a non-negative integer"),
        ({"min_mean": "4"}, ValueError, "min_mean must be a finite number"),
        ({"ratings": [(1, 2, 3)]}, TypeError, "must be a pandas DataFrame"),
        (
            {"ratings": frame([(1, 2, 3)]).drop(columns="rating")},
            ValueError,
            "lacks the column",
        ),
    ],
)
def test_popular_items_checks_its_arguments(kwargs, error, message):
    args = {"ratings": frame([(1, 10, 5)]), "k": 3, **kwargs}
    with pytest.raises(error, match=message):
        recommend.popular_items(**args)


def test_error_metrics_refuse_text_with_a_sentence():
    with pytest.raises(ValueError, match="must be numbers"):
        recommend.rmse(["a", "b"], [1, 2])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (4, 4),
        (4.0, 4),
        ("4", 4),
        (" 4 ", 4),
        ("4.0", 4),
        (np.int64(4), 4),
        (np.float32(4.0), 4),
        ("4.5", None),
        (4.5, None),
        ("abc", None),
        ("", None),
        (None, None),
        (True, None),
        (-3, None),
        (float("nan"), None),
        ("inf", None),
        ([4], None),
        ("1e400", None),
    ],
)
def test_parse_user_id_reads_whole_numbers_however_typed(typed, expected):
    assert recommend.parse_user_id(typed) == expected


def test_the_doctests_of_the_module_hold():
    import doctest

    assert doctest.testmod(recommend).failed == 0
