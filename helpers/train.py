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

from .arguments import choice, integer, number
from .i18n import Message

HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc", "seconds")


class History(dict):
    """Per-epoch lists: ``train_loss``, ``train_acc``, ``val_loss``,
    ``val_acc``, ``seconds``.

    A plain ``dict`` of lists (``history["val_acc"][-1]`` is the last epoch's
    validation accuracy); the ``val_*`` lists stay empty without validation data.
    """

    def __init__(self):
        super().__init__({key: [] for key in HISTORY_KEYS})
        self.monitor: str | None = None  # what early stopping watched (see :func:`fit`)
        self.best_epoch: int | None = None  # 1-based epoch where ``monitor`` was best
        self.best_value: float | None = None
        self.stopped_early = False  # patience ran out before ``epochs``
        self.restored = False  # the best epoch's weights were loaded at the end

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self["train_loss"])

    def curves(self, kind: str = "acc") -> dict[str, list[float]]:
        """The non-empty ``*_loss`` or ``*_acc`` series,
        for :func:`helpers.plot.plot_history`."""
        if kind not in ("loss", "acc"):
            raise ValueError(f"kind must be 'loss' or 'acc', got {kind!r}")
        return {
            key.replace("_", " "): values
            for key, values in self.items()
            if key.endswith(kind) and values
        }


def _as_tensor(values, name: str):
    """``torch.as_tensor`` with a sentence instead of a traceback
    for text or ragged lists."""
    import torch

    try:
        return torch.as_tensor(values)
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(
            f"{name} must be numbers (a tensor, a numpy array or a list of numbers), "
            f"got {type(values).__name__}: {error}"
        ) from error


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

    def __init__(
        self,
        x,
        y,
        *,
        batch_size: int = 128,
        shuffle: bool = False,
        seed: int = 0,
        device=None,
        transform: Callable | None = None,
        drop_last: bool = False,
    ):
        import torch

        x, y = _as_tensor(x, "x"), _as_tensor(y, "y")
        if x.ndim == 0 or y.ndim == 0:
            raise ValueError(
                f"x and y need a first (example) dimension; got shapes "
                f"{tuple(x.shape)} and {tuple(y.shape)}"
            )
        if len(x) != len(y):
            raise ValueError(f"x and y differ in length: {len(x)} vs {len(y)}")
        if len(x) == 0:
            raise ValueError("no examples: x and y are empty")
        batch_size = integer(batch_size, "batch_size")
        self.x = x.to(device) if device is not None else x
        self.y = y.to(self.x.device)
        self.batch_size, self.shuffle, self.transform, self.drop_last = (
            batch_size,
            shuffle,
            transform,
            drop_last,
        )
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        n = len(self.x) / self.batch_size
        return math.floor(n) if self.drop_last else math.ceil(n)

    def __iter__(self):
        import torch

        n = len(self.x)
        order = (
            torch.randperm(n, generator=self.generator).to(self.x.device)
            if self.shuffle
            else torch.arange(n, device=self.x.device)
        )
        for i in range(len(self)):
            index = order[i * self.batch_size : (i + 1) * self.batch_size]
            x = self.x[index]
            yield (self.transform(x) if self.transform else x), self.y[index]


class LoaderError(ValueError):
    """A loader that cannot be used as asked;
    ``history`` holds the epochs completed before it."""

    def __init__(self, message: str, history: History | None = None):
        super().__init__(message)
        self.history = history


def _known_length(loader) -> int | None:
    """``len(loader)``, or None when it has none
    (a generator, an iterable-style ``DataLoader``)."""
    try:
        return len(loader)
    # DataLoader over an IterableDataset defines __len__ but raises TypeError
    except TypeError:
        return None


def _is_one_shot(loader) -> bool:
    """True for an iterator (a generator, ``iter(...)``, ``map``):
    a second pass yields nothing.

    Only ``__next__`` is looked at: calling ``iter()`` on a ``DataLoader`` to find
    out would start its worker processes.
    """
    return hasattr(loader, "__next__")


