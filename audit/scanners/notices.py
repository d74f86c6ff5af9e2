"""Scanner: first-party license statements in source, build and license files.

It finds, per file, :class:`~audit.model.Notice` values of these kinds:

- ``spdx-tag``: ``SPDX-License-Identifier: <expr>`` in any comment style, normalized with
  license-expression (deprecated ids mapped: ``GPL-2.0`` -> ``GPL-2.0-only``);
- ``prose``: the usual header paragraphs (dual MIT/GPL, Apache-2.0, GNU "version N or
  (at your option) any later version", MIT / BSD / ISC permission texts);
- ``reference``: a pointer to a license file (``See MIT.txt or GPL.txt``, ``found in the
  LICENSE file``); ``raw`` is the file name, :mod:`audit.licenses.sources` checks it;
- ``module-license`` and ``ebpf-section``: the run-time strings of ``MODULE_LICENSE("...")``
  and of an eBPF ``license`` section, read with the kernel's table
  (:mod:`audit.licenses.kernel`);
- ``license-text``: whole license texts in LICENSE/COPYING/GPL2.txt-style files, one per
  license found (:mod:`audit.licenses.texts`), ``confidence`` = similarity;
- ``ebpf-program`` and ``kernel-build``: context hints without an expression (``*.bpf.c``,
  ``SEC("tp_btf/...")`` programs; ``obj-m`` in Kbuild/Makefile, ``dkms.conf``);
- from the license database (:mod:`audit.licenses.matcher`, when ``licensedcode-data`` is
  installed), for a file whose head holds no SPDX tag and no notice the finders above read:
  ``matched`` (``license-text`` in license files) with the matched ``rule`` and lines, and
  ``partial`` (no expression) naming the rule that matched too little to be trusted.

Which files (:mod:`audit.scanners.notice_files`): source, build and license files by name,
and every other text file (chosen by content: a binary file not so named is left alone,
not reported) except package manifests and lockfiles, whose license fields describe other
packages.

Speed: header notices are looked for in the head of a file only (:data:`HEAD_CHARS`,
:data:`HEAD_LINES`), read once per file and shared by every finder (:class:`_Head`: its
lines, raw and lower-case text, cleaned text, and the license database's reading); each
finder first looks for a word it needs in the raw head, so that the head's lines are
cleaned of comment markers only in files that may hold prose (lines cleaned before are
looked up while they repeat); a regular expression whose every match starts with a known
word is tried only where the word is; run-time strings and eBPF sections are looked for
only where the text's marks (:attr:`SourceFile.marks <audit.scanners.base.SourceFile.marks>`:
``MODULE_LICENSE``, ``license")``, ``SEC(``..., found in one pass shared with the UAPI
scanner's ``<linux/``) say they may be; whole-text similarity runs on license files only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import lru_cache
from itertools import repeat
from typing import cast

import ahocorasick_rs

from audit import spdx
from audit.licenses import kernel, texts
from audit.licenses import matcher as _db
from audit.licenses.matcher import Matcher, RuleMatch, Tokens
from audit.model import Evidence, Notice, Problem, ScanResult
from audit.scanners import textmarks
from audit.scanners.base import SourceFile, finditer_at, once
from audit.scanners.notice_files import (
    LICENSE_PREFIXES,
    LICENSE_TXT_STEM,
    NAME,
    anything_named,
    kinds,
    named,
    plain_source,
    wanted,
    wanted_by_ext,
)

HEAD_CHARS = 4096
HEAD_LINES = 60
DB_HEAD_CHARS = 16384
"""The head region the license database is matched over (license files: the whole file)."""
DB_HEAD_LINES = 400

_MAKEFILES = frozenset({"makefile", "gnumakefile", "makefile.in", "kbuild", "kbuild.in"})

# -- SPDX ---------------------------------------------------------------------------------

_SPDX = re.compile(r"SPDX-License-Identifier:[ \t]*(?P<expr>[^\r\n]*)")
_SPDX_PREFIX = re.compile(r"[\s/*#;!%<>\-{}()'\".]*(?:dnl|rem|@rem|REM)?[\s/*#;!%<>\-{}()'\".]*")
_SPDX_END = re.compile(r"\s*(?:\*/|-->|\*\)|#}|%}).*$")


@lru_cache(maxsize=4096)
def normalize_spdx(raw: str) -> str | None:
    """A normalized SPDX expression, or ``None`` when ``raw`` is not one.

    Deprecated ids are mapped (``GPL-2.0+`` -> ``GPL-2.0-or-later``); ids unknown to the
    SPDX list make the expression invalid unless they are ``LicenseRef-``/``DocumentRef-``
    (:func:`audit.spdx.normalize`, as on every path).
    """
    raw = raw.strip()
    if not raw or len(raw) > 500:
        return None
    return spdx.normalize(raw)


# -- prose --------------------------------------------------------------------------------

_MARKER_CHARS = "/*#;!%-<>'\""
"""Comment-marker characters stripped from the start of head lines."""
_WORD_MARKERS = ("dnl ", "rem ", "REM ", "@rem ")
_CLOSERS = ("*/", "-->", '"""', "'''")

_DUAL = re.compile(r"\bdual[\s-]+licen[sc]ed\b", re.IGNORECASE)
_DUAL_STARTS = ("dual",)
_MIT_WORD = re.compile(r"\bMIT\b", re.IGNORECASE)
_BSD_WORD = re.compile(r"\bBSD\b", re.IGNORECASE)
_GPL_VERSION = re.compile(
    r"\b(?:GPL|general\s+public\s+license)[\s,-]*(?:v(?:ersion)?\s*)?(?P<v>[23])(?:\.0)?\b",
    re.IGNORECASE,
)
_OR_LATER = re.compile(
    r"^[\s,;]*(?:\+|or\s+(?:\(at\s+your\s+option\)\s*,?\s*)?(?:any\s+)?later)", re.IGNORECASE
)
_APACHE = re.compile(
    r"under\s+(?:the\s+terms\s+of\s+)?the\s+Apache\s+License,?\s+(?:Version\s+|v)?2\.0",
    re.IGNORECASE,
)
_APACHE_STARTS = ("under",)
_GNU_LATER = re.compile(
    r"either\s+version\s+(?P<v>\d(?:\.\d)?)\s+of\s+the\s+License,?\s+or\s+\(?at\s+your\s+"
    r"option\)?,?\s+any\s+later\s+version",
    re.IGNORECASE,
)
_GNU_NAME = re.compile(
    r"GNU\s+(?:(?P<kind>Lesser|Library|Affero)\s+)?General\s+Public\s+License", re.IGNORECASE
)
_GNU_VERSION = re.compile(
    r"GNU\s+(?:(?P<kind>Lesser|Library|Affero)\s+)?General\s+Public\s+License,?\s+"
    r"(?:as\s+published\s+by\s+the\s+Free\s+Software\s+Foundation[,;]?\s+)?"
    r"(?:version|v)\s*(?P<v>\d(?:\.\d)?)\b",
    re.IGNORECASE,
)
_MIT_PERMISSION = re.compile(
    r"Permission\s+is\s+hereby\s+granted,?\s+free\s+of\s+charge", re.IGNORECASE
)
_TEXT_TRIGGERS = re.compile(
    r"Redistribution\s+and\s+use\s+in\s+source\s+and\s+binary\s+forms"
    r"|Permission\s+to\s+use,\s+copy,\s+modify"
    r"|This\s+software\s+is\s+provided\s+'as-is'"
    r"|This\s+is\s+free\s+and\s+unencumbered\s+software",
    re.IGNORECASE,
)
_TEXT_KEYWORDS = ("permission", "redistribution", "as-is", "unencumbered")
_TRIGGER_WORDS = ("redistribution", "copy,", "'as-is'", "unencumbered")
"""A word of each alternative of :data:`_TEXT_TRIGGERS`, in lower case."""
_GNU_PREFIX = {None: "GPL", "lesser": "LGPL", "library": "LGPL", "affero": "AGPL"}

_STATEMENTS: tuple[tuple[str, re.Pattern[str], str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "boost",
        re.compile(
            r"Distributed\s+under\s+the\s+Boost\s+Software\s+License,?\s+Version\s+1\.0\.?"
            r"(?P<copy>\s*\(\s*See\s+accompanying\s+file\s+(?P<file>[\w.-]{1,40})\s+or\s+copy"
            r"\s+at\s+\S{1,120}?\s*\))?",
            re.IGNORECASE,
        ),
        "BSL-1.0",
        ("distributed",),
        ("boost", "software"),
    ),
    (
        "perl",
        re.compile(r"\b(?:under|on)\s+the\s+same\s+terms\s+as\s+Perl\b", re.IGNORECASE),
        "Artistic-1.0-Perl OR GPL-1.0-or-later",
        ("under", "on"),
        ("same", "terms", "perl"),
    ),
    (
        "domain",
        re.compile(
            r"(?<!not\s)\b(?:placed|released|dedicated|put|is|are)\s+(?:in|into|to)\s+the\s+"
            r"public\s+domain\b",
            re.IGNORECASE,
        ),
        "LicenseRef-scancode-public-domain",
        ("placed", "released", "dedicated", "put", "is", "are"),
        ("public", "domain"),
    ),
)
"""Short statements that name one license, as ``(a word of it in the lower-case head, pattern,
SPDX expression, the words a match starts with, words every match holds in lower case)``;
a ``file`` the statement itself says is a copy of that license (Boost's ``See accompanying
file LICENSE_1_0.txt or copy at ...``) is no reference of its own. The words every match
holds let a head that lacks one be passed over before its lines are cleaned: ``perl`` alone
is in ``properly``, and a match of the Perl statement may start at any ``on``."""

