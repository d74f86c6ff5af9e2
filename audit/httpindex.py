"""An index of the HTTP cache by URL, so that a warm lookup skips requests' machinery.

requests-cache finds an answer by a key derived from the prepared request, and every
``session.get`` pays for requests' environment merging (proxies, netrc) and the key's URL
normalisation: about 1 ms a lookup. This index, table ``depaudit_urls`` in the same SQLite
file, remembers for each URL the key requests-cache keeps its answer under, so that
:class:`audit.http.HttpClient` can read that entry directly:

- a row is written after requests-cache stored or served an answer for the URL. Its
  ``plain`` column holds the request's header signature (the session's default headers)
  when the request carried no other header; ``NULL`` when it did (an ``Authorization``
  or ``Accept`` header), or when the answer varies on something a plain request does not
  fix (``Vary: *``, ``Cookie``, ``Authorization``, ``Cache-Control``). Only rows whose
  signature is the current one are served directly: requests-cache would serve the same
  entry for the same request (its ``Vary`` check compares the very same headers);
- freshness is the entry's own (``expires``, read from the entry itself), so expiry and
  revalidation stay requests-cache's: an expired entry goes through the session online;
- the index is *complete* when every entry of the cache (and every redirect alias) has a
  row; then a URL without a row is certainly not cached, and an offline miss costs a
  dictionary look-up. An incomplete index (a cache written by an older version, or a
  chain of several redirects) only sends misses through the session, which fills the
  index as it answers.

The index is an accelerator: when it cannot be read or written, lookups take the session.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from audit.keyhash import sha256

if TYPE_CHECKING:
    import sqlite3

log = logging.getLogger(__name__)

TABLE = "depaudit_urls"
_BATCH = 64
"""Rows recorded before they are written."""
_UNPLAIN_VARY = frozenset({"*", "cookie", "authorization", "cache-control"})


def signature(headers: Mapping[str, str]) -> str:
    """A short fingerprint of the headers a plain request sends."""
    text = "\n".join(sorted(f"{k.lower()}={v}" for k, v in headers.items()))
    return sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def varies_beyond_plain(vary: str | None) -> bool:
    """Whether an answer with this ``Vary`` header may differ between two plain requests
    (or between a plain request and one with an ``Authorization`` header)."""
    if not vary:
        return False
    return any(name.strip().lower() in _UNPLAIN_VARY for name in vary.split(","))


class Miss:
    """The index knows the URL is not cached (returned by :meth:`UrlIndex.lookup`)."""


MISS = Miss()


class UrlIndex:
    """URL -> requests-cache key, for one requests-cache SQLite backend."""

    def __init__(self, backend: Any, plain_signature: str) -> None:
        self.backend = backend
        self.signature = plain_signature
        self._lock = threading.RLock()
        self._rows: dict[str, tuple[str, str | None]] = {}
        self._pending: dict[str, tuple[str, str | None]] = {}
        self._writable = True
        self.complete = False
        responses = backend.responses.table_name
        redirects = backend.redirects.table_name
        with self._connection(commit=True) as con:
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} "
                "(url TEXT PRIMARY KEY, key TEXT NOT NULL, plain TEXT)"
            )
            con.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_key ON {TABLE}(key)")
        with self._connection() as con:
            for url, key, plain in con.execute(f"SELECT url, key, plain FROM {TABLE}"):
                self._rows[url] = (key, plain)
            unindexed = con.execute(
                f"SELECT EXISTS(SELECT 1 FROM {responses} WHERE key NOT IN "
                f"(SELECT key FROM {TABLE})) OR EXISTS(SELECT 1 FROM {redirects} "
                f"WHERE key NOT IN (SELECT key FROM {TABLE}))"
            ).fetchone()[0]
        self.complete = not unindexed

    @contextmanager
    def _connection(self, commit: bool = False) -> Iterator[sqlite3.Connection]:
        # requests-cache's own connection (and lock): one file, one writer at a time.
        with self.backend.responses.connection(commit=commit) as con:
            yield con

    def lookup(self, url: str) -> Any:
        """The cached response a plain GET of ``url`` would be answered with, :data:`MISS`
        when the URL is certainly not cached, else ``None`` (ask the session)."""
        row = self._rows.get(url)
        if row is None:
            return MISS if self.complete else None
        key, plain = row
        if plain != self.signature:
            return None
        return self.backend.get_response(key)

    def record(self, url: str, response: Any, plain: bool) -> None:
        """Note where requests-cache keeps the answer it just stored or served for ``url``.

        Rows are written in batches (see :meth:`flush`): one commit per answer would double
        the cache's disk syncs while fetching. Until then they serve this process only.
        """
        key = getattr(response, "cache_key", None)
        if not key:
            return
        vary = response.headers.get("Vary")
        rows: list[tuple[str, str, str | None]] = []
        history = getattr(response, "history", None)
        if history:
            # A redirected answer is kept twice: under the key of the URL asked (what is
            # served for it) and, by the request that followed the redirect, under the
            # final URL's (indexed for the completeness count only: that request was
            # requests' own). A chain of redirects leaves aliases the index does not know.
            asked = self.backend.create_key(history[0].request)
            final = getattr(response, "url", "")
            if key != asked and final and final != url:
                rows.append((final, key, None))
            key = asked
        sig = self.signature if plain and not varies_beyond_plain(vary) else None
        rows.append((url, key, sig))
        with self._lock:
            for row_url, row_key, row_sig in rows:
                if self._rows.get(row_url) != (row_key, row_sig):
                    self._rows[row_url] = (row_key, row_sig)
                    self._pending[row_url] = (row_key, row_sig)
            full = len(self._pending) >= _BATCH
        if full:
            self.flush()

    def flush(self) -> None:
        """Write the rows recorded since the last flush."""
        with self._lock:
            pending, self._pending = self._pending, {}
            if not pending or not self._writable:
                return
            try:
                with self._connection(commit=True) as con:
                    con.executemany(
                        f"INSERT OR REPLACE INTO {TABLE} (url, key, plain) VALUES (?, ?, ?)",
                        [(url, key, sig) for url, (key, sig) in pending.items()],
                    )
            except sqlite_errors("Error") as exc:  # a read-only cache is still a cache
                log.debug("HTTP cache index not written (%s): lookups take the session", exc)
                self._writable = False

    def forget(self, url: str) -> None:
        """Drop the row of ``url`` (its cached answer was deleted)."""
        with self._lock:
            self._pending.pop(url, None)
            if self._rows.pop(url, None) is None or not self._writable:
                return
            try:
                with self._connection(commit=True) as con:
                    con.execute(f"DELETE FROM {TABLE} WHERE url = ?", (url,))
            except sqlite_errors("Error") as exc:
                log.debug("HTTP cache index not written (%s)", exc)
                self._writable = False


def sqlite_errors(
    *names: str, also: tuple[type[Exception], ...] = ()
) -> tuple[type[Exception], ...]:
    """:mod:`sqlite3`'s exception classes ``names`` (``Error``, ``DatabaseError``), and
    ``also``, for an ``except`` clause; none of sqlite3's while it is not imported: only its
    own calls raise them, and requests-cache imports it before it makes any. A run that asks
    nothing of the HTTP cache (offline, no cache file) never loads sqlite3 (about 1.5 ms)."""
    module = sys.modules.get("sqlite3")
    if module is None:
        return also
    return (*(getattr(module, name) for name in names), *also)


__all__ = [
    "MISS",
    "TABLE",
    "Miss",
    "UrlIndex",
    "signature",
    "sqlite_errors",
    "varies_beyond_plain",
]
