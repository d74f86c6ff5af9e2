"""``.gitmodules``: each submodule's repository, as a ``submodule`` component.

The file is git-config syntax, parsed here by hand: ``[submodule "name"]`` sections with
``path``, ``url`` and ``branch`` keys, quoting, escapes, ``\\`` continuations and ``#``/``;``
comments. The commit a submodule is pinned at lives in the git index, not in this file, and
scanners read one file and never run git: components leave here without a version, and
:func:`audit.gitindex.pin_submodules` gives them their gitlink commit after the scan.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.components import git_component, manifest_id
from audit.model import Component, ComponentKind, Edge, Node, Problem, Relation, ScanResult
from audit.scanners.base import SourceFile

NAME = "gitmodules"

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "b": "\b"}


@dataclass(frozen=True)
class ConfigEntry:
    """One ``key = value`` of a git-config file."""

    section: str
    """Lowercased section name (``submodule``)."""
    subsection: str | None
    key: str
    """Lowercased key name."""
    value: str
    line: int
    section_line: int


def _value(text: str) -> tuple[str, bool, str | None]:
    """Decode a value: ``(value, continues on next line, error)``."""
    out: list[str] = []
    pending_space = ""
    quoted = False
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 >= n:
                return "".join(out), True, None
            esc = _ESCAPES.get(text[i + 1])
            if esc is None:
                return "".join(out), False, f"bad escape \\{text[i + 1]}"
            out.append(pending_space + esc)
            pending_space = ""
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif not quoted and c in "#;":
            break
        elif not quoted and c in " \t":
            if out:
                pending_space += c
        else:
            out.append(pending_space + c)
            pending_space = ""
        i += 1
    if quoted:
        return "".join(out), False, "unterminated quote"
    return "".join(out), False, None


def _header(text: str) -> tuple[str, str | None] | None:
    """``[section "sub"]`` or ``[section]`` → ``(section, sub)``; None if malformed."""
    end = text.rfind("]")
    if not text.startswith("[") or end < 0:
        return None
    rest = text[end + 1 :].strip()
    if rest and not rest.startswith(("#", ";")):
        return None
    inner = text[1:end].strip()
    if '"' not in inner:
        section, _, sub = inner.partition(".")  # deprecated [section.sub]
        return (section.lower(), sub or None) if section else None
    section, _, quoted = inner.partition(" ")
    quoted = quoted.strip()
    if not (quoted.startswith('"') and quoted.endswith('"') and len(quoted) >= 2):
        return None
    sub = quoted[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return section.lower(), sub


def parse_git_config(text: str) -> tuple[tuple[ConfigEntry, ...], tuple[tuple[int, str], ...]]:
    """Entries in file order, and ``(line, message)`` for each malformed line."""
    entries: list[ConfigEntry] = []
    errors: list[tuple[int, str]] = []
    section: tuple[str, str | None] | None = None
    section_line = 0
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        number = i + 1
        raw = lines[i].strip()
        i += 1
        if not raw or raw.startswith(("#", ";")):
            continue
        if raw.startswith("["):
            section = _header(raw)
            section_line = number
            if section is None:
                errors.append((number, f"malformed section header {raw[:60]}"))
            continue
        if section is None:
            errors.append((number, "key outside of any section"))
            continue
        key, eq, rest = raw.partition("=")
        key = key.strip()
        if not key or not all(c.isalnum() or c == "-" for c in key):
            errors.append((number, f"malformed line {raw[:60]}"))
            continue
        value, more, error = _value(rest if eq else "true")
        while more and i < len(lines):
            tail, more, error = _value(lines[i])
            value += tail
            i += 1
        if error:
            errors.append((number, error))
            continue
        entries.append(
            ConfigEntry(section[0], section[1], key.lower(), value, number, section_line)
        )
    return tuple(entries), tuple(errors)


@dataclass(frozen=True)
class GitmodulesScanner:
    """``.gitmodules`` submodule declarations."""

    name: str = NAME

    def matches(self, path: str) -> bool:
        return path.rsplit("/", 1)[-1] == ".gitmodules"

    def scan(self, source: SourceFile) -> ScanResult:
        node_id = manifest_id(source.path)
        entries, errors = parse_git_config(source.text)
        problems: list[Problem] = [
            source.problem(line, "parse-error", msg, NAME) for line, msg in errors
        ]
        modules: dict[str, dict[str, ConfigEntry]] = {}
        for entry in entries:
            if entry.section == "submodule" and entry.subsection is not None:
                modules.setdefault(entry.subsection, {})[entry.key] = entry
        components: list[Component] = []
        edges: list[Edge] = []
        for name, keys in modules.items():
            url = keys.get("url")
            first = min(e.section_line for e in keys.values())
            if url is None or not url.value:
                msg = f"submodule {name!r} has no url"
                problems.append(source.problem(first, "unresolved", msg, NAME))
                continue
            if url.value.startswith(("./", "../", "/", "file:")):
                msg = f"submodule {name!r} url {url.value} is relative to the superproject remote"
                if not url.value.startswith("."):
                    msg = f"submodule {name!r} url {url.value} is a local path"
                problems.append(source.problem(url.line, "unresolved", msg, NAME))
                continue
            props = {"submodule": name}
            for key in ("path", "branch"):
                if key in keys:
                    props[key] = keys[key].value
            ev = source.evidence(url.line, NAME)
            comp = git_component(url.value, (ev,), kind=ComponentKind.SUBMODULE, props=props)
            components.append(comp)
            edges.append(Edge(node_id, comp.id, Relation.BUNDLES, ev))
        node = Node(node_id, "manifest", source.path, properties=(("format", "gitmodules"),))
        return ScanResult(
            components=tuple(components),
            nodes=(node,),
            edges=tuple(edges),
            problems=tuple(problems),
        )


SCANNER = GitmodulesScanner()

__all__ = ["SCANNER", "ConfigEntry", "parse_git_config"]
