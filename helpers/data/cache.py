"""The cache folder, atomic writes, stale partial files and the parsed-array cache.

Layout under :func:`cache_dir` (``$COURSE_DATA`` or a per-user cache folder)::

    downloads/<dataset>/<file>     canonical files, SHA-256 verified
    offline/<carrier>/<file>       data files copied out of registry packages
    parsed/<dataset>.npz           arrays parsed once, so later loads take milliseconds

Every file reaches its final name by an atomic rename of a
``.<name>.<pid>-<random>.part`` file written beside it. A process killed mid-write
leaves its ``.part`` file; :func:`stale_parts` finds those whose owner is gone (or
that nobody touched for :data:`STALE_AFTER` seconds) and :func:`clean_stale_parts`
removes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from ..i18n import Message
from .errors import CHOOSE_ANOTHER, CacheAccessError, DataError, umask_mode, write_error

ENV_VARIABLE = "COURSE_DATA"
APP_NAME = "lm4f-course"
PARSED_FORMAT = 2  # bump when a parser changes, so stale parsed caches are ignored
# 2: the provenance note is kept as translatable parts too (helpers.i18n)
STALE_AFTER = 3600.0
"""Seconds after its last write when a partial file counts as abandoned even if its
owner lives."""
_PART = re.compile(r"^\..+\.(\d+)-[^.]*\.(part|partial)$")


def cache_dir(create: bool = True) -> Path:
    """Return the data cache folder: ``$COURSE_DATA`` if set, else the per-user cache.

    The per-user folder is ``platformdirs.user_cache_dir("lm4f-course")`` when
    platformdirs is installed, else ``$XDG_CACHE_HOME/lm4f-course`` or
    ``~/.cache/lm4f-course``.

    Raises
    ------
    CacheAccessError
        The path names a file, or the folder cannot be created; the message
        says which folder and how to choose another.
    """
    value = os.environ.get(ENV_VARIABLE, "").strip()
    if value:
        path = Path(value).expanduser()
    else:
        try:
            from platformdirs import user_cache_dir

            path = Path(user_cache_dir(APP_NAME, appauthor=False))
        except ImportError:
            base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
            path = Path(base) / APP_NAME
    origin = f"{ENV_VARIABLE}={value}" if value else Message("the default data cache")
    if path.exists() and not path.is_dir():
        raise CacheAccessError(
            Message(
                "{origin}: {path} is a file, not a folder. Point {variable} at a "
                "folder: `export {variable}=/a/folder/you/can/write`.",
                origin=origin,
                path=path,
                variable=ENV_VARIABLE,
            )
        )
    if create and not path.is_dir():
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CacheAccessError(
                Message(
                    "{origin}: cannot create the folder {path} ({reason}). Create it "
                    "yourself, {choose_another}.",
                    origin=origin,
                    path=path,
                    reason=error.strerror or str(error),
                    choose_another=CHOOSE_ANOTHER,
                )
            ) from error
    return path


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def ensure_folder(folder: Path) -> Path:
    """Create ``folder`` (and parents)
    or raise a :class:`DataError` that says what to do."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise write_error(error, folder / ".") from error
    return folder


def new_part(dest: Path) -> tuple[int, Path]:
    """Open a new ``.part`` file beside ``dest`` (its name carries this process id)."""
    try:
        fd, name = tempfile.mkstemp(
            prefix=f".{dest.name}.{os.getpid()}-", suffix=".part", dir=dest.parent
        )
    except OSError as error:
        raise write_error(error, dest) from error
    return fd, Path(name)


