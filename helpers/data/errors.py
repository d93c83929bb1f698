"""The data layer's exceptions, and the translation of raw ``OSError`` into sentences.

Every failure a reader can meet is a :class:`DataError` whose message says what
happened, to which file or folder, and what to do. :func:`write_error` turns the
``OSError`` of a write (full disk, permission denied, read-only file system) into
one of them, so no raw ``OSError`` reaches a notebook.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from ..i18n import Message

CHOOSE_ANOTHER = Message(
    "or choose another cache folder: `export COURSE_DATA=/a/folder/you/can/write`"
)
"""The end of a sentence about the cache folder; a field of the messages that use it."""


class DataError(RuntimeError):
    """Base class for every data-layer failure; the message says what to do."""


class PinMissingError(DataError):
    """The file has no pinned SHA-256, so it is not downloaded."""


class ChecksumError(DataError):
    """The downloaded bytes do not match the pinned SHA-256."""


class DownloadError(DataError):
    """The file could not be downloaded (HTTP error, timeout, no network)."""


class InsecureURLError(DataError):
    """The URL is not https (plain http is allowed only for 127.0.0.1)."""


class DiskFullError(DataError):
    """The disk holding the cache has no room left for a file."""


class CacheAccessError(DataError):
    """The cache folder (or a file in it) cannot be read or written: permissions,
    not a folder."""


def _free_bytes(folder: Path) -> int | None:
    for candidate in (folder, *folder.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def write_error(error: OSError, path: Path, needed: int | None = None) -> DataError:
    """The :class:`DataError` that explains ``error``, raised while writing ``path``.

    Full disk (``ENOSPC``, ``EDQUOT``) → :class:`DiskFullError` with the folder,
    the bytes needed and the bytes free; permission denied or a read-only file
    system → :class:`CacheAccessError`; anything else → :class:`DataError`
    naming the file and the system's own reason.
    """
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        free = _free_bytes(folder)
        need = (
            Message("{name} needs {size}", name=path.name, size=_mb(needed))
            if needed
            else Message("writing {name} failed", name=path.name)
        )
        if free is not None:
            need = Message("{need}, {free} free", need=need, free=_mb(free))
        return DiskFullError(
            Message(
                "the disk holding {folder} is full: {need}. Nothing was left "
                "half-written and the files already in the cache are kept. Free some "
                "space, {choose_another}, and run the same command again.",
                folder=folder,
                need=need,
                choose_another=CHOOSE_ANOTHER,
            )
        )
    denied = isinstance(error, PermissionError) or error.errno in (
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
    )
    # The templates are written out in the call: scripts/i18n.py collects them there.
    text = Message(
        "cannot write {path}: permission denied ({reason}). Make {folder} writable "
        "(`chmod u+w {folder}`), {choose_another}."
        if denied
        else "cannot write {path}: {reason}. Check the folder {folder}, "
        "{choose_another}.",
        path=path,
        reason=error.strerror or str(error),
        folder=folder,
        choose_another=CHOOSE_ANOTHER,
    )
    return CacheAccessError(text) if denied else DataError(text)


def umask_mode(mode: int = 0o666) -> int:
    """``mode`` less the process umask: the permissions ``open()`` gives a new file.

    ``tempfile.mkstemp`` creates files readable by their owner only (0600); a
    cache shared by a class must be readable like any file the user writes.
    """
    # Linux says it without changing it (os.umask both sets and reads, racing
    # other threads)
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            line = next(line for line in status if line.startswith("Umask:"))
        current = int(line.split()[1], 8)
    except (OSError, StopIteration, ValueError, IndexError):
        current = os.umask(0o022)
        os.umask(current)
    return mode & ~current
