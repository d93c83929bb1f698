"""requirements.lock installs just what requirements.txt asks, nothing from a path."""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from lock_requirements import declared, lock_lines  # noqa: E402


def locked() -> dict[str, Requirement]:
    found = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def test_every_lock_line_is_one_exact_version_from_an_index():
    for name, requirement in locked().items():
        assert requirement.url is None, (
            f"{name} is locked to a file or URL: {requirement.url}"
        )
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", (
            f"{name} is not pinned to one version in requirements.lock: {requirement}"
        )
        assert "+" not in specifiers[0].version, (
            f"{name}: a local version exists on one index only"
        )


def test_the_lock_satisfies_every_requirement():
    lock = locked()
    for name, wanted in declared().items():
        assert name in lock, (
            f"{name} is in requirements.txt but not in requirements.lock: run make lock"
        )
        version = next(iter(lock[name].specifier)).version
        assert wanted.specifier.contains(version, prereleases=True), (
            f"requirements.lock has {name}=={version}, "
            f"requirements.txt asks for {wanted}: run make lock"
        )
        assert str(lock[name].marker or "") == str(wanted.marker or ""), (
            f"{name}: the lock must keep requirements.txt's environment marker "
            f"({wanted.marker})"
        )


def test_lock_lines_strip_local_versions_paths_and_the_course_package():
    freeze = (
        "-e /somewhere/course\n"
        "torch==2.13.0+cpu\n"
        "tensorflow_cpu==2.21.0\n"
        "lm4f-helpers==0.1.0\n"
        "packaging @ file:///tmp/packaging-24.0-py3-none-any.whl\n"
    )
    requirements = {
        "tensorflow-cpu": Requirement(
            'tensorflow-cpu==2.21.0 ; platform_machine == "x86_64"'
        )
    }
    lines = lock_lines(freeze, requirements)
    from importlib.metadata import version

    assert lines == sorted(
        [
            f"packaging=={version('packaging')}",
            'tensorflow_cpu==2.21.0 ; platform_machine == "x86_64"',
            "torch==2.13.0",
        ],
        key=str.lower,
    )


# --- scripts/install_torch.sh: the pinned torch's CPU build, never PyPI's CUDA one ---

FAKE_PYTHON = """#!/usr/bin/env bash
# Stands in for the venv's python: reports $INSTALLED as torch's version and logs
# each pip call. A pip call fails if it contains $FAIL_ON or lacks $SUCCEED_ONLY_WITH.
if [[ $1 == -c ]]; then
    [[ -n ${INSTALLED:-} ]] && echo "$INSTALLED" && exit 0
    exit 1
fi
echo "${*:2}" >> "$LOG"
[[ -n ${FAIL_ON:-} && "$*" == *"$FAIL_ON"* ]] && exit 1
[[ -n ${SUCCEED_ONLY_WITH:-} && "$*" != *"$SUCCEED_ONLY_WITH"* ]] && exit 1
exit 0
"""


def run_install_torch(tmp_path, **fake):
    """Run the script with the fake python; return its result and the pip calls made."""
    import os
    import subprocess

    python = tmp_path / "python"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    log = tmp_path / "pip.log"
    log.touch()
    env = {
        **os.environ,
        "LOG": str(log),
        "TORCH_CPU_INDEX": "https://example.invalid/cpu",
    }
    env.update({name.upper(): value for name, value in fake.items()})
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "install_torch.sh"), str(python)],
        env=env,
        capture_output=True,
        text=True,
    )
    return done, log.read_text().splitlines()


def pinned_torch() -> str:
    return next(iter(locked()["torch"].specifier)).version


def test_install_torch_keeps_a_torch_of_the_pinned_version(tmp_path):
    version = pinned_torch()
    done, calls = run_install_torch(tmp_path, installed=f"{version}+cu128")
    assert done.returncode == 0 and calls == []
    assert f"torch {version}+cu128 is installed" in done.stdout


def test_install_torch_takes_the_cpu_build_from_the_configured_indexes_first(tmp_path):
    version = pinned_torch()
    done, calls = run_install_torch(tmp_path, installed="2.0.0")
    assert done.returncode == 0, done.stderr
    assert calls == [f"pip install --quiet torch=={version}+cpu"]


def test_install_torch_falls_back_to_pytorchs_cpu_index(tmp_path):
    version = pinned_torch()
    done, calls = run_install_torch(tmp_path, succeed_only_with="--index-url")
    assert done.returncode == 0, done.stderr
    assert calls == [
        f"pip install --quiet torch=={version}+cpu",
        f"pip install --quiet --index-url https://example.invalid/cpu "
        f"torch=={version}+cpu",
    ]
    assert "installed from https://example.invalid/cpu" in done.stdout


def test_install_torch_never_fetches_the_cuda_build_on_x86_linux(tmp_path):
    import platform

    import pytest

    if platform.system() != "Linux" or platform.machine() != "x86_64":
        pytest.skip("the guard against PyPI's CUDA build is for x86-64 Linux")
    done, calls = run_install_torch(tmp_path, fail_on="+cpu")
    assert done.returncode == 1
    assert len(calls) == 2 and all(call.endswith("+cpu") for call in calls), calls
    assert "could not install torch" in done.stderr
    assert "TORCH_CPU_INDEX" in done.stderr
