"""Where the course runs: profile, device, seeds, Colab detection, one-line report.

Every notebook's set-up cell calls :func:`setup`. Nothing here imports torch or
TensorFlow at module import time: ``import helpers`` must stay fast, and a
chapter that never touches TensorFlow should not pay for it.
"""

from __future__ import annotations

import os
import platform
import random
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from . import i18n
from .arguments import integer
from .i18n import Message, error_text

PROFILES = ("quick", "full")
"""``quick``: small real subsets and few steps (CI, a laptop CPU).
``full``: the real thing (full data, enough epochs to hit the quality targets)."""

PROFILE_VARIABLE = "COURSE_PROFILE"
DEFAULT_SEED = 0
MAX_SEED = 2**32 - 1
"""The largest seed NumPy accepts."""


def nvidia_gpu_visible() -> bool:
    """Return True when an NVIDIA GPU is visible, without importing torch.

    Used only to choose the default profile; :func:`pick_device` is the
    authority on which device the code really uses.
    """
    return Path("/dev/nvidia0").exists() or Path("/proc/driver/nvidia/gpus").is_dir()


def get_profile(environ: dict[str, str] | None = None) -> str:
    """Return the run profile: ``COURSE_PROFILE`` if set, else this machine's default.

    The default is ``full`` where an NVIDIA GPU is visible and ``quick`` elsewhere,
    so a reader on a laptop CPU never starts an hour-long run by accident.

    Raises
    ------
    ValueError
        If ``COURSE_PROFILE`` holds anything other than ``quick`` or ``full``.
    """
    environ = os.environ if environ is None else environ
    value = environ.get(PROFILE_VARIABLE, "").strip().lower()
    if not value:
        return "full" if nvidia_gpu_visible() else "quick"
    if value not in PROFILES:
        raise ValueError(
            Message(
                "{variable}={value} is not a profile. Set it to one of {profiles} "
                "(e.g. `export {variable}=quick`), or unset it to get the default for "
                "this machine.",
                variable=PROFILE_VARIABLE,
                value=repr(environ[PROFILE_VARIABLE]),
                profiles=", ".join(PROFILES),
            )
        )
    return value


def pick_device(prefer: str | None = None):
    """Return the best ``torch.device`` available: CUDA, then Apple MPS, then CPU.

    Parameters
    ----------
    prefer
        Force a device type (``"cpu"``, ``"cuda"``, ``"mps"``, any case), a device with
        its index (``"cuda:1"``) or a ``torch.device``. Asking for one that is not
        available raises ``RuntimeError`` rather than silently falling back, so a
        reader who expects a GPU finds out at once.
    """
    import torch

    available = {
        "cuda": torch.cuda.is_available(),
        "mps": bool(getattr(torch.backends, "mps", None))
        and torch.backends.mps.is_available(),
        "cpu": True,
    }
    if prefer is not None:
        wanted = _requested_device(prefer, available)
        if not available[wanted.type]:
            raise RuntimeError(
                Message(
                    "Device {device} was requested but is not available on this "
                    "machine. On Colab: Runtime → Change runtime type → GPU. Otherwise "
                    "omit `prefer`.",
                    device=repr(prefer),
                )
            )
        if (
            wanted.type == "cuda"
            and wanted.index is not None
            and wanted.index >= torch.cuda.device_count()
        ):
            raise RuntimeError(
                Message(
                    "Device {device} was requested but this machine has {count} CUDA "
                    "device(s), numbered from 0.",
                    device=repr(prefer),
                    count=torch.cuda.device_count(),
                )
            )
        return wanted
    for kind in ("cuda", "mps", "cpu"):
        if available[kind]:
            return torch.device(kind)
    raise AssertionError("unreachable: the CPU is always available")


def _requested_device(prefer, available: dict):
    """``prefer`` as a ``torch.device`` of a known type,
    or a ValueError naming the choices."""
    import torch

    if isinstance(prefer, torch.device):
        wanted = prefer
    else:
        try:
            wanted = torch.device(prefer.strip().lower())
        # not text, or not a device name
        except (AttributeError, RuntimeError, TypeError):
            wanted = None
    if wanted is None or wanted.type not in available:
        raise ValueError(
            Message(
                "Unknown device type {device}; choose one of {choices}.",
                device=repr(prefer),
                choices=sorted(available),
            )
        )
    return wanted


