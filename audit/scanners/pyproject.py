"""``pyproject.toml``: PEP 621 dependencies, PEP 735 dependency groups, Poetry, build-system.

TOML parsers give no line numbers, so :class:`TomlLines` finds them in the text: the line
of a key inside its table's span, and each array item by searching its quoted string
forward from the key, so that a repeated string maps to its own line.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from audit.components import git_component, manifest_id, normalize_pypi_name, package_component
from audit.model import Component, Node, Problem, Relation, ScanResult
from audit.scanners.base import SourceFile
from audit.scanners.requirements import (
    Collector,
    include_edge,
    requirement_component,
    split_pin,
)

NAME = "pyproject"

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_LINE = re.compile(r"line (\d+)")

Key = tuple[str, ...]


# Locating TOML keys and values in the text ------------------------------------------------


def _parse_key(text: str, pos: int = 0) -> tuple[Key, int] | None:
    """A dotted TOML key at ``text[pos:]``: ``(parts, end)``, or None if there is none."""
    parts: list[str] = []
    n = len(text)
    while True:
        while pos < n and text[pos] in " \t":
            pos += 1
        if pos >= n:
            return None
        if text[pos] in "\"'":
            quote = text[pos]
            end = pos + 1
            while end < n and text[end] != quote:
                end += 2 if quote == '"' and text[end] == "\\" else 1
            if end >= n:
                return None
            parts.append(text[pos + 1 : end])
            pos = end + 1
        else:
            m = _BARE_KEY.match(text, pos)
            if not m:
                return None
            parts.append(m[0])
            pos = m.end()
        while pos < n and text[pos] in " \t":
            pos += 1
        if pos < n and text[pos] == ".":
            pos += 1
            continue
        return tuple(parts), pos


def _quoted_forms(value: str) -> tuple[str, ...]:
    """How a string may be written in TOML (basic, escaped basic, literal)."""
    forms = ['"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"']
    if "'" not in value and "\n" not in value:
        forms.append("'" + value + "'")
    return tuple(forms)


@dataclass(frozen=True)
class TomlLines:
    """Line lookups in a TOML text (1-based lines)."""

    lines: tuple[str, ...]
    headers: tuple[tuple[int, Key], ...]
    """``(line, key)`` of each ``[table]`` / ``[[array]]`` header, in order."""
    assignments: Mapping[int, Mapping[Key, tuple[int, int]]] = field(
        default_factory=dict, compare=False
    )
    """Header line (0: root table) -> dotted key -> ``(line, column after '=')``, first wins."""
    header_index: Mapping[Key, int] = field(default_factory=dict, compare=False)
    """Table key -> index of its first header in :attr:`headers`."""

    @classmethod
    def of(cls, text: str) -> TomlLines:
        lines = tuple(text.splitlines())
        headers: list[tuple[int, Key]] = []
        assignments: dict[int, dict[Key, tuple[int, int]]] = {0: {}}
        table = assignments[0]
        in_multiline = False
        for number, raw in enumerate(lines, 1):
            if (raw.count('"""') + raw.count("'''")) % 2 == 1:
                in_multiline = not in_multiline
                continue
            if in_multiline:
                continue
            key = cls._header(raw)
            if key is not None:
                headers.append((number, key))
                table = assignments.setdefault(number, {})
                continue
            parsed = _parse_key(raw)
            if parsed is not None and parsed[1] < len(raw) and raw[parsed[1]] == "=":
                table.setdefault(parsed[0], (number, parsed[1] + 1))
        index: dict[Key, int] = {}
        for i, (_, key) in enumerate(headers):
            index.setdefault(key, i)
        return cls(lines, tuple(headers), assignments, index)

    @staticmethod
    def _header(raw: str) -> Key | None:
        s = raw.strip()
        if not s.startswith("["):
            return None
        double = s.startswith("[[")
        parsed = _parse_key(s, 2 if double else 1)
        if parsed is None:
            return None
        key, pos = parsed
        close = "]]" if double else "]"
        if not s.startswith(close, pos):
            return None
        rest = s[pos + len(close) :].strip()
        return key if not rest or rest.startswith("#") else None

    def span(self, table: Key) -> tuple[int, int] | None:
        """First and last line of a table (the root table when ``table`` is empty)."""
        if not table:
            end = self.headers[0][0] - 1 if self.headers else len(self.lines)
            return 1, end
        i = self.header_index.get(table)
        if i is None:
            return None
        line = self.headers[i][0]
        end = self.headers[i + 1][0] - 1 if i + 1 < len(self.headers) else len(self.lines)
        return line, end

    def _find_key_in(self, key: str, start: int, col: int, end: int) -> tuple[int, int] | None:
        """Next ``key =`` at or after (start, col) within an inline table, up to ``end``."""
        for number in range(start, end + 1):
            text = self.lines[number - 1]
            pos = col if number == start else 0
            while pos < len(text):
                for form in (key, *_quoted_forms(key)):
                    if text.startswith(form, pos) and (pos == 0 or text[pos - 1] in " \t{,"):
                        after = text[pos + len(form) :].lstrip(" \t")
                        if after.startswith(("=", ".")):
                            return number, pos + len(form)
                pos += 1
        return None

    def locate(self, path: Key) -> tuple[int, int, int] | None:
        """``(line, column after '=', end of table span)`` of the value at ``path``."""
        for i in range(len(path), -1, -1):
            span = self.span(path[:i])
            if span is None:
                continue
            start, end = span
            if i == len(path):
                if i:
                    return start, len(self.lines[start - 1]), end
                continue
            rest = path[i:]
            keys = self.assignments.get(start if i else 0, {})
            if rest in keys:
                number, col = keys[rest]
                return number, col, end
            for size in range(len(rest) - 1, 0, -1):
                if rest[:size] not in keys:
                    continue
                number, col = keys[rest[:size]]
                found: tuple[int, int] | None = (number, col)
                for sub in rest[size:]:
                    assert found is not None
                    found = self._find_key_in(sub, found[0], found[1], end)
                    if found is None:
                        return number, col, end
                assert found is not None
                return found[0], found[1], end
        return None

    def line_of(self, path: Key, default: int = 1) -> int:
        found = self.locate(path)
        return found[0] if found else default

    def item_lines(self, path: Key, needles: Sequence[str]) -> list[int]:
        """Line of each string item of the array at ``path``, searched in order."""
        found = self.locate(path)
        if found is None:
            return [0 for _ in needles]
        anchor, col, end = found
        cursor = (anchor, col)
        out: list[int] = []
        for needle in needles:
            hit = self._search(_quoted_forms(needle), cursor, end)
            if hit is None:
                out.append(anchor)
            else:
                out.append(hit[0])
                cursor = hit
        return out

    def _search(
        self, forms: tuple[str, ...], cursor: tuple[int, int], end: int
    ) -> tuple[int, int] | None:
        for number in range(cursor[0], end + 1):
            text = self.lines[number - 1]
            start = cursor[1] if number == cursor[0] else 0
            best = -1
            best_len = 0
            for form in forms:
                pos = text.find(form, start)
                if pos >= 0 and (best < 0 or pos < best):
                    best, best_len = pos, len(form)
            if best >= 0:
                return number, best + best_len
        return None


