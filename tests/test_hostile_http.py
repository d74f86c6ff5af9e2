"""A hostile server: answers that trickle, never end, explode when decompressed, nest
100,000 deep, redirect to the runner's private addresses, or come through a redirect while a
token is sent. Each lookup ends within its bounds (tests/bounds.py), fails with a reason,
is never cached, and no credential reaches the cache file.

The server runs on 127.0.0.1 in a daemon thread; it shuts itself down after
:data:`LIFETIME` seconds even if a test never stops it, and every slow answer stops when its
client goes away.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from bounds import MIB, bounded
from local_server import LIFETIME, send_json, serving

from audit.http import OFFLINE_MISS, Endpoints, HttpClient
from audit.httpguard import LATE, is_public

TOKEN = "ghp_TOPSECRETtoken0123456789abcdefABCDEF"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        route = self.server.routes.get(self.path.split("?")[0])
        if route is None:
            self._send(404, b'{"error": "not found"}')
            return
        with contextlib.suppress(OSError):  # the client went away: this answer ends
            route(self)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        send_json(self, status, body, headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Callable[[_Handler], None]]
    hits: list[str]


@contextlib.contextmanager
def _serve(routes: dict[str, Callable[[_Handler], None]]) -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.routes = routes
    server.hits = []
    with serving(server, LIFETIME) as running:
        yield running


def _base(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def _client(tmp_path: Path, server: _Server, **kwargs: object) -> HttpClient:
    base = _base(server)
    endpoints = Endpoints(pypi=base, depsdev=base, clearlydefined=base, github=base)
    kwargs.setdefault("token", "")
    return HttpClient(
        tmp_path / "cache" / "http.sqlite", endpoints=endpoints, sleep=lambda s: None,
        **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def _trickle_body(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    h.wfile.write(b'{"info": "')
    for _ in range(100_000):  # ends when the client hangs up (or after ~28 hours)
        h.wfile.write(b"a")
        h.wfile.flush()
        time.sleep(0.2)


def _trickle_headers(h: _Handler) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for _ in range(100_000):
        h.wfile.write(b"X")
        h.wfile.flush()
        time.sleep(0.2)


def _endless(h: _Handler) -> None:
    """2 GiB claimed, zeros sent as fast as the client reads them."""
    h.send_response(200)
    h.send_header("Content-Type", "application/octet-stream")
    h.send_header("Content-Length", str(2 * 1024 * MIB))
    h.end_headers()
    block = b"0" * (1 << 16)
    for _ in range(2 * 1024 * MIB // len(block)):
        h.wfile.write(block)


def _bomb() -> bytes:
    """256 MiB of zeros, gzip-compressed (about 250 KiB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * MIB
    out = [packer.compress(block) for _ in range(256)]
    return b"".join([*out, packer.flush()])


@pytest.mark.parametrize(
    ("route", "limit"),
    [(_trickle_body, "body"), (_trickle_headers, "headers")],
    ids=["body-one-byte-at-a-time", "headers-one-byte-at-a-time"],
)
def test_a_trickling_answer_ends_at_the_deadline(
    tmp_path: Path, route: Callable[[_Handler], None], limit: str
) -> None:
    """The read timeout (20 s) never fires: a byte comes every 0.2 s. The deadline does."""
    with _serve({"/pypi/slow/1.0/json": route}) as server:
        client = _client(tmp_path, server, deadline=1.5, tries=3)
        with bounded(seconds=20, megabytes=32), client:
            got = client.get_json(f"{_base(server)}/pypi/slow/1.0/json")
    assert (got.ok, got.error, got.tries) == (False, LATE, 1)


def test_the_audit_budget_ends_every_later_request(tmp_path: Path) -> None:
    with _serve({f"/pypi/p{i}/1.0/json": _trickle_body for i in range(5)}) as server:
        client = _client(tmp_path, server, deadline=1.0, budget=2.5)
        with bounded(seconds=20, megabytes=32), client:
            got = [client.get_json(f"{_base(server)}/pypi/p{i}/1.0/json") for i in range(5)]
    assert [g.error for g in got] == [
        LATE,
        LATE,
        LATE,  # the last half second of the budget
        "the network budget of this audit (2.5 s) is spent",
        "the network budget of this audit (2.5 s) is spent",
    ]
    assert len(server.hits) == 3


def test_a_two_gibibyte_answer_is_cut_at_the_limit(tmp_path: Path) -> None:
    with _serve({"/pypi/big/1.0/json": _endless, "/archive.tar.gz": _endless}) as server:
        client = _client(tmp_path, server, max_bytes=4 * MIB)
        with bounded(seconds=30, megabytes=48), client:
            got = client.get_json(f"{_base(server)}/pypi/big/1.0/json")
            raw = client.get_bytes(f"{_base(server)}/archive.tar.gz", max_bytes=8 * MIB)
    assert (got.ok, got.error, got.tries) == (False, f"answer over the {4 * MIB}-byte limit", 1)
    assert (raw.ok, raw.error) == (False, f"answer over the {8 * MIB}-byte limit")


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compression_bomb_is_cut_after_decompression(tmp_path: Path, encoding: str) -> None:
    body = _bomb() if encoding == "gzip" else zlib.compress(b"\0" * (64 * MIB), 9)

    def bomb(h: _Handler) -> None:
        h._send(200, body, {"Content-Encoding": encoding})

    with _serve({"/pypi/bomb/1.0/json": bomb}) as server:
        client = _client(tmp_path, server, max_bytes=4 * MIB)
        with bounded(seconds=30, megabytes=48), client:
            got = client.get_json(f"{_base(server)}/pypi/bomb/1.0/json")
    assert len(body) < 4 * MIB  # only decompressed does it pass the limit
    assert (got.ok, got.error) == (False, f"answer over the {4 * MIB}-byte limit")


def test_a_small_compressed_answer_is_read(tmp_path: Path) -> None:
    body = gzip.compress(json.dumps({"info": {"license": "MIT"}}).encode())

    def small(h: _Handler) -> None:
        h._send(200, body, {"Content-Encoding": "gzip"})

    with _serve({"/pypi/ok/1.0/json": small}) as server:
        client = _client(tmp_path, server)
        with bounded(seconds=30, megabytes=32), client:
            got = client.get_json(f"{_base(server)}/pypi/ok/1.0/json")
    assert (got.ok, got.data) == (True, {"info": {"license": "MIT"}})


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b"[" * 201 + b"]" * 201,
    ],
    ids=["arrays-100000-deep", "objects-100000-deep", "arrays-201-deep"],
)
def test_deeply_nested_json_is_malformed_and_never_cached(tmp_path: Path, body: bytes) -> None:
    def deep(h: _Handler) -> None:
        h._send(200, body)

    with _serve({"/pypi/deep/1.0/json": deep}) as server:
        url = f"{_base(server)}/pypi/deep/1.0/json"
        client = _client(tmp_path, server)
        with bounded(seconds=30, megabytes=64), client:
            got = client.get_json(url)
            again = client.as_offline().get_json(url)
        with _client(tmp_path, server, offline=True) as later:
            cold = later.get_json(url)
    assert (got.ok, got.error, got.status) == (False, "malformed JSON", 200)
    assert (again.ok, again.error) == (False, OFFLINE_MISS)
    assert (cold.ok, cold.error) == (False, OFFLINE_MISS)


