"""Where the repositories' tasks run: a local pool (the default), or Dask distributed.

Both run :func:`audit.org.task.audit_repository`, one task per repository, and yield each
:class:`~audit.org.task.RepoOutcome` as it completes. Each task's audit runs in its own
bounded child process, so a worker only supervises it.

- ``local``: ``--jobs`` threads on this machine, each supervising one child process.
- ``dask-local``: a Dask ``LocalCluster`` of ``--jobs`` worker processes, started here.
- ``dask://HOST:PORT``: the Dask scheduler at that address, and its workers (on any
  machine; each needs depaudit installed and the repositories' locations reachable).

Dask reschedules a lost worker's tasks; depaudit's own cluster allows one retry
(``distributed.scheduler.allowed-failures = 1``: a task on which two workers die is failed);
start a scheduler of your own with the same setting (docs/org-audit.md). Without the
``distributed`` extra, a Dask executor is one line saying what to install.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from audit.errors import InputError
from audit.org.task import RepoOutcome, RepoStatus, RepoTask, audit_repository

INSTALL_HINT = "the Dask executor needs the distributed extra: pip install 'depaudit[distributed]'"
ALLOWED_FAILURES = 1
"""Worker deaths a task survives on depaudit's own Dask cluster: it is retried once."""


@dataclass(frozen=True)
class ExecutorSpec:
    """``--executor``: ``local``, ``dask-local`` or ``dask://HOST:PORT``."""

    kind: str
    """``local``, ``dask-local`` or ``dask``."""
    address: str | None = None
    """The scheduler's address (``tcp://HOST:PORT``) for ``dask``."""

    @classmethod
    def parse(cls, text: str) -> ExecutorSpec:
        if text in ("local", "dask-local"):
            return cls(text)
        if text.startswith(("dask://", "tcp://", "tls://")):
            rest = text.split("://", 1)[1]
            if not rest or "/" in rest.rstrip("/"):
                raise ValueError(f"expected dask://HOST:PORT, got {text!r}")
            scheme = "tcp" if text.startswith("dask://") else text.split("://", 1)[0]
            return cls("dask", f"{scheme}://{rest.rstrip('/')}")
        raise ValueError(f"expected local, dask-local or dask://HOST:PORT, got {text!r}")


def run_tasks(spec: ExecutorSpec, tasks: Sequence[RepoTask], jobs: int) -> Iterator[RepoOutcome]:
    """Run ``tasks`` on the executor ``spec`` names; outcomes in completion order."""
    if spec.kind == "local":
        yield from _local(tasks, jobs)
        return
    with dask_client(spec, jobs) as client:
        yield from run_on_dask(client, tasks)


def _local(tasks: Sequence[RepoTask], jobs: int) -> Iterator[RepoOutcome]:
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="depaudit-org") as pool:
        futures = {pool.submit(audit_repository, t): t for t in tasks}
        for done in as_completed(futures):
            yield done.result()


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InputError(INSTALL_HINT) from None
    return distributed


@contextmanager
def dask_client(spec: ExecutorSpec, jobs: int) -> Iterator[Any]:
    """A Dask client: of the scheduler at ``spec.address``, or of a local cluster of ``jobs``
    single-threaded worker processes started (and stopped) here."""
    distributed = _distributed()
    if spec.address is not None:
        try:
            client = distributed.Client(spec.address, timeout="30s")
        except OSError as exc:
            raise InputError(f"cannot reach the Dask scheduler: {exc}", path=spec.address) from None
        with client:
            yield client
        return
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        cluster = distributed.LocalCluster(
            n_workers=max(1, jobs), threads_per_worker=1, processes=True,
            dashboard_address=None,
        )  # fmt: skip
        with cluster, distributed.Client(cluster) as client:
            yield client


def run_on_dask(client: Any, tasks: Sequence[RepoTask]) -> Iterator[RepoOutcome]:
    """One Dask task per repository on ``client``'s cluster; outcomes as they complete. A
    task whose workers were all lost (``KilledWorker``) is a failed repository."""
    distributed = _distributed()
    run = uuid.uuid4().hex[:8]
    futures = {
        client.submit(audit_repository, t, key=f"depaudit-org-{run}-{t.name}", pure=False): t
        for t in tasks
    }
    for future in distributed.as_completed(futures):
        task = futures[future]
        try:
            outcome: RepoOutcome = future.result()
        except distributed.KilledWorker:
            outcome = RepoOutcome(
                task.name, RepoStatus.FAILED,
                error="the Dask workers running it were lost (it was retried once)",
                attempts=ALLOWED_FAILURES + 1,
            )  # fmt: skip
        except Exception as exc:  # a task that raised: its message is the repository's error
            outcome = RepoOutcome(
                task.name, RepoStatus.FAILED, error=f"{type(exc).__name__}: {exc}"
            )
        else:
            starts = _processing_starts(client, future.key)
            if starts > 1:
                outcome = replace(outcome, attempts=outcome.attempts + starts - 1)
        yield outcome
        future.release()


def _processing_starts(client: Any, key: str) -> int:
    """How many times the scheduler started ``key`` (more than once: a worker was lost)."""
    try:
        story = client.story(key)
    except Exception:  # an older scheduler without the story: no count
        return 1
    # the scheduler's records: ("scheduler", key, start, finish, recommendations, ...)
    return sum(
        1
        for t in story
        if len(t) >= 4 and t[0] == "scheduler" and t[1] == key and t[3] == "processing"
    )
