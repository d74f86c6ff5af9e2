"""``setup.cfg``: ``[options] install_requires`` (and friends) and ``[options.extras_require]``.

Read with :class:`configparser.RawConfigParser` (no interpolation). Values are split the way
setuptools does (one requirement a line; ``;`` on a single line); ``file:`` values become
include edges. configparser gives no line numbers: each value is found in the text, in
order, from its key's line within its section.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from audit.components import manifest_id
from audit.model import Node, Relation, ScanResult
from audit.scanners.base import SourceFile
from audit.scanners.requirements import Collector, include_edge, requirement_component

NAME = "setup.cfg"

_OPTION_KEYS = {"install_requires": "", "tests_require": "test", "setup_requires": "build"}


def _split_values(value: str) -> list[str]:
    """setuptools' list parsing: lines, or ``;``-separated on one line; no comments."""
    parts = value.splitlines() if "\n" in value else value.split(";")
    out: list[str] = []
    for part in parts:
        part = part.split(" #", 1)[0].strip()
        if part and not part.startswith("#"):
            out.append(part)
    return out


@dataclass(frozen=True)
class _Lines:
    """Text lookups in an INI file (1-based lines)."""

    lines: tuple[str, ...]

    def section(self, name: str) -> tuple[int, int] | None:
        start = 0
        for number, raw in enumerate(self.lines, 1):
            s = raw.strip()
            if start and s.startswith("[") and raw[:1] == "[":
                return start, number - 1
            if s.startswith("[") and s.endswith("]") and s[1:-1].strip() == name:
                start = number
        return (start, len(self.lines)) if start else None

    def key(self, section: tuple[int, int] | None, key: str) -> int:
        if section is None:
            return 0
        start, end = section
        for number in range(start + 1, end + 1):
            raw = self.lines[number - 1]
            if raw[:1].isspace():
                continue
            name = raw.split("=", 1)[0].split(":", 1)[0].strip()
            if name == key and ("=" in raw or ":" in raw):
                return number
        return start

    def values(self, key_line: int, end: int, values: list[str], multiline: bool) -> list[int]:
        """Line of each value, searched in order from the key's line (that line if not found)."""
        out: list[int] = []
        cursor = key_line
        for value in values:
            hit = self._find(value, key_line, cursor, end)
            if hit is None:
                out.append(key_line)
                continue
            out.append(hit)
            cursor = hit + 1 if multiline else hit
        return out

    def _find(self, value: str, key_line: int, cursor: int, end: int) -> int | None:
        def text(n: int) -> str:
            raw = self.lines[n - 1]
            if n == key_line:
                cut = [i for i in (raw.find("="), raw.find(":")) if i >= 0]
                raw = raw[min(cut) + 1 :] if cut else raw
            return raw.split(" #", 1)[0].strip()

        span = range(cursor, end + 1)
        exact = next((n for n in span if text(n) == value), None)
        if exact is not None:
            return exact
        return next((n for n in span if value in self.lines[n - 1]), None)


def _scan_value(
    source: SourceFile,
    lines: _Lines,
    section: str,
    key: str,
    value: str,
    props: Mapping[str, str],
    out: Collector,
) -> None:
    span = lines.section(section)
    key_line = lines.key(span, key)
    end = span[1] if span else len(lines.lines)
    stripped = value.strip()
    if stripped.startswith("file:"):
        targets = [t.strip() for t in stripped[len("file:") :].split(",") if t.strip()]
        found = lines.values(key_line, end, targets, multiline=False)
        for target, line in zip(targets, found, strict=True):
            edge = include_edge(source, out.node, target, line, NAME, "file")
            out.add(edge, Relation.INCLUDES)
        return
    items = _split_values(value)
    found = lines.values(key_line, end, items, multiline="\n" in value)
    for item, line in zip(items, found, strict=True):
        out.add(requirement_component(item, source, line, NAME, props), Relation.REQUIRES)


def _duplicate(text: str) -> tuple[int, str] | None:
    """A section or option given twice (setuptools refuses the file; we read the last)."""
    import configparser

    strict = configparser.RawConfigParser(strict=True, interpolation=None)
    strict.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        strict.read_string(text)
    except configparser.DuplicateSectionError as exc:
        what = f"section [{exc.section}] appears twice"
        return exc.lineno or 0, f"{what} (setuptools refuses this file); the last values are read"
    except configparser.DuplicateOptionError as exc:
        what = f"option {exc.option!r} appears twice in [{exc.section}]"
        return exc.lineno or 0, f"{what} (setuptools refuses this file); the last one is read"
    except configparser.Error:
        return None
    return None


@dataclass(frozen=True)
class SetupCfgScanner:
    """``setup.cfg`` requirement options."""

    name: str = NAME

    def matches(self, path: str) -> bool:
        return path.rsplit("/", 1)[-1] == "setup.cfg"

    def scan(self, source: SourceFile) -> ScanResult:
        import configparser

        node_id = manifest_id(source.path)
        out = Collector.for_node(node_id)
        node = Node(node_id, "manifest", source.path, properties=(("format", "setup.cfg"),))
        parser = configparser.RawConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        try:
            parser.read_string(source.text, source=source.path)
        except configparser.MissingSectionHeaderError as exc:
            msg = "not an INI file: no section header"
            out.add(source.problem(exc.lineno, "parse-error", msg, NAME), Relation.REQUIRES)
            return out.result(node)
        except configparser.ParsingError as exc:
            # configparser keeps what it could read; report each bad line and go on.
            for error in getattr(exc, "errors", []):
                line = error[0] if isinstance(error, tuple) else 0
                msg = "unparsable line in INI file"
                out.add(source.problem(line, "parse-error", msg, NAME), Relation.REQUIRES)
        except configparser.Error as exc:
            line = getattr(exc, "lineno", 0) or 0
            msg = f"not an INI file: {exc.message if hasattr(exc, 'message') else exc}"
            out.add(source.problem(line, "parse-error", msg, NAME), Relation.REQUIRES)
            return out.result(node)
        duplicate = _duplicate(source.text)
        if duplicate is not None:
            line, msg = duplicate
            out.add(source.problem(line, "parse-error", msg, NAME), Relation.REQUIRES)
        lines = _Lines(tuple(source.text.splitlines()))
        if parser.has_section("options"):
            for key, scope in _OPTION_KEYS.items():
                if parser.has_option("options", key):
                    value = parser.get("options", key)
                    props = {"scope": scope} if scope else {}
                    _scan_value(source, lines, "options", key, value, props, out)
        section = "options.extras_require"
        if parser.has_section(section):
            defaults = parser.defaults()
            for extra, value in parser.items(section):
                if extra in defaults:
                    continue
                props = {"scope": f"optional:{extra}"}
                _scan_value(source, lines, section, extra, value, props, out)
        return out.result(node)


SCANNER = SetupCfgScanner()

__all__ = ["SCANNER"]
