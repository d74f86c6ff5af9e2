"""The license data a scan's workers inherit from the fork server (audit.licenses.preload).

The fork server loads the license database's matcher and the bundled license texts before it
forks any worker, when the scan is likely to read the tree (no result cache, or none of
the tree yet); a failure to load leaves each worker to load them itself, as without it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from licensedb import licensedb_matcher

from audit import forked, scancache
from audit import scan as scan_module
from audit.licenses import matcher, preload, texts
from audit.scan import ScanSettings, prestart


def test_load_loads_the_matcher_and_the_texts() -> None:
    licensedb_matcher()  # skips where the database is not installed
    assert preload.load() is True
    assert preload.loaded() is True
    assert "index" in vars(texts.bundled_references())  # the shingle index is built too


def _fails() -> None:
    raise OSError(5, "cannot read the bundled texts")


@pytest.mark.parametrize("name", ["bundled_references", "default_matcher"])
def test_a_failure_to_load_is_no_error(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module = texts if name == "bundled_references" else matcher
    monkeypatch.setattr(module, name, _fails)
    assert preload.load() is False


_WORKER = textwrap.dedent(
    """
    import sys
    from concurrent.futures import ProcessPoolExecutor
    from audit.licenses import preload
    from audit.scan import _context

    with ProcessPoolExecutor(1, mp_context=_context(sys.argv[1] == "licenses")) as pool:
        print(pool.submit(preload.loaded).result())
        print(pool.submit(preload.load).result())
        print(pool.submit(preload.loaded).result())
    """
)


@pytest.mark.parametrize(("mode", "inherited"), [("licenses", "True"), ("modules", "False")])
def test_workers_inherit_the_matcher_only_when_the_server_loads_it(
    mode: str, inherited: str
) -> None:
    """A worker's matcher is in memory before it ever asks for it when its server loaded
    the license data; else it loads it itself on first use (the same matcher)."""
    licensedb_matcher()
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", _WORKER, mode],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
        check=True,
    )
    assert done.stdout.split() == [inherited, "True", "True"]


class _Started:
    def __init__(self) -> None:
        self.licenses: list[bool] = []

    def start(self, licenses: bool = True) -> None:
        self.licenses.append(licenses)


def test_prestart_loads_the_license_data_when_the_scan_is_cold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = _Started()
    monkeypatch.setattr(scan_module, "_SERVER", server)
    monkeypatch.setattr(forked, "ready", lambda: False)  # the pool's server
    tree = tmp_path / "tree"
    tree.mkdir()
    cache = tmp_path / "cache"
    prestart(5_000, ScanSettings(jobs=2), tree)  # no result cache
    prestart(5_000, ScanSettings(jobs=2, cache_dir=cache), tree)  # no cache of this tree
    scancache.save(scancache.cache_file(cache, tree.resolve()), tree.resolve(), {}, [])
    prestart(5_000, ScanSettings(jobs=2, cache_dir=cache), tree)  # warm: not started at all
    prestart(5_000, ScanSettings(jobs=2, cache_dir=cache))  # the tree unknown: maybe warm
    assert server.licenses == [True, True, False]
