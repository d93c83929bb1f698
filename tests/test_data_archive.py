"""Safe archive handling: path traversal, absolute paths, links, devices, empty and
broken files."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest
from data_fixtures.builders import tar_gz

from helpers.data.archive import (
    ArchiveError,
    UnsafeArchiveError,
    deb_data_tar,
    extract,
    iter_tar_files,
    read_zip_members,
)

GOOD = [
    ("data", None, "dir"),
    ("data/a.txt", b"alpha", "file"),
    ("data/sub/b.txt", b"beta", "file"),
]


def write(tmp_path, name, blob):
    path = tmp_path / name
    path.write_bytes(blob)
    return path


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_extract_tar_keeps_only_regular_files(tmp_path):
    archive = write(tmp_path, "good.tar.gz", tar_gz(GOOD))
    written = extract(archive, tmp_path / "out")
    assert sorted(p.name for p in written) == ["a.txt", "b.txt"]
    assert (tmp_path / "out/data/sub/b.txt").read_bytes() == b"beta"


def test_extract_with_selection_renames_members(tmp_path):
    archive = write(tmp_path, "good.tar.gz", tar_gz(GOOD))
    extract(
        archive,
        tmp_path / "out",
        select=lambda n: "only.txt" if n.endswith("a.txt") else None,
    )
    assert listing(tmp_path / "out") == ["only.txt"]


@pytest.mark.parametrize(
    "entry, message",
    [
        (("../evil.txt", b"x", "file"), "leave the target"),
        (("data/../../evil.txt", b"x", "file"), "leave the target"),
        (("/etc/evil.txt", b"x", "file"), "absolute"),
        (("data/link", None, "symlink:/etc/passwd"), "link"),
        (("data/hard", None, "hardlink:data/a.txt"), "link"),
        (("data/dev", None, "chr"), "not a regular file"),
    ],
)
def test_unsafe_tar_is_refused_and_leaves_nothing(tmp_path, entry, message):
    archive = write(tmp_path, "bad.tar.gz", tar_gz(GOOD + [entry]))
    with pytest.raises(UnsafeArchiveError, match=message):
        extract(archive, tmp_path / "out")
    assert listing(tmp_path) == ["bad.tar.gz"]  # no target, no staging folder
    with pytest.raises(UnsafeArchiveError):
        list(iter_tar_files(archive))


def _zip(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, content, mode in entries:
            info = zipfile.ZipInfo(name)
            if mode is not None:
                info.external_attr = mode << 16
            zf.writestr(info, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "entry, message",
    [
        (("../evil.txt", b"x", None), "leave the target"),
        (("/abs.txt", b"x", None), "absolute"),
        (("C:/win.txt", b"x", None), "absolute"),
        (("data/link", b"/etc/passwd", stat.S_IFLNK | 0o777), "symbolic link"),
        (("data/fifo", b"", stat.S_IFIFO | 0o644), "not a regular file"),
    ],
)
def test_unsafe_zip_is_refused_and_leaves_nothing(tmp_path, entry, message):
    archive = write(
        tmp_path,
        "bad.zip",
        _zip([("data/a.txt", b"alpha", stat.S_IFREG | 0o644), entry]),
    )
    with pytest.raises(UnsafeArchiveError, match=message):
        extract(archive, tmp_path / "out")
    with pytest.raises(UnsafeArchiveError):
        read_zip_members(archive, ["data/a.txt"])
    assert listing(tmp_path) == ["bad.zip"]


def test_zip_without_unix_modes_is_fine(tmp_path):
    archive = write(tmp_path, "ok.zip", _zip([("data/a.txt", b"alpha", None)]))
    assert read_zip_members(archive, ["data/a.txt"]) == {"data/a.txt": b"alpha"}


@pytest.mark.parametrize(
    "blob",
    [b"", b"this is not an archive at all", tar_gz(GOOD)[:40]],
    # Named ids: an id taken from the archive's bytes is unreadable, and it
    # would change with every change to the fixture (pytest-xdist refuses to run
    # when its workers collect different test names).
    ids=["empty", "not-an-archive", "truncated-tar-gz"],
)
def test_empty_malformed_or_truncated_archive(tmp_path, blob):
    archive = write(tmp_path, "broken.tar.gz", blob)
    with pytest.raises(ArchiveError):
        extract(archive, tmp_path / "out")
    assert listing(tmp_path) == ["broken.tar.gz"]


def test_missing_zip_member_is_reported(tmp_path):
    archive = write(tmp_path, "ok.zip", _zip([("data/a.txt", b"alpha", None)]))
    with pytest.raises(ArchiveError, match="missing members"):
        read_zip_members(archive, ["data/b.txt"])


def test_deb_reader(tmp_path):
    data = tar_gz(GOOD)

    def ar_member(name, blob):
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(blob):<10}`\n".encode()
        return header + blob + (b"\n" if len(blob) % 2 else b"")

    deb = (
        b"!<arch>\n"
        + ar_member("debian-binary", b"2.0\n")
        + ar_member("data.tar.gz", data)
    )
    path = write(tmp_path, "x.deb", deb)
    assert deb_data_tar(path) == data
    with pytest.raises(ArchiveError):
        deb_data_tar(write(tmp_path, "y.deb", b"garbage"))
    with pytest.raises(ArchiveError, match="truncated"):
        deb_data_tar(write(tmp_path, "z.deb", deb[:-100]))


def test_built_archives_do_not_depend_on_the_clock(monkeypatch):
    # A fixture archive's bytes can end up in a test's name; if they recorded
    # the time, two pytest-xdist workers would collect different tests.
    import time

    first = tar_gz(GOOD)
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)
    assert tar_gz(GOOD) == first
