"""Evaluation plumbing for recommenders: error metrics, top-k ranking metrics,
fold summaries.

The models themselves (global mean, biases, matrix factorisation) are what
project 7.3 teaches, so they live in the notebook; this module holds only what
the notebook, the benchmark and the tests share::

    from helpers import recommend
    recommend.rmse(test["rating"], predictions)
    recommend.ranking_metrics(scores, train, test, k=10)  # precision, recall, NDCG @10

Ratings are pandas DataFrames with the columns ``user_id``, ``item_id`` and
``rating`` (as :func:`helpers.data.load_movielens_100k` returns them). Score
matrices are indexed by the raw ids: ``scores[user_id, item_id]``, so a
MovieLens matrix has ``max(user_id) + 1`` rows (row 0 unused).
Only numpy and pandas are imported, and only when a function needs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .arguments import fraction as _fraction
from .arguments import integer, number


def _pair(y_true, y_pred):
    import numpy as np

    try:
        y_true = np.asarray(y_true, dtype=float).ravel()
        y_pred = np.asarray(y_pred, dtype=float).ravel()
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"y_true and y_pred must be numbers (ratings and predictions): {error}"
        ) from error
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred differ in length: {y_true.size} vs {y_pred.size}"
        )
    if y_true.size == 0:
        raise ValueError("no ratings to evaluate: y_true is empty")
    if not (np.isfinite(y_true).all() and np.isfinite(y_pred).all()):
        raise ValueError("y_true and y_pred must be finite (found NaN or inf)")
    return y_true, y_pred


def rmse(y_true, y_pred) -> float:
    """Root mean squared error, :math:`\\sqrt{\\frac1n\\sum (y - \\hat y)^2}`.

    Parameters
    ----------
    y_true, y_pred
        Array-likes of the same length (ratings and predictions).

    Raises
    ------
    ValueError
        If the lengths differ, the input is empty or holds NaN/inf.
    """
    import numpy as np

    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error, :math:`\\frac1n\\sum |y - \\hat y|`;
    same checks as :func:`rmse`."""
    import numpy as np

    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def validation_split(train, fraction: float = 0.1, seed: int = 0):
    """Carve a seeded random validation set out of a training frame.

    Hyper-parameters are chosen on the validation part, never on the test fold.

    Parameters
    ----------
    train
        DataFrame of ratings.
    fraction
        Share of the rows that go to validation, strictly between 0 and 1.
    seed
        Seed of the shuffle.

    Returns
    -------
    (fit, validation)
        Two DataFrames with fresh indices; together they hold every row once.
    """
    import numpy as np

    fraction = _fraction(fraction, "fraction")
    seed = integer(seed, "seed", minimum=0)
    n_val = int(round(len(train) * fraction))
    if n_val == 0 or n_val == len(train):
        raise ValueError(
            f"{len(train)} ratings are too few for a {fraction:.0%} validation split"
        )
    order = np.random.default_rng(seed).permutation(len(train))
    return (
        train.iloc[np.sort(order[n_val:])].reset_index(drop=True),
        train.iloc[np.sort(order[:n_val])].reset_index(drop=True),
    )


def popular_items(
    ratings, k: int = 10, *, min_ratings: int = 1, min_mean: float | None = None
) -> list[int]:
    """The ``k`` most-rated items, optionally only among well-rated ones.

    The classic non-personalised recommendation, and the answer for a user
    the model has never seen (cold start).

    Parameters
    ----------
    ratings
        DataFrame with ``item_id`` and ``rating``.
    k
        How many items to return (fewer if fewer qualify).
    min_ratings
        Keep items with at least this many ratings.
    min_mean
        If given, keep items whose mean rating is at least this.

    Returns
    -------
    list of int
        Item ids, most rated first (ties: higher mean rating, then smaller id).
    """
    integer(k, "k")
    min_ratings = integer(min_ratings, "min_ratings", minimum=0)
    if min_mean is not None:
        min_mean = number(min_mean, "min_mean")
    _require_columns(ratings, ("item_id", "rating"), "ratings")
    if len(ratings) == 0:
        raise ValueError("no ratings: cannot tell which items are popular")
    stats = ratings.groupby("item_id")["rating"].agg(["size", "mean"]).reset_index()
    keep = stats["size"] >= min_ratings
    if min_mean is not None:
        keep &= stats["mean"] >= min_mean
    stats = stats[keep].sort_values(
        ["size", "mean", "item_id"], ascending=[False, False, True]
    )
    return [int(i) for i in stats["item_id"].head(k)]


