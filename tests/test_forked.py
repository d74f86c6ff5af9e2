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
from audit import scan as scan_module
from audit.discover import Candidate, discover
from audit.scan import Ahead, ScanSettings, _files, _task, scan, scan_ahead

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
    tmp_path: Path, copies_started: list[int]
) -> None:
    here = os.getpid()
    pids = copies_started
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


# Tasks given while the copies work (forked.Feed) ------------------------------------------


def _feed(jobs: int = 2, done: list[int] | None = None) -> forked.Feed[tuple[int, bytes]]:
    """A feed whose task ``i`` holds ``b"task i"``: the result names the task and the
    bytes the copy got (this process knows its own tasks)."""
    feed = forked.Feed.start(
        lambda i: (i, f"task {i}".encode()),
        lambda i, task: (i, task),
        jobs,
        done.append if done is not None else None,
    )
    assert feed is not None
    return feed


def test_a_feed_gives_back_every_task_in_order_each_told_once() -> None:
    told: list[int] = []
    feed = _feed(done=told)
    for i in range(300):
        assert feed.give(f"task {i}".encode()) == i
    assert feed.finish() == [(i, f"task {i}".encode()) for i in range(300)]
    assert sorted(told) == list(range(300))


def test_a_feed_task_fills_a_record_at_most() -> None:
    full = b"x" * forked.Feed.ROOM
    feed = forked.Feed.start(lambda i: (i, full), lambda i, task: (i, task), 2)
    assert feed is not None
    try:
        assert feed.give(full) == 0
        with pytest.raises(ValueError, match="does not fit a record"):
            feed.give(full + b"x")
        assert feed.finish() == [(0, full)]
    finally:
        feed.close()


def test_a_feed_copy_works_while_tasks_are_still_given(tmp_path: Path) -> None:
    """The copy marks each task it does: the first is done before the last is given."""
    here = os.getpid()

    def there(i: int, task: bytes) -> int:
        (tmp_path / str(i)).touch()
        return os.getpid()

    feed = forked.Feed.start(lambda i: here, there, 2)
    assert feed is not None
    feed.give(b"first")
    for _ in range(3_000):  # a bounded wait, 30 s at most
        if (tmp_path / "0").exists():
            break
        threading.Event().wait(0.01)
    assert (tmp_path / "0").exists()
    feed.give(b"second")
    results = feed.finish()
    assert results[0] != here


def test_a_feed_does_here_what_the_pipe_has_no_room_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy that waits until this process has given every task: the pipe fills, and the
    tasks it has no room for are done here, at once."""
    here = os.getpid()
    gate_r, gate_w = os.pipe()

    def there(i: int, task: bytes) -> int:
        os.read(gate_r, 1)  # waits until every task is given
        return -1

    feed = forked.Feed.start(lambda i: here, there, 2)
    assert feed is not None
    tasks = 600  # 600 records of 4 KiB: more than a pipe holds (at most 1 MiB)
    for _ in range(tasks):
        feed.give(b"t")
    os.write(gate_w, b"go" * tasks)
    results = feed.finish()
    os.close(gate_r)
    os.close(gate_w)
    assert len(results) == tasks
    assert here in results
    assert set(results) <= {here, -1}


def test_a_feed_copy_that_dies_loses_nothing() -> None:
    def there(i: int, task: bytes) -> tuple[int, bytes]:
        if i == 5:
            os._exit(3)  # dies in the middle, its sixth task not sent
        return i, task

    feed = forked.Feed.start(lambda i: (i, f"task {i}".encode()), there, 2)
    assert feed is not None
    for i in range(40):
        feed.give(f"task {i}".encode())
    assert feed.finish() == [(i, f"task {i}".encode()) for i in range(40)]


def test_a_feed_closed_stops_its_copies(copies_started: list[int]) -> None:
    pids = copies_started
    feed = forked.Feed.start(lambda i: i, lambda i, task: i, 3)
    assert feed is not None
    feed.give(b"t")
    feed.close()
    assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ChildProcessError):  # stopped and reaped
            os.waitpid(pid, os.WNOHANG)


def test_no_feed_where_it_cannot_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    assert forked.Feed.start(lambda i: i, lambda i, task: i, 1) is None
    name = "a library that forbids forking"
    monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    assert forked.Feed.start(lambda i: i, lambda i, task: i, 2) is None


def test_no_feed_when_the_system_refuses_every_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    assert forked.Feed.start(lambda i: i, lambda i, task: i, 2) is None


# The scan started while the tree is walked (audit.scan.Ahead) -----------------------------


def _ahead_scan(root: Path, settings: ScanSettings, told: list[tuple[int, int]] | None = None):  # type: ignore[no-untyped-def]
    with scan_ahead(root, settings) as ahead:
        assert ahead is not None
        found = discover(root, use_git=False, found=ahead.add)
        given = sum(len(c) for c in ahead.chunks) + len(ahead.pending)
        out = scan(
            found, settings=settings, ahead=ahead, progress=_told(told if told is not None else [])
        )
    return out, given


@pytest.mark.parametrize("cache", [False, True])
def test_a_scan_started_during_the_walk_finds_what_one_process_finds(
    tmp_path: Path, cache: bool
) -> None:
    root = _tree(tmp_path / "t", 150)
    plain = scan(discover(root, use_git=False))
    cache_dir = tmp_path / "cache" if cache else None
    settings = ScanSettings(
        jobs=2, ahead_min_files=0, cache_dir=cache_dir, fork_min_files=10, chunk_files=8
    )
    told: list[tuple[int, int]] = []
    found, given = _ahead_scan(root, settings, told)
    assert found == plain
    assert given == 151  # every file was given ahead
    assert told[-1] == (151, 151)
    assert [n for n, _ in told] == sorted(n for n, _ in told)
    if cache:  # the copies wrote the cache entries: a second run reads no file
        with scan_ahead(root, settings) as again:
            assert again is None  # warm: nothing to start ahead
        assert scan(discover(root, use_git=False), settings=settings) == plain


def test_a_copy_that_dies_during_the_walk_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path / "t", 150)
    plain = scan(discover(root, use_git=False))
    here = os.getpid()
    there = Ahead._there

    def dying(self: Ahead, i: int, task: bytes):  # type: ignore[no-untyped-def]
        if os.getpid() != here and i >= 3:
            os._exit(3)  # in the middle of the walk, with tasks taken and not sent
        return there(self, i, task)

    monkeypatch.setattr(Ahead, "_there", dying)
    settings = ScanSettings(jobs=2, ahead_min_files=0, fork_min_files=10, chunk_files=8)
    assert _ahead_scan(root, settings)[0] == plain


def test_nothing_ahead_where_it_cannot_fork(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan after the walk reads every file (here, in one process)."""
    root = _tree(tmp_path / "t", 30)
    plain = scan(discover(root, use_git=False))
    name = "a library that forbids forking"
    monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    settings = ScanSettings(
        jobs=2, ahead_min_files=0, fork_min_files=10, chunk_files=8, pool_min_files=10_000
    )
    found, given = _ahead_scan(root, settings)
    assert (found, given) == (plain, 0)


