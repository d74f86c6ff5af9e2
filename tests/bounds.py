"""Time and memory bounds for the hostile-input tests (see docs/security.md).

A bound is not a timing assertion: it is a ceiling far above what the work needs, that a
hang or a runaway allocation would cross. Crossing it fails the test instead of hanging the
suite or the machine.

- :func:`bounded` runs a block in this process under a wall-clock alarm (SIGALRM) and a
  ceiling on the memory Python allocates (tracemalloc's peak).
- :func:`run_depaudit` runs the command line in a child process with an address-space limit
  (RLIMIT_AS) and a timeout, and returns what it printed and its exit code.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

MIB = 1024 * 1024


class OverBound(AssertionError):
    """The work crossed its time or memory bound."""


@contextmanager
def bounded(seconds: int, megabytes: int) -> Iterator[None]:
    """Fail when the block runs longer than ``seconds`` (wall clock) or when Python's
    allocations peak above ``megabytes`` during it."""

    def alarm(signum: int, frame: FrameType | None) -> None:
        raise OverBound(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    signal.alarm(seconds)
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if not tracing:
            tracemalloc.stop()
    if peak > megabytes * MIB:
        raise OverBound(f"allocated {peak // MIB} MiB at peak, over the {megabytes} MiB bound")


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str


def run_depaudit(
    args: Sequence[str],
    *,
    cwd: Path,
    seconds: int = 120,
    megabytes: int = 1536,
    env: Mapping[str, str] | None = None,
) -> Ran:
    """``depaudit ARGS`` in a child process limited to ``megabytes`` of address space and
    ``seconds`` of wall clock (then killed: the test fails)."""
    limit = megabytes * MIB

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    full_env = {**os.environ, **(env or {})}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "audit", *args], cwd=cwd, env=full_env, capture_output=True,
            timeout=seconds, preexec_fn=limits, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise OverBound(f"depaudit {' '.join(args)} still running after {seconds} s") from None
    stderr = done.stderr.decode("utf-8", "replace")
    if "MemoryError" in stderr:
        raise OverBound(f"depaudit {' '.join(args)} ran out of its {megabytes} MiB: {stderr}")
    return Ran(done.returncode, done.stdout.decode("utf-8", "replace"), stderr)
