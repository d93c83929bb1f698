"""helpers.data.download.fetch against a loopback server: success, and every way a
download fails."""

from __future__ import annotations

import socket

import pytest
from data_fixtures.builders import sha256
from data_fixtures.server import LoopbackServer, Route

from helpers.data.download import (
    ChecksumError,
    DownloadError,
    InsecureURLError,
    PinMissingError,
    fetch,
)

BODY = b"x" * 100_000


@pytest.fixture
def server():
    with LoopbackServer() as s:
        yield s


def cache_listing(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_fetch_writes_the_verified_file(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY)
    path = fetch(server.url("/f.bin"), tmp_path / "f.bin", sha256(BODY), progress=False)
    assert path.read_bytes() == BODY
    assert cache_listing(tmp_path) == ["f.bin"]


def test_cached_file_is_not_downloaded_again(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY)
    for _ in range(2):
        fetch(server.url("/f.bin"), tmp_path / "f.bin", sha256(BODY), progress=False)
    assert server.hits["/f.bin"] == 1


def test_corrupted_cache_file_is_removed_and_fetched_again(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY)
    (tmp_path / "f.bin").write_bytes(BODY[:500])  # truncated earlier
    fetch(server.url("/f.bin"), tmp_path / "f.bin", sha256(BODY), progress=False)
    assert (tmp_path / "f.bin").read_bytes() == BODY
    assert server.hits["/f.bin"] == 1


def test_wrong_checksum_leaves_nothing(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY)
    with pytest.raises(ChecksumError, match="SHA-256 mismatch"):
        fetch(server.url("/f.bin"), tmp_path / "f.bin", "0" * 64, progress=False)
    assert cache_listing(tmp_path) == []
    assert server.hits["/f.bin"] == 1  # a mismatch is not retried


def test_truncated_transfer_is_retried_then_fails_cleanly(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY[:1000], declared_length=len(BODY))
    with pytest.raises(DownloadError, match="could not download"):
        fetch(
            server.url("/f.bin"),
            tmp_path / "f.bin",
            sha256(BODY),
            retries=2,
            backoff=0,
            progress=False,
        )
    assert cache_listing(tmp_path) == []
    assert server.hits["/f.bin"] == 2


def test_http_404_is_not_retried(server, tmp_path):
    with pytest.raises(DownloadError, match="404"):
        fetch(
            server.url("/missing"),
            tmp_path / "f.bin",
            sha256(BODY),
            retries=3,
            backoff=0,
            progress=False,
        )
    assert server.hits["/missing"] == 1
    assert cache_listing(tmp_path) == []


def test_http_500_is_retried_a_bounded_number_of_times(server, tmp_path):
    server.routes["/f.bin"] = Route(status=500)
    with pytest.raises(DownloadError, match="500"):
        fetch(
            server.url("/f.bin"),
            tmp_path / "f.bin",
            sha256(BODY),
            retries=3,
            backoff=0,
            progress=False,
        )
    assert server.hits["/f.bin"] == 3
    assert cache_listing(tmp_path) == []


def test_second_mirror_is_used_when_the_first_fails(server, tmp_path):
    server.routes["/good/f.bin"] = Route(BODY)
    fetch(
        [server.url("/bad/f.bin"), server.url("/good/f.bin")],
        tmp_path / "f.bin",
        sha256(BODY),
        backoff=0,
        progress=False,
    )
    assert (tmp_path / "f.bin").read_bytes() == BODY


def test_timeout(server, tmp_path):
    server.routes["/slow"] = Route(BODY, delay=1.5)
    with pytest.raises(DownloadError, match="timed out"):
        fetch(
            server.url("/slow"),
            tmp_path / "f.bin",
            sha256(BODY),
            timeout=0.3,
            retries=1,
            progress=False,
        )
    assert cache_listing(tmp_path) == []


def test_connection_refused(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="refused"):
        fetch(
            f"http://127.0.0.1:{port}/f.bin",
            tmp_path / "f.bin",
            sha256(BODY),
            retries=3,
            backoff=5,
            progress=False,
        )
    assert cache_listing(tmp_path) == []


def test_empty_response(server, tmp_path):
    server.routes["/empty"] = Route(b"")
    with pytest.raises(DownloadError, match="empty"):
        fetch(
            server.url("/empty"),
            tmp_path / "f.bin",
            sha256(b""),
            retries=1,
            progress=False,
        )
    assert cache_listing(tmp_path) == []


def test_unpinned_file_is_refused_before_any_request(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY)
    with pytest.raises(PinMissingError, match="no SHA-256 is pinned"):
        fetch(server.url("/f.bin"), tmp_path / "f.bin", None, progress=False)
    assert server.hits == {}


@pytest.mark.parametrize(
    "url", ["http://example.com/f.bin", "ftp://127.0.0.1/f.bin", "file:///etc/passwd"]
)
def test_only_https_except_loopback(url, tmp_path):
    with pytest.raises(InsecureURLError, match="only https"):
        fetch(url, tmp_path / "f.bin", sha256(BODY), progress=False)


def test_progress_bar_does_not_break_the_download(server, tmp_path, capsys):
    server.routes["/f.bin"] = Route(BODY)
    fetch(server.url("/f.bin"), tmp_path / "f.bin", sha256(BODY), progress=True)
    assert (tmp_path / "f.bin").read_bytes() == BODY
