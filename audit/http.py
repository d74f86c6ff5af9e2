"""One HTTP client for every license source: cache, timeouts, retries, token handling.

- Responses are cached on SQLite through requests-cache (``$DEPAUDIT_CACHE_DIR/http.sqlite``,
  else ``~/.cache/depaudit/http.sqlite``); a corrupted cache file is rebuilt with a warning.
- ``offline=True`` answers only from the cache (stale entries included): a miss is
  ``Fetched(ok=False, error="offline: not in cache")`` and nothing goes on the wire.
- A warm lookup reads the cached answer directly through the cache's URL index
  (:mod:`audit.httpindex`) instead of going through the requests session; expired
  entries, requests with a token or extra headers, and URLs the index does not know take
  the session (revalidation, ``stale_if_error``). :meth:`HttpClient.map` answers cached
  items in the calling thread and uses its thread pool only once the network is needed.
- Retries with exponential backoff on timeouts, resets and HTTP 429/500/502/503/504; a
  ``Retry-After`` (or GitHub's rate-limit reset) is honoured while the total wait stays within
  ``max_wait``. The sleep and clock functions are injectable so tests never wait.
- The GitHub token (``GITHUB_TOKEN``) is only sent to the configured GitHub API host, over
  HTTPS (or to a loopback test server); it never appears in ``repr``, logs or the cache.
- :meth:`HttpClient.get_json` never raises for network faults: it returns a :class:`Fetched`
  with ``ok=False`` and a short reason.
- A hostile server is bounded (:mod:`audit.httpguard`): every request ends by a wall-clock
  deadline (``deadline``, 60 s) and reads at most ``max_bytes`` of body after
  decompression; all requests of one client share a budget (``budget``, 900 s), after which
  lookups fail at once; a redirect never reaches a private, loopback or link-local address
  other than a configured endpoint's. An answer that is too large, too slow, refused, or
  fails to parse (malformed, or JSON nested deeper than :data:`MAX_JSON_DEPTH`) is never
  cached and never retried.
- Credentials are never stored: the cache keeps no request header but the few in
  :data:`audit.httpstore.KEPT_HEADERS`, in the redirect history too.

``requests`` and ``requests_cache`` are imported when the first request is made.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from audit import __version__
from audit.httpguard import DEFAULT_DEADLINE, DEFAULT_MAX_BYTES, Guard, endpoint_hosts
from audit.httpindex import MISS, UrlIndex, signature, sqlite_errors

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

USER_AGENT = f"depaudit/{__version__}"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CACHED_STATUSES = (200, 404)
OFFLINE_MISS = "offline: not in cache"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_JSON_DEPTH = 200
"""JSON answers nested deeper than this are malformed (no registry nests so deep)."""
DEFAULT_BUDGET = 900.0
"""Seconds of network time one client (one audit) may spend, all requests together."""


@dataclass(frozen=True)
class Endpoints:
    """Base URLs of every service depaudit asks (mirrors, or a test server on 127.0.0.1)."""

    pypi: str = "https://pypi.org/pypi"
    """PyPI JSON API: ``{pypi}/{name}/{version}/json``."""
    depsdev: str = "https://api.deps.dev/v3"
    """deps.dev API v3: ``{depsdev}/systems/{system}/packages/{name}/versions/{version}``."""
    clearlydefined: str = "https://api.clearlydefined.io"
    """ClearlyDefined: ``{clearlydefined}/definitions/{type}/{provider}/{ns}/{name}/{rev}``."""
    github: str = "https://api.github.com"
    """GitHub REST API; the only host the GitHub token is sent to."""
    docker_hub: str = "https://registry-1.docker.io"
    """The registry API serving Docker Hub images (no registry in the reference)."""
    registries: tuple[tuple[str, str], ...] = ()
    """Other registries' base URLs by host, e.g. ``(("quay.io", "http://127.0.0.1:5000"),)``;
    a registry not listed is ``https://{host}``."""

    def __post_init__(self) -> None:
        for name in ("pypi", "depsdev", "clearlydefined", "github", "docker_hub"):
            object.__setattr__(self, name, getattr(self, name).rstrip("/"))

    def urls(self) -> tuple[str, ...]:
        """Every base URL configured here."""
        fixed = (self.pypi, self.depsdev, self.clearlydefined, self.github, self.docker_hub)
        return (*fixed, *(base for _, base in self.registries))

    def registry(self, host: str) -> str:
        """Base URL of an OCI registry (``""`` means Docker Hub)."""
        if not host:
            return self.docker_hub
        for h, base in self.registries:
            if h == host:
                return base.rstrip("/")
        return f"https://{host}"


