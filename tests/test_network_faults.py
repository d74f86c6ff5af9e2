"""Registry lookups against a real HTTP server on 127.0.0.1 that misbehaves: slow, resets
connections, 429/500/503, truncated or wrong-typed JSON, redirect loops. The audit finishes
within its timeouts, the affected components are unknown with the reason, and a second run
against a healthy server fills them from the network; a corrupted cache file is rebuilt.

No test waits for a retry: the client's sleep is a no-op; the only waiting is the short read
timeout of the "slow" package.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from local_server import send_json

from audit.config import Config
from audit.http import Endpoints, HttpClient
from audit.model import Report
from audit.pipeline import AuditOptions, run_audit

SLOW_SECONDS = 4.0
READ_TIMEOUT = 1.0

# package -> what the broken server does for every request about it
FAULTS = {
    "slowpkg": "slow",
    "resetpkg": "reset",
    "limitedpkg": "429",
    "brokenpkg": "500",
    "downpkg": "503",
    "cutpkg": "truncated-body",
    "halfjsonpkg": "truncated-json",
    "listpkg": "wrong-type",
    "looppkg": "redirect-loop",
}
EXTRA = {"numberpkg": "wrong-type-number", "surrogatepkg": "wrong-type-surrogate"}
HEALTHY = "okpkg"
WRONG_TYPES = {
    "wrong-type": {"pypi": b'{"info": ["MIT"]}', "v3": b'{"licenses": "MIT"}', "cd": b"[1]"},
    "wrong-type-number": {"pypi": b"{}", "v3": b'{"licenses": 42}', "cd": b"{}"},
    "wrong-type-surrogate": {
        "pypi": b'{"info": {"license": "MIT\\ud800"}}',
        "v3": b"{}",
        "cd": b"{}",
    },
}


@dataclass
class Server:
    base: str
    broken: bool = True
    hits: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        state = self.server.state
        state.hits.append(self.path)
        name = next((n for n in [*FAULTS, *EXTRA, HEALTHY] if f"/{n}/" in self.path), "")
        fault = {**FAULTS, **EXTRA}.get(name, "ok") if state.broken else "ok"
        if fault == "slow" and self.path.startswith("/pypi/"):
            time.sleep(SLOW_SECONDS)  # the other registries answer 404 at once
        if fault == "slow":
            fault = "ok"
        if fault == "reset":
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.connection.close()
            self.close_connection = True
            return
        if fault in ("429", "500", "503"):
            self._send(int(fault), b'{"message": "no"}', {"Retry-After": "0"})
        elif fault == "truncated-body":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "400")
            self.end_headers()
            self.wfile.write(b'{"info": {"license": "MIT"')
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif fault == "truncated-json":
            self._send(200, b'{"info": {"license": "MI')
        elif fault.startswith("wrong-type"):
            self._send(200, WRONG_TYPES[fault][self.path.split("/")[1]])
        elif fault == "redirect-loop":
            self._send(302, b"", {"Location": self.path})
        elif self.path.startswith("/pypi/"):
            info = {"license_expression": "MIT", "classifiers": [], "release_url": self.path}
            self._send(200, json.dumps({"info": info}).encode())
        else:
            self._send(404, b'{"error": "not found"}')

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        send_json(self, status, body, headers)

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the connection was reset on purpose
            super().finish()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the default 5 drops connections under the client's bursts
    state: Server

    def handle_error(self, request: object, client_address: object) -> None:
        return  # clients hang up on redirect loops and resets: expected here


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
    httpd.state = Server(f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd.state
    finally:
        httpd.shutdown()
        httpd.server_close()


def _endpoints(server: Server) -> Endpoints:
    return Endpoints(
        pypi=f"{server.base}/pypi",
        depsdev=f"{server.base}/v3",
        clearlydefined=f"{server.base}/cd",
        github=f"{server.base}/gh",
    )


def _client(cache: Path, server: Server) -> HttpClient:
    return HttpClient(
        cache,
        endpoints=_endpoints(server),
        token="",
        connect_timeout=1.0,
        read_timeout=READ_TIMEOUT,
        tries=2,
        backoff=0.0,
        max_wait=5.0,
        sleep=lambda _: None,
    )


def _tree(root: Path, names: list[str] | None = None) -> Path:
    names = names or [*FAULTS, HEALTHY]
    root.mkdir()
    (root / "requirements.txt").write_text("".join(f"{n}==1.0\n" for n in names))
    return root


def _audit(root: Path, cache: Path, server: Server) -> Report:
    options = AuditOptions(cache_path=cache, endpoints=_endpoints(server))
    with _client(cache, server) as client:
        return run_audit(root, Config(), options, client=client)


def _licenses(report: Report) -> dict[str, tuple[str | None, str]]:
    return {
        r.component_id.removeprefix("pypi:").removesuffix("@1.0"): (
            r.license.expression,
            r.license.reason,
        )
        for r in report.results
    }


def _line(name: str) -> int:
    return [*FAULTS, HEALTHY].index(name) + 1


def _each(error: str) -> str:
    return "; ".join(f"{source}: {error}" for source in ("pypi", "deps.dev", "clearlydefined"))


# What the first run concludes for each package (all unknown, each with its reason).
FIRST: dict[str, str] = {
    "slowpkg": "pypi: timeout after 2 tries; deps.dev: slowpkg 1.0 not found (HTTP 404); "
    "clearlydefined: pypi/pypi/-/slowpkg/1.0 not found (HTTP 404)",
    "resetpkg": _each("connection failed after 2 tries"),
    "limitedpkg": _each("HTTP 429 after 2 tries"),
    "brokenpkg": _each("HTTP 500 after 2 tries"),
    "downpkg": _each("HTTP 503 after 2 tries"),
    "cutpkg": _each("request failed: ChunkedEncodingError"),
    "halfjsonpkg": _each("malformed JSON"),
    "listpkg": "pypi: answer has no 'info' object; "
    "deps.dev: answer is not of the documented shape; clearlydefined: no declared license",
    "looppkg": _each("too many redirects"),
}
# HTTP 200 answers with bad content: never kept in the cache.
BAD_ANSWERS = {"halfjsonpkg", "listpkg"}


def test_faulty_registry_then_healthy_registry(tmp_path: Path, server: Server) -> None:
    """One broken run (every component unknown with its reason, listed as incomplete), then
    a healthy one over the same cache (filled from the network)."""
    root = _tree(tmp_path / "tree")
    cache = tmp_path / "cache" / "http.sqlite"
    report = _audit(root, cache, server)
    first = _licenses(report)
    assert first == {
        **{name: (None, reason) for name, reason in FIRST.items()},
        HEALTHY: ("MIT", "pypi: License-Expression"),
    }
    server.broken = False
    server.hits.clear()
    second = _licenses(_audit(root, cache, server))
    assert second == {name: ("MIT", "pypi: License-Expression") for name in [*FAULTS, HEALTHY]}
    assert f"/pypi/{HEALTHY}/1.0/json" not in server.hits  # answered by the cache
    assert "/pypi/brokenpkg/1.0/json" in server.hits  # failures were not cached


def test_bad_answers_are_not_cached(tmp_path: Path, server: Server) -> None:
    root = _tree(tmp_path / "tree", sorted(BAD_ANSWERS))
    cache = tmp_path / "cache" / "http.sqlite"
    _audit(root, cache, server)
    server.broken = False
    second = _licenses(_audit(root, cache, server))
    assert {name: second[name][0] for name in BAD_ANSWERS} == {name: "MIT" for name in BAD_ANSWERS}


def test_corrupted_cache_file_is_rebuilt_not_trusted(tmp_path: Path, server: Server) -> None:
    root = _tree(tmp_path / "tree", [HEALTHY])
    cache = tmp_path / "cache" / "http.sqlite"
    server.broken = False
    assert _licenses(_audit(root, cache, server))[HEALTHY][0] == "MIT"
    data = bytearray(cache.read_bytes())
    data[0:4096] = b"\xde\xad\xbe\xef" * 1024  # the SQLite header and first page
    cache.write_bytes(bytes(data))
    server.hits.clear()
    assert _licenses(_audit(root, cache, server))[HEALTHY] == ("MIT", "pypi: License-Expression")
    assert f"/pypi/{HEALTHY}/1.0/json" in server.hits  # asked again: the file was dropped
    server.hits.clear()
    assert _licenses(_audit(root, cache, server))[HEALTHY] == ("MIT", "pypi: License-Expression")
    assert server.hits == []  # and the rebuilt cache answers


def test_wrong_typed_number_does_not_end_the_audit(tmp_path: Path, server: Server) -> None:
    root = _tree(tmp_path / "tree", [*EXTRA, HEALTHY])
    found = _licenses(_audit(root, tmp_path / "cache" / "http.sqlite", server))
    assert found["numberpkg"][0] is None
    assert found[HEALTHY][0] == "MIT"


def test_lone_surrogate_in_an_answer_does_not_break_the_report(
    tmp_path: Path, server: Server
) -> None:
    from audit.report.registry import render

    root = _tree(tmp_path / "tree", ["surrogatepkg"])
    report = _audit(root, tmp_path / "cache" / "http.sqlite", server)
    assert _licenses(report)["surrogatepkg"][0] is None
    render("json", report, color=False).encode("utf-8")
