"""A test's HTTP server on 127.0.0.1 that stops by itself (see docs/security.md)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TypeVar

LIFETIME = 60.0
"""Seconds after which a server shuts down even if its test never stops it."""

S = TypeVar("S", bound=HTTPServer)


@contextlib.contextmanager
def serving(server: S, lifetime: float = LIFETIME) -> Iterator[S]:
    """Serve ``server`` (bound to 127.0.0.1) in a daemon thread for the block; it shuts
    down at the block's end, or after ``lifetime`` seconds, whichever comes first."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    stop = threading.Timer(lifetime, server.shutdown)
    stop.daemon = True
    stop.start()
    try:
        yield server
    finally:
        stop.cancel()
        server.shutdown()
        server.server_close()


def send_json(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> None:
    """Answer ``handler``'s request with ``status`` and the JSON ``body`` (and ``headers``)."""
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        handler.send_header(k, v)
    handler.end_headers()
    handler.wfile.write(body)
