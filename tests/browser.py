"""Headless Chromium for tests that look at pages as a reader does, with no internet."""

from __future__ import annotations

import functools
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest

# Root in CI needs --no-sandbox; the other flags stop Chromium's own background
# traffic (updates, sync, QUIC probes), which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[object]:
    """A Playwright Browser on the system's Chromium (at ``CHROMIUM`` if set)."""
    from playwright.sync_api import sync_playwright

    executable = (
        os.environ.get("CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not executable:
        pytest.fail(
            "Chromium not found: install it (Debian: apt-get install chromium) "
            "or set CHROMIUM"
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def is_local(url: str) -> bool:
    """Whether ``url`` stays local: the test server on 127.0.0.1 or a file on disk."""
    parts = urlparse(url)
    return parts.scheme == "file" or parts.hostname == "127.0.0.1"


def refuse_non_local(context, blocked: list[str]) -> None:
    """Abort each request of ``context`` that would leave this machine; log its URL."""

    def only_local(route):
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_local)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A page closed while a file was still on its way (a test is done with it):
        # the browser hung up, which is no error of the site's.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@contextmanager
def serve_folder(folder) -> Iterator[str]:
    """Serve ``folder`` on a free port of 127.0.0.1 during the block; yield its URL."""
    server = _QuietServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
