"""A small, readable PyTorch training loop: fit, evaluate, predict.

The loop is the one every tutorial writes — forward, loss, backward, step —
plus what a course needs around it: a progress bar (tqdm), a history of loss
and accuracy per epoch, optional live curves, the device handled in one place,
and bfloat16 autocast on CUDA. torch is imported inside the functions, so
``import helpers.train`` stays fast.

Functions and classes
---------------------
TensorLoader
    Batches of in-memory tensors that already live on the device (fast on a GPU).
fit
    Train for some epochs; returns a :class:`History`.
evaluate
    Mean loss and accuracy of a classifier on a loader.
predict
    Class probabilities for an array of inputs, in batches.
LivePlot
    An ``on_epoch_end`` callback that redraws the curves in a notebook.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from .arguments import integer

HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc", "seconds")


class History(dict):
    """Per-epoch lists: ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``, ``seconds``.

    A plain ``dict`` of lists (``history["val_acc"][-1]`` is the last epoch's
    validation accuracy); the ``val_*`` lists stay empty without validation data.
    """

    def __init__(self):
        super().__init__({key: [] for key in HISTORY_KEYS})

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self["train_loss"])

    def curves(self, kind: str = "acc") -> dict[str, list[float]]:
        """The non-empty ``*_loss`` or ``*_acc`` series, for :func:`helpers.plot.plot_history`."""
        if kind not in ("loss", "acc"):
            raise ValueError(f"kind must be 'loss' or 'acc', got {kind!r}")
        return {key.replace("_", " "): values for key, values in self.items()
                if key.endswith(kind) and values}


class TensorLoader:
    """Iterate over ``(x, y)`` batches of tensors kept on one device.

    A ``torch.utils.data.DataLoader`` copies every batch from the CPU; for a
    data set that fits in memory (MNIST is 47 MB as float32) it is much faster
    to move it to the GPU once and slice it there.

    Parameters
    ----------
    x, y
        Tensors (or numpy arrays) of equal length.
    batch_size
        Examples per batch (the last batch may be smaller unless ``drop_last``).
    shuffle
        Draw a new order each epoch from a generator seeded with ``seed``.
    device
        Where the tensors live; default: where they already are.
    transform
        Optional function applied to each ``x`` batch (data augmentation).
    drop_last
        Skip the last, incomplete batch.
    """

    def __init__(self, x, y, *, batch_size: int = 128, shuffle: bool = False, seed: int = 0,
                 device=None, transform: Callable | None = None, drop_last: bool = False):
        import torch

        x, y = torch.as_tensor(x), torch.as_tensor(y)
        if len(x) != len(y):
            raise ValueError(f"x and y differ in length: {len(x)} vs {len(y)}")
        if len(x) == 0:
            raise ValueError("no examples: x and y are empty")
        batch_size = integer(batch_size, "batch_size")
        self.x = x.to(device) if device is not None else x
        self.y = y.to(self.x.device)
        self.batch_size, self.shuffle, self.transform, self.drop_last = batch_size, shuffle, transform, drop_last
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        n = len(self.x) / self.batch_size
        return math.floor(n) if self.drop_last else math.ceil(n)

    def __iter__(self):
        import torch

        n = len(self.x)
        order = (torch.randperm(n, generator=self.generator).to(self.x.device) if self.shuffle
                 else torch.arange(n, device=self.x.device))
        for i in range(len(self)):
            index = order[i * self.batch_size:(i + 1) * self.batch_size]
            x = self.x[index]
            yield (self.transform(x) if self.transform else x), self.y[index]


def _check_loader(loader, name: str) -> None:
    if loader is None or not hasattr(loader, "__iter__"):
        raise TypeError(f"{name} must be an iterable of (x, y) batches (a DataLoader or "
                        f"TensorLoader), got {type(loader).__name__}")
    if hasattr(loader, "__len__") and len(loader) == 0:
        raise ValueError(f"{name} is empty: it yields no batches")


def _autocast(device, amp: bool):
    import contextlib

    import torch

    if amp and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def evaluate(model, loader, device=None, *, loss_fn=None, amp: bool | None = None) -> tuple[float, float]:
    """Mean loss and accuracy of a classifier over every batch of ``loader``.

    Parameters
    ----------
    model
        A ``torch.nn.Module`` returning logits ``(batch, classes)``.
    loader
        Iterable of ``(x, y)`` batches.
    device
        Where to compute; default: where the model's parameters are.
    loss_fn
        Default ``torch.nn.functional.cross_entropy`` (mean over the batch).
    amp
        bfloat16 autocast; default: on for CUDA, off elsewhere.

    Returns
    -------
    (float, float)
        Loss averaged over examples, and the fraction classified correctly.
    """
    import torch
    import torch.nn.functional as F

    _check_loader(loader, "loader")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    loss_fn = loss_fn or F.cross_entropy
    amp = device.type == "cuda" if amp is None else amp
    was_training = model.training
    model.eval()
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    count = 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with _autocast(device, amp):
                logits = model(x)
            total_loss += loss_fn(logits.float(), y) * len(y)
            correct += (logits.argmax(1) == y).sum()
            count += len(y)
    model.train(was_training)
    return total_loss.item() / count, correct.item() / count


def fit(model, train_loader, *, epochs: int, optimizer, loss_fn=None, device=None, val_loader=None,
        scheduler=None, scheduler_step: str = "batch", progress: bool = True, amp: bool | None = None,
        on_epoch_end: Callable | None = None) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``.

    Parameters
    ----------
    model
        A ``torch.nn.Module`` returning logits; it is moved to ``device``.
    train_loader
        Iterable of ``(x, y)`` batches (``DataLoader`` or :class:`TensorLoader`).
    epochs
        Number of passes (a positive integer).
    optimizer
        A ``torch.optim.Optimizer`` over the model's parameters.
    loss_fn
        Default ``torch.nn.functional.cross_entropy``.
    device
        Default: where the model's parameters are.
    val_loader
        Evaluated after every epoch when given.
    scheduler
        Optional learning-rate scheduler, stepped after every batch
        (``scheduler_step="batch"``, e.g. ``OneCycleLR``) or every epoch (``"epoch"``).
    progress
        Show a tqdm progress bar per epoch with the running loss and accuracy.
    amp
        bfloat16 autocast of the forward pass; default: on for CUDA, off elsewhere.
    on_epoch_end
        Called as ``on_epoch_end(history)`` after each epoch (e.g. a :class:`LivePlot`).

    Returns
    -------
    History
        One entry per epoch in each list.

    Raises
    ------
    ValueError, TypeError
        On a non-positive ``epochs``, an empty loader, a bad ``scheduler_step`` or an
        optimizer that is not a ``torch.optim.Optimizer``.
    """
    import torch
    import torch.nn.functional as F
    from tqdm.std import tqdm  # text on stderr: readable in the notebook, the site and a log

    epochs = integer(epochs, "epochs")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if scheduler_step not in ("batch", "epoch"):
        raise ValueError(f"scheduler_step must be 'batch' or 'epoch', got {scheduler_step!r}")
    _check_loader(train_loader, "train_loader")
    if val_loader is not None:
        _check_loader(val_loader, "val_loader")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device)
    loss_fn = loss_fn or F.cross_entropy
    amp = device.type == "cuda" if amp is None else amp
    history = History()
    for epoch in range(1, epochs + 1):
        model.train()
        start = time.perf_counter()
        total_loss = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        count = 0
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{epochs}", disable=not progress, mininterval=1.0,
                   leave=True, dynamic_ncols=False, ncols=90)
        for step, (x, y) in enumerate(bar):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with _autocast(device, amp):
                logits = model(x)
            loss = loss_fn(logits.float(), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None and scheduler_step == "batch":
                scheduler.step()
            total_loss += loss.detach() * len(y)
            correct += (logits.detach().argmax(1) == y).sum()
            count += len(y)
            if progress and step % 20 == 0:  # .item() waits for the GPU: not every step
                bar.set_postfix(loss=f"{total_loss.item() / count:.3f}", acc=f"{correct.item() / count:.3f}",
                                refresh=False)  # shown at the bar's next redraw (at most once a second)
        if scheduler is not None and scheduler_step == "epoch":
            scheduler.step()
        history["train_loss"].append(total_loss.item() / count)
        history["train_acc"].append(correct.item() / count)
        if val_loader is not None:
            val_loss, val_acc = evaluate(model, val_loader, device, loss_fn=loss_fn, amp=amp)
            history["val_loss"].append(val_loss)
            history["val_acc"].append(val_acc)
        history["seconds"].append(time.perf_counter() - start)
        if progress:
            final = {"loss": f"{history['train_loss'][-1]:.3f}", "acc": f"{history['train_acc'][-1]:.3f}"}
            if val_loader is not None:
                final["val_acc"] = f"{history['val_acc'][-1]:.3f}"
            bar.set_postfix(final)
        bar.close()
        if on_epoch_end is not None:
            on_epoch_end(history)
    return history


def predict(model, x, device=None, batch_size: int = 1024):
    """Class probabilities (softmax of the logits) for every example of ``x``.

    Parameters
    ----------
    model
        A ``torch.nn.Module`` returning logits.
    x
        A tensor or numpy array of inputs (already scaled as in training).
    device
        Default: where the model's parameters are.
    batch_size
        Examples per forward pass.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(x), classes)``, float32, rows summing to 1.
    """
    import torch

    batch_size = integer(batch_size, "batch_size")
    x = torch.as_tensor(x)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError("x must hold at least one example")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    chunks = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            logits = model(x[i:i + batch_size].to(device, non_blocking=True)).float()
            chunks.append(torch.softmax(logits, dim=1).cpu())
    model.train(was_training)
    return torch.cat(chunks).numpy()


class LivePlot:
    """Redraw loss and accuracy curves in a notebook after each epoch (``fit(on_epoch_end=...)``).

    Uses :func:`helpers.plot.plot_history`. The figure is updated in place in
    Jupyter; outside a notebook (a script) only the last figure is kept.

    Parameters
    ----------
    title
        Title of the figure.
    """

    def __init__(self, title: str = ""):
        self.title, self.handle = title, None

    def __call__(self, history: History) -> None:
        import matplotlib.pyplot as plt
        from IPython.display import display

        from .plot import plot_history

        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3))
        plot_history(history.curves("loss"), left, title="loss")
        plot_history(history.curves("acc"), right, title="accuracy")
        if self.title:
            fig.suptitle(self.title)
        fig.tight_layout()
        if self.handle is None:
            self.handle = display(fig, display_id=True)
        else:
            self.handle.update(fig)
        plt.close(fig)