def _check_loader(loader, name: str, *, passes: int = 1) -> None:
    """Refuse what cannot feed ``passes`` passes of ``(x, y)`` batches, before training.

    A re-iterable object (a ``DataLoader``, a :class:`TensorLoader`, a list of
    batches, an iterable-style ``DataLoader``) is fine. A one-shot iterator
    (a generator) is fine for one pass, but would silently be empty from the
    second epoch on, after the first one had already changed the weights.
    """
    if (
        loader is None
        or isinstance(loader, (str, bytes))
        or not hasattr(loader, "__iter__")
    ):
        raise TypeError(
            f"{name} must be an iterable of (x, y) batches (a DataLoader, a "
            f"TensorLoader or a list of (x, y) pairs), got {type(loader).__name__}"
        )
    if _known_length(loader) == 0:
        raise LoaderError(
            f"{name} is empty: it yields no batches (is the data set empty, or "
            "batch_size larger than it with drop_last=True?)"
        )
    if passes > 1 and _is_one_shot(loader):
        raise LoaderError(
            f"{name} is a one-shot iterator ({type(loader).__name__}): it would be "
            f"used up after the first of {passes} passes. Pass something that can be "
            "iterated again: a torch DataLoader, a helpers.train.TensorLoader, or "
            "list(...) of the (x, y) batches."
        )


def _pairs(loader, name: str):
    """Yield the ``(x, y)`` batches of ``loader``,
    refusing anything else with a clear message."""
    for batch in loader:
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            kind = (
                f"a {type(batch).__name__} of length {len(batch)}"
                if isinstance(batch, (tuple, list))
                else f"a {type(batch).__name__}"
            )
            raise TypeError(
                f"{name} must yield (x, y) pairs (inputs and labels), got {kind}; "
                "a TensorDataset of (inputs, labels) gives such pairs"
            )
        x, y = batch
        if not (hasattr(x, "to") and hasattr(y, "to")):
            raise TypeError(
                f"{name} must yield torch tensors, got ({type(x).__name__}, "
                f"{type(y).__name__}); convert with torch.as_tensor or use TensorLoader"
            )
        if getattr(x, "ndim", 1) == 0 or getattr(y, "ndim", 1) == 0:
            raise ValueError(
                f"{name} yielded a 0-d tensor; a batch needs a first (batch) dimension"
            )
        if len(x) != len(y):
            raise ValueError(
                f"{name} yielded a batch of {len(x)} inputs and {len(y)} labels; "
                "they must have the same length"
            )
        yield x, y


