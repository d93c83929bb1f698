"""Unit tests of helpers.runtime."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import numpy as np
import pytest
import torch

from helpers import runtime


def test_profile_from_environment():
    assert runtime.get_profile({"COURSE_PROFILE": "quick"}) == "quick"
    assert runtime.get_profile({"COURSE_PROFILE": " FULL "}) == "full"


def test_default_profile_follows_the_gpu(monkeypatch):
    monkeypatch.setattr(runtime, "nvidia_gpu_visible", lambda: False)
    assert runtime.get_profile({}) == "quick"
    monkeypatch.setattr(runtime, "nvidia_gpu_visible", lambda: True)
    assert runtime.get_profile({}) == "full"


def test_bad_profile_says_what_to_do():
    with pytest.raises(ValueError, match=r"COURSE_PROFILE='fast'.*quick, full"):
        runtime.get_profile({"COURSE_PROFILE": "fast"})


def test_pick_device_falls_back_to_cpu_here():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available() and torch.backends.mps.is_available():
        expected = "mps"
    assert runtime.pick_device().type == expected
    assert runtime.pick_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_a_missing_gpu_is_an_error_not_a_silent_fallback():
    with pytest.raises(RuntimeError, match="not available"):
        runtime.pick_device("cuda")


def test_unknown_device_type():
    with pytest.raises(ValueError, match="Unknown device type 'tpu'"):
        runtime.pick_device("tpu")


def test_seed_everything_makes_runs_repeat():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    seeded = runtime.seed_everything(123)
    first = draw()
    runtime.seed_everything(123)
    assert draw() == first
    runtime.seed_everything(124)
    assert draw() != first
    assert seeded[:3] == ["python", "numpy", "torch"]


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_must_be_a_non_negative_int(bad):
    with pytest.raises(ValueError):
        runtime.seed_everything(bad)


def test_colab_detection(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert not runtime.in_colab()
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20261101-060000")
    assert runtime.in_colab()


def test_environment_report_is_one_line_with_the_facts(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    line = runtime.environment_report("quick", torch.device("cpu"), 7)
    assert "\n" not in line
    for fact in (
        "python ",
        "numpy ",
        "torch ",
        "tensorflow ",
        "device cpu",
        "profile quick",
        "seed 7",
    ):
        assert fact in line


def test_setup_returns_choices_and_prints_report(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    course = runtime.setup(seed=3, device="cpu")
    assert (course.profile, course.device.type, course.seed, course.quick) == (
        "quick",
        "cpu",
        3,
        True,
    )
    assert "profile quick" in capsys.readouterr().out


def test_import_helpers_is_fast_and_imports_no_framework():
    code = (
        "import json, sys, time; t = time.perf_counter(); "
        "import helpers, helpers.runtime, helpers.diagrams; "
        "print(json.dumps([time.perf_counter() - t, "
        "[m for m in ('torch', 'tensorflow') if m in sys.modules]]))"
    )
    # best of three: the first import also warms the file cache
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    ]
    assert min(seconds for seconds, _ in runs) < 0.5
    assert all(frameworks == [] for _, frameworks in runs)


@pytest.mark.parametrize("prefer", ["CPU", " cpu ", "cpu:0", torch.device("cpu")])
def test_pick_device_reads_any_spelling_of_a_device(prefer):
    assert runtime.pick_device(prefer).type == "cpu"  # was "Unknown device type"


@pytest.mark.parametrize("prefer", ["gpu", 5, "meta", "cuda:x", ""])
def test_pick_device_names_the_choices_for_anything_else(prefer):
    with pytest.raises(
        ValueError, match=r"Unknown device type.*\['cpu', 'cuda', 'mps'\]"
    ):
        runtime.pick_device(prefer)


def test_a_seed_beyond_numpys_range_is_refused_before_anything_is_seeded():
    import random

    random.seed(123)
    state = random.getstate()
    with pytest.raises(ValueError, match="seed must be at most 2\\*\\*32 - 1"):
        # was numpy's error after Python's generator was reseeded
        runtime.seed_everything(2**40)
    assert random.getstate() == state
    assert runtime.seed_everything(runtime.MAX_SEED)[:2] == ["python", "numpy"]


@pytest.mark.parametrize("name", ["", None, 3])
def test_package_version_needs_a_name(name):
    with pytest.raises(ValueError, match="distribution name"):
        runtime.package_version(name)


def test_setup_checks_the_seed_first():
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        runtime.setup(-1, report=False)


@pytest.mark.parametrize("value", ["bogus", "Quick-ish", "1"])
def test_an_unknown_profile_names_the_allowed_ones(value):
    with pytest.raises(
        ValueError, match=rf"COURSE_PROFILE='{value}' is not a profile.*quick, full"
    ):
        runtime.get_profile({"COURSE_PROFILE": value})  # never silently "quick"
    assert runtime.get_profile({"COURSE_PROFILE": " FULL "}) == "full"
