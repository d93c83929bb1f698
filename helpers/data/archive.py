"""Safe reading of archives: tar, zip and Debian ``.deb`` (an ``ar`` archive).

Every member is checked before anything is written: no absolute path, no
``..`` component, no link, no device or FIFO. Extraction writes into a
temporary folder beside the target and renames it only when complete, so an
unsafe or broken archive leaves nothing behind.

Members are read in bounded chunks with a cap per member and in total
(:data:`MAX_MEMBER`, :func:`total_cap`: at most :data:`MAX_RATIO` times the
archive's own size), so a decompression bomb stops with an :class:`ArchiveError`
after reading at most the cap, never after filling the memory or the disk.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from .cache import new_part
from .errors import DataError, write_error


class UnsafeArchiveError(DataError):
    """An archive member would escape the target folder or is not a plain file."""


class ArchiveError(DataError):
    """An archive is empty, truncated or not an archive at all."""


MAX_MEMBER = 512 * 2**20
"""Bytes one member may hold when its size is not pinned
(the largest data file is 47 MB)."""
MAX_RATIO = 100
"""Bound on bytes unpacked per byte of archive (real data: 2–10; bombs: thousands)."""
MIN_TOTAL = 64 * 2**20
"""A small archive may still unpack to this much, whatever the ratio."""
MAX_TOTAL = 8 * 2**30
"""Absolute bound on what one archive may unpack to."""
SMALL_MEMBER = 2**20
"""A zip member this small may have any compression ratio (a file of blanks);
bigger ones at most MAX_RATIO."""
_READ = 1 << 20


def total_cap(archive_bytes: int) -> int:
    """Bytes an archive of ``archive_bytes`` may unpack to:
    ``MAX_RATIO`` × its size, bounded."""
    return min(MAX_TOTAL, max(MIN_TOTAL, MAX_RATIO * archive_bytes))


def _bomb(label: str, what: str) -> ArchiveError:
    return ArchiveError(
        f"{label}: {what}; refusing it (a damaged archive or a decompression bomb). "
        "Nothing was kept."
    )


def read_capped(handle, cap: int, label: str, name: str, sink=None) -> bytes | int:
    """Read ``handle`` in chunks, at most ``cap`` bytes, or raise :class:`ArchiveError`.

    With ``sink`` (a callable taking each chunk) nothing is kept in memory and
    the byte count is returned; without it the bytes are returned.
    """
    parts, count = [], 0
    while chunk := handle.read(min(_READ, cap + 1 - count)):
        count += len(chunk)
        if count > cap:
            raise _bomb(label, f"member {name!r} unpacks to more than {cap:,} bytes")
        if sink is None:
            parts.append(chunk)
        else:
            sink(chunk)
    return b"".join(parts) if sink is None else count


def check_member_name(name: str, archive: str = "archive") -> PurePosixPath:
    """Return ``name`` as a relative POSIX path or raise :class:`UnsafeArchiveError`."""
    if not name or "\x00" in name:
        raise UnsafeArchiveError(f"{archive}: empty or invalid member name {name!r}")
    path = PurePosixPath(name.replace("\\", "/"))
    if (
        path.is_absolute()
        or name.startswith(("/", "\\"))
        or (len(name) > 1 and name[1] == ":")
    ):
        raise UnsafeArchiveError(
            f"{archive}: member {name!r} has an absolute path; refusing it"
        )
    if any(part == ".." for part in path.parts):
        raise UnsafeArchiveError(
            f"{archive}: member {name!r} would leave the target folder; refusing it"
        )
    return path


def _tar_members(
    tar: tarfile.TarFile, label: str, max_member: int, max_total: int
) -> Iterator[tarfile.TarInfo]:
    for info in tar:
        check_member_name(info.name, label)
        if info.issym() or info.islnk():
            raise UnsafeArchiveError(
                f"{label}: member {info.name!r} is a link; refusing it"
            )
        if info.isdev() or info.isfifo() or not (info.isfile() or info.isdir()):
            raise UnsafeArchiveError(
                f"{label}: member {info.name!r} is not a regular file; refusing it"
            )
        if info.size < 0 or info.size > max_member:
            raise _bomb(
                label,
                f"member {info.name!r} declares {info.size:,} bytes (at most "
                f"{max_member:,} allowed)",
            )
        # offset_data: where this member starts in the decompressed stream, headers and
        # skipped members included, so the total is bounded before anything is read
        if info.offset_data + info.size > max_total:
            raise _bomb(label, f"it unpacks to more than {max_total:,} bytes")
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


def _size_of(source: Path | bytes) -> int:
    return len(source) if isinstance(source, bytes) else Path(source).stat().st_size


def iter_tar_entries(
    source: Path | bytes,
    label: str | None = None,
    *,
    max_member: int = MAX_MEMBER,
    max_total: int | None = None,
) -> Iterator[tuple[tarfile.TarInfo, Callable]]:
    """Yield ``(info, open)`` for each regular file of a tar archive,
    every member checked first.

    ``open()`` gives a binary handle on the member's content (read it with
    :func:`read_capped`); members not opened are skipped without being kept.
    """
    label = label or (str(source) if not isinstance(source, bytes) else "archive")
    max_total = total_cap(_size_of(source)) if max_total is None else max_total
    tar = _open_tar(source, label)
    try:
        with tar:
            for info in _tar_members(tar, label, max_member, max_total):
                if info.isfile():
                    yield (
                        info,
                        (lambda info=info: tar.extractfile(info) or io.BytesIO()),
                    )
    except (tarfile.TarError, EOFError, OSError, zlib_error()) as error:
        raise ArchiveError(
            f"{label}: truncated or corrupted tar archive ({error})"
        ) from error


def iter_tar_files(
    source: Path | bytes,
    label: str | None = None,
    *,
    max_member: int = MAX_MEMBER,
    max_total: int | None = None,
    select: Callable[[str], bool] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """Yield ``(name, content)`` for each regular file in a tar archive,
    checking every member.

    Streams through the archive once; raises on the first unsafe member, on a
    member larger than ``max_member`` and when the archive unpacks to more than
    ``max_total`` bytes (default :func:`total_cap`). ``select(name)`` false skips
    a member without reading it.
    """
    label = label or (str(source) if not isinstance(source, bytes) else "archive")
    for info, open_member in iter_tar_entries(
        source, label, max_member=max_member, max_total=max_total
    ):
        if select is not None and not select(info.name):
            continue
        try:
            content = read_capped(open_member(), max_member, label, info.name)
        except (tarfile.TarError, EOFError, OSError, zlib_error()) as error:
            raise ArchiveError(
                f"{label}: truncated or corrupted tar archive ({error})"
            ) from error
        yield info.name, content


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
            raise UnsafeArchiveError(
                f"{label}: member {info.filename!r} is a symbolic link; refusing it"
            )
        if kind and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise UnsafeArchiveError(
                f"{label}: member {info.filename!r} is not a regular file; refusing it"
            )
    total = sum(info.file_size for info in infos)
    archive_size = zf.fp.seek(0, os.SEEK_END) if zf.fp is not None else 0
    if total > total_cap(archive_size):
        raise _bomb(
            label,
            f"its members unpack to {total:,} bytes, more than "
            f"{total_cap(archive_size):,}",
        )
    for info in infos:
        if info.file_size > MAX_MEMBER:
            raise _bomb(
                label, f"member {info.filename!r} declares {info.file_size:,} bytes"
            )
        if info.file_size > SMALL_MEMBER and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise _bomb(
                label,
                f"member {info.filename!r} is compressed "
                f"{info.file_size // max(info.compress_size, 1):,} to 1",
            )
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


def read_zip_members(
    path: Path, names: list[str], label: str | None = None
) -> dict[str, bytes]:
    """Read the named members of a zip (after checking all of them);
    missing names raise."""
    label = label or str(path)
    with open_zip(path, label) as zf:
        present = set(zf.namelist())
        missing = [n for n in names if n not in present]
        if missing:
            raise ArchiveError(f"{label}: missing members {missing}")
        try:
            out = {}
            for n in names:
                info = zf.getinfo(n)
                with zf.open(info) as handle:
                    out[n] = read_capped(handle, info.file_size, label, n)
            return out
        except (zipfile.BadZipFile, OSError, EOFError, zlib_error()) as error:
            raise ArchiveError(f"{label}: corrupted zip archive ({error})") from error


def iter_entries(
    path: Path, label: str | None = None, *, max_member: int = MAX_MEMBER
) -> Iterator[tuple[str, int, Callable]]:
    """Yield ``(name, declared size, open)`` for each regular file of a zip,
    tar or ``.deb``.

    Every member is checked (names, types, sizes, ratio) before anything is
    yielded from a zip, and as it comes from a tar.
    """
    path = Path(path)
    label = label or path.name
    if path.name.endswith(".deb"):
        data = deb_data_tar(path)
        for info, open_member in iter_tar_entries(
            data, label, max_member=max_member, max_total=total_cap(path.stat().st_size)
        ):
            yield info.name, info.size, open_member
    elif zipfile.is_zipfile(path):
        with open_zip(path, label) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    yield (
                        info.filename,
                        info.file_size,
                        (lambda info=info: zf.open(info)),
                    )
    else:
        for info, open_member in iter_tar_entries(path, label, max_member=max_member):
            yield info.name, info.size, open_member


def _normal(name: str) -> str:
    return name[2:] if name.startswith("./") else name


def copy_members(
    path: Path, wanted: dict[str, tuple[Path, int | None]], label: str | None = None
) -> dict[str, tuple[Path, str]]:
    """Stream the ``wanted`` members of an archive to ``.part`` files beside their
    destinations.

    Parameters
    ----------
    wanted
        Member path → ``(destination, pinned size or None)``. A member larger
        than its pinned size (or :data:`MAX_MEMBER`) stops the copy.

    Returns
    -------
    dict
        Member path → ``(part file, SHA-256)``. The caller verifies the hashes,
        then publishes each part file (:func:`helpers.data.cache.publish`); on any error
        every part file is removed here and the error re-raised.
    """
    label = label or Path(path).name
    done: dict[str, tuple[Path, str]] = {}
    try:
        for name, declared, open_member in iter_entries(path, label):
            name = _normal(name)
            if name not in wanted or name in done:
                continue
            dest, size = wanted[name]
            cap = MAX_MEMBER if size is None else size
            if declared > cap:
                raise _bomb(
                    label,
                    f"member {name!r} declares {declared:,} bytes, the pin says "
                    f"{cap:,}",
                )
            fd, tmp = new_part(dest)
            done[name] = (tmp, "")
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, open_member() as handle:

                def sink(chunk, out=out, digest=digest):
                    out.write(chunk)
                    digest.update(chunk)

                read_capped(handle, cap, label, name, sink=sink)
            done[name] = (tmp, digest.hexdigest())
        return done
    except (zipfile.BadZipFile, EOFError, zlib_error(), tarfile.TarError) as error:
        _remove(done)
        raise ArchiveError(
            f"{label}: truncated or corrupted archive ({error})"
        ) from error
    except OSError as error:
        _remove(done)
        if error.errno in (
            errno.ENOSPC,
            errno.EDQUOT,
            errno.EACCES,
            errno.EPERM,
            errno.EROFS,
        ):
            raise write_error(error, next(iter(wanted.values()))[0]) from error
        raise ArchiveError(f"{label}: cannot read the archive ({error})") from error
    except BaseException:
        _remove(done)
        raise


def _remove(parts: dict[str, tuple[Path, str]]) -> None:
    for tmp, _ in parts.values():
        tmp.unlink(missing_ok=True)


def extract(
    archive: Path,
    target: Path,
    select: Callable[[str], str | None] | None = None,
) -> list[Path]:
    """Extract a tar, zip or ``.deb`` archive safely into ``target``,
    replacing it atomically.

    Members are streamed to disk under the caps of :func:`iter_entries`.

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
    staging = Path(
        tempfile.mkdtemp(
            prefix=f".{target.name}.{os.getpid()}-",
            suffix=".partial",
            dir=target.parent,
        )
    )
    written: list[Path] = []
    try:
        for name, _, open_member in iter_entries(archive, str(archive)):
            relative = select(name)
            if relative is None:
                continue
            rel = check_member_name(relative, str(archive))
            out = staging.joinpath(*rel.parts)
            if staging.resolve() not in out.resolve().parents:
                raise UnsafeArchiveError(
                    f"{archive}: member {name!r} would leave the target folder"
                )
            out.parent.mkdir(parents=True, exist_ok=True)
            try:
                with open(out, "wb") as handle, open_member() as source:
                    read_capped(
                        source, MAX_MEMBER, str(archive), name, sink=handle.write
                    )
            except (
                zipfile.BadZipFile,
                EOFError,
                zlib_error(),
                tarfile.TarError,
            ) as error:
                raise ArchiveError(
                    f"{archive}: corrupted member {name!r} ({error})"
                ) from error
            written.append(target.joinpath(*rel.parts))
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
        return written
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def deb_data_tar(path: Path) -> bytes:
    """Return the ``data.tar.*`` member of a Debian package (``ar`` archive), unopened.

    Reading the ``ar`` container in Python means ``dpkg-deb`` is not needed, and
    the data tar then goes through the same checks as every other archive.
    Member sizes must be decimal digits that fit in the file: a negative,
    overflowing or garbled size is an :class:`ArchiveError`, never a loop.
    """
    path = Path(path)
    total = path.stat().st_size
    with open(path, "rb") as handle:
        if handle.read(8) != b"!<arch>\n":
            raise ArchiveError(f"{path}: not a Debian package (no ar header)")
        offset = 8
        while offset + 60 <= total:
            handle.seek(offset)
            header = handle.read(60)
            name = header[:16].decode("ascii", "replace").strip().rstrip("/")
            field = header[48:58].decode("ascii", "replace").strip()
            if not field.isdigit() or header[58:60] != b"`\n":
                raise ArchiveError(
                    f"{path}: corrupted ar header for member {name!r} (size {field!r})"
                )
            size = int(field)
            start = offset + 60
            if start + size > total:
                raise ArchiveError(
                    f"{path}: truncated Debian package (member {name!r} declares "
                    f"{size:,} bytes)"
                )
            if name.startswith("data.tar"):
                return handle.read(size)
            offset = start + size + (size % 2)
    raise ArchiveError(f"{path}: no data.tar member in the Debian package")