def _autocast(device, amp: bool):
    import contextlib

    import torch

    if amp and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def evaluate(
    model, loader, device=None, *, loss_fn=None, amp: bool | None = None
) -> tuple[float, float]:
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

    Raises
    ------
    TypeError
        If ``loader`` is not an iterable of ``(x, y)`` tensor pairs.
    LoaderError
        If it yields no batch (an empty loader, or a generator already used up).
    """
    import torch
    import torch.nn.functional as F

    _check_loader(loader, "loader")
    device = (
        torch.device(device) if device is not None else next(model.parameters()).device
    )
    loss_fn = loss_fn or F.cross_entropy
    amp = device.type == "cuda" if amp is None else amp
    was_training = model.training
    model.eval()
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    count = 0
    try:
        with torch.no_grad():
            for x, y in _pairs(loader, "loader"):
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                with _autocast(device, amp):
                    logits = model(x)
                total_loss += loss_fn(logits.float(), y) * len(y)
                correct += (logits.argmax(1) == y).sum()
                count += len(y)
    finally:
        model.train(was_training)
    if count == 0:
        raise LoaderError(
            "loader yielded no examples: it is empty, or a generator that was "
            "already used up (pass a DataLoader, a TensorLoader or a list of batches)"
        )
    return total_loss.item() / count, correct.item() / count


MONITORS = {
    "val_loss": "min",
    "val_acc": "max",
    "train_loss": "min",
    "train_acc": "max",
}
"""What early stopping may watch, and whether smaller or larger is better."""


def fit(
    model,
    train_loader,
    *,
    epochs: int,
    optimizer,
    loss_fn=None,
    device=None,
    val_loader=None,
    scheduler=None,
    scheduler_step: str = "batch",
    progress: bool = True,
    amp: bool | None = None,
    on_epoch_end: Callable | None = None,
    patience: int | None = None,
    restore_best: bool = False,
    monitor: str = "val_loss",
    min_delta: float = 0.0,
) -> History:
    """Train ``model`` for up to ``epochs`` passes over ``train_loader``,
    optionally stopping early.

    Parameters
    ----------
    model
        A ``torch.nn.Module`` returning logits; it is moved to ``device``.
    train_loader
        Re-iterable ``(x, y)`` batches: a ``DataLoader`` (map- or iterable-style), a
        :class:`TensorLoader` or a list of pairs. A generator is accepted for
        ``epochs=1`` only: it is used up after one pass.
    epochs
        Largest number of passes (a positive integer).
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
    patience
        Early stopping: stop once ``monitor`` has not improved (by more than
        ``min_delta``) for this many epochs in a row. ``None`` (default) always runs
        every epoch.
    restore_best
        At the end, load the weights of the epoch where ``monitor`` was best (the
        optimizer's state is not rewound).
    monitor
        One of :data:`MONITORS`: ``"val_loss"`` (default, lower is better),
        ``"val_acc"``, ``"train_loss"``, ``"train_acc"``.
    min_delta
        The smallest change of ``monitor`` that counts as an improvement.

    Returns
    -------
    History
        One entry per completed epoch in each list; ``history.best_epoch`` (1-based) and
        ``history.best_value`` say where ``monitor`` was best, ``history.stopped_early``
        whether patience ran out, ``history.restored`` whether the best weights were
        loaded.

    Raises
    ------
    ValueError, TypeError
        Before any weight changes: a non-positive ``epochs`` or ``patience``, an empty
        loader, a generator for several epochs, a validation metric to watch without
        ``val_loader``, a bad ``scheduler_step`` or ``monitor``, or an optimizer that is
        not a ``torch.optim.Optimizer``. An error during training carries the epochs
        completed so far as ``error.history``.
    """
    import torch
    import torch.nn.functional as F

    epochs = integer(epochs, "epochs")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    choice(scheduler_step, "scheduler_step", ("batch", "epoch"))
    patience = None if patience is None else integer(patience, "patience")
    restore_best = choice(restore_best, "restore_best", (True, False))
    monitor = choice(monitor, "monitor", tuple(MONITORS))
    min_delta = number(min_delta, "min_delta", low=0)
    if (
        (patience is not None or restore_best)
        and monitor.startswith("val")
        and val_loader is None
    ):
        raise ValueError(
            f"patience and restore_best watch {monitor!r}, which needs val_loader; "
            "pass val_loader=..., or monitor='train_loss'"
        )
    _check_loader(train_loader, "train_loader", passes=epochs)
    if val_loader is not None:
        _check_loader(val_loader, "val_loader", passes=epochs)
    device = (
        torch.device(device) if device is not None else next(model.parameters()).device
    )
    model.to(device)
    loss_fn = loss_fn or F.cross_entropy
    amp = device.type == "cuda" if amp is None else amp
    history = History()
    history.monitor = monitor
    best_state, waited = None, 0
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            bar = _epoch_bar(train_loader, epoch, epochs, progress)
            loss, acc = _train_epoch(
                model,
                bar,
                optimizer,
                loss_fn,
                device,
                amp,
                scheduler if scheduler_step == "batch" else None,
                progress,
            )
            if scheduler is not None and scheduler_step == "epoch":
                scheduler.step()
            history["train_loss"].append(loss)
            history["train_acc"].append(acc)
            if val_loader is not None:
                val_loss, val_acc = evaluate(
                    model, val_loader, device, loss_fn=loss_fn, amp=amp
                )
                history["val_loss"].append(val_loss)
                history["val_acc"].append(val_acc)
            history["seconds"].append(time.perf_counter() - start)
            _close_bar(bar, history, progress)
            if history[monitor]:
                if _improved(
                    history[monitor][-1],
                    history.best_value,
                    MONITORS[monitor],
                    min_delta,
                ):
                    history.best_epoch, history.best_value, waited = (
                        epoch,
                        history[monitor][-1],
                        0,
                    )
                    # a copy on the same device: a few MB for a course model
                    if restore_best:
                        best_state = {
                            k: v.detach().clone() for k, v in model.state_dict().items()
                        }
                else:
                    waited += 1
            if on_epoch_end is not None:
                on_epoch_end(history)
            if patience is not None and waited >= patience and epoch < epochs:
                history.stopped_early = True
                if progress:
                    print(
                        Message(
                            "early stop after epoch {epoch}: {monitor} has not "
                            "improved for {patience} epoch(s); best {best:.4f} at "
                            "epoch {best_epoch}",
                            epoch=epoch,
                            monitor=monitor,
                            patience=patience,
                            best=history.best_value,
                            best_epoch=history.best_epoch,
                        )
                    )
                break
    except (
        Exception,
        KeyboardInterrupt,
    ) as error:  # keep what was learnt, even when interrupted
        try:
            error.history = history  # in a notebook: sys.last_value.history
        except AttributeError:  # an exception type that takes no attributes
            pass
        if hasattr(error, "add_note"):  # Python 3.11+
            error.add_note(
                f"helpers.train.fit: the history of the {history.epochs} completed "
                "epoch(s) is in this exception's .history"
            )
        raise
    if restore_best and best_state is not None:
        model.load_state_dict(best_state)
        history.restored = True
        if progress and history.best_epoch != history.epochs:
            print(
                Message(
                    "restored the weights of epoch {epoch} ({monitor} {best:.4f})",
                    epoch=history.best_epoch,
                    monitor=monitor,
                    best=history.best_value,
                )
            )
    return history


def _improved(value: float, best: float | None, mode: str, min_delta: float) -> bool:
    """Whether ``value`` beats ``best`` by more than ``min_delta`` (NaN never does)."""
    if not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


def _epoch_bar(loader, epoch: int, epochs: int, progress: bool):
    # text on stderr: readable in the notebook, the site and a log
    from tqdm.std import tqdm

    return tqdm(
        loader,
        desc=f"epoch {epoch}/{epochs}",
        disable=not progress,
        mininterval=1.0,
        leave=True,
        dynamic_ncols=False,
        ncols=90,
        total=_known_length(loader),
    )


def _train_epoch(
    model, bar, optimizer, loss_fn, device, amp, batch_scheduler, progress
):
    """One pass of forward, loss, backward, step; returns the mean loss and accuracy."""
    import torch

    model.train()
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    count = 0
    for step, (x, y) in enumerate(_pairs(bar, "train_loader")):
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with _autocast(device, amp):
            logits = model(x)
        loss = loss_fn(logits.float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if batch_scheduler is not None:
            batch_scheduler.step()
        total_loss += loss.detach() * len(y)
        correct += (logits.detach().argmax(1) == y).sum()
        count += len(y)
        if progress and step % 20 == 0:  # .item() waits for the GPU: not every step
            bar.set_postfix(
                loss=f"{total_loss.item() / count:.3f}",
                acc=f"{correct.item() / count:.3f}",
                refresh=False,
            )  # shown at the bar's next redraw (at most once a second)
    if count == 0:
        bar.close()
        raise LoaderError(
            "train_loader yielded no examples in this epoch: it is empty, or it "
            "cannot be iterated twice (pass a DataLoader, a TensorLoader or a list)"
        )
    return total_loss.item() / count, correct.item() / count


def _close_bar(bar, history: History, progress: bool) -> None:
    if progress:
        final = {
            "loss": f"{history['train_loss'][-1]:.3f}",
            "acc": f"{history['train_acc'][-1]:.3f}",
        }
        if history["val_acc"]:
            final["val_acc"] = f"{history['val_acc'][-1]:.3f}"
        bar.set_postfix(final)
    bar.close()


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
    x = _as_tensor(x, "x")
    if x.ndim == 0 or len(x) == 0:
        raise ValueError("x must hold at least one example")
    device = (
        torch.device(device) if device is not None else next(model.parameters()).device
    )
    was_training = model.training
    model.eval()
    chunks = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            logits = model(x[i : i + batch_size].to(device, non_blocking=True)).float()
            chunks.append(torch.softmax(logits, dim=1).cpu())
    model.train(was_training)
    return torch.cat(chunks).numpy()


class LivePlot:
    """Redraw loss and accuracy curves in a notebook after each epoch
    (``fit(on_epoch_end=...)``).

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