def toml_error_line(exc: Exception) -> int:
    """The line a TOML decode error points at (0 when it names none)."""
    line = getattr(exc, "lineno", None)
    if isinstance(line, int):
        return line
    m = _TOML_LINE.search(str(exc))
    return int(m[1]) if m else 0


def load_toml(source: SourceFile, scanner: str) -> dict[str, Any] | Problem:
    """Parse ``source`` as TOML, or a parse-error Problem at the line the parser names."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        table: dict[str, Any] = tomllib.loads(source.text)
        return table
    except tomllib.TOMLDecodeError as exc:
        message = str(exc).splitlines()[0] if str(exc) else "invalid TOML"
        return source.problem(toml_error_line(exc), "parse-error", f"not TOML: {message}", scanner)
    except RecursionError:  # tomllib recurses once per nested array or inline table
        message = "not read: arrays or inline tables nest too deeply"
        return source.problem(_deep_line(source.text), "parse-error", message, scanner)


def _deep_line(text: str, limit: int = 100) -> int:
    """The first line where brackets and braces nest deeper than ``limit`` (1 if none)."""
    depth, line = 0, 1
    for char in text:
        if char in "[{":
            depth += 1
            if depth > limit:
                return line
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == "\n":
            line += 1
    return 1


def _get(data: Mapping[str, Any], path: Key) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


# PEP 621 / PEP 735 / build-system ---------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    """The pyproject.toml being read."""

    source: SourceFile
    toml: TomlLines
    project: str
    """Normalized name of the project itself (its self-references are first-party)."""


def _self_reference(ctx: _Ctx, found: Component | Problem | None) -> bool:
    return (
        isinstance(found, Component)
        and found.ecosystem == "pypi"
        and bool(ctx.project)
        and found.name == ctx.project
    )


def _string_list(
    ctx: _Ctx, path: Key, value: Any, props: Mapping[str, str], out: Collector
) -> None:
    """A PEP 508 string array at ``path``."""
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        line = ctx.toml.line_of(path)
        out.add(
            ctx.source.problem(
                line, "parse-error", f"{'.'.join(path)}: expected a list of strings", NAME
            ),
            Relation.REQUIRES,
        )
        return
    for item, line in zip(value, ctx.toml.item_lines(path, value), strict=True):
        found = requirement_component(item, ctx.source, line, NAME, props)
        if not _self_reference(ctx, found):
            out.add(found, Relation.REQUIRES)


def _groups(ctx: _Ctx, groups: Any, out: Collector) -> None:
    """PEP 735 ``[dependency-groups]``, with ``{include-group = "..."}`` expanded."""
    if not isinstance(groups, Mapping):
        return
    names = {normalize_pypi_name(g): g for g in groups}

    def expand(group: str, scope: str, seen: tuple[str, ...], via: str) -> None:
        items = groups[group]
        path = ("dependency-groups", group)
        if not isinstance(items, list):
            line = ctx.toml.line_of(path)
            msg = f"dependency group {group!r}: expected a list"
            out.add(ctx.source.problem(line, "parse-error", msg, NAME), Relation.REQUIRES)
            return
        needles = [
            i if isinstance(i, str) else str(i.get("include-group", ""))
            for i in items
            if isinstance(i, (str, Mapping))
        ]
        lines = iter(ctx.toml.item_lines(path, needles))
        for item in items:
            if isinstance(item, str):
                line = next(lines)
                props = {"scope": scope, **({"included_via": via} if via else {})}
                found = requirement_component(item, ctx.source, line, NAME, props)
                if not _self_reference(ctx, found):
                    out.add(found, Relation.REQUIRES)
            elif isinstance(item, Mapping):
                line = next(lines)
                target = names.get(normalize_pypi_name(str(item.get("include-group", ""))))
                if target is None or target in seen:
                    why = "cycle" if target else "unknown group"
                    msg = f"include-group {item.get('include-group')!r}: {why}"
                    out.add(ctx.source.problem(line, "unresolved", msg, NAME), Relation.REQUIRES)
                    continue
                expand(target, scope, (*seen, target), via or target)
            else:
                line = ctx.toml.line_of(path)
                msg = f"dependency group {group!r}: unexpected item"
                out.add(ctx.source.problem(line, "parse-error", msg, NAME), Relation.REQUIRES)

    for group in groups:
        expand(group, f"group:{group}", (group,), "")


def _dynamic_files(ctx: _Ctx, data: Mapping[str, Any], out: Collector) -> None:
    """``[tool.setuptools.dynamic] dependencies = {file = [...]}`` → include edges."""
    dynamic = _get(data, ("tool", "setuptools", "dynamic"))
    if not isinstance(dynamic, Mapping):
        return
    targets: list[tuple[Key, Any]] = [(("dependencies",), dynamic.get("dependencies"))]
    optional = dynamic.get("optional-dependencies")
    if isinstance(optional, Mapping):
        targets += [(("optional-dependencies", k), v) for k, v in optional.items()]
    for sub, spec in targets:
        if not isinstance(spec, Mapping):
            continue
        files = spec.get("file")
        files = [files] if isinstance(files, str) else files
        if not isinstance(files, list):
            continue
        path = ("tool", "setuptools", "dynamic", *sub, "file")
        strings = [f for f in files if isinstance(f, str)]
        for target, line in zip(strings, ctx.toml.item_lines(path, strings), strict=True):
            out.add(
                include_edge(ctx.source, out.node, target, line, NAME, "file"), Relation.INCLUDES
            )


# Poetry -----------------------------------------------------------------------------------


def _poetry_extras(data: Mapping[str, Any]) -> dict[str, str]:
    """Normalized package name -> comma-joined extras that list it."""
    extras = _get(data, ("tool", "poetry", "extras"))
    found: dict[str, list[str]] = {}
    if isinstance(extras, Mapping):
        for extra, names in extras.items():
            if isinstance(names, list):
                for n in names:
                    if isinstance(n, str):
                        found.setdefault(normalize_pypi_name(n), []).append(str(extra))
    return {k: ",".join(sorted(v)) for k, v in found.items()}


def poetry_spec_component(
    name: str,
    spec: Any,
    source: SourceFile,
    line: int,
    scanner: str,
    props: Mapping[str, str],
    *,
    bare_is_exact: bool = True,
) -> Component | Problem | None:
    """One Poetry (or Pipfile) dependency value: a version string or a table."""
    extra = dict(props)
    if isinstance(spec, str):
        version, constraint = split_pin(spec, bare_is_exact=bare_is_exact)
        if constraint:
            extra["constraint"] = constraint
        return package_component("pypi", name, version, (source.evidence(line, scanner),), extra)
    if not isinstance(spec, Mapping):
        return source.problem(line, "parse-error", f"{name}: unexpected dependency value", scanner)
    if spec.get("path") or (spec.get("editable") and not spec.get("git")):
        return None
    if isinstance(spec.get("extras"), list):
        extra["extras"] = ",".join(sorted(str(e) for e in spec["extras"]))
    markers = [str(spec["markers"])] if isinstance(spec.get("markers"), str) else []
    if isinstance(spec.get("python"), str):
        extra["python"] = spec["python"]
    if markers:
        extra["marker"] = " and ".join(markers)
    ev = (source.evidence(line, scanner),)
    if isinstance(spec.get("git"), str):
        ref = next((str(spec[k]) for k in ("rev", "tag", "ref", "branch") if spec.get(k)), None)
        extra["package"] = normalize_pypi_name(name)
        if isinstance(spec.get("subdirectory"), str):
            extra["subdirectory"] = spec["subdirectory"]
        return git_component(spec["git"], ev, ref=ref, props=extra)
    url = spec.get("url") or spec.get("file")
    if isinstance(url, str):
        if url.startswith("file:") or "://" not in url:
            return None
        return requirement_component(f"{name} @ {url}", source, line, scanner, extra)
    version_spec = spec.get("version")
    if isinstance(version_spec, str):
        version, constraint = split_pin(version_spec, bare_is_exact=bare_is_exact)
        if constraint:
            extra["constraint"] = constraint
        return package_component("pypi", name, version, ev, extra)
    return package_component("pypi", name, None, ev, extra)


def _poetry_table(
    ctx: _Ctx, path: Key, table: Any, scope: str, extras: Mapping[str, str], out: Collector
) -> None:
    if not isinstance(table, Mapping):
        return
    for name, spec in table.items():
        if name.lower() == "python":
            continue
        line = ctx.toml.line_of((*path, name), default=ctx.toml.line_of(path))
        specs = spec if isinstance(spec, list) else [spec]
        for one in specs:
            props: dict[str, str] = {"scope": scope} if scope else {}
            if isinstance(one, Mapping) and one.get("optional") is True:
                which = extras.get(normalize_pypi_name(name))
                props["scope"] = f"optional:{which}" if which else "optional"
            found = poetry_spec_component(name, one, ctx.source, line, NAME, props)
            if not _self_reference(ctx, found):
                out.add(found, Relation.REQUIRES)


def _poetry(ctx: _Ctx, data: Mapping[str, Any], out: Collector) -> None:
    poetry = _get(data, ("tool", "poetry"))
    if not isinstance(poetry, Mapping):
        return
    extras = _poetry_extras(data)
    base: Key = ("tool", "poetry")
    _poetry_table(ctx, (*base, "dependencies"), poetry.get("dependencies"), "", extras, out)
    dev = poetry.get("dev-dependencies")
    _poetry_table(ctx, (*base, "dev-dependencies"), dev, "dev", extras, out)
    groups = poetry.get("group")
    if isinstance(groups, Mapping):
        for group, body in groups.items():
            if isinstance(body, Mapping):
                path = (*base, "group", group, "dependencies")
                deps = body.get("dependencies")
                _poetry_table(ctx, path, deps, f"group:{group}", extras, out)


# The scanner ------------------------------------------------------------------------------


def _project_name(data: Mapping[str, Any]) -> str:
    for path in (("project", "name"), ("tool", "poetry", "name")):
        value = _get(data, path)
        if isinstance(value, str):
            return normalize_pypi_name(value)
    return ""


@dataclass(frozen=True)
class PyprojectScanner:
    """``pyproject.toml`` dependency declarations."""

    name: str = NAME

    def matches(self, path: str) -> bool:
        return path.rsplit("/", 1)[-1] == "pyproject.toml"

    def scan(self, source: SourceFile) -> ScanResult:
        node_id = manifest_id(source.path)
        out = Collector.for_node(node_id)
        props: dict[str, str] = {"format": "pyproject"}
        data = load_toml(source, NAME)
        if isinstance(data, Problem):
            out.add(data, Relation.REQUIRES)
            return out.result(Node(node_id, "manifest", source.path, properties=_sorted(props)))
        ctx = _Ctx(source, TomlLines.of(source.text), _project_name(data))
        if ctx.project:
            props["project"] = ctx.project
        project = data.get("project")
        if isinstance(project, Mapping):
            _string_list(ctx, ("project", "dependencies"), project.get("dependencies"), {}, out)
            optional = project.get("optional-dependencies")
            if isinstance(optional, Mapping):
                for extra, items in optional.items():
                    path: Key = ("project", "optional-dependencies", extra)
                    _string_list(ctx, path, items, {"scope": f"optional:{extra}"}, out)
        _groups(ctx, data.get("dependency-groups"), out)
        build = _get(data, ("build-system", "requires"))
        _string_list(ctx, ("build-system", "requires"), build, {"scope": "build"}, out)
        _poetry(ctx, data, out)
        uv_dev = _get(data, ("tool", "uv", "dev-dependencies"))
        _string_list(ctx, ("tool", "uv", "dev-dependencies"), uv_dev, {"scope": "dev"}, out)
        pdm = _get(data, ("tool", "pdm", "dev-dependencies"))
        if isinstance(pdm, Mapping):
            for group, items in pdm.items():
                path = ("tool", "pdm", "dev-dependencies", group)
                _string_list(ctx, path, items, {"scope": f"group:{group}"}, out)
        _dynamic_files(ctx, data, out)
        return out.result(Node(node_id, "manifest", source.path, properties=_sorted(props)))


def _sorted(props: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(props.items()))


SCANNER = PyprojectScanner()

__all__ = [
    "SCANNER",
    "TomlLines",
    "load_toml",
    "poetry_spec_component",
    "toml_error_line",
]