_STATEMENT_WORDS = tuple(keyword for keyword, *_ in _STATEMENTS)

# -- references ---------------------------------------------------------------------------

_REF_EXT = re.compile(r"\.(?:txt|md|rst)\b")
_REF_BARE = re.compile(
    r"(?<![\w/.-])(?P<name>(?:LICEN[CS]E|COPYING|NOTICE)(?:[.-][\w.-]{1,20})?)(?![\w/])"
)
_REF_CONTEXT = re.compile(
    r"\b(?:see|found|refer|copy|copies|contained|included|available|file|located)\b",
    re.IGNORECASE,
)
_BARE_BEFORE = re.compile(
    r"(?:\bsee|\bin|\bfile|\bto|\bunder)\s+(?:the\s+)?(?:(?:top-level|root|accompanying|"
    r"included|attached|separate)\s+)?(?:file\s+)?$",
    re.IGNORECASE,
)
_REF_KEYWORDS = ("license", "licence", "copying", "notice", ".txt", ".md", ".rst")
_BARE_AFTER = re.compile(r"^\s+file\b", re.IGNORECASE)
_URL_END = re.compile(r"[\s<>\"']")
"""The first character after ``://`` that ends a URL."""
_REF_NAMES = ("LICEN", "COPYING", "NOTICE")
"""What every match of :data:`_REF_BARE` holds."""

# -- run-time strings and hints -----------------------------------------------------------

_MODULE_STARTS = ("MODULE_LICENSE",)
_LICENSE_SECTION_STARTS = ("SEC", "section")
_MODULE_LICENSE = re.compile(
    r"\bMODULE_LICENSE\s*\(\s*(?:\"(?P<raw>[^\"\n]{0,100})\"|(?P<macro>[A-Za-z_]\w{0,60}))\s*\)"
)
_LICENSE_SECTION = re.compile(
    r"(?:\bSEC|section)\s*\(\s*\"license\"\s*\)[^=;\n]{0,60}=\s*\"(?P<raw>[^\"\n]{0,100})\""
)
_PROGRAM_SECTION = re.compile(
    r"(?:\bSEC|\b__section|\b__bpf_section)\s*\(\s*\"(?P<name>[A-Za-z_][\w.+/:-]{0,120})\"\s*\)"
)
_SECTION_STARTS = ("SEC", "__section", "__bpf_section")
"""What every match of :data:`_PROGRAM_SECTION` starts with."""
PROGRAM_TYPES = frozenset(
    {
        "tracepoint",
        "tp",
        "raw_tracepoint",
        "raw_tp",
        "raw_tracepoint.w",
        "raw_tp.w",
        "tp_btf",
        "kprobe",
        "kretprobe",
        "kprobe.multi",
        "kretprobe.multi",
        "kprobe.session",
        "uprobe",
        "uretprobe",
        "uprobe.multi",
        "uretprobe.multi",
        "uprobe.s",
        "uretprobe.s",
        "usdt",
        "ksyscall",
        "kretsyscall",
        "fentry",
        "fexit",
        "fmod_ret",
        "fentry.s",
        "fexit.s",
        "fmod_ret.s",
        "lsm",
        "lsm.s",
        "lsm_cgroup",
        "iter",
        "iter.s",
        "struct_ops",
        "struct_ops.s",
        "xdp",
        "xdp.frags",
        "tc",
        "tcx",
        "classifier",
        "action",
        "socket",
        "sk_skb",
        "sk_msg",
        "sk_lookup",
        "sk_reuseport",
        "sockops",
        "cgroup",
        "cgroup_skb",
        "flow_dissector",
        "lwt_in",
        "lwt_out",
        "lwt_xmit",
        "lwt_seg6local",
        "perf_event",
        "netfilter",
        "syscall",
        "freplace",
        "sched_cls",
        "sched_act",
        "filter",
        "netkit",
    }
)
_OBJ_M = re.compile(r"^[ \t]*obj-m[ \t]*[:+]?=.*$", re.MULTILINE)
_DKMS_KEY = re.compile(r"^[ \t]*(?:BUILT_MODULE_NAME|PACKAGE_NAME)\b.*$", re.MULTILINE)


# -- helpers ------------------------------------------------------------------------------


class _Head:
    """The first :data:`HEAD_LINES` lines of a file (within :data:`HEAD_CHARS`).

    Finders test ``raw``/``raw_lower`` first: every keyword a finder needs in the cleaned
    text is in the raw lines too (cleaning only strips line ends and collapses whitespace),
    so the cleaned text is built only for files that may hold a prose notice.
    """

    def __init__(self, text: str, source: SourceFile | None = None) -> None:
        chunk = text[:HEAD_CHARS]
        self.source = source
        """The file the head is of (``None``: a head of a text alone, for tests)."""
        # Split at "\n" up to the head's last line only; where those lines hold no other
        # line end (nearly every file), they are the head's lines: what comes after them
        # cannot change them (split or not, the first lines are the same). A text shorter
        # than the head with fewer line ends than its lines (most source files) is its
        # own head but for its last line end: counting them costs a third of cutting the
        # lines, which are cut only if a finder asks for them (:attr:`lines`; most files
        # ask none: an SPDX tag's line is taken from ``raw``).
        parts: list[str] | None = None
        if len(chunk) < HEAD_CHARS and chunk.count("\n") < HEAD_LINES:
            raw = chunk[:-1] if chunk.endswith("\n") else chunk  # as the cut below makes it
            self._chunk = chunk
        else:
            parts = chunk.split("\n", HEAD_LINES)
            raw = chunk
            if len(parts) > HEAD_LINES or not parts[-1]:
                # The text after the head's lines, or after the last line end.
                raw = chunk[: len(chunk) - len(parts.pop()) - 1]
        # What ends a line of ASCII text for str.splitlines besides "\n", each tested in
        # place (a call per test cost more than the tests).
        if raw.isascii() and not (
            "\r" in raw
            or "\x0b" in raw
            or "\x0c" in raw
            or "\x1c" in raw
            or "\x1d" in raw
            or "\x1e" in raw
        ):
            if parts is not None:
                self.__dict__["lines"] = parts  # as once keeps a value
            self.raw = raw
            """The lines joined by newlines."""
        else:
            lines = chunk.splitlines()[:HEAD_LINES]
            self.__dict__["lines"] = lines
            self.raw = "\n".join(lines)
        self.raw_lower = self.raw.lower()

    @once
    def lines(self) -> list[str]:
        """The head's lines (:data:`HEAD_LINES` at most), cut from a short text's head on
        first use as the head of any other text is cut when it is made."""
        parts = self._chunk.split("\n", HEAD_LINES)
        if len(parts) > HEAD_LINES or not parts[-1]:
            parts.pop()
        return parts

    @once
    def words(self) -> frozenset[str]:
        """The words of :data:`_HEAD_WORDS` the lower-case raw head holds. In ASCII text
        (nearly every head) found in one leftmost-first pass (:data:`_HEAD_FINDER`, whose
        prefilter skips to the words' openings: a tenth of the time of reporting every
        occurrence), then the words that can start inside a reported one
        (:data:`_HEAD_OVERLAPS`) looked for inside it; worked out on first use."""
        low = self.raw_lower
        if not low.isascii():  # rare: each word looked for (the finder needs UTF-8)
            return frozenset(filter(low.__contains__, _HEAD_WORDS))
        found = _HEAD_FINDER.find_matches_as_indexes(low.encode())
        if not found:
            return _NO_WORDS
        words = _HEAD_WORDS
        reported = frozenset([words[i] for i, _, _ in found])
        overlaps = _HEAD_OVERLAPS
        # A word not reported is there only if it starts inside a reported one: looked for
        # there alone (from its start to its end), not in the whole head.
        hidden = [
            other
            for i, start, end in found
            for other in overlaps[i]
            if other not in reported and low.find(other, start, end + len(other) - 1) >= 0
        ]
        return reported.union(hidden) if hidden else reported

    @once
    def _gates(self) -> list[tuple[int, int, int]] | None:
        """The words of :data:`_DB_GATES` in the lower-case raw head, as
        :data:`_GATE_FINDER` reports them (leftmost first, none inside another reported
        one); ``None`` when the head is not ASCII."""
        low = self.raw_lower
        if not low.isascii():
            return None
        return _GATE_FINDER.find_matches_as_indexes(low.encode())

    def gate_after(self, cut: int) -> bool:
        """Whether a word of :data:`_DB_GATES` starts at ``cut`` or after it in the
        lower-case raw head. Told from the words reported leftmost first: a word there is
        reported, or starts inside the last reported one that starts before ``cut``
        (an occurrence hidden by a reported one starts inside it): only when that one ends
        after ``cut`` is the rest searched."""
        found = self._gates
        if found is None:
            return _has_any(self.raw_lower[cut:], _DB_GATES)
        if not found:
            return False
        _, start, end = found[-1]
        if start >= cut:
            return True
        return end > cut and _holds_gate(self.raw_lower[cut:])

    def has(self, words: tuple[str, ...]) -> bool:
        """Whether the lower-case raw head holds one of ``words`` (of :data:`_HEAD_WORDS`)."""
        return not self.words.isdisjoint(words)

    def has_all(self, words: tuple[str, ...]) -> bool:
        """Whether the lower-case raw head holds each of ``words`` (any words: asked only of
        heads that hold a statement's first word, each word looked for)."""
        return all(map(self.raw_lower.__contains__, words))

    @once
    def database(self) -> list[Notice]:
        """What the license database matches in the file's head (:func:`_database`), worked
        out once for every finder that needs it."""
        assert self.source is not None
        return _database(self.source, whole=False, head=self)

    def file_line(self, number: int) -> str:
        """Line ``number`` of the whole file (:meth:`SourceFile.line`): from the head when it
        holds the line whole (every head line but its last), so that the file is not split
        into lines for it."""
        if 1 <= number < len(self.lines):
            return self.lines[number - 1]
        assert self.source is not None
        return self.source.line(number)

    @once
    def cleaned(self) -> str:
        """The lines without comment markers (see :func:`_clean`), joined by newlines."""
        # Cleaning is line by line, and license headers repeat from file to file: lines
        # cleaned before are looked up (_CLEANED), the others cleaned together.
        memo = _CLEANED
        lines = self.lines
        if not memo.pays():
            return "\n".join(_clean_lines(list(lines)))
        known = memo.known
        parts = list(map(known.get, lines))
        missed = parts.count(None)
        memo.looked += len(parts)
        memo.found += len(parts) - missed
        if missed:
            if missed == len(parts):
                fresh = list(lines)
                cleaned = _clean_lines(fresh)
                parts = cast("list[str | None]", cleaned)
            else:
                missing = [i for i, part in enumerate(parts) if part is None]
                fresh = [lines[i] for i in missing]
                cleaned = _clean_lines(fresh)
                for i, clean in zip(missing, cleaned, strict=True):
                    parts[i] = clean
            if len(known) >= _CLEANED_LINES:
                known.clear()
            if max(map(len, fresh)) <= _CLEANED_CHARS:
                known.update(zip(fresh, cleaned, strict=True))
            else:
                known.update(
                    (line, clean)
                    for line, clean in zip(fresh, cleaned, strict=True)
                    if len(line) <= _CLEANED_CHARS
                )
        return "\n".join(cast("list[str]", parts))

    @once
    def joined(self) -> str:
        """The cleaned lines joined by one space."""
        return self.cleaned.replace("\n", " ")

    @once
    def lower(self) -> str:
        """``joined`` in lower case, for cheap keyword tests before any regex runs."""
        return self.joined.lower()

    def line_of(self, offset: int) -> int:
        """The 1-based line holding ``offset`` of ``joined``."""
        return self.cleaned.count("\n", 0, offset) + 1

    def evidence(self, path: str, line: int, text: str | None = None) -> Evidence:
        """Evidence of head line ``line``; ``text``: that line, when known already."""
        if text is None:
            text = self.lines[line - 1] if 1 <= line <= len(self.lines) else ""
        # Trimmed here as Evidence trims it: its __post_init__ then sets nothing again.
        return Evidence(path, line, text.strip(), NAME)


