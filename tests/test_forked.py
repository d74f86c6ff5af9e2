"""Work spread over forked copies of this process (audit.forked), and the scan that uses it.

Results come back in task order whichever process did a task; each task is told once; a
copy that dies loses nothing (this process does its tasks again); where forking is not safe
(another thread, a library whose runtime does not survive a fork), nothing is done and the
caller is told so. A scan through forked copies finds exactly what one process finds.
"""

from __future__ import annotations

import os
import sys
import threading
import types
from pathlib import Path

import pytest

from audit import forked, spdx, spdxcache
from audit.discover import discover
from audit.scan import ScanSettings, scan

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


_UNSAFE = forked.FORK_UNSAFE


@pytest.fixture(autouse=True)
def _forkable(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process may fork here, whatever other tests loaded: no work below runs the Go
    library that forbids it (its tree holds no Dockerfile)."""
    monkeypatch.setattr(forked, "FORK_UNSAFE", ("a library that forbids forking",))
    assert forked.ready(), "another thread is running"


def _square(i: int) -> tuple[int, int]:
    return i, i * i


def test_results_in_task_order_each_told_once() -> None:
    told: list[int] = []
    results = forked.run(50, _square, 2, told.append)
    assert results == [(i, i * i) for i in range(50)]
    assert sorted(told) == list(range(50))


def test_copies_do_tasks_and_send_them_back(tmp_path: Path) -> None:
    """Each process, in its first task, marks that it works and waits for another one to
    have marked too: so both do tasks, and the results name both processes."""

    def work(i: int) -> int:
        (tmp_path / str(os.getpid())).touch()
        for _ in range(3_000):  # a bounded wait, 30 s at most
            if len(list(tmp_path.iterdir())) >= 2:
                break
            threading.Event().wait(0.01)
        return os.getpid()

    results = forked.run(40, work, 2)
    assert results is not None
    assert os.getpid() in results
    assert len(set(results)) == 2


def test_a_copy_that_dies_loses_nothing() -> None:
    here = os.getpid()

    def work(i: int) -> int:
        if os.getpid() != here:
            os._exit(3)  # every copy dies at its first task, sending nothing
        return i + 100

    assert forked.run(30, work, 2) == [i + 100 for i in range(30)]


def test_an_error_here_is_raised_and_the_copies_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = os.getpid()
    pids: list[int] = []
    fork = forked._fork

    def recorded(*args: object) -> forked._Copy:
        copy = fork(*args)  # type: ignore[arg-type]
        pids.append(copy.pid)
        return copy

    monkeypatch.setattr(forked, "_fork", recorded)

    mark = tmp_path / "raised"

    def work(i: int) -> int:
        if os.getpid() == here:
            mark.touch()
            raise ValueError("bad task")
        for _ in range(3_000):  # the copy waits (30 s at most) for this process to fail
            if mark.exists():
                break
            threading.Event().wait(0.01)
        return i

    with pytest.raises(ValueError, match="bad task"):
        forked.run(1_000, work, 2)
    assert len(pids) == 1
    with pytest.raises(ChildProcessError):  # stopped and reaped
        os.waitpid(pids[0], os.WNOHANG)


def test_not_with_another_thread_running() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert forked.ready() is False
        assert forked.run(10, _square, 2) is None
    finally:
        stop.set()
        other.join()
    assert forked.ready() is True


def test_not_once_a_library_that_forbids_it_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    name = "a library that forbids forking"
    monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    assert forked.ready() is False
    assert forked.run(10, _square, 2) is None


@pytest.mark.parametrize(("tasks", "jobs"), [(1, 2), (10, 1), (forked.MAX_TASKS + 1, 2)])
def test_nothing_to_spread(tasks: int, jobs: int) -> None:
    assert forked.run(tasks, _square, jobs) is None


def _tree(root: Path, count: int) -> Path:
    for i in range(count):
        sub = root / f"d{i % 7}"
        sub.mkdir(parents=True, exist_ok=True)
        note = "SPDX-License-Identifier: MIT" if i % 3 else "SPDX-License-Identifier: GPL-2.0"
        (sub / f"f{i}.c").write_text(f"// {note}\nint f{i};\n")
    (root / "requirements.txt").write_text("flask==2.3.3\nnot a requirement ===\n")
    return root


@pytest.mark.parametrize("cache", [False, True])
def test_forked_scan_finds_what_one_process_finds(tmp_path: Path, cache: bool) -> None:
    root = _tree(tmp_path / "t", 120)
    cache_dir = tmp_path / "cache" if cache else None
    plain = scan(discover(root, use_git=False))
    told: list[tuple[int, int]] = []
    settings = ScanSettings(jobs=2, cache_dir=cache_dir, fork_min_files=1, chunk_files=8)
    found = scan(discover(root, use_git=False), settings=settings, progress=_told(told))
    assert found == plain
    assert len(plain.result.notices) == 120
    assert told[-1] == (121, 121)
    assert [n for n, _ in told] == sorted(n for n, _ in told)
    if cache:  # the cache entries the copies wrote: a second run reads no file
        again = scan(discover(root, use_git=False), settings=settings)
        assert again == plain


def _told(into: list[tuple[int, int]]):  # type: ignore[no-untyped-def]
    return lambda done, total: into.append((done, total))


def test_scan_falls_back_when_it_cannot_fork(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path / "t", 30)
    plain = scan(discover(root, use_git=False))
    monkeypatch.setattr(forked, "_task_pipe", lambda tasks: None)  # no pipe room
    settings = ScanSettings(jobs=2, fork_min_files=1, pool_min_files=10_000)
    assert scan(discover(root, use_git=False), settings=settings) == plain


def test_expressions_read_in_copies_are_kept_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only this process saves the license expressions read in a run (audit.spdxcache):
    those the copies read come back with their results."""
    root = tmp_path / "t"
    root.mkdir()
    for i in range(64):
        (root / f"f{i:02}.c").write_text(f"// SPDX-License-Identifier: LicenseRef-forked-{i}\n")
    readings = spdxcache.Readings(None, "test", {})
    monkeypatch.setattr(spdxcache, "_CURRENT", readings)
    spdx.parse_expression.cache_clear()
    settings = ScanSettings(jobs=2, fork_min_files=1, chunk_files=8)
    found = scan(discover(root, use_git=False), settings=settings)
    assert [n.expression for n in found.result.notices] == [
        f"LicenseRef-forked-{i}" for i in range(64)
    ]
    assert {t: r for t, r in readings.new.items() if "forked" in t} == {
        f"LicenseRef-forked-{i}": (f"LicenseRef-forked-{i}", "") for i in range(64)
    }


def test_not_once_a_dockerfile_was_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``dockerfile`` package runs Go, whose threads a fork does not copy: once this
    process has parsed a Dockerfile, its scans no longer fork."""
    monkeypatch.setattr(forked, "FORK_UNSAFE", _UNSAFE)
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.18\n")
    (found,) = scan(discover(tmp_path, use_git=False)).result.components
    assert found.name == "alpine"
    assert forked.ready() is False


def test_no_copy_when_the_system_refuses_one(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    told: list[int] = []
    assert forked.run(12, _square, 4, told.append) == [(i, i * i) for i in range(12)]
    assert told == list(range(12))
