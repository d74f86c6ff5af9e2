"""The URL index of the HTTP cache: warm answers skip the session, and only when
requests-cache would give the same answer (fresh, same headers, no Vary surprise);
expired entries, token-bearing requests and unindexed caches take the session."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers

from audit.http import OFFLINE_MISS, Fetched, HttpClient
from audit.httpindex import TABLE, signature, varies_beyond_plain

URL = "https://pypi.org/pypi/watchdog/0.10.2/json"
OTHER = "https://pypi.org/pypi/pathtools/0.1.2/json"
GH = "https://api.github.com/repos/actions/checkout/license"


def make(tmp_path: Path, **kw: Any) -> HttpClient:
    kw.setdefault("token", "")
    kw.setdefault("sleep", lambda s: None)
    return HttpClient(tmp_path / "http.sqlite", **kw)


def no_session(client: HttpClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every GET that goes through the requests session."""
    session = client._session()
    sent: list[str] = []
    real = session.get

    def get(url: str, **kw: Any) -> Any:
        sent.append(url)
        return real(url, **kw)

    monkeypatch.setattr(session, "get", get)
    return sent


def rows(tmp_path: Path) -> list[tuple[str, bool]]:
    with sqlite3.connect(tmp_path / "http.sqlite") as con:
        got = con.execute(f"SELECT url, plain IS NOT NULL FROM {TABLE} ORDER BY url").fetchall()
    return [(url, bool(plain)) for url, plain in got]


@responses.activate
def test_a_warm_answer_is_read_without_the_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses.get(URL, json={"info": {"license": "MIT"}})
    responses.get(OTHER, status=404, json={})
    make(tmp_path).fetch_many([URL, OTHER])
    assert rows(tmp_path) == [(OTHER, True), (URL, True)]
    for offline in (False, True):
        client = make(tmp_path, offline=offline)
        sent = no_session(client, monkeypatch)
        hit = client.get_json(URL)
        assert hit == Fetched(
            URL, ok=True, data={"info": {"license": "MIT"}}, status=200, from_cache=True
        )
        gone = client.get_json(OTHER)
        assert (gone.ok, gone.status, gone.error, gone.from_cache) == (False, 404, "HTTP 404", True)
        assert sent == []
        client.close()
    assert len(responses.calls) == 2


@responses.activate
def test_offline_misses_of_a_complete_index_skip_the_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make(tmp_path, offline=True)
    sent = no_session(client, monkeypatch)
    assert client.get_json(URL) == Fetched(URL, ok=False, error=OFFLINE_MISS)
    assert sent == []
    assert len(responses.calls) == 0


@responses.activate
def test_an_expired_answer_is_revalidated_online_and_served_stale_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses.get(URL, json={"v": 1}, headers={"ETag": '"v1"'})
    first = make(tmp_path, expire_after=timedelta(seconds=-1))
    assert first.get_json(URL).data == {"v": 1}
    first.close()

    offline = make(tmp_path, offline=True)
    sent = no_session(offline, monkeypatch)
    stale = offline.get_json(URL)
    assert (stale.data, stale.from_cache, sent) == ({"v": 1}, True, [])
    offline.close()

    responses.replace(
        responses.GET,
        URL,
        status=304,
        match=[matchers.header_matcher({"If-None-Match": '"v1"'})],
    )
    online = make(tmp_path)
    sent = no_session(online, monkeypatch)
    again = online.get_json(URL)
    assert (again.ok, again.data, again.from_cache) == (True, {"v": 1}, True)
    assert sent == [URL]
    assert len(responses.calls) == 2


@responses.activate
def test_requests_with_a_token_or_headers_take_the_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses.get(GH, json={"license": {"spdx_id": "MIT"}})
    responses.get(URL, json={})
    with make(tmp_path, token="ghp_s3cret") as client:
        client.get_json(GH)
        client.get_json(URL, headers={"Accept": "application/json"})
    assert rows(tmp_path) == [(GH, False), (URL, False)]
    again = make(tmp_path, token="ghp_s3cret")
    sent = no_session(again, monkeypatch)
    again.get_json(GH)
    again.get_json(URL, headers={"Accept": "application/json"})
    assert sent == [GH, URL]
    again.close()
    assert b"ghp_s3cret" not in (tmp_path / "http.sqlite").read_bytes()


@responses.activate
def test_an_answer_that_varies_on_cookies_takes_the_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses.get(URL, json={}, headers={"Vary": "Accept-Encoding, Cookie"})
    with make(tmp_path) as client:
        client.get_json(URL)
    assert rows(tmp_path) == [(URL, False)]
    offline = make(tmp_path, offline=True)
    sent = no_session(offline, monkeypatch)
    assert offline.get_json(URL).from_cache
    assert sent == [URL]


@responses.activate
def test_a_cache_without_index_rows_is_answered_by_the_session_then_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses.get(URL, json={"old": True})
    make(tmp_path).get_json(URL)
    with sqlite3.connect(tmp_path / "http.sqlite") as con:
        con.execute(f"DROP TABLE {TABLE}")  # as written by an earlier depaudit
    first = make(tmp_path, offline=True)
    sent = no_session(first, monkeypatch)
    assert first.get_json(URL).data == {"old": True}
    assert first.get_json(OTHER).error == OFFLINE_MISS
    assert sent == [URL, OTHER]  # incomplete index: a miss is asked of the session
    first.close()
    second = make(tmp_path, offline=True)
    sent = no_session(second, monkeypatch)
    assert second.get_json(URL).data == {"old": True}
    assert second.get_json(OTHER).error == OFFLINE_MISS
    assert sent == []