class _Remembered:
    """Head lines cleaned before (:func:`_clean`), by line: lines of up to
    :data:`_CLEANED_CHARS` characters, forgotten all at once when there are
    :data:`_CLEANED_LINES` (a bounded memory: at most that many and one head's more).
    Looked up while it pays: when fewer than half of the first :data:`_CLEANED_TRIAL`
    lines looked up were found (a tree whose lines seldom repeat), no more."""

    def __init__(self) -> None:
        self.known: dict[str, str] = {}
        self.looked = 0
        self.found = 0

    def pays(self) -> bool:
        return self.looked < _CLEANED_TRIAL or 2 * self.found >= self.looked

    def clear(self) -> None:
        self.known.clear()
        self.looked = self.found = 0


_CLEANED = _Remembered()
_CLEANED_LINES = 16384
_CLEANED_CHARS = 200
_CLEANED_TRIAL = 4096
_SPACES = re.compile("  +")
"""Runs of spaces (a two-space literal opening: the regex engine skips to each run)."""


def _clean_lines(lines: list[str]) -> list[str]:
    """:func:`_clean` of each line, most often in a few steps over all of them."""
    # Most lines need only the first step of _clean: whitespace and leading markers
    # stripped. Lines so stripped tell whether any needs more (a word marker at its
    # start, a closer at its end, whitespace other than the plain space): those lines
    # are cleaned one by one (their cleaned text holds no two spaces running). Which may
    # is told from the lines joined first: a line needs more only if they hold a word
    # marker, a closer or a character that is not printable somewhere.
    parts = list(map(str.lstrip, map(str.lstrip, map(str.strip, lines), repeat(_MARKER_CHARS))))
    text = "\n".join(parts)
    words, closers, other, spaces = _marks(text)
    if words or other:
        more = [
            i
            for i, part in enumerate(parts)
            if part.startswith(_WORD_MARKERS) or part.endswith(_CLOSERS) or not part.isprintable()
        ]
    elif closers:
        more = [i for i, part in enumerate(parts) if part.endswith(_CLOSERS)]
    else:
        more = []
    if more:
        for i in more:
            parts[i] = _clean(lines[i])
        text = "\n".join(parts)
        spaces = "  " in text
    # Printable lines hold no whitespace but the plain space: collapsing runs of it is
    # what _clean does to them (and no run spans a line end).
    return parts if not spaces else _SPACES.sub(" ", text).split("\n")


def _marks(text: str) -> tuple[bool, bool, bool, bool]:
    """Whether ``text`` (lines joined by ``"\n"``, each without one) holds a word marker
    (:data:`_WORD_MARKERS`), a closer (:data:`_CLOSERS`), a character that is not printable
    but its line ends, and two spaces running. In ASCII text the marks are found in one
    pass (:data:`_MARK_FINDER`) and the characters that are not printable through a byte
    table, instead of a search per mark and a test of each character's class."""
    if not text.isascii():
        return (
            _has_any(text, _WORD_MARKERS),
            _has_any(text, _CLOSERS),
            not text.replace("\n", "").isprintable(),
            "  " in text,
        )
    data = text.encode()
    found = {i for i, _, _ in _MARK_FINDER.find_matches_as_indexes(data)}
    words = not found.isdisjoint(_WORD_MARKER_INDEXES)
    return (
        words,
        not found.isdisjoint(_CLOSER_INDEXES),
        bool(data.translate(None, _PRINTABLE_OR_LINE_END)),
        _TWO_SPACES in found or (words and "  " in text),
    )


_MARK_FINDER = ahocorasick_rs.BytesAhoCorasick(
    [m.encode() for m in (*_WORD_MARKERS, *_CLOSERS, "  ")],
    matchkind=ahocorasick_rs.MatchKind.LeftmostFirst,
)
"""Finds the word markers, the closers and two spaces, leftmost first (the automaton's
prefilter skips to them: a tenth of the time of reporting every overlapping match). A mark
is missed only where it starts inside a reported one: a word marker inside ``@rem `` or two
spaces after a word marker's own (``:func:`_marks` then looks for them); no closer starts
inside another kind of mark, nor a word marker inside a closer or two spaces."""
_WORD_MARKER_INDEXES = frozenset(range(len(_WORD_MARKERS)))
_CLOSER_INDEXES = frozenset(range(len(_WORD_MARKERS), len(_WORD_MARKERS) + len(_CLOSERS)))
_TWO_SPACES = len(_WORD_MARKERS) + len(_CLOSERS)
_PRINTABLE_OR_LINE_END = bytes(range(0x20, 0x7F)) + b"\n"
"""The ASCII characters that are printable (:meth:`str.isprintable`), and the line end."""


def _clean(line: str) -> str:
    """A head line without its comment markers, whitespace collapsed."""
    clean = line.strip().lstrip(_MARKER_CHARS).lstrip()
    if clean.startswith(_WORD_MARKERS):
        clean = clean.split(" ", 1)[1].lstrip()
    if clean.endswith(_CLOSERS):
        for closer in _CLOSERS:
            if clean.endswith(closer):
                clean = clean[: -len(closer)].rstrip("*").rstrip()
                break
    # Printable text has no whitespace but the plain space (no tab, no NBSP...).
    if "  " in clean or not clean.isprintable():
        clean = " ".join(clean.split())
    return clean


