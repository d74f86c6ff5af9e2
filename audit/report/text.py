"""Render a Report as text for a terminal or a CI log.

A summary (components, the exit code and why, decisions and notes counted), the decisions in
priority order (each with its severity, reason, evidence lines and what goes with it), a
component table, then the notes grouped by cause (a count and a few examples each) and
warnings. ``quiet`` keeps the summary and one line per decision (CI logs, pre-commit).

Everything fits ``width`` columns: prose is wrapped at spaces, the table is laid out to the
width, and ids and licenses are broken only after a ``/``, ``:``, ``@``, ``-`` or
``_`` or at a space, never inside a word (a single word longer than its column is the only
exception). Colors are off unless asked for, so that the output is the same on every
machine; the CLI asks for colors when stdout is a TTY and ``NO_COLOR`` is not set, and
passes the terminal's width. It is a summary for a person: an action shows at most
:data:`LIST_LIMIT` evidence lines and removable items, a note :data:`NOTE_EXAMPLES`
examples, a value at most :data:`LINE_LIMIT` characters; each cut says how much it left out
and that ``--format json`` has everything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len

from audit.model import Action, ComponentResult, Evidence, Note, Report, Status
from audit.report.json_report import (
    ACTION_TITLE,
    STATUS_ORDER,
    component_ids,
    note_count,
    ordered_actions,
    rows,
    severity_counts,
    status_counts,
)

if TYPE_CHECKING:
    from rich.style import Style

DEFAULT_WIDTH = 100
"""Columns when the caller names none (a file, a pipe, a CI log)."""

MIN_WIDTH = 60
"""The narrowest layout: below it lines are as wide as this."""

NOTE_EXAMPLES = 3
"""Examples shown per note group; the JSON report lists every item."""

LIST_LIMIT = 10
"""Evidence lines (and removable items) shown per action or finding; the rest are counted."""

LINE_LIMIT = 1000
"""Characters shown of one value line (``because: ...``); the rest are counted."""

MORE = "use --format json for all of them"

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")

TAB_SIZE = 8


def clean(value: str) -> str:
    """Control characters from scanned files (ESC, BEL, newlines) written as ``\\xNN``, so
    that a repository cannot send escape sequences to the terminal or break a line."""
    if value.isprintable():  # no control character: most values, told at C speed
        return value
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def _width(value: str) -> int:
    """Terminal cells of a :func:`clean`, tab-free value: one per character when it is
    ASCII (no control character, that would take none, is left), else rich's count."""
    return len(value) if value.isascii() else cell_len(value)


def expand_tabs(value: str) -> str:
    """Tabs as spaces up to the next multiple of :data:`TAB_SIZE` cells."""
    if "\t" not in value:
        return value
    out: list[str] = []
    width = 0
    for i, part in enumerate(value.split("\t")):
        if i:
            pad = TAB_SIZE - width % TAB_SIZE
            out.append(" " * pad)
            width += pad
        out.append(part)
        width += cell_len(part)
    return "".join(out)


STATUS_PHRASE: dict[Status, tuple[str, str]] = {
    # status: (one, many)
    Status.DENIED: ("denied", "denied"),
    Status.NEEDS_EXCEPTION: ("needs an exception", "need an exception"),
    Status.UNKNOWN: ("has an unknown license", "have an unknown license"),
    Status.ALLOWED_BY_EXCEPTION: ("allowed by exception", "allowed by exception"),
    Status.NOT_REQUIRED: ("not required", "not required"),
    Status.ALLOWED: ("allowed", "allowed"),
}

STATUS_STYLE: dict[Status, str] = {
    Status.DENIED: "bold red",
    Status.NEEDS_EXCEPTION: "red",
    Status.UNKNOWN: "yellow",
    Status.ALLOWED_BY_EXCEPTION: "cyan",
    Status.NOT_REQUIRED: "dim",
    Status.ALLOWED: "green",
}

SEVERITY_STYLE: dict[str, str] = {
    "denied": "bold red",
    "needs-exception": "red",
    "unknown": "yellow",
    "hygiene": "cyan",
}

COLUMNS: tuple[str, ...] = ("component", "license", "context", "distribution", "verdict")
_COLUMN_GAP = 3
"""Cells between two table columns."""

