"""Project 7.3's recommender: speed of the training loops, accuracy against Surprise.

    python bench/bench_recommender.py              # everything, folds u1–u5
    python bench/bench_recommender.py --folds u1   # quicker

Table 1 times one training epoch over the ratings of fold u1 (80,000 in the
full data set), side by side in this run:

- the vectorised PyTorch loop of the notebook (mini-batches of 4096 ratings);
- the same model in TensorFlow 2 with a ``@tf.function`` step, batches cut
  from a fresh permutation each epoch (the notebook's pipeline), and again with
  ``tf.data``'s element-wise ``shuffle`` — the pipeline the tutorials show;
- the article's loop, fixed so that it runs (tables of shape (count, dim),
  float32, Adam): one ``GradientTape`` and one optimiser step **per rating**.
  It is timed on a sample of ratings and extrapolated linearly to an epoch.

Table 2 compares test RMSE, MAE and fit time on the official folds with
Surprise's ``SVD`` and ``SVDpp`` (default settings, as a reader would run
them). Our two models follow the notebook's protocol; their fit times include
the choice of hyper-parameters on a 10 % validation split of each fold's
training part:

- biased MF trained by SGD (Adam), early-stopped on the validation split, then
  refit on the whole training part;
- Bayesian MF (``helpers.bpmf``, Gibbs sampling): its dimension chosen from
  the notebook's grid on the validation split, then refit.

Rows for Surprise are skipped, with a message, when ``scikit-surprise`` is not
installed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from helpers import bpmf, data, recommend  # noqa: E402

DIM, LAM, LAM_BIAS, LR, BATCH = 256, 0.12, 1e-3, 3e-3, 4096
# the notebook's full-profile settings
BPMF_DIMS, BPMF_SAMPLES, BPMF_BURN_IN = (10, 20), 100, 10


# --- PyTorch: the notebook's model ----------------------------------------------------


def torch_model(num_users, num_items, mu, seed=0):
    import torch

    from helpers.models import BiasedMF  # the model project 7.3 teaches

    torch.manual_seed(seed)
    return BiasedMF(num_users, num_items, DIM, mu)


def torch_fit(train, val, num_users, num_items, num_epochs=100, patience=5, seed=0):
    """Train; with ``val``, stop early and return the best epoch.

    Returns (model, epochs, s/epoch).
    """
    import torch

    def tensors(f):
        return (
            torch.tensor(f["user_id"].to_numpy()),
            torch.tensor(f["item_id"].to_numpy()),
            torch.tensor(f["rating"].to_numpy(), dtype=torch.float32),
        )

    u, i, r = tensors(train)
    model = torch_model(num_users, num_items, r.mean().item(), seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    best, best_epoch, state, epoch_times = np.inf, 0, None, []
    for epoch in range(1, num_epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(r))
        for s in range(0, len(r), BATCH):
            b = order[s : s + BATCH]
            loss = ((model(u[b], i[b]) - r[b]) ** 2).mean() + model.penalty(
                u[b], i[b], LAM, LAM_BIAS
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        epoch_times.append(time.perf_counter() - start)
        if val is not None:
            vu, vi, vr = tensors(val)
            with torch.no_grad():
                rmse = recommend.rmse(vr.numpy(), model(vu, vi).clamp(1, 5).numpy())
            if rmse < best:
                best, best_epoch = rmse, epoch
                state = {k: v.clone() for k, v in model.state_dict().items()}
            elif epoch - best_epoch >= patience:
                break
    if state is not None:
        model.load_state_dict(state)
    return model, best_epoch or num_epochs, float(np.median(epoch_times))


def torch_predict(model, frame):
    import torch

    with torch.no_grad():
        pred = model(
            torch.tensor(frame["user_id"].to_numpy()),
            torch.tensor(frame["item_id"].to_numpy()),
        )
    return pred.clamp(1, 5).numpy()


# --- TensorFlow: vectorised and per-rating --------------------------------------------


def tf_epoch_seconds(train, num_users, num_items, num_epochs=3):
    """Seconds per epoch of the TF2 loop: (permutation batches, ``tf.data`` shuffle)."""
    import tensorflow as tf

    tf.random.set_seed(0)
    P = tf.Variable(tf.random.normal((num_users, DIM), stddev=0.01))
    Q = tf.Variable(tf.random.normal((num_items, DIM), stddev=0.01))
    bu, bi = tf.Variable(tf.zeros(num_users)), tf.Variable(tf.zeros(num_items))
    mu = float(train["rating"].mean())
    variables = [P, Q, bu, bi]
    optimizer = tf.keras.optimizers.Adam(learning_rate=LR)
    optimizer.build(variables)
    spec = (
        tf.TensorSpec([None], tf.int64),
        tf.TensorSpec([None], tf.int64),
        tf.TensorSpec([None], tf.float32),
    )

    @tf.function(input_signature=spec)
    def step(u, i, r):
        with tf.GradientTape() as tape:
            p, q = tf.gather(P, u), tf.gather(Q, i)
            b_u, b_i = tf.gather(bu, u), tf.gather(bi, i)
            pred = mu + b_u + b_i + tf.reduce_sum(p * q, -1)
            penalty = LAM * (
                tf.reduce_sum(p**2, -1) + tf.reduce_sum(q**2, -1)
            ) + LAM_BIAS * (b_u**2 + b_i**2)
            loss = tf.reduce_mean((pred - r) ** 2 + penalty)
        optimizer.apply_gradients(
            zip(tape.gradient(loss, variables), variables, strict=True)
        )

    columns = (
        train["user_id"].to_numpy(np.int64),
        train["item_id"].to_numpy(np.int64),
        train["rating"].to_numpy(np.float32),
    )
    rng = np.random.default_rng(0)

    def permutation_epoch():
        order = rng.permutation(len(columns[2]))
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            step(*(column[batch] for column in columns))

    batches = (
        tf.data.Dataset.from_tensor_slices(columns)
        .shuffle(len(train), seed=0)
        .batch(BATCH)
    )

    def tf_data_epoch():
        for u, i, r in batches:
            step(u, i, r)

    seconds = []
    for epoch in (permutation_epoch, tf_data_epoch):
        times = []
        # the first epoch traces the function: not counted
        for _ in range(num_epochs + 1):
            start = time.perf_counter()
            epoch()
            times.append(time.perf_counter() - start)
        seconds.append(float(np.median(times[1:])))
    return tuple(seconds)


def article_loop_seconds(train, num_users, num_items, sample=300):
    """The article's per-rating loop, fixed to run; seconds per rating.

    Timed on ``sample`` ratings.
    """
    import tensorflow as tf

    # (count, dim): the fix
    user_embedding = tf.Variable(tf.random.normal((num_users, 10)))
    item_embedding = tf.Variable(tf.random.normal((num_items, 10)))
    optimizer = tf.keras.optimizers.Adam()

    def collaborative_filter(user_ids, item_ids):
        return tf.reduce_sum(
            tf.nn.embedding_lookup(user_embedding, user_ids)
            * tf.nn.embedding_lookup(item_embedding, item_ids),
            axis=1,
        )

    rows = train.sample(sample + 20, random_state=0)[
        ["user_id", "item_id", "rating"]
    ].to_numpy()
    times = []
    for n, (user_id, item_id, rating) in enumerate(rows):
        start = time.perf_counter()
        with tf.GradientTape() as tape:
            prediction = collaborative_filter([user_id], [item_id])
            loss = tf.reduce_mean(tf.square(float(rating) - prediction))
        gradients = tape.gradient(loss, [user_embedding, item_embedding])
        optimizer.apply_gradients(
            zip(gradients, [user_embedding, item_embedding], strict=True)
        )
        if n >= 20:  # the first steps build the optimiser: not counted
            times.append(time.perf_counter() - start)
    return float(np.mean(times))


# --- Bayesian MF (helpers.bpmf) -------------------------------------------------------


def bayesian_row(fold, fit_part, val, train, test, num_users, num_items):
    """Choose the dimension on ``val``, refit on ``train``, score ``test``.

    The time covers both the choice and the refit.
    """
    settings = dict(num_samples=BPMF_SAMPLES, burn_in=BPMF_BURN_IN)
    start = time.perf_counter()
    dim, _ = bpmf.select_dim(fit_part, val, BPMF_DIMS, num_users, num_items, **settings)
    model = bpmf.BayesianMF(num_users, num_items, dim=dim, **settings)
    model.fit(train["user_id"], train["item_id"], train["rating"])
    pred = model.predict(test["user_id"], test["item_id"])
    seconds = time.perf_counter() - start
    row = {
        "model": f"our Bayesian MF (dim {'/'.join(map(str, BPMF_DIMS))})",
        "fold": fold,
        "rmse": recommend.rmse(test["rating"], pred),
        "mae": recommend.mae(test["rating"], pred),
        "fit s": seconds,
    }
    print(
        f"  {fold} our Bayesian MF RMSE {row['rmse']:.4f}  "
        f"fit {seconds:6.1f} s (dim {dim})",
        flush=True,
    )
    return row


# --- Surprise -------------------------------------------------------------------------


def surprise_rows(ml, folds):
    try:
        import surprise
    except ImportError:
        print(
            "\nscikit-surprise is not installed (pip install scikit-surprise): "
            "Surprise rows skipped."
        )
        return []
    rows = []
    reader = surprise.Reader(rating_scale=(1, 5))
    for fold in folds:
        train, test = ml.split(fold)
        trainset = surprise.Dataset.load_from_df(
            train[["user_id", "item_id", "rating"]], reader
        ).build_full_trainset()
        testset = list(
            test[["user_id", "item_id", "rating"]].itertuples(index=False, name=None)
        )
        for name, algo in (
            ("Surprise SVD", surprise.SVD(random_state=0)),
            ("Surprise SVD++", surprise.SVDpp(random_state=0)),
        ):
            start = time.perf_counter()
            algo.fit(trainset)
            seconds = time.perf_counter() - start
            pred = np.array([p.est for p in algo.test(testset)])
            rows.append(
                {
                    "model": name,
                    "fold": fold,
                    "rmse": recommend.rmse(test["rating"], pred),
                    "mae": recommend.mae(test["rating"], pred),
                    "fit s": seconds,
                }
            )
            print(
                f"  {fold} {name:15s} RMSE {rows[-1]['rmse']:.4f}  "
                f"fit {seconds:6.1f} s",
                flush=True,
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folds", nargs="+", default=["u1", "u2", "u3", "u4", "u5"])
    parser.add_argument(
        "--sample", type=int, default=300, help="ratings timed in the per-rating loop"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (1 is fastest for these sizes)",
    )
    args = parser.parse_args()

    import pandas as pd
    import torch

    torch.set_num_threads(args.threads)
    ml = data.load_movielens_100k(verbose=False)
    num_users = int(ml.ratings["user_id"].max()) + 1
    num_items = int(ml.ratings["item_id"].max()) + 1
    train_u1, _ = ml.split("u1")

    print(
        f"Table 1 · seconds per epoch over the {len(train_u1):,} ratings of u1.base "
        f"(dim {DIM} for the vectorised loops, batch {BATCH})",
        flush=True,
    )
    _, _, torch_s = torch_fit(train_u1, None, num_users, num_items, num_epochs=3)
    tf_s, tf_data_s = tf_epoch_seconds(train_u1, num_users, num_items)
    per_rating = article_loop_seconds(train_u1, num_users, num_items, args.sample)
    article_s = per_rating * len(train_u1)
    seconds = [torch_s, tf_s, tf_data_s, article_s]
    speed = pd.DataFrame(
        {"s / epoch": seconds, "speed-up vs article": [article_s / s for s in seconds]},
        index=[
            "PyTorch, mini-batches",
            "TensorFlow 2, @tf.function, permutation batches",
            "TensorFlow 2, @tf.function, tf.data shuffle",
            f"article: 1 step per rating (extrapolated from {args.sample})",
        ],
    )
    print(speed.to_string(float_format=lambda v: f"{v:,.3f}"))

    print(f"\nTable 2 · test error on folds {', '.join(args.folds)}", flush=True)
    rows = []
    for fold in args.folds:
        train, test = ml.split(fold)
        fit_part, val = recommend.validation_split(train, 0.1, seed=0)
        start = time.perf_counter()
        _, epochs, _ = torch_fit(fit_part, val, num_users, num_items)
        model, _, _ = torch_fit(train, None, num_users, num_items, num_epochs=epochs)
        seconds = time.perf_counter() - start
        pred = torch_predict(model, test)
        rows.append(
            {
                "model": f"our biased MF (dim {DIM}, λ {LAM})",
                "fold": fold,
                "rmse": recommend.rmse(test["rating"], pred),
                "mae": recommend.mae(test["rating"], pred),
                "fit s": seconds,
            }
        )
        print(
            f"  {fold} our biased MF    RMSE {rows[-1]['rmse']:.4f}  "
            f"fit {seconds:6.1f} s",
            flush=True,
        )
        rows.append(
            bayesian_row(fold, fit_part, val, train, test, num_users, num_items)
        )
    rows += surprise_rows(ml, args.folds)
    summary = recommend.fold_summary(rows, metrics=["rmse", "mae", "fit s"])
    print(summary.to_string(float_format=lambda v: f"{v:.4f}"))
    for ours_name in summary.index[:2]:
        ours = summary.loc[ours_name]
        for name in ("Surprise SVD", "Surprise SVD++"):
            if name in summary.index:
                other = summary.loc[name]
                rmse_gap = ours["rmse mean"] - other["rmse mean"]
                print(
                    f"{ours_name} vs {name}: RMSE {rmse_gap:+.4f}, "
                    f"fit time × {ours['fit s mean'] / other['fit s mean']:.2f}"
                )


if __name__ == "__main__":
    main()