def _head(text: str, source: SourceFile | None = None) -> _Head:
    return _Head(text, source)


# Cheap tests that let a finder stop before its costly work; each is true whenever that
# work can find anything, so that they change no result (tests/test_notices_gates.py).


def _has_any(text: str, words: tuple[str, ...]) -> bool:
    return any(map(text.__contains__, words))  # no generator: this runs for every file


def _has_any_of(text: str, words: tuple[str, ...], finder: ahocorasick_rs.BytesAhoCorasick) -> bool:
    """:func:`_has_any` with ``finder`` (an automaton of ``words``): in ASCII text, one pass
    over its bytes (the offsets are the same) instead of one search per word."""
    if text.isascii():
        return bool(finder.find_matches_as_indexes(text.encode()))
    return _has_any(text, words)


def _starts(text: str, words: tuple[str, ...]) -> list[int]:
    """Every offset in ``text`` where one of ``words`` starts, in order."""
    out: list[int] = []
    for word in words:
        i = text.find(word)
        while i >= 0:
            out.append(i)
            i = text.find(word, i + 1)
    return sorted(set(out)) if len(words) > 1 else out


def _finditer_ci(
    pattern: re.Pattern[str], text: str, lower: str, words: tuple[str, ...]
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a case-insensitive pattern whose every match starts
    with one of ``words`` (lower case); ``lower`` is ``text.lower()``. In ASCII text, a
    match starts only where ``lower`` holds one of the words, at the same offset (other
    text can match letters that lower() does not fold, and lower() can change lengths)."""
    if text.isascii():
        return finditer_at(pattern, text, _starts(lower, words))
    return pattern.finditer(text)


def _search_ci(
    pattern: re.Pattern[str], text: str, lower: str, words: tuple[str, ...]
) -> re.Match[str] | None:
    """``pattern.search(text)`` as :func:`_finditer_ci` finds it."""
    return next(_finditer_ci(pattern, text, lower, words), None)


def _may_hold_prose(head: _Head) -> bool:
    """Whether a finder of prose, statements or permission texts may find anything in the
    head: it holds a word of :data:`_PROSE_WORDS` (the first word each one's gate asks
    for). Only those finders add what :func:`_alternatives` reads again (prose without a
    rule), so it is asked only then."""
    return not head.words.isdisjoint(_PROSE_WORDS)


def _raw_has(head: _Head, words: tuple[str, ...]) -> bool:
    """Whether the raw head holds one of ``words`` (lower case, of :data:`_HEAD_WORDS`):
    every word without spaces in the cleaned head is in the raw lines too, so the lines
    need no cleaning when not."""
    return head.has(words)


def _may_name_file(text: str) -> bool:
    """Whether ``text`` may name a license file (:data:`_REF_EXT`, :data:`_REF_BARE`): it
    holds one of :data:`_REF_NAMES` (:func:`_may_be_bare_name`), or a match of
    :data:`_REF_EXT`, looked for only where it holds one of :data:`_REF_EXTS`; in ASCII text
    the names and extensions are found in one pass (:data:`_NAME_FINDER`), and those in
    URLs do not count (:func:`_outside_urls`)."""
    if not text.isascii():
        return _has_any(text, _REF_NAMES) or _REF_EXT.search(text) is not None
    found = _NAME_FINDER.find_matches_as_indexes(text.encode())
    if not found:
        return False
    if "://" in text:
        found = _outside_urls(text, found)
        if not found:
            return False
    names = len(_REF_NAMES)
    return any(i < names for i, _, _ in found) or _REF_EXT.search(text) is not None


def _outside_urls(text: str, found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The names and extensions of ``found`` (:data:`_NAME_FINDER`'s matches in the raw
    head ``text``) that do not start after the ``://`` of a URL of ``text`` (where
    :func:`_blank_urls` finds them): :func:`_references` blanks the URLs of the cleaned
    head, and one found after a raw URL's ``://`` is in a cleaned URL too. Cleaning keeps
    each line's characters from its ``://`` on but for whitespace, which ends a URL, and
    the closer at its end (a name or an extension holds none of a URL's ends); lines are
    joined by a space, which ends a URL as the line end does. A name starting inside a
    reported one (``LICENOTICE``) is in the same URL. Apache-2.0 headers name
    ``LICENSE-2.0`` in their URL alone: their cleaned heads are not searched for names."""
    urls: list[tuple[int, int]] = []
    pos = text.find("://")
    while pos >= 0:
        stop = _URL_END.search(text, pos + 3)
        end = stop.start() if stop else len(text)
        urls.append((pos + 3, end))
        pos = text.find("://", end)
    return [m for m in found if not any(start <= m[1] < end for start, end in urls)]


def _may_be_bare_name(text: str) -> bool:
    """Whether ``text`` may hold a match of :data:`_REF_BARE` (a costly search): it holds
    one of :data:`_REF_NAMES`."""
    return _has_any_of(text, _REF_NAMES, _REF_FINDER)


_REF_EXTS = (".txt", ".md", ".rst")
"""What every match of :data:`_REF_EXT` holds."""
_NAME_FINDER = ahocorasick_rs.BytesAhoCorasick(
    [word.encode() for word in (*_REF_NAMES, *_REF_EXTS)],
    matchkind=ahocorasick_rs.MatchKind.LeftmostFirst,
)
"""Finds :data:`_REF_NAMES` and :data:`_REF_EXTS` in one pass, leftmost first (the
automaton's prefilter skips to them; reporting every overlapping match forgoes it): no
extension can hide a name (a name holds no dot and starts with no letter an extension ends
with), so the text holds a name exactly where one is reported."""
_REF_FINDER = ahocorasick_rs.BytesAhoCorasick([name.encode() for name in _REF_NAMES])


_LINE_END_MARKS = frozenset("*/->\"'")
"""What may follow a word at the end of a line and be cleaned away with the closer
(:data:`_CLOSERS`) it belongs to (see :func:`_clean`)."""


def _may_be_apache_license(head: _Head) -> bool:
    """Whether the cleaned head may hold ``apache license``: a raw line holds ``apache``
    followed by whitespace, or at the end of the line but for comment closers (cleaning
    makes a space of either). Not so in ``SPDX-License-Identifier: Apache-2.0``."""
    if not head.has(("apache",)):
        return False
    low = head.raw_lower
    i = low.find("apache")
    while i >= 0:
        i += 6
        end = low.find("\n", i)
        after = low[i:end] if end >= 0 else low[i:]
        if not after or after[0].isspace() or set(after.rstrip()) <= _LINE_END_MARKS:
            return True
        i = low.find("apache", i)
    return False


def _may_be_mit(head: _Head) -> bool:
    """Whether :data:`_MIT_PERMISSION` may match. In ASCII text each IGNORECASE match holds
    its words in lower case; other text can match letters that lower() does not fold
    (the Kelvin sign...)."""
    return "hereby" in head.lower or not head.joined.isascii()


def _may_trigger(head: _Head) -> bool:
    """Whether :data:`_TEXT_TRIGGERS` may match (see :func:`_may_be_mit`)."""
    return _has_any(head.lower, _TRIGGER_WORDS) or not head.joined.isascii()


_PERMIT_WORDS = ("hereby", *_TRIGGER_WORDS)
"""A word of every match of :data:`_MIT_PERMISSION` or :data:`_TEXT_TRIGGERS`."""


def _may_permit(head: _Head) -> bool:
    """Whether :func:`_permission_texts` may find a paragraph: the raw head holds a word
    of MIT's opening or of another trigger (see :func:`_may_be_mit`, :func:`_may_trigger`),
    or is not ASCII. An Apache-2.0 header holds ``permissions`` but none of them."""
    return head.has(_PERMIT_WORDS) or not head.raw.isascii()


def _may_state(head: _Head, words: tuple[str, ...]) -> bool:
    """Whether a statement whose every match holds all of ``words`` (lower case, no spaces)
    may be in the head: the raw head holds each of them (see :func:`_raw_has`), or is not
    ASCII (other letters may match under IGNORECASE, see :func:`_may_be_mit`)."""
    return head.has_all(words) or not head.raw.isascii()


def _line_at(text: str, offset: int) -> tuple[int, str]:
    number = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return number, text[start : end if end >= 0 else len(text)]


def _commented(line: str) -> bool:
    """Whether a C line is (the inside of) a comment: ``//``, ``/*``, `` * ``."""
    return line.lstrip().startswith(("//", "*", "/*"))


def _sentence_start(joined: str, pos: int) -> int:
    """Start of the sentence holding ``pos``: after a full stop or a blank line."""
    stop = joined.rfind(". ", 0, pos)
    blank = joined.rfind("  ", 0, pos)
    start = max(stop + 2 if stop >= 0 else 0, blank + 2 if blank >= 0 else 0)
    while start < pos and joined[start] == " ":
        start += 1
    return start


def _sentence(joined: str, start: int, limit: int = 240) -> str:
    end = joined.find(". ", start, start + limit)
    return joined[start : end + 1 if end >= 0 else min(len(joined), start + limit)].strip()


def _gnu_id(kind: str | None, version: str, later: bool) -> str | None:
    prefix = _GNU_PREFIX[kind.lower() if kind else None]
    if "." not in version:
        version += ".0"
    return normalize_spdx(f"{prefix}-{version}-{'or-later' if later else 'only'}")


# -- finders ------------------------------------------------------------------------------


_SPDX_TAG = "SPDX-License-Identifier"


def _spdx_tags(source: SourceFile, head: _Head) -> list[Notice | Problem]:
    """The head's SPDX tags (a list, not a generator: asked of most files)."""
    found: list[Notice | Problem] = []
    for number, line, idx in _tag_lines(head, _SPDX_TAG):
        raw = _tag_text(line, idx)
        if raw is None:
            continue
        expr = normalize_spdx(raw)
        ev = head.evidence(source.path, number, line)
        found.append(Notice(source.path, number, "spdx-tag", expr, raw, ev))
        if expr is None:
            found.append(
                source.problem(
                    number, "parse-error", f"not a valid SPDX license expression: {raw!r}", NAME
                )
            )
    return found


def _tag_text(line: str, idx: int) -> str | None:
    """The expression text of the SPDX tag at ``idx`` of a head line (``None``: no tag
    there). Tag lines repeat from file to file: those read before are looked up."""
    try:
        return _TAG_TEXTS[line]
    except KeyError:
        pass
    raw: str | None = None
    if idx <= 16 and _SPDX_PREFIX.fullmatch(line[:idx]):
        m = _SPDX.search(line, idx)
        if m:
            raw = _SPDX_END.sub("", m["expr"]).strip().rstrip(";").strip()
    if len(line) <= _CLEANED_CHARS:
        if len(_TAG_TEXTS) >= _TAG_LINES:
            _TAG_TEXTS.clear()
        _TAG_TEXTS[line] = raw
    return raw


_TAG_TEXTS: dict[str, str | None] = {}
"""SPDX tag lines read before (of up to :data:`_CLEANED_CHARS` characters), and what they
read (:func:`_tag_text`); forgotten all at once at :data:`_TAG_LINES` lines."""
_TAG_LINES = 4096


def _tag_lines(head: _Head, tag: str) -> list[tuple[int, str, int]]:
    """``(line number, line, offset of the first tag in it)`` for each head line holding
    ``tag``, found in the raw text rather than line by line (the line is cut from ``raw``,
    the head's lines joined by ``"\n"``: the head's lines need not be cut)."""
    raw = head.raw
    found: list[tuple[int, str, int]] = []
    idx = raw.find(tag)
    number, counted = 1, 0
    while idx >= 0:
        number += raw.count("\n", counted, idx)
        start = raw.rfind("\n", 0, idx) + 1
        end = raw.find("\n", idx)
        found.append((number, raw[start:end] if end >= 0 else raw[start:], idx - start))
        if end < 0:
            break
        idx = raw.find(tag, end)
        counted = end
    return found


def _dual(source: SourceFile, head: _Head) -> Iterator[Notice]:
    """(Gated by the caller: ``_raw_has(head, ("dual",))``.)"""
    if "dual" not in head.lower:
        return
    for m in _finditer_ci(_DUAL, head.joined, head.lower, _DUAL_STARTS):
        body = head.joined[m.end() : m.end() + 200]
        gpl = _GPL_VERSION.search(body)
        if not gpl:
            continue
        later = bool(_OR_LATER.match(body[gpl.end() :]))
        if _MIT_WORD.search(body[: gpl.end() + 40]):
            other = "MIT"
        elif _BSD_WORD.search(body[: gpl.end() + 40]):
            other = "LicenseRef-BSD-unspecified"
        else:
            continue
        expr = normalize_spdx(f"{_gnu_id(None, gpl['v'], later)} OR {other}")
        if expr is None:
            continue
        line = head.line_of(m.start())
        raw = _sentence(head.joined, m.start())
        yield Notice(source.path, line, "prose", expr, raw, head.evidence(source.path, line))
        return


def _apache(source: SourceFile, head: _Head) -> Iterator[Notice]:
    """(Gated by the caller: :func:`_may_be_apache_license`.)"""
    if "apache license" not in head.lower:
        return
    m = _search_ci(_APACHE, head.joined, head.lower, _APACHE_STARTS)
    if m:
        start = _sentence_start(head.joined, m.start())
        line = head.line_of(start)
        raw = _sentence(head.joined, start)
        yield Notice(
            source.path, line, "prose", "Apache-2.0", raw, head.evidence(source.path, line)
        )


def _gnu(source: SourceFile, head: _Head) -> Iterator[Notice]:
    """(Gated by the caller: ``_raw_has(head, ("general",))``.)"""
    if "general public license" not in head.lower:
        return
    joined = head.joined
    m = _GNU_LATER.search(joined)
    if m:
        names = list(_GNU_NAME.finditer(joined, max(0, m.start() - 400), m.start()))
        name = names[-1] if names else None
        expr = _gnu_id(name["kind"] if name else None, m["v"], True)
        start = name.start() if name else m.start()
    else:
        v = _GNU_VERSION.search(joined)
        if not v:
            return
        later = bool(_OR_LATER.match(joined[v.end() : v.end() + 60]))
        expr = _gnu_id(v["kind"], v["v"], later)
        start = v.start()
    if expr is None:
        return
    start = _sentence_start(joined, start)
    line = head.line_of(start)
    raw = _sentence(joined, start, 400)
    yield Notice(source.path, line, "prose", expr, raw, head.evidence(source.path, line))


def _statements(source: SourceFile, head: _Head) -> tuple[list[Notice], frozenset[str]]:
    """The head's short statements (:data:`_STATEMENTS`) and the license files they name
    as copies of their own license."""
    found: list[Notice] = []
    copies: set[str] = set()
    for keyword, pattern, expression, starts, needs in _STATEMENTS:
        if not head.has((keyword,)) or not _may_state(head, needs):
            continue
        m = _search_ci(pattern, head.joined, head.lower, starts)
        if m is None:
            continue
        if "file" in pattern.groupindex and m["file"]:
            copies.add(m["file"].rstrip("."))
        start = _sentence_start(head.joined, m.start())
        line = head.line_of(start)
        raw = head.joined[start : m.end()].strip()
        found.append(
            Notice(source.path, line, "prose", expression, raw, head.evidence(source.path, line))
        )
    return found, frozenset(copies)


def _permission_texts(source: SourceFile, head: _Head) -> list[Notice]:
    """MIT, BSD, ISC, Zlib... permission paragraphs, identified like license texts.

    Several licenses open with MIT's words ("Permission is hereby granted, free of charge":
    BSL-1.0, JSON, X11, ICU...): where the license database matches a whole license over
    the line a paragraph starts on, its reading replaces depaudit's; a paragraph that only
    shares MIT's opening sentence is no MIT text: it gets a ``partial`` notice (no license)
    naming the candidates, never MIT by default. (Gated by the caller:
    ``_raw_has(head, _TEXT_KEYWORDS)``.)"""
    low = head.lower
    if not any(k in low for k in _TEXT_KEYWORDS):
        return []
    mit = _MIT_PERMISSION.search(head.joined) if _may_be_mit(head) else None
    if not mit and not (_may_trigger(head) and _TEXT_TRIGGERS.search(head.joined)):
        return []
    found = texts.identify(head.raw)  # the head's lines joined by "\n"
    notices = [
        Notice(
            source.path,
            match.line,
            "prose",
            match.license_id,
            head.lines[match.line - 1].strip(),
            head.evidence(source.path, match.line),
            confidence=match.similarity,
        )
        for match in found
    ]
    opening = None
    if mit and not any(m.license_id in ("MIT", "MIT-0") for m in found):
        opening = head.line_of(mit.start())
    if opening is None and not any(n.expression in _MIT_FAMILY for n in notices):
        return notices  # BSD, ISC, Zlib... texts: no other license opens with their words
    db = head.database
    out = [_database_reading(n, db, _differs) or n for n in notices]
    if mit is not None and opening is not None:
        line = opening
        here = Notice(source.path, line, "prose", None, "", head.evidence(source.path, line))
        reading = _database_reading(here, db, _differs)
        out.extend([reading] if reading else _opening_only(source, head, line, mit, db))
    return out


_MIT_FAMILY = frozenset({"MIT", "MIT-0"})
"""Readings other licenses share their opening words with (JSON, X11: MIT's text and more)."""


def _differs(built_in: str | None, database: str) -> bool:
    return built_in != database


def _wider(built_in: str | None, database: str) -> bool:
    """Whether the database's reading names every license the built-in one does, and more,
    as alternatives (the paragraph states an alternative the built-in wording left out)."""
    return " OR " in database and _keys(built_in or "") < _keys(database)


def _keys(expression: str) -> frozenset[str]:
    words = expression.replace("(", " ").replace(")", " ").split()
    return frozenset(w for w in words if w not in ("AND", "OR", "WITH"))


def _database_reading(
    notice: Notice, db: list[Notice], better: Callable[[str | None, str], bool]
) -> Notice | None:
    """The database's reading of the paragraph ``notice`` starts in, as a prose notice,
    when ``better`` than ``notice``'s (``None``: no reading there, or not better)."""
    for n in db:
        if n.expression and n.line <= notice.line <= (n.end_line or n.line):
            return replace(n, kind="prose") if better(notice.expression, n.expression) else None
    return None


def _opening_only(
    source: SourceFile, head: _Head, line: int, mit: re.Match[str], db: list[Notice]
) -> list[Notice]:
    """A permission paragraph that shares only MIT's opening sentence: no license, the
    database's partial matches (else MIT) named as candidates."""
    partial = [n for n in db if n.kind == _PARTIAL]
    if partial:
        return partial
    sentence = _sentence(head.joined, mit.start())
    raw = f"MIT? only its opening sentence matched: {sentence}"[:300]
    return [Notice(source.path, line, _PARTIAL, None, raw, head.evidence(source.path, line))]


_ALTERNATIVE_WORDS = ("alternativ", "at your option", "dual")


def _alternatives(source: SourceFile, head: _Head, found: list[Notice | Problem]) -> None:
    """Built-in readings that leave out an alternative their paragraph states ("... the GNU
    General Public License version 2 ... Alternatively, this software may be distributed
    under the terms of BSD license"): the database's reading of the paragraph replaces one
    (in ``found``) when it names every license the built-in one does, and more, joined by
    OR. Only heads with a word that states alternatives are read again."""
    single = [
        i
        for i, n in enumerate(found)
        if isinstance(n, Notice)
        and n.kind == "prose"
        and n.expression
        and not n.rule
        and " OR " not in n.expression
    ]
    if not single or not head.has(_ALTERNATIVE_WORDS):
        return
    db = head.database
    for i in single:
        n = found[i]
        assert isinstance(n, Notice)
        reading = _database_reading(n, db, _wider)
        if reading is not None:
            found[i] = reading


def _blank_urls(text: str) -> str:
    """``text`` with every URL replaced by spaces (offsets kept): no file names from URLs."""
    out = text
    pos = text.find("://")
    while pos >= 0:
        start = pos
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "+.-"):
            start -= 1
        stop = _URL_END.search(text, pos + 3)
        end = stop.start() if stop else len(text)
        out = out[:start] + " " * (end - start) + out[end:]
        pos = text.find("://", end)
    return out


