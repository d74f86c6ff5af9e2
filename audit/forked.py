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
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

FORK_UNSAFE = ("dockerfile",)
"""Modules whose native runtime does not survive a fork."""

MAX_TASKS = 8192
"""More tasks than this do not fit the task pipe ahead (it holds at least 64 KiB on Linux,
unless the user's pipe allowance is spent: then :func:`run` declines)."""

_NUMBER = struct.Struct("<I")
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
) -> list[T] | None:
    """``[work(0), ..., work(tasks - 1)]``, computed by this process and up to ``jobs - 1``
    forked copies; ``done(i)`` is called here once task ``i``'s result is here. None when
    this process cannot fork now (:func:`ready`, or no pipe room): nothing was done then.
    An exception of ``work`` in this process stops the copies and is raised.
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
        while (i := _claim(queue)) is not None:
            got.add(i, work(i))
            for copy in copies:
                got.take(copy, block=False)
        for copy in copies:
            while copy.fd >= 0:
                got.take(copy, block=True)
            _reap(copy.pid)
        for i in range(tasks):  # those of a copy that died
            if i not in got.values:
                got.add(i, work(i))
    finally:
        for copy in copies:  # all reaped already, unless an exception stopped the run
            if copy.fd >= 0:
                with contextlib.suppress(OSError):
                    os.kill(copy.pid, signal.SIGKILL)
                os.close(copy.fd)
            _reap(copy.pid)
        os.close(queue)
    return [got.values[i] for i in range(tasks)]


@dataclass
class _Copy:
    pid: int
    fd: int
    """The read end of its result pipe; -1 once at its end (and closed)."""
    pending: bytearray = field(default_factory=bytearray)


@dataclass
class _Results(Generic[T]):
    done: Callable[[int], None] | None
    values: dict[int, T] = field(default_factory=dict)

    def add(self, i: int, value: T) -> None:
        if i in self.values:
            return
        self.values[i] = value
        if self.done is not None:
            self.done(i)

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


def _frames(pending: bytearray) -> Iterator[tuple[int, object]]:
    """The whole ``(task, result)`` frames at the start of ``pending``, removed from it."""
    start = 0
    while len(pending) - start >= _NUMBER.size:
        (size,) = _NUMBER.unpack_from(pending, start)
        end = start + _NUMBER.size + size
        if end > len(pending):
            break
        yield pickle.loads(pending[start + _NUMBER.size : end])
        start = end
    del pending[:start]


def _fork(queue: int, work: Callable[[int], T], others: list[_Copy]) -> _Copy:
    """A copy started, with the read end of its result pipe (OSError: none could be)."""
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
            for other in others:
                os.close(other.fd)
            _copy(queue, work, w, original)
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


def _claim(queue: int) -> int | None:
    """The next task number, or None when none is left. A pipe read of a few bytes is
    whole: the kernel serves one reader at a time, and the numbers were written at once."""
    data = os.read(queue, _NUMBER.size)
    if len(data) < _NUMBER.size:
        return None
    return int(_NUMBER.unpack(data)[0])


def _copy(queue: int, work: Callable[[int], T], out: int, original: int) -> None:
    """A forked copy's whole life: work while tasks are left and the original lives,
    sending each result, then exit without running the exit handlers (they belong to the
    original)."""
    code = 1
    try:
        while os.getppid() == original and (i := _claim(queue)) is not None:
            data = pickle.dumps((i, work(i)), protocol=pickle.HIGHEST_PROTOCOL)
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
