"""The ``depaudit`` process ends without tearing the interpreter down.

Once a command has returned, its report is written and closed; what is left for a normal
exit to do is to run the exit handlers, flush the standard streams and then free every
module and object one by one: 8–17 ms after a scan of a few hundred to a few thousand
files, more than the process's own exit (measured from the command's return to the parent's
``wait``: libs-0.13.1 16 → 7 ms, kepler-0.7.11 25 → 9 ms). :func:`exit_now` does the first
two and leaves the freeing to the operating system.

Only the command-line entry points call it (``depaudit`` and ``python -m audit``):
:func:`audit.cli.main` returns its exit code to a caller that embeds it, whose process is
left alone. Where another thread is still running, the exit is the normal one, which waits
for it.

The same holds for the large data a stage is done with before the process ends (the
scan's per-file outcomes, the discovered files, the grouping's per-file records: 100,000s
of objects on a large tree): freed one by one where the stage returns, about 50 ms of a
100,000-file audit, all of it after the scan, where nothing else runs. In a process that
:func:`exit_now` ends, the pipeline gives them to :func:`keep` instead (once
:func:`keep_until_exit` was called, as the command-line entry points do), and the
operating system frees them with the rest. Elsewhere :func:`keep` does nothing: a caller
that embeds depaudit frees them as before.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn

_kept: list[object] | None = None
"""What :func:`keep` holds, once :func:`keep_until_exit` was called."""


def keep_until_exit() -> None:
    """From now on, hold what :func:`keep` is given until the process ends: only for a
    process that :func:`exit_now` ends (it never frees what it holds)."""
    global _kept
    if _kept is None:
        _kept = []


def keep(*objects: object) -> None:
    """Objects the caller is done with: held until the process ends (the operating system
    frees them at :func:`exit_now`) once :func:`keep_until_exit` was called, else left to
    be freed as usual."""
    if _kept is not None:
        _kept.append(objects)


def exit_now(code: int) -> NoReturn:
    """End the process with ``code`` once the exit handlers have run (:mod:`atexit`:
    logging's flush, the worker pool's finalizers) and stdout and stderr are flushed; a
    stream that cannot be flushed (a closed pipe) loses what it held, as at a normal exit,
    and the code is kept."""
    threading = sys.modules.get("threading")  # no thread was started where it is not loaded
    if threading is not None and threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a reader that went away, a stream closed
            pass
    os._exit(code)


__all__ = ["exit_now", "keep", "keep_until_exit"]