def _file_names(joined: str) -> Iterator[tuple[int, str]]:
    """License-file names with an extension (``GPL.txt``, ``LICENSE.md``) and their offsets."""
    for m in _REF_EXT.finditer(joined):
        start = m.start()
        while start > 0 and (joined[start - 1].isalnum() or joined[start - 1] in "_+-."):
            start -= 1
        name = joined[start : m.end()]
        stem = name[: -len(m[0])]
        if start > 0 and joined[start - 1] == "/":
            continue
        if LICENSE_TXT_STEM.fullmatch(stem) or stem.lower().startswith(LICENSE_PREFIXES):
            yield start, name


def _references(source: SourceFile, head: _Head) -> Iterator[Notice]:
    """(Gated by the caller: ``_may_name_file(head.raw)``: both kinds of names are
    case-sensitive and the raw lines hold every name the cleaned text does, so files
    without one are done before any line is cleaned.)"""
    low = head.lower
    if not any(k in low for k in _REF_KEYWORDS):
        return
    joined = _blank_urls(head.joined) if "://" in head.joined else head.joined
    hits = list(_file_names(joined))
    if _may_be_bare_name(joined):
        for m in finditer_at(_REF_BARE, joined, _starts(joined, _REF_NAMES)):
            name = m["name"].rstrip(".")
            before = joined[max(0, m.start() - 40) : m.start()]
            if _BARE_BEFORE.search(before) or _BARE_AFTER.match(joined[m.end() : m.end() + 10]):
                hits.append((m.start(), name))
    seen: set[str] = set()
    for start, name in sorted(hits):
        window = joined[max(0, start - 80) : start + len(name) + 40]
        if name in seen or not _REF_CONTEXT.search(window):
            continue
        seen.add(name)
        line = head.line_of(start)
        yield Notice(source.path, line, "reference", None, name, head.evidence(source.path, line))


