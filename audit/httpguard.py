"""The transport under :class:`audit.http.HttpClient`: what a hostile server cannot do.

A server depaudit asks (a registry, a mirror, an archive host, or whoever a redirect points
to) controls the bytes it sends and how slowly it sends them. :class:`GuardedAdapter` is a
``requests`` transport adapter that makes each request:

- end by a wall-clock **deadline**: a timer shuts the request's sockets down when it
  passes, whatever the server trickles (one byte per second never ends a read timeout;
  headers sent one byte at a time neither);
- read at most a **size cap** of body, counted after decompression (a gzip bomb is cut
  when its decoded bytes pass the cap; urllib3 decodes in bounded steps), while the body
  streams in: nothing over the cap is ever held;
- **refuse redirects to private, loopback and link-local addresses** (cloud metadata at
  169.254.169.254, services on the runner): the address a redirect's connection actually
  reaches is checked when the socket is connected, after name resolution, so a host name
  resolving to such an address is refused too. Configured endpoints (the base URLs of
  :class:`audit.http.Endpoints`, a test server on 127.0.0.1) are exempt, as are connections
  through a proxy the user configured.

A request that breaks a rule raises a :class:`Refused`: the client reports it as a failed
lookup, never caches it and never retries it. ``requests`` and ``urllib3`` are imported when
the first adapter is made.
"""

from __future__ import annotations

import contextlib
import ipaddress
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import socket
from urllib.parse import urljoin, urlsplit

CHUNK = 64 * 1024
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
"""Body cap of a JSON answer (bytes, after decompression)."""
LATE = "no complete answer before the deadline"
DEFAULT_DEADLINE = 60.0
"""Seconds one request (connection, headers and body, redirects included) may take."""


