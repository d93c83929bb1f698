"""The pre-commit checks (``.pre-commit-config.yaml``) work offline, refuse what they
should.

Each hook is a local command from the course's environment, so ``pre-commit`` downloads
nothing when it runs. These tests run the hooks through ``pre-commit`` itself on files
they must refuse, in a throwaway git repository, so that a hook which quietly lets
everything pass fails here.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = ROOT / ".pre-commit-config.yaml"
CONFIG = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
HOOKS = {hook["id"]: hook for repo in CONFIG["repos"] for hook in repo["hooks"]}
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")


def test_every_hook_is_a_local_command_from_the_course_environment():
    assert {repo["repo"] for repo in CONFIG["repos"]} == {"local"}, (
        "a remote hook repository needs network"
    )
    for hook_id, hook in HOOKS.items():
        assert hook["language"] == "system", (
            f"{hook_id}: other languages make pre-commit install things"
        )
        program = shlex.split(hook["entry"])[0]
        assert program.startswith(".venv/bin/"), (
            f"{hook_id}: {program} is not from the course's .venv"
        )
        assert (ROOT / program).is_file(), (
            f"{hook_id}: {program} is missing: run `make setup`"
        )


def test_the_hooks_cover_lint_format_notebooks_and_large_files():
    assert {
        "ruff-check",
        "ruff-format",
        "notebooks-without-outputs",
        "no-large-files",
    } <= set(HOOKS)


def test_pre_commit_accepts_the_configuration():
    result = subprocess.run(
        [str(PRE_COMMIT), "validate-config", str(CONFIG_PATH)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def scratch_repo(tmp_path):
    """A git repository with the course's hook configuration and a link to its venv."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    shutil.copy(CONFIG_PATH, repo / CONFIG_PATH.name)
    (repo / ".venv").symlink_to(ROOT / ".venv")
    return repo


def run_hook(repo: Path, hook_id: str, files: list[str]) -> subprocess.CompletedProcess:
    """``pre-commit run HOOK --files FILES`` in ``repo``.

    With ``--files``, pre-commit stashes nothing.
    """
    subprocess.run(
        ["git", "-C", str(repo), "add", "--", *files, CONFIG_PATH.name], check=True
    )
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home")}
    return subprocess.run(
        [str(PRE_COMMIT), "run", hook_id, "--files", *files],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_file_over_500_kb_is_refused(scratch_repo):
    (scratch_repo / "weights.bin").write_bytes(b"\0" * 600_000)
    (scratch_repo / "small.txt").write_text("fine\n", encoding="utf-8")
    refused = run_hook(scratch_repo, "no-large-files", ["weights.bin"])
    assert refused.returncode == 1 and "weights.bin" in refused.stdout, (
        refused.stdout + refused.stderr
    )
    accepted = run_hook(scratch_repo, "no-large-files", ["small.txt"])
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_lint_errors_and_unformatted_code_are_refused(scratch_repo):
    (scratch_repo / "sloppy.py").write_text(
        "import os\nx  =  [1,2]\n", encoding="utf-8"
    )
    lint = run_hook(scratch_repo, "ruff-check", ["sloppy.py"])
    assert lint.returncode == 1 and "F401" in lint.stdout, lint.stdout + lint.stderr
    style = run_hook(scratch_repo, "ruff-format", ["sloppy.py"])
    assert style.returncode == 1 and "sloppy.py" in style.stdout, (
        style.stdout + style.stderr
    )
    assert (scratch_repo / "sloppy.py").read_text(
        encoding="utf-8"
    ) == "import os\nx  =  [1,2]\n", (
        "the format hook must only check, never rewrite a contributor's file"
    )
