"""Shell command lines (Dockerfile RUN, CI ``run:`` steps, GitLab ``script:``) to components.

CONTRACT (other modules call this; keep the signature):

    scan_script(script, source, first_line, consumer, scanner, *,
                line_map=None, env=None, os_hint=None) -> ScanResult

- ``script``: the shell text. Script line i (0-based) is file line ``first_line + i``
  unless ``line_map`` gives the file line of each script line.
- ``consumer``: graph id of what runs the script (``ci-job:...``, ``dockerfile:...``);
  edges start there.
- ``env``: known variable values (Dockerfile ARG/ENV, CI ``environment:``) substituted
  before interpretation; anything still holding ``$`` is reported as ``unresolved``.
- ``os_hint``: distro of the base image (``fedora``, ``debian``...) for OS package ids.
Never raises on bad input: parse failures become Problems with path and line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from audit.model import ScanResult
from audit.scanners.base import SourceFile


def scan_script(
    script: str,
    source: SourceFile,
    first_line: int,
    consumer: str,
    scanner: str,
    *,
    line_map: Sequence[int] | None = None,
    env: Mapping[str, str] | None = None,
    os_hint: str | None = None,
) -> ScanResult:
    return ScanResult()
