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
    history = train.fit(model, loader, epochs=5, optimizer=opt, val_loader=train.TensorLoader(x, y),
                        progress=False)
    assert history.epochs == 5
    assert all(len(history[k]) == 5 for k in train.HISTORY_KEYS)
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["val_acc"][-1] == 1.0
    loss, acc = train.evaluate(model, train.TensorLoader(x, y, batch_size=7))
    assert acc == 1.0 and loss == pytest.approx(history["val_loss"][-1], rel=1e-5)


def test_history_without_validation_and_curves_for_plotting():
    x, y = separable(64)
    model, opt = make()
    history = train.fit(model, train.TensorLoader(x, y, batch_size=16), epochs=2, optimizer=opt, progress=False)
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
    history = train.fit(model, DataLoader(TensorDataset(x, y), batch_size=16), epochs=3, optimizer=opt,
                        scheduler=sched, on_epoch_end=lambda h: seen.append(h.epochs), progress=True)
    assert seen == [1, 2, 3]
    assert sched.last_epoch == 18  # stepped once per batch
    assert history["train_acc"][-1] == 1.0


def test_training_is_reproducible_with_the_same_seeds():
    x, y = separable()
    runs = []
    for _ in range(2):
        model, opt = make(seed=3)
        train.fit(model, train.TensorLoader(x, y, batch_size=16, shuffle=True, seed=5), epochs=2,
                  optimizer=opt, progress=False)
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


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"epochs": 0}, ValueError, "epochs"),
    ({"epochs": 1.5}, ValueError, "epochs"),
    ({"optimizer": "adam"}, TypeError, "optimizer"),
    ({"train_loader": None}, TypeError, "train_loader"),
    ({"train_loader": []}, ValueError, "empty"),
    ({"scheduler_step": "sometimes"}, ValueError, "scheduler_step"),
])
def test_bad_arguments_give_clear_errors(kwargs, error, message):
    x, y = separable(8)
    model, opt = make()
    args = {"train_loader": train.TensorLoader(x, y), "epochs": 1, "optimizer": opt, "progress": False}
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
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
