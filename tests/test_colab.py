"""What happens on Colab, simulated: the set-up cell's install, the package it installs,
and the Colab path of helpers.diagrams."""

from __future__ import annotations

import ast
import html
import re
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import nbformat
import pytest
import tomllib

from helpers import diagrams

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from sync_setup_cells import (  # noqa: E402
    chapter_notebooks,
    repository_ref,
    repository_url,
    setup_cell_source,
)

COLAB_OWNS = ("torch", "tensorflow", "numpy", "keras", "jax")


def run_setup_cell_as_on_colab(monkeypatch) -> list[list[str]]:
    """Execute the set-up cell with Colab faked; return the commands it ran."""
    commands = []
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: commands.append(cmd))
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    namespace: dict = {}
    exec(compile(setup_cell_source(), "<set-up cell>", "exec"), namespace)
    assert namespace["course"].profile == "quick"
    return commands


def test_setup_cell_on_colab_installs_only_the_helpers_from_this_repository(
    monkeypatch,
):
    (command,) = run_setup_cell_as_on_colab(monkeypatch)
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert command[-1] == f"lm4f-helpers @ git+{repository_url()}@{repository_ref()}"
    assert not [arg for arg in command if any(name in arg for name in COLAB_OWNS)]


def _pinned_requirements() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_what_a_notebook_installs_on_colab_is_the_tested_version():
    """Every ``pip install`` in a chapter names one exact version.

    The version is the one requirements.txt pins.
    """
    pins = _pinned_requirements()
    installs = []
    for path in chapter_notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            for packages in re.findall(
                r'"pip", "install", "-q", ((?:"[^"]+"(?:, )?)+)\]', cell.source
            ):
                installs.extend(
                    (path.name, package)
                    for package in re.findall(r'"([^"]+)"', packages)
                )
    assert installs, (
        "no install command found: has the pattern of the set-up cell changed?"
    )
    for name, package in installs:
        if package.startswith("lm4f-helpers") or package == "helpers":
            continue  # the course's own package, pinned to the book's ref (test above)
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", package)
        assert match, f"{name} installs {package!r} on Colab without an exact version"
        wanted = pins.get(match.group(1).lower().replace("_", "-"))
        assert wanted == match.group(2), (
            f"{name} installs {package}; requirements.txt pins {wanted}"
        )


def test_setup_cell_elsewhere_installs_nothing(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    exec(compile(setup_cell_source(), "<set-up cell>", "exec"), {})
    assert calls == []


def test_helpers_never_fight_colabs_own_frameworks():
    """The package's dependencies are light and lower-bounded only.

    No torch/tensorflow/numpy pins.
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].lower()
        assert name not in ("torch", "tensorflow", "keras", "jax"), requirement
        assert "<" not in requirement and "==" not in requirement, (
            f"upper bound or pin: {requirement}"
        )


def test_the_installed_package_contains_every_helpers_module(tmp_path):
    """Build the wheel Colab would install and check no subpackage is left out."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("lm4f_helpers-*.whl")
    packaged = {n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".py")}
    on_disk = {p.relative_to(ROOT).as_posix() for p in (ROOT / "helpers").rglob("*.py")}
    assert on_disk <= packaged, f"missing from the wheel: {sorted(on_disk - packaged)}"


class ColabWithoutPrivateParts(types.ModuleType):
    """A fake ``google.colab`` that fails the test if anything reaches into it."""

    def __getattr__(self, name):
        raise AssertionError(f"helpers.diagrams used google.colab.{name}")


def pretend_colab(monkeypatch):
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(
        sys.modules, "google.colab", ColabWithoutPrivateParts("google.colab")
    )
    # importing it fails
    monkeypatch.setitem(sys.modules, "google.colab._message", None)


def run_cell(source: str, namespace: dict):
    """Run a code cell's source as IPython would; return its last expression's value."""
    tree = ast.parse(source)
    last = (
        tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    )
    exec(compile(tree, "<cell>", "exec"), namespace)
    return (
        eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
        if last
        else None
    )


def test_every_diagram_cell_draws_its_diagram_on_colab(monkeypatch):
    """Each notebook's ``diagrams.draw`` cell, run on a simulated Colab, shows the
    diagram of the markdown cell it follows, using no private part of Colab."""
    pretend_colab(monkeypatch)
    checked = 0
    for path in chapter_notebooks():
        notebook = nbformat.read(path, as_version=4)
        written = diagrams.notebook_diagrams(notebook)
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code" or "diagrams.draw(" not in cell.source:
                continue
            (title,) = re.findall(r'diagrams\.draw\(\s*"([^"]+)",?\s*\)', cell.source)
            expected = diagrams.find_diagram(written, title)
            above = diagrams.notebook_diagrams({"cells": notebook.cells[:index]})
            assert expected in above, (
                f"{path.name}: draw({title!r}) comes before its diagram"
            )
            shown = run_cell(cell.source, {"diagrams": diagrams})
            assert html.escape(expected) in shown.data, (
                f"{path.name}: {title!r} drawn wrong"
            )
            assert diagrams.MERMAID_CDN in shown.data
            checked += 1
    assert checked >= 14, f"only {checked} diagram cells found"


def test_an_unknown_title_on_colab_names_the_titles_that_exist(monkeypatch):
    pretend_colab(monkeypatch)
    with pytest.raises(
        KeyError, match="'Training lop' in the course's chapters.*'Training loop'"
    ):
        diagrams.draw("Training lop")
