"""``go.mod``: required modules, ``// indirect`` marks and ``replace`` directives.

Parsed by hand (single directives and ``( ... )`` blocks, quoted paths, ``//`` comments).
The file's own ``module`` path is first-party. A replaced module keeps its component with
``replaced_by``; a non-local replacement target becomes its own component (``replaces``). A
requirement of the file's own repository (same host/owner/name as its ``module``) replaced
by a local directory (``=> ../../``, inspektor-gadget's gadgets) is the project's own code:
no component, listed in the node's ``local_replaces``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from audit.components import manifest_id, package_component
from audit.model import Component, Edge, Node, Problem, Relation, ScanResult
from audit.scanners.base import SourceFile

NAME = "go.mod"

_VERBS = {
    "module",
    "go",
    "toolchain",
    "godebug",
    "require",
    "replace",
    "exclude",
    "retract",
    "tool",
    "ignore",
}


@dataclass(frozen=True)
class Directive:
    """One go.mod directive (a block line counts as one, with its block's verb)."""

    verb: str
    args: tuple[str, ...]
    comment: str
    line: int


def _tokens(line: str) -> tuple[list[str], str, str | None]:
    """``(tokens, comment text, error)`` of one line."""
    tokens: list[str] = []
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if c in " \t\r":
            i += 1
        elif line.startswith("//", i):
            return tokens, line[i + 2 :].strip(), None
        elif c in "()":
            tokens.append(c)
            i += 1
        elif line.startswith("=>", i):
            tokens.append("=>")
            i += 2
        elif c in '"`':
            end = line.find(c, i + 1)
            while c == '"' and end > 0 and line[end - 1] == "\\":
                end = line.find(c, end + 1)
            if end < 0:
                return tokens, "", "unterminated quoted string"
            tokens.append(line[i + 1 : end].replace('\\"', '"'))
            i = end + 1
        else:
            j = i
            while j < n and line[j] not in ' \t\r()"`' and not line.startswith(("//", "=>"), j):
                j += 1
            tokens.append(line[i:j])
            i = j
    return tokens, "", None


def parse_gomod(text: str) -> tuple[tuple[Directive, ...], tuple[tuple[int, str], ...]]:
    """Directives in file order, and ``(line, message)`` for malformed lines."""
    directives: list[Directive] = []
    errors: list[tuple[int, str]] = []
    block: str | None = None
    block_line = 0
    for number, raw in enumerate(text.splitlines(), 1):
        tokens, comment, error = _tokens(raw)
        if error:
            errors.append((number, error))
            continue
        if not tokens:
            continue
        if block is not None:
            if tokens == [")"]:
                block = None
            else:
                directives.append(Directive(block, tuple(tokens), comment, number))
            continue
        verb = tokens[0]
        if verb not in _VERBS:
            errors.append((number, f"unknown directive {verb[:40]}"))
        elif tokens[1:] == ["("]:
            block, block_line = verb, number
        else:
            directives.append(Directive(verb, tuple(tokens[1:]), comment, number))
    if block is not None:
        errors.append((block_line, f"{block} block has no closing ')'"))
    return tuple(directives), tuple(errors)


@dataclass(frozen=True)
class Replace:
    """A ``replace`` directive of a go.mod."""

    old: str
    old_version: str | None
    new: str
    new_version: str | None
    line: int

    @property
    def local(self) -> bool:
        return self.new.startswith(("./", "../", "/")) or self.new in (".", "..")

    @property
    def target(self) -> str:
        return f"{self.new}@{self.new_version}" if self.new_version else self.new


def _replace(d: Directive) -> Replace | None:
    if "=>" not in d.args:
        return None
    at = d.args.index("=>")
    left, right = d.args[:at], d.args[at + 1 :]
    if len(left) not in (1, 2) or len(right) not in (1, 2):
        return None
    return Replace(
        left[0],
        left[1] if len(left) == 2 else None,
        right[0],
        right[1] if len(right) == 2 else None,
        d.line,
    )


def _is_local(target: str) -> bool:
    """A replacement by a directory of the file system (``./x``, ``../``, ``/abs``)."""
    return target.startswith(("./", "../", "/")) or target in (".", "..")


def _same_repository(path: str, module: str) -> bool:
    """``github.com/o/r`` and ``github.com/o/r/gadgets/x``: one repository (host/owner/name).
    A local copy of another module (``golang.org/x/sys => ../sys``) is not first-party."""
    head = path.split("/")[:3]
    return len(head) == 3 and head == module.split("/")[:3]


def _replaced_by(replaces: Mapping[str, list[Replace]], path: str, version: str) -> str | None:
    for r in replaces.get(path, []):
        if r.old_version in (None, version):
            return r.target
    return None


@dataclass(frozen=True)
class GoModScanner:
    """Go modules ``go.mod``."""

    name: str = NAME

    def matches(self, path: str) -> bool:
        return path.rsplit("/", 1)[-1] == "go.mod"

    def scan(self, source: SourceFile) -> ScanResult:
        node_id = manifest_id(source.path)
        directives, errors = parse_gomod(source.text)
        problems: list[Problem] = [
            source.problem(line, "parse-error", msg, NAME) for line, msg in errors
        ]
        module = ""
        go_version = ""
        replaces: dict[str, list[Replace]] = {}
        for d in directives:
            if d.verb == "module" and d.args:
                module = d.args[0]
            elif d.verb == "go" and d.args:
                go_version = d.args[0]
            elif d.verb == "replace":
                r = _replace(d)
                if r is None:
                    msg = "malformed replace: expected 'old [v] => new [v]'"
                    problems.append(source.problem(d.line, "parse-error", msg, NAME))
                else:
                    replaces.setdefault(r.old, []).append(r)
        components: list[Component] = []
        edges: list[Edge] = []
        local: list[str] = []

        def add(comp: Component) -> None:
            components.append(comp)
            edges.append(Edge(node_id, comp.id, Relation.REQUIRES, comp.evidence[0]))

        for d in directives:
            if d.verb == "require":
                if len(d.args) != 2:
                    msg = "malformed require: expected 'module version'"
                    problems.append(source.problem(d.line, "parse-error", msg, NAME))
                    continue
                path, version = d.args
                if path == module:
                    continue
                props: dict[str, str] = {}
                if d.comment.split(";", 1)[0].strip() == "indirect":
                    props["scope"] = "indirect"
                replaced = _replaced_by(replaces, path, version)
                if replaced and _is_local(replaced) and _same_repository(path, module):
                    local.append(f"{path}=>{replaced}")
                    continue  # the project's own code in this repository: not third-party
                if replaced:
                    props["replaced_by"] = replaced
                ev = (source.evidence(d.line, NAME),)
                add(package_component("golang", path, version, ev, props))
            elif d.verb == "replace":
                r = _replace(d)
                if r is None or r.local or r.new == module:
                    continue
                ev = (source.evidence(d.line, NAME),)
                props = {"replaces": f"{r.old}@{r.old_version}" if r.old_version else r.old}
                add(package_component("golang", r.new, r.new_version, ev, props))
        node_props = {
            "format": "go.mod",
            "module": module,
            "go": go_version,
            "local_replaces": ",".join(local),
        }
        node = Node(
            node_id,
            "manifest",
            source.path,
            properties=tuple(sorted((k, v) for k, v in node_props.items() if v)),
        )
        return ScanResult(
            components=tuple(components),
            nodes=(node,),
            edges=tuple(edges),
            problems=tuple(problems),
        )


SCANNER = GoModScanner()

__all__ = ["SCANNER", "Directive", "parse_gomod"]