def _require_columns(frame, columns, name: str) -> None:
    if not hasattr(frame, "columns"):
        raise TypeError(
            f"{name} must be a pandas DataFrame with the columns {list(columns)}, "
            f"got {type(frame).__name__}"
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {missing}")


def _pairs(frame, name: str):
    import numpy as np

    if hasattr(frame, "columns"):
        missing = {"user_id", "item_id"} - set(frame.columns)
        if missing:
            raise ValueError(f"{name} lacks the column(s) {sorted(missing)}")
        return frame["user_id"].to_numpy(dtype=np.int64), frame["item_id"].to_numpy(
            dtype=np.int64
        )
    try:
        users, items = frame
        return np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{name} must be a DataFrame with user_id and item_id, or a (users, items) "
            f"pair of integer arrays: {error}"
        ) from error


def ranking_metrics(
    scores, train_pairs, test_frame, k: int = 10, threshold: float = 4
) -> dict:
    """Precision@k, recall@k and NDCG@k of a score matrix, averaged over users.

    For every user with at least one *relevant* test rating (rating ≥
    ``threshold``), the items the user rated in training are removed and the
    remaining items (all of them, not only the test items) are ranked by score;
    the top ``k`` are compared with the relevant test items. Binary relevance:

    - precision@k = hits / k;
    - recall@k = hits / number of relevant test items;
    - NDCG@k = DCG / ideal DCG with
      :math:`\\mathrm{DCG} = \\sum_{r=1}^{k} \\mathrm{rel}_r / \\log_2(r + 1)`.

    Parameters
    ----------
    scores
        Array ``(n_users, n_items)`` indexed by raw ids; higher is better.
    train_pairs
        The training ratings (a DataFrame with ``user_id``, ``item_id``, or a
        ``(users, items)`` pair of arrays); these items are never recommended.
    test_frame
        DataFrame with ``user_id``, ``item_id``, ``rating``: the held-out ratings.
    k
        Length of the recommendation list, a positive integer.
    threshold
        A test rating at least this high counts as relevant.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``ndcg`` (means over users) and ``users``
        (how many users were evaluated).

    Raises
    ------
    ValueError
        If ``k`` is not a positive integer or larger than the number of items,
        ``scores`` is not 2-D or holds NaN, the test set is empty or has no relevant
        rating, or an id falls outside ``scores``.
    """
    import numpy as np

    integer(k, "k")
    threshold = number(threshold, "threshold")
    try:
        # a copy: training items are masked below
        scores = np.array(scores, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"scores must be a 2-D array of numbers: {error}") from error
    if scores.ndim != 2:
        raise ValueError(
            f"scores must be a 2-D (users × items) array, got shape {scores.shape}"
        )
    n_users, n_items = scores.shape
    if k > n_items:
        raise ValueError(f"k={k} is larger than the number of items ({n_items})")
    n_nan = int(np.isnan(scores).sum())
    if n_nan:
        share = "all of them" if n_nan == scores.size else f"of {scores.size}"
        raise ValueError(
            f"scores hold {n_nan} NaN value(s) ({share}): a ranking of NaN means "
            "nothing. Fix the model that produced them; to keep an item out of every "
            "list, give it -inf, not NaN"
        )
    if test_frame is None or len(test_frame) == 0:
        raise ValueError("the test set is empty: there is nothing to rank against")
    _require_columns(test_frame, ("user_id", "item_id", "rating"), "test_frame")
    test_users, test_items = _pairs(test_frame, "test_frame")
    train_users, train_items = _pairs(train_pairs, "train_pairs")
    for name, ids, size in (
        ("user", test_users, n_users),
        ("item", test_items, n_items),
        ("user", train_users, n_users),
        ("item", train_items, n_items),
    ):
        if ids.size and (ids.min() < 0 or ids.max() >= size):
            raise ValueError(
                f"a {name} id falls outside the score matrix ({size} {name}s)"
            )
    relevant = np.asarray(test_frame["rating"], dtype=float) >= threshold
    if not relevant.any():
        raise ValueError(
            f"no test rating reaches the threshold {threshold}: no relevant items"
        )

    scores[train_users, train_items] = -np.inf
    is_relevant = np.zeros((n_users, n_items), dtype=bool)
    is_relevant[test_users[relevant], test_items[relevant]] = True
    users = np.flatnonzero(is_relevant.any(axis=1))
    user_scores = scores[users]
    top = np.argpartition(-user_scores, k - 1, axis=1)[:, :k]
    order = np.argsort(
        -np.take_along_axis(user_scores, top, axis=1), axis=1, kind="stable"
    )
    top = np.take_along_axis(top, order, axis=1)  # the k best items, best first
    hits = is_relevant[users[:, None], top]  # (users, k) booleans
    n_relevant = is_relevant[users].sum(axis=1)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * discounts).sum(axis=1)
    ideal = np.cumsum(discounts)[np.minimum(n_relevant, k) - 1]
    return {
        "precision": float(hits.sum(axis=1).mean() / k),
        "recall": float((hits.sum(axis=1) / n_relevant).mean()),
        "ndcg": float((dcg / ideal).mean()),
        "users": int(len(users)),
    }


