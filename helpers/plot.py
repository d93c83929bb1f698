"""Small matplotlib plots that several chapters share.

Each function draws on an ``ax`` you pass (or a new one) and returns what it
drew on, so a notebook can add titles or assert on the figure. matplotlib is
imported inside the functions: ``import helpers`` stays fast.

Functions
---------
plot_decision_boundary
    Coloured regions of a 2-D classifier with the data points on top.
plot_history
    Training curves (loss, accuracy, ...) from a dict of lists.
show_images
    A grid of images: filters, feature maps, generated samples.
plot_surface_path
    Contours of a 2-D function with an optimiser's path over them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .arguments import integer, number, positive_number
from .tensors import to_numpy

MAX_RESOLUTION = 2000
"""Largest grid side of a contour plot: 4 million evaluations already take a while."""
MAX_IMAGES = 400
"""More images than this make a figure too tall to look at (and slow to draw)."""


def _axes(ax, figsize=(5, 4)):
    """Return ``ax``, or a new Axes on a new figure when ``ax`` is None."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def _to_numpy(values, name: str) -> np.ndarray:
    """Turn lists, numpy arrays and torch/TF tensors into a float numpy array."""
    try:
        return np.asarray(to_numpy(values), dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be numbers (a list, numpy array or tensor), "
            f"got {type(values).__name__}"
        ) from error


def _resolution(value) -> int:
    value = integer(value, "resolution", minimum=2)
    if value > MAX_RESOLUTION:
        raise ValueError(
            f"resolution must be at most {MAX_RESOLUTION} (a {value} × {value} grid is "
            f"{value * value:,} evaluations), got {value}"
        )
    return value


def _finite(values: np.ndarray, name: str, hint: str = "") -> np.ndarray:
    if not np.isfinite(values).all():
        raise ValueError(f"{name} holds NaN or infinite values{hint}")
    return values


def _whole(values: np.ndarray, name: str, hint: str) -> np.ndarray:
    if not np.isfinite(values).all() or not np.array_equal(values, np.round(values)):
        bad = values[~(np.isfinite(values) & (values == np.round(values)))][0]
        raise ValueError(
            f"{name} must be class labels (whole numbers), found {bad:g}{hint}"
        )
    return values


def _limits(value, name: str) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        low, high = value
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{name} must be a (low, high) pair of numbers, got {value!r}"
        ) from error
    low, high = number(low, f"{name}[0]"), number(high, f"{name}[1]")
    if not low < high:
        raise ValueError(f"{name} must be (low, high) with low < high, got {value!r}")
    return low, high


def plot_decision_boundary(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    X,
    y,
    ax=None,
    *,
    resolution: int = 200,
    margin: float = 0.5,
    title: str | None = None,
):
    """Colour the plane by a classifier's prediction and scatter the data on top.

    Parameters
    ----------
    predict_fn
        Takes an ``(n, 2)`` float array of points and returns ``n`` class labels
        (integers), e.g. ``lambda P: model(torch.tensor(P)).argmax(1).numpy()``.
    X
        Data points, shape ``(n, 2)``.
    y
        Their integer labels, shape ``(n,)``.
    ax
        Axes to draw on; a new figure is made when None.
    resolution
        Grid points per axis.
    margin
        How far the grid extends beyond the data, in data units.
    title
        Optional title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, holding one filled contour set and one scatter collection.

    Raises
    ------
    ValueError
        If ``X`` is not ``(n, 2)``, ``y`` has another length, or ``predict_fn``
        returns the wrong number of labels.
    """
    if not callable(predict_fn):
        raise TypeError(
            "predict_fn must be a function of an (n, 2) array, got "
            f"{type(predict_fn).__name__}"
        )
    X, y = _to_numpy(X, "X"), _to_numpy(y, "y")
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(
            "X must have shape (n, 2) with n ≥ 1 — two features to draw — got "
            f"{X.shape}"
        )
    _finite(X, "X")
    if y.shape != (len(X),):
        raise ValueError(
            f"y must have one label per row of X: expected shape ({len(X)},), got "
            f"{y.shape}"
        )
    _whole(y, "y", "")
    resolution = _resolution(resolution)
    margin = number(margin, "margin", low=0)
    (x0, y0), (x1, y1) = X.min(0) - margin, X.max(0) + margin
    gx, gy = np.meshgrid(
        np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    )
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    labels = _to_numpy(predict_fn(grid), "predict_fn(...)").reshape(-1)
    if labels.shape != (len(grid),):
        raise ValueError(
            f"predict_fn must return one label per point: got {labels.size} for "
            f"{len(grid)} points"
        )
    _whole(
        labels,
        "predict_fn(...)",
        " — return labels, e.g. probabilities.argmax(1) or (p > 0.5)",
    )
    ax = _axes(ax)
    classes = np.unique(np.concatenate([y, labels])).astype(int)
    levels = np.arange(classes.min(), classes.max() + 2) - 0.5
    ax.contourf(
        gx, gy, labels.reshape(gx.shape), levels=levels, cmap="coolwarm", alpha=0.3
    )
    ax.scatter(
        X[:, 0],
        X[:, 1],
        c=y,
        cmap="coolwarm",
        s=8,
        edgecolors="k",
        linewidths=0.2,
        vmin=levels[0],
        vmax=levels[-1],
    )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax


