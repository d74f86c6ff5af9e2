"""The CNCF foundation's own reading of a License Exception Request issue, in Python.

Reimplemented from the definitions in cncf/foundation's workflows (read at commits
2dddc329570c7e6683f417bfdc5845d88dcb17b2 and 0bc6632406ec15ea3dc2f80d64e514d2bb563f55):

- ``license-exception-triage.yml`` and ``license-exception-decision.yml`` (which replaced
  ``license-exception-approved.yml``) take the project as the first line after the blank
  line that follows "For which CNCF project" (JavaScript
  ``/For which CNCF project[^]*?\\n\\n([^\\n]+)/``), ``"Unknown"`` when there is none;
- both find the component table as the first line holding ``|``…``Component``…``|``, the
  separator row after it, and the rows up to a blank line, a ``###`` heading or the end;
- decision.yml splits a row on every ``|`` after stripping the outer ones, keeps empty cells,
  skips rows without a component (column 1) or a license (column 4), unwraps a Markdown link
  or ``<url>`` in columns 2 and 3, and records package = column 1, packageUrl = column 2,
  license = column 4, scope = column 5 plus `` (used at: URL)`` when column 3 holds an http(s)
  URL;
- approved.yml (its predecessor) split on ``|`` and dropped empty cells, needed 4 cells, and
  took package, packageUrl, license, scope from cells 1, 2, 4 and 5;
- triage.yml flags a component as a possible duplicate when its column-1 text, lower-cased
  and without ``http(s)://`` and a trailing ``/``, equals a record's package, lower-cased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# JavaScript's [^] (any character) is [\s\S] in Python.
PROJECT = re.compile(r"For which CNCF project[\s\S]*?\n\n([^\n]+)")
TABLE = re.compile(r"\|[^\n]*Component[^\n]*\|[\s\S]*?\n\|[-|\s]+\|\n([\s\S]*?)(?=\n\n|\n###|\Z)")


@dataclass(frozen=True)
class Record:
    package: str
    package_url: str | None
    license: str
    project: str
    scope: str | None


def project(body: str) -> str:
    m = PROJECT.search(body)
    return m.group(1).strip() if m else "Unknown"


def _rows(body: str) -> list[str]:
    m = TABLE.search(body)
    return m.group(1).strip().split("\n") if m else []


def _to_url(cell: str) -> str | None:
    if not cell:
        return None
    md = re.search(r"\[[^\]]*\]\((\S+?)\)", cell)
    if md:
        return md.group(1)
    angle = re.fullmatch(r"<(\S+)>", cell)
    return angle.group(1) if angle else cell


def decision_records(body: str) -> list[Record]:
    """license-exception-decision.yml's records."""
    name = project(body)
    out = []
    for row in _rows(body):
        stripped = re.sub(r"\|$", "", re.sub(r"^\|", "", row.strip()))
        cells = [c.strip() for c in stripped.split("|")]
        while len(cells) < 5:
            cells.append("")
        if not cells[0] or not cells[3]:
            continue
        usage = _to_url(cells[2])
        scope = cells[4]
        if usage and re.match(r"^https?://", usage, re.I):
            scope = f"{scope} (used at: {usage})" if scope else f"(used at: {usage})"
        out.append(Record(cells[0], _to_url(cells[1]), cells[3], name, scope or None))
    return out


def approved_records(body: str) -> list[Record]:
    """license-exception-approved.yml's records (empty cells dropped)."""
    name = project(body)
    out = []
    for row in _rows(body):
        cells = [c.strip() for c in row.split("|") if c.strip()]
        if len(cells) >= 4 and cells[0]:
            scope = cells[4] if len(cells) >= 5 and cells[4] else None
            out.append(Record(cells[0], cells[1] or None, cells[3], name, scope))
    return out


def triage_components(body: str) -> list[str]:
    """license-exception-triage.yml's component names (column 1 of each row)."""
    out = []
    for row in _rows(body):
        stripped = re.sub(r"\|$", "", re.sub(r"^\|", "", row.strip()))
        cells = [c.strip() for c in stripped.split("|")]
        if cells[0]:
            out.append(cells[0])
    return out