def test_nothing_ahead_with_one_process_or_a_warm_cache(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t", 12)
    with scan_ahead(root, ScanSettings(jobs=1)) as ahead:
        assert ahead is None
    settings = ScanSettings(
        jobs=2, ahead_min_files=0, cache_dir=tmp_path / "cache", fork_min_files=10_000
    )
    with scan_ahead(root, settings) as ahead:
        assert ahead is not None  # cold: no cache of this root yet
    scan(discover(root, use_git=False), settings=settings)
    with scan_ahead(root, settings) as ahead:
        assert ahead is None


def test_a_file_whose_path_fills_no_record_is_scanned_after_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records of 300 bytes here (4 KiB really: a path that long is near the system's
    limit): the file whose path alone is longer is scanned by this process afterwards."""
    monkeypatch.setattr(forked.Feed, "ROOM", 300)
    root = _tree(tmp_path / "t", 40)
    deep = root / ("d" * 200) / ("e" * 100)
    deep.mkdir(parents=True)
    (deep / "x.c").write_text("// SPDX-License-Identifier: Apache-2.0\n")
    plain = scan(discover(root, use_git=False))
    assert "Apache-2.0" in {n.expression for n in plain.result.notices}
    settings = ScanSettings(jobs=2, ahead_min_files=0, fork_min_files=10, chunk_files=8)
    found, given = _ahead_scan(root, settings)
    assert (found, given) == (plain, 41)


def test_files_given_ahead_are_read_back_as_found() -> None:
    """A task holds each file's size, link flag and path; the copy rebuilds what scanning
    needs."""
    files = [
        Candidate("a/b/one.c", 10, False, 5, 6),
        Candidate("a/b/two.c", 0, True, 5, 6),
        Candidate("a/bé/three.c", 2**40, False, 5, 6),
        Candidate("z", 1, False, 5, 6),
        Candidate("y", 1, False, 5, 6),
        Candidate("a/b/new\nline", 3, False, 5, 6),
    ]
    assert _files(_task(files)) == [Candidate(c.path, c.size, c.link) for c in files]


def test_a_task_holds_the_files_of_a_record() -> None:
    """Tasks grow with the files found (about a sixteenth of them per process, at least 8),
    up to ``chunk_files`` files, or fewer where their paths fill a record (4 KiB)."""
    settings = ScanSettings(jobs=2, ahead_min_files=0, fork_min_files=1, chunk_files=200)
    ahead = Ahead(Path("/nowhere"), settings)
    given: list[bytes] = []
    ahead.feed = types.SimpleNamespace(ROOM=forked.Feed.ROOM, give=given.append)  # type: ignore[assignment]
    ahead.room = forked.Feed.ROOM
    for i in range(5000):
        ahead.add(Candidate(f"d/f{i:04}", i, False))
    ahead._give()
    sizes = [len(_files(t)) for t in given]
    assert sum(sizes) == 5000
    assert sizes[:3] == [8, 8, 8]  # while fewer than 16 x 8 files are found
    assert sizes[:-1] == sorted(sizes[:-1])
    assert sizes[-2] == 200
    # the count, then size, link flag, path and separator per file (none after the last)
    assert len(given[-2]) == 2 + 200 * (8 + 1 + len("d/f0000") + 1) - 1
    given.clear()
    for i in range(200):  # a directory each: 10 + 68 bytes a file, 52 fill a record
        ahead.add(Candidate(f"dir{i:04}/" + "x" * 60, i, False))
    ahead._give()
    assert [len(_files(t)) for t in given] == [52, 52, 52, 44]
    assert all(len(t) <= forked.Feed.ROOM for t in given)


def test_a_small_tree_is_cut_in_small_tasks(tmp_path: Path) -> None:
    """479 files (falco's count): tasks of 8 to 29 files, as a scan after the walk cuts
    them (so that both processes end together), never three tasks of 200."""
    root = _tree(tmp_path / "t", 478)
    settings = ScanSettings(jobs=2, ahead_min_files=0)
    with scan_ahead(root, settings) as ahead:
        assert ahead is not None
        out = scan(discover(root, use_git=False, found=ahead.add), settings=settings, ahead=ahead)
    sizes = [len(c) for c in ahead.chunks]
    assert out.files_scanned == sum(sizes) == 479
    assert sizes[0] == 8
    assert max(sizes) <= 479 // 16
    assert len(sizes) > 16


def test_an_error_during_the_walk_stops_the_copies(
    tmp_path: Path, copies_started: list[int]
) -> None:
    pids = copies_started
    root = _tree(tmp_path / "t", 100)
    settings = ScanSettings(jobs=2, ahead_min_files=0, fork_min_files=10, chunk_files=8)
    seen: list[Candidate] = []

    def found(cand: Candidate) -> None:
        ahead.add(cand)
        seen.append(cand)
        if len(seen) == 50:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), scan_ahead(root, settings) as ahead:
        assert ahead is not None
        discover(root, use_git=False, found=found)
    assert len(pids) == 1
    with pytest.raises(ChildProcessError):  # stopped and reaped
        os.waitpid(pids[0], os.WNOHANG)


def test_no_pool_server_while_copies_scan_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once this process has parsed a Dockerfile it may no longer fork; the scan's pool
    would then be booted ahead (audit.scan.prestart), for nothing: the copies started
    before scan every file found."""
    booted: list[bool] = []
    monkeypatch.setattr(scan_module._SERVER, "start", lambda licenses=True: booted.append(licenses))
    root = _tree(tmp_path / "t", 20)
    settings = ScanSettings(jobs=2, ahead_min_files=0, fork_min_files=10, pool_min_files=10)
    with scan_ahead(root, settings) as ahead:
        assert ahead is not None
        discover(root, use_git=False, found=ahead.add)
        assert ahead.feed is not None  # its copies scan
        name = "a library that forbids forking"
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
        scan_module.prestart(20, settings, root, ahead=ahead)
        assert booted == []
    scan_module.prestart(20, settings, root)  # without copies: booted ahead
    assert booted == [True]


def test_a_tree_smaller_than_ahead_min_files_is_scanned_after_the_walk(tmp_path: Path) -> None:
    """By default nothing is scanned during the walk of a tree of 479 files (falco's
    count): the copies are forked after it, as by a scan given the whole list."""
    root = _tree(tmp_path / "t", 478)
    settings = ScanSettings(jobs=2)
    assert settings.ahead_min_files == 5000
    with scan_ahead(root, settings) as ahead:
        assert ahead is not None
        out = scan(discover(root, use_git=False, found=ahead.add), settings=settings, ahead=ahead)
    assert ahead.chunks == []
    assert out.files_scanned == 479


def test_outcomes_taken_by_place_or_by_candidate() -> None:
    """The outcomes of an early scan that was given every file found, in that order, are
    matched to the sorted files by place (:attr:`Discovery.found_order`); otherwise (a
    file was not given) by candidate."""
    a, b, c = Candidate("a.c", 1), Candidate("b.c", 1), Candidate("c.c", 1)
    one, two, three = (scan_module._Outcome(True, key=(k, 0, 0)) for k in (1, 2, 3))
    # found in the order c, a, b; given in two tasks
    whole = scan_module._Taken([[c, a], [b]], [[three, one], [two]], whole=True)
    assert len(whole) == 3
    assert whole.of([a, b, c], (1, 2, 0)) == [one, two, three]
    assert whole.of([a, b, c], ()) == [one, two, three]  # not told where: by candidate
    some = scan_module._Taken([[c]], [[three]])
    assert some.of([a, b, c], (1, 2, 0)) == [None, None, three]
