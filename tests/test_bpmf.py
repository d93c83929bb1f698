"""helpers.bpmf: batched posterior solve, Gaussian–Wishart draw, Gibbs sampler."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers import bpmf


def low_rank_ratings(num_users=60, num_items=50, dim=3, density=0.5, noise=0.1, seed=0):
    """Synthetic ratings mu + b_u + b_i + p_u.q_i + noise, clipped to 1–5.

    Only a random share of the cells is rated.
    """
    rng = np.random.default_rng(seed)
    p, q = rng.normal(0, 0.6, (num_users, dim)), rng.normal(0, 0.6, (num_items, dim))
    b_u, b_i = rng.normal(0, 0.3, num_users), rng.normal(0, 0.3, num_items)
    full = 3.0 + b_u[:, None] + b_i[None, :] + p @ q.T
    observed = rng.random((num_users, num_items)) < density
    users, items = np.nonzero(observed)
    # stars, like MovieLens
    ratings = np.clip(full[users, items] + rng.normal(0, noise, len(users)), 1, 5)
    return users, items, ratings, full, observed


def test_posterior_rows_matches_one_ridge_regression_per_row():
    rng = np.random.default_rng(1)
    rows, cols, d = 5, 8, 3
    mask = torch.tensor(rng.random((rows, cols)) < 0.6, dtype=torch.float64)
    mask[:, 0] = 1  # every row observes something
    targets = torch.tensor(rng.normal(size=(rows, cols)))
    features = torch.tensor(rng.normal(size=(cols, d)))
    prior_mean, prior_precision, alpha = (
        torch.tensor([0.5, -1.0, 2.0]),
        0.7 * torch.eye(d, dtype=torch.float64),
        3.0,
    )
    got = bpmf.posterior_rows(
        mask, mask * targets, features, prior_mean.double(), prior_precision, alpha
    )
    for r in range(rows):
        seen = mask[r].bool()
        f, t = features[seen], targets[r, seen]
        precision = prior_precision + alpha * f.T @ f
        expected = torch.linalg.solve(
            precision, alpha * f.T @ t + prior_precision @ prior_mean.double()
        )
        torch.testing.assert_close(got[r], expected)


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_posterior_rows_sparse_equals_dense_and_draws_have_the_posterior_spread():
    rng = np.random.default_rng(2)
    rows, cols, d = 3, 40, 2
    mask = torch.tensor(rng.random((rows, cols)) < 0.5, dtype=torch.float64)
    targets = torch.tensor(rng.normal(size=(rows, cols)))
    features = torch.tensor(rng.normal(size=(cols, d)))
    zero, eye = torch.zeros(d, dtype=torch.float64), torch.eye(d, dtype=torch.float64)
    dense = bpmf.posterior_rows(mask, mask * targets, features, zero, eye)
    sparse = bpmf.posterior_rows(
        mask.to_sparse_csr(), (mask * targets).to_sparse_csr(), features, zero, eye
    )
    torch.testing.assert_close(sparse, dense)

    generator = torch.Generator().manual_seed(0)
    draws = torch.stack(
        [
            bpmf.posterior_rows(
                mask, mask * targets, features, zero, eye, 1.0, generator
            )
            for _ in range(4000)
        ]
    )
    torch.testing.assert_close(draws.mean(0), dense, atol=0.02, rtol=0)
    covariance = torch.linalg.inv(eye + features.T @ torch.diag(mask[0]) @ features)
    torch.testing.assert_close(
        torch.cov(draws[:, 0].T), covariance, atol=0.01, rtol=0.1
    )


def test_posterior_rows_refuses_a_singular_system():
    mask = torch.zeros(2, 3, dtype=torch.float64)  # no observations and no prior
    features = torch.ones(3, 2, dtype=torch.float64)
    zero = torch.zeros(2, dtype=torch.float64)
    with pytest.raises(ValueError, match="not positive definite"):
        bpmf.posterior_rows(
            mask, mask, features, zero, torch.zeros(2, 2, dtype=torch.float64)
        )


def test_gaussian_wishart_draw_is_seeded_and_concentrates_on_the_data():
    rng = np.random.default_rng(3)
    true_cov = np.array([[1.0, 0.3], [0.3, 0.5]])
    x = torch.tensor(rng.multivariate_normal([1.0, -2.0], true_cov, size=5000))
    mean, precision = bpmf.draw_gaussian_wishart(x, np.random.default_rng(0))
    again = bpmf.draw_gaussian_wishart(x, np.random.default_rng(0))
    assert torch.equal(mean, again[0]) and torch.equal(precision, again[1])
    assert mean.dtype == x.dtype and precision.shape == (2, 2)
    torch.testing.assert_close(
        mean, torch.tensor([1.0, -2.0], dtype=x.dtype), atol=0.05, rtol=0
    )
    torch.testing.assert_close(
        torch.linalg.inv(precision), torch.tensor(true_cov), atol=0.08, rtol=0
    )
    assert torch.all(torch.linalg.eigvalsh(precision) > 0)


def test_bayesian_mf_recovers_a_low_rank_matrix_and_is_reproducible():
    users, items, ratings, full, observed = low_rank_ratings()
    model = bpmf.BayesianMF(60, 50, dim=3, num_samples=60, burn_in=10, seed=0)
    assert "not fitted" in repr(model)
    model.fit(users, items, ratings, validation=(users[:50], items[:50], ratings[:50]))
    held_out = ~observed
    error = np.sqrt(
        np.mean(
            (model.score_all().numpy()[held_out] - np.clip(full, 1, 5)[held_out]) ** 2
        )
    )
    biases_only = np.sqrt(
        np.mean(
            (full - full.mean(1, keepdims=True) - full.mean(0) + full.mean())[held_out]
            ** 2
        )
    )
    assert error < 0.25 < biases_only  # the factors explain what the biases cannot
    assert len(model.history) == 50 and {
        "sample",
        "alpha",
        "seconds",
        "val_rmse",
    } <= set(model.history[0])
    # noise sd 0.1 → precision near 100, far above the start of 2
    assert model.history[-1]["alpha"] > 20
    twin = bpmf.BayesianMF(60, 50, dim=3, num_samples=60, burn_in=10, seed=0).fit(
        users, items, ratings
    )
    np.testing.assert_array_equal(
        twin.predict(users, items), model.predict(users, items)
    )
    other = bpmf.BayesianMF(60, 50, dim=3, num_samples=60, burn_in=10, seed=1).fit(
        users, items, ratings
    )
    assert not np.array_equal(other.predict(users, items), model.predict(users, items))
    pred = model.predict([0, 1], [2, 3])
    assert pred.shape == (2,) and ((1 <= pred) & (pred <= 5)).all()


def test_bayesian_mf_handles_ids_without_ratings():
    users, items, ratings, *_ = low_rank_ratings(num_users=20, num_items=15)
    model = bpmf.BayesianMF(25, 18, dim=2, num_samples=15, burn_in=5).fit(
        users, items, ratings
    )
    # user 24 and item 17 have no ratings: the prior answers
    unseen = model.predict([24, 0], [17, 17])
    assert np.isfinite(unseen).all() and ((1 <= unseen) & (unseen <= 5)).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(dim=0), "dim must be a positive integer"),
        (dict(dim=2.5), "dim must be a positive integer"),
        (dict(num_samples=5, burn_in=5), "burn_in"),
        (dict(burn_in=-1), "burn_in must be"),
        (dict(num_samples=True), "num_samples must be"),
    ],
)
def test_bayesian_mf_refuses_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bpmf.BayesianMF(5, 5, **kwargs)


def test_bayesian_mf_refuses_bad_ratings_and_use_before_fit():
    model = bpmf.BayesianMF(5, 5, dim=2, num_samples=3, burn_in=1)
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict([0], [0])
    with pytest.raises(ValueError, match="ids must lie in 0 … 4"):
        model.fit([0, 5], [0, 1], [3.0, 4.0])
    with pytest.raises(ValueError, match="whole numbers"):
        model.fit([0.5, 1], [0, 1], [3.0, 4.0])
    with pytest.raises(ValueError, match="differ in length"):
        model.fit([0, 1], [0, 1], [3.0])
    with pytest.raises(ValueError, match="no ratings"):
        model.fit([], [], [])
    with pytest.raises(ValueError, match="finite"):
        model.fit([0, 1], [0, 1], [3.0, float("nan")])
    with pytest.raises(ValueError, match="more than once"):
        model.fit([0, 0], [1, 1], [3.0, 4.0])
    model.fit([0, 1, 2], [0, 1, 2], [3.0, 4.0, 5.0])
    with pytest.raises(ValueError, match="differ in length"):
        model.predict([0, 1], [0])


def test_rating_matrix_is_dense_mask_and_values():
    mask, values = bpmf.rating_matrix([0, 2], [1, 0], [4.0, 2.0], 3, 2)
    assert mask.tolist() == [[0, 1], [0, 0], [1, 0]]
    assert values.tolist() == [[0, 4], [0, 0], [2, 0]]


@pytest.mark.parametrize("bad", [1e6, 0.0, -5.0, 5.5])
def test_ratings_off_the_scale_are_refused_with_the_scale_named(bad):
    model = bpmf.BayesianMF(5, 5, dim=2, num_samples=3, burn_in=1)
    with pytest.raises(
        ValueError,
        match=r"rating scale 1–5 \(rating_range\).*rating_range=\(lowest, highest\)",
    ):
        model.fit([0, 1, 2], [0, 1, 2], [3.0, 4.0, bad])
    with pytest.raises(
        ValueError, match="validation ratings must lie on the rating scale"
    ):
        model.fit([0, 1], [0, 1], [3.0, 4.0], validation=([0], [1], [bad]))


def test_another_rating_scale_is_accepted_and_predictions_are_clipped_to_it():
    model = bpmf.BayesianMF(
        3, 3, dim=1, num_samples=4, burn_in=1, rating_range=(0.5, 10)
    )
    model.fit([0, 1, 2, 0], [0, 1, 2, 2], [0.5, 10.0, 7.0, 9.5])
    pred = model.score_all().numpy()
    assert pred.min() >= 0.5 and pred.max() <= 10 and "0.5–10" in repr(model)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(rating_range=(5, 1)), "lowest < highest"),
        (dict(rating_range=5), "a \\(lowest, highest\\) pair"),
        (
            dict(rating_range=(1, float("nan"))),
            "the highest rating must be a finite number",
        ),
        (dict(seed=-1), "seed must be a non-negative integer"),
        (dict(seed=2.5), "seed must be a non-negative integer"),
        (dict(device="gpu"), "device must be a torch device"),
        (dict(dtype=torch.int64), "floating torch dtype"),
        (dict(dtype="float64"), "floating torch dtype"),
    ],
)
def test_bayesian_mf_refuses_bad_scale_seed_device_and_dtype(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bpmf.BayesianMF(5, 5, **kwargs)


def test_a_cuda_device_without_a_gpu_says_so():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        bpmf.BayesianMF(5, 5, device="cuda")


def test_a_malformed_validation_set_is_named():
    model = bpmf.BayesianMF(5, 5, dim=2, num_samples=3, burn_in=1)
    with pytest.raises(
        ValueError, match="validation must be a \\(users, items, ratings\\) triple"
    ):
        model.fit([0, 1], [0, 1], [3.0, 4.0], validation=([0], [1]))
    with pytest.raises(ValueError, match="non-empty and finite"):
        model.fit([0, 1], [0, 1], [3.0, 4.0], validation=([0], [1], [float("nan")]))
