"""The HTTP cache's storage: requests-cache's SQLite backend, keeping no credential.

requests-cache stores each answer with the request that asked for it and, for a redirected
answer, every response of the redirect chain with *its* request. It redacts the headers it
is told to ignore from the stored request only, not from the redirect history: a GitHub
API answer that came through a 301 (a renamed repository) kept ``Authorization: Bearer
$GITHUB_TOKEN`` in plain text in ``http.sqlite``, a file CI jobs keep as a shared cache.

:func:`sqlite_cache` makes a backend whose stored requests (the answer's, each redirect's,
and the "next" request of a redirect) keep only the headers in :data:`KEPT_HEADERS`: no
``Authorization``, ``Proxy-Authorization``, ``Cookie`` or registry token is ever written.
Cache keys are unchanged (requests-cache computes them before storing).
"""

from __future__ import annotations

from typing import Any

KEPT_HEADERS = frozenset({"user-agent", "accept", "accept-encoding", "connection"})
"""Request headers kept in the cache; every other one is dropped before writing."""


def _strip(request: Any) -> None:
    if request is None:
        return
    from requests.structures import CaseInsensitiveDict

    headers = getattr(request, "headers", None)
    if headers is None:
        return
    # A new mapping: the stored request shares its headers with the live one.
    request.headers = CaseInsensitiveDict(
        {k: v for k, v in headers.items() if str(k).lower() in KEPT_HEADERS}
    )


def scrub(cached: Any) -> Any:
    """``cached`` (a requests-cache ``CachedResponse``) with the requests it holds stripped
    of every header not in :data:`KEPT_HEADERS`, its redirect history's included."""
    for response in (cached, *(getattr(cached, "history", None) or ())):
        _strip(getattr(response, "request", None))
        _strip(getattr(response, "_next", None))
    return cached


def sqlite_cache(path: str, *, memory: bool = False) -> Any:
    """A requests-cache SQLite backend at ``path`` (in memory when ``memory``) that stores
    no credential (see the module docstring)."""
    import requests_cache
    from requests_cache.models import CachedResponse

    class Store(requests_cache.SQLiteCache):
        def save_response(
            self, response: Any, cache_key: str | None = None, expires: Any = None
        ) -> None:
            cache_key = cache_key or self.create_key(response.request)
            cached = scrub(CachedResponse.from_response(response, expires=expires))
            self.responses[cache_key] = cached
            if response.history and not cached.revalidated:
                for hop in response.history:
                    self.redirects[self.create_key(hop.request)] = cache_key

    if memory:
        return Store(":memory:", use_memory=True)
    return Store(path)


__all__ = ["KEPT_HEADERS", "scrub", "sqlite_cache"]
