"""Scan stage runner: read each candidate once, hand it to the scanners that want it.

Scanners are chosen by path before the file is opened; a file no scanner wants is never
read. A file is opened without following a final symlink and without blocking (a FIFO put
in a file's place cannot hang the scan), and read up to the size discovery saw plus one
byte (a large file's head is read first; when discovery left the size to the scan, the open
file's, and a file over the size limit is not read: see :mod:`audit.discover`). Binary
files (a NUL byte in the first 8 KiB) are skipped and listed. Text is decoded as UTF-8
(with or without BOM) or UTF-16 with a BOM; other bytes are decoded with replacement
characters and reported, so that license notices can still be found. A scanner that fails
on a file becomes a ``parse-error`` problem for that file; at most
:data:`MAX_PROBLEMS_PER_FILE` problems are kept per file; lone surrogates (spelled by JSON,
YAML or Python escapes) are replaced so that every report can be encoded. A file a scanner
wants that was not read, because discovery skipped it (too large, a link out of the root)
or because it is binary, is a ``skipped`` problem: the audit is incomplete without it. A
binary file no scanner wants (an image) is never read.

Speed (see ``docs/performance.md``): with :class:`ScanSettings` a run can use a per-file
result cache (:mod:`audit.scancache`) and a process pool for large trees; the pool's
workers also encode the results for the cache. Results are merged in path order, so the
output does not depend on either.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import logging
import os
import struct
import threading
import time
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from audit import quickexit, scancache
from audit.discover import Candidate, Discovery, listed_as, relisted
from audit.model import Evidence, Notice, Problem, ScanResult, SkippedFile, pickled_by_fields
from audit.scanners import Scanner, select, selector, textmarks
from audit.scanners.base import SourceFile, source_file

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.context import BaseContext

    from audit import forked, spdxcache

log = logging.getLogger(__name__)

_BINARY_PROBE = 8192
_WHOLE_READ = 256 * 1024
"""Files up to this size are read at once, binary or not."""
BINARY = "binary file"
"""The reason a file a scanner wanted is skipped when it holds a NUL byte in its head."""
MAX_PROBLEMS_PER_FILE = 100
"""Problems kept per file; the rest are summed up in one ``skipped`` problem."""
_PATH = attrgetter("path")


@dataclass(frozen=True)
class ScanSettings:
    """How the scan runs (never what it finds)."""

    jobs: int = 1
    """Worker processes; 1 scans in this process."""
    cache_dir: Path | None = None
    """Directory of the per-file result cache (``None``: no cache)."""
    pool_min_files: int = 1500
    """Fewest files to read before a process pool is worth starting."""
    fork_min_files: int = 200
    """Fewest files to read before forked copies of this process are worth it (where
    :func:`audit.forked.ready`; else the pool)."""
    chunk_files: int = 200
    """Files per task sent to a worker."""
    ahead_min_files: int = 5000
    """Fewest files found before a cold scan starts while the tree is still walked
    (:class:`Ahead`). Measured on two CPUs, scanning during the walk saved no time on
    trees of 500 to 100,000 files (handing the files over costs about what overlapping
    the walk saves) and cost 1–6 % more CPU; it lowers the peak memory of large trees
    (the copies are forked before the walk's data is built: 230 → 199 MiB on 100,000
    files). Smaller trees are scanned after the walk."""


_SETTINGS: ContextVar[ScanSettings] = ContextVar("depaudit_scan_settings")


@contextlib.contextmanager
def scan_settings(settings: ScanSettings) -> Iterator[ScanSettings]:
    """Make ``settings`` the default of every :func:`scan` run inside the ``with`` block
    (how the command line reaches scans made deep in the pipeline)."""
    token = _SETTINGS.set(settings)
    try:
        yield settings
    finally:
        _SETTINGS.reset(token)


def current_cache_dir() -> Path | None:
    """The result cache directory of the enclosing :func:`scan_settings` block (None: no
    cache), for the stages that keep their own readings next to the scan's."""
    return _SETTINGS.get(ScanSettings()).cache_dir


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ScanOutput:
    """What scanning a tree gave: the merged results, the files skipped and how many were read."""

    result: ScanResult
    skipped: tuple[SkippedFile, ...]
    files_scanned: int
    discovery: Discovery | None = None
    """The discovery made again, when files whose size discovery left to the scan were not
    what their directory entries said (:func:`audit.discover.relisted`); else None."""


# Reading --------------------------------------------------------------------------------


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def _inside(root: str, path: str) -> str:
    """The target of the link ``path``, which must still be inside ``root``."""
    real = os.path.realpath(path)
    if not real.startswith(root + os.sep):
        raise PermissionError(13, "symlink now points outside the scanned root")
    return real


_Read = tuple[bytes, bool, os.stat_result]
"""A file read: its bytes (its head only when binary), whether it is binary, and the
status of the open file (the scan cache's stat key is taken from it)."""


