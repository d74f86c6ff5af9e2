"""Dockerfiles and Containerfiles: base images, build stages, labels and what RUN installs.

Parsing is BuildKit's own (the ``dockerfile`` package), on a text prepared by
:mod:`audit.scanners.dockerfile_text` (linear time on hostile input; an unclosed heredoc
costs only what follows it). Build arguments are not known at scan time, so ``ARG``
defaults are used and anything without one is reported as ``unresolved`` rather than
guessed. RUN lines go to :func:`audit.shell.scan_script` with the stage's ARG/ENV values
and the distro of its base image.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from bisect import bisect_right
from collections import ChainMap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from audit.components import (
    ImageRef,
    build_stage_how,
    dockerfile_id,
    download_component,
    git_component,
    image_component,
    parse_image_ref,
)
from audit.model import Component, Edge, Evidence, Node, Problem, ProblemKind, Relation, ScanResult
from audit.scanners.base import SourceFile
from audit.shell import expand_text

NAME = "dockerfile"

_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})
_DISTROS = {
    "fedora": "fedora",
    "debian": "debian",
    "ubuntu": "ubuntu",
    "alpine": "alpine",
    "centos": "centos",
    "rockylinux": "rocky",
    "almalinux": "almalinux",
    "amazonlinux": "amzn",
    "oraclelinux": "ol",
    "opensuse": "opensuse",
    "leap": "opensuse",
    "tumbleweed": "opensuse",
    "archlinux": "arch",
    "photon": "photon",
    "rhel": "rhel",
}
_DEBIAN_TAGS = ("trixie", "bookworm", "bullseye", "buster", "stretch", "slim")
_UBUNTU_TAGS = ("noble", "jammy", "focal", "bionic", "xenial")
_DEBIAN_BASED = frozenset(
    {"python", "node", "golang", "ruby", "rust", "perl", "php", "gcc", "buildpack-deps"}
)


def distro_of(ref: ImageRef) -> str | None:
    """The distro an image is built on, for OS package ids (``fedora``, ``rhel``...)."""
    parts = ref.repository.split("/")
    last = parts[-1]
    tag = (ref.tag or "").lower()
    if any(p.startswith("ubi") for p in parts):
        return "rhel"
    if last == "alpine" or "alpine" in tag:
        return "alpine"
    if last in _DISTROS:
        return _DISTROS[last]
    if any(t in tag for t in _UBUNTU_TAGS):
        return "ubuntu"
    if any(t in tag for t in _DEBIAN_TAGS) or last in _DEBIAN_BASED:
        return "debian"
    return None


MAX_INHERITED_VALUES = 1_000_000
"""ENV values a file may copy from earlier stages into stages built on them (``FROM
earlier`` then ``ENV``): a chain of thousands of stages, each adding one variable, would
otherwise copy O(stages²) values. Past it, such a stage starts without inherited values."""


@dataclass
class _Stage:
    """One ``FROM`` stage of a Dockerfile."""

    index: int
    name: str | None
    line: int
    base: str | None = None
    """Component id of the stage's base image (followed through earlier stages)."""
    parent: int | None = None
    """Index of the earlier stage this one is built on (``FROM builder``), if any."""
    os_hint: str | None = None
    args: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    env_shared: bool = False
    """``env`` is the earlier stage's (``FROM earlier``), copied on the first ``ENV`` (see
    :data:`MAX_INHERITED_VALUES`)."""

    @property
    def label(self) -> str:
        return self.name or str(self.index)

    def variables(self) -> Mapping[str, str]:
        """ARG and ENV values (ENV wins), as a view: no copy per instruction."""
        return ChainMap(self.env, self.args)


