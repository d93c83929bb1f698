"""scripts/train_mnist_ddp.py: two DDP processes follow the single-process run.

With the same seed, the same global batch and no randomness inside the model
(no dropout, no batch norm), DDP's averaged gradients equal the single
process's gradients except for float32 rounding (the two halves of a batch are
summed in another order). Measured here after 48 Adam steps: the largest
parameter difference is about 1e-6, while training moves the parameters by
about 5e-2. We allow 1e-4 — a hundred times the rounding we saw, still five
hundred times smaller than what training changes — and show that the test has
teeth: a run with a different data order lands far outside it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "train_mnist_ddp.py"
TORCHRUN = Path(sys.executable).with_name("torchrun")
COMMON = [
    "--n-train",
    "1024",
    "--n-test",
    "500",
    "--global-batch",
    "64",
    "--epochs",
    "3",
    "--steps",
    "48",
]
PARAM_ATOL = 1e-4


@pytest.fixture(scope="module")
def env():
    from helpers import data

    try:
        data.load_mnist(verbose=False)
    except data.DataUnavailableError as error:
        pytest.skip(f"MNIST is not available: {error}")
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def run(command: list[str], env: dict, out: Path) -> dict:
    done = subprocess.run(
        command + ["--out", str(out)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return torch.load(out, weights_only=True)


def max_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k] - b[k]).abs().max().item() for k in a)


@pytest.fixture(scope="module")
def runs(env, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    single = run([sys.executable, str(SCRIPT), *COMMON], env, folder / "single.pt")
    ddp = run(
        [str(TORCHRUN), "--standalone", "--nproc_per_node", "2", str(SCRIPT), *COMMON],
        env,
        folder / "ddp.pt",
    )
    other = run(
        [sys.executable, str(SCRIPT), *COMMON, "--seed", "1"], env, folder / "other.pt"
    )
    return single, ddp, other


def test_the_runs_are_what_they_say(runs):
    single, ddp, _ = runs
    assert (
        single["metrics"]["world_size"] == 1 and single["metrics"]["backend"] == "none"
    )
    assert ddp["metrics"]["world_size"] == 2 and ddp["metrics"]["backend"] == "gloo"
    for r in (single, ddp):
        assert r["metrics"]["steps"] == 48 and r["metrics"]["global_batch"] == 64
        assert r["metrics"]["test_acc"] > 0.5  # it learned something (chance is 0.1)


def test_ddp_on_two_processes_matches_one_process(runs):
    single, ddp, _ = runs
    assert max_difference(single["state_dict"], ddp["state_dict"]) < PARAM_ATOL
    # a prediction could flip only for an example right on a decision boundary
    assert abs(single["metrics"]["test_acc"] - ddp["metrics"]["test_acc"]) <= 2 / 500
    assert single["metrics"]["test_loss"] == pytest.approx(
        ddp["metrics"]["test_loss"], abs=1e-4
    )


def test_the_tolerance_has_teeth(runs):
    single, _, other = runs  # another seed: other initial weights and data order
    assert max_difference(single["state_dict"], other["state_dict"]) > 100 * PARAM_ATOL


def test_bad_arguments_are_refused(env, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--out",
            str(tmp_path / "x.pt"),
            "--global-batch",
            "0",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "--global-batch must be at least 1" in done.stderr


def load_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_mnist_ddp", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--n-train", "0"],
            "--n-train must be at least 1, got 0",
        ),  # was: silently the whole set
        (["--n-test", "-5"], "--n-test must be at least 1"),
        (["--steps", "0"], "--steps must be at least 1"),  # was: one step anyway
        (["--seed", "-1"], "--seed must be a non-negative integer"),
        (["--lr", "0"], "--lr must be a positive number"),
        (["--lr", "nan"], "--lr must be a positive number"),
    ],
)
def test_arguments_are_checked_before_any_data_is_loaded(
    arguments, message, tmp_path, capsys
):
    script = load_script()
    with pytest.raises(SystemExit) as stop:
        script.parse_args(["--out", str(tmp_path / "x.pt"), *arguments])
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_cuda_without_a_gpu_is_refused_at_once(tmp_path, capsys):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(SystemExit):
        load_script().parse_args(["--out", str(tmp_path / "x.pt"), "--device", "cuda"])
    assert "no CUDA GPU is visible" in capsys.readouterr().err