MATCHED = "matched"
"""A license notice the database matched in a file the finders above read nothing in.
Shown per file (explain, JSON ``license_files``), not one of the header kinds that decide
a source component's license: docs/license-notices.md ("Decision") says why, and which
readings should decide next."""

_RUNTIME_LINE = re.compile(r"^.*(?:MODULE_LICENSE|\"license\"\s*\)).*$", re.MULTILINE)
_PARTIAL = "partial"


def _db_region(source: SourceFile, chars: int, lines: int) -> str:
    """The first ``chars`` characters and ``lines`` lines (0: any number) of the file,
    without the lines of run-time license strings (a code string is no notice)."""
    text = source.text[:chars]
    if lines and text.count("\n", 0, len(text)) > lines:
        text = "\n".join(text.split("\n", lines)[:lines])
    return _without_runtime_lines(text)


def _without_runtime_lines(text: str, marks: frozenset[str] | None = None) -> str:
    """``text`` without the lines of run-time license strings (a code string is no notice);
    ``marks``: those of a file ``text`` is the start of (:attr:`SourceFile.marks`), when
    known: a mark the file lacks is in none of its parts, which are not searched for it."""
    if marks is not None and "MODULE_LICENSE" not in marks and 'license")' not in marks:
        return text
    if "MODULE_LICENSE" in text or 'license")' in text:
        return _RUNTIME_LINE.sub("", text)
    return text


_DB_GATES = (
    "licens", "licenc", "copyright", "public domain", "permission", "gpl", "distribut", "apache",
    "bsd", "warrant", "creative commons", "exception", "affero", "mozilla", "spdx",
)  # fmt: skip
"""Words (lower case, folded) of nearly every database rule: a head without any is not
matched (a license file always is). The generated test set (tests/test_notices_db.py)
measures what this leaves out."""
_PROSE_WORDS = ("dual", "apache", "general", *_TEXT_KEYWORDS, *_STATEMENT_WORDS)
"""A word each finder of prose, statements and permission texts needs in the lower-case raw
head before it reads anything (the first word its gate asks for): a head without any (most
heads: code under an SPDX tag, or under none) asks no finder (:func:`_may_hold_prose`)."""
_HEAD_WORDS = tuple(dict.fromkeys([*_PROSE_WORDS, *_PERMIT_WORDS, *_ALTERNATIVE_WORDS]))
"""Every word the finders ask the lower-case raw head about (:meth:`_Head.has`); the words
of the short statements are looked for one by one, in heads that hold a statement's first
word (:meth:`_Head.has_all`)."""
_HEAD_FINDER = ahocorasick_rs.BytesAhoCorasick(
    [word.encode() for word in _HEAD_WORDS], matchkind=ahocorasick_rs.MatchKind.LeftmostFirst
)
"""Finds the words of :data:`_HEAD_WORDS` in one pass over an ASCII head's bytes (offsets are
the same), leftmost first: an occurrence is missed only where it starts inside a reported
one (see :data:`_HEAD_OVERLAPS`)."""
_HEAD_OVERLAPS = tuple(
    tuple(other for other in _HEAD_WORDS if textmarks.overlapping(word, other))
    for word in _HEAD_WORDS
)
"""For each word of :data:`_HEAD_WORDS` (by index), the words an occurrence of which can
start inside an occurrence of it (``dual`` at the end of ``unencumbered``, ``as-is`` in
``'as-is'``, ``alternativ`` after ``general``), as :data:`audit.scanners.textmarks.OVERLAPS`
has them for the marks."""
_GATE_FINDER = ahocorasick_rs.BytesAhoCorasick(
    [word.encode() for word in _DB_GATES], matchkind=ahocorasick_rs.MatchKind.LeftmostFirst
)
"""Finds the words of :data:`_DB_GATES` in one pass: whether any is there (leftmost first:
some word is reported whenever the text holds one, and the automaton's prefilter skips to
them, five times as fast as reporting every match)."""
_NO_WORDS: frozenset[str] = frozenset()


_NEGATIONS = frozenset({"not", "no", "never"})
"""A match right after one of these words is not a statement (``not in the public domain``)."""
_SHORT = 8
"""Matches of rules shorter than this many tokens count only outside code lines."""
_CODE_STARTS = ("#define", "#include", "#if", "#undef", "import ", "from ")
_COMMENT_STARTS = ("//", "/*", "*", "#", "--", ";", "%", "dnl ", "rem ", "REM ", "<!--", "'")