@dataclass
class _Builder:
    """What the Dockerfile scanner found in one file so far."""

    source: SourceFile
    node: str
    components: list[Component] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    results: list[ScanResult] = field(default_factory=list)
    stages: list[_Stage] = field(default_factory=list)
    global_args: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    copied: int = 0
    """ENV values copied so far from earlier stages (:data:`MAX_INHERITED_VALUES`)."""
    named: dict[str, _Stage] = field(default_factory=dict)
    """The first stage of each name (lower case): stage lookups stay O(1) per reference,
    so a chain of thousands of stages costs linear time."""

    def evidence(self, line: int) -> Evidence:
        return self.source.evidence(line, NAME)

    def problem(self, line: int, kind: ProblemKind, message: str) -> None:
        self.problems.append(self.source.problem(line, kind, message, NAME))

    def own_env(self, stage: _Stage, line: int) -> dict[str, str]:
        """The stage's ENV values, its own to change (an ``ENV`` at ``line`` changes them)."""
        if stage.env_shared:
            stage.env_shared = False
            if self.copied + len(stage.env) <= MAX_INHERITED_VALUES:
                self.copied += len(stage.env)
                stage.env = dict(stage.env)
            else:
                if self.copied <= MAX_INHERITED_VALUES:
                    self.copied = MAX_INHERITED_VALUES + 1  # one problem per file
                    self.problem(
                        line,
                        "skipped",
                        f"over {MAX_INHERITED_VALUES:,} ENV values copied from earlier stages:"
                        " from here on a stage built on another does not inherit its ENV"
                        " values (what needs them is reported unresolved)",
                    )
                stage.env = {}
        return stage.env

    def add_stage(self, stage: _Stage) -> None:
        self.stages.append(stage)
        if stage.name:
            self.named.setdefault(stage.name.lower(), stage)

    def stage_of(self, ref: str) -> _Stage | None:
        """The first stage named ``ref`` (any case) or numbered ``ref``."""
        found = [self.named.get(ref.lower())]
        if (
            ref.isdecimal()
            and len(ref) < 10
            and str(int(ref)) == ref
            and int(ref) < len(self.stages)
        ):
            found.append(self.stages[int(ref)])
        return min((s for s in found if s is not None), key=lambda s: s.index, default=None)


_FOLDER_WORDS = ("docker", "container")
"""Folders whose extensionless files may be Dockerfiles (``docker/``, ``containers/``)."""


class DockerfileScanner:
    """Matches ``Dockerfile``, ``*.Dockerfile``, ``Dockerfile.*``, ``Containerfile``,
    ``*.containerfile`` (by basename, case-insensitive), and files without an extension in a
    folder named like ``docker``/``container`` whose first instruction is ``FROM`` or
    ``ARG`` (or that start with ``# syntax=``): those are read to decide."""

    name = NAME

    def matches(self, path: str) -> bool:
        return _named_like(path) or _undotted_in_docker_folder(path)

    def scan(self, source: SourceFile) -> ScanResult:
        if all(not ln.strip() or ln.lstrip().startswith("#") for ln in source.lines):
            return ScanResult()
        if not _named_like(source.path) and not _reads_like_a_dockerfile(source):
            return ScanResult()
        from audit.scanners.dockerfile_text import parse  # a run that reads none: not loaded

        parsed = parse(source, NAME)
        if parsed.commands is None:
            error = parsed.error or "unreadable"
            line = parsed.error_line or _error_line(source, error)
            problem = source.problem(line, "parse-error", f"Dockerfile: {error}", NAME)
            return ScanResult(problems=(*parsed.problems, problem))
        result = _scan_commands(source, parsed.commands)
        if parsed.problems:
            result = ScanResult.merge([ScanResult(problems=parsed.problems), result])
        return result


SCANNER = DockerfileScanner()


def _named_like(path: str) -> bool:
    base = posixpath.basename(path).lower()
    if base.endswith((".dockerignore", ".md")):
        return False
    return (
        base in ("dockerfile", "containerfile")
        or base.endswith((".dockerfile", ".containerfile"))
        or base.startswith(("dockerfile.", "containerfile."))
    )


def _undotted_in_docker_folder(path: str) -> bool:
    base = posixpath.basename(path)
    folder = posixpath.basename(posixpath.dirname(path)).lower()
    return "." not in base and any(w in folder for w in _FOLDER_WORDS)


_FIRST_INSTRUCTION = re.compile(r"(?i)(FROM|ARG)\s+\S")


def _reads_like_a_dockerfile(source: SourceFile) -> bool:
    """A ``# syntax=`` directive first, or a first instruction ``FROM``/``ARG``."""
    for line in source.lines[:50]:
        text = line.strip()
        if text.lower().startswith("# syntax=") or text.lower().startswith("#syntax="):
            return True
        if not text or text.startswith("#"):
            continue
        return _FIRST_INSTRUCTION.match(text) is not None
    return False


def _error_line(source: SourceFile, message: str) -> int:
    m = re.search(r"line (\d+)", message)
    if m:
        return int(m[1])
    if "heredoc" in message:
        for n in range(len(source.lines), 0, -1):
            if "<<" in source.line(n):
                return n
    word = message.split(" ", 1)[0]
    if word.isalpha() and word.isupper():
        for n, text in enumerate(source.lines, 1):
            if text.strip().upper().startswith(word + " ") or text.strip().upper() == word:
                return n
    return 1


