"""Unit tests of helpers.plot (Agg backend: no window)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from helpers import plot  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_decision_boundary_draws_regions_and_points():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    ax = plot.plot_decision_boundary(
        lambda P: (P[:, 1] > 0.5).astype(int), X, y, resolution=20, title="toy"
    )
    assert len(ax.collections) >= 2  # filled contours + the scatter of the data
    scatter = ax.collections[-1]
    assert scatter.get_offsets().shape == (4, 2)
    assert ax.get_title() == "toy" and ax.get_xlabel() == "$x_1$"


def test_decision_boundary_accepts_tensors_and_an_existing_axes():
    _, ax = plt.subplots()
    X = torch.randn(10, 2)
    y = torch.arange(10) % 2
    assert (
        plot.plot_decision_boundary(
            lambda P: np.zeros(len(P), dtype=int), X, y, ax=ax, resolution=5
        )
        is ax
    )


@pytest.mark.parametrize(
    ("X", "y", "fn", "message"),
    [
        (np.zeros((5, 3)), np.zeros(5), lambda P: np.zeros(len(P)), "shape \\(n, 2\\)"),
        (
            np.zeros((5, 2)),
            np.zeros(4),
            lambda P: np.zeros(len(P)),
            "one label per row",
        ),
        (np.zeros((5, 2)), np.zeros(5), lambda P: np.zeros(3), "one label per point"),
    ],
)
def test_decision_boundary_rejects_bad_input(X, y, fn, message):
    with pytest.raises(ValueError, match=message):
        plot.plot_decision_boundary(fn, X, y, resolution=5)


def test_history_has_one_labelled_line_per_series():
    ax = plot.plot_history(
        {"train loss": [3, 2, 1], "val loss": [3.5, 2.5]}, logy=True, title="t"
    )
    lines = ax.get_lines()
    assert len(lines) == 2
    assert [line.get_label() for line in lines] == ["train loss", "val loss"]
    assert list(lines[0].get_xdata()) == [1, 2, 3]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"
    assert ax.get_legend() is not None


def test_history_rejects_empty_and_non_mappings():
    with pytest.raises(ValueError, match="empty"):
        plot.plot_history({})
    with pytest.raises(ValueError, match="'loss'.*empty"):
        plot.plot_history({"loss": []})
    with pytest.raises(TypeError, match="dict"):
        plot.plot_history([1, 2, 3])
    with pytest.raises(TypeError, match="numbers"):
        plot.plot_history({"loss": ["a", "b"]})


def test_show_images_grid_and_titles():
    images = np.random.default_rng(0).random((5, 4, 4))
    fig = plot.show_images(
        images, titles=list("abcde"), ncols=3, symmetric=True, suptitle="s"
    )
    axes = fig.axes
    assert len(axes) == 6  # 2 rows × 3 columns
    shown = [ax for ax in axes if ax.images]
    assert len(shown) == 5
    assert [ax.get_title() for ax in shown] == list("abcde")
    assert not axes[-1].images  # the spare cell stays empty


def test_show_images_squeezes_channel_and_accepts_lists():
    fig = plot.show_images(torch.zeros(3, 1, 5, 5))
    assert sum(bool(ax.images) for ax in fig.axes) == 3
    fig = plot.show_images([np.eye(3), np.ones((2, 4))], ncols=8)
    assert len(fig.axes) == 2  # ncols shrinks to the number of images


@pytest.mark.parametrize(
    ("images", "kwargs", "message"),
    [
        (np.zeros((2, 3)), {}, "shape \\(n, h, w\\)"),
        ([], {}, "no images"),
        ([np.zeros(3)], {}, "2-D"),
        (np.zeros((2, 3, 3)), {"ncols": 0}, "ncols"),
        (np.zeros((2, 3, 3)), {"titles": ["one"]}, "1 titles for 2 images"),
    ],
)
def test_show_images_rejects_bad_input(images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot.show_images(images, **kwargs)


def test_surface_path_draws_contours_and_one_path_line():
    path = np.array([[1.5, 1.0], [1.0, 0.5], [0.5, 0.2], [0.1, 0.0]])
    ax = plot.plot_surface_path(
        lambda x, y: x**2 + 10 * y**2, path, levels=10, resolution=30
    )
    lines = ax.get_lines()
    assert len(lines) == 1
    assert np.allclose(lines[0].get_xydata(), path)
    assert ax.get_legend() is not None
    lo, hi = ax.get_xlim()
    assert lo < path[:, 0].min() and hi > path[:, 0].max()


def test_surface_without_path_uses_default_range():
    ax = plot.plot_surface_path(lambda x, y: x * y, resolution=10)
    assert ax.get_xlim() == (-2.0, 2.0) and not ax.get_lines()


def test_surface_path_rejects_bad_input():
    with pytest.raises(ValueError, match="steps, 2"):
        plot.plot_surface_path(lambda x, y: x + y, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="shaped like X"):
        plot.plot_surface_path(lambda x, y: 1.0, np.zeros((2, 2)), resolution=5)


def test_import_does_not_pull_in_matplotlib_pyplot_at_module_level():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(plot))
    top_level = [
        node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    names = {alias.name for node in top_level for alias in node.names}
    names |= {
        node.module
        for node in top_level
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not any(
        n.startswith(("matplotlib", "torch", "tensorflow", "sympy")) for n in names
    )


# --- odd arguments: a sentence, never a raw traceback or a silent wrong plot ----------


def linear_labels(points):
    return (points[:, 0] > 0).astype(int)


BLOBS = np.array([[-1.0, 0.0], [1.0, 0.5], [-0.5, -1.0], [0.7, 1.0]])
LABELS = np.array([0, 1, 0, 1])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"resolution": 2.5}, ValueError, "resolution must be an integer ≥ 2"),
        ({"resolution": "a"}, ValueError, "resolution must be an integer ≥ 2"),
        (
            {"resolution": 10**5},
            ValueError,
            "resolution must be at most 2000",
        ),  # was a 74 GiB MemoryError
        ({"margin": float("nan")}, ValueError, "margin must be a finite number ≥ 0"),
        ({"X": np.zeros((0, 2)), "y": np.zeros(0)}, ValueError, "n ≥ 1"),
        ({"X": np.full((4, 2), np.nan)}, ValueError, "X holds NaN"),
        ({"y": LABELS + 0.5}, ValueError, "y must be class labels"),
        (
            {"predict_fn": lambda p: np.full(len(p), 0.37)},
            ValueError,
            "class labels.*argmax",
        ),
        ({"predict_fn": lambda p: np.full(len(p), np.nan)}, ValueError, "class labels"),
        ({"predict_fn": None}, TypeError, "predict_fn must be a function"),
    ],
)
def test_decision_boundary_names_each_bad_argument(kwargs, error, message):
    args = {"predict_fn": linear_labels, "X": BLOBS, "y": LABELS, **kwargs}
    with pytest.raises(error, match=message):
        plot.plot_decision_boundary(
            args.pop("predict_fn"), args.pop("X"), args.pop("y"), **args
        )


def test_plot_history_of_a_fit_without_validation_points_to_curves():
    from helpers.train import History

    history = History()
    history["train_loss"].append(0.5)
    with pytest.raises(ValueError, match=r"history.curves\('loss'\)"):
        plot.plot_history(history)
    with pytest.raises(ValueError, match="logy=True needs positive values"):
        plot.plot_history({"loss": [1.0, 0.0]}, logy=True)


@pytest.mark.parametrize(
    ("images", "kwargs", "error", "message"),
    [
        (
            np.zeros((2, 3, 3)),
            {"ncols": 2.5},
            ValueError,
            "ncols must be a positive integer",
        ),
        (
            np.zeros((2, 3, 3)),
            {"ncols": True},
            ValueError,
            "ncols must be a positive integer",
        ),
        (
            np.zeros((2, 3, 3)),
            {"ncols": "4"},
            ValueError,
            "ncols must be a positive integer",
        ),
        (
            np.zeros((2, 3, 3)),
            {"size": -1},
            ValueError,
            "size must be a finite number > 0",
        ),
        (
            np.zeros((2, 3, 3)),
            {"titles": "ab"},
            TypeError,
            "one title per image",
        ),  # was one letter each
        (np.zeros((2, 3, 3)), {"titles": 5}, TypeError, "one title per image"),
        (np.zeros((10_000, 2, 2)), {}, ValueError, "show at most 400"),
        ([np.zeros((0, 0))], {}, ValueError, "image 0 is empty"),
        (np.zeros((5, 784)), {}, ValueError, "reshape"),
    ],
)
def test_show_images_names_each_bad_argument(images, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot.show_images(images, **kwargs)


def test_show_images_symmetric_survives_an_all_nan_image():
    fig = plot.show_images(np.full((1, 3, 3), np.nan), symmetric=True)
    image = fig.axes[0].images[0]
    assert image.norm.vmin == -1 and image.norm.vmax == 1


def bowl(x, y):
    return x**2 + y**2


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"levels": 0}, ValueError, "levels must be a positive integer"),
        ({"resolution": 1}, ValueError, "resolution must be an integer ≥ 2"),
        ({"xlim": 5}, ValueError, "xlim must be a \\(low, high\\) pair"),
        ({"xlim": (1, 1)}, ValueError, "low < high"),
        (
            {"ylim": (0, float("nan"))},
            ValueError,
            "ylim\\[1\\] must be a finite number",
        ),
        (
            {"path": [[0, 0], [1, 1], [np.nan, 1]]},
            ValueError,
            "from step 2 on: the optimiser diverged",
        ),
        ({"path": [[0, 0], [np.inf, 1]]}, ValueError, "from step 1 on"),
        ({"f": lambda x, y: np.nan * x}, ValueError, "NaN or infinite everywhere"),
        ({"f": "x**2"}, TypeError, "f must be a function"),
    ],
)
def test_surface_path_names_each_bad_argument(kwargs, error, message):
    args = {"f": bowl, **kwargs}
    with pytest.raises(error, match=message):
        plot.plot_surface_path(args.pop("f"), **args)
