"""Group first-party license notices into ``source`` components with their run context.

Input: every :class:`~audit.model.Notice` of a scan and every scanned path. Output:
:class:`SourceFacts` — one ``source`` component per directory (subtree) whose files agree
on one license and one context, plus the findings a human must look at.

Per file
    The *header* license is the file's ``SPDX-License-Identifier``, else its prose header
    notice (all prose notices must agree), else — for a file that only says "see LICENSE"
    — the license of that one referenced file when its text was identified. The *runtime*
    string is ``MODULE_LICENSE("...")`` or the eBPF ``license`` section.

    When both exist and disagree (``MODULE_LICENSE("GPL")`` under a "dual licensed under
    either the MIT or GPL 2" header) the header wins and a finding cites both lines:
    ``license-conflict`` when the string claims terms the notice does not grant, else
    ``runtime-marker`` (it only asks for GPL-only symbols; see
    :func:`audit.licenses.kernel.marker_contradicts`). Why the header: it is the file-level
    statement of the terms the authors grant, written for people; the run-time string is a
    marker for the kernel's GPL-only-symbol check, with a fixed vocabulary that cannot say
    "GPL-2.0-only OR MIT" precisely (the kernel's own rules say the exact license "can only
    be determined via the license information in the corresponding source files").

Per directory
    Context markers: ``MODULE_LICENSE`` (strong) and ``obj-m`` in Kbuild/Makefile or a
    ``dkms.conf`` (weak) mean kernel-module; an eBPF license section, ``*.bpf.c`` or
    program sections (strong) mean ebpf; a subtree's context is its strong markers' if any,
    else its weak ones', else userspace. A directory forms one component when all licensed
    files below it share one license (header licenses, or run-time ones when no file there
    has a header) and one context, and no sub-directory with licensed code but without
    markers hides below a marked one (that code runs in user space). Otherwise each
    sub-directory is examined in turn and the directory's own files form a component of
    their own. Files without any notice inside a component inherit its license and are
    counted (``uncovered-files``).
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter, itemgetter
from types import MappingProxyType
from typing import TypeVar

from audit import quickexit, spdx
from audit.licenses import kernel
from audit.model import Component, ComponentKind, Context, Evidence, Finding, Notice
from audit.scanners.notice_files import NAME as NOTICES
from audit.scanners.notice_files import counted_sources, is_license_file

KERNEL_MODULE = Context.KERNEL_MODULE.value
EBPF = Context.EBPF.value
USERSPACE = Context.USERSPACE.value

_T = TypeVar("_T")

HEADER_KINDS = frozenset({"spdx-tag", "prose"})
RUNTIME_KINDS = frozenset({"module-license", "ebpf-section"})
_CONTEXT_PRIORITY = (KERNEL_MODULE, EBPF)
_CODE_EXTENSIONS = frozenset(
    {".c", ".cc", ".cpp", ".cxx", ".c++", ".s", ".asm", ".go", ".rs", ".py"}
)
_MAX_EVIDENCE = 12
_MAX_REASONS = 4


@dataclass(frozen=True)
class SourceFacts:
    """What the grouping found."""

    components: tuple[Component, ...]
    """``source`` components, sorted by id."""
    findings: tuple[Finding, ...]
    owners: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    """The component id of every counted file that belongs to a component, by path."""

    def component_of(self, path: str) -> str | None:
        """The id of the source component a path belongs to, if any."""
        return self.owners.get(path)


class _Owners(Mapping[str, str]):
    """The component id of each counted file, by path, made when first asked (most runs
    never ask; a tree holds 100,000s of files)."""

    def __init__(self, members: list[tuple[str, list[_File], list[str]]]) -> None:
        self._members = members
        self._made: dict[str, str] | None = None

    def _owners(self) -> dict[str, str]:
        if self._made is None:
            made: dict[str, str] = {}
            for cid, files, paths in self._members:
                made.update(dict.fromkeys(map(_PATH, files), cid))
                made.update(dict.fromkeys(paths, cid))
            self._made = made
        return self._made

    def __getitem__(self, path: str) -> str:
        return self._owners()[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._owners())

    def __len__(self) -> int:
        return len(self._owners())


def source_context(component: Component) -> tuple[str, str] | None:
    """``(context, reason)`` of a source component, for the classify stage."""
    if component.kind != ComponentKind.SOURCE:
        return None
    ctx = component.prop("context")
    return (ctx, component.prop("context_reason") or "") if ctx else None


# -- helpers ------------------------------------------------------------------------------


def _dir(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _ancestors(directory: str) -> list[str]:
    """``a/b`` -> [``a/b``, ``a``, ``""``]."""
    out = [directory]
    while directory:
        directory = _dir(directory)
        out.append(directory)
    return out


def _common_dir(paths: Iterable[str]) -> str:
    """The deepest directory holding every path (``""`` for the root)."""
    unique = {p.rpartition("/")[0] for p in paths}  # {_dir(p) ...}
    if len(unique) == 1:
        return unique.pop()
    dirs = [d.split("/") if d else [] for d in unique]
    common: list[str] = []
    for parts in zip(*dirs, strict=False):
        if any(part != parts[0] for part in parts):
            break
        common.append(parts[0])
    return "/".join(common)


def _span(a: Sequence[str], b: Sequence[str]) -> tuple[str, str]:
    """The first and the last of two sorted lists of paths, not both empty."""
    if not a:
        return b[0], b[-1]
    if not b:
        return a[0], a[-1]
    return min(a[0], b[0]), max(a[-1], b[-1])


def _is_code(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in _CODE_EXTENSIONS


_NOTICE_EXTENSIONS = _CODE_EXTENSIONS | frozenset(
    {".h", ".hh", ".hpp", ".hxx", ".js", ".ts", ".java", ".kt", ".rb", ".sh", ".swift", ".cs"}
)
_NO_NOTICE_DIRS = frozenset(
    {"testdata", "test-data", "fixtures", "vendor", "third_party", "third-party", "thirdparty",
     "external", "deps", "node_modules", "generated"}
)  # fmt: skip
_GENERATED_MARKS = (".pb.go", ".pb.h", ".pb.cc", "_generated.", "zz_generated", ".gen.", "_gen.")


def needs_notice(path: str) -> bool:
    """Whether a first-party file is expected to carry its own license notice: source code
    (not YAML, JSON, Markdown, CI or build files), outside test data, generated files and
    vendored or third-party trees."""
    directory, _, name = path.lower().rpartition("/")
    dot = name.rfind(".")
    if dot <= 0 or name[dot:] not in _NOTICE_EXTENSIONS:
        return False
    if directory and _no_notice_dir(directory):
        return False
    # every mark holds "gen" or ".pb.": most names are done with two tests
    return not (("gen" in name or ".pb." in name) and any(m in name for m in _GENERATED_MARKS))


@lru_cache(maxsize=4096)
def _no_notice_dir(directory: str) -> bool:
    """Whether a (lower-case) directory is or lies in test data, a vendored tree..."""
    return any(part in _NO_NOTICE_DIRS for part in directory.split("/"))


def _runtime_label(notice: Notice) -> str:
    if notice.kind == "module-license":
        return f'MODULE_LICENSE("{notice.raw}")'
    return f'eBPF license section "{notice.raw}"'


def _marker(notice: Notice) -> tuple[str, bool] | None:
    """(context, strong) for a notice that tells where code runs."""
    if notice.kind == "module-license":
        return KERNEL_MODULE, True
    if notice.kind in ("ebpf-section", "ebpf-program"):
        return EBPF, True
    if notice.kind == "kernel-build":
        # MODULE_LICENSE(MACRO) is reported as a build hint: strong, its string unknown.
        return KERNEL_MODULE, notice.raw.startswith("MODULE_LICENSE(")
    return None


def _marker_label(n: Notice) -> str:
    if n.kind in RUNTIME_KINDS:
        return _runtime_label(n)
    if n.kind == "ebpf-program":
        return f"eBPF program section {n.raw}" if n.line else "*.bpf.c file"
    if n.raw == "dkms.conf" or n.raw.startswith("MODULE_LICENSE("):
        return n.raw
    return f'Kbuild "{n.raw}"'


@lru_cache(maxsize=4096)
def _license_keys(expression: str) -> frozenset[str]:
    """License ids of a rendered expression, exceptions left out."""
    keys: set[str] = set()
    skip = False
    for token in expression.replace("(", " ").replace(")", " ").split():
        if skip:
            skip = False
        elif token == "WITH":
            skip = True
        elif token not in ("AND", "OR"):
            keys.add(token)
    return frozenset(keys)


def _decide(markers: Iterable[tuple[str, bool]]) -> frozenset[str]:
    items = set(markers)
    strong = frozenset(c for c, s in items if s)
    return strong or frozenset(c for c, s in items if not s)


def _first_of_each(notices: list[Notice]) -> dict[tuple[str, str], Notice]:
    """The first notice by path and line of each kind and text, in that order (the order
    given among equals)."""
    if not notices:
        return {}
    first = notices[0]
    kind, raw = first.kind, first.raw
    if len(notices) == 1:
        return {(kind, raw): first}
    # the common case, one tag for all: every kind and every text the same, the first by
    # path and line taken in one loop (no key, no tuple per notice)
    path, line = first.path, first.line
    for n in notices:
        if n.kind != kind or n.raw != raw:
            break
        if n.path < path or (n.line < line and n.path == path):
            first, path, line = n, n.path, n.line
    else:
        return {(kind, raw): first}
    out: dict[tuple[str, str], Notice] = {}
    for n in sorted(notices, key=_PATH_LINE):
        out.setdefault((n.kind, n.raw), n)
    return out


def _slug(expression: str) -> str:
    return expression.replace(" ", "+")


# -- the files ----------------------------------------------------------------------------


def _by_directory(paths: Iterable[str], items: Iterable[_T]) -> dict[str, list[_T]]:
    """Each of ``items`` under the directory of the path beside it in ``paths``, in
    order (100,000s of files: the loop is inline)."""
    out: dict[str, list[_T]] = {}
    for path, item in zip(paths, items, strict=True):
        d = path.rpartition("/")[0]  # _dir(path)
        siblings = out.get(d)
        if siblings is None:
            out[d] = [item]
        else:
            siblings.append(item)
    return out


@dataclass(frozen=True)
class FileLayout:
    """What grouping needs of the scanned paths alone: the files of each directory and
    which of them a source component counts.

    It does not depend on what the scan finds, so that the pipeline builds it while the
    scan still runs (100,000s of files)."""

    direct: Mapping[str, tuple[str, ...]]
    """The paths directly in each directory (``""``: the root), in the order given."""
    paths: frozenset[str]
    counted: frozenset[str]
    """The paths a source component counts (:func:`counted_sources`)."""

    @classmethod
    def of(cls, paths: Sequence[str]) -> FileLayout:
        direct = _by_directory(paths, paths)
        return cls(
            MappingProxyType({d: tuple(group) for d, group in direct.items()}),
            frozenset(paths),  # sets: the order of the paths (or of their groups) is moot
            frozenset(counted_sources(paths)),
        )

    def including(self, paths: Iterable[str]) -> FileLayout:
        """This layout with the ``paths`` it does not hold yet added after the others."""
        paths = list(paths)
        if self.paths.issuperset(paths):
            return self
        extra = [p for p in dict.fromkeys(paths) if p not in self.paths]
        return FileLayout.of([*(p for group in self.direct.values() for p in group), *extra])


# -- per file -----------------------------------------------------------------------------


_NO_MARKERS: frozenset[tuple[str, bool]] = frozenset()
_MARKER_KINDS = frozenset({"module-license", "ebpf-section", "ebpf-program", "kernel-build"})
_NOTICE_ORDER = attrgetter("line", "kind", "raw")
_PATH = attrgetter("path")
_HEADER = attrgetter("header")
_NOWHERE: frozenset[str] = frozenset()
_PATH_LINE = attrgetter("path", "line")
_SOURCE = ComponentKind.SOURCE
_VALUE = itemgetter(1)
_EVIDENCE_ORDER = attrgetter("path", "line", "text", "scanner")


@dataclass(slots=True)
class _File:
    """What the grouping of source files knows of one scanned file that holds a notice (a
    file without any is only its path: see :class:`FileLayout`)."""

    path: str
    notices: list[Notice]
    """The file's notices, by line."""
    header: str | None = None
    deciding: tuple[Notice, ...] = ()
    runtime: str | None = None
    markers: frozenset[tuple[str, bool]] = _NO_MARKERS
    marker_notices: tuple[Notice, ...] = ()

    @property
    def license(self) -> str | None:
        return self.header or self.runtime

    @property
    def has_notice(self) -> bool:
        return any(
            n.kind in HEADER_KINDS or n.kind in RUNTIME_KINDS or n.kind == "reference"
            for n in self.notices
        )