def _scan_commands(source: SourceFile, commands: Sequence[Any]) -> ScanResult:
    b = _Builder(source, dockerfile_id(source.path))
    first_from: int | None = None
    for cmd in commands:
        kind = str(cmd.cmd).upper()
        if kind == "ARG":
            _arg(b, cmd)
        elif kind == "FROM":
            _from(b, cmd)
            first_from = first_from or cmd.start_line
        elif not b.stages:
            continue
        elif kind == "ENV":
            _env(b, cmd)
        elif kind == "LABEL":
            _label(b, cmd)
        elif kind == "MAINTAINER":
            b.labels.setdefault("maintainer", " ".join(cmd.value))
        elif kind == "RUN":
            _mount_images(b, cmd)
            _run(b, cmd)
        elif kind == "COPY":
            _copy_from(b, cmd)
        elif kind == "ADD":
            _add(b, cmd)

    if len(b.stages) > 1:
        _mark_build_stages(b)

    props: dict[str, str] = {f"label.{k}": v for k, v in b.labels.items()}
    if b.stages:
        props["stages"] = ",".join(s.label for s in b.stages)
        if b.stages[-1].base:
            props["final-base"] = b.stages[-1].base
    node = _node(source, b.node, first_from, props)
    own = ScanResult(
        components=tuple(b.components),
        nodes=(node,),
        edges=tuple(b.edges),
        problems=tuple(b.problems),
    )
    return ScanResult.merge([own, *b.results])


def _shipped_stages(stages: Sequence[_Stage]) -> set[int]:
    """The final stage and the earlier stages it is built on (``FROM builder``)."""
    shipped: set[int] = set()
    at: int | None = len(stages) - 1
    while at is not None and at not in shipped:
        shipped.add(at)
        at = stages[at].parent
    return shipped


def _mark_build_stages(b: _Builder) -> None:
    """Edges from the Dockerfile made in a build stage say so in their ``how`` (see
    :func:`audit.components.build_stage_how`): only the final stage ships, and what
    ``COPY --from`` brings into it."""
    shipped = _shipped_stages(b.stages)
    starts = [s.line for s in b.stages]

    def mark(edge: Edge) -> Edge:
        if edge.src != b.node or edge.evidence is None:
            return edge
        stage = b.stages[max(bisect_right(starts, edge.evidence.line) - 1, 0)]
        if stage.index in shipped:
            return edge
        return replace(edge, how=build_stage_how(edge.how, stage.label))

    b.edges = [mark(e) for e in b.edges]
    b.results = [replace(r, edges=tuple(mark(e) for e in r.edges)) for r in b.results]


def _node(source: SourceFile, node_id: str, first_from: int | None, props: dict[str, str]) -> Node:
    evidence = (source.evidence(first_from, NAME),) if first_from else ()
    return Node(
        id=node_id,
        kind="dockerfile",
        name=source.path,
        evidence=evidence,
        properties=tuple(sorted(props.items())),
    )


def _arg(b: _Builder, cmd: Any) -> None:
    stage = b.stages[-1] if b.stages else None
    target = stage.args if stage else b.global_args
    for item in cmd.value:
        name, eq, raw = str(item).partition("=")
        if not eq:
            if stage is not None and name in b.global_args:
                target[name] = b.global_args[name]
            else:
                target.pop(name, None)
            continue
        scope = stage.variables() if stage else b.global_args
        value, missing = expand_text(raw, scope)
        if missing:
            target.pop(name, None)
        else:
            target[name] = value


def _from(b: _Builder, cmd: Any) -> None:
    values = [str(v) for v in cmd.value]
    index = len(b.stages)
    name = values[2] if len(values) >= 3 and values[1].lower() == "as" else None
    stage = _Stage(index, name, cmd.start_line)
    if not values:
        b.problem(cmd.start_line, "parse-error", "FROM without an image")
        b.add_stage(stage)
        return
    raw = values[0]
    line = b.source.find_line(raw, cmd.start_line, cmd.end_line)
    text, missing = expand_text(raw, b.global_args)
    parent = None if missing else b.stage_of(text)
    if missing:
        names = ", ".join(m if m.startswith("$") else f"${m}" for m in missing)
        b.problem(
            line,
            "unresolved",
            f"FROM `{raw}` needs {names}, which has no default here (build arguments are"
            " not known); no base image recorded",
        )
    elif parent is not None and parent.index < index:
        stage.parent = parent.index
        stage.base = parent.base
        stage.os_hint = parent.os_hint
        stage.env = parent.env
        stage.env_shared = True
    elif text.lower() != "scratch":
        ref = parse_image_ref(text)
        if ref is None:
            b.problem(line, "parse-error", f"FROM `{text}` is not an image reference")
        else:
            platform = _flag(cmd.flags, "platform")
            props: dict[str, str] = {}
            if platform is not None:
                props["platform"] = expand_text(platform, b.global_args)[0]
            ev = b.evidence(line)
            comp = image_component(ref, (ev,), props)
            b.components.append(comp)
            b.edges.append(Edge(b.node, comp.id, Relation.BASE, ev, "FROM"))
            stage.base = comp.id
            stage.os_hint = distro_of(ref)
    b.add_stage(stage)


