"""``#include <linux/…>`` in C, C++ and cgo: the Linux kernel's UAPI headers a build uses.

Userspace code that includes ``<linux/netlink.h>`` compiles the kernel's UAPI headers
(``include/uapi/linux/`` of the kernel, installed by the build system's kernel headers
package) into the project's binaries. The headers are GPL-2.0 WITH Linux-syscall-note.

This scanner only records the include lines, one :data:`COMPONENT_ID` component per file
with every include line as evidence (the link stage unites them); which of them count —
not kernel or eBPF code, not a header the tree has itself — is decided for the whole tree
by :func:`audit.uapi.linux_uapi_headers`. In a Go file, only the cgo preamble of a file
that says ``import "C"`` and is not excluded from every build (``//go:build ignore``)
counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audit.model import Component, ComponentKind, ScanResult
from audit.scanners.base import SourceFile, finditer_at
from audit.scanners.notice_files import C_EXTENSIONS

NAME = "uapi-includes"
COMPONENT_ID = "source:linux-uapi-headers"
"""The id the scanner gives its per-file finds (refined per tree by :mod:`audit.uapi`)."""
MAX_PER_FILE = 100
"""Include lines kept per file (a file that includes more is generated code)."""

_C_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*<(linux/[A-Za-z0-9_.+/-]+)>", re.M)
_CGO_INCLUDE = re.compile(
    r"^[ \t]*(?://[ \t]*)?#[ \t]*include[ \t]*<(linux/[A-Za-z0-9_.+/-]+)>", re.M
)
_IMPORT_C = re.compile(r'^[ \t]*import[ \t]+"C"[ \t]*(?://.*)?$', re.M)
_GO_IGNORED = re.compile(r"^//(?:go:build|[ \t]*\+build)[ \t]+ignore[ \t]*$", re.M)


def _ext(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def includes(path: str, text: str) -> list[tuple[int, str]]:
    """(1-based line, ``linux/….h``) of every ``<linux/…>`` include the file compiles."""
    if "<linux/" not in text:
        return []
    if _ext(path) == ".go":
        imported = _IMPORT_C.search(text)
        if imported is None or _GO_IGNORED.search(text, 0, imported.start()):
            return []
        pattern, end = _CGO_INCLUDE, imported.start()
    else:
        pattern, end = _C_INCLUDE, len(text)
    found: list[tuple[int, str]] = []
    line, last = 1, 0
    for m in finditer_at(pattern, text, _include_lines(text, end), end):
        line += text.count("\n", last, m.start())
        last = m.start()
        found.append((line, m.group(1)))
        if len(found) >= MAX_PER_FILE:
            break
    return found


def _include_lines(text: str, end: int) -> list[int]:
    """The start of each line before ``end`` that holds ``<linux/`` (where an include of
    a uapi header can match: a match is one line, from its start, and holds it)."""
    starts: list[int] = []
    pos = text.find("<linux/", 0, end)
    while pos >= 0:
        starts.append(text.rfind("\n", 0, pos) + 1)
        stop = text.find("\n", pos, end)
        if stop < 0:
            break
        pos = text.find("<linux/", stop, end)
    return starts


@dataclass(frozen=True)
class UapiScanner:
    """Linux UAPI headers included by C and Go sources."""

    name: str = NAME

    def matches(self, path: str) -> bool:
        return self.matches_ext(_ext(path))

    def matches_ext(self, ext: str) -> bool:
        return ext in C_EXTENSIONS or ext == ".go"

    def text_only(self, path: str) -> bool:
        return True

    def scan(self, source: SourceFile) -> ScanResult:
        if "<linux/" not in source.marks:  # one pass with the notices scanner's marks
            return _NOTHING
        found = includes(source.path, source.text)
        if not found:
            return _NOTHING
        evidence = tuple(source.evidence(line, NAME) for line, _ in found)
        component = Component(
            id=COMPONENT_ID,
            kind=ComponentKind.SOURCE,
            name="linux-uapi-headers",
            version=None,
            ecosystem=None,
            purl=None,
            evidence=evidence,
        )
        return ScanResult(components=(component,))


_NOTHING = ScanResult()
"""The result of a file without an include of a uapi header (most C and Go files): one
result shared by all of them (a result is frozen), not one made for each (5,000
instructions)."""

SCANNER = UapiScanner()

__all__ = ["COMPONENT_ID", "NAME", "SCANNER", "UapiScanner", "includes"]
