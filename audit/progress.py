"""A progress bar on stderr for scans that take more than a moment.

The scan stage reports ``(files done, files to scan)`` through a plain callback; this module
turns that into a rich progress bar, drawn only when stderr is a terminal and the scan has
more than :data:`THRESHOLD` files, so that CI logs, pipes and small trees get nothing.

The command line opens :func:`scan_progress` around an audit; :func:`audit.scan.scan` asks
:func:`current` for the callback when none is passed to it (the pipeline in between does not
carry it), as it does for its settings. The bar refreshes from the caller's thread only: no
background thread, so that scans can still fork their worker processes cheaply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO

ProgressCallback = Callable[[int, int], None]
"""``callback(done, total)``: ``done`` of ``total`` files scanned."""

THRESHOLD = 300
"""Scans of at most this many files draw no bar."""

_CURRENT: ContextVar[ProgressCallback | None] = ContextVar("depaudit_progress", default=None)


def current() -> ProgressCallback | None:
    """The callback of the enclosing :func:`reporting` block, if any."""
    return _CURRENT.get()


@contextmanager
def reporting(callback: ProgressCallback | None) -> Iterator[ProgressCallback | None]:
    """Make ``callback`` what :func:`current` returns inside the ``with`` block."""
    token = _CURRENT.set(callback)
    try:
        yield callback
    finally:
        _CURRENT.reset(token)


class ScanBar:
    """A progress callback that draws a bar on ``stream`` once a scan is large enough."""

    def __init__(self, stream: TextIO, threshold: int = THRESHOLD) -> None:
        self.stream = stream
        self.threshold = threshold
        self._progress: Any = None
        self._task: Any = None
        self._shown = -1
        self._total = 0

    def __call__(self, done: int, total: int) -> None:
        if total <= self.threshold:
            return
        if self._progress is None or total != self._total:
            self._start(total)
        step = max(1, total // 200)  # redraw at most ~200 times per scan
        if done >= total or done - self._shown >= step:
            self._progress.update(self._task, completed=min(done, total))
            self._progress.refresh()
            self._shown = done

    def _start(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.close()
        console = Console(file=self.stream, force_terminal=True, highlight=False)
        self._progress = Progress(
            TextColumn("scanning files"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            auto_refresh=False,
        )
        self._progress.start()
        self._task = self._progress.add_task("scan", total=total)
        self._total = total
        self._shown = -1

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


@contextmanager
def scan_progress(
    stream: TextIO | None = None, threshold: int = THRESHOLD, *, enabled: bool = True
) -> Iterator[ScanBar | None]:
    """A :class:`ScanBar` on ``stream`` (default: stderr) for the scans inside the block,
    when ``stream`` is a terminal and ``enabled`` (``--no-progress`` turns it off); nothing
    otherwise."""
    import sys

    out = stream if stream is not None else sys.stderr
    if not enabled or not _is_tty(out):
        yield None
        return
    bar = ScanBar(out, threshold)
    try:
        with reporting(bar):
            yield bar
    finally:
        bar.close()
