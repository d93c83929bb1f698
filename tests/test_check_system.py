"""scripts/check_system.sh: a missing system program gets a message: what to install."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check_system.sh"


def run(path_dirs, tmp_path, extra_env=None):
    env = {
        "PATH": os.pathsep.join(str(p) for p in path_dirs),
        "HOME": str(tmp_path),
        **(extra_env or {}),
    }
    return subprocess.run(
        ["/bin/bash", str(SCRIPT), "chromium"], capture_output=True, text=True, env=env
    )


def fake_bin(tmp_path, name, body):
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    tool = folder / name
    tool.write_text(f"#!/bin/sh\n{body}\n")
    tool.chmod(0o755)
    return folder


def test_missing_chromium_as_a_normal_user_says_what_to_install(tmp_path):
    # `id -u` answers 1000: not root, so the script must not try apt-get
    folder = fake_bin(tmp_path, "id", "echo 1000")
    result = run([folder, "/usr/bin/env-does-not-exist"], tmp_path)
    assert result.returncode == 1
    assert "apt-get install chromium" in result.stderr


def test_found_chromium_passes_quietly(tmp_path):
    folder = fake_bin(tmp_path, "chromium", "exit 0")
    result = run([folder], tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_chromium_variable_is_honoured(tmp_path):
    folder = fake_bin(tmp_path, "my-chrome", "exit 0")
    fake_bin(tmp_path, "id", "echo 1000")
    result = run([folder], tmp_path, {"CHROMIUM": str(folder / "my-chrome")})
    assert result.returncode == 0


def test_unknown_program_is_a_usage_error(tmp_path):
    result = subprocess.run(
        ["/bin/bash", str(SCRIPT), "netscape"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "unknown program" in result.stderr


def make_without(tmp_path, target):
    """Run one Makefile set-up step with an empty PATH: it can find nothing it needs."""
    make = shutil.which("make")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    return subprocess.run(
        [make, "-B", "--no-print-directory", target],
        cwd=ROOT,
        env={"PATH": str(empty), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )


def test_make_without_npm_says_what_to_install(tmp_path):
    result = make_without(tmp_path, "node_modules/.installed")
    assert result.returncode != 0
    assert "npm not found" in result.stdout + result.stderr
    assert "apt-get install nodejs npm" in result.stdout + result.stderr


def test_make_without_python_says_what_to_install(tmp_path):
    result = make_without(tmp_path, ".venv/.installed")
    assert result.returncode != 0
    assert "python3 not found" in result.stdout + result.stderr
    assert "apt-get install python3" in result.stdout + result.stderr
