"""Tiny archives in the real layouts of the canonical data sets, built in memory."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import tarfile
import zipfile

import numpy as np


def sha256(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file (unsigned bytes), gzipped, as MNIST ships it."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        struct.pack(">I", d) for d in array.shape
    )
    return gzip.compress(header + array.tobytes(), mtime=0)


def mnist_files(n_train: int = 30, n_test: int = 10, seed: int = 0) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte.gz": idx_bytes(
            rng.integers(0, 256, (n_train, 28, 28))
        ),
        "train-labels-idx1-ubyte.gz": idx_bytes(np.arange(n_train) % 10),
        "t10k-images-idx3-ubyte.gz": idx_bytes(rng.integers(0, 256, (n_test, 28, 28))),
        "t10k-labels-idx1-ubyte.gz": idx_bytes(np.arange(n_test) % 10),
    }


def tar_gz(entries: list[tuple[str, bytes | None, str]]) -> bytes:
    """A tar.gz of entries ``(name, content, kind)``.

    kind is ``file``, ``dir``, ``symlink:<target>``, ``hardlink:<target>`` or ``chr``.
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content, kind in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(content or b"")
                tar.addfile(info, io.BytesIO(content or b""))
                continue
            if kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind.startswith("symlink:"):
                info.type, info.linkname = tarfile.SYMTYPE, kind.split(":", 1)[1]
            elif kind.startswith("hardlink:"):
                info.type, info.linkname = tarfile.LNKTYPE, kind.split(":", 1)[1]
            elif kind == "chr":
                info.type = tarfile.CHRTYPE
            tar.addfile(info)
    # mtime=0: the same entries always give the same bytes (gzip's header
    # otherwise records the current time).
    return gzip.compress(buffer.getvalue(), mtime=0)


IMDB_REVIEWS = {
    ("train", "pos"): ["A wonderful film.<br />Loved it.", "Great acting and story."],
    ("train", "neg"): ["Dull and far too long.", "Terrible script."],
    ("test", "pos"): ["Brilliant.", "Moving and funny."],
    ("test", "neg"): ["Awful.", "I want my money back."],
}


def aclimdb_tar() -> bytes:
    entries = [
        ("aclImdb", None, "dir"),
        ("aclImdb/README", b"Large Movie Review Dataset v1.0", "file"),
        ("aclImdb/imdb.vocab", b"the\nand\n", "file"),
        ("aclImdb/train/unsup/0_0.txt", b"unlabelled review", "file"),
        (
            "aclImdb/train/urls_pos.txt",
            b"http://www.imdb.com/title/tt0000001/usercomments",
            "file",
        ),
    ]
    for (split, polarity), texts in IMDB_REVIEWS.items():
        for i, text in enumerate(texts):
            stars = 9 if polarity == "pos" else 2
            entries.append(
                (f"aclImdb/{split}/{polarity}/{i}_{stars}.txt", text.encode(), "file")
            )
    return tar_gz(entries)


def movielens_zip(
    n_users: int = 6, per_user: int = 25, seed: int = 0
) -> tuple[bytes, np.ndarray]:
    """A tiny ``ml-100k.zip``: u.data in random order, u.item, u.user, and folds made
    by mku.sh's rules.

    The folds are written by an independent, literal transcription of mku.sh
    and allbut.pl (line-based), not by the code under test.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(1, n_users + 1):
        items = rng.choice(np.arange(1, 41), size=per_user, replace=False)
        for item in items:
            rows.append(
                (
                    user,
                    int(item),
                    int(rng.integers(1, 6)),
                    880000000 + int(rng.integers(0, 10**6)),
                )
            )
    rows = [rows[i] for i in rng.permutation(len(rows))]
    lines = ["\t".join(map(str, r)) for r in rows]
    n = len(lines)
    block = n // 5

    def sort_lines(ls):  # sort -t"\t" -k 1,1n -k 2,2n
        return sorted(ls, key=lambda s: (int(s.split("\t")[0]), int(s.split("\t")[1])))

    files = {"ml-100k/u.data": "\n".join(lines) + "\n"}
    for i in range(1, 6):
        test = lines[(i - 1) * block : i * block]
        base = lines[: (i - 1) * block] + lines[i * block :]
        files[f"ml-100k/u{i}.test"] = "\n".join(sort_lines(test)) + "\n"
        files[f"ml-100k/u{i}.base"] = "\n".join(sort_lines(base)) + "\n"
    for name, start, stop in (("ua", 1, 10), ("ub", 11, 20)):
        count: dict[str, int] = {}
        test, base = [], []
        for line in lines:  # allbut.pl
            user = line.split("\t")[0]
            count[user] = count.get(user, 0) + 1
            (test if start <= count[user] <= stop else base).append(line)
        files[f"ml-100k/{name}.test"] = "\n".join(sort_lines(test)) + "\n"
        files[f"ml-100k/{name}.base"] = "\n".join(sort_lines(base)) + "\n"
    genres = ["0"] * 19
    items = []
    for item in range(1, 41):
        flags = list(genres)
        flags[1 + item % 18] = "1"
        items.append(
            f"{item}|Movie {item} (19{50 + item % 50})|01-Jan-19{50 + item % 50}||http://x|"
            + "|".join(flags)
        )
    files["ml-100k/u.item"] = "\n".join(items) + "\n"
    files["ml-100k/u.user"] = (
        "\n".join(
            f"{u}|{20 + u}|{'MF'[u % 2]}|student|0000{u}" for u in range(1, n_users + 1)
        )
        + "\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ml-100k/", "")
        for name, text in files.items():
            zf.writestr(name, text.encode("latin-1"))
    return buffer.getvalue(), np.array(rows, dtype=np.int64)
