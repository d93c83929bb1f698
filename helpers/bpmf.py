"""Bayesian matrix factorisation with biases, Gibbs-sampled, vectorised in PyTorch.

Project 7.3 teaches the model; this module holds the sampler, which the
notebook, the benchmark and the tests share::

    from helpers import bpmf
    model = bpmf.BayesianMF(num_users, num_items, dim=10).fit(users, items, ratings)
    model.predict(test_users, test_items)  # the posterior mean rating, clipped to 1–5

The model is Salakhutdinov and Mnih's Bayesian probabilistic matrix
factorisation (BPMF, ICML 2008) with a bias per user and per item, as in
Rendle's MCMC factorisation machines:

    r_ui ~ Normal(mu + b_u + b_i + p_u . q_i,  1 / alpha)
    [p_u, b_u] ~ Normal(m_U, inv(L_U)),  [q_i, b_i] ~ Normal(m_I, inv(L_I))
    (m, L) ~ Gaussian-Wishart,  alpha ~ Gamma

Gibbs sampling alternates: draw the prior parameters of users and items given
the current vectors; draw **every** user vector at once given the items (each
is a Bayesian ridge regression on the items that user rated, so all of them are
one batched Cholesky solve); the same for items; draw the noise precision.
Predictions are averaged over the draws after a burn-in. The conditional mean
of a draw is exactly the alternating-least-squares (ALS) update, so
:func:`posterior_rows` also serves ALS.

The sampler keeps the ratings as sparse (CSR) matrices, but the averaged
predictions as a dense users × items matrix, which suits data sets whose
users × items fits in memory easily — MovieLens-100k has 1.6 M cells,
MovieLens-1M 22 M. :func:`rating_matrix` gives the dense form that ALS in
the notebook uses.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import torch

from .arguments import integer, number
from .recommend import rmse
from .tensors import to_numpy

__all__ = [
    "BayesianMF",
    "rating_matrix",
    "posterior_rows",
    "draw_gaussian_wishart",
    "select_dim",
]


def _ids(values, size: int, name: str) -> torch.Tensor:
    if isinstance(values, torch.Tensor):
        values = to_numpy(values)
    array = np.array(values).ravel()  # a copy: pandas may hand out read-only arrays
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not (
            np.issubdtype(array.dtype, np.number)
            and np.array_equal(array, np.round(array))
        ):
            raise ValueError(
                f"{name} ids must be whole numbers, got dtype {array.dtype}"
            )
    ids = torch.as_tensor(array.astype(np.int64))
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= size):
        raise ValueError(
            f"{name} ids must lie in 0 … {size - 1}; got {int(ids.min())} … "
            f"{int(ids.max())}"
        )
    return ids


def _triples(users, items, ratings, num_users: int, num_items: int):
    """Checked rating triples: ``(user ids, item ids)`` as tensors, ratings as floats.

    Raises
    ------
    ValueError
        If the three arrays differ in length, are empty, an id is out of range,
        a rating is not finite, or a (user, item) pair occurs twice.
    """
    ratings = np.asarray(ratings, dtype=float).ravel()
    u, i = _ids(users, num_users, "user"), _ids(items, num_items, "item")
    if not len(u) == len(i) == len(ratings):
        raise ValueError(
            f"users, items and ratings differ in length: {len(u)}, {len(i)}, "
            f"{len(ratings)}"
        )
    if len(ratings) == 0:
        raise ValueError("no ratings to factorise")
    if not np.isfinite(ratings).all():
        raise ValueError("ratings must be finite (found NaN or inf)")
    if len(torch.unique(u * num_items + i)) != len(u):
        raise ValueError(
            "a (user, item) pair occurs more than once; keep one rating per pair"
        )
    return u, i, ratings


def rating_matrix(
    users,
    items,
    ratings,
    num_users: int,
    num_items: int,
    *,
    dtype=torch.float64,
    device="cpu",
):
    """Dense ``(mask, values)`` matrices of shape ``(num_users, num_items)`` from
    rating triples.

    ``mask`` is 1 where a rating exists, ``values`` holds it (0 elsewhere).

    Raises
    ------
    ValueError
        If the three arrays differ in length, are empty, an id is out of range,
        a rating is not finite, or a (user, item) pair occurs twice.
    """
    u, i, ratings = _triples(users, items, ratings, num_users, num_items)
    mask = torch.zeros(num_users, num_items, dtype=dtype, device=device)
    values = torch.zeros_like(mask)
    u, i = u.to(device), i.to(device)
    mask[u, i] = 1
    values[u, i] = torch.as_tensor(ratings, dtype=dtype, device=device)
    return mask, values


def posterior_rows(
    mask,
    masked_targets,
    features,
    prior_mean,
    prior_precision,
    noise_precision=1.0,
    generator=None,
):
    """Solve (or sample) one Bayesian ridge regression per row, all rows at once.

    Row ``r`` observes ``targets[r, j] ≈ features[j] @ x_r`` for the columns ``j``
    where ``mask[r, j] == 1``, with noise precision ``alpha`` and the prior
    ``x_r ~ Normal(prior_mean, inv(prior_precision))``. Its posterior is Normal with

        precision  A_r = prior_precision + alpha * sum_j mask[r, j] f_j f_j^T
        mean       m_r = inv(A_r) (alpha * sum_j mask[r, j] targets[r, j] f_j
                                   + prior_precision @ prior_mean)

    Both sums for every row are one matrix product each (``mask @ (f ⊗ f)`` and
    ``masked_targets @ F``), and all rows are solved with one batched Cholesky.

    Parameters
    ----------
    mask, masked_targets
        ``(rows, cols)`` tensors: 1 where observed, and the targets there (0
        elsewhere). Dense, or sparse CSR with the same pattern (much faster
        when most cells are empty).
    features
        ``(cols, d)`` tensor: the other side's vectors.
    prior_mean
        ``(d,)`` tensor.
    prior_precision
        ``(d, d)`` shared by every row, or ``(rows, d, d)``, one per row (ALS's
        weighted-λ regularisation ``λ n_r I`` is the latter).
    noise_precision
        ``alpha``, a positive number.
    generator
        ``None`` returns the posterior means (an ALS step). A ``torch.Generator``
        returns one draw from each posterior (a Gibbs step).

    Returns
    -------
    torch.Tensor
        ``(rows, d)``.

    Raises
    ------
    ValueError
        If a posterior precision is not positive definite (a prior too weak
        for a row without observations).
    """
    cols, d = features.shape
    outer = (features[:, :, None] * features[:, None, :]).reshape(cols, d * d)
    precision = noise_precision * (mask @ outer).reshape(-1, d, d) + prior_precision
    rhs = noise_precision * (masked_targets @ features) + (
        prior_precision @ prior_mean.unsqueeze(-1)
    ).squeeze(-1)
    cholesky, info = torch.linalg.cholesky_ex(precision)
    if int(info.max()) > 0:
        raise ValueError(
            "a posterior precision matrix is not positive definite; raise the prior "
            "precision"
        )
    mean = torch.cholesky_solve(rhs.unsqueeze(-1), cholesky).squeeze(-1)
    if generator is None:
        return mean
    # x = m + L^-T z has covariance L^-T L^-1 = (L L^T)^-1 = A^-1 when z ~ Normal(0, I)
    noise = torch.randn(
        mean.shape + (1,), generator=generator, dtype=mean.dtype, device=mean.device
    )
    return mean + torch.linalg.solve_triangular(cholesky.mT, noise, upper=True).squeeze(
        -1
    )


class _SparsePattern:
    """The ratings as a CSR pattern, rows = one side (users or items), built once."""

    def __init__(self, rows, cols, num_rows, num_cols, *, dtype, device):
        order = torch.argsort(rows * num_cols + cols)
        # rating k of the pattern is rating order[k] of the input
        self.order = order.to(device)
        counts = torch.bincount(rows, minlength=num_rows)
        self.crow = torch.cat([torch.zeros(1, dtype=torch.long), counts.cumsum(0)]).to(
            device
        )
        self.col = cols[order].to(device)
        self.shape = (num_rows, num_cols)
        self.mask = self.matrix(torch.ones(len(rows), dtype=dtype, device=device))

    def matrix(self, values_in_input_order):
        # "sparse CSR support is in beta": we rely only on CSR @ dense
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return torch.sparse_csr_tensor(
                self.crow, self.col, values_in_input_order[self.order], self.shape
            )


def draw_gaussian_wishart(vectors, rng: np.random.Generator, *, beta0: float = 2.0):
    """Draw a prior ``(mean, precision)`` for ``vectors``
    from their Gaussian–Wishart posterior.

    The hyper-prior is BPMF's: mean 0 with strength ``beta0``, ``nu0 = d``
    degrees of freedom and scale matrix ``I``. The precision is drawn with
    Bartlett's decomposition (numpy; the matrices are only ``d × d``).

    Parameters
    ----------
    vectors
        ``(n, d)`` tensor: the current user (or item) vectors.
    rng
        Source of randomness.

    Returns
    -------
    (mean, precision)
        Tensors of shapes ``(d,)`` and ``(d, d)``, dtype and device of ``vectors``.
    """
    x = vectors.detach().to("cpu", torch.float64).numpy()
    n, d = x.shape
    x_bar = x.mean(axis=0)
    scatter = (x - x_bar).T @ (x - x_bar)
    beta, nu = beta0 + n, d + n
    mean_star = n * x_bar / beta
    scale = np.linalg.inv(
        np.eye(d) + scatter + (beta0 * n / beta) * np.outer(x_bar, x_bar)
    )
    scale_chol = np.linalg.cholesky((scale + scale.T) / 2)
    bartlett = np.tril(rng.standard_normal((d, d)), -1)
    bartlett[np.diag_indices(d)] = np.sqrt(rng.chisquare(nu - np.arange(d)))
    factor = scale_chol @ bartlett
    precision = factor @ factor.T  # ~ Wishart(scale, nu)
    cov_chol = np.linalg.cholesky(np.linalg.inv(beta * precision))
    mean = mean_star + cov_chol @ rng.standard_normal(d)
    as_tensor = lambda a: torch.as_tensor(a, dtype=vectors.dtype, device=vectors.device)  # noqa: E731
    return as_tensor(mean), as_tensor(precision)


def _device(device) -> torch.device:
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(
            f"device must be a torch device such as 'cpu' or 'cuda', got {device!r}"
        ) from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "device='cuda' was asked for, but no CUDA GPU is available here; use 'cpu'"
        )
    return device


def _float_dtype(dtype) -> torch.dtype:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(
            "dtype must be a floating torch dtype (torch.float64 or torch.float32), "
            f"got {dtype!r}"
        )
    return dtype


def _rating_range(rating_range) -> tuple[float, float]:
    try:
        low, high = rating_range
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"rating_range must be a (lowest, highest) pair, got {rating_range!r}"
        ) from error
    low, high = number(low, "the lowest rating"), number(high, "the highest rating")
    if not low < high:
        raise ValueError(
            "rating_range must be (lowest, highest) with lowest < highest, got "
            f"{rating_range!r}"
        )
    return low, high


class BayesianMF:
    """Biased matrix factorisation averaged over Gibbs draws from its posterior (BPMF).

    Parameters
    ----------
    num_users, num_items
        Sizes of the id ranges (ids are row numbers: ``0 … num_users - 1``).
    dim
        Number of latent factors ``d``.
    num_samples
        Gibbs sweeps in all; predictions average the sweeps after ``burn_in``.
    burn_in
        Sweeps discarded while the chain moves away from its random start.
    seed
        Seeds the chain (torch and numpy generators of its own; global state is
        untouched).
    device
        Where the tensors live (``"cpu"``, ``"cuda"``, …).
    dtype
        ``torch.float64`` (default) keeps the Cholesky solves robust.
    rating_range
        ``(lowest, highest)`` rating of the scale, default MovieLens's 1–5 stars.
        Ratings outside it are refused, and every prediction is clipped to it.

    Attributes (after :meth:`fit`)
    ------------------------------
    history : list of dict
        One row per kept sweep: ``sample``, ``alpha`` (the noise precision
        drawn), ``seconds`` since the start, and ``val_rmse`` (the RMSE of the
        running average on the ``validation`` ratings) when they were given.
    """

    def __init__(
        self,
        num_users: int,
        num_items: int,
        dim: int = 10,
        *,
        num_samples: int = 100,
        burn_in: int = 10,
        seed: int = 0,
        device="cpu",
        dtype=torch.float64,
        rating_range: tuple[float, float] = (1, 5),
    ):
        for name, value, low in (
            ("num_users", num_users, 1),
            ("num_items", num_items, 1),
            ("dim", dim, 1),
            ("num_samples", num_samples, 1),
            ("burn_in", burn_in, 0),
            ("seed", seed, 0),
        ):
            integer(value, name, minimum=low)
        if burn_in >= num_samples:
            raise ValueError(
                f"burn_in ({burn_in}) must be smaller than num_samples "
                f"({num_samples}): no draw would be kept"
            )
        self.num_users, self.num_items, self.dim = (
            int(num_users),
            int(num_items),
            int(dim),
        )
        self.num_samples, self.burn_in, self.seed = (
            int(num_samples),
            int(burn_in),
            int(seed),
        )
        self.device, self.dtype = _device(device), _float_dtype(dtype)
        self.rating_range = _rating_range(rating_range)
        self.history: list[dict] = []
        self._score_sum = None
        self._kept = 0

    def fit(
        self, users, items, ratings, *, validation=None, progress=False
    ) -> BayesianMF:
        """Run the Gibbs sampler on rating triples and keep the average prediction.

        Parameters
        ----------
        users, items, ratings
            Array-likes of equal length: one rating per (user, item) pair.
        validation
            Optional ``(users, items, ratings)`` to record the running-average
            RMSE after each kept sweep in :attr:`history` (it never changes the fit).
        progress
            Show a tqdm bar over the sweeps.
        """
        u, i, ratings = _triples(users, items, ratings, self.num_users, self.num_items)
        self._check_scale(ratings, "ratings")
        kw = {"dtype": self.dtype, "device": self.device}
        # a copy: pandas may hand over a read-only array
        r = torch.tensor(ratings, **kw)
        by_user = _SparsePattern(u, i, self.num_users, self.num_items, **kw)
        by_item = _SparsePattern(i, u, self.num_items, self.num_users, **kw)
        u, i = u.to(self.device), i.to(self.device)
        if validation is not None:
            if not isinstance(validation, (tuple, list)) or len(validation) != 3:
                raise ValueError(
                    "validation must be a (users, items, ratings) triple of array-likes"
                )
            val_u = _ids(validation[0], self.num_users, "validation user").to(
                self.device
            )
            val_i = _ids(validation[1], self.num_items, "validation item").to(
                self.device
            )
            val_r = torch.as_tensor(np.asarray(validation[2], dtype=float), **kw)
            if not len(val_u) == len(val_i) == len(val_r):
                raise ValueError("validation users, items and ratings differ in length")
            if len(val_r) == 0 or not torch.isfinite(val_r).all():
                raise ValueError("validation ratings must be non-empty and finite")
            self._check_scale(to_numpy(val_r), "validation ratings")
        d = self.dim
        generator = torch.Generator(device=self.device).manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.mu = float(r.mean())
        # Each side's vector is [factors, bias]; the other side sees it through
        # [factors, 1].
        user_vec = 0.1 * torch.randn(self.num_users, d + 1, generator=generator, **kw)
        item_vec = 0.1 * torch.randn(self.num_items, d + 1, generator=generator, **kw)
        ones_u, ones_i = (
            torch.ones(self.num_users, 1, **kw),
            torch.ones(self.num_items, 1, **kw),
        )
        alpha = 2.0
        self._score_sum = torch.zeros(self.num_users, self.num_items, **kw)
        self._kept, self.history = 0, []
        start = time.perf_counter()
        sweeps = range(self.num_samples)
        if progress:
            from tqdm.auto import tqdm

            sweeps = tqdm(sweeps, desc=f"BPMF dim {d}")
        for sweep in sweeps:
            # users given items: the target of rating (u, i) is r - mu - b_i
            item_features = torch.cat([item_vec[:, :d], ones_i], 1)
            targets = by_user.matrix(r - self.mu - item_vec[i, d])
            user_vec = posterior_rows(
                by_user.mask,
                targets,
                item_features,
                *draw_gaussian_wishart(user_vec, rng),
                alpha,
                generator,
            )
            # items given users: the target is r - mu - b_u
            user_features = torch.cat([user_vec[:, :d], ones_u], 1)
            targets = by_item.matrix(r - self.mu - user_vec[u, d])
            item_vec = posterior_rows(
                by_item.mask,
                targets,
                user_features,
                *draw_gaussian_wishart(item_vec, rng),
                alpha,
                generator,
            )
            # noise precision: Gamma(1 + n/2, rate 1 + SSE/2), the posterior under a
            # Gamma(1, 1) prior
            fitted = (
                self.mu
                + user_vec[u, d]
                + item_vec[i, d]
                + (user_vec[u, :d] * item_vec[i, :d]).sum(1)
            )
            sse = float(((fitted - r) ** 2).sum())
            alpha = float(rng.gamma(1.0 + len(r) / 2, 1.0 / (1.0 + sse / 2)))
            if sweep >= self.burn_in:
                scores = (
                    self.mu
                    + user_vec[:, d:]
                    + item_vec[:, d][None, :]
                    + user_vec[:, :d] @ item_vec[:, :d].T
                )
                # average clipped draws:
                # a draw outside the scale is not a possible rating
                self._score_sum += scores.clamp(*self.rating_range)
                self._kept += 1
                row = {
                    "sample": sweep + 1,
                    "alpha": alpha,
                    "seconds": time.perf_counter() - start,
                }
                if validation is not None:
                    pred = (self._score_sum[val_u, val_i] / self._kept).clamp(
                        *self.rating_range
                    )
                    row["val_rmse"] = float(((pred - val_r) ** 2).mean().sqrt())
                self.history.append(row)
        return self

    def _check_scale(self, ratings: np.ndarray, what: str) -> None:
        low, high = self.rating_range
        if ratings.min() < low or ratings.max() > high:
            raise ValueError(
                f"{what} must lie on the rating scale {low:g}–{high:g} (rating_range); "
                f"got {ratings.min():g} … {ratings.max():g}. The model clips every "
                "prediction to its scale: for another one (e.g. half stars 0.5–5) pass "
                "rating_range=(lowest, highest)"
            )

    def _check_fitted(self) -> None:
        if self._kept == 0:
            raise RuntimeError(
                "the model is not fitted yet: call fit(users, items, ratings) first"
            )

    def score_all(self) -> torch.Tensor:
        """The ``(num_users, num_items)`` matrix of posterior-mean predicted ratings."""
        self._check_fitted()
        return self._score_sum / self._kept

    def predict(self, users, items) -> np.ndarray:
        """Posterior-mean ratings of (user, item) pairs, clipped to ``rating_range``,
        as a numpy array."""
        self._check_fitted()
        u = _ids(users, self.num_users, "user").to(self.device)
        i = _ids(items, self.num_items, "item").to(self.device)
        if len(u) != len(i):
            raise ValueError(f"users and items differ in length: {len(u)} vs {len(i)}")
        return to_numpy((self._score_sum[u, i] / self._kept).clamp(*self.rating_range))

    @property
    def seconds_per_sample(self) -> float:
        """Mean wall-clock seconds per Gibbs sweep, burn-in sweeps included."""
        self._check_fitted()
        return self.history[-1]["seconds"] / self.history[-1]["sample"]

    def __repr__(self) -> str:
        state = f"{self._kept} draws kept" if self._kept else "not fitted"
        return (
            f"BayesianMF(dim={self.dim}, num_samples={self.num_samples}, "
            f"burn_in={self.burn_in}, "
            f"rating_range={self.rating_range[0]:g}–{self.rating_range[1]:g}, "
            f"seed={self.seed}; {state})"
        )


# taught in project 7.3 (its evaluation section); the notebook's cell is compared with
# this one by tests/test_taught_code.py
def select_dim(
    fit_part, val, dims, num_users, num_items, *, seed=0, device="cpu", **settings
):
    """Choose BPMF's dimension: one chain per dimension, scored on validation ratings.

    Returns the dimension whose posterior-mean prediction has the lowest validation
    RMSE, and the RMSE of every dimension tried (a dict). ``settings`` go to
    :class:`BayesianMF` (``num_samples``, ``burn_in``, ...).
    """
    val_rmse = {}
    for dim in dims:
        model = BayesianMF(
            num_users, num_items, dim=dim, seed=seed, device=device, **settings
        )
        model.fit(fit_part["user_id"], fit_part["item_id"], fit_part["rating"])
        val_rmse[dim] = rmse(
            val["rating"], model.predict(val["user_id"], val["item_id"])
        )
    return min(val_rmse, key=val_rmse.get), val_rmse