def _flag(flags: Sequence[str], name: str) -> str | None:
    prefix = f"--{name}="
    for f in flags:
        if str(f).startswith(prefix):
            return str(f)[len(prefix) :]
    return None


def _pairs(values: Sequence[str]) -> list[tuple[str, str]]:
    items = [str(v) for v in values]
    return list(zip(items[0::2], items[1::2], strict=False))


def _env(b: _Builder, cmd: Any) -> None:
    stage = b.stages[-1]
    for key, raw in _pairs(cmd.value):
        value, missing = expand_text(raw, stage.variables())
        if missing:
            b.own_env(stage, cmd.start_line).pop(key, None)
        else:
            b.own_env(stage, cmd.start_line)[key] = value


def _label(b: _Builder, cmd: Any) -> None:
    scope = b.stages[-1].variables()
    for key_raw, raw in _pairs(cmd.value):
        key = expand_text(key_raw, {})[0]
        b.labels[key] = expand_text(raw, scope)[0]


def _image_use(b: _Builder, cmd: Any, raw: str, how: str) -> None:
    """``COPY --from=X`` / ``RUN --mount=from=X``: a stage, or an image to fetch."""
    stage = b.stages[-1]
    text, missing = expand_text(raw, stage.variables())
    line = b.source.find_line(raw, cmd.start_line, cmd.end_line)
    if missing:
        names = ", ".join(m if m.startswith("$") else f"${m}" for m in missing)
        b.problem(line, "unresolved", f"{how} `{raw}` needs {names}; no image recorded")
        return
    found = b.stage_of(text)
    if found is not None and found.index < stage.index:
        return
    ref = parse_image_ref(text)
    if ref is None:
        b.problem(line, "parse-error", f"{how} `{text}` is neither a stage nor an image")
        return
    ev = b.evidence(line)
    comp = image_component(ref, (ev,))
    b.components.append(comp)
    b.edges.append(Edge(b.node, comp.id, Relation.BASE, ev, how))


def _copy_from(b: _Builder, cmd: Any) -> None:
    raw = _flag(cmd.flags, "from")
    if raw is not None:
        _image_use(b, cmd, raw, "COPY --from")


def _mount_images(b: _Builder, cmd: Any) -> None:
    for f in cmd.flags:
        spec = str(f)
        if not spec.startswith("--mount="):
            continue
        for item in spec[len("--mount=") :].split(","):
            key, _, value = item.partition("=")
            if key.strip() == "from" and value:
                _image_use(b, cmd, value, "RUN --mount from")


def _add(b: _Builder, cmd: Any) -> None:
    values = [str(v) for v in cmd.value]
    checksum = _flag(cmd.flags, "checksum")
    scope = b.stages[-1].variables()
    for raw in values[:-1]:
        text, missing = expand_text(raw, scope)
        line = b.source.find_line(raw, cmd.start_line, cmd.end_line)
        if missing:
            if "://" in text or raw.startswith("$"):
                names = ", ".join(m if m.startswith("$") else f"${m}" for m in missing)
                b.problem(line, "unresolved", f"ADD `{raw}` needs {names}; nothing recorded")
            continue
        low = text.lower()
        is_git = low.startswith("git@") or re.search(r"\.git(?:#|$)", low) is not None
        if not low.startswith(("http://", "https://", "git@", "git://", "ssh://")):
            continue
        ev = b.evidence(line)
        if is_git:
            url, _, ref = text.partition("#")
            comp = git_component(url, (ev,), ref=ref.split(":", 1)[0] or None)
        else:
            props = {"checksum": checksum} if checksum else None
            comp = download_component(text, (ev,), props=props)
        b.components.append(comp)
        b.edges.append(Edge(b.node, comp.id, Relation.INSTALLS, ev, "ADD"))