def plot_history(
    history: Mapping[str, Sequence[float]],
    ax=None,
    *,
    xlabel: str = "epoch",
    logy: bool = False,
    title: str | None = None,
):
    """Draw training curves, one line per entry of ``history``.

    Parameters
    ----------
    history
        ``{"train loss": [...], "val loss": [...]}``: each value is one number per
        epoch (or step). Lists may differ in length.
    ax
        Axes to draw on; a new figure is made when None.
    xlabel
        Label of the x axis.
    logy
        Use a logarithmic y axis (useful for losses).
    title
        Optional title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, with one labelled line per key and a legend.

    Raises
    ------
    ValueError
        If ``history`` is empty or one of its series is empty.
    TypeError
        If ``history`` is not a mapping or a series holds non-numbers.
    """
    if not isinstance(history, Mapping):
        raise TypeError(
            "history must be a dict of name -> list of numbers, got "
            f"{type(history).__name__}"
        )
    if not history:
        raise ValueError("history is empty: nothing to plot")
    series = {}
    for name, values in history.items():
        values = _to_numpy(values, f"history[{name!r}]").reshape(-1)
        if values.size == 0:
            hint = (
                (
                    ": a helpers.train.History holds losses, accuracies and seconds; "
                    "plot history.curves('loss') or history.curves('acc')"
                )
                if hasattr(history, "curves")
                else ""
            )
            raise ValueError(f"history[{name!r}] is empty{hint}")
        if logy and not (values[np.isfinite(values)] > 0).all():
            raise ValueError(
                f"logy=True needs positive values, but history[{name!r}] has values ≤ 0"
            )
        series[name] = values
    ax = _axes(ax, figsize=(6, 3.5))
    for name, values in series.items():
        ax.plot(
            np.arange(1, values.size + 1),
            values,
            marker="o" if values.size <= 30 else None,
            markersize=3,
            label=str(name),
        )
    ax.set_xlabel(xlabel)
    if logy:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def show_images(
    images,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    *,
    cmap: str = "gray",
    size: float = 1.2,
    suptitle: str | None = None,
    symmetric: bool = False,
):
    """Show a grid of 2-D images (filters, feature maps, digits).

    Parameters
    ----------
    images
        Array or tensor of shape ``(n, h, w)`` (``(n, 1, h, w)`` is squeezed), or
        a list of 2-D arrays.
    titles
        One short title per image, or None.
    ncols
        Images per row.
    cmap
        Colour map.
    size
        Size of one image in inches.
    suptitle
        Optional title above the grid.
    symmetric
        Centre the colour scale of each image on zero (for filters with signed
        weights: zero is then the middle colour).

    Returns
    -------
    matplotlib.figure.Figure
        The figure; its first ``n`` axes hold one image each, the rest are hidden.

    Raises
    ------
    ValueError
        If there are no images, they are not 2-D, ``ncols < 1`` or the number of
        titles differs from the number of images.
    """
    import matplotlib.pyplot as plt

    ncols = integer(ncols, "ncols")
    size = positive_number(size, "size")
    if isinstance(images, (list, tuple)):
        if not images:
            raise ValueError("no images to show")
        images = [_to_numpy(im, "images") for im in images]
    else:
        images = _to_numpy(images, "images")
        if images.ndim == 4 and images.shape[1] == 1:
            images = images[:, 0]
        if images.ndim != 3:
            hint = (
                " (for one image pass [image]; flattened images need .reshape(n, h, w))"
                if images.ndim == 2
                else ""
            )
            raise ValueError(
                "images must have shape (n, h, w) or (n, 1, h, w), got "
                f"{images.shape}{hint}"
            )
        images = list(images)
    if not images:
        raise ValueError("no images to show")
    if any(im.ndim != 2 for im in images):
        raise ValueError("every image must be 2-D (height × width)")
    empty = [i for i, im in enumerate(images) if im.size == 0]
    if empty:
        raise ValueError(f"image {empty[0]} is empty (shape {images[empty[0]].shape})")
    if len(images) > MAX_IMAGES:
        raise ValueError(
            f"{len(images)} images would make a figure too large to read; show at most "
            f"{MAX_IMAGES}, e.g. images[:64]"
        )
    if isinstance(titles, (str, bytes)) or (
        titles is not None and not hasattr(titles, "__len__")
    ):
        raise TypeError(
            "titles must be a list with one title per image, got "
            f"{type(titles).__name__}"
        )
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images")
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(size * ncols, size * nrows + (0.4 if suptitle else 0)),
        squeeze=False,
    )
    flat = axes.ravel()
    for i, ax in enumerate(flat):
        ax.set_axis_off()
        if i >= len(images):
            continue
        image = images[i]
        if symmetric:
            limit = float(np.nanmax(np.abs(image), initial=0.0))
            limit = limit if np.isfinite(limit) and limit > 0 else 1.0
            ax.imshow(image, cmap=cmap, vmin=-limit, vmax=limit)
        else:
            ax.imshow(image, cmap=cmap)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_surface_path(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray],
    path=None,
    ax=None,
    *,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    levels: int = 30,
    resolution: int = 200,
    label: str = "path",
    title: str | None = None,
):
    """Draw the contours of a 2-D function and, optionally, a descent path over them.

    Parameters
    ----------
    f
        Vectorised function of two arrays, ``f(X, Y) -> Z`` (numpy broadcasting),
        e.g. ``lambda x, y: x**2 + 10 * y**2``.
    path
        Points visited by an optimiser, shape ``(steps, 2)``, or None.
    ax
        Axes to draw on; a new figure is made when None.
    xlim, ylim
        Range of the plot; by default the path's range plus a margin (or ±2).
    levels
        Number of contour levels.
    resolution
        Grid points per axis.
    label
        Legend label of the path.
    title
        Optional title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes: one contour set and, when a path is given, one line (the path)
        with its start and end marked.

    Raises
    ------
    ValueError
        If ``path`` is not ``(steps, 2)`` with at least one step, or ``f`` returns
        an array of the wrong shape.
    """
    if not callable(f):
        raise TypeError(
            f"f must be a function f(X, Y) of two arrays, got {type(f).__name__}"
        )
    resolution = _resolution(resolution)
    levels = integer(levels, "levels")
    xlim, ylim = _limits(xlim, "xlim"), _limits(ylim, "ylim")
    if path is not None:
        path = _to_numpy(path, "path")
        if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
            raise ValueError(
                f"path must have shape (steps, 2) with steps ≥ 1, got {path.shape}"
            )
        bad = np.flatnonzero(~np.isfinite(path).all(axis=1))
        if bad.size:
            raise ValueError(
                f"path holds NaN or infinite values from step {bad[0]} on: the "
                "optimiser diverged (try a smaller learning rate), or cut the path "
                "before it"
            )

    def default_range(column: int) -> tuple[float, float]:
        if path is None:
            return (-2.0, 2.0)
        low, high = path[:, column].min(), path[:, column].max()
        pad = 0.2 * (high - low) + 0.5
        return (low - pad, high + pad)

    xlim = xlim or default_range(0)
    ylim = ylim or default_range(1)
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    z = _to_numpy(f(gx, gy), "f(X, Y)")
    if z.shape != gx.shape:
        raise ValueError(
            f"f(X, Y) must return an array shaped like X ({gx.shape}), got {z.shape}"
        )
    if not np.isfinite(z).any():
        raise ValueError(
            "f(X, Y) is NaN or infinite everywhere on the grid: nothing to draw"
        )
    ax = _axes(ax)
    ax.contour(gx, gy, z, levels=levels, cmap="viridis", linewidths=0.7)
    if path is not None:
        ax.plot(
            path[:, 0],
            path[:, 1],
            "-o",
            color="tab:red",
            markersize=2.5,
            linewidth=1,
            label=label,
        )
        ax.scatter(*path[0], marker="s", color="black", s=25, zorder=3)  # start
        ax.scatter(*path[-1], marker="*", color="tab:red", s=100, zorder=3)  # end
        ax.legend()
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    if title:
        ax.set_title(title)
    return ax