def test_json_200_deep_is_read(tmp_path: Path) -> None:
    body = b"[" * 200 + b"]" * 200

    def deep(h: _Handler) -> None:
        h._send(200, body)

    with (
        _serve({"/pypi/deep/1.0/json": deep}) as server,
        bounded(seconds=30, megabytes=32),
        _client(tmp_path, server) as client,
    ):
        got = client.get_json(f"{_base(server)}/pypi/deep/1.0/json")
    assert got.ok


def _redirect(to: str) -> Callable[[_Handler], None]:
    def route(h: _Handler) -> None:
        h._send(302, b"", {"Location": to})

    return route


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://10.0.0.1/internal",
        "http://192.168.1.1/admin",
        "http://[::1]:{other}/x",
        "http://[::ffff:127.0.0.1]:{other}/x",
        "http://127.0.0.1:{other}/x",
        "http://localhost:{other}/x",
        "http://0x7f000001:{other}/x",
        "http://2130706433:{other}/x",
        "file:///etc/passwd",
    ],
)
def test_redirects_to_private_addresses_are_refused(tmp_path: Path, target: str) -> None:
    """A configured endpoint (127.0.0.1:PORT) redirects to the runner's private services: an
    IP literal is refused before any connection, a name (``localhost``, ``0x7f000001``)
    once its connection shows where it leads; the private service never hears of it."""
    with _serve({"/private": lambda h: h._send(200, b'{"secret": 1}')}) as other:
        to = target.format(other=other.server_address[1])
        with _serve({"/pypi/r/1.0/json": _redirect(to)}) as server:
            client = _client(tmp_path, server)
            with bounded(seconds=30, megabytes=32), client:
                got = client.get_json(f"{_base(server)}/pypi/r/1.0/json")
                again = client.as_offline().get_json(f"{_base(server)}/pypi/r/1.0/json")
    assert not got.ok
    assert got.error.startswith("redirect to ") and got.error.endswith(" refused"), got.error
    assert other.hits == []
    assert again.error == OFFLINE_MISS


