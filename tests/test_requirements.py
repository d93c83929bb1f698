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
