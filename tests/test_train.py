"""helpers.train: the fit loop, evaluation, prediction and the in-memory loader."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from helpers import train


def separable(n: int = 200, seed: int = 0):
    """Two Gaussian blobs far apart: a linear model can reach 100 % accuracy."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, 2, generator=g) + 4.0 * (2 * y[:, None] - 1)
    return x, y


def make(seed: int = 0):
    torch.manual_seed(seed)
    model = nn.Linear(2, 2)
    return model, torch.optim.SGD(model.parameters(), lr=0.1)


def test_fit_reaches_full_accuracy_and_the_loss_decreases():
    x, y = separable()
    model, opt = make()
    loader = train.TensorLoader(x, y, batch_size=32, shuffle=True)
    history = train.fit(
        model,
        loader,
        epochs=5,
        optimizer=opt,
        val_loader=train.TensorLoader(x, y),
        progress=False,
    )
    assert history.epochs == 5
    assert all(len(history[k]) == 5 for k in train.HISTORY_KEYS)
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["val_acc"][-1] == 1.0
    loss, acc = train.evaluate(model, train.TensorLoader(x, y, batch_size=7))
    assert acc == 1.0 and loss == pytest.approx(history["val_loss"][-1], rel=1e-5)


def test_history_without_validation_and_curves_for_plotting():
    x, y = separable(64)
    model, opt = make()
    history = train.fit(
        model,
        train.TensorLoader(x, y, batch_size=16),
        epochs=2,
        optimizer=opt,
        progress=False,
    )
    assert history["val_acc"] == [] and history["val_loss"] == []
    assert list(history.curves("acc")) == ["train acc"]
    assert list(history.curves("loss")) == ["train loss"]
    with pytest.raises(ValueError, match="kind"):
        history.curves("speed")


def test_fit_works_with_a_torch_dataloader_a_scheduler_and_the_callback():
    from torch.utils.data import DataLoader, TensorDataset

    x, y = separable(96)
    model, opt = make()
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=3 * 6)
    seen = []
    history = train.fit(
        model,
        DataLoader(TensorDataset(x, y), batch_size=16),
        epochs=3,
        optimizer=opt,
        scheduler=sched,
        on_epoch_end=lambda h: seen.append(h.epochs),
        progress=True,
    )
    assert seen == [1, 2, 3]
    assert sched.last_epoch == 18  # stepped once per batch
    assert history["train_acc"][-1] == 1.0


def test_training_is_reproducible_with_the_same_seeds():
    x, y = separable()
    runs = []
    for _ in range(2):
        model, opt = make(seed=3)
        train.fit(
            model,
            train.TensorLoader(x, y, batch_size=16, shuffle=True, seed=5),
            epochs=2,
            optimizer=opt,
            progress=False,
        )
        runs.append(torch.cat([p.detach().ravel() for p in model.parameters()]))
    assert torch.equal(runs[0], runs[1])


def test_predict_returns_probabilities_in_batches():
    x, y = separable(50)
    model, _ = make()
    probs = train.predict(model, x.numpy(), batch_size=7)
    assert probs.shape == (50, 2) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-6)
    expected = torch.softmax(model(x), 1).detach().numpy()
    np.testing.assert_allclose(probs, expected, rtol=1e-6)
    assert model.training  # the model's mode is restored


def test_tensor_loader_batches_and_shuffles():
    x, y = torch.arange(10.0)[:, None], torch.arange(10)
    assert len(train.TensorLoader(x, y, batch_size=4)) == 3
    assert len(train.TensorLoader(x, y, batch_size=4, drop_last=True)) == 2
    batches = list(train.TensorLoader(x, y, batch_size=4, shuffle=True, seed=1))
    assert sorted(torch.cat([b[1] for b in batches]).tolist()) == list(range(10))
    doubled = list(train.TensorLoader(x, y, batch_size=10, transform=lambda b: 2 * b))
    assert torch.equal(doubled[0][0], 2 * x)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"epochs": 1.5}, ValueError, "epochs"),
        ({"optimizer": "adam"}, TypeError, "optimizer"),
        ({"train_loader": None}, TypeError, "train_loader"),
        ({"train_loader": []}, ValueError, "empty"),
        ({"scheduler_step": "sometimes"}, ValueError, "scheduler_step"),
    ],
)
def test_bad_arguments_give_clear_errors(kwargs, error, message):
    x, y = separable(8)
    model, opt = make()
    args = {
        "train_loader": train.TensorLoader(x, y),
        "epochs": 1,
        "optimizer": opt,
        "progress": False,
    }
    args.update(kwargs)
    loader = args.pop("train_loader")
    with pytest.raises(error, match=message):
        train.fit(model, loader, **args)


