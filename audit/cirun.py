"""The ``ci-run`` node: a Makefile target or a script of the repository that a CI step runs.

The shell reader records one per such step (audit/shell/record.py); audit/ci_follow.py
reads the file it names after the scan, as the step runs it, and drops the node. The two
words they share live here, apart from both: a warm run, whose readings come from the
cache, follows CI without loading the shell package.
"""

from __future__ import annotations

RUN_NODE = "ci-run"
"""Node kind of a run the shell reader records; dropped by audit/ci_follow.py."""
RUN_KIND = "run"
"""Property of a ``ci-run`` node: ``make`` or ``script``."""

__all__ = ["RUN_KIND", "RUN_NODE"]
