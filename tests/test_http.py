"""The HTTP client: cache, offline, retries and Retry-After, token handling, never raising."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import requests
import responses

from audit import __version__
from audit.http import (
    OFFLINE_MISS,
    Endpoints,
    Fetched,
    HttpClient,
    default_cache_path,
    parse_retry_after,
)

URL = "https://pypi.org/pypi/watchdog/0.10.2/json"
GH = "https://api.github.com/repos/actions/checkout/license"


def make(tmp_path: Path, **kw: object) -> tuple[HttpClient, list[float]]:
    sleeps: list[float] = []
    kw.setdefault("token", "")
    client = HttpClient(tmp_path / "http.sqlite", sleep=sleeps.append, **kw)  # type: ignore[arg-type]
    return client, sleeps


@responses.activate
def test_success_sends_user_agent_and_is_cached(tmp_path: Path) -> None:
    responses.get(URL, json={"info": {"license": "Apache License 2.0"}})
    client, sleeps = make(tmp_path)
    first = client.get_json(URL)
    second = client.get_json(URL)
    assert first == Fetched(
        URL, ok=True, data={"info": {"license": "Apache License 2.0"}}, status=200, tries=1
    )
    assert (second.ok, second.from_cache, second.tries, second.data) == (
        True,
        True,
        0,
        {"info": {"license": "Apache License 2.0"}},
    )
    assert len(responses.calls) == 1
    assert responses.calls[0].request.headers["User-Agent"] == f"depaudit/{__version__}"
    assert sleeps == []


@responses.activate
def test_404_is_not_retried_and_is_cached(tmp_path: Path) -> None:
    responses.get(URL, status=404, json={"message": "Not Found"})
    client, sleeps = make(tmp_path)
    got = client.get_json(URL)
    assert (got.ok, got.status, got.error, got.tries) == (False, 404, "HTTP 404", 1)
    again = client.get_json(URL)
    assert (again.status, again.from_cache) == (404, True)
    assert len(responses.calls) == 1
    assert sleeps == []


@responses.activate
def test_500_is_retried_with_exponential_backoff(tmp_path: Path) -> None:
    responses.get(URL, status=500)
    client, sleeps = make(tmp_path)
    got = client.get_json(URL)
    assert got == Fetched(URL, ok=False, status=500, error="HTTP 500 after 3 tries", tries=3)
    assert sleeps == [0.5, 1.0]
    assert len(responses.calls) == 3


@responses.activate
def test_429_retry_after_seconds_is_honoured(tmp_path: Path) -> None:
    responses.get(URL, status=429, headers={"Retry-After": "7"})
    responses.get(URL, json={"ok": 1})
    client, sleeps = make(tmp_path)
    got = client.get_json(URL)
    assert (got.ok, got.data, got.tries) == (True, {"ok": 1}, 2)
    assert sleeps == [7.0]
    assert len(responses.calls) == 2


@responses.activate
def test_503_retry_after_http_date_uses_the_clock(tmp_path: Path) -> None:
    responses.get(URL, status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:12 GMT"})
    responses.get(URL, json={"ok": 1})
    client, sleeps = make(tmp_path, clock=lambda: 1445412480.0)  # 07:28:00 GMT
    assert client.get_json(URL).ok
    assert sleeps == [12.0]


@responses.activate
def test_retry_after_beyond_the_budget_stops_at_once(tmp_path: Path) -> None:
    responses.get(URL, status=429, headers={"Retry-After": "120"})
    client, sleeps = make(tmp_path)
    got = client.get_json(URL)
    assert got == Fetched(
        URL,
        ok=False,
        status=429,
        error="HTTP 429: retry in 120s exceeds the 30s wait budget",
        tries=1,
    )
    assert sleeps == []
    assert len(responses.calls) == 1


@responses.activate
def test_total_wait_is_bounded(tmp_path: Path) -> None:
    responses.get(URL, status=503, headers={"Retry-After": "20"})
    client, sleeps = make(tmp_path, tries=5)
    got = client.get_json(URL)
    assert got.error == "HTTP 503: retry in 20s exceeds the 30s wait budget"
    assert sleeps == [20.0]
    assert len(responses.calls) == 2


@responses.activate
def test_github_rate_limit_waits_for_the_reset(tmp_path: Path) -> None:
    responses.get(
        GH, status=403, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1010"}
    )
    responses.get(GH, json={"license": {"spdx_id": "MIT"}})
    client, sleeps = make(tmp_path, clock=lambda: 1000.0)
    assert client.get_json(GH).ok
    assert sleeps == [10.0]


@responses.activate
def test_timeouts_are_retried_then_reported(tmp_path: Path) -> None:
    responses.get(URL, body=requests.exceptions.ConnectTimeout("slow"))
    client, sleeps = make(tmp_path)
    got = client.get_json(URL)
    assert got == Fetched(URL, ok=False, status=0, error="timeout after 3 tries", tries=3)
    assert sleeps == [0.5, 1.0]


@responses.activate
def test_connection_reset_is_reported(tmp_path: Path) -> None:
    responses.get(URL, body=requests.exceptions.ConnectionError("reset by peer"))
    client, _ = make(tmp_path, tries=1)
    assert client.get_json(URL) == Fetched(
        URL, ok=False, error="connection failed after 1 try", tries=1
    )


@responses.activate
def test_malformed_json(tmp_path: Path) -> None:
    responses.get(URL, body="<html>not json</html>", content_type="text/html")
    client, sleeps = make(tmp_path)
    got = client.get_json(URL)
    assert (got.ok, got.status, got.error, got.tries) == (False, 200, "malformed JSON", 1)
    assert sleeps == []


@responses.activate
def test_redirect_loop(tmp_path: Path) -> None:
    responses.get(URL, status=302, headers={"Location": URL})
    client, _ = make(tmp_path)
    got = client.get_json(URL)
    assert (got.ok, got.error, got.tries) == (False, "too many redirects", 1)


@responses.activate
def test_offline_uses_the_cache_and_never_the_network(tmp_path: Path) -> None:
    responses.get(URL, json={"cached": True})
    online, _ = make(tmp_path)
    assert online.get_json(URL).ok
    online.close()
    offline, _ = make(tmp_path, offline=True)
    hit = offline.get_json(URL)
    assert (hit.ok, hit.data, hit.from_cache, hit.tries) == (True, {"cached": True}, True, 0)
    miss = offline.get_json("https://pypi.org/pypi/pathtools/0.1.2/json")
    assert miss == Fetched(
        "https://pypi.org/pypi/pathtools/0.1.2/json", ok=False, error=OFFLINE_MISS
    )
    assert len(responses.calls) == 1


@responses.activate
def test_as_offline_shares_the_cache(tmp_path: Path) -> None:
    responses.get(URL, json={"x": 1})
    client, _ = make(tmp_path)
    client.get_json(URL)
    view = client.as_offline()
    assert view.offline and not client.offline
    assert view.get_json(URL).from_cache
    assert view.get_json(GH).error == OFFLINE_MISS
    assert len(responses.calls) == 1


def test_offline_without_a_cache_file_looks_for_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = make(tmp_path, offline=True)
    looked: list[Path] = []
    exists = Path.exists

    def counted(path: Path) -> bool:
        looked.append(path)
        return exists(path)

    monkeypatch.setattr(Path, "exists", counted)
    misses = [client.get_json(URL).error, client.get_json(GH).error, client.get_json(URL).error]
    assert misses == [OFFLINE_MISS, OFFLINE_MISS, OFFLINE_MISS]
    assert looked == [client.cache_path]
    assert not client.cache_path.exists()


@responses.activate
def test_an_online_client_looks_for_its_cache_file_again(tmp_path: Path) -> None:
    responses.get(URL, json={"x": 1})
    client, _ = make(tmp_path)
    view = client.as_offline()
    assert view.get_json(URL).error == OFFLINE_MISS  # no cache file yet
    assert client.get_json(URL).ok  # the client makes it
    client.close()
    assert view.get_json(URL).data == {"x": 1}
    assert len(responses.calls) == 1


@responses.activate
def test_uncached_requests_are_offline_misses(tmp_path: Path) -> None:
    client, _ = make(tmp_path, offline=True)
    assert client.get_json(URL, cache=False).error == OFFLINE_MISS
    assert len(responses.calls) == 0


@responses.activate
def test_token_goes_to_the_github_api_host_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    responses.get(GH, json={"license": {"spdx_id": "MIT"}})
    responses.get(URL, json={})
    client, _ = make(tmp_path, token="ghp_s3cret")
    client.get_json(GH)
    client.get_json(URL)
    assert responses.calls[0].request.headers["Authorization"] == "Bearer ghp_s3cret"
    assert "Authorization" not in responses.calls[1].request.headers
    assert "ghp_s3cret" not in repr(client)
    assert "token=<set>" in repr(client)
    assert "ghp_s3cret" not in caplog.text
    client.close()
    assert b"ghp_s3cret" not in (tmp_path / "http.sqlite").read_bytes()


@responses.activate
def test_token_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "from-env")
    responses.get(GH, json={})
    client = HttpClient(tmp_path / "c.sqlite", sleep=lambda s: None)
    assert client.has_token
    client.get_json(GH)
    assert responses.calls[0].request.headers["Authorization"] == "Bearer from-env"
    assert "from-env" not in repr(client)


@pytest.mark.parametrize(
    ("github", "url", "sent"),
    [
        ("https://api.github.com", "https://api.github.com/repos/a/b/license", True),
        ("https://api.github.com", "https://api.github.com.evil.example/repos/a/b", False),
        ("https://api.github.com", "http://api.github.com/repos/a/b/license", False),
        ("https://api.github.com", "https://github.com/a/b", False),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/repos/a/b", True),
        ("http://ghe.example.com/api/v3", "http://ghe.example.com/api/v3/repos/a/b", False),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/repos/a/b/license", True),
    ],
)
def test_token_host_rule(tmp_path: Path, github: str, url: str, sent: bool) -> None:
    client = HttpClient(tmp_path / "c.sqlite", token="t0k", endpoints=Endpoints(github=github))
    assert bool(client._auth_for(url)) is sent


@responses.activate
def test_corrupted_cache_is_rebuilt_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "http.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    responses.get(URL, json={"fresh": True})
    client, _ = make(tmp_path)
    with caplog.at_level(logging.WARNING, logger="audit.http"):
        got = client.get_json(URL)
    assert (got.ok, got.data) == (True, {"fresh": True})
    assert f"HTTP cache {path} is corrupted" in caplog.text
    assert client.get_json(URL).from_cache
    assert path.read_bytes().startswith(b"SQLite format 3")


@responses.activate
def test_fetch_many_keeps_input_order(tmp_path: Path) -> None:
    urls = [f"https://pypi.org/pypi/p{i}/json" for i in range(6)]
    for i, u in enumerate(urls):
        responses.get(u, json={"i": i})
    client, _ = make(tmp_path, max_workers=3)
    got = client.fetch_many(urls)
    assert [f.data for f in got] == [{"i": i} for i in range(6)]
    assert client.map(lambda x: x * 2, [3, 1, 2]) == [6, 2, 4]


@responses.activate
def test_without_cache(tmp_path: Path) -> None:
    responses.get(URL, json={})
    client, _ = make(tmp_path, use_cache=False)
    assert client.get_json(URL).ok and client.get_json(URL).ok
    assert len(responses.calls) == 2
    assert not (tmp_path / "http.sqlite").exists()


def test_endpoints_are_configurable() -> None:
    e = Endpoints(pypi="http://127.0.0.1:9/pypi/", registries=(("quay.io", "http://127.0.0.1:5"),))
    assert e.pypi == "http://127.0.0.1:9/pypi"
    assert e.depsdev == "https://api.deps.dev/v3"
    assert e.clearlydefined == "https://api.clearlydefined.io"
    assert e.github == "https://api.github.com"
    assert e.registry("") == "https://registry-1.docker.io"
    assert e.registry("quay.io") == "http://127.0.0.1:5"
    assert e.registry("gcr.io") == "https://gcr.io"


def test_default_cache_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DEPAUDIT_CACHE_DIR", str(tmp_path / "cache"))
    assert default_cache_path() == tmp_path / "cache" / "http.sqlite"
    monkeypatch.delenv("DEPAUDIT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == tmp_path / "xdg" / "depaudit" / "http.sqlite"
    assert HttpClient(token="").cache_path == tmp_path / "xdg" / "depaudit" / "http.sqlite"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("5", 5.0),
        (" 0 ", 0.0),
        ("Thu, 01 Jan 1970 00:01:40 GMT", 60.0),
        ("Thu, 01 Jan 1970 00:00:10 GMT", 0.0),
        ("soon", None),
        ("-3", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=40.0) == expected
