"""pip requirements files (``requirements*.txt``, ``constraints*.txt``, ``requirements/*.in``).

Parsed line by line in pip's own format, never by pip: comments, ``\\`` continuations,
per-requirement options (``--hash``), ``-r``/``-c`` includes (edges to the included
manifest), ``-e`` and local paths (first-party, skipped), global options (ignored), URL
and VCS requirements, markers and extras.

This module also holds the PEP 508 helpers every Python manifest scanner shares
(:func:`requirement_component`, :func:`split_pin`, :func:`resolve_include`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from audit.components import (
    download_component,
    git_component,
    manifest_id,
    normalize_pypi_name,
    package_component,
)
from audit.model import Component, Edge, Node, Problem, ProblemKind, Relation, ScanResult
from audit.scanners.base import SourceFile

NAME = "requirements"

_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
_ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz")
_ENV_VAR = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_COMMENT = re.compile(r"(?:^|\s)#")
_URL_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")

# pip options: those taking a value, and flags. Anything else is reported as skipped.
_VALUE_OPTIONS = {
    "-r": "--requirement",
    "-c": "--constraint",
    "-e": "--editable",
    "-i": "--index-url",
    "-f": "--find-links",
    "--requirement": "--requirement",
    "--constraint": "--constraint",
    "--editable": "--editable",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "--find-links": "--find-links",
    "--no-binary": "--no-binary",
    "--only-binary": "--only-binary",
    "--trusted-host": "--trusted-host",
    "--use-feature": "--use-feature",
    "--hash": "--hash",
    "--global-option": "--global-option",
    "--install-option": "--install-option",
    "--config-settings": "--config-settings",
}
_FLAG_OPTIONS = {"--pre", "--prefer-binary", "--require-hashes", "--no-index"}


# Shared PEP 508 helpers -------------------------------------------------------------------


def split_pin(spec: str, *, bare_is_exact: bool = False) -> tuple[str | None, str | None]:
    """``(version, constraint)`` of a version specifier string.

    ``==X`` / ``===X`` (one clause, no wildcard) is an exact pin; ``*`` or empty is no
    constraint at all; anything else is a constraint as written. ``bare_is_exact`` makes a
    bare version (Poetry's ``1.2.3``) exact too.
    """
    spec = spec.strip()
    if spec in ("", "*"):
        return None, None
    for op in ("===", "=="):
        if spec.startswith(op):
            rest = spec[len(op) :].strip()
            if rest and not any(c in rest for c in ",*;<>!=~^| "):
                return rest, None
            break
    if bare_is_exact and spec[0].isdigit() and not any(c in spec for c in ",*;<>!=~^| "):
        return spec, None
    return None, spec


def _wheel_or_sdist(filename: str) -> tuple[str | None, str | None]:
    """``(name, version)`` from a wheel or sdist filename, when it is one."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
            return str(name), str(version)
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            return str(name), str(version)
    except (InvalidWheelFilename, InvalidSdistFilename):
        pass
    return None, None


def _is_local(text: str) -> bool:
    """A local path or ``file:`` URL: first-party, never a component."""
    if text.startswith((".", "/", "~", "\\", "file:")):
        return True
    if len(text) > 2 and text[1] == ":" and text[2] in "\\/":  # C:\ drive path
        return True
    return "://" not in text and " @ " not in text and text.endswith(_ARCHIVE_SUFFIXES)


def _url_component(
    url: str,
    package: str | None,
    source: SourceFile,
    line: int,
    scanner: str,
    props: Mapping[str, str],
) -> Component | None:
    """A direct-URL requirement: VCS URLs become git components, the rest downloads."""
    ev = (source.evidence(line, scanner),)
    parts = urlsplit(url)
    frag = parse_qs(parts.fragment)
    egg = package or (frag.get("egg") or [""])[0] or None
    extra = dict(props)
    if egg:
        extra["package"] = normalize_pypi_name(egg.split("[", 1)[0])
    if frag.get("subdirectory"):
        extra["subdirectory"] = frag["subdirectory"][0]
    if url.startswith(_VCS_PREFIXES):
        vcs, _, plain = url.partition("+")
        parts = urlsplit(plain)
        path, ref = parts.path, None
        if "@" in path:
            path, _, ref = path.rpartition("@")
        clean = f"{parts.scheme}://{parts.netloc}{path}"
        if vcs == "git":
            return git_component(clean, ev, ref=ref or None, props=extra)
        extra["vcs"] = vcs
        return download_component(clean, ev, name=egg, version=ref or None, props=extra)
    if parts.scheme not in ("http", "https", "ftp"):
        return None
    name, version = _wheel_or_sdist(parts.path.rsplit("/", 1)[-1])
    if name and "package" not in extra:
        extra["package"] = normalize_pypi_name(name)
    return download_component(
        url.split("#", 1)[0], ev, name=egg or name, version=version, props=extra
    )


def requirement_component(
    text: str,
    source: SourceFile,
    line: int,
    scanner: str,
    props: Mapping[str, str] | None = None,
) -> Component | Problem | None:
    """One requirement string (PEP 508, or pip's URL forms) as a component.

    Returns ``None`` for first-party references (local paths, ``file:`` URLs) and a
    :class:`Problem` for what cannot be read (``parse-error``) or still holds an
    environment variable (``unresolved``). ``props`` (e.g. ``scope``) are added.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    text = text.strip()
    extra = dict(props or {})
    if not text:
        return None
    var = _ENV_VAR.search(text)
    if var:
        return source.problem(
            line, "unresolved", f"environment variable ${{{var[1]}}} in requirement", scanner
        )
    if _is_local(text):
        return None
    if text.startswith(_VCS_PREFIXES) or _URL_START.match(text):
        url, _, marker = text.partition(";")
        if marker.strip():
            extra["marker"] = marker.strip()
        return _url_component(url.strip(), None, source, line, scanner, extra)
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        message = str(exc).splitlines()[0] if str(exc) else "invalid requirement"
        return source.problem(line, "parse-error", f"invalid requirement: {message}", scanner)
    if req.marker is not None:
        extra["marker"] = str(req.marker)
    if req.extras:
        extra["extras"] = ",".join(sorted(req.extras))
    if req.url:
        return _url_component(req.url, req.name, source, line, scanner, extra)
    specs = list(req.specifier)
    version = None
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        version = specs[0].version
    elif specs:
        extra["constraint"] = str(req.specifier)
    return package_component("pypi", req.name, version, (source.evidence(line, scanner),), extra)


def resolve_include(base: str, target: str) -> str | None:
    """Root-relative posix path of ``target`` named from file ``base``; ``None`` if outside."""
    target = target.strip().strip("'\"").replace("\\", "/")
    if not target or "://" in target or target.startswith("/") or "${" in target:
        return None
    path = posixpath.normpath(posixpath.join(posixpath.dirname(base), target))
    if path in (".", "..") or path.startswith("../"):
        return None
    return path


def include_edge(
    source: SourceFile, node: str, target: str, line: int, scanner: str, how: str
) -> Edge | Problem:
    """``Edge(node, manifest:<target>, INCLUDES)``, or a Problem when it leaves the root."""
    path = resolve_include(source.path, target)
    if path is None:
        why = "remote file not followed" if "://" in target else "path outside the scanned root"
        return source.problem(line, "unresolved", f"{how} {target}: {why}", scanner)
    if path == source.path:
        return source.problem(line, "skipped", f"{how} {target}: the file includes itself", scanner)
    return Edge(node, manifest_id(path), Relation.INCLUDES, source.evidence(line, scanner), how)


@dataclass
class Collector:
    """Accumulates one file's findings in order (internal to a single ``scan`` call)."""

    node: str
    components: list[Component]
    edges: list[Edge]
    problems: list[Problem]

    @classmethod
    def for_node(cls, node: str) -> Collector:
        return cls(node, [], [], [])

    def add(self, found: Component | Problem | Edge | None, relation: Relation) -> None:
        """Record a component (with its edge from the node), an edge or a problem."""
        if isinstance(found, Component):
            self.components.append(found)
            ev = found.evidence[0] if found.evidence else None
            self.edges.append(Edge(self.node, found.id, relation, ev))
        elif isinstance(found, Problem):
            self.problems.append(found)
        elif isinstance(found, Edge):
            self.edges.append(found)

    def result(self, node: Node) -> ScanResult:
        return ScanResult(
            components=tuple(self.components),
            nodes=(node,),
            edges=tuple(self.edges),
            problems=tuple(self.problems),
        )


# requirements.txt format ----------------------------------------------------------------


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """pip's line joining: ``(first physical line, logical line without comment)``."""
    buf: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        is_comment = _COMMENT.search(raw) is not None
        if not raw.endswith("\\") or is_comment:
            if buf:
                buf.append(raw)
                yield start, _strip_comment("".join(buf))
                buf = []
            else:
                yield number, _strip_comment(raw)
        else:
            if not buf:
                start = number
            buf.append(raw[:-1])
    if buf:
        yield start, _strip_comment("".join(buf))


def _strip_comment(line: str) -> str:
    m = _COMMENT.search(line)
    return (line[: m.start()] if m else line).strip()


@dataclass(frozen=True)
class PipLine:
    """One logical requirements line split into the requirement and its options."""

    requirement: str
    options: tuple[tuple[str, str], ...]
    """``(long option name, value)`` in order; value is ``""`` for flags."""
    errors: tuple[str, ...] = ()


def parse_pip_line(line: str) -> PipLine:
    """Split like pip: tokens up to the first ``-option`` are the requirement."""
    tokens = line.split()
    first = next((i for i, tok in enumerate(tokens) if tok.startswith("-")), len(tokens))
    args, tokens = tokens[:first], tokens[first:]
    options: list[tuple[str, str]] = []
    errors: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok.startswith("--"):
            name, eq, value = tok.partition("=")
        else:
            name, value = tok[:2], tok[2:]
            eq = "=" if value else ""
        if name in _FLAG_OPTIONS:
            options.append((name, ""))
        elif name in _VALUE_OPTIONS:
            if not eq:
                if i >= len(tokens):
                    errors.append(f"option {name} needs a value")
                    continue
                value = tokens[i]
                i += 1
            options.append((_VALUE_OPTIONS[name], value))
        else:
            errors.append(f"unknown option {name}")
    return PipLine(" ".join(args), tuple(options), tuple(errors))


def _scan_line(source: SourceFile, number: int, line: str, out: Collector) -> None:
    parsed = parse_pip_line(line)
    for err in parsed.errors:
        kind: ProblemKind = "parse-error" if "needs a value" in err else "skipped"
        out.add(source.problem(number, kind, err, NAME), Relation.REQUIRES)
    hashes = sorted(v for k, v in parsed.options if k == "--hash")
    for option, value in parsed.options:
        if option in ("--requirement", "--constraint"):
            how = "-r" if option == "--requirement" else "-c"
            out.add(include_edge(source, out.node, value, number, NAME, how), Relation.INCLUDES)
        elif option == "--editable" and value.startswith(_VCS_PREFIXES):
            found = requirement_component(value, source, number, NAME, {"editable": "true"})
            out.add(found, Relation.REQUIRES)
    if parsed.requirement:
        props = {"hashes": ",".join(hashes)} if hashes else {}
        out.add(
            requirement_component(parsed.requirement, source, number, NAME, props),
            Relation.REQUIRES,
        )


@dataclass(frozen=True)
class RequirementsScanner:
    """pip requirements and constraints files."""

    name: str = NAME

    def matches(self, path: str) -> bool:
        parts = path.lower().rsplit("/", 2)
        base = parts[-1]
        parent = parts[-2] if len(parts) > 1 else ""
        if base.endswith(".txt") and ("requirements" in base or base.startswith("constraints")):
            return True
        if parent == "requirements" and base.endswith((".txt", ".in")):
            return True
        return base.endswith(".in") and "requirements" in base

    def scan(self, source: SourceFile) -> ScanResult:
        node_id = manifest_id(source.path)
        out = Collector.for_node(node_id)
        for number, line in logical_lines(source.text):
            if line:
                _scan_line(source, number, line, out)
        props = (("format", "requirements"),)
        return out.result(Node(node_id, "manifest", source.path, properties=props))


SCANNER = RequirementsScanner()

__all__ = [
    "SCANNER",
    "Collector",
    "PipLine",
    "include_edge",
    "logical_lines",
    "parse_pip_line",
    "requirement_component",
    "resolve_include",
    "split_pin",
]
