"""Verified downloads: https only, SHA-256 pinned, size-capped, deadline-bound, atomic.

:func:`fetch` is the only function here that touches the network. A file
reaches its final name only when it is complete and its SHA-256 matches the
pin; a failed or interrupted download leaves nothing behind in the cache, and
``.part`` files left by a process that was killed are removed on the next fetch.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from ..i18n import Message
from .cache import clean_stale_parts, ensure_folder, new_part, publish, sha256_file
from .errors import (  # re-exported: helpers.data.download was their home first
    CacheAccessError,
    ChecksumError,
    DataError,
    DiskFullError,
    DownloadError,
    InsecureURLError,
    PinMissingError,
    write_error,
)

__all__ = [
    "CacheAccessError",
    "ChecksumError",
    "DataError",
    "DiskFullError",
    "DownloadError",
    "InsecureURLError",
    "PinMissingError",
    "check_url",
    "fetch",
]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Hosts that may be reached over plain http: only the tests' local server."""

USER_AGENT = "lm4f-course-data/0.1 (+https://github.com/)"
CHUNK = 1 << 16
DEFAULT_DEADLINE = 1800.0
"""Seconds one :func:`fetch` may take in all
(every mirror and retry) when the size is unknown."""
BACKOFF = 1.0
"""Seconds before a URL's first retry (then doubling) when ``fetch`` is not told."""
# the cache's disk, not the network: not retried
_CACHE_SIDE = (errno.ENOSPC, errno.EACCES, errno.EROFS)
MIN_RATE = 50_000
"""Bytes per second below which a download of known size is abandoned
(see :func:`deadline_for`)."""


class _NotRetried(DownloadError):
    """Internal: a failure that another attempt at the same URL would only repeat
    (too big, too slow)."""


class _WriteFailed(Exception):
    """Internal: writing the ``.part`` file failed (not a network error: no retry)."""

    def __init__(self, error: OSError):
        super().__init__(str(error))
        self.error = error


def check_url(url: str) -> None:
    """Raise :class:`InsecureURLError`
    unless ``url`` is https or http on a loopback host."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return
    raise InsecureURLError(
        Message(
            "refusing to download {url}: only https URLs are allowed "
            "(plain http only for 127.0.0.1, which the tests use).",
            url=repr(url),
        )
    )


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only if its target passes :func:`check_url`,
    *before* requesting it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        try:
            check_url(newurl)
        except InsecureURLError as error:
            raise InsecureURLError(
                Message(
                    "{url} redirects to {target}, which is not https; "
                    "the redirect was not followed.",
                    url=req.full_url,
                    target=repr(newurl),
                )
            ) from error
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_CheckedRedirects)


def deadline_for(size: int | None) -> float:
    """A download's overall deadline: 5 minutes plus the time at :data:`MIN_RATE`."""
    return DEFAULT_DEADLINE if size is None else 300.0 + size / MIN_RATE


def _retryable(error: BaseException) -> bool:
    """Timeouts, resets and HTTP 5xx may pass; 4xx,
    unknown hosts and refused connections do not."""
    if isinstance(error, urllib.error.HTTPError):
        return error.code >= 500 or error.code in (408, 429)
    if isinstance(error, DownloadError):
        # a truncated or empty transfer may pass
        return not isinstance(error, _NotRetried)
    reason = getattr(error, "reason", error)
    if isinstance(reason, socket.gaierror | ConnectionRefusedError):
        return False
    if isinstance(reason, OSError) and reason.errno in (
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
    ):
        return False
    return isinstance(error, OSError | http.client.HTTPException)