def test_bad_loader_and_predict_arguments():
    with pytest.raises(ValueError, match="differ in length"):
        train.TensorLoader(torch.zeros(3, 2), torch.zeros(2))
    with pytest.raises(ValueError, match="empty"):
        train.TensorLoader(torch.zeros(0, 2), torch.zeros(0))
    with pytest.raises(ValueError, match="batch_size"):
        train.TensorLoader(torch.zeros(3, 2), torch.zeros(3), batch_size=0)
    model, _ = make()
    with pytest.raises(ValueError, match="at least one"):
        train.predict(model, torch.zeros(0, 2))
    with pytest.raises(ValueError, match="batch_size"):
        train.predict(model, torch.zeros(3, 2), batch_size=-1)


def test_importing_helpers_train_does_not_import_torch():
    code = "import sys, helpers.train; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


# --- loaders of every kind: accepted where they can work, refused clearly where not ---


def fresh_weights(model):
    return [p.detach().clone() for p in model.parameters()]


def same_weights(model, weights):
    return all(
        torch.equal(p, w) for p, w in zip(model.parameters(), weights, strict=True)
    )


class Stream(torch.utils.data.IterableDataset):
    """An iterable-style data set (no __len__): batches of two examples."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __iter__(self):
        return iter(zip(self.x, self.y, strict=True))


def test_an_iterable_style_dataloader_trains_for_several_epochs_and_evaluates():
    from torch.utils.data import DataLoader

    x, y = separable(64)
    model, opt = make()
    loader = DataLoader(Stream(x, y), batch_size=16)  # len(loader) raises TypeError
    history = train.fit(
        model, loader, epochs=3, optimizer=opt, val_loader=loader, progress=True
    )
    assert history.epochs == 3 and history["val_acc"][-1] == 1.0
    assert train.evaluate(model, loader)[1] == 1.0


def test_a_list_of_batches_is_re_iterable_and_a_generator_is_fine_for_one_epoch():
    x, y = separable(64)
    batches = list(train.TensorLoader(x, y, batch_size=16))
    model, opt = make()
    assert (
        train.fit(model, batches, epochs=3, optimizer=opt, progress=False).epochs == 3
    )
    model, opt = make()
    history = train.fit(
        model, (b for b in batches), epochs=1, optimizer=opt, progress=False
    )
    assert history.epochs == 1
    # one pass: a generator is fine
    loss, acc = train.evaluate(model, (b for b in batches))
    assert 0 <= acc <= 1 and loss > 0


@pytest.mark.parametrize("where", ["train_loader", "val_loader"])
def test_a_generator_for_several_epochs_is_refused_before_the_weights_change(where):
    x, y = separable(64)
    model, opt = make()
    before = fresh_weights(model)
    batches = list(train.TensorLoader(x, y, batch_size=16))
    loaders = {
        "train_loader": batches,
        "val_loader": batches,
        where: (b for b in batches),
    }
    with pytest.raises(
        train.LoaderError, match=rf"{where} is a one-shot iterator.*DataLoader"
    ):
        train.fit(
            model,
            loaders["train_loader"],
            val_loader=loaders["val_loader"],
            epochs=2,
            optimizer=opt,
            progress=False,
        )
    assert same_weights(model, before)


def test_empty_loaders_of_every_kind_are_named():
    from torch.utils.data import DataLoader, TensorDataset

    x, y = separable(8)
    model, opt = make()
    empty_map = DataLoader(TensorDataset(x[:0], y[:0]), batch_size=4)
    empty_stream = DataLoader(Stream(x[:0], y[:0]), batch_size=4)
    for loader in (empty_map, empty_stream, iter([])):
        with pytest.raises(train.LoaderError, match="no examples|empty"):
            train.fit(model, loader, epochs=1, optimizer=opt, progress=False)
        with pytest.raises(train.LoaderError, match="no examples|empty"):
            train.evaluate(model, loader)
    used_up = (b for b in [(x, y)])
    train.evaluate(model, used_up)
    # was ZeroDivisionError
    with pytest.raises(train.LoaderError, match="already used up"):
        train.evaluate(model, used_up)


@pytest.mark.parametrize(
    ("loader", "message"),
    [
        ("abc", "iterable of \\(x, y\\) batches"),
        (
            [(torch.zeros(2, 2), torch.zeros(2, dtype=torch.long), 1)],
            "tuple of length 3",
        ),
        ([torch.zeros(2, 2)], "\\(x, y\\) pairs"),
        ([(np.zeros((2, 2)), np.zeros(2))], "torch tensors"),
        (
            [(torch.zeros(3, 2), torch.zeros(2, dtype=torch.long))],
            "3 inputs and 2 labels",
        ),
    ],
)
def test_batches_that_are_not_x_y_tensor_pairs_get_a_sentence(loader, message):
    model, opt = make()
    with pytest.raises((TypeError, ValueError), match=message):
        train.fit(model, loader, epochs=1, optimizer=opt, progress=False)


def test_an_error_during_training_keeps_the_history_of_the_epochs_done():
    x, y = separable(32)
    good = list(train.TensorLoader(x, y, batch_size=16))

    class BreaksInEpochTwo:
        passes = 0

        def __iter__(self):
            self.passes += 1
            if self.passes == 2:
                raise OSError("disk went away")
            return iter(good)

    model, opt = make()
    with pytest.raises(OSError, match="disk went away") as error:
        train.fit(model, BreaksInEpochTwo(), epochs=3, optimizer=opt, progress=False)
    assert (
        error.value.history.epochs == 1 and len(error.value.history["train_loss"]) == 1
    )
    assert any(
        ".history" in note for note in getattr(error.value, "__notes__", [".history"])
    )


def test_tensor_loader_refuses_text_and_scalars_with_a_sentence():
    with pytest.raises(TypeError, match="x must be numbers"):
        train.TensorLoader(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match="first \\(example\\) dimension"):
        train.TensorLoader(torch.tensor(1.0), torch.tensor(1))


# --- early stopping and the best weights ----------------------------------------------


def overfitting_run(**kwargs):
    """Validation labels 20 % flipped: the validation loss falls until epoch 6, then
    rises."""
    g = torch.Generator().manual_seed(0)
    y = torch.arange(200) % 2
    x = torch.randn(200, 2, generator=g) + (2 * y[:, None] - 1)
    y_val = y.clone()
    y_val[:40] = 1 - y_val[:40]
    model = nn.Linear(2, 2)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    states = []  # the weights after every epoch, to compare with what is restored
    history = train.fit(
        model,
        train.TensorLoader(x, y, batch_size=20),
        epochs=30,
        optimizer=opt,
        val_loader=train.TensorLoader(x, y_val),
        progress=False,
        on_epoch_end=lambda h: states.append(fresh_weights(model)),
        **kwargs,
    )
    return model, history, states, train.TensorLoader(x, y_val)


def test_without_patience_every_epoch_runs_and_the_best_epoch_is_recorded():
    model, history, states, _ = overfitting_run()
    losses = history["val_loss"]
    assert history.epochs == 30 and not history.stopped_early and not history.restored
    assert history.best_epoch == 1 + int(
        np.argmin(losses)
    ) and history.best_value == min(losses)
    # a real minimum in the middle: the test can tell
    assert 1 < history.best_epoch < 30
    assert same_weights(model, states[-1])


def test_patience_stops_early_and_restore_best_loads_the_best_epochs_weights():
    model, history, states, val = overfitting_run(patience=3, restore_best=True)
    best = history.best_epoch
    assert history.stopped_early and history.epochs == best + 3 < 30
    assert (
        history["val_loss"][best - 1] == min(history["val_loss"]) == history.best_value
    )
    assert history.restored and same_weights(model, states[best - 1])
    assert not same_weights(model, states[-1])
    assert train.evaluate(model, val)[0] == pytest.approx(history.best_value, rel=1e-6)


def test_monitoring_accuracy_and_min_delta():
    _, history, _, _ = overfitting_run(patience=2, monitor="val_acc", min_delta=0.5)
    assert (
        history.monitor == "val_acc" and history.best_epoch == 1 and history.epochs == 3
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patience": 0}, "patience must be a positive integer"),
        ({"patience": 2.5}, "patience must be a positive integer"),
        ({"patience": 2}, "needs val_loader"),
        ({"restore_best": True}, "needs val_loader"),
        ({"restore_best": "yes"}, "restore_best must be one of True, False"),
        ({"monitor": "val_f1"}, "monitor must be one of 'val_loss'"),
        ({"min_delta": -0.1}, "min_delta must be a finite number ≥ 0"),
        ({"min_delta": float("nan")}, "min_delta must be a finite number"),
    ],
)
def test_bad_early_stopping_arguments_are_refused_before_training(kwargs, message):
    x, y = separable(8)
    model, opt = make()
    before = fresh_weights(model)
    with pytest.raises(ValueError, match=message):
        train.fit(
            model,
            train.TensorLoader(x, y),
            epochs=2,
            optimizer=opt,
            progress=False,
            **kwargs,
        )
    assert same_weights(model, before)


def test_restore_best_on_the_training_loss_needs_no_validation():
    x, y = separable(64)
    model, opt = make()
    history = train.fit(
        model,
        train.TensorLoader(x, y, batch_size=16),
        epochs=3,
        optimizer=opt,
        progress=False,
        monitor="train_loss",
        restore_best=True,
    )
    assert (
        history.best_epoch == 1 + int(np.argmin(history["train_loss"]))
        and history.restored
    )


def test_an_interrupted_fit_keeps_the_history_too():
    x, y = separable(32)
    model, opt = make()

    def stop_in_epoch_three(history):
        if history.epochs == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as error:
        train.fit(
            model,
            train.TensorLoader(x, y),
            epochs=5,
            optimizer=opt,
            progress=False,
            on_epoch_end=stop_in_epoch_three,
        )
    assert error.value.history.epochs == 2
