"""Shared test setup: the test session gets its own cache directory.

depaudit caches HTTP answers and scan results under ``$DEPAUDIT_CACHE_DIR``; without this,
tests that run the command line would write to the developer's ``~/.cache/depaudit``.
Session-wide (not per test) so that module-scoped fixtures that run the CLI use it too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    cache = tmp_path_factory.mktemp("depaudit-cache")
    before = os.environ.get("DEPAUDIT_CACHE_DIR")
    os.environ["DEPAUDIT_CACHE_DIR"] = str(cache)
    yield cache
    if before is None:
        os.environ.pop("DEPAUDIT_CACHE_DIR", None)
    else:
        os.environ["DEPAUDIT_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def corpus() -> Callable[[str], Path]:
    """The real-repository corpus by tree name (see tests/corpus.py)."""
    from corpus import corpus_tree

    return corpus_tree


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Headless Chromium with JavaScript (tests/test_browser.py says how it is found)."""
    from test_browser import _driver

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not download anything
    driver = _driver(tmp_path / "profile", javascript=True)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def copies_started(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The process ids of the forked copies (audit/forked.py) started during the test:
    every copy is started by ``forked._start``."""
    from audit import forked

    pids: list[int] = []
    start = forked._start

    def recorded(*args: Any) -> forked._Copy:
        copy = start(*args)
        pids.append(copy.pid)
        return copy

    monkeypatch.setattr(forked, "_start", recorded)
    return pids
