"""Safe reading of archives: tar, zip and Debian ``.deb`` (an ``ar`` archive).

Every member is checked before anything is written: no absolute path, no
``..`` component, no link, no device or FIFO. Extraction writes into a
temporary folder beside the target and renames it only when complete, so an
unsafe or broken archive leaves nothing behind.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from .download import DataError


class UnsafeArchiveError(DataError):
    """An archive member would escape the target folder or is not a plain file."""


class ArchiveError(DataError):
    """An archive is empty, truncated or not an archive at all."""


def check_member_name(name: str, archive: str = "archive") -> PurePosixPath:
    """Return ``name`` as a relative POSIX path, or raise :class:`UnsafeArchiveError`."""
    if not name or "\x00" in name:
        raise UnsafeArchiveError(f"{archive}: empty or invalid member name {name!r}")
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"{archive}: member {name!r} has an absolute path; refusing it")
    if any(part == ".." for part in path.parts):
        raise UnsafeArchiveError(f"{archive}: member {name!r} would leave the target folder; refusing it")
    return path


def _tar_members(tar: tarfile.TarFile, label: str) -> Iterator[tarfile.TarInfo]:
    for info in tar:
        check_member_name(info.name, label)
        if info.issym() or info.islnk():
            raise UnsafeArchiveError(f"{label}: member {info.name!r} is a link; refusing it")
        if info.isdev() or info.isfifo() or not (info.isfile() or info.isdir()):
            raise UnsafeArchiveError(f"{label}: member {info.name!r} is not a regular file; refusing it")
        yield info


def _open_tar(source: Path | bytes, label: str) -> tarfile.TarFile:
    try:
        if isinstance(source, bytes):
            return tarfile.open(fileobj=io.BytesIO(source), mode="r:*")
        if Path(source).stat().st_size == 0:
            raise ArchiveError(f"{label}: the file is empty")
        return tarfile.open(source, mode="r:*")
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ArchiveError(f"{label}: not a readable tar archive ({error})") from error


def iter_tar_files(source: Path | bytes, label: str | None = None) -> Iterator[tuple[str, bytes]]:
    """Yield ``(name, content)`` for each regular file in a tar archive, checking every member.

    Streams through the archive once; raises on the first unsafe member.
    """
    label = label or (str(source) if not isinstance(source, bytes) else "archive")
    tar = _open_tar(source, label)
    try:
        with tar:
            for info in _tar_members(tar, label):
                if info.isfile():
                    handle = tar.extractfile(info)
                    yield info.name, handle.read() if handle else b""
    except (tarfile.TarError, EOFError, OSError, zlib_error()) as error:
        raise ArchiveError(f"{label}: truncated or corrupted tar archive ({error})") from error


def zlib_error():
    import zlib

    return zlib.error


def _zip_check(zf: zipfile.ZipFile, label: str) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    for info in infos:
        check_member_name(info.filename, label)
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)  # 0 when the zip records no Unix file type
        if kind and stat.S_ISLNK(mode):
            raise UnsafeArchiveError(f"{label}: member {info.filename!r} is a symbolic link; refusing it")
        if kind and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise UnsafeArchiveError(f"{label}: member {info.filename!r} is not a regular file; refusing it")
    return infos


def open_zip(path: Path, label: str | None = None) -> zipfile.ZipFile:
    """Open a zip file after checking every member name and type."""
    label = label or str(path)
    try:
        if Path(path).stat().st_size == 0:
            raise ArchiveError(f"{label}: the file is empty")
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ArchiveError(f"{label}: not a readable zip archive ({error})") from error
    try:
        _zip_check(zf, label)
    except BaseException:
        zf.close()
        raise
    return zf


def read_zip_members(path: Path, names: list[str], label: str | None = None) -> dict[str, bytes]:
    """Read the named members of a zip (after checking all of them); missing names raise."""
    label = label or str(path)
    with open_zip(path, label) as zf:
        present = set(zf.namelist())
        missing = [n for n in names if n not in present]
        if missing:
            raise ArchiveError(f"{label}: missing members {missing}")
        try:
            return {n: zf.read(n) for n in names}
        except (zipfile.BadZipFile, OSError, EOFError, zlib_error()) as error:
            raise ArchiveError(f"{label}: corrupted zip archive ({error})") from error


def extract(
    archive: Path,
    target: Path,
    select: Callable[[str], str | None] | None = None,
) -> list[Path]:
    """Extract a tar or zip archive safely into ``target`` (replacing it atomically).

    Parameters
    ----------
    select
        Maps a member name to the relative path to write, or None to skip it.
        By default every regular file keeps its name.

    Returns
    -------
    The paths written, inside ``target``.
    """
    archive, target = Path(archive), Path(target)
    select = select or (lambda name: name)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    written: list[Path] = []
    try:
        if zipfile.is_zipfile(archive):
            files = _zip_items(archive)
        else:
            files = iter_tar_files(archive, str(archive))
        for name, content in files:
            relative = select(name)
            if relative is None:
                continue
            rel = check_member_name(relative, str(archive))
            out = staging.joinpath(*rel.parts)
            if staging.resolve() not in out.resolve().parents:
                raise UnsafeArchiveError(f"{archive}: member {name!r} would leave the target folder")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(content)
            written.append(target.joinpath(*rel.parts))
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
        return written
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _zip_items(path: Path) -> Iterator[tuple[str, bytes]]:
    with open_zip(path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            try:
                yield info.filename, zf.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, zlib_error()) as error:
                raise ArchiveError(f"{path}: corrupted zip archive ({error})") from error


def deb_data_tar(path: Path) -> bytes:
    """Return the ``data.tar.*`` member of a Debian package (an ``ar`` archive), unopened.

    Reading the ``ar`` container in Python means ``dpkg-deb`` is not needed, and
    the data tar then goes through the same checks as every other archive.
    """
    blob = Path(path).read_bytes()
    if not blob.startswith(b"!<arch>\n"):
        raise ArchiveError(f"{path}: not a Debian package (no ar header)")
    offset = 8
    while offset + 60 <= len(blob):
        header = blob[offset : offset + 60]
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError as error:
            raise ArchiveError(f"{path}: corrupted ar header") from error
        start = offset + 60
        if start + size > len(blob):
            raise ArchiveError(f"{path}: truncated Debian package")
        if name.startswith("data.tar"):
            return blob[start : start + size]
        offset = start + size + (size % 2)
    raise ArchiveError(f"{path}: no data.tar member in the Debian package")