def parse_user_id(value) -> int | None:
    """A user id from what a reader typed (or passed); None unless a whole number ≥ 0.

    ``7``, ``7.0``, ``"7"``, ``" 7 "``, ``"7.0"`` and ``numpy.int64(7)`` all mean
    user 7. ``"7.5"``, ``"abc"``, ``""``, ``None``, ``True``, ``-3``, NaN and lists
    are not user ids. Whether the id is *known* is the caller's question (the
    cold-start answer).

    Examples
    --------
    >>> parse_user_id(4.0), parse_user_id(" 12 ")
    (4, 12)
    >>> parse_user_id("4.5"), parse_user_id(True)
    (None, None)
    """
    import math
    import numbers

    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    # numpy and torch scalars
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    if not math.isfinite(value) or value != int(value) or value < 0:
        return None
    return int(value)


def fold_summary(results, metrics: Iterable[str] | None = None):
    """Mean ± standard deviation over folds of each model's metrics.

    Parameters
    ----------
    results
        One row per (model, fold): a DataFrame or a list of dicts with a
        ``model`` column and numeric metric columns (e.g. ``rmse``, ``mae``).
        A mapping ``{model: [value per fold, ...]}`` is read as one metric
        called ``value``.
    metrics
        Which columns to summarise; by default every numeric column except ``fold``.

    Returns
    -------
    pandas.DataFrame
        Indexed by model (in order of first appearance), with the columns
        ``<metric> mean`` and ``<metric> std`` (sample standard deviation,
        ``ddof=1``; 0 when there is one fold) and ``folds``.
    """
    import pandas as pd

    if isinstance(results, Mapping):
        results = [
            {"model": m, "value": v} for m, values in results.items() for v in values
        ]
    frame = pd.DataFrame(results)
    if frame.empty:
        raise ValueError("no results to summarise")
    if "model" not in frame.columns:
        raise ValueError("results need a 'model' column")
    if metrics is None:
        metrics = [c for c in frame.select_dtypes("number").columns if c != "fold"]
    metrics = list(metrics)
    if not metrics:
        raise ValueError("no numeric metric columns to summarise")
    missing = [m for m in metrics if m not in frame.columns]
    if missing:
        raise ValueError(f"results lack the metric column(s) {missing}")
    grouped = frame.groupby("model", sort=False)
    summary = pd.DataFrame(
        index=pd.Index(frame["model"].drop_duplicates(), name="model")
    )
    for metric in metrics:
        summary[f"{metric} mean"] = grouped[metric].mean()
        summary[f"{metric} std"] = grouped[metric].std(ddof=1).fillna(0.0)
    summary["folds"] = grouped.size()
    return summary