def _resolve(name: str, directory: str, existing: frozenset[str]) -> str | None:
    """The license file a reference names, in the file's directory or above."""
    names = [name]
    if "." not in name:
        names += [f"{name}{ext}" for ext in (".txt", ".md", ".rst")]
    for d in _ancestors(directory):
        for n in names:
            candidate = f"{d}/{n}" if d else n
            if candidate in existing:
                return candidate
    return None


class _Builder:
    def __init__(self, notices: Sequence[Notice], layout: FileLayout) -> None:
        self.files: dict[str, _File] = {}
        """The files with a notice."""
        noticed = self.files
        referencing: set[str] = set()
        self.texts: dict[str, list[Notice]] = {}
        """The identified license texts of each file, in the order of its notices."""
        several: dict[str, _File] = {}
        """The files to classify (:meth:`_classify`): those of several notices, or of one
        that is not a header; a file of one header notice (most) is made classified."""
        for n in notices:  # 100,000s of notices: the loop is inline
            path = n.path
            f = noticed.get(path)
            kind = n.kind
            if f is None:
                if n.expression and kind in HEADER_KINDS:  # one SPDX tag or prose header
                    noticed[path] = _File(path, [n], n.expression, (n,))
                else:
                    noticed[path] = several[path] = _File(path, [n])
            else:
                f.notices.append(n)
                several[path] = f
            if kind == "reference":
                referencing.add(path)
            elif kind == "license-text" and n.expression:
                self.texts.setdefault(path, []).append(n)
        self.direct = _by_directory(noticed, noticed.values())
        """The files with a notice directly in each directory."""
        self.layout = layout = layout.including(noticed)  # files the list does not hold
        self.referencing = sorted(referencing)
        """The files with a "see LICENSE" reference, sorted."""
        self.existing = layout.paths
        self.targets: dict[tuple[str, str], str | None] = {}
        for found in self.texts.values():
            if len(found) > 1:  # stable: the order they have among the file's sorted notices
                found.sort(key=_NOTICE_ORDER)
        self.findings: list[Finding] = []
        self.file_findings: list[tuple[str, str, str, tuple[Evidence, ...]]] = []
        """Findings about one file: their subject is its component, known after grouping;
        each file's in order (the findings are sorted by kind, subject and message: a
        file's path is in each message)."""
        self.members: list[tuple[str, list[_File], list[str]]] = []
        """Each component's id and counted files (those with a notice, the others)."""
        self.runtimes = self.marked = False
        """Whether a file has a run-time license, and markers (most trees: none)."""
        for f in several.values():  # (the order of the files does not matter here)
            if len(f.notices) > 1:
                f.notices.sort(key=_NOTICE_ORDER)
                f.header, f.deciding = None, ()  # its first notice's, if a header: not decided
            self._classify(f)

    def _bare(self, dirs: Iterable[str]) -> list[str]:
        """The files without a notice directly in ``dirs``, directory by directory."""
        direct, noticed = self.layout.direct, self.files
        return [p for d in dirs for p in direct.get(d, ()) if p not in noticed]

    def _resolve(self, name: str, directory: str) -> str | None:
        """:func:`_resolve` in this tree, once per name and directory (the files of a
        directory often all point to the same LICENSE)."""
        key = (name, directory)
        if key not in self.targets:
            self.targets[key] = _resolve(name, directory, self.existing)
        return self.targets[key]

    # -- files ----------------------------------------------------------------------------

    def _classify(self, f: _File) -> None:
        """What one file's notices (sorted by line) say; see the module's text (the one
        header notice of most files is taken before)."""
        spdx: list[Notice] = []
        prose: list[Notice] = []
        runtime: list[Notice] = []
        marked = False
        for n in f.notices:
            kind = n.kind
            if kind == "spdx-tag":
                if n.expression:
                    spdx.append(n)
            elif kind == "prose":
                if n.expression:
                    prose.append(n)
            elif kind in _MARKER_KINDS:
                marked = True
                if kind in RUNTIME_KINDS and n.expression:
                    runtime.append(n)
        if spdx:
            f.header = spdx[0].expression
            deciding = [spdx[0]]
            for p in prose:
                # Prose names licenses, not exceptions or every alternative: it agrees
                # when each license it names is in the tag ("Apache-2.0" prose under an
                # "Apache-2.0 WITH LLVM-exception" tag).
                if _license_keys(p.expression or "") <= _license_keys(f.header or ""):
                    deciding.append(p)
                else:
                    self._conflict_headers(f, spdx[0], p)
            f.deciding = tuple(deciding)
        elif prose:
            # Prose notices agree when one names every license the others name (a dual
            # MIT/GPL sentence above the MIT permission text): the broadest one decides.
            widest = max(prose, key=lambda p: len(_license_keys(p.expression or "")))
            keys = _license_keys(widest.expression or "")
            if all(_license_keys(p.expression or "") <= keys for p in prose):
                f.header = widest.expression
                f.deciding = (widest, *(p for p in prose if p is not widest))
            else:
                self.file_findings.append(
                    (
                        "ambiguous-license",
                        f.path,
                        f"{f.path} states several licenses in its header ("
                        + ", ".join(sorted({p.expression or "" for p in prose}))
                        + "); none is taken as the file's license",
                        tuple(sorted(p.evidence for p in prose)),
                    )
                )
        if f.header is None:
            self._from_reference(f)
        if runtime:
            distinct = {n.expression for n in runtime}
            if len(distinct) == 1:
                f.runtime = distinct.pop()
                self.runtimes = True
        if marked:
            self.marked = True
            markers = [(m, n) for n in f.notices if (m := _marker(n))]
            f.markers = frozenset(m for m, _ in markers)
            f.marker_notices = tuple(n for _, n in markers)

    def _from_reference(self, f: _File) -> None:
        refs = [n for n in f.notices if n.kind == "reference"]
        if len(refs) != 1:
            return
        target = self._resolve(refs[0].raw, _dir(f.path))
        found = self.texts.get(target or "", [])
        if target and len(found) == 1:
            f.header = found[0].expression
            f.deciding = (*f.deciding, refs[0], found[0])

    def _conflict_headers(self, f: _File, tag: Notice, prose: Notice) -> None:
        self.file_findings.append(
            (
                "license-conflict",
                f.path,
                f"{f.path}: the SPDX tag says {tag.expression} at line {tag.line} but the "
                f"header text at line {prose.line} reads as {prose.expression}; the SPDX tag "
                "is kept",
                tuple(sorted((tag.evidence, prose.evidence))),
            )
        )

    # -- tree -----------------------------------------------------------------------------

    def build(self) -> SourceFacts:
        self.children: dict[str, set[str]] = {}
        for d in self.layout.direct:
            if d in self.children:
                continue
            chain = _ancestors(d)
            for a in chain:
                self.children.setdefault(a, set())
            for child, parent in itertools.pairwise(chain):
                self.children[parent].add(child)
        self.header_lics: dict[str, set[str]] = {}
        self.runtime_lics: dict[str, set[str]] = {}
        self.markers: dict[str, set[tuple[str, bool]]] = {}
        self.code: dict[str, bool] = {}
        """Whether a subtree holds licensed code (not only headers and build files)."""
        self._aggregate("")
        self.components: list[Component] = []
        self._visit("")
        self.owner = _Owners(self.members)
        self._references()
        for kind, path, message, evidence in self.file_findings:
            self.findings.append(Finding(kind, self.owner.get(path, path), message, evidence))
        return SourceFacts(
            tuple(sorted(self.components, key=lambda c: c.id)),
            tuple(sorted(self.findings, key=lambda x: (x.kind, x.subject, x.message))),
            self.owner,
        )

    def _aggregate(self, d: str) -> None:
        direct = self.direct.get(d, [])
        h = {f.header for f in direct if f.header}
        r = {f.runtime for f in direct if f.runtime} if self.runtimes else set()
        m: set[tuple[str, bool]] = set()
        if self.marked:
            for f in direct:
                if f.markers:
                    m |= f.markers
        code = any(_is_code(f.path) for f in direct if f.header or f.runtime)
        for c in self.children.get(d, ()):
            self._aggregate(c)
            h |= self.header_lics[c]
            r |= self.runtime_lics[c]
            m |= self.markers[c]
            code = code or self.code[c]
        self.header_lics[d], self.runtime_lics[d], self.markers[d] = h, r, m
        self.code[d] = code

    def _lics(self, d: str) -> set[str]:
        return self.header_lics[d] or self.runtime_lics[d]

    def _direct_code_ok(self, d: str, ctx: str) -> bool:
        """Licensed code directly in ``d`` runs in ``ctx`` only if ``d`` itself is marked."""
        direct = self.direct.get(d, [])
        if not any(_is_code(f.path) and f.license for f in direct):
            return True
        own: set[tuple[str, bool]] = set()
        for f in direct:
            own |= f.markers
        return _decide(own) == {ctx}

    def _compatible(self, d: str, ctx: str | None) -> bool:
        decided = _decide(self.markers[d])
        if ctx is None:
            return not decided
        if not decided <= {ctx} or not self._direct_code_ok(d, ctx):
            return False
        return all(self._compatible(c, ctx) for c in self.children.get(d, ()))

    def _uniform(self, d: str) -> bool:
        if len(self._lics(d)) != 1:
            return False
        decided = _decide(self.markers[d])
        if len(decided) > 1:
            return False
        ctx = next(iter(decided), None)
        if ctx is not None and not self._direct_code_ok(d, ctx):
            return False
        return all(self._compatible(c, ctx) for c in self.children.get(d, ()))

    def _subtree(self, d: str, files: list[_File], dirs: list[str]) -> None:
        """Add the files below ``d`` with a notice to ``files``, ``d`` and the directories
        below it to ``dirs``."""
        files.extend(self.direct.get(d, ()))
        dirs.append(d)
        for c in self.children.get(d, ()):
            self._subtree(c, files, dirs)

    def _visit(self, d: str) -> None:
        if not self._lics(d):
            return
        residue = list(self.direct.get(d, ()))
        # the directories whose files without a notice go with the residue's component,
        # when it makes one: their files are listed then (a directory of several
        # components leaves them out)
        dirs = [d]
        if self._uniform(d):
            for c in self.children.get(d, ()):
                self._subtree(c, residue, dirs)
            self._emit("", residue, self._bare(dirs))
            return
        children = self.children.get(d)
        if children:  # (most directories have none: their licenses are not asked)
            use_header = any(f.header for f in residue)
            own = {(f.header if use_header else f.runtime) for f in residue} - {None}
        for c in sorted(children or ()):
            lics = self._lics(c)
            # A sub-directory without licensed files, or with only headers and build files
            # under licenses the directory already has and no markers, goes with it.
            if not lics or (not self.code[c] and not _decide(self.markers[c]) and lics <= own):
                self._subtree(c, residue, dirs)
            else:
                self._visit(c)
        groups: dict[str, list[_File]] = {}
        loose: list[_File] = []
        use_header = any(f.header for f in residue)
        for f in residue:  # 100,000s of files in all: no list made for nothing
            key = f.header if use_header else f.runtime
            if key:
                group = groups.get(key)
                if group is None:
                    groups[key] = [f]
                else:
                    group.append(f)
            else:
                loose.append(f)
        if len(groups) == 1:  # the files without a license go with the only one
            next(iter(groups.values())).extend(loose)
            (key,) = groups
            self._emit("", groups[key], self._bare(dirs))
            return
        for key in sorted(groups):
            self._emit(key, groups[key], [])

    # -- components -----------------------------------------------------------------------

    def _emit(self, key: str, files: list[_File], bare: list[str]) -> None:
        """A component of ``files`` (with a notice) and ``bare`` (the paths of files
        without one)."""
        files.sort(key=_PATH)
        bare.sort()
        use_header = any(map(_HEADER, files))
        seen = {f.header for f in files} if use_header else {f.runtime for f in files}
        licenses = sorted(lic for lic in seen if lic)
        license_expr = licenses[0]
        counted_paths = self.layout.counted
        counted: list[_File] = []
        markers: set[tuple[str, bool]] = set()
        deciding: list[Notice] = []
        runtime: list[Notice] = []
        text_notices: list[Notice] = []
        bare_noticed: list[str] = []
        """Counted files with a notice that gives no license."""
        texts = self.texts
        for f in files:  # one pass: a component may hold tens of thousands of files
            path = f.path
            header = f.header
            if path in counted_paths:
                counted.append(f)
                # A file with a header or run-time license has a notice (see below).
                if not (header or f.runtime or f.has_notice):
                    bare_noticed.append(path)
            if header and (header == license_expr or spdx.equivalent(header, license_expr)):
                deciding.extend(f.deciding)
            if path in texts:
                text_notices.extend(texts[path])
            if f.markers:  # run-time strings are markers too
                runtime.extend(n for n in f.notices if n.kind in RUNTIME_KINDS)
                markers |= f.markers
        counted_bare = list(filter(counted_paths.__contains__, bare))
        # sorted paths: those between the first and the last share the directories these two
        # share
        if counted and not counted_bare:
            first, last = counted[0].path, counted[-1].path
        elif counted or counted_bare:
            first, last = _span([f.path for f in counted[:1] + counted[-1:]], counted_bare)
        else:
            first, last = _span([files[0].path, files[-1].path], bare)
        directory = first.rpartition("/")[0]
        if directory != last.rpartition("/")[0]:  # files in several directories
            directory = _common_dir((first, last))
        directory = directory or "."
        cid = f"source:{directory}" + (f"#{_slug(key)}" if key else "")
        decided = _decide(markers) if markers else _NOWHERE
        ctx = (
            next((c for c in _CONTEXT_PRIORITY if c in decided), USERSPACE)
            if decided
            else USERSPACE
        )
        reason = self._reason(directory, ctx, decided, files)

        first_header = _first_of_each(deciding)
        cited = [*first_header.values(), *runtime[:_MAX_EVIDENCE], *text_notices]
        if len(cited) == 1:  # most components: one header
            evidence = [cited[0].evidence]
        else:  # each once, in Evidence's order (its fields')
            unique = {_EVIDENCE_ORDER(n.evidence): n.evidence for n in cited}
            evidence = [unique[k] for k in sorted(unique)]
        # Only source code is expected to carry a notice (see needs_notice): asked of the
        # files without one.
        if bare_noticed and counted_bare:
            bare_noticed = sorted([*bare_noticed, *counted_bare])
        uncovered = list(filter(needs_notice, bare_noticed or counted_bare))
        self.members.append((cid, counted, counted_bare))

        # in key order (the properties are sorted by key), those with a value; most
        # components have no license file, no run-time string and one header
        if runtime:
            section = " | ".join(dict.fromkeys(n.raw for n in runtime if n.kind == "ebpf-section"))
            module = " | ".join(dict.fromkeys(n.raw for n in runtime if n.kind == "module-license"))
        else:
            section = module = ""
        if runtime or len(first_header) != 1:
            raws = [n.raw for n in first_header.values()] + [n.raw for n in runtime]
            raw = " | ".join(dict.fromkeys(raws))
        else:
            raw = next(iter(first_header.values())).raw
        properties = (
            ("context", ctx),
            ("context_reason", reason),
            ("directory", directory),
            ("files", str(len(counted) + len(counted_bare))),
            ("files_without_notice", str(len(uncovered))),
            ("license", license_expr),
            (
                "license_files",
                ", ".join(f"{n.path}={n.expression}" for n in sorted(text_notices, key=_PATH))
                if text_notices
                else "",
            ),
            ("license_from", "file notices" if use_header else "run-time license strings"),
            ("license_section", section),
            ("licenses_seen", " | ".join(licenses) if len(licenses) > 1 else ""),
            ("module_license", module),
            ("raw", raw),
        )
        self.components.append(
            Component(
                id=cid,
                kind=_SOURCE,
                name=directory,
                ecosystem=None,
                purl=None,
                evidence=tuple(evidence),
                properties=tuple(filter(_VALUE, properties)),
            )
        )
        if runtime:  # no run-time string, no conflict with one
            self._runtime_conflicts(cid, files, license_expr, first_header)
        if uncovered:
            code = sum(1 for f in counted if needs_notice(f.path)) + sum(
                map(needs_notice, counted_bare)
            )
            self.findings.append(
                Finding(
                    "uncovered-files",
                    cid,
                    f"{len(uncovered)} of {code} source files in {directory} carry no "
                    f"license notice; they inherit {license_expr} from the directory",
                    tuple(
                        Evidence(path, 0, "no license notice", NOTICES)
                        for path in uncovered[:_MAX_EVIDENCE]
                    ),
                )
            )

    def _reason(self, directory: str, ctx: str, decided: frozenset[str], files: list[_File]) -> str:
        if ctx == USERSPACE:
            return (
                "no MODULE_LICENSE, Kbuild obj-m, dkms.conf, eBPF license section or "
                f"program section in {directory}"
            )
        found: list[tuple[bool, str]] = []
        for f in files:
            for n in f.marker_notices:
                m = _marker(n)
                if m and m[0] == ctx:
                    found.append((not m[1], f"{_marker_label(n)} at {n.evidence.location}"))
        parts = [text for _, text in sorted(found, key=lambda item: item[0])]
        reason = "; ".join(parts[:_MAX_REASONS])
        if len(parts) > _MAX_REASONS:
            reason += f" (+{len(parts) - _MAX_REASONS} more)"
        if len(decided) > 1:
            reason += "; also " + ", ".join(sorted(decided - {ctx})) + " markers"
        return reason

    def _runtime_conflicts(
        self,
        cid: str,
        files: list[_File],
        license_expr: str,
        first_header: dict[tuple[str, str], Notice],
    ) -> None:
        component_header = next(iter(first_header.values()), None)
        for f in files:
            header = f.header
            header_notice = f.deciding[0] if f.deciding else None
            if header is None and component_header is not None:
                header, header_notice = license_expr, component_header
            if header is None or header_notice is None:
                continue
            for n in f.notices:
                if n.kind not in RUNTIME_KINDS or kernel.consistent_with(n.raw, header):
                    continue
                meaning = (
                    f"reads as {n.expression}"
                    if n.expression
                    else "is not in the kernel's license table"
                )
                # A marker that only asks for GPL-only symbols is a note, not a conflict.
                real = kernel.marker_contradicts(n.raw, header)
                self.findings.append(
                    Finding(
                        "license-conflict" if real else "runtime-marker",
                        cid,
                        f"{_runtime_label(n)} at {n.evidence.location} {meaning}, but the "
                        f"header notice at {header_notice.evidence.location} says {header}; "
                        f"the component keeps {header}, the file notice being the statement "
                        "of the license and the run-time string only a marker for the "
                        "kernel's GPL-only check",
                        tuple(sorted((header_notice.evidence, n.evidence))),
                    )
                )

    # -- references -----------------------------------------------------------------------

    def _references(self) -> None:
        missing: dict[tuple[str, str], list[Notice]] = {}
        for path in self.referencing:
            for n in self.files[path].notices:
                if n.kind != "reference":
                    continue
                if self._resolve(n.raw, _dir(path)) is None:
                    subject = self.owner.get(path) or path
                    missing.setdefault((subject, n.raw), []).append(n)
        for (subject, name), refs in sorted(missing.items()):
            where = sorted({_dir(n.path) or "." for n in refs})
            nearby: list[str] = []
            for d in _ancestors(_dir(refs[0].path)):
                for path in sorted(self.layout.direct.get(d, ())):
                    if is_license_file(path):
                        found = self.texts.get(path, [])
                        label = ", ".join(n.expression or "" for n in found) or "not identified"
                        nearby.append(f"{path} ({label})")
            message = (
                f"{len(refs)} file(s) point to {name!r}, which does not exist in "
                f"{', '.join(where)} or a parent directory"
            )
            if nearby:
                message += "; license files there: " + ", ".join(nearby)
            self.findings.append(
                Finding(
                    "missing-license-file",
                    subject,
                    message,
                    tuple(n.evidence for n in refs[:_MAX_EVIDENCE]),
                )
            )


