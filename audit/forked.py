"""Work spread over forked copies of this process.

A forked copy starts at once with everything this process has loaded (modules, the license
data, compiled classes): nothing is imported or loaded again, unlike a pool of fresh
processes. Tasks are numbered; every process (this one too) takes the next number from a
pipe that holds them all, so that the processes stay busy until the last task. A copy sends
each task's result back as soon as it has it (so that it holds little), and this process
takes them in between its own tasks.

Forking is safe only in some states, so :func:`ready` must hold first: Linux (elsewhere a
fork may break system libraries), a single thread (a lock held by another thread would stay
held in the copy) and none of :data:`FORK_UNSAFE` loaded (the ``dockerfile`` parser is a Go
library: its runtime's threads do not survive a fork). A copy that dies loses nothing: the
tasks it did not send back are done again here, so a run is never worse than one process.

:func:`run` spreads tasks all known at the start; a :class:`Feed` takes tasks while the copies
already work on the first ones (a scan that starts while the tree is still walked).

Both can run a ``meanwhile`` job here once the copies work, before this process takes
tasks: work of the caller's own that does not need the tasks' results (what the stages
after the scan need of the file list alone, modules they import). The copies take more
tasks meanwhile, so a job of ``J`` seconds costs a run about ``J / 2`` instead of ``J`` on
two processes (:class:`audit.later.Later` holds such a job, so that a run that does not
fork does the same work in order).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

if sys.platform != "win32":  # PIPE_BUF: what one write puts in a pipe at once
    from select import PIPE_BUF
else:  # pragma: no cover - never forks there
    PIPE_BUF = 512

try:  # the pickler itself: pickle.py's own (pure Python) classes are not needed here
    from _pickle import dumps, loads
except ImportError:  # pragma: no cover - an interpreter without the C pickler
    from pickle import dumps, loads

T = TypeVar("T")

FORK_UNSAFE = ("dockerfile",)
"""Modules whose native runtime does not survive a fork."""

MAX_TASKS = 8192
"""More tasks than this do not fit the task pipe ahead (it holds at least 64 KiB on Linux,
unless the user's pipe allowance is spent: then :func:`run` declines)."""

_NUMBER = struct.Struct("<I")
_PROTOCOL = 5
"""The pickle protocol of the results (the highest of Python 3.8 on)."""
_PIPE_BYTES = 1 << 20
"""Room asked for a copy's result pipe (Linux allows 1 MiB unprivileged by default): a copy
rarely waits for this process to take its results."""


def ready() -> bool:
    """Whether :func:`run` may fork now (see the module's text)."""
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and threading.active_count() == 1
        and not any(name in sys.modules for name in FORK_UNSAFE)
    )


