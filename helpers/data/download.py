"""Verified downloads: https only, SHA-256 pinned, atomic, bounded retries.

:func:`fetch` is the only function here that touches the network. A file
reaches its final name only when it is complete and its SHA-256 matches the
pin; a failed or interrupted download leaves nothing behind in the cache.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from .cache import sha256_file

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Hosts that may be reached over plain http: only the tests' local server."""

USER_AGENT = "lm4f-course-data/0.1 (+https://github.com/)"
CHUNK = 1 << 16


class DataError(RuntimeError):
    """Base class for every data-layer failure; the message says what to do."""


class PinMissingError(DataError):
    """The file has no pinned SHA-256, so it is not downloaded."""


class ChecksumError(DataError):
    """The downloaded bytes do not match the pinned SHA-256."""


class DownloadError(DataError):
    """The file could not be downloaded (HTTP error, timeout, no network)."""


class InsecureURLError(DataError):
    """The URL is not https (plain http is allowed only for 127.0.0.1)."""


def check_url(url: str) -> None:
    """Raise :class:`InsecureURLError` unless ``url`` is https or http on a loopback host."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return
    raise InsecureURLError(
        f"refusing to download {url!r}: only https URLs are allowed "
        "(plain http only for 127.0.0.1, which the tests use)."
    )


def _retryable(error: BaseException) -> bool:
    """Timeouts, resets and HTTP 5xx may pass; 4xx, unknown hosts and refused connections do not."""
    if isinstance(error, urllib.error.HTTPError):
        return error.code >= 500 or error.code in (408, 429)
    reason = getattr(error, "reason", error)
    if isinstance(reason, socket.gaierror | ConnectionRefusedError):
        return False
    return isinstance(error, OSError | http.client.HTTPException)


def _stream(url: str, handle, digest, *, timeout: float, progress: bool, label: str) -> int:
    """Copy ``url`` into ``handle``; return the byte count. Checks Content-Length."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (checked)
        final = response.geturl()
        if final != url:
            check_url(final)  # a redirect must not downgrade to http
        length = response.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=expected, unit="B", unit_scale=True, unit_divisor=1024,
                       desc=label, leave=False, mininterval=0.5)
        received = 0
        try:
            while block := response.read(CHUNK):
                handle.write(block)
                digest.update(block)
                received += len(block)
                if bar is not None:
                    bar.update(len(block))
        finally:
            if bar is not None:
                bar.close()
    if expected is not None and received != expected:
        raise DownloadError(f"{url}: truncated transfer ({received} of {expected} bytes)")
    if received == 0:
        raise DownloadError(f"{url}: the server sent an empty file")
    return received


def fetch(
    urls: str | list[str] | tuple[str, ...],
    dest: Path,
    sha256: str | None,
    *,
    timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 1.0,
    progress: bool = True,
) -> Path:
    """Download the first URL that works to ``dest`` and verify its SHA-256.

    Parameters
    ----------
    urls
        One URL or several mirrors of the same file, tried in order.
    dest
        Final path. If it already exists and matches ``sha256`` nothing is
        downloaded; if it exists and does not match (a corrupted or truncated
        cache file) it is removed and fetched again.
    sha256
        The pinned hex digest. ``None`` refuses the download
        (:class:`PinMissingError`): an unpinned file is never trusted.
    timeout
        Seconds to wait for the server on each connection and read.
    retries
        Attempts per URL for errors that may pass (timeouts, refused
        connections, HTTP 5xx); 4xx errors and checksum mismatches are not retried.

    Raises
    ------
    PinMissingError, InsecureURLError, ChecksumError, DownloadError
    """
    dest = Path(dest)
    urls = [urls] if isinstance(urls, str) else list(urls)
    for url in urls:
        check_url(url)
    if not sha256:
        raise PinMissingError(
            f"no SHA-256 is pinned for {dest.name}, so it is not downloaded "
            "(see helpers/data/sources.py)."
        )
    sha256 = sha256.lower()
    if dest.is_file():
        if sha256_file(dest) == sha256:
            return dest
        dest.unlink()  # corrupted or truncated cache file: fetch it again
    dest.parent.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    for url in urls:
        for attempt in range(1, max(1, retries) + 1):
            fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
            tmp = Path(tmp_name)
            try:
                digest = hashlib.sha256()
                with os.fdopen(fd, "wb") as handle:
                    _stream(url, handle, digest, timeout=timeout, progress=progress, label=dest.name)
                actual = digest.hexdigest()
                if actual != sha256:
                    raise ChecksumError(
                        f"{url}: SHA-256 mismatch for {dest.name}: expected {sha256}, got {actual}. "
                        "The file was discarded. If the publisher changed the file on purpose, "
                        "the pin in helpers/data/sources.py must be reviewed."
                    )
                os.replace(tmp, dest)
                return dest
            except ChecksumError:
                tmp.unlink(missing_ok=True)
                raise
            except (urllib.error.URLError, OSError, http.client.HTTPException, DownloadError, ValueError) as error:
                tmp.unlink(missing_ok=True)
                if isinstance(error, urllib.error.HTTPError):
                    reason = f"HTTP {error.code} {error.reason}"
                else:
                    reason = getattr(error, "reason", None) or error
                errors.append(f"{url} (attempt {attempt}): {reason}")
                if isinstance(error, DownloadError) or (_retryable(error) and attempt < retries):
                    if attempt < retries:
                        time.sleep(backoff * 2 ** (attempt - 1))
                        continue
                break
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
    raise DownloadError(f"could not download {dest.name}: " + "; ".join(errors))