def _code_line(line: str) -> bool:
    """Whether a line looks like code rather than a comment or prose: a short license name
    in it (``#define DRIVER_LICENSE "GPL"``, ``license = "MIT"``) is no notice of the file."""
    s = line.strip()
    if s.startswith(_CODE_STARTS):
        return True
    if s.startswith(_COMMENT_STARTS):
        return False
    return any(c in s for c in "=;{}")


def _database(source: SourceFile, whole: bool, head: _Head) -> list[Notice]:
    """Notices from the license database (see the module docstring): over the whole of a
    license file; else over the short head first (where nearly every notice is), then
    over the longer one when that names no license and its rest holds a gate word.
    ``head``: the file's head (:attr:`_Head.database` calls this once per file)."""
    m = _db.default_matcher()  # the module imported with this one's (no import per call)
    if m is None:
        return []
    if whole:
        region = _db_region(source, texts.MAX_CHARS, 0)
        return _db_notices(m, source, head, region, whole=True)
    short, low = _short_region(source, head)
    found: list[Notice] = []
    if _gate_after(head, low, 0):
        # Fast path: the leading comments alone, when the code after them holds no gate
        # word (in source files nearly every notice is there, and the code is most of the
        # head). Exact matches only: where they name a license, matching the whole head
        # adds nothing (no match holds a word it does not have; approximate matching runs
        # only where nothing matched exactly).
        cut = _leading_comments(short)
        if cut < len(short) and not _gate_after(head, low, cut):
            found = _db_notices(m, source, head, short[:cut], whole=False, approximate=False)
            if any(n.expression for n in found):
                return found
        found = _db_notices(m, source, head, short, whole=False)
        if any(n.expression for n in found):
            return found
    text = source.text
    if len(text) <= len(short):
        return found  # the short head is the whole file
    rest = len(short) - 200
    if not _may_rest_hold_gate(text, rest):
        return found
    longer = _db_region(source, DB_HEAD_CHARS, DB_HEAD_LINES)
    if len(longer) > len(short) and _holds_gate(longer[max(rest, 0) :].lower()):
        return _db_notices(m, source, head, longer, whole=False) or found
    return found


def _may_rest_hold_gate(text: str, rest: int) -> bool:
    """Whether ``longer[rest:]`` may hold a gate word (:func:`_database`), told from the
    text before the longer head is cut out of it: that head is the text's start with lines
    cut off or emptied (:func:`_db_region`), so each of its characters is at the same
    offset of the text or later, and emptied lines join no words."""
    return rest < 0 or _holds_gate(text[rest:DB_HEAD_CHARS].lower())


def _holds_gate(low: str) -> bool:
    """Whether ``low`` (lower case) holds a word of :data:`_DB_GATES`."""
    return _has_any_of(low, _DB_GATES, _GATE_FINDER)


def _gate_after(head: _Head, low: str, cut: int) -> bool:
    """Whether ``low[cut:]`` holds a word of :data:`_DB_GATES`; ``low``: the short region in
    lower case (:func:`_short_region`), most often the head's own (perhaps with the text's
    last line end), whose words are known (:meth:`_Head.has`)."""
    own = head.raw_lower
    if low is own or (len(low) == len(own) + 1 and low[-1] == "\n" and low.startswith(own)):
        return head.gate_after(cut)  # no word holds a line end
    return _holds_gate(low[cut:])


def _short_region(source: SourceFile, head: _Head) -> tuple[str, str]:
    """``_db_region(source, HEAD_CHARS, HEAD_LINES)`` and its lower case: the head's raw
    text when that is the same text (lines ended by ``"\n"`` alone: nearly every file),
    rather than the text cut into lines again."""
    text, raw = source.text, head.raw
    size = len(raw)
    end = min(len(text), HEAD_CHARS)
    region: str | None = None
    if text.startswith(raw):
        # The head's lines are the text's first ones, each ended by "\n" alone.
        if size == end:
            region, low = raw, head.raw_lower  # at most HEAD_LINES - 1 line ends
        elif text[size] == "\n":
            # (The text's last line end first: no line end can follow it in the region,
            # and a short text's head need not be cut into lines for the other test.)
            if size + 1 == end:
                region, low = text[:end], head.raw_lower + "\n"  # the text's last line end
            elif len(head.lines) == HEAD_LINES and text.find("\n", size + 1, HEAD_CHARS) >= 0:
                region, low = raw, head.raw_lower  # the region is cut after HEAD_LINES lines
    if region is None:
        region = _db_region(source, HEAD_CHARS, HEAD_LINES)
        return region, region.lower()
    stripped = _without_runtime_lines(region, source.__dict__.get("marks"))
    if stripped is not region:
        return stripped, stripped.lower()
    return region, low


def _leading_comments(text: str) -> int:
    """Where the first line that looks like code (:func:`_code_line`) starts in ``text``."""
    pos, size = 0, len(text)
    while pos < size:
        end = text.find("\n", pos)
        if end < 0:
            end = size
        if _code_line(text[pos:end]):
            return pos
        pos = end + 1
    return size


def _db_notices(
    m: Matcher,
    source: SourceFile,
    head: _Head,
    region: str,
    whole: bool,
    approximate: bool = True,
) -> list[Notice]:
    # License files: exact matches only (audit.licenses.texts compares whole texts).
    toks, matches = m.find(region, approximate=approximate and not whole)
    negations = _chars(m, _NEGATIONS)
    found = [
        x
        for x in matches
        if not (x.start and toks.chars[x.start - 1] in negations)
        and (len(x.rule.tokens) >= _SHORT or not _code_line(head.file_line(x.start_line)))
    ]
    full = [x for x in found if not x.partial]
    notices: list[Notice] = []
    if full:
        for expression, group in _combined(m, toks, full):
            first, last = group[0], group[-1]
            kind = "license-text" if whole and first.rule.kind == "text" else MATCHED
            notices.append(_db_notice(source, head, kind, expression, first, last, group))
    else:
        for x in found[:3]:
            notices.append(_db_notice(source, head, _PARTIAL, None, x, x, [x]))
    return notices


@lru_cache(maxsize=8)
def _chars(m: Matcher, words: frozenset[str]) -> frozenset[str]:
    """The token characters of those of ``words`` the database knows."""
    vocab = m.index.vocabulary
    return frozenset(vocab[w] for w in words if w in vocab)


def _db_notice(
    source: SourceFile,
    head: _Head,
    kind: str,
    expression: str | None,
    first: RuleMatch,
    last: RuleMatch,
    group: list[RuleMatch],
) -> Notice:
    rules = " + ".join(x.rule.name for x in group)
    coverage = min(x.coverage for x in group)
    if kind == _PARTIAL:
        raw = f"{first.rule.expression} ({rules}: {coverage:.0%} of the rule matched)"
    else:
        raw = head.file_line(first.start_line).strip()[:200]
    end = last.end_line if last.end_line != first.start_line else 0
    return Notice(
        source.path,
        first.start_line,
        kind,
        expression,
        raw,
        Evidence(source.path, first.start_line, head.file_line(first.start_line), NAME),
        confidence=coverage,
        rule=rules,
        end_line=end,
    )


_ALTERNATIVE = frozenset({"or", "either", "alternatively", "at", "your", "option", "and", "under"})
"""Words that, alone between two notices, make them alternatives ("... or ...")."""


def _combined(
    m: Matcher, toks: Tokens, matches: list[RuleMatch]
) -> list[tuple[str | None, list[RuleMatch]]]:
    """Consecutive matches merged: an exception after a license becomes ``WITH``; two
    licenses joined only by "or"-words become ``OR``; the rest stay apart."""
    words = _chars(m, _ALTERNATIVE)
    or_char = m.index.vocabulary.get("or")
    exceptions = m.index.exceptions
    out: list[tuple[str, list[RuleMatch]]] = []
    for x in matches:
        expr = x.rule.expression
        if out:
            prev_expr, group = out[-1]
            gap = toks.chars[group[-1].end : x.start]
            if expr in exceptions and prev_expr not in exceptions and len(gap) <= 3:
                out[-1] = (f"({prev_expr}) WITH {expr}", [*group, x])
                continue
            if expr == prev_expr and len(gap) <= 3:
                out[-1] = (prev_expr, [*group, x])
                continue
            if or_char and or_char in gap and set(gap) <= words and len(gap) <= 4:
                out[-1] = (f"({prev_expr}) OR ({expr})", [*group, x])
                continue
        out.append((expr, [x]))
    result: list[tuple[str | None, list[RuleMatch]]] = []
    for expr, group in out:
        if expr in exceptions:
            continue  # an exception alone names no license
        result.append((normalize_spdx(expr), group))
    return result


