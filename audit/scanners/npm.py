"""``package.json``: dependencies, dev/optional/peer dependencies as npm packages.

Exact versions (``1.2.3``) are versions, ranges and tags are constraints; ``npm:`` aliases
name the real package; ``file:``/``link:``/``workspace:``/``portal:`` and paths are
first-party (skipped); git URLs and GitHub shorthands become git components, tarball URLs
downloads. Line numbers come from a small scan of the JSON text that records where each
key of the top two levels is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from audit.components import download_component, git_component, manifest_id, package_component
from audit.model import Component, Edge, Node, Problem, Relation, ScanResult
from audit.scanners.base import SourceFile

NAME = "npm"

SECTIONS: tuple[tuple[str, str], ...] = (
    ("dependencies", ""),
    ("devDependencies", "dev"),
    ("optionalDependencies", "optional"),
    ("peerDependencies", "peer"),
)
_EXACT = re.compile(r"v?=?\s*(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)")
_LOCAL_PREFIXES = ("file:", "link:", "workspace:", "portal:", "./", "../", "/", "~/")
_HOSTED = {
    "github": "https://github.com/",
    "gitlab": "https://gitlab.com/",
    "bitbucket": "https://bitbucket.org/",
}
_SHORTHAND = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+")


@dataclass
class _Frame:
    """An open JSON container while scanning (local to :func:`key_lines`)."""

    kind: str
    path: tuple[str, ...] | None
    """Keys from the root to this container; None inside an array (not addressable)."""
    last_key: str = ""
    expect_key: bool = False


def key_lines(text: str, depth: int = 2) -> dict[tuple[str, ...], int]:
    """Line of each object key path up to ``depth`` levels (later duplicates win, like json).

    Assumes ``text`` is valid JSON (call after ``json.loads`` succeeded).
    """
    found: dict[tuple[str, ...], int] = {}
    stack: list[_Frame] = []
    line = 1
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        top = stack[-1] if stack else None
        if c == "\n":
            line += 1
        elif c == '"':
            start = i
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            if top is not None and top.kind == "{" and top.expect_key:
                try:
                    key = str(json.loads(text[start : i + 1]))
                except ValueError:
                    key = text[start + 1 : i]
                top.last_key, top.expect_key = key, False
                if top.path is not None and len(top.path) < depth:
                    where = (*top.path, key)
                    found[where] = line
        elif c in "{[":
            path: tuple[str, ...] | None = ()
            if top is not None:
                path = None if top.kind == "[" or top.path is None else (*top.path, top.last_key)
            stack.append(_Frame(c, path, expect_key=c == "{"))
        elif c in "}]":
            if stack:
                stack.pop()
        elif c == "," and top is not None and top.kind == "{":
            top.expect_key = True
        i += 1
    return found


def _hosted_url(spec: str) -> tuple[str, str | None] | None:
    """``(git url, ref)`` for git URLs and hosted shorthands, else None."""
    body, _, ref = spec.partition("#")
    ref = ref.removeprefix("semver:") if ref.startswith("semver:") else ref
    for prefix, base in _HOSTED.items():
        if body.startswith(prefix + ":"):
            return base + body[len(prefix) + 1 :], ref or None
    if body.startswith(("git+", "git://")):
        url = body.removeprefix("git+")
        if url.startswith("ssh://") and ":" in url[len("ssh://") :].split("/", 1)[0]:
            host, _, path = url[len("ssh://") :].partition(":")  # git+ssh://git@host:org/repo
            url = f"ssh://{host}/{path}"
        return url, ref or None
    if _SHORTHAND.fullmatch(body):
        return _HOSTED["github"] + body, ref or None
    return None


def dependency_component(
    name: str, spec: Any, source: SourceFile, line: int, props: dict[str, str]
) -> Component | Problem | None:
    """One ``"name": "spec"`` entry as a component (None for local/workspace references)."""
    if not isinstance(spec, str):
        return source.problem(line, "parse-error", f"{name}: version is not a string", NAME)
    spec = spec.strip()
    ev = (source.evidence(line, NAME),)
    if spec.startswith(_LOCAL_PREFIXES):
        return None
    if spec.startswith("npm:"):
        real = spec[len("npm:") :]
        at = real.rfind("@")
        alias_name, real_spec = (real[:at], real[at + 1 :]) if at > 0 else (real, "")
        return dependency_component(alias_name, real_spec, source, line, {**props, "alias": name})
    hosted = _hosted_url(spec)
    if hosted:
        url, ref = hosted
        return git_component(url, ev, ref=ref, props={**props, "package": name})
    if spec.startswith(("http://", "https://")):
        return download_component(spec, ev, name=name, props={**props, "package": name})
    exact = _EXACT.fullmatch(spec)
    if exact:
        return package_component("npm", name, exact[1], ev, props)
    extra = dict(props)
    if spec and spec != "*":
        extra["constraint"] = spec
    return package_component("npm", name, None, ev, extra)


@dataclass(frozen=True)
class NpmScanner:
    """npm ``package.json``."""

    name: str = NAME

    def matches(self, path: str) -> bool:
        return path.rsplit("/", 1)[-1] == "package.json" and "/node_modules/" not in f"/{path}"

    def scan(self, source: SourceFile) -> ScanResult:
        node_id = manifest_id(source.path)
        problems: list[Problem] = []
        components: list[Component] = []
        edges: list[Edge] = []
        node_props: dict[str, str] = {"format": "package.json"}
        try:
            data = json.loads(source.text)
        except json.JSONDecodeError as exc:
            # json counts a line after a final newline; the last line is the file's last.
            line = min(exc.lineno, max(len(source.lines), 1))
            problems.append(source.problem(line, "parse-error", f"not JSON: {exc.msg}", NAME))
            data = None
        except (ValueError, RecursionError) as exc:
            problems.append(source.problem(0, "parse-error", f"not JSON: {exc}", NAME))
            data = None
        if data is not None and not isinstance(data, dict):
            problems.append(source.problem(1, "parse-error", "not a JSON object", NAME))
        if isinstance(data, dict):
            if isinstance(data.get("name"), str):
                node_props["package"] = data["name"]
            lines = key_lines(source.text)
            for section, scope in SECTIONS:
                table = data.get(section)
                if table is None:
                    continue
                section_line = lines.get((section,), 0)
                if not isinstance(table, dict):
                    msg = f"{section} is not an object"
                    problems.append(source.problem(section_line, "parse-error", msg, NAME))
                    continue
                for dep, spec in table.items():
                    line = lines.get((section, dep), section_line)
                    found = dependency_component(
                        dep, spec, source, line, {"scope": scope} if scope else {}
                    )
                    if isinstance(found, Component):
                        components.append(found)
                        edges.append(Edge(node_id, found.id, Relation.REQUIRES, found.evidence[0]))
                    elif isinstance(found, Problem):
                        problems.append(found)
        node = Node(node_id, "manifest", source.path, properties=tuple(sorted(node_props.items())))
        return ScanResult(
            components=tuple(components),
            nodes=(node,),
            edges=tuple(edges),
            problems=tuple(problems),
        )


SCANNER = NpmScanner()

__all__ = ["SCANNER", "dependency_component", "key_lines"]