@dataclass(frozen=True)
class Fetched:
    """The outcome of one GET: JSON data, or why there is none."""

    url: str
    ok: bool
    data: Any = None
    """The decoded JSON body when ``ok``."""
    status: int = 0
    """HTTP status of the last response; 0 when no response came (timeout, reset...)."""
    error: str = ""
    """Short reason when not ``ok``: ``HTTP 503 after 3 tries``, ``timeout after 3 tries``,
    ``malformed JSON``, ``offline: not in cache``..."""
    from_cache: bool = False
    tries: int = 0
    """Requests sent (0 when answered by the cache)."""
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)
    """Response headers, lower-cased names, sorted."""

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return None


def default_cache_path() -> Path:
    """``$DEPAUDIT_CACHE_DIR/http.sqlite``, else ``$XDG_CACHE_HOME`` or ``~/.cache``."""
    env = os.environ.get("DEPAUDIT_CACHE_DIR")
    if env:
        return Path(env).expanduser() / "http.sqlite"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(base) / "depaudit" / "http.sqlite"


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    import email.utils  # only for an HTTP-date: not on every start-up

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


class _Retry(Exception):
    """Internal: the attempt failed in a way worth another try."""

    def __init__(self, reason: str, status: int = 0, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.wait = wait


MALFORMED = "malformed JSON"


def _clean_text(data: Any) -> Any:
    """JSON with lone surrogates (``\\ud800`` escapes) replaced by U+FFFD: such strings
    cannot be written as UTF-8, and a registry answer must never break a report."""
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            return data.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return data
    if isinstance(data, list):
        return [_clean_text(x) for x in data]
    if isinstance(data, dict):
        return {_clean_text(k): _clean_text(v) for k, v in data.items()}
    return data


def _decode(body: bytes) -> Any:
    """JSON from a body; ``ValueError`` when it is malformed or nested too deep."""
    import json

    data = json.loads(body)
    _check_depth(data)
    return _clean_text(data)


def _check_depth(data: Any) -> None:
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


class HttpClient:
    """A cached, retrying, never-raising JSON client shared by all license sources."""

    def __init__(
        self,
        cache_path: str | os.PathLike[str] | None = None,
        *,
        offline: bool = False,
        endpoints: Endpoints | None = None,
        token: str | None = None,
        use_cache: bool = True,
        expire_after: timedelta = timedelta(days=7),
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        tries: int = 3,
        backoff: float = 0.5,
        max_wait: float = 30.0,
        max_workers: int = 8,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        deadline: float = DEFAULT_DEADLINE,
        budget: float = DEFAULT_BUDGET,
        max_bytes: int = DEFAULT_MAX_BYTES,
        allowed_urls: Sequence[str] = (),
    ) -> None:
        """``token`` defaults to ``$GITHUB_TOKEN``; pass ``""`` to send none.

        ``deadline``: seconds one request may take in all (wall clock, every try on its
        own); ``budget``: seconds all requests of this client may take together;
        ``max_bytes``: the body limit of a JSON answer; ``allowed_urls``: base URLs a
        redirect may lead to at a non-public address, besides the endpoints'."""
        self.cache_path = Path(cache_path) if cache_path is not None else default_cache_path()
        self.offline = offline
        self.endpoints = endpoints or Endpoints()
        self.__token = os.environ.get("GITHUB_TOKEN", "") if token is None else token
        self.use_cache = use_cache
        self.expire_after = expire_after
        self.timeout = (connect_timeout, read_timeout)
        self.tries = max(1, tries)
        self.backoff = backoff
        self.max_wait = max_wait
        self.max_workers = max(1, max_workers)
        self.sleep = sleep
        self.clock = clock
        self.deadline = deadline
        self.budget = budget
        self.max_bytes = max_bytes
        self._budget_end: float | None = None
        self._guard = Guard(endpoint_hosts([*self.endpoints.urls(), *allowed_urls]))
        self._lock = threading.RLock()
        self._session_obj: Any = None
        self._index_obj: UrlIndex | None = None
        self._shared: HttpClient | None = None
        self._no_cache_file = False
        """Offline, no cache file was found: none is looked for again (see _nothing_cached)."""
        self._local = threading.local()
        """Per thread: whether the current :meth:`map` item went to the network."""

    # -- plumbing ---------------------------------------------------------------------

    def __repr__(self) -> str:
        return (
            f"HttpClient(cache_path={str(self.cache_path)!r}, offline={self.offline}, "
            f"token={'<set>' if self.__token else None})"
        )

    @property
    def has_token(self) -> bool:
        return bool(self.__token)

    def as_offline(self) -> HttpClient:
        """A view of this client that answers only from its cache (shares the session)."""
        if self.offline:
            return self
        view = HttpClient.__new__(HttpClient)
        view.__dict__.update(self.__dict__)
        view.offline = True
        view._shared = self._shared or self
        return view

    def close(self) -> None:
        """Close the session (an offline view leaves its parent's session open)."""
        if self._shared is not None:
            return
        with self._lock:
            if self._session_obj is not None:
                self._flush_index()
                self._session_obj.close()
                self._session_obj = None
                self._index_obj = None

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _session(self) -> Any:
        if self._shared is not None:
            return self._shared._session()
        with self._lock:
            if self._session_obj is None:
                self._session_obj = self._open()
                self._index_obj = self._make_index(self._session_obj)
            return self._session_obj

    def _url_index(self) -> UrlIndex | None:
        """The URL index of the cache (``None`` without a cache, or when unusable)."""
        owner = self._shared or self
        owner._session()
        return owner._index_obj

    def _flush_index(self) -> None:
        index = (self._shared or self)._index_obj
        if index is not None:
            index.flush()

    def _nothing_cached(self) -> bool:
        """No cache, or nothing ever cached (no session open and no cache file): offline,
        every lookup is then a miss, without loading requests or creating the file. An
        offline client that found no cache file does not look for it again (it makes none
        itself; a few thousand lookups of a large tree each asked the file system): one
        that another process makes meanwhile is read by the next run."""
        owner = self._shared or self
        if not self.use_cache:
            return True
        if owner._session_obj is not None:
            return False
        if owner._no_cache_file:
            return True
        missing = not owner.cache_path.exists()
        owner._no_cache_file = missing and owner.offline
        return missing

    def _make_index(self, session: Any) -> UrlIndex | None:
        if not self.use_cache:
            return None
        try:
            return UrlIndex(session.cache, signature(session.headers))
        except sqlite_errors("Error", also=(AttributeError,)) as exc:
            log.debug("HTTP cache index unusable (%s): lookups take the session", exc)
            return None

    def _open(self) -> Any:
        import requests

        if not self.use_cache:
            return self._guarded(requests.Session())
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            return self._cached_session()
        except sqlite_errors("DatabaseError") as exc:
            log.warning("HTTP cache %s is corrupted (%s): rebuilding it", self.cache_path, exc)
            self._remove_cache_files()
        except OSError as exc:
            log.warning("HTTP cache %s unusable (%s): caching in memory", self.cache_path, exc)
            return self._cached_session(memory=True)
        try:
            return self._cached_session()
        except sqlite_errors("DatabaseError", also=(OSError,)) as exc:
            log.warning(
                "HTTP cache %s still unusable (%s): caching in memory", self.cache_path, exc
            )
            return self._cached_session(memory=True)

    def _guarded(self, session: Any) -> Any:
        """``session`` with the guard's adapter and redirect hook, and depaudit's agent."""
        from audit.httpguard import adapter, mark_redirect

        guarded = adapter(self._guard)
        session.mount("http://", guarded)
        session.mount("https://", guarded)
        session.hooks["response"].append(mark_redirect(self._guard))
        session.headers["User-Agent"] = USER_AGENT
        return session

    def _cached_session(self, memory: bool = False) -> Any:
        import requests_cache

        from audit.httpstore import sqlite_cache

        if memory:
            backend: Any = sqlite_cache(":memory:", memory=True)
        else:
            backend = sqlite_cache(str(self.cache_path))
            # Touch the database so that a corrupted file is detected now.
            backend.responses.count()
        session = requests_cache.CachedSession(
            backend=backend,
            expire_after=self.expire_after,
            allowable_codes=CACHED_STATUSES,
            allowable_methods=("GET",),
            # Offline, and when the network fails, an expired entry beats no answer.
            stale_if_error=True,
        )
        return self._guarded(session)

    def _remove_cache_files(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            p = Path(str(self.cache_path) + suffix)
            try:
                p.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("cannot remove %s: %s", p, exc)

    def _rebuild(self, exc: Exception) -> None:
        owner = self._shared or self
        with owner._lock:
            log.warning("HTTP cache %s is corrupted (%s): rebuilding it", owner.cache_path, exc)
            if owner._session_obj is not None:
                # The broken database may refuse to close cleanly.
                with contextlib.suppress(Exception):
                    owner._session_obj.close()
                owner._session_obj = None
                owner._index_obj = None
            if owner.use_cache:
                owner._remove_cache_files()

    def _auth_for(self, url: str) -> dict[str, str]:
        """The GitHub token header, only for the configured GitHub API host."""
        if not self.__token:
            return {}
        target = urlsplit(url)
        github = urlsplit(self.endpoints.github)
        if (target.scheme, target.netloc.lower()) != (github.scheme, github.netloc.lower()):
            return {}
        if target.scheme != "https" and (target.hostname or "") not in _LOOPBACK:
            return {}
        return {"Authorization": f"Bearer {self.__token}"}

    # -- requests ---------------------------------------------------------------------

    def get_json(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        cache: bool = True,
    ) -> Fetched:
        """GET ``url`` and decode JSON; never raises for network or HTTP faults.

        ``headers`` are extra request headers (never logged). ``cache=False`` neither reads
        nor stores the cache (short-lived answers such as registry tokens); offline, such a
        request is a miss.
        """
        if self.offline and not cache:
            return Fetched(url, ok=False, error=OFFLINE_MISS)
        for rebuild in (True, False):
            try:
                return self._get_json(url, headers or {}, cache)
            except sqlite_errors("DatabaseError") as exc:
                if not rebuild:
                    return Fetched(url, ok=False, error=f"cache error: {exc}")
                self._rebuild(exc)
        raise AssertionError("unreachable")  # pragma: no cover

    def get_bytes(self, url: str, *, max_bytes: int = 256 * 1024 * 1024) -> Fetched:
        """GET ``url`` and return its body as ``bytes`` in ``Fetched.data`` (archives).

        Cached, retried and offline-aware like :meth:`get_json`; never raises. A body over
        ``max_bytes`` (after decompression) is ``ok=False``: reading stops at the limit.
        """
        for rebuild in (True, False):
            try:
                got = self._get_json(url, {}, True, raw=True, max_bytes=max_bytes)
                break
            except sqlite_errors("DatabaseError") as exc:
                if not rebuild:
                    return Fetched(url, ok=False, error=f"cache error: {exc}")
                self._rebuild(exc)
        if got.ok and len(got.data) > max_bytes:
            return Fetched(
                url,
                ok=False,
                status=got.status,
                error=f"body of {len(got.data)} bytes exceeds the {max_bytes}-byte limit",
                from_cache=got.from_cache,
                tries=got.tries,
            )
        return got

    def _get_json(
        self,
        url: str,
        headers: Mapping[str, str],
        cache: bool,
        raw: bool = False,
        max_bytes: int | None = None,
    ) -> Fetched:
        if self.offline and self._nothing_cached():
            return Fetched(url, ok=False, error=OFFLINE_MISS)
        auth = self._auth_for(url)
        index = self._url_index() if self.use_cache and cache else None
        plain = not headers and not auth
        if index is not None and plain:
            # The warm path: the answer requests-cache keeps for this URL, read directly.
            found = index.lookup(url)
            if found is MISS:
                if self.offline:
                    return Fetched(url, ok=False, error=OFFLINE_MISS)
            elif (
                found is not None
                and found.status_code in CACHED_STATUSES
                and (self.offline or not found.is_expired)
            ):
                return self._answer(url, found, 0, raw)
        limit = self.max_bytes if max_bytes is None else max_bytes
        return self._send(url, {**headers, **auth}, cache, raw, index, plain, limit)

    def _send(
        self,
        url: str,
        request_headers: Mapping[str, str],
        cache: bool,
        raw: bool,
        index: UrlIndex | None,
        plain: bool,
        max_bytes: int,
    ) -> Fetched:
        """The GET through the session: cache rules, retries, backoff."""
        import requests

        from audit.httpguard import Refused

        session = self._session()
        if not self.offline:
            self._local.network = True
        kwargs: dict[str, Any] = {}
        if self.use_cache:
            if self.offline:
                kwargs.update(only_if_cached=True)
            if not cache:
                import requests_cache

                kwargs.update(expire_after=requests_cache.DO_NOT_CACHE)
        waited = 0.0
        last = ""
        status = 0
        tries = 0
        for attempt in range(self.tries):
            tries += 1
            log.debug("GET %s (try %d)", url, tries)
            left = self._budget_left()
            if left <= 0:
                error = f"the network budget of this audit ({self.budget:g} s) is spent"
                return Fetched(url, ok=False, status=status, tries=tries - 1, error=error)
            self._guard.begin(time.monotonic() + min(self.deadline, left), max_bytes)
            try:
                response = session.get(url, headers=request_headers, timeout=self.timeout, **kwargs)
                if index is not None:
                    index.record(url, response, plain)
                result = self._answer(url, response, tries, raw)
            except sqlite_errors("DatabaseError"):
                raise
            except Refused as refused:
                return Fetched(url, ok=False, error=refused.reason, tries=tries)
            except _Retry as retry:
                last, status, wait = retry.reason, retry.status, retry.wait
            except requests.exceptions.Timeout:
                last, status, wait = "timeout", 0, None
            except requests.exceptions.TooManyRedirects:
                return Fetched(url, ok=False, error="too many redirects", tries=tries)
            except requests.exceptions.ConnectionError:
                last, status, wait = "connection failed", 0, None
            except requests.exceptions.RequestException as exc:
                return Fetched(
                    url, ok=False, error=f"request failed: {type(exc).__name__}", tries=tries
                )
            else:
                return result
            finally:
                self._guard.end()
            if self.offline or attempt == self.tries - 1:
                break
            delay = self.backoff * (2**attempt) if wait is None else wait
            if waited + delay > self.max_wait:
                return Fetched(
                    url,
                    ok=False,
                    status=status,
                    tries=tries,
                    error=f"{last}: retry in {delay:g}s exceeds the {self.max_wait:g}s wait budget",
                )
            self.sleep(delay)
            waited += delay
        return Fetched(
            url,
            ok=False,
            status=status,
            tries=tries,
            error=f"{last} after {tries} {'try' if tries == 1 else 'tries'}",
        )

    def _budget_left(self) -> float:
        """Seconds of network time this client (its offline views included) has left."""
        owner = self._shared or self
        with owner._lock:
            if owner._budget_end is None:
                owner._budget_end = time.monotonic() + self.budget
            return owner._budget_end - time.monotonic()

    def _answer(self, url: str, response: Any, tries: int, raw: bool) -> Fetched:
        result = self._interpret(url, response, tries, raw)
        if not result.ok and result.error == MALFORMED:
            self.forget(url)  # a 200 with a broken body must not stay cached
        return result

    def _interpret(self, url: str, response: Any, tries: int, raw: bool = False) -> Fetched:
        from_cache = bool(getattr(response, "from_cache", False))
        status = int(response.status_code)
        headers = tuple(sorted((k.lower(), v) for k, v in response.headers.items()))
        sent = 0 if from_cache else tries
        if self.offline and (not from_cache or status == 504):
            # requests-cache answers an only-if-cached miss with a synthetic 504.
            return Fetched(url, ok=False, error=OFFLINE_MISS)
        if status in RETRY_STATUSES or self._rate_limited(status, response.headers):
            wait = parse_retry_after(response.headers.get("Retry-After"), self.clock())
            if wait is None and self._rate_limited(status, response.headers):
                reset = response.headers.get("X-RateLimit-Reset", "")
                wait = max(0.0, float(reset) - self.clock()) if reset.isdigit() else None
            raise _Retry(f"HTTP {status}", status, wait)
        if status >= 400:
            return Fetched(
                url,
                ok=False,
                status=status,
                error=f"HTTP {status}",
                from_cache=from_cache,
                tries=sent,
                headers=headers,
            )
        try:
            data = response.content if raw else _decode(response.content)
        except (ValueError, RecursionError):
            return Fetched(
                url,
                ok=False,
                status=status,
                error=MALFORMED,
                from_cache=from_cache,
                tries=sent,
                headers=headers,
            )
        return Fetched(
            url,
            ok=True,
            data=data,
            status=status,
            from_cache=from_cache,
            tries=sent,
            headers=headers,
        )

    def forget(self, url: str) -> None:
        """Drop the cached answer for ``url`` (a source found it malformed or of the wrong
        shape): the next run asks the registry again instead of trusting it for days."""
        if not self.use_cache:
            return
        try:
            cache = getattr(self._session(), "cache", None)
            if cache is not None:
                cache.delete(urls=[url])
                index = self._url_index()
                if index is not None:
                    index.forget(url)
        except Exception as exc:  # best effort: a cache we cannot clean is only stale
            log.debug("could not drop the cached answer for %s: %s", url, type(exc).__name__)

    @staticmethod
    def _rate_limited(status: int, headers: Mapping[str, str]) -> bool:
        return status == 403 and headers.get("X-RateLimit-Remaining") == "0"

    # -- concurrency ------------------------------------------------------------------

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[fn(x) for x in items]``, results in input order; concurrent (on a bounded
        thread pool) only where waiting for the network.

        Answers from the cache come faster in the calling thread than through a pool: items
        are taken here until one has gone to the network, and the rest go to the pool.
        Offline, nothing waits: everything runs here.
        """
        try:
            return self._map(fn, list(items))
        finally:
            self._flush_index()

    def _map(self, fn: Callable[[T], R], work: list[T]) -> list[R]:
        if len(work) <= 1 or self.max_workers == 1 or self.offline:
            return [fn(x) for x in work]
        done: list[R] = []
        for x in work:
            self._local.network = False
            done.append(fn(x))
            if self._local.network:
                break
        rest = work[len(done) :]
        if not rest:
            return done
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(rest))) as pool:
            return done + list(pool.map(fn, rest))

    def fetch_many(self, urls: Sequence[str]) -> list[Fetched]:
        """:meth:`get_json` for each URL, concurrently (bounded), in input order."""
        return self.map(self.get_json, urls)


__all__ = [
    "OFFLINE_MISS",
    "USER_AGENT",
    "Endpoints",
    "Fetched",
    "HttpClient",
    "default_cache_path",
    "parse_retry_after",
]