def _stream(
    url: str,
    handle,
    digest,
    *,
    timeout: float,
    progress: bool,
    label: str,
    size: int | None = None,
    stop_at: float | None = None,
) -> int:
    """Copy ``url`` into ``handle``; return the byte count.

    Stops with :class:`DownloadError` when the server announces or sends more
    than ``size`` bytes (the pinned size), when it sends fewer than it
    announced, and when ``time.monotonic()`` passes ``stop_at``.
    """
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with _OPENER.open(request, timeout=timeout) as response:
        final = response.geturl()
        if final != url:
            # second line of defence; the redirect handler checked first
            check_url(final)
        length = response.headers.get("Content-Length")
        announced = int(length) if length and length.isdigit() else None
        if size is not None and announced is not None and announced > size:
            raise _NotRetried(
                Message(
                    "{url}: the server announces {announced:,} bytes, more than the "
                    "pinned {size:,}; nothing was read",
                    url=url,
                    announced=announced,
                    size=size,
                )
            )
        expected = announced if announced is not None else size
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(
                total=expected,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=label,
                leave=False,
                mininterval=0.5,
            )
        received = 0
        try:
            while block := response.read1(CHUNK):
                received += len(block)
                if size is not None and received > size:
                    raise _NotRetried(
                        Message(
                            "{url}: the server sent more than the pinned {size:,} "
                            "bytes; the transfer was stopped there",
                            url=url,
                            size=size,
                        )
                    )
                try:
                    handle.write(block)
                except OSError as error:
                    raise _WriteFailed(error) from error
                digest.update(block)
                if bar is not None:
                    bar.update(len(block))
                if stop_at is not None and time.monotonic() > stop_at:
                    raise _NotRetried(
                        Message(
                            "{url}: too slow, stopped at the overall deadline after "
                            "{received:,} of {expected} bytes",
                            url=url,
                            received=received,
                            expected=expected or "?",
                        )
                    )
        finally:
            if bar is not None:
                bar.close()
    if expected is not None and received != expected:
        raise DownloadError(
            Message(
                "{url}: truncated transfer ({received} of {expected} bytes)",
                url=url,
                received=received,
                expected=expected,
            )
        )
    if received == 0:
        raise DownloadError(Message("{url}: the server sent an empty file", url=url))
    return received


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    return str(getattr(error, "reason", None) or error)