def _runtime(source: SourceFile) -> Iterator[Notice | Problem]:
    text = source.text
    marks = source.marks  # each searched for in one pass with the other scanners' marks
    if "MODULE_LICENSE" in marks:
        for m in finditer_at(_MODULE_LICENSE, text, _starts(text, _MODULE_STARTS)):
            number, line = _line_at(text, m.start())
            if _commented(line) or line.lstrip().startswith("#define"):
                continue
            ev = Evidence(source.path, number, line, NAME)
            if m["raw"] is None:
                # MODULE_LICENSE(SOME_MACRO): a kernel module, its string not known here.
                raw = f"MODULE_LICENSE({m['macro']})"
                yield Notice(source.path, number, "kernel-build", None, raw, ev)
                yield source.problem(
                    number, "unresolved", f"{raw}: the license string is a macro", NAME
                )
                continue
            expr = kernel.expression_for(m["raw"])
            yield Notice(source.path, number, "module-license", expr, m["raw"], ev)
    if 'license")' in marks:
        for m in finditer_at(_LICENSE_SECTION, text, _starts(text, _LICENSE_SECTION_STARTS)):
            number, line = _line_at(text, m.start())
            if _commented(line):
                continue
            ev = Evidence(source.path, number, line, NAME)
            yield Notice(
                source.path, number, "ebpf-section", kernel.expression_for(m["raw"]), m["raw"], ev
            )


_CALL_MARKS = frozenset({'SEC("', "SEC (", 'section("', "section ("})
"""The marks (:attr:`SourceFile.marks`) of a call of ``SEC`` or ``section``: an eBPF program
section (:data:`_PROGRAM_SECTION`) is looked for only in texts that hold one (a C file holds
``NSEC`` and ``USEC`` but seldom ``SEC(``)."""


def _ebpf_hint(source: SourceFile) -> Iterator[Notice]:
    text = source.text
    if not _CALL_MARKS.isdisjoint(source.marks):
        for m in finditer_at(_PROGRAM_SECTION, text, _starts(text, _SECTION_STARTS)):
            name = m["name"]
            kind = name.split("/", 1)[0]
            if kind in PROGRAM_TYPES or kind.split(".", 1)[0] in PROGRAM_TYPES:
                number, line = _line_at(text, m.start())
                if _commented(line):
                    continue
                ev = Evidence(source.path, number, line, NAME)
                yield Notice(source.path, number, "ebpf-program", None, name, ev)
                return
    if source.path.endswith(".bpf.c"):
        ev = Evidence(source.path, 0, "file name ends in .bpf.c", NAME)
        yield Notice(source.path, 0, "ebpf-program", None, "*.bpf.c", ev)


_DKMS_NAMES = ("dkms.conf", "dkms.conf.in")
_KERNEL_BUILD_NAMES = _MAKEFILES | frozenset(_DKMS_NAMES)
"""The names (lower case) :func:`_kernel_build_hint` reads."""


def _kernel_build_hint(source: SourceFile, lower: str) -> Iterator[Notice]:
    """``lower``: the file name in lower case."""
    if lower in _MAKEFILES and "obj-m" in source.text:
        m = _OBJ_M.search(source.text)
        if m:
            number, line = _line_at(source.text, m.start())
            ev = Evidence(source.path, number, line, NAME)
            yield Notice(source.path, number, "kernel-build", None, line.strip(), ev)
    elif lower in _DKMS_NAMES:
        m = _DKMS_KEY.search(source.text)
        number, line = _line_at(source.text, m.start()) if m else (1, source.line(1))
        ev = Evidence(source.path, number, line, NAME)
        yield Notice(source.path, number, "kernel-build", None, "dkms.conf", ev)


def _license_texts(source: SourceFile, head: _Head, from_db: list[Notice]) -> list[Notice]:
    """The license texts of a license file: the database's when it holds each text
    exactly (``GPL-1.0-or-later``'s own text, the Xnet license rather than the MIT text
    it contains), else those :mod:`audit.licenses.texts` identifies; one per license."""
    exact = [n for n in from_db if n.kind == "license-text" and n.confidence >= 1.0]
    if exact:
        first: dict[str | None, Notice] = {}
        for n in exact:
            first.setdefault(n.expression, n)
        return list(first.values())
    return [
        Notice(
            source.path,
            match.line,
            "license-text",
            match.license_id,
            head.file_line(match.line).strip()[:200],
            Evidence(source.path, match.line, head.file_line(match.line), NAME),
            confidence=match.similarity,
        )
        for match in texts.identify(source.text)
    ]


def _db_decided(found: list[Notice | Problem]) -> bool:
    """Whether the finders above decided the file: an SPDX tag (a file's own tag wins),
    a prose header or an identified license text."""
    for n in found:  # noqa: SIM110 (no generator: asked of every source file)
        if isinstance(n, Notice) and n.kind in _DECIDING:
            return True
    return False


_DECIDING = frozenset({"spdx-tag", "prose", "license-text"})


def scan_notices(source: SourceFile) -> ScanResult:
    """All license notices and context hints of one file."""
    path = source.path
    c_family = plain_source(path)
    if c_family is None:
        by_name, license_file, c_family, name = kinds(path)
    else:  # most paths: a source file by its extension alone, no license file
        by_name, license_file, name = True, False, ""  # "": not worked out (see below)
    # A C file's marks, found first: the license database's region asks them too.
    marks = source.marks if c_family else None
    head = _Head(source.text, source)
    found: list[Notice | Problem] = []
    if _SPDX_TAG in head.raw:
        found = _spdx_tags(source, head)
    if not by_name:
        # Other text files: their SPDX tags, else what the license database matches, shown
        # per file without deciding a component (MATCHED).
        if not found:
            found.extend(head.database)
        return _result(found)
    from_db = _database(source, whole=True, head=head) if license_file else None
    license_texts = _license_texts(source, head, from_db or []) if license_file else []
    found.extend(license_texts)
    if not license_texts:
        # Each finder only where its first gate lets it find something (most heads hold
        # none of their words).
        copies: frozenset[str] = frozenset()
        if _may_hold_prose(head):
            if _raw_has(head, ("dual",)):
                found.extend(_dual(source, head))
            if _may_be_apache_license(head):
                found.extend(_apache(source, head))
            if _raw_has(head, ("general",)):
                found.extend(_gnu(source, head))
            if _raw_has(head, _TEXT_KEYWORDS) and _may_permit(head):
                found.extend(_permission_texts(source, head))
            if _raw_has(head, _STATEMENT_WORDS):
                stated, copies = _statements(source, head)
                found.extend(stated)
            if found:
                _alternatives(source, head, found)
        if _may_name_file(head.raw):
            found.extend(r for r in _references(source, head) if r.raw not in copies)
        if not _db_decided(found) and (license_file or anything_named(name or _lower_name(path))):
            found.extend(from_db if from_db is not None else head.database)
    if marks is not None:
        # Each finder only where it may find something (no generator made for nothing):
        # run-time strings and program sections where the text's marks say so.
        if marks:
            found.extend(_runtime(source))
        if not _CALL_MARKS.isdisjoint(marks) or path.endswith(".bpf.c"):
            found.extend(_ebpf_hint(source))
    if name in _KERNEL_BUILD_NAMES:
        found.extend(_kernel_build_hint(source, name))
    return _result(found)


def _lower_name(path: str) -> str:
    """The base name of ``path`` in lower case, as :func:`kinds` has it."""
    return path[path.rfind("/") + 1 :].lower()


def _order(n: Notice) -> tuple[int, str, str]:
    return (n.line, n.kind, n.raw)


_NOTHING = ScanResult()


def _result(found: list[Notice | Problem]) -> ScanResult:
    if not found:
        return _NOTHING  # most files: one shared empty result
    if len(found) == 1:
        one = found[0]
        if isinstance(one, Notice):
            return ScanResult((), (), (), (one,), ())  # by position: no keywords to sort out
        return ScanResult(problems=(one,))
    notices = sorted((n for n in found if isinstance(n, Notice)), key=_order)
    problems = sorted(p for p in found if isinstance(p, Problem))
    return ScanResult(notices=tuple(notices), problems=tuple(problems))


def forget() -> None:
    """Drop what this process remembers of texts read before (the license database's
    matches, identified license texts): for benchmarks, so that each run counts as a
    first one."""
    texts.forget()
    _CLEANED.clear()
    _TAG_TEXTS.clear()
    m = _db.default_matcher()
    if m is not None:
        m.forget()


class NoticesScanner:
    """License notices in source, build and license files."""

    name = NAME

    def matches(self, path: str) -> bool:
        return wanted(path)

    def matches_ext(self, ext: str) -> bool | None:
        return wanted_by_ext(ext)

    def text_only(self, path: str) -> bool:
        """A binary file here is no gap: only source, build and license files are
        expected to be text."""
        return not named(path)

    def scan(self, source: SourceFile) -> ScanResult:
        return scan_notices(source)


SCANNER = NoticesScanner()

__all__ = [
    "NAME",
    "SCANNER",
    "NoticesScanner",
    "normalize_spdx",
    "scan_notices",
]