def publish(tmp: Path, dest: Path, needed: int | None = None) -> Path:
    """Give a complete ``.part`` file the usual permissions
    and rename it to ``dest`` atomically.

    When another process published the same file first, the rename simply
    replaces it with identical bytes.
    """
    try:
        os.chmod(tmp, umask_mode())
        os.replace(tmp, dest)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise write_error(error, dest, needed) from error
    return dest


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a ``.part`` file renamed only when complete.

    Raises a :class:`DataError` (full disk, permission denied) that names the
    file; nothing is left behind and a previous ``path`` is untouched.
    """
    path = Path(path)
    ensure_folder(path.parent)
    fd, tmp = new_part(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise write_error(error, path, len(data)) from error
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    publish(tmp, path, len(data))


def _owner_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    # os.kill would terminate the process there: rely on the age alone
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def stale_parts(root: Path) -> list[Path]:
    """Partial files and staging folders under ``root`` that nobody will finish.

    A part is stale when the process named in it has ended, or when it was
    last written more than :data:`STALE_AFTER` seconds ago (the owner may be
    on another machine sharing the folder).
    """
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    now = time.time()
    for path in root.rglob(".*"):
        match = _PART.match(path.name)
        if not match:
            continue
        try:
            age = now - path.stat().st_mtime
        except OSError:
            continue
        if age > STALE_AFTER or not _owner_alive(int(match.group(1))):
            found.append(path)
    return sorted(found)


def clean_stale_parts(root: Path) -> list[Path]:
    """Remove :func:`stale_parts`; return what was removed
    (errors are skipped, never raised)."""
    removed = []
    for path in stale_parts(root):
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:
            continue
    return removed


def parsed_path(key: str, root: Path | None = None) -> Path:
    return (root or cache_dir()) / "parsed" / f"{key}.npz"


def save_parsed(key: str, arrays: dict, meta: dict, root: Path | None = None) -> Path:
    """Save arrays (numeric or string) and a JSON-able ``meta`` dict as one ``.npz``.

    Object arrays are never written: text goes in as fixed-width unicode only
    when short, else as one UTF-8 blob plus offsets (no pickle on load).
    """
    import io

    import numpy as np

    payload = {}
    for name, value in arrays.items():
        value = np.asarray(value)
        if value.dtype.kind in "OU":
            encoded = [str(s).encode("utf-8") for s in value.tolist()]
            payload[f"{name}__blob"] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
            payload[f"{name}__offsets"] = np.cumsum(
                [0] + [len(e) for e in encoded], dtype=np.int64
            )
        else:
            payload[name] = value
    meta = dict(meta, _format=PARSED_FORMAT)
    payload["__meta__"] = np.frombuffer(
        json.dumps(meta).encode("utf-8"), dtype=np.uint8
    )
    buffer = io.BytesIO()
    np.savez(buffer, **payload)
    path = parsed_path(key, root)
    atomic_write_bytes(path, buffer.getvalue())
    return path


class IncompleteCacheError(DataError):
    """The parsed cache file is readable but lacks arrays the loader needs: rebuilt."""


class _WrongFormat(ValueError):
    """Internal: the file opened but is not what :func:`save_parsed` writes."""


def _corruption_errors() -> tuple[type[BaseException], ...]:
    """What numpy and zipfile raise for a file that is damaged, not unreadable.

    Truncated or not a zip: ``BadZipFile`` (and ``EOFError`` when empty); a damaged
    member: ``BadZipFile`` (bad CRC), ``ValueError`` (an ``.npy`` header, a
    non-zip file numpy takes for a pickle, the JSON of the metadata) or
    ``zlib.error``; a damaged zip header: ``NotImplementedError`` (a version or
    compression method that :func:`save_parsed` never writes); a missing member:
    ``KeyError``. Nothing here depends on the machine's state, so discarding the
    file for one of them never loses a good cache.
    """
    import zipfile
    import zlib

    return (
        zipfile.BadZipFile,
        EOFError,
        ValueError,  # includes json's JSONDecodeError, UnicodeDecodeError, _WrongFormat
        KeyError,
        zlib.error,
        NotImplementedError,
    )


def _read_parsed(path: Path, required: tuple[str, ...]) -> tuple[dict, dict] | None:
    """The arrays and metadata of one parsed cache file; None if of an older format."""
    import numpy as np

    archive = np.load(path, allow_pickle=False)
    if not isinstance(archive, np.lib.npyio.NpzFile):  # e.g. a lone .npy file
        raise _WrongFormat(f"{path.name} is not an .npz archive")
    with archive:
        meta = json.loads(archive["__meta__"].tobytes().decode("utf-8"))
        if not isinstance(meta, dict):
            raise _WrongFormat(f"{path.name}: its metadata is not a JSON object")
        if meta.get("_format") != PARSED_FORMAT:
            return None
        names = set(archive.files)
        present = {n[: -len("__blob")] if n.endswith("__blob") else n for n in names}
        missing = [n for n in required if n not in present]
        if missing:
            raise IncompleteCacheError(
                Message(
                    "{path} lacks {missing}; rebuilt from the sources",
                    path=path,
                    missing=", ".join(missing),
                )
            )
        arrays = {}
        for name in archive.files:
            if name == "__meta__" or name.endswith("__offsets"):
                continue
            if name.endswith("__blob"):
                base = name[: -len("__blob")]
                blob = archive[name].tobytes()
                offsets = archive[f"{base}__offsets"]
                if offsets.ndim != 1 or offsets.dtype.kind not in "iu":
                    raise _WrongFormat(f"{path.name}: {base}'s offsets are damaged")
                arrays[base] = np.array(
                    [
                        blob[a:b].decode("utf-8")
                        for a, b in zip(offsets[:-1], offsets[1:], strict=True)
                    ],
                    dtype=object,
                )
            else:
                arrays[name] = archive[name]
    return arrays, meta


def load_parsed(
    key: str, root: Path | None = None, required: tuple[str, ...] = ()
) -> tuple[dict, dict] | None:
    """Return ``(arrays, meta)`` from the parsed cache, or None if absent,
    stale or corrupted.

    Only a *corrupted* file (truncated, damaged, not an ``.npz``: the errors
    :func:`_corruption_errors` lists) is removed so the next load rebuilds it. A
    file that cannot be read for another reason (permission denied, too many
    open files, an I/O error) is kept and reported: a good cache is never
    discarded because of an error that is not corruption. ``MemoryError``
    propagates, the file kept.

    Parameters
    ----------
    required
        Array names the loader needs. A cache without one of them (written by
        an older version, or edited) raises :class:`IncompleteCacheError`; the
        loader then rebuilds it from the sources, and the new file replaces it.

    Raises
    ------
    CacheAccessError
        The file exists but cannot be read; it is kept, and the message says
        what to do. The loader then does not replace it.
    IncompleteCacheError
        See ``required``.
    """
    path = parsed_path(key, root)
    if not path.is_file():
        return None
    try:
        return _read_parsed(path, required)
    except (IncompleteCacheError, MemoryError):
        raise
    except FileNotFoundError:  # removed meanwhile by another process
        return None
    except PermissionError as error:
        raise CacheAccessError(
            Message(
                "cannot read the parsed cache {path}: permission denied. It is kept; "
                "the data are read from the sources instead. Make it readable "
                "(`chmod a+r {path}`), {choose_another}.",
                path=path,
                choose_another=CHOOSE_ANOTHER,
            )
        ) from error
    except _corruption_errors():  # damaged: forget it, it is rebuilt from the sources
        return _forget(path)
    # The machine's state, not the file (too many open files, an I/O error, out of
    # kernel memory), or something unforeseen: keep the file, say so.
    except Exception as error:
        reason = (
            error.strerror
            if isinstance(error, OSError) and error.strerror
            else f"{type(error).__name__}: {error}"
        )
        raise CacheAccessError(
            Message(
                "cannot read the parsed cache {path} ({reason}); it is kept, and the "
                "data are read from the sources instead. If it happens again, check "
                "the disk, or remove the file (`rm {path}`) so that the next load "
                "rebuilds it.",
                path=path,
                reason=reason,
            )
        ) from error


def _forget(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:  # a read-only cache: the rebuilt arrays are used without it
        pass
    return None