MAX_FILE_LICENSES = 200
"""Per-file license notices listed for one component (explain, JSON report)."""
_FILE_KINDS = frozenset({*HEADER_KINDS, *RUNTIME_KINDS, "license-text", "matched", "partial"})


def file_licenses(
    component: Component, components: Sequence[Component], notices: Sequence[Notice]
) -> tuple[Notice, ...]:
    """Which files of a ``source`` component gave which license (see :class:`FileLicenses`;
    build one of those to ask about many components)."""
    return FileLicenses(components, notices).of(component)


class FileLicenses:
    """Per ``source`` component, the license notices of the files under its directory that
    no deeper source component holds (for one of several components of a directory, those
    naming its license), by path and line, at most :data:`MAX_FILE_LICENSES`. Each notice
    carries its line, last line and, from the license database, the rule that matched.

    Built once for an inventory: the notices are sorted by path and line once, so that a
    component's are found by bisection and the ones a deeper component holds by looking up
    the directories above each file."""

    def __init__(self, components: Sequence[Component], notices: Sequence[Notice]) -> None:
        wanted = (n for n in notices if n.kind in _FILE_KINDS)
        # a total order: the report is the same every run
        self.notices = sorted(wanted, key=_file_license_order)
        self.paths = [n.path for n in self.notices]
        self.directories = frozenset(
            d
            for c in components
            if c.kind == ComponentKind.SOURCE and (d := c.prop("directory") or ".") != "."
        )

    def of(self, component: Component) -> tuple[Notice, ...]:
        if component.kind != ComponentKind.SOURCE:
            return ()
        directory = component.prop("directory") or "."
        if directory == ".":
            root = ""
            candidates = self.notices
        else:
            root = directory + "/"
            paths = self.paths
            # the file named like the directory, then every path under "directory/" ("0"
            # is the character after "/")
            exact = slice(bisect_left(paths, directory), bisect_right(paths, directory))
            below = slice(bisect_left(paths, root), bisect_left(paths, directory + "0"))
            candidates = self.notices[exact] + self.notices[below]
        keyed = "#" in component.id
        own = component.prop("license")
        out: list[Notice] = []
        for n in candidates:
            if keyed and n.expression != own:
                continue
            if self._held_deeper(n.path, directory, root):
                continue
            out.append(n)
            if len(out) == MAX_FILE_LICENSES:
                break
        return tuple(out)

    def _held_deeper(self, path: str, directory: str, root: str) -> bool:
        """Whether ``path`` is, or lies under, another source component's directory below
        ``directory``."""
        held = self.directories
        at = path.find("/")
        while True:
            above = path if at < 0 else path[:at]
            if above != directory and above in held and (above + "/").startswith(root):
                return True
            if at < 0:
                return False
            at = path.find("/", at + 1)


def _file_license_order(n: Notice) -> tuple[str, int, int, str, str, str, str]:
    return (n.path, n.line, n.end_line, n.kind, n.expression or "", n.rule, n.raw)


def group_sources(notices: Sequence[Notice], files: Sequence[str] | FileLayout) -> SourceFacts:
    """Group notices into ``source`` components (see the module docstring); ``files`` are
    the scanned paths, or their :class:`FileLayout`."""
    layout = files if isinstance(files, FileLayout) else FileLayout.of(files)
    builder = _Builder(notices, layout)
    facts = builder.build()
    quickexit.keep(builder)  # its tables by file and directory: freed at exit, if at all
    return facts


__all__ = [
    "EBPF",
    "KERNEL_MODULE",
    "USERSPACE",
    "FileLayout",
    "FileLicenses",
    "SourceFacts",
    "file_licenses",
    "group_sources",
    "source_context",
]
