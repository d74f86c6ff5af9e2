"""Follow what the build pulls in: bundled source trees, audited like the root tree.

A download, git clone or submodule found in a tree (``falcosecurity/libs`` at a pinned
commit) can be descended into: its source is found, discovered, scanned and linked like the
root tree, and merged into the one inventory with its origin. Where the source comes from,
per ``--source NAME=VALUE`` (or ``[sources]`` in ``.depaudit.toml``, paths relative to the
scanned root; ``--source`` paths are relative to the current directory):

- ``PATH``: a local checkout, used as it is;
- ``PATH@auto``: a git mirror (bare or not): the pinned commit is read with ``git archive``
  (hooks and fsmonitor disabled, no work tree touched) and extracted by
  :mod:`audit.archive`;
- ``@fetch``: the pinned archive is downloaded through the HTTP cache and verified against
  the build file's ``URL_HASH``/``EXPECTED_HASH`` when it gives one: a mismatch refuses the
  archive with a Problem, it is never used. ``--offline`` answers from the cache only.

``NAME`` designates a bundled component by id, id without version, name, CMake name,
repository (``falcosecurity/libs``) or repository name (``libs``); ``*`` designates every
bundled component not named otherwise. Nothing is descended into unless mapped. When a
repository is pinned several times (Falco pins ``falcosecurity/libs`` at ``0.11.3`` for
userspace and at ``5.0.1+driver`` for the driver), each pin is its own component and
``NAME@VERSION`` designates one of them; a ``NAME`` without version that designates several
pins is used for none (a Problem says so).

Each bundled tree gets a label, ``<repository name>@<version>`` (a commit abbreviated to 12
characters): ``libs@0e0b4e8ebcd5``. Inside the merged inventory:

- evidence, notice, problem and skipped paths of the tree read ``libs@0e0b4e8ebcd5:path``,
  the path after the colon being relative to that tree's root;
- the tree's own graph ids carry the label: ``build-file:libs@0e0b4e8ebcd5:CMakeLists.txt``,
  ``source:libs@0e0b4e8ebcd5/driver``; third-party components keep their global ids
  (``download:github.com/curl/curl@curl-8_1_0`` is the same whoever bundles it);
- every component found in the tree has the property ``origin`` (the labels of the trees it
  was found in) and ``origin_chain`` (``cmake/modules/falcosecurity-libs.cmake:11 ->
  libs@0e0b4e8ebcd5:cmake/modules/curl.cmake:46``);
- ``bundles`` edges go from the download to the tree's top-level build file and to its
  ``source`` components, so that graph paths run from the root's build file down to what
  the bundled tree downloads.

Every tree (the root too) also gets the cross-file CMake analysis (:mod:`audit.cmake_graph`)
and vendored-code detection (:mod:`audit.vendored`). Depth is limited
(:data:`DEFAULT_DEPTH`) and cycles are detected by component and by directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from audit import cmake_cli, cmake_graph, lockfiles, uapi, vendored
from audit.config import Config
from audit.discover import DEFAULT_MAX_FILE_SIZE, Candidate, by_path, discover
from audit.model import (
    ROOT_ORIGIN,
    Component,
    ComponentKind,
    Edge,
    Evidence,
    Finding,
    Inventory,
    Node,
    Notice,
    Problem,
    ProblemKind,
    Relation,
    SkippedFile,
    edge_key,
)
from audit.scan import current_cache_dir, decode, is_binary
from audit.scancache import PerText

if TYPE_CHECKING:
    from audit.http import HttpClient

NAME = "bundled"
DEFAULT_DEPTH = 3
"""Bundled trees are followed this many levels down from the root."""
AUTO = "@auto"
FETCH = "@fetch"
WILDCARD = "*"
MAX_ARCHIVE_BYTES = 256 * 1024 * 1024
_SHORT = 12
_HEX = re.compile(r"[0-9a-f]{7,64}")
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/+\-]{0,199}")
_LABEL_BAD = re.compile(r"[^A-Za-z0-9._+\-]")
_HASHES = {
    "MD5": "md5",
    "SHA1": "sha1",
    "SHA224": "sha224",
    "SHA256": "sha256",
    "SHA384": "sha384",
    "SHA512": "sha512",
    "SHA3_224": "sha3_224",
    "SHA3_256": "sha3_256",
    "SHA3_384": "sha3_384",
    "SHA3_512": "sha3_512",
}
_READ_LIMIT = 1024 * 1024
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)


class TreeRun(Protocol):
    """What scanning one tree gives (``audit.pipeline.InventoryRun``)."""

    @property
    def inventory(self) -> Inventory: ...

    @property
    def findings(self) -> tuple[Finding, ...]: ...


ScanTree = Callable[[Path, Config], TreeRun]


# Source mappings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceSpec:
    """Where the source of one bundled component comes from."""

    name: str
    """What it designates (a component name, repository, id...; ``*``: every one)."""
    how: str
    """checkout, mirror or fetch."""
    path: Path | None
    shown: str
    """The value as written (for reports: no absolute paths of this machine)."""
    origin: str
    """``--source`` or the configuration file."""


def parse_source_arg(text: str) -> tuple[str, str]:
    """``NAME=PATH``, ``NAME=PATH@auto`` or ``NAME=@fetch`` -> ``(name, value)``; ``NAME``
    may be ``NAME@VERSION`` to designate one pin of several."""
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value:
        raise ValueError(f"expected NAME=PATH, NAME=PATH@auto or NAME=@fetch, got {text!r}")
    if value != FETCH and value.startswith("@"):
        raise ValueError(f"unknown source {value!r} (PATH, PATH@auto or @fetch)")
    return name, value


def source_specs(
    configured: Mapping[str, str],
    given: Sequence[tuple[str, str]],
    *,
    root: Path,
    cwd: Path | None = None,
    config_path: str | None = None,
) -> tuple[SourceSpec, ...]:
    """The mappings in force: the configuration's (relative to ``root``), then ``--source``
    values (relative to ``cwd``), a later one replacing an earlier one of the same name."""
    out: dict[str, SourceSpec] = {}
    here = cwd or Path.cwd()
    for name, value in configured.items():
        out[name] = _spec(name, value, root, config_path or ".depaudit.toml")
    for name, value in given:
        out[name] = _spec(name, value, here, "--source")
    return tuple(out[k] for k in sorted(out))


def _spec(name: str, value: str, base: Path, origin: str) -> SourceSpec:
    if value == FETCH:
        return SourceSpec(name, "fetch", None, value, origin)
    how, raw = "checkout", value
    if value.endswith(AUTO):
        how, raw = "mirror", value[: -len(AUTO)]
    path = Path(raw).expanduser()
    return SourceSpec(name, how, path if path.is_absolute() else base / path, value, origin)


def component_keys(component: Component) -> frozenset[str]:
    """The names ``--source NAME=...`` may use for a component (lower-cased)."""
    keys = {component.id, component.name}
    prefix, _, rest = component.id.partition(":")
    if "@" in rest:
        keys.add(f"{prefix}:{rest.rsplit('@', 1)[0]}")
    for prop in ("repository", "cmake_name", "submodule", "path"):
        value = component.prop(prop)
        if value:
            keys.add(value)
            keys.add(value.rstrip("/").rsplit("/", 1)[-1])
    if component.ecosystem == "git":
        host_path = component.name
        keys.add(host_path.split("/", 1)[-1])
        keys.add(host_path.rsplit("/", 1)[-1])
    return frozenset(k.lower() for k in keys if k)


def pinned_keys(component: Component) -> frozenset[str]:
    """``NAME@VERSION`` for each of :func:`component_keys`: the names that designate this one
    pin when a repository is pinned several times (``falcosecurity/libs@5.0.1+driver``)."""
    if not component.version:
        return frozenset()
    version = component.version.lower()
    return frozenset(f"{k}@{version}" for k in component_keys(component) if "@" not in k)


def _spec_for(component: Component, specs: Sequence[SourceSpec]) -> SourceSpec | None:
    pinned = pinned_keys(component)
    for spec in specs:
        if spec.name.lower() in pinned:
            return spec
    keys = component_keys(component)
    for spec in specs:
        if spec.name != WILDCARD and spec.name.lower() in keys:
            return spec
    return next((s for s in specs if s.name == WILDCARD), None)


def _ambiguous(
    specs: Sequence[SourceSpec], components: Sequence[Component]
) -> dict[str, tuple[str, ...]]:
    """Spec name -> the versions it designates, for each ``NAME=PATH`` (no ``@VERSION``) that
    designates several pins of one repository: a tree is one version, so it is used for
    none of them (``NAME@VERSION=PATH`` tells them apart)."""
    out: dict[str, set[str]] = {}
    for comp in components:
        spec = _spec_for(comp, specs)
        if spec is None or spec.name == WILDCARD or comp.prop("inactive"):
            continue
        if spec.name.lower() in pinned_keys(comp):
            continue
        out.setdefault(spec.name, set()).add(comp.version or "")
    return {k: tuple(sorted(v)) for k, v in out.items() if len(v) > 1}


# Labels, keys, prefixes ---------------------------------------------------------------------


def short_version(version: str | None) -> str:
    """A commit abbreviated to 12 characters; other versions as they are."""
    if not version:
        return ""
    return version[:_SHORT] if _HEX.fullmatch(version) and len(version) > _SHORT else version


def tree_label(component: Component) -> str:
    """``libs@0e0b4e8ebcd5``: the repository (or component) name and short version."""
    base = component.prop("repository") or ""
    if base:
        base = base.rsplit("/", 1)[-1]
    elif component.ecosystem == "git":
        base = component.name.rsplit("/", 1)[-1]
    else:
        base = component.prop("cmake_name") or component.name
    base = _LABEL_BAD.sub("-", base.removesuffix(".git")) or "bundled"
    version = _LABEL_BAD.sub("-", short_version(component.version))
    return f"{base}@{version}" if version else base


def tree_key(component: Component) -> str:
    """Identity of the tree a component designates: repository (or id) at full version."""
    base = component.prop("repository") or component.id.split("@", 1)[0]
    return f"{base.lower()}@{component.version or ''}"


def local_id(gid: str, label: str) -> str:
    """A tree-local graph id in the merged inventory (see the module docstring)."""
    if gid.startswith("source:"):
        rest = gid[len("source:") :]
        if rest == "." or rest.startswith(".#"):
            return f"source:{label}{rest[1:]}"
        return f"source:{label}/{rest}"
    prefix, sep, rest = gid.partition(":")
    return f"{prefix}:{label}:{rest}" if sep else f"{label}:{gid}"


def _ev(e: Evidence, label: str) -> Evidence:
    return replace(e, path=f"{label}:{e.path}")


Props = tuple[tuple[str, str], ...]


def _with_props(props: Props, extra: Mapping[str, str]) -> Props:
    merged = dict(props)
    merged.update({k: v for k, v in extra.items() if v})
    return tuple(sorted(merged.items()))


def label_paths(text: str, paths: Sequence[str], label: str) -> str:
    """``text`` with each of ``paths`` (the finding's evidence files) written as
    ``label:path`` where it stands alone (not inside a longer path or already labelled)."""
    names = sorted({p for p in paths if p and not p.startswith(f"{label}:")}, key=len)
    if not names:
        return text
    pattern = re.compile(
        r"(?<![\w./:@-])(" + "|".join(re.escape(p) for p in reversed(names)) + r")(?![\w/-])"
    )
    return pattern.sub(lambda m: f"{label}:{m[1]}", text)


def prefix_tree(
    inventory: Inventory, findings: Sequence[Finding], label: str
) -> tuple[Inventory, tuple[Finding, ...]]:
    """A bundled tree's inventory with its paths and own ids labelled (module docstring)."""
    global_ids = {c.id for c in inventory.components if c.kind != ComponentKind.SOURCE}

    def gid(x: str) -> str:
        return x if x in global_ids else local_id(x, label)

    components = []
    for c in inventory.components:
        source = c.kind == ComponentKind.SOURCE
        name = c.name
        extra = {"origin": label}
        if source:
            name = label if c.name in (".", "") else f"{label}/{c.name}"
            for key in ("directory", "folder"):
                value = c.prop(key)
                if value:
                    extra[key] = label if value == "." else f"{label}:{value}"
        components.append(
            replace(
                c,
                id=gid(c.id),
                name=name,
                evidence=tuple(_ev(e, label) for e in c.evidence),
                properties=_with_props(c.properties, extra),
            )
        )
    nodes = [
        replace(
            n,
            id=gid(n.id),
            name=f"{label}:{n.name}",
            evidence=tuple(_ev(e, label) for e in n.evidence),
            properties=_with_props(n.properties, {"origin": label}),
        )
        for n in inventory.nodes
    ]
    edges = [
        replace(
            e,
            src=gid(e.src),
            dst=gid(e.dst),
            evidence=_ev(e.evidence, label) if e.evidence else None,
        )
        for e in inventory.edges
    ]
    notices = [
        replace(n, path=f"{label}:{n.path}", evidence=_ev(n.evidence, label))
        for n in inventory.notices
    ]
    problems = [
        replace(p, path=f"{label}:{p.path}" if p.path else label) for p in inventory.problems
    ]
    skipped = [SkippedFile(f"{label}:{s.path}", s.reason) for s in inventory.skipped]
    known = {c.id for c in inventory.components} | {n.id for n in inventory.nodes}
    out_findings = tuple(
        replace(
            f,
            subject=gid(f.subject) if f.subject in known else f"{label}:{f.subject}",
            message=label_paths(f.message, [e.path for e in f.evidence], label),
            evidence=tuple(_ev(e, label) for e in f.evidence),
        )
        for f in findings
    )
    return (
        replace(
            inventory,
            components=tuple(components),
            nodes=tuple(nodes),
            edges=tuple(edges),
            notices=tuple(notices),
            problems=tuple(problems),
            skipped=tuple(skipped),
        ),
        out_findings,
    )


# Merging ----------------------------------------------------------------------------------


def _merge_props(a: Props, b: Props, *, origins: bool = False) -> Props:
    """``a`` wins; ``origin`` lists are joined (with ``.`` for a side that has none)."""
    merged = dict(a)
    other = dict(b)
    if origins and ("origin" in merged or "origin" in other):
        both = {
            *merged.get("origin", ROOT_ORIGIN).split(","),
            *other.get("origin", ROOT_ORIGIN).split(","),
        }
        merged["origin"] = ",".join(sorted(both))
    for k, v in other.items():
        merged.setdefault(k, v)
    return tuple(sorted(merged.items()))


def merge_inventories(
    base: Inventory, others: Sequence[Inventory], edges: Sequence[Edge] = ()
) -> Inventory:
    """One inventory from the root's and the bundled trees' (same id: evidence joined)."""
    comps: dict[str, Component] = {}
    for c in [*base.components, *(c for o in others for c in o.components)]:
        prev = comps.get(c.id)
        if prev is None:
            comps[c.id] = c
            continue
        comps[c.id] = replace(
            prev,
            evidence=tuple(sorted({*prev.evidence, *c.evidence})),
            properties=_merge_props(prev.properties, c.properties, origins=True),
            purl=prev.purl or c.purl,
            version=prev.version or c.version,
        )
    nodes: dict[str, Node] = {}
    for n in [*base.nodes, *(n for o in others for n in o.nodes)]:
        prev_n = nodes.get(n.id)
        nodes[n.id] = (
            n
            if prev_n is None
            else replace(
                prev_n,
                evidence=tuple(sorted({*prev_n.evidence, *n.evidence})),
                properties=_merge_props(prev_n.properties, n.properties),
            )
        )
    all_edges = {*base.edges, *(e for o in others for e in o.edges), *edges}
    notices: list[Notice] = [*base.notices, *(n for o in others for n in o.notices)]
    return replace(
        base,
        components=tuple(comps[k] for k in sorted(comps)),
        nodes=tuple(nodes[k] for k in sorted(nodes)),
        edges=tuple(sorted(all_edges, key=edge_key)),
        notices=tuple(sorted(set(notices), key=lambda n: (n.path, n.line, n.kind, n.raw))),
        problems=tuple(sorted({*base.problems, *(p for o in others for p in o.problems)})),
        skipped=tuple(
            sorted({*base.skipped, *(s for o in others for s in o.skipped)}, key=lambda s: s.path)
        ),
        files_scanned=base.files_scanned + sum(o.files_scanned for o in others),
    )


# Reading a tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeFiles:
    """The discovered files of one tree, readable without leaving it, and those of them the
    analyses after the scan look for by their paths (:meth:`of`)."""

    root: Path
    files: Mapping[str, Candidate]
    ci: Sequence[str] = ()
    """The CI configurations and Dockerfiles (:func:`audit.cmake_cli.ci_files`)."""
    vendored: Sequence[str] = ()
    """The paths vendored code may be in, sorted (:func:`audit.vendored.candidates`)."""

    @classmethod
    def of(cls, root: Path, files: Sequence[Candidate]) -> TreeFiles:
        """The files of ``root`` (sorted by path, as discovered); all that depends on the
        file list alone, so that it can be worked out while the scan runs."""
        paths = by_path(files)
        # both filter the paths one by one: the few they keep are sorted, not every path
        return cls(root, paths, cmake_cli.ci_files(paths), sorted(vendored.candidates(paths)))

    def read(self, path: str, limit: int = _READ_LIMIT) -> str | None:
        """The head of a discovered text file (None: not discovered, unreadable, binary)."""
        cand = self.files.get(path)
        if cand is None:
            return None
        base = str(self.root)
        full = f"{base}/{cand.path}"
        try:
            if cand.link:
                full = os.path.realpath(full)
                if not full.startswith(base + os.sep):
                    return None
            fd = os.open(full, _OPEN_FLAGS)
            try:  # up to ``limit`` bytes, as a buffered read; without a file object
                data = os.read(fd, limit)
                if data and len(data) < limit:
                    chunks, got = [data], len(data)
                    while got < limit and (chunk := os.read(fd, limit - got)):
                        chunks.append(chunk)
                        got += len(chunk)
                    data = b"".join(chunks)
            finally:
                os.close(fd)
        except OSError:
            return None
        return None if is_binary(data) else decode(data).text


@dataclass(frozen=True)
class CMakeReading:
    """What the CMake analysis of a tree reads of its files, found by its file list alone
    (:func:`read_cmake`), so that it can be read while the tree's scan still runs (see
    :mod:`audit.pipeline`)."""

    builds: tuple[cmake_cli.BuildConfig, ...]
    """The cmake command lines of its CI configurations and Dockerfiles
    (:func:`audit.cmake_cli.build_configs`)."""
    texts: Mapping[str, str]
    """The text of each CMake file (each file the CMake scanner wants), by path."""
    facts: Mapping[str, cmake_graph.FileFacts]
    """What ``parse`` made of each of ``texts``."""
    parse: PerText[cmake_graph.FileFacts]
    """The facts of CMake files, kept between runs next to the scan cache."""


def read_cmake(files: TreeFiles) -> CMakeReading:
    """Read the command lines of ``files``' CI configurations and Dockerfiles and the texts
    of its CMake files, and parse each of these (:func:`audit.cmake_graph.parsed_facts`,
    answered by the cache of the enclosing :func:`audit.scan.scan_settings` block when it
    holds the text)."""
    from audit.scanners import selector_in

    builds = cmake_cli.build_configs(files.ci, files.read)
    parse = PerText(
        cmake_graph.parsed_facts, cmake_graph.FileFacts, current_cache_dir(), files.root, "cmake"
    )
    wanted = selector_in(("audit.scanners.cmake",))
    texts: dict[str, str] = {}
    facts: dict[str, cmake_graph.FileFacts] = {}
    for path in files.files:
        if path.endswith("CMakeLists.txt") or path[-6:].lower() == ".cmake":
            text = files.read(path) if wanted(path) else None
            if text is not None:
                texts[path] = text
                facts[path] = parse(path, text)
    return CMakeReading(builds, texts, facts, parse)


def _made(
    read: CMakeReading,
    path: str,
    text: str,
    parse: Callable[[str, str], cmake_graph.FileFacts],
) -> cmake_graph.FileFacts:
    """The facts ``read`` made of ``path`` when it read ``text`` there, else ``parse``'s."""
    made = read.facts.get(path)
    if made is not None and read.texts[path] == text:
        return made
    return parse(path, text)


def tree_files(root: Path, config: Config | None = None) -> TreeFiles:
    found = discover(
        root,
        excludes=config.exclude if config else (),
        max_file_size=(config.max_file_size if config else None) or DEFAULT_MAX_FILE_SIZE,
    )
    return TreeFiles.of(found.root, found.files)


@dataclass(frozen=True)
class TreeAnalysis:
    """One tree after the cross-file analyses."""

    inventory: Inventory
    findings: tuple[Finding, ...]
    cmake: cmake_graph.Analysis


def analyze_tree(
    inventory: Inventory,
    findings: Sequence[Finding],
    files: TreeFiles,
    label: str = "",
    settings: Mapping[str, cmake_graph.OptionDef] | None = None,
    builds: Sequence[cmake_cli.BuildConfig] = (),
    parse: Callable[[str, str], cmake_graph.FileFacts] = cmake_graph.parsed_facts,
    texts: Mapping[str, str] | None = None,
) -> TreeAnalysis:
    """The per-tree analyses that need several files: CMake reach, the kernel's UAPI
    headers userspace code includes (:func:`audit.uapi.linux_uapi_headers`), lockfiles
    joined to the manifest lines they pin (:func:`audit.lockfiles.apply_locks`), vendored
    code. ``builds``: the scanned root's cmake command lines (CI steps, Dockerfiles), in
    force in every tree of the build (:mod:`audit.cmake_cli`).

    A first-party ``source`` unit that is only vendored code (see
    :meth:`audit.vendored.VendoredFacts.supersedes`) gives way to the vendored component, with
    its findings. ``label`` names a bundled tree in messages (paths and ids are labelled
    later); ``settings`` are the cache variables the including build sets (see
    :func:`audit.cmake_graph.cache_settings`). In a bundled tree, kernel code whose own
    ``CMakeLists.txt`` the build does not reach is counted as userspace code
    (:func:`_kernel_build_off`). ``parse`` reads one CMake file (see
    :func:`audit.cmake_graph.analyze`); ``texts``: the CMake files' texts, by path, read
    already (:attr:`CMakeReading.texts`; the others are read here)."""

    def where(path: str) -> str:
        return f"{label}:{path}" if label else path

    read = texts or {}
    cmake: dict[str, str] = {}
    for node in inventory.nodes:
        if node.kind == "build-file" and node.prop("format") == "cmake":
            text = read.get(node.name)
            if text is None:
                text = files.read(node.name)
            if text is not None:
                cmake[node.name] = text
    analysis = cmake_graph.analyze(cmake, settings, builds, parse)
    inventory, cmake_findings = cmake_graph.apply(inventory, analysis, where)
    inventory = uapi.linux_uapi_headers(inventory, files.files)
    inventory = lockfiles.apply_locks(inventory)
    if label:
        inventory = _kernel_build_off(inventory, analysis, where)
    found = vendored.find_vendored(
        files.vendored,
        lambda p: files.read(p, vendored.read_limit(p)),
        inventory.notices,
        where=where,
        project=label.split("@", 1)[0] if label else files.root.name,
    )
    if not found.components:
        return TreeAnalysis(inventory, (*findings, *cmake_findings), analysis)
    dropped = {c.id for c in inventory.components if found.supersedes(c)}
    inventory = replace(
        inventory,
        components=tuple(c for c in inventory.components if c.id not in dropped),
        edges=tuple(e for e in inventory.edges if e.src not in dropped and e.dst not in dropped),
    )
    inventory = merge_inventories(inventory, [_only(found.components)])
    kept = tuple(f for f in findings if f.subject not in dropped)
    return TreeAnalysis(inventory, (*kept, *cmake_findings, *found.findings), analysis)


_KERNEL_CONTEXTS = frozenset({"kernel-module", "ebpf"})


def _kernel_build_off(
    inventory: Inventory, analysis: cmake_graph.Analysis, where: Callable[[str], str]
) -> Inventory:
    """Kernel code (context ``kernel-module`` or ``ebpf``) of a bundled tree whose directory's
    ``CMakeLists.txt`` the build does not reach (gated off, or included by nothing) is not
    built into a kernel module or eBPF program by this build: Falco 0.35.1 sets
    ``USE_BUNDLED_DRIVER OFF`` for its libs pin and takes the driver from its driver pin.
    Such code is counted as userspace code of the tree (the userspace libraries compile some
    of its files: libscap builds ``driver/event_table.c``), with the reason; the kernel
    context it would have is kept in ``kernel_context``."""
    out: list[Component] = []
    for comp in inventory.components:
        context = comp.prop("context")
        directory = comp.prop("directory")
        if comp.kind != ComponentKind.SOURCE or context not in _KERNEL_CONTEXTS or not directory:
            out.append(comp)
            continue
        reach = cmake_graph.not_built(analysis, directory)
        if reach is None:
            out.append(comp)
            continue
        build = cmake_graph.ENTRY if directory == "." else f"{directory}/{cmake_graph.ENTRY}"
        if reach.status == cmake_graph.GATED:
            why = f"it is included only when {reach.via}"
            opts = cmake_graph.option_text(analysis, reach.options, where)
            why += f" ({opts})" if opts else ""
        else:
            why = "nothing the build reaches includes it"
        reason = (
            f"its {context} build ({where(build)}) is not part of this build: {why}; its files "
            "count as userspace code of the tree"
        )
        props = dict(comp.properties)
        props.update(
            {
                "context": "userspace",
                "context_reason": reason,
                "kernel_context": f"{context}: {comp.prop('context_reason') or ''}".rstrip(": "),
            }
        )
        out.append(replace(comp, properties=tuple(sorted(props.items()))))
    return replace(inventory, components=tuple(out))


def _only(components: Sequence[Component]) -> Inventory:
    return Inventory(root="", components=tuple(components), nodes=(), edges=())


# Obtaining a tree's source ------------------------------------------------------------------


class SourceError(Exception):
    """The source of a bundled tree could not be obtained (becomes a Problem)."""

    def __init__(self, kind: ProblemKind, message: str) -> None:
        super().__init__(message)
        self.kind: ProblemKind = kind


def verify_hash(data: bytes, expected: str) -> str:
    """Check ``data`` against ``ALGO=hex`` (CMake's URL_HASH); returns the algorithm name.

    Raises :class:`SourceError` on a mismatch or an unknown algorithm: an archive that
    cannot be verified against the hash its build file pins is never used.
    """
    algo, sep, digest = expected.partition("=")
    name = _HASHES.get(algo.strip().upper())
    if not sep or name is None:
        raise SourceError("unreadable", f"cannot verify hash {expected!r}: unknown algorithm")
    import hashlib  # OpenSSL's, for an archive (audit/keyhash.py)

    got = hashlib.new(name, data).hexdigest()
    if got.lower() != digest.strip().lower():
        raise SourceError(
            "unreadable",
            f"hash mismatch: the build file pins {algo.upper()}={digest.strip()} but the "
            f"archive has {algo.upper()}={got}; the archive is refused",
        )
    return algo.upper()


def archive_url(component: Component) -> str | None:
    """The URL of a component's pinned source archive: its download URL, or for a git
    repository on GitHub the archive GitHub serves of the pinned commit or tag."""
    if component.ecosystem != "git":
        return component.prop("url") or None
    purl = component.purl or ""
    if purl.startswith("pkg:github/") and component.version:
        owner_repo = purl[len("pkg:github/") :].split("@", 1)[0]
        return f"https://github.com/{owner_repo}/archive/{component.version}.tar.gz"
    return None


def _refs(version: str) -> list[str]:
    refs = [version]
    if not _HEX.fullmatch(version) and not version.startswith("v"):
        refs.append(f"v{version}")
    return [r for r in refs if _REF.fullmatch(r) and ".." not in r]


def git_archive(
    mirror: Path,
    version: str,
    *,
    max_bytes: int = MAX_ARCHIVE_BYTES,
    shown: str | None = None,
    prefix: str = "",
) -> tuple[str, bytes]:
    """``(commit, tar bytes)`` of ``version`` read from a git repository, with the safe git
    of :mod:`audit.safegit` (no hook, fsmonitor, transport or filter driver runs).

    ``shown`` names the mirror in messages (default: its path); ``prefix`` (``dir/``) is put
    before every path in the archive."""
    from audit.safegit import filter_overrides, popen_git, run_git

    name = shown or str(mirror)
    if not mirror.is_dir():
        raise SourceError("config", f"git mirror {name} is not a directory")
    filters = filter_overrides(mirror)
    if filters is None:
        raise SourceError("unreadable", f"git mirror {name}: a filter driver cannot be disabled")
    commit = None
    for ref in _refs(version):
        found = run_git(
            mirror, *filters, "rev-parse", "--verify", "--quiet", "--end-of-options",
            f"{ref}^{{commit}}",
        )  # fmt: skip
        if found.code == -1:
            raise SourceError("unreadable", found.error)
        if found.ok:
            commit = found.stdout.decode("ascii", "replace").strip()
            break
    if not commit or not _HEX.fullmatch(commit):
        raise SourceError("unresolved", f"{version} is not a commit of the git mirror {name}")
    try:
        options = (f"--prefix={prefix}",) if prefix else ()
        proc = popen_git(mirror, *filters, "archive", "--format=tar", *options, commit)
    except OSError as exc:
        raise SourceError("unreadable", f"cannot run git: {exc}") from None
    assert proc.stdout is not None
    chunks: list[bytes] = []
    size = 0
    with proc:
        while True:
            chunk = proc.stdout.read(1 << 16)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                proc.kill()
                raise SourceError(
                    "unreadable", f"git archive of {commit} exceeds {max_bytes} bytes"
                )
            chunks.append(chunk)
    if proc.returncode != 0:
        raise SourceError("unreadable", f"git archive {commit} failed in {name}")
    return commit, b"".join(chunks)


def _extract(data: bytes, work: Path, label: str) -> Path:
    import tempfile

    from audit.archive import ArchiveError, Limits, extract_archive

    dest = Path(tempfile.mkdtemp(prefix=_LABEL_BAD.sub("-", label) + "-", dir=work))
    try:
        return extract_archive(data, dest, limits=Limits()).root
    except ArchiveError as exc:
        raise SourceError("unreadable", f"archive refused: {exc}") from None


# Following ---------------------------------------------------------------------------------


@dataclass
class _Walk:
    """The state of one descent into bundled source trees."""

    specs: tuple[SourceSpec, ...]
    scan_tree: ScanTree
    config: Config
    client: HttpClient | None
    depth: int
    work: Path
    parts: list[Inventory] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    done: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    """tree key -> (label, entry ids)."""
    labels: dict[str, str] = field(default_factory=dict)
    """label -> tree key (labels are unique)."""
    used: set[str] = field(default_factory=set)
    linked: set[tuple[str, str]] = field(default_factory=set)
    chains: dict[str, str] = field(default_factory=dict)
    """component id -> its origin chain."""
    trees: dict[str, TreeFiles] = field(default_factory=dict)
    """label -> the files of that tree (``""``: the root), to find the line of a pin."""
    builds: tuple[cmake_cli.BuildConfig, ...] = ()
    """The root's cmake command lines: in force in every tree the build pulls in."""

    def problem(self, comp: Component, kind: ProblemKind, message: str) -> None:
        ev = comp.evidence[0] if comp.evidence else None
        self.problems.append(
            Problem(ev.path if ev else "", ev.line if ev else 0, kind, message, NAME)
        )

    def read(self, path: str) -> str | None:
        """A file of the root or (``label:path``) of a bundled tree, by evidence path."""
        label, sep, rel = path.partition(":")
        if sep and label in self.trees and label:
            return self.trees[label].read(rel)
        root = self.trees.get("")
        return root.read(path) if root is not None else None

    def descend(
        self,
        inventory: Inventory,
        keys: tuple[str, ...],
        dirs: tuple[str, ...],
        settings: Mapping[str, cmake_graph.OptionDef],
    ) -> None:
        """Follow the mapped pins of one tree; ``settings``: the cache variables in force in
        its build (what it and the builds around it set), passed on to the trees it pins."""
        level = len(keys)
        pins = [
            c
            for c in inventory.components
            if c.kind in (ComponentKind.DOWNLOAD, ComponentKind.SUBMODULE)
        ]
        ambiguous = _ambiguous(self.specs, pins)
        for comp in pins:
            spec = _spec_for(comp, self.specs)
            if spec is None:
                continue
            self.used.add(spec.name)
            if spec.name in ambiguous:
                versions = ambiguous[spec.name]
                self.problem(
                    comp,
                    "config",
                    f"source {spec.name}={spec.shown} ({spec.origin}) designates "
                    f"{len(versions)} pins ({', '.join(versions)}); not descending into "
                    f"{comp.name}@{comp.version}: map each with "
                    f"{spec.name}@VERSION=PATH",
                )
                continue
            self._follow(comp, spec, keys, dirs, level, settings)

    def _follow(
        self,
        comp: Component,
        spec: SourceSpec,
        keys: tuple[str, ...],
        dirs: tuple[str, ...],
        level: int,
        settings: Mapping[str, cmake_graph.OptionDef],
    ) -> None:
        key = tree_key(comp)
        what = f"{comp.name}@{comp.version}" if comp.version else comp.name
        if comp.prop("inactive"):
            self.problem(comp, "skipped", f"not descending into {what}: {comp.prop('inactive')}")
            return
        if key in keys:
            path = " -> ".join([*keys, key])
            self.problem(comp, "skipped", f"not descending into {what}: a cycle ({path})")
            return
        if key in self.done:
            label, entries = self.done[key]
            self._link(comp, label, entries, "")
            return
        if level >= self.depth:
            self.problem(
                comp,
                "skipped",
                f"not descending into {what}: the depth limit ({self.depth}) is reached",
            )
            return
        try:
            tree, how = self._obtain(comp, spec)
        except SourceError as exc:
            self.problem(comp, exc.kind, f"{what}: {exc}")
            return
        tree, how = _kept_subdir(comp, tree, how)
        real = os.path.realpath(tree)
        if real in dirs:
            self.problem(
                comp, "skipped", f"not descending into {what}: a cycle (directory {spec.shown})"
            )
            return
        label = self._label(comp, key)
        run = self.scan_tree(tree, Config(max_file_size=self.config.max_file_size))
        listed = getattr(run, "files", None)
        files = listed if isinstance(listed, TreeFiles) else tree_files(tree)
        self.trees[label] = files
        read = getattr(run, "cmake", None)  # its CMake files, read while it was scanned
        ahead = read if isinstance(read, CMakeReading) else None
        parse = cmake_graph.parsed_facts
        analyzed = analyze_tree(
            run.inventory, run.findings, files, label, settings, self.builds,
            parse if ahead is None else partial(_made, ahead, parse=parse),
            None if ahead is None else ahead.texts,
        )  # fmt: skip
        inventory, findings = prefix_tree(analyzed.inventory, analyzed.findings, label)
        parent_chain = self.chains.get(comp.id) or (
            comp.evidence[0].location if comp.evidence else comp.id
        )
        for c in inventory.components:
            if c.evidence:
                self.chains.setdefault(c.id, f"{parent_chain} -> {c.evidence[0].location}")
        entries = _entries(inventory, label)
        self.done[key] = (label, entries)
        self.parts.append(inventory)
        self.findings.extend(findings)
        self._link(comp, label, entries, how)
        inner = {**cmake_graph.cache_settings(analyzed.cmake, label), **settings}
        self.descend(inventory, (*keys, key), (*dirs, real), inner)

    def _label(self, comp: Component, key: str) -> str:
        label = tree_label(comp)
        n = 2
        candidate = label
        while candidate in self.labels and self.labels[candidate] != key:
            candidate = f"{label}~{n}"
            n += 1
        self.labels[candidate] = key
        return candidate

    def _link(self, comp: Component, label: str, entries: Sequence[str], how: str) -> None:
        """``bundles`` edges from the download to what its tree brings into the build; the
        evidence is the line that declares the download."""
        ev = comp.evidence[0] if comp.evidence else None
        for entry in entries:
            if (comp.id, entry) in self.linked:
                continue  # the same download declared in two trees: one link is enough
            self.linked.add((comp.id, entry))
            self.edges.append(Edge(comp.id, entry, Relation.BUNDLES, ev, f"source tree {label}"))
        props = {"bundled_tree": label, "bundled_source": how}
        self.parts.append(_only([replace(comp, properties=_with_props(comp.properties, props))]))

    def _checkout(self, comp: Component, path: Path, shown: str) -> str:
        """How a local checkout is described; a Problem at the line of the pin when its
        ``HEAD`` is not the pinned commit (the checkout is still audited as it is)."""
        from audit.checkout import check_checkout, pin_location

        found = check_checkout(path, comp.version)
        if found.matches is False and comp.version:
            where = pin_location(comp.version, comp.evidence, self.read)
            path_, line = where if where else ("", 0)
            what = f"{comp.name}@{comp.version}"
            resolved = f" ({found.resolved})" if found.resolved else ""
            message = (
                f"{what}: checkout {shown} at {found.head}, pinned {comp.version}{resolved}; "
                "the checkout is audited as it is"
            )
            self.problems.append(Problem(path_, line, "config", message, NAME))
        return found.describe(shown)

    def _obtain(self, comp: Component, spec: SourceSpec) -> tuple[Path, str]:
        if spec.how == "checkout":
            assert spec.path is not None
            if not spec.path.is_dir():
                raise SourceError(
                    "config", f"source {spec.shown} ({spec.origin}) is not a directory"
                )
            return spec.path, self._checkout(comp, spec.path, spec.shown)
        label = tree_label(comp)
        if spec.how == "mirror":
            assert spec.path is not None
            if not comp.version:
                raise SourceError("unresolved", "no pinned version to read from the git mirror")
            commit, data = git_archive(spec.path, comp.version, shown=spec.shown)
            tree = _extract(data, self.work, label)
            return tree, f"git mirror {spec.shown} at {commit}"
        url = archive_url(comp)
        if url is None:
            raise SourceError("unresolved", "no archive URL to download")
        if self.client is None:
            raise SourceError(
                "skipped", f"{url} not downloaded: this command makes no network requests"
            )
        got = self.client.get_bytes(url, max_bytes=MAX_ARCHIVE_BYTES)
        if not got.ok:
            raise SourceError("network", f"cannot download {url}: {got.error}")
        expected = comp.prop("url_hash")
        checked = ""
        if expected:
            checked = f", {verify_hash(got.data, expected)} verified"
        else:
            checked = ", no hash in the build file to verify"
        tree = _extract(got.data, self.work, label)
        return tree, f"archive {url}{checked}"


def _kept_subdir(comp: Component, tree: Path, how: str) -> tuple[Path, str]:
    """The part of a pinned tree the build keeps: a ``PATCH_COMMAND`` that keeps one
    sub-directory (``source_subdir``, see :mod:`audit.scanners.cmake`) makes that
    sub-directory the whole tree (Falco's driver pin keeps ``driver/`` of
    ``falcosecurity/libs``). A tree without it (mapped to the sub-directory already) is used
    as it is."""
    subdir = comp.prop("source_subdir")
    if not subdir:
        return tree, how
    sub = tree / subdir
    real, top = os.path.realpath(sub), os.path.realpath(tree)
    if not sub.is_dir() or not real.startswith(top + os.sep):
        return tree, how
    ev = comp.evidence[0] if comp.evidence else None
    where = f" at {ev.path}:{comp.prop('source_subdir_line')}" if ev else ""
    return sub, f"{how}; its {subdir}/ only (the PATCH_COMMAND{where} keeps only that)"


def _entries(inventory: Inventory, label: str) -> tuple[str, ...]:
    """What a download's tree contributes to the build, with the evidence of each: its
    top-level build file (or, with none, the CMake files nothing includes) and its source
    components."""
    top = f"build-file:{label}:{cmake_graph.ENTRY}"
    cmake = [n for n in inventory.nodes if n.kind == "build-file" and n.prop("format") == "cmake"]
    if any(n.id == top for n in cmake):
        cmake = [n for n in cmake if n.id == top]
    else:
        included = {e.dst for e in inventory.edges if e.relation == Relation.INCLUDES}
        cmake = [n for n in cmake if n.id not in included]
    out = [n.id for n in cmake]
    out.extend(c.id for c in inventory.components if c.kind == ComponentKind.SOURCE)
    return tuple(sorted(out))


def follow_bundled(
    inventory: Inventory,
    findings: Sequence[Finding],
    root: Path,
    config: Config,
    *,
    scan_tree: ScanTree,
    sources: Sequence[tuple[str, str]] = (),
    client: HttpClient | None = None,
    depth: int = DEFAULT_DEPTH,
    cwd: Path | None = None,
    files: TreeFiles | None = None,
    cmake: CMakeReading | None = None,
) -> tuple[Inventory, tuple[Finding, ...]]:
    """The root tree's inventory with the cross-file analyses, and every mapped bundled tree
    (recursively) merged in. ``scan_tree`` discovers, scans and links one tree. ``files``
    are the root's discovered files when the caller has them (else discovered here), and
    ``cmake`` what :func:`read_cmake` read of them (else read here)."""
    listed = files if files is not None else tree_files(root, config)
    # The root's CMake files, read before by a run with the scan cache, are not parsed
    # again (bundled trees are often temporary directories: not kept).
    read = cmake if cmake is not None else read_cmake(listed)
    asked: set[str] = set()

    def parse(path: str, text: str) -> cmake_graph.FileFacts:
        asked.add(path)
        return _made(read, path, text, read.parse)

    analyzed = analyze_tree(
        inventory, findings, listed, builds=read.builds, parse=parse, texts=read.texts
    )
    read.parse.save(asked)  # the files the analysis asked about, as it kept them before
    builds = read.builds
    inventory, findings = analyzed.inventory, analyzed.findings
    specs = source_specs(config.sources, sources, root=root, cwd=cwd, config_path=config.path)
    if not specs:
        return inventory, tuple(findings)
    import tempfile  # only now: the sources configured are fetched or read

    with tempfile.TemporaryDirectory(prefix="depaudit-bundled-") as work:
        walk = _Walk(
            specs, scan_tree, config, client, depth, Path(work), trees={"": listed}, builds=builds
        )
        settings = cmake_graph.cache_settings(analyzed.cmake, ROOT_ORIGIN)
        walk.descend(inventory, (), (os.path.realpath(root),), settings)
    for spec in specs:
        if spec.name not in walk.used:
            walk.problems.append(
                Problem(
                    "" if spec.origin == "--source" else spec.origin,
                    0,
                    "config",
                    f"source {spec.name}={spec.shown} ({spec.origin}) matches no bundled component",
                    NAME,
                )
            )
    merged = merge_inventories(inventory, walk.parts, walk.edges)
    comps = tuple(
        replace(c, properties=_with_props(c.properties, {"origin_chain": walk.chains[c.id]}))
        if c.id in walk.chains
        else c
        for c in merged.components
    )
    problems = tuple(sorted({*merged.problems, *walk.problems}))
    merged = replace(merged, components=comps, problems=problems)
    return merged, (*findings, *walk.findings)


__all__ = [
    "AUTO",
    "DEFAULT_DEPTH",
    "FETCH",
    "CMakeReading",
    "SourceError",
    "SourceSpec",
    "TreeAnalysis",
    "TreeFiles",
    "analyze_tree",
    "archive_url",
    "component_keys",
    "follow_bundled",
    "git_archive",
    "label_paths",
    "local_id",
    "merge_inventories",
    "parse_source_arg",
    "pinned_keys",
    "prefix_tree",
    "read_cmake",
    "short_version",
    "source_specs",
    "tree_files",
    "tree_key",
    "tree_label",
    "verify_hash",
]
