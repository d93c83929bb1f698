"""Splits: MovieLens' official folds, seeded stratified ones, quick-profile subsets."""

from __future__ import annotations

import numpy as np

QUICK_SIZES = {"train": 2000, "test": 500}
"""Default sizes of the quick profile's subsets (records per split)."""


def movielens_folds(ratings: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Rebuild MovieLens-100k's official splits from ``u.data`` in its file order.

    GroupLens' ``mku.sh`` makes them from ``u.data`` (whose rows are already in
    random order):

    * ``u1`` … ``u5``: fold *i*'s test set is rows ``20000·(i-1)`` to
      ``20000·i`` of ``u.data``; its base (train) set is every other row.
    * ``ua`` / ``ub`` (``allbut.pl``): reading ``u.data`` top to bottom, a
      user's 1st–10th ratings (``ua``) or 11th–20th ratings (``ub``) go to the
      test set, the rest to the base set; every user has at least 20 ratings,
      so each test set has exactly 10 ratings per user (9,430).

    The official files are then sorted by user and item; here the folds are
    row indices into ``ratings`` (sort them if you need the files' order).
    With 100,000 rows the blocks are 20,000 rows; with fewer (a test fixture)
    they are ``len // 5``.

    Parameters
    ----------
    ratings
        Array (n, ≥2) of user, item, … in ``u.data`` order.

    Returns
    -------
    dict
        ``name → (train_rows, test_rows)``, int64 row indices.
    """
    n = len(ratings)
    rows = np.arange(n, dtype=np.int64)
    block = n // 5
    folds = {}
    for i in range(1, 6):
        test = rows[(i - 1) * block : i * block]
        train = np.concatenate([rows[: (i - 1) * block], rows[i * block :]])
        folds[f"u{i}"] = (train, test)
    # rank of each rating among its user's ratings, in file order (1-based)
    users = np.asarray(ratings[:, 0])
    order = np.argsort(users, kind="stable")
    sorted_users = users[order]
    starts = np.r_[0, np.flatnonzero(sorted_users[1:] != sorted_users[:-1]) + 1]
    counts = np.diff(np.r_[starts, n])
    rank_sorted = np.arange(n) - np.repeat(starts, counts) + 1
    rank = np.empty(n, dtype=np.int64)
    rank[order] = rank_sorted
    for name, lo, hi in (("ua", 1, 10), ("ub", 11, 20)):
        in_test = (rank >= lo) & (rank <= hi)
        folds[name] = (rows[~in_test], rows[in_test])
    return folds


def stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified split of ``range(len(labels))`` → ``(train_idx, test_idx)``,
    both sorted.

    Each class contributes ``round(test_fraction · class size)`` records to the
    test set, chosen by ``numpy.random.default_rng(seed)``.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    test = []
    for value in np.unique(labels):
        members = np.flatnonzero(labels == value)
        k = int(round(test_fraction * len(members)))
        test.append(rng.choice(members, size=k, replace=False))
    test_idx = np.sort(np.concatenate(test)) if test else np.empty(0, dtype=np.int64)
    mask = np.ones(len(labels), dtype=bool)
    mask[test_idx] = False
    return np.flatnonzero(mask), test_idx


def stratified_subset(labels: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of a seeded subset of ``size`` records with the classes' shares.

    Every class present keeps at least one record when ``size`` allows it.
    """
    labels = np.asarray(labels)
    n = len(labels)
    if size >= n:
        return np.arange(n)
    if size <= 0:
        raise ValueError(f"size must be positive, got {size}")
    rng = np.random.default_rng(seed)
    values, counts = np.unique(labels, return_counts=True)
    quota = np.floor(counts * size / n).astype(int)
    if size >= len(values):
        quota = np.maximum(quota, 1)
    # hand out what rounding left, largest remainders first
    remainder = counts * size / n - np.floor(counts * size / n)
    for j in np.argsort(-remainder, kind="stable"):
        if quota.sum() >= size:
            break
        if quota[j] < counts[j]:
            quota[j] += 1
    while quota.sum() > size:
        quota[np.argmax(quota)] -= 1
    chosen = [
        rng.choice(np.flatnonzero(labels == v), size=q, replace=False)
        for v, q in zip(values, quota, strict=True)
    ]
    return np.sort(np.concatenate(chosen))