def run(
    tasks: int,
    work: Callable[[int], T],
    jobs: int,
    done: Callable[[int], None] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[T] | None:
    """``[work(0), ..., work(tasks - 1)]``, computed by this process and up to ``jobs - 1``
    forked copies; ``done(i)`` is called here once task ``i``'s result is here. None when
    this process cannot fork now (:func:`ready`, or no pipe room): nothing was done then
    (``meanwhile`` not called either). ``meanwhile()`` is called here once, as soon as the
    copies are started, before this process takes tasks (see the module's text). An
    exception of ``work`` or ``meanwhile`` in this process stops the copies and is raised.
    """
    if jobs < 2 or tasks < 2 or tasks > MAX_TASKS or not ready():
        return None
    queue = _task_pipe(tasks)
    if queue is None:
        return None
    got = _Results[T](done)
    copies: list[_Copy] = []
    try:
        for _ in range(min(jobs, tasks) - 1):
            try:
                copies.append(_fork(queue, work, copies))
            except OSError:  # no more processes or memory for one: fewer copies
                break
        if meanwhile is not None:
            meanwhile()
        return got.gather(queue, _NUMBER.size, work, copies, tasks)
    finally:
        _stop(copies)
        os.close(queue)


@dataclass
class _Copy:
    """One forked copy: its process id and the pipe its results come back on."""

    pid: int
    fd: int
    """The read end of its result pipe; -1 once at its end (and closed)."""
    pending: bytearray = field(default_factory=bytearray)


@dataclass
class _Results(Generic[T]):
    """The results received so far, by task."""

    done: Callable[[int], None] | None
    values: dict[int, T] = field(default_factory=dict)

    def add(self, i: int, value: T) -> None:
        if i in self.values:
            return
        self.values[i] = value
        if self.done is not None:
            self.done(i)

    def gather(
        self, queue: int, size: int, here: Callable[[int], T], copies: list[_Copy], count: int
    ) -> list[T]:
        """The ``count`` results in task order: the tasks left in ``queue`` (records of
        ``size`` bytes) done here meanwhile taking the copies' results, then every copy's
        results until it ends (reaped), then here again the tasks of a copy that died."""
        while (task := _claim(queue, size)) is not None:
            self.add(task[0], here(task[0]))
            for copy in copies:
                self.take(copy, block=False)
        for copy in copies:
            while copy.fd >= 0:
                self.take(copy, block=True)
            _reap(copy.pid)
        for i in range(count):  # those of a copy that died
            if i not in self.values:
                self.add(i, here(i))
        return [self.values[i] for i in range(count)]

    def take(self, copy: _Copy, *, block: bool) -> None:
        """Read what ``copy`` sent (waiting for something when ``block``) and add each
        whole result."""
        if copy.fd < 0:
            return
        wait = block
        while True:
            try:
                os.set_blocking(copy.fd, wait)
                data = os.read(copy.fd, _PIPE_BYTES)
            except BlockingIOError:
                break
            wait = False
            if not data:  # the copy has ended; a result cut short is dropped
                os.close(copy.fd)
                copy.fd = -1
                break
            copy.pending += data
        for i, value in _frames(copy.pending):
            self.add(i, value)  # type: ignore[arg-type]


class Feed(Generic[T]):
    """Tasks given one by one to forked copies that already work, while this process still
    makes the next ones (a scan that starts while the tree is walked).

    Each task is a record of at most :data:`ROOM` bytes, written to one pipe all the copies
    read: a copy takes the next record when it is free, and sends its result back as
    :func:`run`'s copies do. A task the pipe has no room for is done here at once (the
    copies are behind). :meth:`finish` does here the tasks the copies have not taken, and
    again those of a copy that died; :meth:`close` stops the copies (after an exception).
    ``here(i)`` does task ``i`` in this process (which knows its own tasks), ``there(i,
    record)`` in a copy, from the record given; ``done(i)`` is called once task ``i``'s
    result is here.
    """

    RECORD = PIPE_BUF
    """Bytes per task record: one write of them is whole."""
    ROOM = RECORD - _NUMBER.size * 2
    """The most bytes a task may hold."""

    def __init__(
        self,
        here: Callable[[int], T],
        queue: int,
        writer: int,
        copies: list[_Copy],
        done: Callable[[int], None] | None,
    ) -> None:
        self.here = here
        self.queue = queue
        self.writer = writer
        self.copies = copies
        self.got = _Results[T](done)
        self.given = 0

    @classmethod
    def start(
        cls,
        here: Callable[[int], T],
        there: Callable[[int, bytes], T],
        jobs: int,
        done: Callable[[int], None] | None = None,
    ) -> Feed[T] | None:
        """Up to ``jobs - 1`` copies started, waiting for tasks; None when this process
        cannot fork now (:func:`ready`, or the system refuses every copy)."""
        if jobs < 2 or not ready():
            return None
        queue, writer = os.pipe()
        with contextlib.suppress(OSError):  # a smaller pipe: more tasks done here
            fcntl.fcntl(writer, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
        os.set_blocking(writer, False)

        def body(out: int, original: int) -> None:
            _copy(queue, lambda i, record: there(i, _unrecord(record)), out, original, cls.RECORD)

        copies: list[_Copy] = []
        try:
            for _ in range(jobs - 1):
                try:
                    copies.append(_start(body, copies, (writer,)))
                except OSError:  # no more processes or memory for one: fewer copies
                    break
        except BaseException:
            _stop(copies)
            os.close(queue)
            os.close(writer)
            raise
        if not copies:
            os.close(queue)
            os.close(writer)
            return None
        return cls(here, queue, writer, copies, done)

    def give(self, task: bytes) -> int:
        """Hand ``task`` (at most :data:`ROOM` bytes) to the copies; its number."""
        if len(task) > self.ROOM:
            raise ValueError(f"a task of {len(task)} bytes does not fit a record")
        i = self.given
        self.given += 1
        record = _NUMBER.pack(i) + _NUMBER.pack(len(task)) + task
        try:
            os.write(self.writer, record + bytes(self.RECORD - len(record)))
        except BlockingIOError:  # the pipe is full: the copies are behind
            self.got.add(i, self.here(i))
        for copy in self.copies:
            self.got.take(copy, block=False)
        return i

    def finish(self, meanwhile: Callable[[], object] | None = None) -> list[T]:
        """Every task's result, in task order, once the copies have ended. ``meanwhile()``
        is called here first, while the copies work on the tasks given (see the module's
        text); an exception of it stops the copies and is raised."""
        os.close(self.writer)
        self.writer = -1
        try:
            if meanwhile is not None:
                meanwhile()
            return self.got.gather(self.queue, self.RECORD, self.here, self.copies, self.given)
        finally:
            self.close()

    def close(self) -> None:
        """Stop and reap the copies still running, close the pipes (again: nothing)."""
        _stop(self.copies)
        self.copies = []
        for fd in (self.queue, self.writer):
            if fd >= 0:
                os.close(fd)
        self.queue = self.writer = -1


def _unrecord(record: bytes) -> bytes:
    """The task in what follows a task's number in its record."""
    (size,) = _NUMBER.unpack_from(record)
    return record[_NUMBER.size : _NUMBER.size + size]


def _stop(copies: list[_Copy]) -> None:
    """Kill, close and reap ``copies`` (all reaped already, unless an exception stopped
    the run)."""
    for copy in copies:
        if copy.fd >= 0:
            with contextlib.suppress(OSError):
                os.kill(copy.pid, signal.SIGKILL)
            os.close(copy.fd)
            copy.fd = -1
        _reap(copy.pid)


def _frames(pending: bytearray) -> Iterator[tuple[int, object]]:
    """The whole ``(task, result)`` frames at the start of ``pending``, removed from it."""
    start = 0
    while len(pending) - start >= _NUMBER.size:
        (size,) = _NUMBER.unpack_from(pending, start)
        end = start + _NUMBER.size + size
        if end > len(pending):
            break
        yield loads(pending[start + _NUMBER.size : end])
        start = end
    del pending[:start]


def _fork(
    queue: int, work: Callable[[int], T], others: list[_Copy], closing: tuple[int, ...] = ()
) -> _Copy:
    """A copy started, with the read end of its result pipe (OSError: none could be). The
    copy closes ``closing`` first (a task pipe's write end, which only this process holds)."""
    return _start(
        lambda out, original: _copy(queue, lambda i, _: work(i), out, original), others, closing
    )


def _start(
    body: Callable[[int, int], None], others: list[_Copy], closing: tuple[int, ...] = ()
) -> _Copy:
    """A copy running ``body(result pipe's write end, this process's pid)``, which never
    returns; the read end of its result pipe here (OSError: no copy could be started)."""
    r, w = os.pipe()
    try:
        with contextlib.suppress(OSError):  # a smaller pipe only makes the copy wait more
            fcntl.fcntl(w, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
        sys.stdout.flush()
        sys.stderr.flush()
        original = os.getpid()
        pid = os.fork()
    except BaseException:
        os.close(r)
        os.close(w)
        raise
    if pid == 0:  # the copy: never returns, whatever happens
        try:
            os.close(r)
            for fd in (*closing, *(other.fd for other in others)):
                os.close(fd)
            body(w, original)
        finally:
            os._exit(1)
    os.close(w)
    return _Copy(pid, r)


def _task_pipe(tasks: int) -> int | None:
    """The read end of a pipe holding every task number, its write end closed (so that a
    read past the last one meets the end); None when the pipe has no room for them all."""
    r, w = os.pipe()
    data = b"".join(_NUMBER.pack(i) for i in range(tasks))
    try:
        os.set_blocking(w, False)
        try:
            written = os.write(w, data)
        except BlockingIOError:
            written = 0
    finally:
        os.close(w)
    if written != len(data):
        os.close(r)
        return None
    return r


def _claim(queue: int, size: int = _NUMBER.size) -> tuple[int, bytes] | None:
    """The next task's number and what follows it in its record of ``size`` bytes, or None
    when none is left. A pipe read of a record is whole: the kernel serves one reader at a
    time, every record was written at once (at most :data:`PIPE_BUF` bytes) and every read
    asks for one record."""
    data = os.read(queue, size)
    if len(data) < size:
        return None
    return int(_NUMBER.unpack_from(data)[0]), data[_NUMBER.size :]


def _copy(
    queue: int,
    work: Callable[[int, bytes], T],
    out: int,
    original: int,
    size: int = _NUMBER.size,
) -> None:
    """A forked copy's whole life: work while tasks are left and the original lives,
    sending each result, then exit without running the exit handlers (they belong to the
    original)."""
    code = 1
    try:
        while os.getppid() == original and (task := _claim(queue, size)) is not None:
            i, record = task
            data = dumps((i, work(i, record)), protocol=_PROTOCOL)
            frame = memoryview(_NUMBER.pack(len(data)) + data)
            while frame:
                frame = frame[os.write(out, frame) :]
        code = 0
    except BaseException:  # the original does again the tasks not sent
        code = 1
    finally:
        os._exit(code)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