_BREAK_AFTER = re.compile(r"(?<=[/:@ _-])")
_HASH = re.compile(r"[0-9a-f]{21,}")
HASH_PIECE = 20
"""A commit hash or digest is not a word: it may be broken every this many characters."""


def _words(value: str) -> list[str]:
    """The pieces a cell may be broken into (see :func:`break_id`)."""
    out: list[str] = []
    for token in _BREAK_AFTER.split(value):
        if len(token) > HASH_PIECE and _HASH.fullmatch(token.rstrip("/:@ _-")):
            out.extend(token[i : i + HASH_PIECE] for i in range(0, len(token), HASH_PIECE))
        else:
            out.append(token)
    return out


def _widest_word(value: str) -> int:
    """The width of the widest of :func:`_words`."""
    if value.isascii():
        widest = max(map(len, _BREAK_AFTER.split(value)))
        if widest <= HASH_PIECE:  # no hash to break: the pieces are the words
            return widest
    return max(map(_width, _words(value)))


def summary_line(report: Report) -> str:
    """``examples/falco-2023: 7 components; 3 need an exception, 2 not required, 2 allowed``."""
    n = len(component_ids(report))
    counts = status_counts(report)
    parts = []
    for status in STATUS_ORDER:
        k = counts[status.value]
        if k:
            one, many = STATUS_PHRASE[status]
            parts.append(f"{k} {one if k == 1 else many}")
    noun = "component" if n == 1 else "components"
    line = f"{report.root}: {n} {noun}"
    if parts:
        line += "; " + ", ".join(parts)
    return line


def _context_line(report: Report) -> str:
    bits = [f"policy {report.policy.name}"]
    if report.policy.read_on:
        bits[0] += f" (read {report.policy.read_on})"
    bits.append(f"as of {report.as_of}" if report.as_of else "as of today")
    if report.project:
        bits.append(f"project {report.project}")
    if report.repository.commit:
        bits.append(f"commit {report.repository.commit[:12]}")
    return ", ".join(bits)


def decisions_line(report: Report) -> str:
    """``5 decisions: 2 denied, 3 needs-exception; 14 notes`` (counts by severity)."""
    total = len(report.actions)
    notes = note_count(report)
    tail = f"; {notes} note{'s' if notes != 1 else ''}" if notes else ""
    if not total:
        return "no decisions" + tail
    detail = ", ".join(f"{n} {sev}" for sev, n in severity_counts(report.actions).items() if n)
    return f"{total} decision{'s' if total != 1 else ''}: {detail}{tail}"


def _more(total: int, indent: str, what: tuple[str, str], limit: int = LIST_LIMIT) -> list[str]:
    """``… N more <what>: use --format json ...`` when ``total`` exceeds ``limit``;
    ``what`` is the noun (one, many)."""
    more = total - limit
    if more <= 0:
        return []
    return [f"{indent}… {more} more {what[0] if more == 1 else what[1]}: {MORE}"]


