"""The cache folder and the parsed-array cache.

Layout under :func:`cache_dir` (``$COURSE_DATA`` or a per-user cache folder)::

    downloads/<dataset>/<file>     canonical files, SHA-256 verified
    offline/<carrier>/<file>       data files copied out of registry packages
    parsed/<dataset>.npz           arrays parsed once, so later loads take milliseconds
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

ENV_VARIABLE = "COURSE_DATA"
APP_NAME = "lm4f-course"
PARSED_FORMAT = 1  # bump when a parser changes, so stale parsed caches are ignored


def cache_dir(create: bool = True) -> Path:
    """Return the data cache folder: ``$COURSE_DATA`` if set, else the per-user cache.

    The per-user folder is ``platformdirs.user_cache_dir("lm4f-course")`` when
    platformdirs is installed, else ``$XDG_CACHE_HOME/lm4f-course`` or
    ``~/.cache/lm4f-course``.
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
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed only when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
            payload[f"{name}__offsets"] = np.cumsum([0] + [len(e) for e in encoded], dtype=np.int64)
        else:
            payload[name] = value
    meta = dict(meta, _format=PARSED_FORMAT)
    payload["__meta__"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **payload)
    path = parsed_path(key, root)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def load_parsed(key: str, root: Path | None = None) -> tuple[dict, dict] | None:
    """Return ``(arrays, meta)`` from the parsed cache, or None if absent, stale or unreadable.

    An unreadable file is removed so the next load rebuilds it.
    """
    import numpy as np

    path = parsed_path(key, root)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(archive["__meta__"].tobytes().decode("utf-8"))
            if meta.get("_format") != PARSED_FORMAT:
                return None
            arrays = {}
            for name in archive.files:
                if name == "__meta__" or name.endswith("__offsets"):
                    continue
                if name.endswith("__blob"):
                    base = name[: -len("__blob")]
                    blob = archive[name].tobytes()
                    offsets = archive[f"{base}__offsets"]
                    arrays[base] = np.array(
                        [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)],
                        dtype=object,
                    )
                else:
                    arrays[name] = archive[name]
        return arrays, meta
    except Exception:  # truncated or corrupted: forget it, it is rebuilt from the sources
        path.unlink(missing_ok=True)
        return None