def test_redirects_between_configured_endpoints_are_followed(tmp_path: Path) -> None:
    with _serve({"/pypi/new/1.0/json": lambda h: h._send(200, b'{"ok": 1}')}) as mirror:
        to = f"{_base(mirror)}/pypi/new/1.0/json"
        with _serve({"/pypi/old/1.0/json": _redirect(to)}) as server:
            client = HttpClient(
                tmp_path / "http.sqlite", token="",
                endpoints=Endpoints(pypi=_base(server), registries=(("m", _base(mirror)),)),
            )  # fmt: skip
            with bounded(seconds=30, megabytes=32), client:
                got = client.get_json(f"{_base(server)}/pypi/old/1.0/json")
    assert (got.ok, got.data) == (True, {"ok": 1})


def test_the_token_sent_through_a_redirect_is_never_stored(tmp_path: Path) -> None:
    """api.github.com answers a renamed repository with 301: the request that followed it
    carried ``Authorization: Bearer $GITHUB_TOKEN``; the cache file holds no trace of it."""
    seen: list[str] = []

    def renamed(h: _Handler) -> None:
        seen.append(h.headers.get("Authorization", ""))
        h._send(301, b"", {"Location": "/repos/o/new"})

    def new(h: _Handler) -> None:
        seen.append(h.headers.get("Authorization", ""))
        h._send(200, b'{"license": {"spdx_id": "MIT"}}')

    with _serve({"/repos/o/old": renamed, "/repos/o/new": new}) as server:
        cache = tmp_path / "cache" / "http.sqlite"
        client = _client(tmp_path, server, token=TOKEN)
        with bounded(seconds=30, megabytes=32), client:
            got = client.get_json(f"{_base(server)}/repos/o/old")
        with _client(tmp_path, server, token=TOKEN, offline=True) as later:
            cached = later.get_json(f"{_base(server)}/repos/o/old")
    assert (got.ok, got.data) == (True, {"license": {"spdx_id": "MIT"}})
    assert seen == [f"Bearer {TOKEN}"] * 2  # it was sent...
    files = sorted(cache.parent.glob("http.sqlite*"))
    assert files
    for path in files:  # ...and never stored, in any form
        data = path.read_bytes()
        assert TOKEN.encode() not in data, path
        assert b"TOPSECRET" not in data, path
        assert b"Bearer" not in data, path
    assert cached.ok  # the answer itself is cached


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("169.254.169.254", False),
        ("fe80::1%eth0", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("fd00::1", False),
        ("224.0.0.1", False),
        ("not-an-ip", False),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public(address) is public