# RUN ------------------------------------------------------------------------------------


def _run(b: _Builder, cmd: Any) -> None:
    from audit.shell import scan_script  # the interpreter: only where a RUN is read

    stage = b.stages[-1]
    env = stage.variables()

    def scan(script: str, first_line: int, line_map: Sequence[int] | None = None) -> None:
        b.results.append(
            scan_script(
                script, b.source, first_line, b.node, NAME,
                line_map=line_map, env=env, os_hint=stage.os_hint,
            )
        )  # fmt: skip

    values = [str(v) for v in cmd.value]
    if cmd.json:
        if values and posixpath.basename(values[0]) in _SHELLS and "-c" in values[1:]:
            at = values.index("-c", 1)
            if at + 1 < len(values):
                scan(values[at + 1], cmd.start_line)
        elif values:
            scan(shlex.join(values), cmd.start_line)
        return
    if cmd.heredocs:
        _run_heredocs(b, cmd, scan)
        return
    script, line_map = _run_text(b.source, cmd)
    if line_map:
        scan(script, line_map[0], line_map)
    elif values:
        scan(values[0], cmd.start_line)


def _run_text(source: SourceFile, cmd: Any) -> tuple[str, list[int]]:
    """The RUN script as written (continuations kept), with the file line of each line.

    BuildKit drops comment and empty lines inside a continued instruction; so do we.
    Returns an empty map when the text does not agree with the parser's (e.g. under
    ``# escape=`` ``` ` ```), so that the caller falls back to the parser's value.
    """
    kept = []
    for n in range(cmd.start_line, cmd.end_line + 1):
        text = source.line(n)
        if n != cmd.start_line and (not text.strip() or text.lstrip().startswith("#")):
            continue
        kept.append((n, text))
    joined = "\n".join(t for _, t in kept)
    pos = len(joined) - len(joined.lstrip())
    word = str(cmd.cmd)
    if joined[pos : pos + len(word)].upper() != word.upper():
        return "", []
    pos += len(word)
    for flag in cmd.flags:
        at = _skip_space(joined, pos)
        if joined.startswith(str(flag), at):
            pos = at + len(str(flag))
    pos = _skip_space(joined, pos)
    rest = joined[pos:]
    skipped = joined.count("\n", 0, pos)
    line_map = [n for n, _ in kept][skipped:]
    expected = " ".join(str(cmd.value[0]).split()) if cmd.value else ""
    got = " ".join(re.sub(r"\\\r?\n", " ", rest).split())
    if got != expected:
        return "", []
    return rest, line_map


_SPACE = re.compile(r"(?:[ \t]|\\\r?\n|\n)+")


def _skip_space(text: str, pos: int) -> int:
    """Past the blanks, line continuations and newlines at ``pos``."""
    m = _SPACE.match(text, pos)
    return m.end() if m else pos


_HEREDOC_MARK = re.compile(r"<<-?\s*(['\"]?)([A-Za-z0-9_.\-]+)\1")


def _run_heredocs(b: _Builder, cmd: Any, scan: Any) -> None:
    source = b.source
    end = cmd.start_line
    while end < cmd.end_line and source.line(end).rstrip().endswith("\\"):
        end += 1
    command = _HEREDOC_MARK.sub(" ", str(cmd.value[0]) if cmd.value else "")
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        words = command.split()
    words = [w for w in words if not re.fullmatch(r"\d*[<>].*", w)]
    runs_bodies = not words or (
        posixpath.basename(words[0]) in _SHELLS and all(w.startswith(("-", "+")) for w in words[1:])
    )
    if words and not runs_bodies:
        scan(command, cmd.start_line)
    cursor = end + 1
    for doc in cmd.heredocs:
        k = cursor
        while k <= cmd.end_line and source.line(k).strip() != doc.name:
            k += 1
        body_lines = list(range(cursor, k))
        cursor = k + 1
        content = str(doc.content)
        if not runs_bodies or doc.file_descriptor != 0:
            continue
        first = content.split("\n", 1)[0]
        if first.startswith("#!"):
            interp = first[2:].split()
            program = interp[1] if len(interp) > 1 and interp[0].endswith("/env") else ""
            program = program or (interp[0] if interp else "")
            if posixpath.basename(program) not in _SHELLS:
                continue
        line_map = body_lines if len(body_lines) == content.count("\n") else None
        first_line = body_lines[0] if body_lines else cmd.start_line + 1
        scan(content, first_line, line_map)
