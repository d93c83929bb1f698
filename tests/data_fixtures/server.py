"""A loopback HTTP server on 127.0.0.1 that serves programmed responses, in a thread."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    delay: float = 0.0
    declared_length: int | None = (
        None  # lie about Content-Length to simulate truncation
    )
    trickle: float = (
        0.0  # seconds between chunks of ``chunk`` bytes: a server that never ends
    )
    chunk: int = 1024
    redirect: str | None = None  # answer 302 with this Location
    # False: no Content-Length header (the body ends when the connection closes)
    send_length: bool = True


class LoopbackServer:
    """A loopback HTTP server for the data tests.

    ``with LoopbackServer() as server: server.routes["/x"] = Route(b"...")``;
    ``server.url("/x")``.
    """

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        routes, hits = self.routes, self.hits

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                hits[self.path] = hits.get(self.path, 0) + 1
                route = routes.get(self.path)
                if route is None:
                    self.send_error(404, "not found")
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.redirect:
                    self.send_response(302)
                    self.send_header("Location", route.redirect)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.status != 200:
                    self.send_error(route.status)
                    return
                self.send_response(200)
                length = (
                    route.declared_length
                    if route.declared_length is not None
                    else len(route.body)
                )
                if route.send_length:
                    self.send_header("Content-Length", str(length))
                else:
                    self.close_connection = True
                self.end_headers()
                try:
                    if not route.trickle:
                        self.wfile.write(route.body)
                        return
                    for start in range(0, len(route.body), route.chunk):
                        self.wfile.write(route.body[start : start + route.chunk])
                        self.wfile.flush()
                        time.sleep(route.trickle)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
