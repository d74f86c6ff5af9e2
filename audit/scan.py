"""Scan stage runner: read each candidate once, hand it to the scanners that want it.

Scanners are chosen by path before the file is opened; a file no scanner wants is never
read. Binary files (a NUL byte in the first 8 KiB) are skipped and listed. Text is decoded
as UTF-8 (with or without BOM) or UTF-16 with a BOM; other bytes are decoded with
replacement characters and reported, so that license notices can still be found.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from audit.discover import Candidate, Discovery
from audit.model import Problem, ScanResult, SkippedFile
from audit.scanners import Scanner, select
from audit.scanners.base import SourceFile

_BINARY_PROBE = 8192


@dataclass(frozen=True)
class ScanOutput:
    result: ScanResult
    skipped: tuple[SkippedFile, ...]
    files_scanned: int


def _read(root: Path, cand: Candidate) -> bytes:
    path = root / cand.path
    if cand.link:
        real = os.path.realpath(path)
        base = str(root)
        if not real.startswith(base + os.sep):
            raise PermissionError("symlink now points outside the scanned root")
        path = Path(real)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(cand.size + 1)


@dataclass(frozen=True)
class Decoded:
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


def is_binary(data: bytes) -> bool:
    head = data[:_BINARY_PROBE]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\0" in head


def scan_file(
    root: Path, cand: Candidate, scanners: Sequence[Scanner]
) -> tuple[ScanResult, SkippedFile | None]:
    """Read one file and run the given scanners on it; never raises."""
    try:
        data = _read(root, cand)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return ScanResult(problems=(Problem(cand.path, 0, "unreadable", reason),)), None
    if is_binary(data):
        return ScanResult(), SkippedFile(cand.path, "binary file")
    decoded = decode(data)
    source = SourceFile(cand.path, decoded.text)
    results: list[ScanResult] = []
    if decoded.problem:
        message = f"{decoded.problem}; decoded with replacement characters"
        results.append(
            ScanResult(problems=(Problem(cand.path, decoded.line, "unreadable", message),))
        )
    for scanner in scanners:
        try:
            results.append(scanner.scan(source))
        except RecursionError:
            results.append(_crash(cand.path, scanner.name, "input nested too deeply"))
        except Exception as exc:  # a scanner bug must not end the scan
            message = f"scanner failed: {type(exc).__name__}: {exc}"
            results.append(_crash(cand.path, scanner.name, message))
    return ScanResult.merge(results), None


def _crash(path: str, scanner: str, message: str) -> ScanResult:
    return ScanResult(problems=(Problem(path, 0, "parse-error", message, scanner),))


def scan(
    discovery: Discovery,
    *,
    selector: Callable[[str], Sequence[Scanner]] = select,
) -> ScanOutput:
    """Run the scanners over every discovered file, in path order."""
    results: list[ScanResult] = [ScanResult(problems=discovery.problems)]
    skipped: list[SkippedFile] = list(discovery.skipped)
    scanned = 0
    for cand in discovery.files:
        scanners = selector(cand.path)
        if not scanners:
            continue
        res, skip = scan_file(discovery.root, cand, scanners)
        scanned += 1
        if skip is not None:
            skipped.append(skip)
        results.append(res)
    skipped.sort(key=lambda s: s.path)
    return ScanOutput(ScanResult.merge(results), tuple(skipped), scanned)
