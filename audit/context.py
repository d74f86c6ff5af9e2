"""Classify stage: component + graph -> execution context and distribution model, with reasons.

Contexts: ``kernel-module``, ``ebpf`` (runs in the kernel), ``userspace``, ``build``,
``test``, ``ci``. Distribution models, in the CNCF request form's words: ``distributed``
(ships in a released artifact), ``user-fetched`` (the user's package manager fetches it),
``system-component``, ``internal-tooling`` (only built or tested with, never shipped).

The rules, in order, each stated in the reasons:
1. First-party ``source`` components keep the context their notices gave them and ship
   (``distributed``), unless they live under a test directory.
2. Anything reachable from a published image (installed in its final stage, its base, or
   its base's base) or bundled by a build file ships: ``distributed``. An image is published
   when something in the repository pushes it under a known name (``docker push``,
   ``buildx --push``, build-push-action ``push: true``, the Dockerfile's ``LABEL name`` when
   ``tags:`` holds only a tag). A Dockerfile that nothing uses as tooling (no job or action
   runs its image, no Dockerfile builds on it, not under a test folder) is a product image:
   it ships too, "built here, not published yet". What a build stage of a multi-stage
   Dockerfile brings in is build context (docs/what-ships.md).
3. Runtime dependencies declared in a project manifest: ``distributed`` when compiled in
   (Go modules, CMake, npm bundles) and ``user-fetched`` for Python runtime requirements.
4. Everything reachable only from CI jobs, test manifests or images used only by CI:
   ``internal-tooling``, context ``test`` when a test job or test file uses it, else ``ci``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from audit.components import in_build_stage, parse_image_ref
from audit.graph import GraphIndex
from audit.model import ROOT_ORIGIN, Component, ComponentKind, Node, Relation, set_by_slots

_TEST_WORD = re.compile(r"(^|[/:_.\-])(tests?|testing|e2e|integration|spec)([/_.\-]|$)", re.I)


@set_by_slots
@dataclass(frozen=True, slots=True)
class Classification:
    """A component's execution context (userspace, build, test...) and distribution, with
    the reasons."""

    context: str
    distribution: str
    reasons: tuple[str, ...]
    by_parts: str = ""
    """Set (to the reason) when the component is judged by what it is made of, each part a
    component of its own: an image this repository builds from its own Dockerfile, or a
    bundled source tree that was descended into (``--source``)."""


@lru_cache(maxsize=8192)
def _is_test(name: str) -> bool:
    """(Asked of each component's name and of its consumers' ids: the same directories
    and jobs again and again.)"""
    return bool(_TEST_WORD.search(name))


def is_test_path(path: str) -> bool:
    """Whether a path (or id) lies under a test directory or names a test file."""
    return _is_test(path)


_BUILD_SCRIPT = re.compile(
    r"(^|/)(CMakeLists\.txt|[^/]+\.cmake(\.in)?|(GNU)?[Mm]akefile|[^/]+\.mk|meson\.build)$"
)


def is_build_script(path: str) -> bool:
    """A file the build tool runs rather than compiles: CMake scripts and modules
    (``CMakeLists.txt``, ``*.cmake``, ``*.cmake.in``), Makefiles (``*.mk``), meson.build."""
    return bool(_BUILD_SCRIPT.search(path))


_NAME_LABELS = ("name", "org.opencontainers.image.ref.name", "org.opencontainers.image.title")
"""Dockerfile labels that may name the image (the first that reads as an image name wins)."""


def label_image_name(node: Node) -> str | None:
    """The image name a Dockerfile's labels give (``LABEL name="falcosecurity/falco-tester"``);
    None when no label reads as an image name (``"Falco Runtime Security"`` does not)."""
    for key in _NAME_LABELS:
        label = node.prop(f"label.{key}")
        ref = parse_image_ref(label) if label else None
        if ref is not None and "/" in ref.repository:
            return ref.name
    return None


def _pushed_dockerfiles(index: GraphIndex) -> dict[str, str]:
    """Dockerfile node id -> how a job pushes its image under the name its LABEL gives
    (build-push-action with ``push: true`` and ``tags:`` holding only a tag)."""
    out: dict[str, str] = {}
    for e in index.inventory.edges:
        if e.relation == Relation.PUBLISHES and e.dst in index.nodes:
            where = e.evidence.location if e.evidence else e.src
            out.setdefault(e.dst, f"{e.how} ({where})")
    return out


def _published_names(index: GraphIndex, names: Sequence[str]) -> set[str]:
    """The configured published image names; failing a configuration, the images the
    repository pushes (``docker push``, build-push-action with ``push: true``, a pushed
    Dockerfile's LABEL name)."""
    if names:
        return {_image_name(n) for n in names}
    found = {
        c.name.lower()
        for c in index.components.values()
        if c.kind == ComponentKind.IMAGE and c.prop("published")
    }
    for node_id in _pushed_dockerfiles(index):
        label = label_image_name(index.nodes[node_id])
        if label:
            found.add(label)
    return found


def published_images(index: GraphIndex, names: Sequence[str]) -> frozenset[str]:
    """Ids of image components whose name is published (see :func:`_published_names`)."""
    wanted = _published_names(index, names)
    return frozenset(
        c.id
        for c in index.components.values()
        if c.kind == ComponentKind.IMAGE and c.name.lower() in wanted
    )


def published_dockerfiles(index: GraphIndex, names: Sequence[str]) -> dict[str, str]:
    """Dockerfile node ids whose ``LABEL name`` is a published image name -> that name."""
    wanted = _published_names(index, names)
    out: dict[str, str] = {}
    for node in index.nodes.values():
        label = label_image_name(node) if node.kind == "dockerfile" else None
        if label and label in wanted:
            out[node.id] = label
    return out


def product_dockerfiles(index: GraphIndex, ships: dict[str, str]) -> list[str]:
    """Dockerfiles that nothing uses as tooling and that do not ship already: product
    images built here and not published yet (they ship; see the module docstring)."""
    out = []
    for node in index.nodes.values():
        if node.kind != "dockerfile" or node.id in ships or _is_test(node.name):
            continue
        if not _used_as_tooling(index, node.id):
            out.append(node.id)
    return sorted(out)


def _used_as_tooling(index: GraphIndex, dockerfile: str) -> bool:
    """A job or action runs its image, or a Dockerfile builds on it."""
    tooling = (Relation.RUNS_IN, Relation.BASE)
    for e in index.consumers(dockerfile):
        if e.relation == Relation.RUNS_IN:
            return True
        if e.relation == Relation.BUILT_FROM and any(
            u.relation in tooling for u in index.consumers(e.src)
        ):
            return True
    return False


def _image_name(name: str) -> str:
    ref = parse_image_ref(name)
    return ref.name if ref is not None else name.strip().lower()


def _shipping_roots(
    index: GraphIndex, published: frozenset[str], dockerfiles: dict[str, str]
) -> dict[str, str]:
    """Every graph id that ships, mapped to why (a published image, a build bundle, a
    product image)."""
    ships: dict[str, str] = {}
    stack: list[tuple[str, str]] = [
        (p, f"published image {p.removeprefix('image:')}") for p in sorted(published)
    ]
    stack += [
        (d, f"published image {name} ({d.removeprefix('dockerfile:')})")
        for d, name in sorted(dockerfiles.items())
    ]
    for d, how in sorted(_pushed_dockerfiles(index).items()):
        if d not in dockerfiles:
            stack.append((d, f"published image of {d.removeprefix('dockerfile:')}: {how}"))
    for e in index.inventory.edges:
        if e.relation == Relation.BUNDLES and not _is_test(e.src):
            where = e.evidence.location if e.evidence else e.src
            stack.append((e.dst, f"bundled into the build ({where})"))
    _follow(index, stack, ships)
    products = [
        (d, f"product image {d.removeprefix('dockerfile:')}: built here, not published yet")
        for d in product_dockerfiles(index, ships)
    ]
    _follow(index, products, ships)
    return ships


def _follow(index: GraphIndex, stack: list[tuple[str, str]], ships: dict[str, str]) -> None:
    """Mark everything ``stack`` reaches as shipping (the first reason found wins); a
    Dockerfile's build stages are not followed (only its final stage ships)."""
    while stack:
        gid, why = stack.pop()
        if gid in ships:
            continue
        ships[gid] = why
        for e in index.uses(gid):
            if e.relation in (
                Relation.BUILT_FROM,
                Relation.BASE,
                Relation.INSTALLS,
                Relation.INCLUDES,
                Relation.REQUIRES,
                Relation.BUNDLES,
            ):
                if e.relation == Relation.REQUIRES and gid.startswith("ci-job:"):
                    continue  # job ordering, not content
                if in_build_stage(e.how) and gid.startswith("dockerfile:"):
                    continue  # a build stage: build context, not shipped
                stack.append((e.dst, why))


@dataclass(frozen=True)
class Classifier:
    """Tells each component's context from the graph and what the repository ships."""

    index: GraphIndex
    ships: dict[str, str]

    @staticmethod
    def build(index: GraphIndex, published: Sequence[str]) -> Classifier:
        return Classifier(
            index,
            _shipping_roots(
                index, published_images(index, published), published_dockerfiles(index, published)
            ),
        )

    def classify(self, component: Component) -> Classification:
        if component.kind == ComponentKind.SOURCE:
            return self._source(component)
        users = self.index.consumers(component.id)
        built = sorted(
            e.dst for e in self.index.uses(component.id) if e.relation == Relation.BUILT_FROM
        )
        first_party = ""
        if built:
            files = ", ".join(b.removeprefix("dockerfile:") for b in built)
            first_party = (
                f"built by this repository from {files}: its base image and packages are "
                "audited as components of their own"
            )
        elif component.prop("bundled_tree"):
            first_party = (
                f"its source tree {component.prop('bundled_tree')} was audited "
                f"({component.prop('bundled_source')}): its files and the components it "
                "brings in are judged one by one"
            )
        if component.id in self.ships:
            why = self.ships[component.id]
            if _is_system_component(component):
                return Classification(
                    "userspace",
                    "system-component",
                    (f"ships: {why}", "part of an OS distribution: a system component"),
                    first_party,
                )
            return Classification("userspace", "distributed", (f"ships: {why}",), first_party)
        if first_party:
            tooling = self._tooling(component)
            return Classification(
                tooling.context, tooling.distribution, tooling.reasons, first_party
            )
        runtime = [
            e
            for e in users
            if e.src.startswith(("manifest:", "build-file:"))
            and e.relation in (Relation.REQUIRES, Relation.BUNDLES)
            and not _is_test(e.src)
            and not _dev_scope(component)
        ]
        if runtime:
            e = runtime[0]
            where = e.evidence.location if e.evidence else e.src
            if component.ecosystem == "pypi":
                return Classification(
                    "userspace",
                    "user-fetched",
                    (f"a runtime requirement ({where}): the user's installer fetches it",),
                )
            return Classification(
                "userspace", "distributed", (f"a runtime dependency built in ({where})",)
            )
        return self._tooling(component)

    def _source(self, component: Component) -> Classification:
        if is_build_script(component.name):
            return self._build_script(component)
        props = dict(reversed(component.properties))  # several asked (the first of a key wins)
        context = props.get("context") or "userspace"
        reasons = []
        if props.get("context_reason"):
            reasons.append(f"context {context}: {props['context_reason']}")
        vendored = props.get("vendored") == "true"
        what = "vendored third-party code" if vendored else "first-party source"
        if props.get("system_headers"):
            what = "system headers compiled into the project's code"
        test = _is_test(component.name)
        if test or context == "test":
            where = "under a test directory" if test else "used by tests only"
            reasons.append(f"{what} {where}: not shipped")
            return Classification("test", "internal-tooling", tuple(reasons))
        if vendored:
            placement = props.get("placement") or "unknown placement"
            reasons.append(f"{what} ({placement}): ships with the project")
        else:
            reasons.append(f"{what}: ships with the project")
        return Classification(context, "distributed", tuple(reasons))

    def _build_script(self, component: Component) -> Classification:
        """A build script kept as source (a vendored CMake module): context ``build``. It
        ships when this repository stores it (every source release carries it), though it
        is not compiled into the binaries; a build script of a tree the build only fetches
        (``--source``) is neither stored here nor compiled in: internal tooling."""
        path = component.name
        includers = sorted(
            e.evidence.location
            for e in self.index.consumers(f"build-file:{path}")
            if e.relation == Relation.INCLUDES and e.evidence is not None
        )
        runs = f" (included by {', '.join(includers[:3])})" if includers else ""
        reasons = [
            f"context build: {path} is a build script{runs}: it runs while the project is "
            "built and is not compiled into what ships"
        ]
        vendored = component.prop("vendored") == "true"
        what = "vendored third-party code" if vendored else "first-party source"
        origins = (component.prop("origin") or ROOT_ORIGIN).split(",")
        if ROOT_ORIGIN not in origins:
            reasons.append(
                f"{what} of a tree the build fetches ({', '.join(origins)}): not stored in "
                "this repository and not compiled in: never shipped"
            )
            return Classification("build", "internal-tooling", tuple(reasons))
        if _is_test(path):
            reasons.append(f"{what} under a test directory: not shipped")
            return Classification("test", "internal-tooling", tuple(reasons))
        reasons.append(
            f"{what} stored in this repository: it ships with the project's source (every "
            "source release carries it)"
        )
        return Classification("build", "distributed", tuple(reasons))

    def _tooling(self, component: Component) -> Classification:
        inactive = component.prop("inactive")
        if inactive:
            return Classification(
                "build", "internal-tooling", (f"not part of the build: {inactive}",)
            )
        roots: list[str] = []
        for chain in self.index.chains_to(component.id, limit=50):
            roots.append(chain[0].src)
        if not roots:
            roots = [e.src for e in self.index.consumers(component.id)]
        testy = sorted({r for r in roots if _is_test(r)})
        if _dev_scope(component):
            testy = testy or [f"scope {component.prop('scope')}"]
        context = (
            "test" if testy else ("ci" if any(r.startswith("ci-") for r in roots) else "build")
        )
        shown = ", ".join(sorted(set(roots))[:5]) or "no consumer"
        reasons = [f"used only by {shown}: never shipped"]
        if testy:
            reasons.append(f"test tooling ({', '.join(testy[:3])})")
        return Classification(context, "internal-tooling", tuple(reasons))


_OS_ECOSYSTEMS = frozenset({"deb", "rpm", "apk"})


def _is_system_component(component: Component) -> bool:
    """An OS package, or an image the curated table knows as an OS distribution base."""
    if component.ecosystem in _OS_ECOSYSTEMS:
        return True
    if component.kind != ComponentKind.IMAGE:
        return False
    from audit.licenses.images import image_entry

    entry = image_entry(component)
    return entry is not None and entry.distribution == "system-component"


def _dev_scope(component: Component) -> bool:
    scope = component.prop("scope") or ""
    return scope.startswith(("dev", "group:dev", "group:test", "test")) or scope == "indirect-dev"