@responses.activate
def test_a_forgotten_answer_leaves_the_index(tmp_path: Path) -> None:
    responses.get(URL, json=[1, 2])
    client = make(tmp_path)
    assert client.get_json(URL).data == [1, 2]
    client.forget(URL)
    assert rows(tmp_path) == []
    assert make(tmp_path, offline=True).get_json(URL).error == OFFLINE_MISS


@responses.activate
def test_a_malformed_cached_body_is_forgotten(tmp_path: Path) -> None:
    responses.get(URL, body="<html>", content_type="text/html")
    assert make(tmp_path).get_json(URL).error == "malformed JSON"
    assert rows(tmp_path) == []
    assert make(tmp_path, offline=True).get_json(URL).error == OFFLINE_MISS


@responses.activate
def test_an_unwritable_index_only_slows_lookups(tmp_path: Path) -> None:
    responses.get(URL, json={"x": 1})
    client = make(tmp_path)
    index = client._url_index()
    assert index is not None

    def refuse(*a: object, **kw: object) -> Any:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    index._connection = refuse  # type: ignore[method-assign]
    assert client.get_json(URL).data == {"x": 1}
    assert client.get_json(URL).from_cache
    assert rows(tmp_path) == []


@responses.activate
def test_map_answers_cached_items_in_the_calling_thread(tmp_path: Path) -> None:
    urls = [f"https://pypi.org/pypi/p{i}/json" for i in range(6)]
    for i, u in enumerate(urls):
        responses.get(u, json={"i": i})
    make(tmp_path).fetch_many(urls[:3])
    here = threading.get_ident()
    for offline in (False, True):
        client = make(tmp_path, max_workers=4, offline=offline)
        threads: list[int] = []

        def fetch(url: str, client: HttpClient = client, threads: list[int] = threads) -> Any:
            threads.append(threading.get_ident())
            return client.get_json(url).data

        assert client.map(fetch, urls) == [{"i": i} for i in range(6)]
        if offline:  # nothing waits: all here
            assert threads == [here] * 6
        else:  # the three cached answers and the first that went to the network ran here
            assert threads[:4] == [here] * 4
            assert here not in threads[4:]
    assert len(responses.calls) == 6


def test_signature_and_vary_rules() -> None:
    assert signature({"User-Agent": "a", "Accept": "*/*"}) == signature(
        {"accept": "*/*", "user-agent": "a"}
    )
    assert signature({"User-Agent": "a"}) != signature({"User-Agent": "b"})
    assert not varies_beyond_plain(None)
    assert not varies_beyond_plain("Accept-Encoding, Origin")
    for vary in ("*", "Cookie", "accept, authorization", "Cache-Control"):
        assert varies_beyond_plain(vary)


@responses.activate
def test_a_redirected_answer_is_indexed_under_the_url_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = "https://pypi.org/pypi/PyYAML/6.0/json"
    final = "https://pypi.org/pypi/pyyaml/6.0/json"
    responses.get(asked, status=301, headers={"Location": final})
    responses.get(final, json={"info": {"license": "MIT"}})
    with make(tmp_path) as client:
        assert client.get_json(asked).data == {"info": {"license": "MIT"}}
    assert rows(tmp_path) == [(asked, True), (final, False)]
    offline = make(tmp_path, offline=True)
    sent = no_session(offline, monkeypatch)
    assert offline.get_json(asked).data == {"info": {"license": "MIT"}}
    assert offline.get_json(OTHER).error == OFFLINE_MISS
    assert sent == []  # the redirect alias is indexed too: the index stays complete


@responses.activate
def test_offline_without_a_cache_file_neither_opens_nor_creates_it(tmp_path: Path) -> None:
    client = make(tmp_path, offline=True)
    assert client.get_json(URL) == Fetched(URL, ok=False, error=OFFLINE_MISS)
    assert client.get_bytes(URL).error == OFFLINE_MISS
    assert client._session_obj is None
    assert not (tmp_path / "http.sqlite").exists()
    assert len(responses.calls) == 0


@responses.activate
def test_offline_without_a_cache_never_sends(tmp_path: Path) -> None:
    responses.get(URL, json={})
    client = make(tmp_path, offline=True, use_cache=False)
    assert client.get_json(URL) == Fetched(URL, ok=False, error=OFFLINE_MISS)
    assert len(responses.calls) == 0


@responses.activate
def test_rows_are_written_after_a_batch_not_per_answer(tmp_path: Path) -> None:
    urls = [f"https://pypi.org/pypi/p{i}/json" for i in range(3)]
    for u in urls:
        responses.get(u, json={})
    client = make(tmp_path, max_workers=1)
    client.get_json(urls[0])
    assert rows(tmp_path) == []  # recorded, served to this process, not yet written
    client.fetch_many(urls[1:])  # a batch ends: everything is written
    assert rows(tmp_path) == [(u, True) for u in urls]


def test_sqlite_errors_are_caught_once_sqlite3_is_loaded() -> None:
    """``except sqlite_errors(...)`` catches sqlite3's classes; before sqlite3 is imported
    (no sqlite3 call can have raised) it names only the others, and imports nothing."""
    import subprocess
    import sys

    from audit.httpindex import sqlite_errors

    assert sqlite_errors("Error") == (sqlite3.Error,)
    assert sqlite_errors("DatabaseError", also=(OSError,)) == (sqlite3.DatabaseError, OSError)
    probe = (
        "import sys; from audit.httpindex import sqlite_errors; "
        "print(sqlite_errors('Error', also=(OSError,)), 'sqlite3' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.split() == ["(<class", "'OSError'>,)", "False"]