def shortened(line: str) -> str:
    """``line`` cut after :data:`LINE_LIMIT` characters (at a space when there is one in the
    second half), saying how many characters were left out."""
    if len(line) <= LINE_LIMIT:
        return line
    cut = line.rfind(" ", LINE_LIMIT // 2, LINE_LIMIT + 1)
    kept = line[: cut if cut > 0 else LINE_LIMIT].rstrip()
    return f"{kept} … {len(line) - len(kept)} more characters: {MORE}"


def _license_cell(result: ComponentResult | None) -> str:
    if result is None:
        return "-"
    return result.license.expression or "unknown"


_LINES: dict[int, re.Pattern[str]] = {}


def _lines(width: int) -> re.Pattern[str]:
    """The lines :func:`break_id` makes of an ASCII value without a hash, ``width`` cells
    wide, as one pattern's matches: the longest run of words that fits (it ends after a
    break character, or at the end), else one word alone (wider than a line)."""
    pattern = _LINES.get(width)
    if pattern is None:
        pattern = _LINES[width] = re.compile(
            rf".{{1,{width}}}(?:(?<=[/:@ _-])|\Z)|[^/:@ _-]+[/:@ _-]?|[/:@ _-]", re.DOTALL
        )
    return pattern


def break_id(value: str, width: int) -> list[str]:
    """``value`` in lines of at most ``width`` cells, broken only after ``/``, ``:``, ``@``,
    ``-``, ``_`` or a space, and inside a commit hash: an id or a license is never cut
    inside a word (a longer word stays whole)."""
    if _width(value) <= width:
        return [value]
    if width > 0 and value.isascii() and not _HASH.search(value):  # most ids: one pass in C
        return [line.rstrip() for line in _lines(width).findall(value)]
    lines: list[str] = []
    current = ""
    ascii = value.isascii()  # then a width is a length: no string made to measure it
    for token in _words(value):
        if current and (len(current) + len(token) if ascii else _width(current + token)) > width:
            lines.append(current.rstrip())
            current = ""
        current += token
    if current:
        lines.append(current.rstrip())
    return lines


_WORDS = re.compile(r"( *)([^ ]+)")


def wrap(text: str, width: int, indent: str, hang: str) -> list[str]:
    """``text`` in lines of at most ``width`` cells, broken at spaces; a word longer than a
    line (a URL, a long id) is broken by :func:`break_id`, never inside a word."""
    room = max(width - _width(hang), 1)
    pieces: list[tuple[str, str]] = []  # (piece, the spaces before it)
    for spaces, word in _WORDS.findall(text):
        parts = break_id(word, room) if _width(word) > room else [word]
        pieces.extend((part, spaces if i == 0 else "") for i, part in enumerate(parts))
    lines: list[str] = []
    current = indent
    empty = True
    for piece, spaces in pieces:
        joined = current + ("" if empty else spaces) + piece
        if not empty and _width(joined) > width:
            lines.append(current.rstrip())
            current, empty = hang + piece, False
            continue
        current, empty = joined, False
    lines.append(current.rstrip())
    return lines


class _Out:
    """Lines of text at most ``width`` cells wide, styled with ANSI codes when ``color``."""

    def __init__(self, color: bool, width: int) -> None:
        self.color = color
        self.width = max(width, MIN_WIDTH)
        self.lines: list[str] = []
        self._styles: dict[str, Style] = {}

    def style(self, text: str, style: str) -> str:
        if not self.color or not style or not text:
            return text
        from rich.color import ColorSystem  # only a colored report: not on every start-up
        from rich.style import Style

        s = self._styles.get(style)
        if s is None:
            s = self._styles[style] = Style.parse(style)
        return s.render(text, color_system=ColorSystem.STANDARD)

    def line(self, value: str, style: str = "", indent: str = "", hang: str = "") -> None:
        """``value`` wrapped at spaces to the width; continuation lines indented ``hang``
        more than ``indent``."""
        text = expand_tabs(clean(value)).rstrip()
        if _width(indent + text) <= self.width:
            self.lines.append(self.style(indent + text, style))
            return
        for part in wrap(text, self.width, indent, indent + (hang or "  ")):
            self.lines.append(self.style(part, style))

    def heading(self, title: str) -> None:
        self.lines.append("")
        self.line(title, "bold")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _evidence_lines(out: _Out, evidence: Sequence[Evidence], indent: str) -> None:
    for e in evidence[:LIST_LIMIT]:
        out.line(f"{e.location}  {e.text}", indent=indent, hang="    ")
    for more in _more(len(evidence), indent, ("evidence line", "evidence lines")):
        out.line(more)


def decision_title(number: int, action: Action) -> str:
    """``1. [denied] remove pypi:avocado-framework@69.0``."""
    return f"{number}. [{action.severity.value}] {ACTION_TITLE[action.kind]} {action.target}"


def _decision(out: _Out, number: int, action: Action) -> None:
    sev = action.severity.value
    title = decision_title(number, action)
    head, _, rest = title.partition(f"[{sev}]")
    if out.color and _width("  " + clean(title)) <= out.width:
        head, rest = clean(head), clean(rest)
        out.lines.append(
            "  " + head + out.style(f"[{sev}]", SEVERITY_STYLE[sev]) + out.style(rest, "bold")
        )
    else:
        out.line(title, indent="  ", hang="     ")
    out.line(shortened(f"because: {action.because}"), indent="     ")
    for key, value in sorted(action.properties):
        out.line(shortened(f"{key}: {value}"), indent="     ")
    if action.evidence:
        out.line("evidence:", indent="     ")
        _evidence_lines(out, action.evidence, "       ")
    if action.removable:
        out.line("goes with it:", indent="     ")
        for item in action.removable[:LIST_LIMIT]:
            out.line(f"- {item}", indent="       ")
        for more in _more(len(action.removable), "       ", ("item", "items")):
            out.line(more)


def _table(out: _Out, report: Report) -> None:
    """The component table, fitted to the width: the fixed columns (context, distribution,
    verdict) as wide as their cells, the rest shared by component and license; long ids and
    licenses go on several lines, broken by :func:`break_id` (a word wider than its column
    is cut at the column's edge); columns are :data:`_COLUMN_GAP` cells apart."""
    table_rows: list[tuple[list[str], str]] = []
    for cid, _comp, result in rows(report):
        if result is None:
            table_rows.append(([clean(cid), "-", "-", "-", "-"], ""))
            continue
        v = result.verdict
        cells = [cid, _license_cell(result), result.context, result.distribution]
        verdict = v.status.value + (f" ({v.exception})" if v.exception else "")
        if not "".join([*cells, verdict]).isprintable():  # no control character, no tab
            verdict = v.status.value + (f" ({clean(v.exception)})" if v.exception else "")
            cells = [expand_tabs(c) for c in map(clean, cells)]
            verdict = expand_tabs(verdict)
        table_rows.append(([*cells, verdict], STATUS_STYLE[v.status]))
    # a column is as wide as its widest cell (natural) and at least as its widest word
    columns = list(zip(*(cells for cells, _style in table_rows), strict=True))
    natural = [max(_width(h), *map(_width, set(c))) for h, c in zip(COLUMNS, columns, strict=True)]
    least = [_width(h) for h in COLUMNS]
    for i, column in enumerate(columns):
        for cell in set(column):
            if _width(cell) > least[i]:  # else no word of the cell is wider than least[i]
                least[i] = max(least[i], _widest_word(cell))
    widths = _fit(natural, least, out.width - _COLUMN_GAP * (len(COLUMNS) - 1))
    out.lines.extend(_laid_out(out, table_rows, widths))


_GAP = " " * _COLUMN_GAP
_RULE = "\u2500"
"""The line under the header (box drawing, light horizontal)."""


def _laid_out(
    out: _Out, table_rows: Sequence[tuple[list[str], str]], widths: Sequence[int]
) -> list[str]:
    """The table's lines: the header, a rule, then each row's cells broken into lines
    (:func:`break_id`) and cut or padded to their column; a row's verdict is styled."""
    lines: list[str] = []
    header = _GAP.join(_fitted(h, w) for h, w in zip(COLUMNS, widths, strict=True)).rstrip()
    lines.append(out.style(header, "bold"))
    lines.append(_RULE * (sum(widths) + _COLUMN_GAP * (len(COLUMNS) - 1)))
    w0, w1, w2, w3, w4 = widths
    for cells, style in table_rows:
        c0, c1, c2, c3, c4 = cells
        if (c0 + c1 + c2 + c3 + c4).isascii():  # most rows: what follows, inline
            fits = len(c0) <= w0 and len(c1) <= w1 and len(c2) <= w2 and len(c3) <= w3
            if fits and len(c4) <= w4:  # one line
                last = out.style(c4.rstrip(), style)
                row = [c0.ljust(w0), c1.ljust(w1), c2.ljust(w2), c3.ljust(w3), last]
                lines.append(_GAP.join(row).rstrip())
                continue
            if len(c1) <= w1 and len(c2) <= w2 and len(c3) <= w3 and len(c4) <= w4:
                # only the id is broken (most rows that do not fit): its first piece beside
                # the other cells, then each further piece alone on its line (the cells
                # beside it are empty: blank, and the line's end is stripped)
                first, *more = break_id(c0, w0)
                last = out.style(c4.rstrip(), style)
                row = [first[:w0].ljust(w0), c1.ljust(w1), c2.ljust(w2), c3.ljust(w3), last]
                lines.append(_GAP.join(row).rstrip())
                lines.extend([piece[:w0].rstrip() for piece in more])
                continue
            wrapped = [
                [c] if len(c) <= w else break_id(c, w) for c, w in zip(cells, widths, strict=True)
            ]
            *fixed, verdict = wrapped
            for k in range(max(map(len, wrapped))):
                row = [
                    (cell[k] if k < len(cell) else "")[:w].ljust(w)
                    for cell, w in zip(fixed, (w0, w1, w2, w3), strict=True)
                ]
                row.append(out.style(verdict[k][:w4].rstrip(), style) if k < len(verdict) else "")
                lines.append(_GAP.join(row).rstrip())
            continue
        wrapped = [
            [c] if len(c) <= w and c.isascii() else break_id(c, w)  # most cells fit: inline
            for c, w in zip(cells, widths, strict=True)
        ]
        *fixed, verdict = wrapped
        for k in range(max(map(len, wrapped))):
            parts = [
                _fitted(cell[k] if k < len(cell) else "", w)
                for cell, w in zip(fixed, widths[:-1], strict=True)
            ]
            last = (
                out.style(_fitted(verdict[k], widths[-1]).rstrip(), style)
                if k < len(verdict)
                else ""
            )
            lines.append(_GAP.join([*parts, last]).rstrip())
    return lines


def _fitted(value: str, width: int) -> str:
    """``value`` cut or padded to exactly ``width`` terminal cells (a wide character that
    would straddle the edge is left out and its cell padded)."""
    if value.isascii():
        return value[:width].ljust(width)
    cells = 0
    for i, char in enumerate(value):
        w = cell_len(char)
        if cells + w > width:
            value = value[:i]
            break
        cells += w
    return value + " " * (width - cells)


_FILL_ORDER = (4, 2, 3, 1, 0)
"""Columns in the order they get room beyond their longest word: verdict, context and
distribution whole first, then the license (up to :data:`LICENSE_FIRST` cells), then the
component id, then the license again."""

LICENSE_FIRST = 20
"""Cells the license column gets before the component column grows."""


def _fit(natural: list[int], least: list[int], available: int) -> list[int]:
    """Column widths within ``available`` cells: each at least its longest word (``least``),
    then grown toward its widest cell (``natural``) in :data:`_FILL_ORDER`. When even the
    longest words do not fit, the table is as wide as they are."""
    widths = list(least)
    room = available - sum(widths)
    for i in _FILL_ORDER:
        share = room if i != 1 else LICENSE_FIRST - widths[i]
        grow = max(0, min(natural[i] - widths[i], share, room))
        widths[i] += grow
        room -= grow
    grow = max(0, min(natural[1] - widths[1], room))  # the license takes what is left
    widths[1] += grow
    return widths


def _note(out: _Out, note: Note) -> None:
    out.line(f"{note.title} ({len(note.items)}, {note.cause.value})", indent="  ")
    for item in note.items[:NOTE_EXAMPLES]:
        out.line(shortened(f"- {item.subject}: {item.message}"), indent="    ", hang="  ")
    for more in _more(len(note.items), "    ", ("item", "items"), NOTE_EXAMPLES):
        out.line(more)


def render(
    report: Report, *, color: bool = False, width: int | None = None, quiet: bool = False
) -> str:
    """The report as text ``width`` columns wide (default :data:`DEFAULT_WIDTH`); ``color``
    adds ANSI styles (for a TTY); ``quiet`` keeps the summary and one line per decision."""
    out = _Out(color, width or DEFAULT_WIDTH)
    out.line(summary_line(report), "bold")
    out.line(_context_line(report))
    if report.outcome is not None:
        out.line(report.outcome.reason, "bold")
    out.line(decisions_line(report))
    actions = ordered_actions(report.actions)
    if quiet:
        for number, action in enumerate(actions, start=1):
            out.line(decision_title(number, action), indent="  ", hang="     ")
        return out.text()

    if actions:
        out.heading(f"Decisions ({len(actions)}), most urgent first")
        for number, action in enumerate(actions, start=1):
            _decision(out, number, action)

    ids = component_ids(report)
    out.heading(f"Components ({len(ids)})")
    if ids:
        _table(out, report)

    if report.notes:
        out.heading(
            f"Notes ({note_count(report)}): not decisions; by cause, with "
            f"{NOTE_EXAMPLES} examples each (--format json lists every item)"
        )
        for note in report.notes:
            _note(out, note)

    if report.warnings:
        out.heading(f"Warnings ({len(report.warnings)})")
        for w in report.warnings:
            out.line(shortened(w), indent="  ", hang="  ")

    return out.text()
