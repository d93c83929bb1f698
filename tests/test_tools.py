"""helpers.tools: TensorBoard and W&B files written for real, then read back."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from helpers import tools


@pytest.fixture
def tensorboard_log(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    for run, scale in (("lr_0.01", 1.0), ("lr_0.001", 2.0)):
        with SummaryWriter(tmp_path / run) as writer:
            for step in range(5):
                writer.add_scalar("loss/train", scale / (step + 1), step)
            writer.add_scalar("accuracy/test", 0.5 + scale / 10, 4)
    return tmp_path


def test_tensorboard_scalars_reads_every_run_and_tag(tensorboard_log):
    table = tools.tensorboard_scalars(tensorboard_log)
    assert set(table["run"]) == {"lr_0.01", "lr_0.001"}
    loss = table[(table["run"] == "lr_0.001") & (table["tag"] == "loss/train")]
    assert list(loss["step"]) == [0, 1, 2, 3, 4]
    assert np.allclose(loss["value"], [2 / (s + 1) for s in range(5)])
    accuracy = table[table["tag"] == "accuracy/test"].set_index("run")["value"]
    assert accuracy["lr_0.01"] == pytest.approx(0.6)


def test_tensorboard_scalars_rejects_a_missing_or_empty_folder(tmp_path):
    with pytest.raises(tools.TrackerFileError, match="not a folder"):
        tools.tensorboard_scalars(tmp_path / "nowhere")
    with pytest.raises(tools.TrackerFileError, match="no TensorBoard scalars"):
        tools.tensorboard_scalars(tmp_path)


def test_smooth_is_tensorboards_debiased_moving_average():
    values = np.array([4.0, 2.0, 6.0, 1.0])
    assert np.allclose(tools.smooth(values, 0), values)
    # debiased: no pull towards zero
    assert np.allclose(tools.smooth([3.0] * 6, 0.9), 3.0)
    ema, expected = 0.0, []
    for k, v in enumerate(values, start=1):
        ema = 0.6 * ema + 0.4 * v
        expected.append(ema / (1 - 0.6**k))
    assert np.allclose(tools.smooth(values, 0.6), expected)


@pytest.mark.parametrize("weight", [1, 1.5, -0.1, "0.5", None, True, float("nan")])
def test_smooth_rejects_bad_weights_with_a_sentence(weight):
    with pytest.raises(
        ValueError, match=r"smoothing must be a finite number in \[0, 1\)"
    ):
        tools.smooth([1.0, 2.0], weight)


def test_plot_runs_draws_each_run_and_explains_bad_choices(tensorboard_log):
    table = tools.tensorboard_scalars(tensorboard_log)
    ax = tools.plot_runs(table, ["lr_0.01", "lr_0.001"], "loss/train", smoothing=0.5)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "lr_0.01",
        "lr_0.001",
    ]
    assert len(ax.lines) == 4  # raw and smoothed for each run
    with pytest.raises(ValueError, match="at least one run"):
        tools.plot_runs(table, [], "loss/train")
    with pytest.raises(ValueError, match="unknown tag"):
        tools.plot_runs(table, ["lr_0.01"], "loss")
    with pytest.raises(ValueError, match="unknown run"):
        tools.plot_runs(table, ["lr_9"], "loss/train")


@pytest.fixture(scope="module")
def wandb_run_file(tmp_path_factory):
    wandb = pytest.importorskip("wandb")
    folder = tmp_path_factory.mktemp("wandb")
    mp = pytest.MonkeyPatch()
    for key, value in {
        "WANDB_MODE": "offline",
        "WANDB_SILENT": "true",
        "WANDB_DIR": str(folder),
    }.items():
        mp.setenv(key, value)
    try:
        run = wandb.init(
            project="test", config={"lr": 0.001}, settings=wandb.Settings(console="off")
        )
        for step in range(4):
            run.log({"loss": 1 / (step + 1)})
        # longer than two 32 KiB blocks: a FIRST/MIDDLE/LAST record
        run.log({"note": "x" * 70_000})
        run.summary["test_accuracy"] = 0.875
        run.finish()
        wandb.teardown()  # stop W&B's helper process; the run file is complete
    finally:
        mp.undo()
    return next(folder.rglob("run-*.wandb"))


def test_wandb_offline_file_reads_back_what_was_logged(wandb_run_file):
    records = tools.read_wandb_records(wandb_run_file)
    kinds = {r.WhichOneof("record_type") for r in records}
    assert {"run", "history", "summary", "exit"} <= kinds
    history = tools.wandb_history(records)
    assert np.allclose(history["loss"].dropna(), [1, 1 / 2, 1 / 3, 1 / 4])
    assert history["note"].dropna().iloc[0] == "x" * 70_000
    assert tools.wandb_summary(records)["test_accuracy"] == 0.875


def test_wandb_reader_rejects_damaged_files(wandb_run_file, tmp_path):
    raw = wandb_run_file.read_bytes()
    cases = {
        "missing.wandb": None,
        "not.wandb": b"hello, world",
        "truncated.wandb": raw[: len(raw) // 2],
        "flipped.wandb": raw[:200] + bytes([raw[200] ^ 0xFF]) + raw[201:],
    }
    for name, content in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(tools.TrackerFileError):
            tools.read_wandb_records(path)