def seed_everything(seed: int = DEFAULT_SEED) -> list[str]:
    """Seed Python, NumPy and every deep-learning framework already imported.

    PyTorch and TensorFlow are seeded only if the notebook has imported them:
    importing TensorFlow just to seed it would cost seconds and memory in
    chapters that never use it. Call this again after importing a framework.

    Returns
    -------
    list of str
        The names of the generators that were seeded, e.g.
        ``["python", "numpy", "torch"]``.
    """
    seed = integer(seed, "seed", minimum=0)
    if seed > MAX_SEED:  # NumPy's limit; checked before any generator is seeded
        raise ValueError(f"seed must be at most 2**32 - 1 = {MAX_SEED}, got {seed}")
    seeded = ["python"]
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # affects child processes only
    import numpy as np

    np.random.seed(seed)
    seeded.append("numpy")
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)  # seeds CPU, CUDA and MPS generators
        seeded.append("torch")
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)
        seeded.append("tensorflow")
    return seeded


def in_colab() -> bool:
    """Return True when running inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def package_version(name: str) -> str | None:
    """Installed version of a distribution,
    read from metadata without importing it; None if absent."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(
            f"name must be a distribution name such as 'torch', got {name!r}"
        )
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def tensorflow_version() -> str | None:
    """TensorFlow's version under any of its distribution names, or None."""
    for name in ("tensorflow", "tensorflow-cpu", "tf-nightly"):
        version = package_version(name)
        if version:
            return version
    return None


def environment_report(profile: str, device: object, seed: int) -> str:
    """One line saying what this notebook runs on, for bug reports and the reader."""
    missing = Message("missing")
    report = Message(
        "python {python} · numpy {numpy} · torch {torch} · tensorflow {tensorflow} · "
        "device {device} · profile {profile} · seed {seed}",
        python=platform.python_version(),
        numpy=package_version("numpy"),
        torch=package_version("torch") or missing,
        tensorflow=tensorflow_version() or missing,
        device=device,
        profile=profile,
        seed=seed,
    )
    if in_colab():
        report = Message("{report} · Colab", report=report)
    return str(report)


@dataclass(frozen=True)
class Course:
    """What the set-up cell decided;
    notebooks read ``course.profile`` and ``course.device``."""

    profile: str
    device: object
    seed: int

    @property
    def quick(self) -> bool:
        """True in the quick profile (CI and CPUs)."""
        return self.profile == "quick"


def _use_course_font() -> None:
    """Draw figures with the course's CJK-capable font,
    so a Chinese label is never a box.

    The font ships with the course (``noto-cjk-sans-otc``, a dependency of the helpers);
    an older installation without it keeps matplotlib's default font and says how to get
    the Chinese one.
    """
    from helpers import fonts

    try:
        fonts.use_chinese_font()
    except ModuleNotFoundError as error:
        print(Message("note: {error}", error=error_text(error)))


def setup(
    seed: int = DEFAULT_SEED,
    *,
    device: str | None = None,
    report: bool = True,
    language: str = "en",
) -> Course:
    """Pick the profile and device, seed everything and print a one-line report.

    Parameters
    ----------
    seed
        Seed for Python, NumPy and the imported frameworks.
    device
        Force a device type; by default the best available one is chosen.
    report
        Print the environment report (the set-up cell does).
    language
        The language of the helpers' messages: ``"en"``, or ``"zh"`` in the Chinese
        notebooks (:mod:`helpers.i18n`).
    """
    i18n.set_language(language)  # first: every message after it is in that language
    profile = get_profile()
    # before the device: a typo costs no CUDA start-up
    seed = integer(seed, "seed", minimum=0)
    chosen = pick_device(device)
    seed_everything(seed)
    _use_course_font()
    if report:
        print(environment_report(profile, chosen, seed))
    return Course(profile=profile, device=chosen, seed=seed)
