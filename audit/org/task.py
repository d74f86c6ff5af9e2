"""One repository's audit as plain data: a :class:`RepoTask` in, a :class:`RepoOutcome` out.

:func:`audit_repository` is the one unit of work every executor runs (a thread of the local
pool, a Dask task on any machine). It starts :mod:`audit.org.child` — a fresh Python
process that audits the repository exactly as ``depaudit scan`` does — bounded in time (a
wall-clock timeout, after which the child's whole process group is killed, and a CPU-time
limit that ends an orphaned child) and in memory (``RLIMIT_AS``), and reads back what it
wrote. A child that a signal ends which depaudit did not send (the kernel's OOM killer, an
operator) is started once more; every other failure is recorded for that repository, and
the run goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any

from audit.org import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT

MAX_ERROR_CHARS = 500
"""An error recorded for a repository is its last stderr line, cut to this length."""


class RepoStatus(str, Enum):
    AUDITED = "audited"
    """Audited now; the outcome carries the report."""
    SKIPPED = "skipped"
    """Unchanged since its last recorded run (same digest): not audited again."""
    FAILED = "failed"
    """The audit could not be completed (error, time-out, memory, lost twice)."""


@dataclass(frozen=True)
class RepoTask:
    """What a worker needs to audit one repository (plain data: it travels to other
    machines)."""

    name: str
    location: str
    """A local directory (as the scan is given it) or a git URL."""
    ref: str | None
    """The git ref for a URL; None for a local tree."""
    scan_args: tuple[str, ...]
    """Options of ``depaudit scan`` besides the path and the output (``--offline``...)."""
    options_digest: str
    """Digest of everything besides the tree the result depends on (depaudit's code and
    data, the options, the files they name, the as-of date)."""
    known_digest: str | None = None
    """The input digest of the repository's newest recorded run: equal means skip."""
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    cwd: str = "."
    """The folder relative locations and scan arguments are read from."""


@dataclass(frozen=True)
class RepoOutcome:
    """What became of one repository (plain data: it travels back from other machines)."""

    name: str
    status: RepoStatus
    input_digest: str | None = None
    exit_code: int | None = None
    """``depaudit scan``'s exit code (0 clean, 1 findings, 2 error)."""
    document: str | None = None
    """The ``depaudit/report/1`` JSON text, exactly as ``depaudit scan --format json``."""
    commit: str | None = None
    """The commit audited, when known (a git URL's fetched ref, or the tree's HEAD)."""
    commit_date: str | None = None
    error: str | None = None
    seconds: float = 0.0
    attempts: int = 1

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data


def audit_repository(task: RepoTask) -> RepoOutcome:
    """Audit one repository in a bounded child process (see the module docstring)."""
    started = time.monotonic()
    outcome = _attempt(task)
    if outcome is None:  # the child was killed by someone else: once more
        outcome = _attempt(task)
        if outcome is None:
            outcome = RepoOutcome(
                task.name, RepoStatus.FAILED, error="the audit was killed twice by a signal"
            )
        outcome = replace(outcome, attempts=2)
    return replace(outcome, seconds=round(time.monotonic() - started, 3))


def _attempt(task: RepoTask) -> RepoOutcome | None:
    with tempfile.TemporaryDirectory(prefix="depaudit-org-") as work:
        spec = Path(work) / "task.json"
        spec.write_text(json.dumps({**asdict(task), "work": work}), encoding="utf-8")
        argv = [sys.executable, "-m", "audit.org.child", str(spec)]
        try:
            proc = subprocess.Popen(
                argv, cwd=task.cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, start_new_session=True,
            )  # fmt: skip
        except OSError as exc:
            return _failed(task, f"cannot start the audit: {exc.strerror or exc}")
        try:
            _, stderr = proc.communicate(timeout=task.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            return _failed(task, f"timed out after {task.timeout:g} s")
        except BaseException:
            _kill_group(proc)
            raise
        finally:
            _kill_group(proc)  # the scan's own workers, if any outlived it
        result = _read_result(Path(work) / "result.json")
        code = proc.returncode
        if result is None and code < 0 and -code in (signal.SIGKILL, signal.SIGTERM):
            return None
        if result is None:
            return _failed(task, _last_line(stderr) or f"the audit ended with code {code}")
        if result.get("skipped"):
            return RepoOutcome(
                task.name, RepoStatus.SKIPPED, input_digest=result.get("digest"),
                commit=result.get("commit"),
            )  # fmt: skip
        exit_code = result.get("exit")
        report = Path(work) / "report.json"
        if exit_code not in (0, 1) or not report.is_file():
            why = _last_line(stderr) or f"depaudit scan exited with {exit_code}"
            return _failed(task, why, exit_code=exit_code, digest=result.get("digest"))
        return RepoOutcome(
            task.name,
            RepoStatus.AUDITED,
            input_digest=result.get("digest"),
            exit_code=exit_code,
            document=report.read_text(encoding="utf-8"),
            commit=result.get("commit"),
            commit_date=result.get("commit_date"),
        )


def _failed(
    task: RepoTask, error: str, *, exit_code: int | None = None, digest: str | None = None
) -> RepoOutcome:
    return RepoOutcome(
        task.name, RepoStatus.FAILED, input_digest=digest, exit_code=exit_code, error=error
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _read_result(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _last_line(stderr: bytes) -> str:
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    last = lines[-1].strip().removeprefix("depaudit: error: ") if lines else ""
    return last[:MAX_ERROR_CHARS]