class Refused(Exception):
    """A request broke a rule of the guard; ``reason`` says which, in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_public(address: str) -> bool:
    """Is ``address`` (an IP address) a public one: not private, loopback, link-local,
    multicast, reserved or unspecified (an IPv4-mapped IPv6 address is judged as IPv4)?"""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def endpoint_hosts(urls: Iterable[str]) -> frozenset[tuple[str, int]]:
    """``(host, port)`` of each base URL (default ports filled in)."""
    out = set()
    for url in urls:
        parts = urlsplit(url)
        if not parts.hostname:
            continue
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            continue
        out.add((parts.hostname.lower(), port))
    return frozenset(out)


@dataclass
class _Watch:
    """One request in flight on this thread."""

    deadline: float
    """``time.monotonic()`` value the request must end by."""
    max_bytes: int
    redirected: bool = False
    expired: bool = False
    conns: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expire(self) -> None:
        with self.lock:
            self.expired = True
            conns = list(self.conns)
        for conn in conns:
            sock = getattr(conn, "sock", None)
            if sock is not None:
                import socket  # a request is in flight: requests has imported it

                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class Guard:
    """The rules shared by a client's adapters, and the request each thread has in flight."""

    def __init__(self, allowed: frozenset[tuple[str, int]]) -> None:
        self.allowed = allowed
        """``(host, port)`` a redirect may reach even at a non-public address."""
        self._local = threading.local()

    def current(self) -> _Watch | None:
        return getattr(self._local, "watch", None)

    def begin(self, deadline: float, max_bytes: int) -> _Watch:
        watch = _Watch(deadline, max_bytes)
        self._local.watch = watch
        return watch

    def end(self) -> None:
        self._local.watch = None

    def track(self, conn: Any) -> None:
        """A connection the current request uses: shut down when its deadline passes."""
        watch = self.current()
        if watch is None:
            return
        with watch.lock:
            if watch.expired:
                raise Refused("deadline passed")
            watch.conns.append(conn)

    def check_target(self, url: str) -> None:
        """Refuse a redirect to a URL that is not HTTP(S), or whose host is a non-public IP
        address that no endpoint names (host names are checked once connected)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Refused("redirect to a URL that is not HTTP(S) refused")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise Refused("redirect to a URL with a bad port refused") from None
        host = parts.hostname.lower()
        if (host, port) in self.allowed:
            return
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return
        if not is_public(host):
            raise Refused(f"redirect to a non-public address ({host}) refused")

    def check_peer(self, conn: Any, sock: socket.socket) -> None:
        """Refuse a connection a redirect made to a non-public address, unless configured."""
        watch = self.current()
        if watch is None or not watch.redirected or getattr(conn, "proxy", None) is not None:
            return
        if (str(conn.host).lower().strip("[]"), int(conn.port or 0)) in self.allowed:
            return
        try:
            peer = sock.getpeername()[0]
        except OSError:
            return
        if not is_public(peer):
            sock.close()
            raise Refused(f"redirect to a non-public address ({conn.host}) refused")


def adapter(guard: Guard) -> Any:
    """A ``requests`` transport adapter enforcing ``guard``'s deadline, size cap and redirect
    rule on every request it sends (each hop of a redirect chain goes through it)."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    def connection(base: type[HTTPConnection]) -> type[HTTPConnection]:
        class Conn(base):  # type: ignore[valid-type,misc]
            def _new_conn(self) -> socket.socket:
                sock: socket.socket = super()._new_conn()
                guard.check_peer(self, sock)
                return sock

        return Conn

    def pool(base: type[HTTPConnectionPool], conn: type[HTTPConnection]) -> type:
        class Pool(base):  # type: ignore[valid-type,misc]
            ConnectionCls = conn

            def _get_conn(self, timeout: float | None = None) -> Any:
                got = super()._get_conn(timeout)
                guard.track(got)
                return got

        return Pool

    def _translated(exc: Exception) -> Exception:
        from urllib3 import exceptions as u3

        exc_map: tuple[tuple[type[BaseException], type[Exception]], ...] = (
            (u3.ProtocolError, requests.exceptions.ChunkedEncodingError),
            (u3.DecodeError, requests.exceptions.ContentDecodingError),
            (u3.ReadTimeoutError, requests.exceptions.ConnectionError),
            (u3.SSLError, requests.exceptions.SSLError),
        )
        for theirs, ours in exc_map:
            if isinstance(exc, theirs):
                return ours(str(exc))
        return requests.exceptions.ConnectionError(f"reading the answer failed: {exc}")

    pools = {
        "http": pool(HTTPConnectionPool, connection(HTTPConnection)),
        "https": pool(HTTPSConnectionPool, connection(HTTPSConnection)),
    }

    def read(response: Any, watch: _Watch) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.raw.stream(CHUNK, decode_content=True):
                size += len(chunk)
                if size > watch.max_bytes:
                    raise Refused(f"answer over the {watch.max_bytes}-byte limit")
                if time.monotonic() > watch.deadline:
                    raise Refused(LATE)
                chunks.append(chunk)
        except Refused:
            raise
        except Exception as exc:  # urllib3's errors, as requests itself translates them
            if watch.expired:
                raise Refused(LATE) from None
            raise _translated(exc) from None
        if watch.expired:  # a socket shut down mid-answer can look like its clean end
            raise Refused(LATE)
        response.raw.release_conn()
        return b"".join(chunks)

    class GuardedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **proxy_kwargs)
            manager.pool_classes_by_scheme = pools
            return manager

        def send(  # type: ignore[override]
            self, request: Any, stream: bool = False, **kwargs: Any
        ) -> Any:
            watch = guard.current()
            if watch is None:  # not sent by HttpClient: plain requests behaviour
                return super().send(request, stream=stream, **kwargs)
            left = watch.deadline - time.monotonic()
            if left <= 0 or watch.expired:
                raise Refused(LATE)
            timer = threading.Timer(left, watch.expire)
            timer.daemon = True
            timer.start()
            try:
                response = super().send(request, stream=True, **kwargs)
                try:
                    response._content = read(response, watch)
                except BaseException:
                    response.close()
                    raise
                response._content_consumed = True  # type: ignore[attr-defined]
                return response
            except requests.exceptions.RequestException:
                if watch.expired:
                    raise Refused(LATE) from None
                raise
            finally:
                timer.cancel()

    return GuardedAdapter()


def mark_redirect(guard: Guard) -> Any:
    """A ``requests`` response hook: the connections after a redirect answer are checked."""

    def hook(response: Any, *args: Any, **kwargs: Any) -> Any:
        watch = guard.current()
        if watch is not None and response.is_redirect:
            watch.redirected = True
            guard.check_target(urljoin(response.url, response.headers.get("location", "")))
        return response

    return hook


__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_BYTES",
    "Guard",
    "Refused",
    "adapter",
    "endpoint_hosts",
    "is_public",
    "mark_redirect",
]