def _read(root: str, path: str, size: int, link: int) -> _Read:
    """The file ``path`` (root-relative, ``size`` bytes when discovery saw it, a link whose
    target discovery checked when ``link`` is true) of the tree at ``root``; raises
    ``OSError``.

    Opened without following a final symlink and without blocking (a FIFO put in its
    place); read only if the open file is a regular file, up to ``size`` + 1 bytes. A
    negative ``size`` is one discovery left to the scan (:attr:`Candidate.size`): the open
    file's is taken, and the file is not read when it passes the limit ``~size``. A
    plain tuple, not a named one: this runs for every file read."""
    full = f"{root}/{path}"
    fd = os.open(_inside(root, full) if link else full, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not S_ISREG(st.st_mode):
            raise OSError(0, "no longer a regular file")
        if size < 0:
            most, size = ~size, st.st_size
            if size > most:
                raise OSError(0, "larger than the size limit")
        limit = size + 1
        # Most files in one read; a large one has its head probed first.
        head = os.read(fd, limit if limit <= _WHOLE_READ else _BINARY_PROBE)
        if head.find(b"\0", 0, _BINARY_PROBE) >= 0 and not head.startswith(_UTF16_BOMS):
            return head, True, st  # is_binary(head)
        chunks = [head]
        got = len(head)
        # Up to the size of the open file: no read just to see the end of a whole file.
        while got < limit and got < st.st_size and chunks[-1]:
            chunks.append(os.read(fd, limit - got))
            got += len(chunks[-1])
    finally:
        os.close(fd)
    return head if got == len(head) else b"".join(chunks), False, st


def _key(st: os.stat_result) -> tuple[int, int, int]:
    """(size, mtime_ns, inode) of a file read: the scan cache's stat key."""
    return st.st_size, st.st_mtime_ns, st.st_ino


@dataclass(frozen=True)
class Decoded:
    """A file's bytes decoded to text, with the first bad byte's line where they were not clean."""

    text: str
    problem: str | None = None
    """Set when the bytes were not clean text."""
    line: int = 1
    """Line of the first bad byte."""


def decode(data: bytes) -> Decoded:
    """Decode file bytes as UTF-8 (BOM optional) or UTF-16 with a BOM, never failing."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Decoded(data.decode("utf-16"))
        except UnicodeDecodeError:
            return Decoded(data.decode("utf-16", "replace"), "invalid UTF-16")
    try:
        return Decoded(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Decoded(data.decode("utf-8", "replace"), "not valid UTF-8", line)


_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
"""The byte order marks :func:`decode` reads."""


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def is_binary(data: bytes) -> bool:
    if data.startswith(_UTF16_BOMS):
        return False
    return data.find(b"\0", 0, _BINARY_PROBE) >= 0


# One file -------------------------------------------------------------------------------


def scan_file(
    root: Path, cand: Candidate, scanners: Sequence[Scanner]
) -> tuple[ScanResult, SkippedFile | None]:
    """Read one file and run the given scanners on it; never raises."""
    outcome, _ = _scan_one(root, cand, scanners, want_hash=False)
    return outcome.result, outcome.skipped


_EMPTY = ScanResult()


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class _Outcome:
    """What became of one candidate file."""

    wanted: bool
    """False when no scanner wants the file (it was not read)."""
    result: ScanResult = _EMPTY
    skipped: SkippedFile | None = None
    key: tuple[int, int, int] | None = None
    """Stat key of the file as read; None when it could not be read."""
    same: bool = False
    """The hash matched the cached one: ``result`` is empty, take the cached result."""


_UNWANTED = _Outcome(False)
_NOTHING_FOUND = _Outcome(True)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class _Unlisted(_Outcome):
    """A file whose size discovery left to the scan, which a walk that took its status
    would not have listed: what it would have made of it instead
    (:func:`audit.discover.listed_as`: skipped, a problem, or nothing when gone).
    :func:`_scan_tree` makes the discovery again without it (:func:`_relisted`)."""

    listed: SkippedFile | Problem | None = None


def _unwanted(root: str, path: str, size: int) -> _Outcome:
    """The outcome of a file no scanner wants: ``_UNWANTED``, unless discovery left its
    size to the scan (``size`` negative) and would not have listed it."""
    if size >= 0:
        return _UNWANTED
    try:  # most such files: still a regular file within the limit
        st = os.lstat(f"{root}/{path}")
        if S_ISREG(st.st_mode) and st.st_size <= ~size:
            return _UNWANTED
    except OSError:
        pass
    got = listed_as(root, path, ~size)
    return _UNWANTED if isinstance(got, Candidate) else _Unlisted(False, listed=got)


def _unreadable(path: str, exc: OSError, root: str, size: int) -> _Outcome:
    """The outcome of a file that could not be read (:func:`_unread`), unless discovery
    left its size to the scan (``size`` negative) and would not have listed it."""
    if size >= 0:
        return _unread(path, exc)
    got = listed_as(root, path, ~size)
    return _unread(path, exc) if isinstance(got, Candidate) else _Unlisted(False, listed=got)


_Found = tuple[Notice, ...]
"""The outcome of a file read in which notices alone were found, as an early scan's copy
sends it back: the notices (most files of a large tree; two objects fewer per file to send
and to load than the :class:`_Outcome` and its result). :func:`_output` takes it as such."""
_Got = _Outcome | _Found


def _light(outcomes: list[_Outcome]) -> list[_Got]:
    """``outcomes`` with those of the files where notices alone were found (and no stat
    key: a scan without the cache) as :data:`_Found`."""
    return [o.result.notices if _notices_alone(o) else o for o in outcomes]


def _notices_alone(o: _Outcome) -> bool:
    r = o.result
    return (
        r is not _EMPTY
        and o.skipped is None
        and o.key is None
        and not o.same
        and not (r.components or r.nodes or r.edges or r.problems)
    )


def _scan_one(
    root: Path,
    cand: Candidate,
    scanners: Sequence[Scanner],
    *,
    want_hash: bool,
    cached_sha: str = "",
    relist: bool = False,
) -> tuple[_Outcome, scancache.RawEntry]:
    """The outcome and, when ``want_hash``, the cache entry of a file read whose bytes do
    not hash to ``cached_sha`` (else None). ``relist``: a file that cannot be read and
    that discovery would not have listed is an :class:`_Unlisted`."""
    read_ns = time.time_ns() if want_hash else 0
    try:
        data, binary, st = _read(str(root), cand.path, cand.size, cand.link)
    except OSError as exc:
        if relist:
            return _unreadable(cand.path, exc, str(root), cand.size), None
        return _unread(cand.path, exc), None
    key = _key(st)
    if binary:
        outcome, reason = _binary(cand.path, scanners, key)
        if not want_hash:
            return outcome, None
        return outcome, scancache.entry(key, read_ns, "", reason, _EMPTY)
    if not want_hash:  # no cache: the stat key is of no use
        result = _run_scanners(cand.path, data, scanners)
        return (_NOTHING_FOUND if result is _EMPTY else _Outcome(True, result)), None
    sha = (_SHA256 or content_sha256())(data).hexdigest()
    if sha == cached_sha:
        return _Outcome(True, key=key, same=True), None
    result = _run_scanners(cand.path, data, scanners)
    return _Outcome(True, result, None, key), scancache.entry(key, read_ns, sha, None, result)


def _unread(path: str, exc: OSError) -> _Outcome:
    return _failed(path, f"cannot read: {exc.strerror or type(exc).__name__}")


def _binary(
    path: str, scanners: Sequence[Scanner], key: tuple[int, int, int]
) -> tuple[_Outcome, str | None]:
    """The outcome of a binary file, and the reason it is skipped (None: nothing lost)."""
    if _text_only(scanners, path):  # nothing lost: no scanner expected text here
        return _Outcome(True, key=key), None
    return _Outcome(True, skipped=SkippedFile(path, BINARY), key=key), BINARY


class _Sent(list[_Got]):
    """The outcomes an early scan's copy sends back without the cache. Pickled as
    :func:`_flat` makes them (each :data:`_Found` as plain lists of its notices' fields,
    as the scan cache writes them) and made again here as they are loaded
    (:func:`_received`, through the scan cache's decoder): pickling calls a Python method
    of each notice and of its evidence, and loading their ``__init__``. Synthetic-100000:
    2.0 -> 1.3 us per file to send, 2.0 -> 1.75 us to load."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Callable[[list[Any]], list[_Got]], tuple[list[Any]]]:
        return _received, (_flat(self),)


def _flat(outcomes: Iterable[_Got]) -> list[Any]:
    """``outcomes``, each :data:`_Found` as a list of its notices' fields (see :class:`_Sent`)."""
    out: list[Any] = []
    add = out.append
    for o in outcomes:
        if type(o) is tuple:
            notices = []
            for n in o:
                fields = list(_NOTICE_FIELDS(n))
                fields[_EVIDENCE_AT] = _EVIDENCE_FIELDS(fields[_EVIDENCE_AT])
                notices.append(fields)
            add(notices)
        else:
            add(o)
    return out


def _received(flat: list[Any]) -> list[_Got]:
    """The outcomes :func:`_flat` gave ``flat`` of."""
    decode = scancache.notice_decoder()
    return [tuple(map(decode, o)) if type(o) is list else o for o in flat]


_NOTICE_NAMES = [f.name for f in dataclasses.fields(Notice)]
_NOTICE_FIELDS = attrgetter(*_NOTICE_NAMES)
_EVIDENCE_AT = _NOTICE_NAMES.index("evidence")
_EVIDENCE_FIELDS = attrgetter(*(f.name for f in dataclasses.fields(Evidence)))


def _scan_light(
    root: str, paths: Iterable[str], sizes: Iterable[int], links: Iterable[int]
) -> list[_Got]:
    """The outcomes of a scan without the cache, of the files ``paths`` (with the sizes
    and link flags discovery saw), as :func:`_light` makes them of :func:`_scan_one`'s:
    the same outcomes, with the notices alone of a file where nothing else was found.
    :func:`_scan_batch` in one loop, for 100,000s of files: no stat key, no cache
    entry, no outcome object made only to be taken apart."""
    out: list[_Got] = []
    add = out.append
    choose = selector()
    run = _run_scanners
    for path, size, link in zip(paths, sizes, links, strict=True):
        scanners = choose(path)
        if not scanners:
            add(_UNWANTED if size >= 0 else _unwanted(root, path, size))
            continue
        try:
            data, binary, st = _read(root, path, size, link)
        except OSError as exc:
            add(_unreadable(path, exc, root, size))
            continue
        if binary:
            add(_binary(path, scanners, _key(st))[0])
            continue
        r = run(path, data, scanners)
        if r is _EMPTY:
            add(_NOTHING_FOUND)
        elif r.components or r.nodes or r.edges or r.problems:  # see _notices_alone
            add(_Outcome(True, r))
        else:
            add(r.notices)
    return out


def _text_only(scanners: Sequence[Scanner], path: str) -> bool:
    """Whether every scanner wants ``path`` only if it is text (its optional
    ``text_only(path)``), so that a binary file there is no gap in the audit."""
    for scanner in scanners:
        text_only = getattr(scanner, "text_only", None)
        if text_only is None or not text_only(path):
            return False
    return True


def _run_scanners(path: str, data: bytes, scanners: Sequence[Scanner]) -> ScanResult:
    results: list[ScanResult] = []
    text: str | None = None
    if not data.startswith(_BOMS):
        # Most files: clean UTF-8 without a BOM, decoded as decode() would (a try, not
        # contextlib.suppress: its context manager costs more than the decoding of most files).
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    if text is not None:
        source = SourceFile.decoded(path, text, data)  # data: the text's UTF-8, no copy made
    else:
        decoded = decode(data)
        text = decoded.text
        if decoded.problem:
            message = f"{decoded.problem}; decoded with replacement characters"
            problem = Problem(path, decoded.line, "unreadable", message)
            results.append(ScanResult(problems=(problem,)))
        source = source_file(path, text)
    for scanner in scanners:
        try:
            result = scanner.scan(source)
        except RecursionError:
            result = _crash(path, scanner.name, "input nested too deeply")
        except Exception as exc:  # a scanner bug must not end the scan
            message = f"scanner failed: {type(exc).__name__}: {exc}"
            result = _crash(path, scanner.name, message[:500])
        if result.notices or result.components or result.problems or result.nodes or result.edges:
            results.append(result)  # most files: one scanner finds something, or none
    if not results:
        return _EMPTY
    merged = results[0] if len(results) == 1 else ScanResult.merge(results)
    if textmarks.holds_escape(source.text, source.known_utf8()):
        # JSON, YAML and Python escapes can spell lone surrogates, which no report can encode.
        merged = scrub(merged)
    if len(merged.problems) <= MAX_PROBLEMS_PER_FILE:
        return merged
    kept = merged.problems[:MAX_PROBLEMS_PER_FILE]
    rest = len(merged.problems) - len(kept)
    extra = merged.problems[MAX_PROBLEMS_PER_FILE]
    summary = Problem(
        path,
        extra.line,
        "skipped",
        f"{rest} more problems in this file are not listed (limit {MAX_PROBLEMS_PER_FILE})",
    )
    return ScanResult(
        merged.components, merged.nodes, merged.edges, merged.notices, (*kept, summary)
    )


def scrub(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings replaced by U+FFFD; the same
    object where nothing changed (model values: strings, tuples, frozen dataclasses)."""
    if isinstance(value, str):
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)
        return value
    if isinstance(value, tuple):
        items = tuple([scrub(v) for v in value])
        changed = any(a is not b for a, b in zip(items, value, strict=True))
        return items if changed else value
    if isinstance(value, type):
        return value
    kind = type(value)
    names = _FIELD_NAMES.get(kind, ())
    if names == ():
        names = _FIELD_NAMES[kind] = (
            tuple(f.name for f in dataclasses.fields(value))
            if dataclasses.is_dataclass(value)
            else None
        )
    if not names:
        return value
    changes = {}
    for name in names:
        old = getattr(value, name)
        new = scrub(old)
        if new is not old:
            changes[name] = new
    return dataclasses.replace(value, **changes) if changes else value


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}
"""The field names of each data class :func:`scrub` met (``None``: not a data class): a
file whose text spells an escape has every value of its results walked (a CI workflow's
thousand), and ``dataclasses.fields`` costs more than the walk."""


def _crash(path: str, scanner: str, message: str) -> ScanResult:
    return ScanResult(problems=(Problem(path, 0, "parse-error", message, scanner),))


_B = TypeVar("_B")
_Batch = tuple[list[_Outcome], str]
"""Outcomes of files in order, and the cache entries of those scanned as JSON object
members (:func:`audit.scancache.members`; empty without the cache)."""


def _scan_batch(
    root: Path,
    batch: Sequence[tuple[Candidate, str]],
    want_hash: bool,
    progress: Callable[[int, int], None] | None = None,
    selector: Callable[[str], Sequence[Scanner]] = select,
) -> _Batch:
    """Select and scan each ``(candidate, cached sha)``; runs in a worker process too,
    where it also writes the cache entries of what it scanned. ``progress`` is told after
    each file."""
    out: list[_Outcome] = []
    entries: dict[str, scancache.RawEntry] = {}
    for cand, cached_sha in batch:
        scanners = selector(cand.path)
        if not scanners:
            out.append(_UNWANTED if cand.size >= 0 else _unwanted(str(root), cand.path, cand.size))
        else:
            outcome, entry = _scan_one(
                root, cand, scanners, want_hash=want_hash, cached_sha=cached_sha, relist=True
            )
            out.append(outcome)
            if entry is not None:
                entries[cand.path] = entry
        if progress is not None:
            progress(len(out), len(batch))
    return out, scancache.members(entries) if entries else ""


# The tree -------------------------------------------------------------------------------


def scan(
    discovery: Discovery,
    *,
    selector: Callable[[str], Sequence[Scanner]] = select,
    settings: ScanSettings | None = None,
    progress: Callable[[int, int], None] | None = None,
    ahead: Ahead | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> ScanOutput:
    """Run the scanners over every discovered file; results are merged in path order.

    ``settings`` default to those of the enclosing :func:`scan_settings` block, else one
    process and no cache. ``progress(done, total)`` is told as files are scanned; it
    defaults to :func:`audit.progress.current` (the command line's progress bar).
    ``ahead`` is the scan of the tree's files started while ``discovery`` walked it
    (:func:`scan_ahead`): what it found is taken, the rest is scanned here.
    ``meanwhile()`` is called once while forked copies of this process scan, when they do
    (``meanwhile`` of :func:`audit.forked.run`), else not at all: the caller's own work
    that does not need the scan's results (an :class:`audit.later.Later`'s ``run``).
    """
    settings = settings or _SETTINGS.get(ScanSettings())
    if progress is None:
        from audit.progress import current

        progress = current()
    # Results are acyclic: collecting while they pile up (here, or while a pool's results
    # are unpickled) would walk every one of them again and again for nothing; the command
    # line pauses the collector around the pipeline (audit.gcpause.tuned).
    return _scan_tree(discovery, selector, settings, progress, ahead, meanwhile)


def _scan_tree(
    discovery: Discovery,
    selector: Callable[[str], Sequence[Scanner]],
    settings: ScanSettings,
    progress: Callable[[int, int], None] | None,
    ahead: Ahead | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> ScanOutput:
    root = discovery.root
    files = discovery.files
    # per file, its outcome or its cache entry (decoded by _output)
    outcomes: list[_Got | list[Any] | None] = [None] * len(files)
    todo: Sequence[int] = range(len(files))  # without the cache: every file
    cache = _Cache.open(settings.cache_dir, root) if settings.cache_dir else None
    if cache is not None:
        todo = []
        for i, cand in enumerate(files):
            entry = cache.by_stat_entry(cand)
            if entry is None:
                outcomes[i] = _UNWANTED
            elif entry is not False:
                outcomes[i] = entry
            else:
                todo.append(i)
    if todo:
        want_hash = cache is not None
        early = _Taken()
        written: list[str] = []
        if ahead is not None and selector is select and ahead.want_hash == want_hash:
            meanwhile = _once(meanwhile)  # while an early scan's copies scan, or after
            early, written = ahead.finish(progress, len(todo), meanwhile)
        taken: list[_Got | None] = [None] * len(todo)
        if len(early):
            given = early.of(files, discovery.found_order)
            if cache is None and len(early) == len(files):
                outcomes[:] = given  # every file was scanned ahead (a cold run)
                todo, taken = (), []
            else:
                taken = [given[i] for i in todo]
        rest = [i for i, got in zip(todo, taken, strict=True) if got is None]
        batch = [(files[i], cache.sha(files[i].path) if cache else "") for i in rest]
        told = _after(progress, len(todo) - len(rest), len(todo))
        if not batch:
            done: list[_Outcome] = []
        elif selector is select:
            done, more = _run(root, batch, want_hash, settings, told, meanwhile)
            written.extend(more)
        else:  # a custom selector stays in this process
            done, members = _scan_batch(root, batch, want_hash, selector=selector)
            written.extend([members] if members else [])
        scanned_here = iter(done)
        for i, got in zip(todo, taken, strict=True):
            outcome = got if got is not None else next(scanned_here)
            if cache is not None:
                # a copy sends notices alone only without the cache (Ahead._there)
                assert isinstance(outcome, _Outcome)
                if outcome.same:
                    outcome = cache.refresh(files[i], outcome)
                else:
                    cache.record(files[i], outcome)
            outcomes[i] = outcome
        if cache is not None:
            cache.written.extend(written)
    found = discovery
    if not discovery.sized:  # sizes left to the scan: files not what their entries said
        discovery, outcomes = _relisted(discovery, outcomes)
    out = _output(discovery, outcomes, selector, cache)
    if cache is not None:
        cache.save([*map(_PATH, files), *map(_PATH, discovery.skipped)])
    quickexit.keep(outcomes)  # a file's each: freed at exit, if at all
    return out if discovery is found else dataclasses.replace(out, discovery=discovery)


def _relisted(
    discovery: Discovery, outcomes: list[_Got | list[Any] | None]
) -> tuple[Discovery, list[_Got | list[Any] | None]]:
    """``discovery`` and ``outcomes`` without the files a walk that took each file's
    status would not have listed (:class:`_Unlisted`): the discovery made again
    (:func:`audit.discover.relisted`), or the same when there are none."""
    if _Unlisted not in set(map(type, outcomes)):  # most trees
        return discovery, outcomes
    dropped = {i: o.listed for i, o in enumerate(outcomes) if type(o) is _Unlisted}
    return relisted(discovery, dropped), [o for o in outcomes if type(o) is not _Unlisted]


def _once(job: Callable[[], object] | None) -> Callable[[], object] | None:
    """``job``, called at most once however often the result is called."""
    if job is None:
        return None
    pending = [job]

    def once() -> None:
        if pending:
            pending.pop()()

    return once


def _output(
    discovery: Discovery,
    outcomes: Sequence[_Got | list[Any] | None],
    selector: Callable[[str], Sequence[Scanner]],
    cache: _Cache | None = None,
) -> ScanOutput:
    # A file a scanner wants that was not read leaves the audit incomplete: it is a problem
    # too, not only a skipped file. Discovery skips files by their size or kind (too large,
    # a link out of the root...); the scan skips those it finds binary.
    unread = [
        Problem(s.path, 0, "skipped", f"not read: {s.reason}")
        for s in discovery.skipped
        if _missed(s.path, selector, cache)
    ]
    merged = scancache.Merged()
    skipped: list[SkippedFile] = list(discovery.skipped)
    files = discovery.files
    if len(files) != len(outcomes):
        raise ValueError(f"{len(outcomes)} outcomes for {len(files)} files")
    # One pass over 100,000s of outcomes (serial, after the scan): the file is looked up
    # only where it is needed, and the files scanned are those not left unread.
    unwanted = 0
    extend = merged.notices.extend
    at = -1
    for outcome in outcomes:
        at += 1
        if type(outcome) is tuple:  # notices alone (_Found)
            extend(outcome)
            continue
        if outcome is _UNWANTED:
            unwanted += 1
            continue
        if type(outcome) is list:  # a cache entry whose stat key is unchanged
            assert cache is not None
            cand = files[at]
            try:
                merged.add_cached(outcome[5])
            except scancache.BAD_DATA:  # damaged: scanned again
                outcome = cache.rescan(cand, selector(cand.path))
            else:
                if isinstance(outcome[4], str):  # a binary file a scanner wanted
                    skip = SkippedFile(cand.path, outcome[4])
                    skipped.append(skip)
                    unread.append(_not_read(skip))
                continue
        assert isinstance(outcome, _Outcome)
        if not outcome.wanted:
            unwanted += 1
            continue
        if outcome.skipped is not None:
            skipped.append(outcome.skipped)
            unread.append(_not_read(outcome.skipped))
        if outcome.result is not _EMPTY:
            merged.add(outcome.result)
    skipped.sort(key=lambda s: s.path)
    return ScanOutput(
        merged.result((*discovery.problems, *sorted(unread))),
        tuple(skipped),
        len(files) - unwanted,
    )


def _missed(path: str, selector: Callable[[str], Sequence[Scanner]], cache: _Cache | None) -> bool:
    """Whether a scanner wants a file discovery skipped, and not only if it is text: a gap
    in the audit. It depends on the path alone (and depaudit's code): the scan cache keeps
    it as the file's entry (``true``/``false``), so that a warm run does not import every
    scanner to ask them about one broken symlink."""
    kept = cache if selector is select else None  # another selector: another answer
    if kept is not None:
        known = kept.files.get(path)
        if type(known) is bool:
            return known
    chosen = selector(path)
    missed = bool(chosen) and not _text_only(chosen, path)
    if kept is not None:
        kept.files[path] = missed
        kept.changed = True
    return missed


_SHA256: Callable[[bytes], Any] | None = None


def content_sha256() -> Callable[[bytes], Any]:
    """:func:`hashlib.sha256`, OpenSSL's (several times faster than the interpreter's on
    file contents), for the scans that write the cache: imported by the first one, not by
    every process at start (loading OpenSSL takes 2.5 to 6.5 ms; audit/keyhash.py). A
    scan that forks imports it first, for the copies to share."""
    global _SHA256
    if _SHA256 is None:
        import hashlib

        _SHA256 = hashlib.sha256
    return _SHA256


def _not_read(skipped: SkippedFile) -> Problem:
    reason = skipped.reason
    if reason == BINARY:
        reason = f"{BINARY} (a NUL byte in its first {_BINARY_PROBE // 1024} KiB)"
    return Problem(skipped.path, 0, "skipped", f"not read: {reason}")


def _run(
    root: Path,
    batch: list[tuple[Candidate, str]],
    want_hash: bool,
    settings: ScanSettings,
    progress: Callable[[int, int], None] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> tuple[list[_Outcome], list[str]]:
    """Scan ``batch`` here, or in forked copies of this process (calling ``meanwhile``
    while they scan), or on a process pool, as it is large enough to pay: the outcomes in
    order, and the cache entries written (see :data:`_Batch`)."""
    if settings.jobs > 1 and len(batch) >= settings.fork_min_files:
        spread = _forked(root, batch, want_hash, settings, progress, meanwhile)
        if spread is not None:
            return spread
    if settings.jobs <= 1 or len(batch) < settings.pool_min_files:
        outcomes, written = _scan_batch(root, batch, want_hash, progress)
        return outcomes, [written] if written else []
    size = max(1, settings.chunk_files)
    chunks = [batch[i : i + size] for i in range(0, len(batch), size)]
    return _joined(_Pooled(root, chunks, want_hash, settings.jobs, progress).run())


def _joined(batches: Sequence[_Batch]) -> tuple[list[_Outcome], list[str]]:
    """The outcomes of ``batches`` in order, and the cache entries they wrote."""
    return [o for outcomes, _ in batches for o in outcomes], [w for _, w in batches if w]


def _forked(
    root: Path,
    batch: list[tuple[Candidate, str]],
    want_hash: bool,
    settings: ScanSettings,
    progress: Callable[[int, int], None] | None,
    meanwhile: Callable[[], object] | None = None,
) -> tuple[list[_Outcome], list[str]] | None:
    """Scan ``batch`` in this process and forked copies of it (:mod:`audit.forked`), in
    small chunks so that they end together, calling ``meanwhile`` here once the copies
    scan; None when it cannot fork now (``meanwhile`` not called). The files of the
    scanners of :data:`ONE_TASK` are the first task, taken by a copy while this process
    runs ``meanwhile``."""
    from audit import forked  # not imported by runs that read few files (warm ones)

    if not forked.ready():
        return None
    readings = _inherited([c.path for c, _ in batch])
    if want_hash:
        content_sha256()
    jobs = settings.jobs
    first, order = _one_task_first(batch)
    ordered = [batch[i] for i in order] if first else batch
    size = _chunk_size(len(batch), settings)
    size = max(size, -(-len(batch) // (forked.MAX_TASKS - 1)))
    chunks = [ordered[:first]] if first else []
    chunks += [ordered[i : i + size] for i in range(first, len(ordered), size)]
    scanned = 0

    def work(i: int) -> _Early:
        return _scan_chunk(root, chunks[i], want_hash, readings)

    def done(i: int) -> None:
        nonlocal scanned
        scanned += len(chunks[i])
        if progress is not None:
            progress(scanned, len(batch))

    results = forked.run(len(chunks), work, jobs, done, meanwhile)
    if results is None:
        return None
    outcomes, written = _joined(_keep_readings(readings, results))
    if first:  # back in the batch's order
        placed: list[_Outcome | None] = [None] * len(batch)
        for at, outcome in zip(order, outcomes, strict=True):
            placed[at] = outcome
        outcomes = cast("list[_Outcome]", placed)
    return outcomes, written


ONE_TASK = ("audit.scanners.dockerfile",)
"""The scanner modules whose files a forked scan puts in one task, its first. The
Dockerfile scanner loads BuildKit's parser, a Go library: about 10 ms (its import and its
runtime's start) in each process that parses a Dockerfile, after which that process may no
longer fork (:data:`audit.forked.FORK_UNSAFE`). In one task, taken by a copy while this
process runs the ``meanwhile`` job, only that copy loads it: one process pays, and this one
may fork again (the bundled trees scanned after the root)."""


def _one_task_first(batch: Sequence[tuple[Candidate, str]]) -> tuple[int, list[int]]:
    """How many of ``batch``'s files the scanners of :data:`ONE_TASK` are asked about, and
    the positions of the files in ``batch``: theirs, then the others', each in order;
    ``(0, [])`` when there are none or all are such files (nothing to move)."""
    from audit.scanners import named_in, selector_in

    paths = [c.path for c, _ in batch]
    wanted = selector_in(ONE_TASK)
    named = {p for p in named_in(paths, ONE_TASK) if wanted(p)}
    if not named or len(named) == len(paths):
        return 0, []
    first = [i for i, p in enumerate(paths) if p in named]
    return len(first), [*first, *(i for i, p in enumerate(paths) if p not in named)]


def _scan_chunk(
    root: Path,
    chunk: Sequence[tuple[Candidate, str]],
    want_hash: bool,
    readings: spdxcache.Readings,
) -> _Early:
    """A chunk's outcomes and the expressions first read meanwhile (in a forked copy: only
    this process saves readings, at the end; :func:`_keep_readings`)."""
    mark = readings.made()
    return _scan_batch(root, chunk, want_hash), readings.made_since(mark)


def _keep_readings(
    readings: spdxcache.Readings, results: Sequence[tuple[_B, dict[str, spdxcache.Reading]]]
) -> list[_B]:
    """The chunks' outcomes, the expressions they read kept in ``readings``."""
    for _, fresh in results:
        for text, reading in fresh.items():
            readings.put(text, reading)
    return [batch for batch, _ in results]


def _chunk_size(files: int, settings: ScanSettings) -> int:
    """Files per task when ``files`` files are spread over forked copies: about a
    sixteenth of them per process, so that the processes end together (an early scan asks
    with the files found so far), at least 8, at most :attr:`ScanSettings.chunk_files`."""
    return max(8, min(settings.chunk_files, files // (settings.jobs * 8)))


def _inherited(paths: Sequence[str] | None) -> spdxcache.Readings:
    """Load what every forked copy would otherwise load on its own: the scanners of
    ``paths`` (``None``: every scanner) and the libraries they load on first use, the
    license data, the license expressions read in earlier runs (returned: a copy's new
    readings are sent back to be kept here)."""
    import importlib

    from audit import scanners, spdxcache
    from audit.licenses import preload

    if paths is None:
        scanners.all_scanners()
    else:
        scanners.preload(paths)
    for name in INHERITED:
        importlib.import_module(name)
    preload.load()
    return spdxcache.current()


def _after(
    progress: Callable[[int, int], None] | None, before: int, total: int
) -> Callable[[int, int], None] | None:
    """``progress`` told of files scanned after ``before`` others, out of ``total``."""
    if progress is None or not before:
        return progress
    return lambda done, _: progress(before + done, total)


_COUNT = struct.Struct("<H")
_SIZE = "q"
"""A task of an early scan: the number of files, their sizes (:data:`_SIZE`, the machine's
order: the copies run on it), one byte per file telling whether it is a link, then their
paths separated by NUL bytes (which no path holds), UTF-8. What scanning a file needs; the
rest of a :class:`Candidate` is for the scan cache, which this process keeps."""
_PER_FILE = array(_SIZE).itemsize + 2
"""Bytes of a task per file besides its path (size, link flag, separator)."""


def _task(files: Sequence[Candidate]) -> bytes:
    return b"".join(
        (
            _COUNT.pack(len(files)),
            array(_SIZE, [c.size for c in files]).tobytes(),
            bytes([c.link for c in files]),
            "\0".join([c.path for c in files]).encode("utf-8", "surrogateescape"),
        )
    )


def _files(task: bytes) -> list[Candidate]:
    """The files of a task made by :func:`_task` (their sizes, link flags and paths)."""
    paths, sizes, links = _task_parts(task)
    return [
        Candidate(path, size, link == 1)
        for path, size, link in zip(paths, sizes, links, strict=True)
    ]


def _task_parts(task: bytes) -> tuple[list[str], array[int], bytes]:
    """The paths, sizes and link flags (one byte each, 1 for a link) of the files of a
    task made by :func:`_task`."""
    (count,) = _COUNT.unpack_from(task)
    sizes = array(_SIZE)
    at = _COUNT.size + count * sizes.itemsize
    sizes.frombytes(task[_COUNT.size : at])
    paths = task[at + count :].decode("utf-8", "surrogateescape").split("\0")
    return paths, sizes, task[at : at + count]


_Early = tuple[_Batch, dict[str, "spdxcache.Reading"]]
_AheadBatch = tuple[list[_Got], str]
"""An early scan's :data:`_Batch`: a copy's outcomes may be :data:`_Found`."""
_AheadEarly = tuple[_AheadBatch, dict[str, "spdxcache.Reading"]]


@contextlib.contextmanager
def scan_ahead(root: Path, settings: ScanSettings | None = None) -> Iterator[Ahead | None]:
    """An :class:`Ahead` for a cold scan of ``root`` with more than one process (the
    settings default to those of the enclosing :func:`scan_settings` block), else None;
    its copies are stopped when the block ends (they have ended already when the scan
    took its results)."""
    settings = settings or _SETTINGS.get(ScanSettings())
    if settings.jobs <= 1 or not _cold(settings, root):
        yield None
        return
    ahead = Ahead(root.resolve(), settings)
    try:
        yield ahead
    finally:
        ahead.close()


class Ahead:
    """The scan of a tree started while discovery still walks it (a cold run, where every
    file found will be read).

    Discovery tells :meth:`add` each file it finds. Once :attr:`ScanSettings.fork_min_files`
    and :attr:`ScanSettings.ahead_min_files` are found, this process forks copies of
    itself (:class:`audit.forked.Feed`, where it may fork; else nothing is done ahead) and
    hands them the files in small chunks as they are found: the copies scan while the tree
    is walked. :func:`scan` then takes their
    outcomes (:meth:`finish`: this process scans alongside the copies from then on), and
    scans itself the files no copy was given. Outcomes are those of one process: each file
    is scanned alone, and the scan merges them in path order.
    """

    def __init__(self, root: Path, settings: ScanSettings) -> None:
        self.root = root
        self.base = str(root)
        self.settings = settings
        self.want_hash = settings.cache_dir is not None
        """Whether the copies write cache entries (a scan with the cache takes them)."""
        self.pending: list[Candidate] = []
        self.used = _COUNT.size
        """The bytes the pending files take in a task (see :func:`_task`)."""
        self.room = 0
        """The most bytes a task holds (once copies run)."""
        self.chunks: list[list[Candidate]] = []
        """The files of each task given."""
        self.given = 0
        """Files handed to the copies so far."""
        self.most = _chunk_size(0, settings)
        """The most files in the next task: more as more files are found."""
        self.start = max(settings.fork_min_files, settings.ahead_min_files)
        """How many files found start the copies."""
        self.feed: forked.Feed[_AheadEarly] | None = None
        self.off = False
        """Set once nothing more is done ahead (could not fork; or finished)."""
        self.scanned = 0
        self.total = 0
        self.progress: Callable[[int, int], None] | None = None
        self.found = 0
        """Files discovery told of."""

    def add(self, cand: Candidate) -> None:
        """Take one file discovery found."""
        self.found += 1
        if self.off:
            return
        if self.feed is None:
            self.pending.append(cand)
            if len(self.pending) >= self.start:
                self._start()
            return
        self._put(cand)

    def _put(self, cand: Candidate) -> None:
        path = cand.path
        cost = _PER_FILE + (
            len(path) if path.isascii() else len(path.encode("utf-8", "surrogateescape"))
        )
        if self.used + cost > self.room or len(self.pending) >= self.most:
            self._give()
            if self.used + cost > self.room:
                return  # scanned after discovery, with the files no copy was given
        self.pending.append(cand)
        self.used += cost

    def _start(self) -> None:
        from audit import forked

        found, self.pending = self.pending, []
        if not forked.ready():
            self.off = True
            return
        self.readings = _inherited(None)  # the tree is still walked: every scanner
        if self.want_hash:
            content_sha256()
        self.feed = forked.Feed.start(self._here, self._there, self.settings.jobs, self._done)
        if self.feed is None:
            self.off = True
            return
        self.room = self.feed.ROOM
        for cand in found:
            self._put(cand)

    def _give(self) -> None:
        if self.pending and self.feed is not None:
            self.chunks.append(self.pending)
            task = _task(self.pending)
            self.given += len(self.pending)
            self.most = _chunk_size(self.given, self.settings)
            self.pending, self.used = [], _COUNT.size
            self.feed.give(task)

    def _here(self, i: int) -> _AheadEarly:
        chunk = self.chunks[i]
        if not self.want_hash:
            paths, sizes = [c.path for c in chunk], [c.size for c in chunk]
            return self._light(paths, sizes, [c.link for c in chunk])
        (outcomes, members), fresh = self._work(chunk)
        return (cast("list[_Got]", outcomes), members), fresh

    def _there(self, i: int, task: bytes) -> _AheadEarly:
        """Task ``i`` in a copy: what it sends back (lighter without the cache)."""
        if not self.want_hash:
            (light, members), fresh = self._light(*_task_parts(task))
            return (_Sent(light), members), fresh
        (outcomes, members), fresh = self._work(_files(task))
        return (cast("list[_Got]", outcomes), members), fresh

    def _work(self, files: list[Candidate]) -> _Early:
        return _scan_chunk(self.root, [(c, "") for c in files], self.want_hash, self.readings)

    def _light(self, paths: list[str], sizes: Sequence[int], links: Iterable[int]) -> _AheadEarly:
        """The outcomes of files scanned without the cache (:func:`_scan_light`), and the
        expressions first read meanwhile (see :func:`_scan_chunk`)."""
        mark = self.readings.made()
        outcomes = _scan_light(self.base, paths, sizes, links)
        return (outcomes, ""), self.readings.made_since(mark)

    def _done(self, i: int) -> None:
        self.scanned += len(self.chunks[i])
        if self.progress is not None:
            self.progress(self.scanned, self.total)

    def finish(
        self,
        progress: Callable[[int, int], None] | None,
        total: int,
        meanwhile: Callable[[], object] | None = None,
    ) -> tuple[_Taken, list[str]]:
        """The outcomes of the files given (:class:`_Taken`), and the cache entries
        written, once the copies have ended; ``progress`` is told of them out of ``total``
        files to scan. ``meanwhile()`` is called while the copies scan the files given,
        when they do (:meth:`audit.forked.Feed.finish`), else not at all."""
        self._give()
        feed, self.feed = self.feed, None
        self.off = True
        if feed is None:
            return _Taken(), []
        self.progress, self.total = progress, total
        if progress is not None and self.scanned:
            progress(self.scanned, total)
        batches = _keep_readings(self.readings, feed.finish(meanwhile))
        outcomes = [outcomes for outcomes, _ in batches]
        taken = _Taken(self.chunks, outcomes, whole=self.given == self.found)
        return taken, [members for _, members in batches if members]

    def close(self) -> None:
        """Stop the copies, if the scan did not take their outcomes (an exception)."""
        self.off = True
        if self.feed is not None:
            self.feed.close()
            self.feed = None


@dataclass(frozen=True)
class _Taken:
    """The outcomes of the files an early scan was given, task by task."""

    chunks: list[list[Candidate]] = dataclasses.field(default_factory=list)
    outcomes: list[list[_Got]] = dataclasses.field(default_factory=list)
    whole: bool = False
    """Whether the tasks hold every file discovery found, in the order found."""

    def __len__(self) -> int:
        return sum(map(len, self.chunks))

    def of(self, files: Sequence[Candidate], found_order: Sequence[int]) -> list[_Got | None]:
        """The outcome of each of ``files`` (None: not given); ``found_order`` tells where
        each was found (:attr:`Discovery.found_order`): the outcomes are then taken by
        place, else by the ``id`` of each candidate."""
        if self.whole and len(found_order) == len(files):
            in_order = [o for outcomes in self.outcomes for o in outcomes]
            return list(map(in_order.__getitem__, found_order))
        by_file: dict[int, _Got] = {}
        for chunk, outcomes in zip(self.chunks, self.outcomes, strict=True):
            by_file.update(zip(map(id, chunk), outcomes, strict=True))
        return list(map(by_file.get, map(id, files)))


class _Pooled:
    """One pooled scan: chunks of files go to worker processes in order, from the front.

    Starting the workers waits for the fork server to have imported every scanner (up to a
    second unless :func:`prestart` started it earlier); meanwhile this process scans
    chunks itself, from the back. Once the workers run, the pool takes every chunk left:
    this process does not scan alongside them (its imports of the scanners' libraries
    would be work done twice). A pool that cannot start or breaks leaves its chunks to this
    process: a pool is never worse than one process.
    """

    def __init__(
        self,
        root: Path,
        chunks: list[list[tuple[Candidate, str]]],
        want_hash: bool,
        jobs: int,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.root = root
        self.chunks = chunks
        self.want_hash = want_hash
        self.jobs = jobs
        self.progress = progress
        self.total = sum(len(c) for c in chunks)
        self.scanned = 0
        self.results: list[_Batch | None] = [None] * len(chunks)
        self.futures: dict[int, Future[_Batch]] = {}
        self.front = 0
        """Chunks before this index are the pool's."""
        self.back = len(chunks)
        """Chunks from this index on are this process's."""
        self.lock = threading.Lock()
        self.started = threading.Event()
        """Set when the workers have started (or the pool failed)."""
        self.failure: BaseException | None = None

    def run(self) -> list[_Batch]:
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        try:
            with ProcessPoolExecutor(max_workers=self.jobs, mp_context=_context()) as pool:
                feeder = threading.Thread(target=self._feed, args=(pool,), daemon=True)
                feeder.start()
                if _SERVER.ready.is_set():  # the workers start in a few milliseconds
                    self.started.wait()
                while (i := self._claim_back()) is not None:
                    self._done(i, _scan_batch(self.root, self.chunks[i], self.want_hash))
                feeder.join()
                if self.failure is not None:
                    raise self.failure
                for i in range(len(self.chunks)):
                    if self.results[i] is None:
                        self._done(i, self.futures[i].result())
        except (BrokenProcessPool, OSError) as exc:
            log.warning("scan worker pool failed (%s); scanning in this process", exc)
            for i, chunk in enumerate(self.chunks):
                if self.results[i] is None:
                    self._done(i, _scan_batch(self.root, chunk, self.want_hash))
        return [result for result in self.results if result is not None]

    def _feed(self, pool: ProcessPoolExecutor) -> None:
        """Submit the first chunk (which waits for the workers to start), then all the
        chunks this process has not taken meanwhile."""
        try:
            with self.lock:
                first = self.front
                self.front += 1
            if first < self.back:
                self.futures[first] = pool.submit(
                    _scan_batch, self.root, self.chunks[first], self.want_hash
                )
            with self.lock:
                rest = range(self.front, self.back)
                self.front = self.back
            for i in rest:
                self.futures[i] = pool.submit(
                    _scan_batch, self.root, self.chunks[i], self.want_hash
                )
        except BaseException as exc:  # reported by run(), in the scanning thread
            self.failure = exc
            with self.lock:
                self.front = len(self.chunks)  # nothing more for the pool
        finally:
            self.started.set()

    def _claim_back(self) -> int | None:
        with self.lock:
            if self.back <= self.front:
                return None
            self.back -= 1
            return self.back

    def _done(self, i: int, batch: _Batch) -> None:
        self.results[i] = batch
        self.scanned += len(batch[0])
        if self.progress is not None:
            self.progress(self.scanned, self.total)


def _failed(path: str, reason: str) -> _Outcome:
    return _Outcome(True, ScanResult(problems=(Problem(path, 0, "unreadable", reason),)))


def _context(licenses: bool = True) -> BaseContext:
    """A fresh-process start method, never ``fork``: the ``dockerfile`` parser is a Go
    library whose runtime threads do not survive a fork (the child hangs). The fork server
    starts once, with the scanner modules imported and, with ``licenses``, the license data
    loaded (:data:`PRELOAD`), and forks the workers: they inherit both."""
    import multiprocessing

    from audit.scanners import MODULES

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    preload = ["audit.classcode_preloaded", "audit.scan", "hashlib", *MODULES, *INHERITED]
    ctx.set_forkserver_preload([*preload, PRELOAD] if licenses else preload)
    return ctx


INHERITED = ("audit.shell.interpreter", "yaml", "packaging.requirements")
"""What the scanners import on first use and most trees need (shell lines in CI steps and
RUN instructions, YAML CI files, pip lines and manifests): loaded once before the scan's
other processes start (forked copies, the pool's fork server) rather than once in each.
Pure-Python or thread-free libraries only. Not bashlex: depaudit's own shell reader reads
the scripts of most trees, and building bashlex's parser tables (0.1 s) would be spent for
nothing; a process that needs it imports it."""

PRELOAD = "audit.licenses.preloaded"
"""The module the fork server imports last when it loads the license data for its workers
(the license database's matcher, the bundled license texts: a few tenths of a second that
each worker would otherwise spend)."""


class _Server:
    """The fork server started ahead of a scan by :func:`prestart`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = False
        self.ready = threading.Event()
        """Set once the server has imported the scanners (it forks workers at once)."""

    def start(self, licenses: bool = True) -> None:
        """Boot the server (once per process), loading the license data when ``licenses``."""
        with self.lock:
            if self.started:
                return
            self.started = True
        ctx = _context(licenses)
        if ctx.get_start_method() != "forkserver":
            return
        threading.Thread(target=self._boot, args=(ctx,), daemon=True).start()

    def _boot(self, ctx: BaseContext) -> None:
        # A first process forked by the server: it exists once the server has imported
        # everything. Failures are left for the pool to meet (and fall back from).
        try:
            probe = ctx.Process(target=_nothing, daemon=True)  # type: ignore[attr-defined]
            probe.start()
            probe.join()
        except Exception as exc:
            log.debug("scan fork server did not start ahead (%s)", exc)
            return
        if probe.exitcode == 0:
            self.ready.set()


_SERVER = _Server()


def _nothing() -> None:
    """The fork server's first child (see :class:`_Server`)."""


def prestart(
    found: int,
    settings: ScanSettings | None = None,
    root: Path | None = None,
    ahead: Ahead | None = None,
) -> None:
    """Start booting the fork server of the scan's worker pool, in the background, once
    ``found`` files make a pool likely: ``settings.jobs`` > 1 and at least
    ``settings.pool_min_files`` found (the settings default to those of the enclosing
    :func:`scan_settings` block). Meant for :func:`audit.discover.discover`'s
    ``progress``.

    Booting takes up to a second (the server imports every scanner and its libraries):
    so it happens while the tree is walked. The server also loads the license data its
    workers inherit when the scan is likely to read the tree's files (:func:`_cold`); when
    the scan cache already holds ``root``'s results, it is not started at all. The
    server is started once per process and stays for later scans; if no scan uses it, it
    ends with this process. Never raises; without this call the scan starts the server
    itself (loading the license data: a pool is then needed). Nor is it started while
    ``ahead``'s copies scan the files found (:class:`Ahead`): no pool is needed then, even
    where this process may no longer fork (it may have parsed a Dockerfile meanwhile).
    """
    settings = settings or _SETTINGS.get(ScanSettings())
    if settings.jobs <= 1 or found < settings.pool_min_files:
        return
    if ahead is not None and ahead.feed is not None:
        return
    cold = _cold(settings, root)
    if root is not None and not cold:
        # The cache holds results for this root: the scan reads only the files that
        # changed, most often far fewer than a pool needs; booting the server for nothing
        # costs a core a few tenths of a second and its memory. When many files did
        # change, the scan starts the pool itself.
        return
    from audit import forked

    if forked.ready():
        return  # the scan forks copies of this process instead: no server
    try:
        _SERVER.start(licenses=cold)
    except Exception as exc:  # the pool will meet (and report) the same trouble
        log.debug("scan fork server did not start ahead (%s)", exc)


def _cold(settings: ScanSettings, root: Path | None) -> bool:
    """Whether a scan of ``root`` will read its files, as far as can be told before the
    walk ends: no result cache, or none of ``root`` yet (``root`` unknown: it may be
    warm). A warm scan's cache answers for most files: loading the license data ahead for
    workers it may never start would be time spent for nothing."""
    if settings.cache_dir is None:
        return True
    if root is None:
        return False
    return not scancache.cache_file(settings.cache_dir, root.resolve()).exists()


# The cache ------------------------------------------------------------------------------


class _Cache:
    """The per-file cache of one run over one root (see :mod:`audit.scancache`)."""

    def __init__(self, path: Path, root: Path, files: dict[str, Any]) -> None:
        self.path = path
        self.root = root
        self.files = files
        """Entries loaded (JSON data), less those of files scanned again."""
        self.written: list[str] = []
        """Entries of the files scanned, as JSON object members written by the scan."""
        self.changed = False
        self.started_ns = time.time_ns()

    @classmethod
    def open(cls, cache_dir: Path, root: Path) -> _Cache:
        path = scancache.cache_file(cache_dir, root)
        return cls(path, root, scancache.load(path, root))

    def _entry(self, path: str) -> list[Any] | None:
        entry = self.files.get(path)
        return entry if isinstance(entry, list) and len(entry) == 6 else None

    def by_stat(self, cand: Candidate) -> _Outcome | None:
        """The cached outcome when the file's stat key is unchanged (and trusted)."""
        entry = self.by_stat_entry(cand)
        if entry is None:
            return _UNWANTED
        if entry is False:
            return None
        return self._outcome(cand, entry)

    def by_stat_entry(self, cand: Candidate) -> list[Any] | Literal[False] | None:
        """The file's entry when its stat key is unchanged (and trusted): ``None`` for a
        file no scanner wants, else the list (its result not decoded); False when the
        file must be read."""
        entry = self.files.get(cand.path, False)
        if entry is None:
            return None
        if (
            type(entry) is list
            and len(entry) == 6
            and entry[0] == cand.size
            and entry[1] == cand.mtime_ns
            and entry[2] == cand.inode
        ):
            return entry
        return False

    def sha(self, path: str) -> str:
        entry = self._entry(path)
        return entry[3] if entry is not None and isinstance(entry[3], str) else ""

    def refresh(self, cand: Candidate, fresh: _Outcome) -> _Outcome:
        """The cached result for a file whose bytes hash as before (its stat key changed)."""
        entry = self._entry(cand.path)
        cached = self._outcome(cand, entry) if entry is not None else None
        if entry is None or cached is None or fresh.key is None:  # damaged: scan it after all
            return self.rescan(cand, select(cand.path))
        # The same entry with the new stat key (its mtime trusted only once settled).
        size, mtime_ns, inode = fresh.key
        if not scancache.settled(mtime_ns, self.started_ns):
            mtime_ns = -1
        self.files[cand.path] = [size, mtime_ns, inode, *entry[3:]]
        self.changed = True
        return _Outcome(True, cached.result, cached.skipped, fresh.key)

    def rescan(self, cand: Candidate, scanners: Sequence[Scanner]) -> _Outcome:
        """Scan here a file whose entry is damaged (the entry is replaced)."""
        self.files.pop(cand.path, None)
        self.changed = True
        if not scanners:
            outcome, entry = _UNWANTED, None
        else:
            outcome, entry = _scan_one(self.root, cand, scanners, want_hash=True)
        self.record(cand, outcome)
        if entry is not None:
            self.written.append(scancache.members({cand.path: entry}))
        return outcome

    def _outcome(self, cand: Candidate, entry: list[Any]) -> _Outcome | None:
        try:
            result = scancache.decode_result(entry[5])
        except scancache.BAD_DATA:
            self.files.pop(cand.path, None)
            self.changed = True
            return None
        reason = entry[4]
        if isinstance(reason, str):
            return _Outcome(True, result, SkippedFile(cand.path, reason))
        return _NOTHING_FOUND if result == _EMPTY else _Outcome(True, result)

    def record(self, cand: Candidate, outcome: _Outcome) -> None:
        """Note what became of a file not taken from the cache: no scanner wants it, or
        its old entry goes (it was scanned again, its new entry is in :attr:`written`; or
        it was unreadable: nothing worth keeping)."""
        if not outcome.wanted:
            if self.files.get(cand.path, 0) is not None:
                self.files[cand.path] = None
                self.changed = True
        elif self.files.pop(cand.path, None) is not None:
            self.changed = True

    def save(self, present: Collection[str]) -> None:
        """Write the entries again if something changed, less those of files no longer
        ``present`` (this run's paths, each once)."""
        files = self.files
        gone: list[str] = []
        # every entry's file present (most runs): no set of 100,000s of paths to make
        if sum(map(files.__contains__, present)) != len(files):
            kept = set(present)
            gone = [p for p in files if p not in kept]
            for p in gone:
                del files[p]
        if self.changed or gone or self.written:
            scancache.save(self.path, self.root, files, self.written)


class Remembered:
    """Readings of files by one particular reader object — the follow stage's readings of
    called workflows with a caller's inputs, and of Makefiles and scripts with a CI step's
    environment (audit/ci_follow.py) — kept between runs next to the scan cache
    (``<cache dir>/follow/``, the scan cache's format, checks and stat rule), keyed by the
    file and the reader's ``cache_key()`` (everything the reading depends on besides the
    file's bytes and depaudit's own code). A file whose stat key is unchanged and trusted
    is not read again; a reader without ``cache_key``, or a run without the scan cache,
    reads every time. :meth:`save` writes what this run used."""

    def __init__(self, root: Path, cache_dir: Path | None) -> None:
        self.cache: _Cache | None = None
        if cache_dir is not None:
            path = scancache.cache_file(cache_dir, root, "follow")
            self.cache = _Cache(path, root, scancache.load(path, root))
        self.used: set[str] = set()

    @classmethod
    def open(cls, root: Path) -> Remembered:
        """For ``root``, with the cache of the enclosing :func:`scan_settings` block."""
        return cls(root, current_cache_dir())

    def read(self, root: Path, cand: Candidate, scanners: Sequence[Scanner]) -> ScanResult:
        """What ``scanners`` find in ``cand`` (as :func:`scan_file`), from the cache when
        it holds this reading of this version of the file."""
        keys = [getattr(s, "cache_key", None) for s in scanners]
        if self.cache is None or not keys or any(k is None for k in keys):
            return scan_file(root, cand, scanners)[0]
        key = "\n".join([cand.path, *(k() for k in keys if k is not None)])
        keyed = cand._replace(path=key)
        self.used.add(key)
        hit = self.cache.by_stat(keyed)
        if hit is not None and hit.wanted:
            return hit.result
        outcome, entry = _scan_one(root, cand, scanners, want_hash=True)
        self.cache.record(keyed, outcome)
        if entry is not None:
            self.cache.written.append(scancache.members({key: entry}))
        return outcome.result

    def save(self) -> None:
        if self.cache is not None:
            self.cache.save(self.used)


__all__ = [
    "MAX_PROBLEMS_PER_FILE",
    "Ahead",
    "Decoded",
    "Remembered",
    "ScanOutput",
    "ScanSettings",
    "current_cache_dir",
    "decode",
    "default_jobs",
    "is_binary",
    "prestart",
    "scan",
    "scan_ahead",
    "scan_file",
    "scan_settings",
    "scrub",
]