def fetch(
    urls: str | list[str] | tuple[str, ...],
    dest: Path,
    sha256: str | None,
    *,
    size: int | None = None,
    timeout: float = 30.0,
    deadline: float | None = None,
    retries: int = 3,
    backoff: float | None = None,
    progress: bool = True,
) -> Path:
    """Download the first URL that works to ``dest`` and verify its SHA-256.

    Parameters
    ----------
    urls
        One URL or several mirrors of the same file, tried in order. A mirror
        that fails (HTTP error, bad checksum, too big, too slow) moves on to the next.
    dest
        Final path. If it already exists and matches ``sha256`` nothing is
        downloaded; if it exists and does not match (a corrupted or truncated
        cache file) it is fetched again and replaced only by a verified copy.
    sha256
        The pinned hex digest. ``None`` refuses the download
        (:class:`PinMissingError`): an unpinned file is never trusted.
    size
        The pinned size in bytes, when known: a server announcing or sending
        more is stopped there, and the free disk space is checked first.
    timeout
        Seconds to wait for the server on each connection and read.
    deadline
        Seconds the whole call may take, over all mirrors and retries; default
        :func:`deadline_for` ``(size)``. A server trickling bytes ends there.
    retries
        Attempts per URL for errors that may pass (timeouts, resets, truncated
        transfers, HTTP 5xx); 4xx errors, refused connections and checksum
        mismatches go straight to the next mirror.
    backoff
        Seconds before the first retry, doubled at each; default :data:`BACKOFF`.

    Raises
    ------
    PinMissingError, InsecureURLError
        Before any request.
    ChecksumError
        Some mirror served other bytes than the pinned ones, and none the right ones.
    DownloadError
        No mirror could serve the file; the message lists what each answered.
    DiskFullError, CacheAccessError
        The file cannot be written: the message names the folder and what to do.
    """
    dest = Path(dest)
    urls = [urls] if isinstance(urls, str) else list(urls)
    for url in urls:
        check_url(url)
    if not sha256:
        raise PinMissingError(
            Message(
                "no SHA-256 is pinned for {name}, so it is not downloaded "
                "(see helpers/data/sources.py).",
                name=dest.name,
            )
        )
    sha256 = sha256.lower()
    backoff = BACKOFF if backoff is None else backoff
    try:
        if dest.is_file() and sha256_file(dest) == sha256:
            return dest
    except PermissionError as error:
        raise CacheAccessError(
            Message(
                "cannot read {path}: permission denied. Make it readable "
                "(`chmod a+r {path}`) or choose another cache folder.",
                path=dest,
            )
        ) from error
    ensure_folder(dest.parent)
    clean_stale_parts(dest.parent)
    _check_space(dest, size)
    started = time.monotonic()
    stop_at = started + (deadline if deadline is not None else deadline_for(size))
    errors: list[str] = []
    mismatch = False
    for url in urls:
        for attempt in range(1, max(1, retries) + 1):
            if time.monotonic() > stop_at:
                errors.append(
                    Message(
                        "{url}: not tried, the overall deadline had passed", url=url
                    ).render()
                )
                break
            fd, tmp = new_part(dest)
            try:
                digest = hashlib.sha256()
                with os.fdopen(fd, "wb") as handle:
                    _stream(
                        url,
                        handle,
                        digest,
                        timeout=timeout,
                        progress=progress,
                        label=dest.name,
                        size=size,
                        stop_at=stop_at,
                    )
                actual = digest.hexdigest()
                if actual != sha256:
                    tmp.unlink(missing_ok=True)
                    mismatch = True
                    errors.append(
                        Message(
                            "{url}: SHA-256 mismatch (expected {expected}…, got "
                            "{actual}…)",
                            url=url,
                            expected=sha256[:12],
                            actual=actual[:12],
                        ).render()
                    )
                    break  # a bad copy: try the next mirror, never this one again
                return publish(tmp, dest, size)
            except _WriteFailed as failure:
                tmp.unlink(missing_ok=True)
                raise write_error(failure.error, dest, size) from failure.error
            except InsecureURLError as error:
                tmp.unlink(missing_ok=True)
                errors.append(str(error))
                break
            except (
                urllib.error.URLError,
                OSError,
                http.client.HTTPException,
                DownloadError,
                ValueError,
            ) as error:
                tmp.unlink(missing_ok=True)
                if (
                    isinstance(error, OSError)
                    and not isinstance(error, urllib.error.URLError)
                    and error.errno in _CACHE_SIDE
                ):
                    raise write_error(error, dest, size) from error
                errors.append(
                    Message(
                        "{url} (attempt {attempt}): {reason}",
                        url=url,
                        attempt=attempt,
                        reason=_reason(error),
                    ).render()
                )
                if _retryable(error) and attempt < retries:
                    time.sleep(
                        min(
                            backoff * 2 ** (attempt - 1),
                            max(0.0, stop_at - time.monotonic()),
                        )
                    )
                    continue
                break
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
    # what each source answered, in the language of the moment: a plain-text field
    answers = "; ".join(errors)
    if mismatch:
        raise ChecksumError(
            Message(
                "no source served the pinned bytes of {name} (SHA-256 mismatch). "
                "What each source answered: {answers}. Nothing was kept. If a "
                "publisher changed the file on purpose, the pin in "
                "helpers/data/sources.py must be reviewed; otherwise try again later.",
                name=dest.name,
                answers=answers,
            )
        )
    raise DownloadError(
        Message("could not download {name}: {answers}", name=dest.name, answers=answers)
    )


def _check_space(dest: Path, size: int | None) -> None:
    """Refuse early, with the numbers,
    when the disk cannot hold a file of known size."""
    if size is None:
        return
    import shutil

    try:
        free = shutil.disk_usage(dest.parent).free
    except OSError:
        return
    if free < size:
        raise DiskFullError(
            Message(
                "the disk holding {folder} has {free:,.1f} MB free, and {name} needs "
                "{size:,.1f} MB. Nothing was downloaded. Free some space, or choose "
                "another cache folder: `export COURSE_DATA=/a/folder/on/another/disk`, "
                "and run the same command again.",
                folder=dest.parent,
                free=free / 1e6,
                name=dest.name,
                size=size / 1e6,
            )
        )
