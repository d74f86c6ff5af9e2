"""The resolve stage: components -> the license of each, and where that came from.

Order, first answer wins:

1. first-party ``source`` components keep their in-repo statement (property ``license``,
   evidence on the component); nothing outranks it;
2. project curations (:mod:`audit.licenses.curations`), then the license files of a
   vendored copy in the tree (a Go ``vendor/<module>/LICENSE``: property ``license`` of a
   ``vendored`` package, see :mod:`audit.vendored`);
3. images: the curated image table, then an in-repo Dockerfile's
   ``org.opencontainers.image.licenses`` label (:mod:`audit.licenses.oci`);
4. registries, over the network through one cached :class:`~audit.http.HttpClient`,
   concurrently on its bounded pool: PyPI, then deps.dev, then ClearlyDefined for packages
   (deps.dev and ClearlyDefined for npm/go/cargo/maven/nuget); GitHub for actions, GitHub
   downloads and submodules on github.com; an image's registry label only when asked.

A source that could not answer (network fault, HTTP 5xx, bad JSON, offline cache miss)
yields ``confidence=0.0``; when no later source answers either, the component's license is
unknown with that reason and a ``Problem(kind="network")`` is reported. Unknown is never
replaced by a guess: OS packages, orbs and plain downloads without a curation stay unknown
with a reason saying what would settle them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field, replace

from audit.http import OFFLINE_MISS, Endpoints, HttpClient
from audit.licenses import clearlydefined, depsdev, github, oci, pypi
from audit.licenses.curations import Curations
from audit.licenses.freetext import normalize_expression
from audit.model import Component, ComponentKind, Inventory, LicenseInfo, Node, Problem, Relation

Source = Callable[[Component, HttpClient, Endpoints], "LicenseInfo | None"]
IdentifyText = Callable[[str], "str | None"]
SCANNER = "resolve"
IN_REPO = "in-repo"
_OS_ECOSYSTEMS = frozenset({"deb", "rpm", "apk"})


@dataclass(frozen=True)
class Ask:
    """What a resolve run lets its sources use besides the component."""

    identify_text: IdentifyText | None = None
    registry_labels: bool = False


@dataclass(frozen=True)
class LicenseSource:
    """A registry the resolve stage may ask about a component's license.

    ``covers`` says (with no network) whether it applies to the component; ``lookup``
    asks it: a :class:`LicenseInfo` (with an expression, or unknown with the reason, or
    ``confidence=0.0`` when it could not answer), or ``None`` when it has nothing to say.
    """

    name: str
    covers: Callable[[Component, Ask], bool]
    lookup: Callable[[Component, HttpClient, Endpoints, Ask], LicenseInfo | None]


def _package(component: Component, ecosystems: Container[str]) -> bool:
    """A pinned package of one of ``ecosystems``."""
    return (
        component.kind == ComponentKind.PACKAGE
        and (component.ecosystem or "") in ecosystems
        and bool(component.version)
    )


SOURCES: tuple[LicenseSource, ...] = (
    LicenseSource(
        "oci-label",
        lambda c, ask: c.kind == ComponentKind.IMAGE and ask.registry_labels,
        lambda c, client, endpoints, ask: oci.lookup(c, client, endpoints, registry_labels=True),
    ),
    LicenseSource(
        "pypi",
        lambda c, ask: c.kind == ComponentKind.PACKAGE and c.ecosystem == "pypi",
        lambda c, client, endpoints, ask: pypi.lookup(
            c, client, endpoints, identify_text=ask.identify_text
        ),
    ),
    LicenseSource(
        "deps.dev",
        lambda c, ask: _package(c, depsdev.SYSTEMS),
        lambda c, client, endpoints, ask: depsdev.lookup(c, client, endpoints),
    ),
    LicenseSource(
        "clearlydefined",
        lambda c, ask: _package(c, clearlydefined.COORDINATES),
        lambda c, client, endpoints, ask: clearlydefined.lookup(c, client, endpoints),
    ),
    LicenseSource(
        "github",
        lambda c, ask: (
            c.kind not in (ComponentKind.IMAGE, ComponentKind.PACKAGE)
            and github.repository(c) is not None
        ),
        lambda c, client, endpoints, ask: github.lookup(c, client, endpoints),
    ),
)
"""The license sources, in the order they are asked: the first expression wins. Adding a
registry is one module with a ``lookup`` and one entry here."""


@dataclass(frozen=True)
class ResolveResult:
    """What the resolve stage found."""

    licenses: dict[str, LicenseInfo] = field(default_factory=dict)
    """Component id -> its license (every component given has one), in id order."""
    problems: tuple[Problem, ...] = ()
    """Lookups that failed (kind ``network``), in component id order."""


def is_failure(info: LicenseInfo) -> bool:
    """True when the source could not answer at all (as opposed to answering "no license")."""
    return info.expression is None and info.confidence == 0.0


def resolve(
    components: Sequence[Component],
    *,
    curations: Curations | None = None,
    client: HttpClient | None = None,
    offline: bool = False,
    endpoints: Endpoints | None = None,
    identify_text: IdentifyText | None = None,
    registry_labels: bool = False,
    inventory: Inventory | None = None,
) -> ResolveResult:
    """Conclude the license of every component (see the module doc for the order).

    ``client`` defaults to an :class:`HttpClient` on the default cache, created only when a
    lookup is needed; ``offline=True`` answers registry lookups from the cache alone.
    ``identify_text`` names the license of a full license text found in a registry field
    (e.g. :func:`audit.licenses.pypi.identify_with_bundled_texts`); without it such a field
    stays unknown. ``registry_labels`` reads image labels from registries (off by default).
    ``inventory`` (the linked graph) lets an image built from an in-repo Dockerfile take that
    Dockerfile's ``org.opencontainers.image.licenses`` label.
    """
    if inventory is not None:
        components = with_dockerfile_labels(components, inventory)
    ordered = sorted({c.id: c for c in components}.values(), key=lambda c: c.id)
    endpoints = endpoints or (client.endpoints if client is not None else Endpoints())
    found: dict[str, LicenseInfo] = {}
    pending: list[tuple[Component, list[Source]]] = []
    for component in ordered:
        local = _local(component, curations)
        if local is not None:
            found[component.id] = local
            continue
        sources = _network_sources(component, identify_text, registry_labels)
        if sources:
            pending.append((component, sources))
        else:
            found[component.id] = _no_source(component)
    if pending:
        owned = client is None
        active = HttpClient(offline=offline, endpoints=endpoints) if client is None else client
        if offline:
            active = active.as_offline()
        try:
            answers = active.map(lambda item: _chain(item[0], item[1], active, endpoints), pending)
        finally:
            if owned:
                active.close()
        for (component, _), info in zip(pending, answers, strict=True):
            found[component.id] = info
    licenses = {c.id: found[c.id] for c in ordered}
    problems = tuple(_problem(c, licenses[c.id]) for c in ordered if is_failure(licenses[c.id]))
    return ResolveResult(licenses, problems)


def with_dockerfile_labels(
    components: Sequence[Component], inventory: Inventory
) -> list[Component]:
    """Images built from in-repo Dockerfiles (``built-from`` edges) get two properties:
    ``dockerfile`` (its path) and, when the Dockerfile sets it, the license label."""
    nodes = {n.id: n for n in inventory.nodes}
    built: dict[str, list[Node]] = {}
    for edge in inventory.edges:
        if edge.relation == Relation.BUILT_FROM and edge.dst in nodes:
            built.setdefault(edge.src, []).append(nodes[edge.dst])
    out: list[Component] = []
    for component in components:
        if component.kind != ComponentKind.IMAGE or component.id not in built:
            out.append(component)
            continue
        sources = sorted(built[component.id], key=lambda n: n.id)
        props = dict(component.properties)
        props.setdefault("dockerfile", sources[0].id.removeprefix("dockerfile:"))
        labels = {n.prop(oci.PROPERTY) for n in sources} - {None}
        if len(labels) == 1 and oci.PROPERTY not in props:
            props[oci.PROPERTY] = str(labels.pop())
        out.append(replace(component, properties=tuple(sorted(props.items()))))
    return out


def _local(component: Component, curations: Curations | None) -> LicenseInfo | None:
    """What needs no network: in-repo statement, curation, image table, Dockerfile label."""
    if component.kind == ComponentKind.SOURCE:
        stated = component.prop("license")
        if stated:
            return _in_repo(component, stated)
    curated = curations.license_for(component) if curations else None
    if curated is not None:
        return curated
    if component.prop("vendored") == "true" and component.prop("license"):
        return _in_repo(component, str(component.prop("license")))
    if component.kind == ComponentKind.SOURCE:
        return LicenseInfo(
            None,
            IN_REPO,
            evidence=component.evidence,
            reason="no license statement found in the source",
        )
    if component.kind == ComponentKind.IMAGE:
        return oci.lookup(component, None, Endpoints())
    return None


def _in_repo(component: Component, stated: str) -> LicenseInfo:
    expression = normalize_expression(stated)
    return LicenseInfo(
        expression,
        IN_REPO,
        evidence=component.evidence,
        raw=stated,
        reason="in-repo license statement"
        if expression
        else f"in-repo statement {stated!r} is not an SPDX expression",
    )


def _network_sources(
    component: Component, identify_text: IdentifyText | None, registry_labels: bool
) -> list[Source]:
    """The lookups of the :data:`SOURCES` that cover ``component``, in order."""
    ask = Ask(identify_text, registry_labels)
    return [
        functools.partial(_ask, source, ask) for source in SOURCES if source.covers(component, ask)
    ]


def _ask(
    source: LicenseSource, ask: Ask, component: Component, client: HttpClient, endpoints: Endpoints
) -> LicenseInfo | None:
    return source.lookup(component, client, endpoints, ask)


def _no_source(component: Component) -> LicenseInfo:
    """Unknown, with what would settle it, for components no source covers."""
    kind, eco = component.kind, component.ecosystem or ""
    if kind == ComponentKind.IMAGE:
        built = component.prop("dockerfile")
        if built:
            reason = (
                f"built from {built} in this repository: its license is that of its contents "
                "(base image and what it installs)"
            )
        else:
            reason = (
                f"image: not in the curated image table and no {oci.LABEL} label (add a curation)"
            )
        return LicenseInfo(None, "image", reason=reason)
    if kind == ComponentKind.PACKAGE and eco in _OS_ECOSYSTEMS:
        distro = component.purl.split("/")[1] if component.purl and "/" in component.purl else ""
        of = f" of {distro}" if distro and distro != component.name else ""
        return LicenseInfo(
            None,
            "os-package",
            reason=(
                f"{eco} package{of}: no registry source here; its license is in the "
                "distribution's package metadata (add a curation)"
            ),
        )
    if kind == ComponentKind.PACKAGE and not component.version:
        return LicenseInfo(None, eco or "package", reason="unpinned: no version to look up")
    if kind == ComponentKind.ORB:
        return LicenseInfo(
            None, "orb", reason="no registry source for CircleCI orbs (add a curation)"
        )
    return LicenseInfo(
        None, kind.value, reason=f"no license source for this {kind.value} (add a curation)"
    )


def _chain(
    component: Component, sources: list[Source], client: HttpClient, endpoints: Endpoints
) -> LicenseInfo:
    """Ask each source in turn; the first expression wins, else combine the reasons."""
    tried: list[LicenseInfo] = []
    for source in sources:
        info = source(component, client, endpoints)
        if info is None:
            continue
        if info.expression is not None:
            return info
        tried.append(info)
    if not tried:
        return _no_source(component)
    failures = [i for i in tried if is_failure(i)]
    first = failures[0] if failures else tried[0]
    offline_only = all(i.reason.endswith(OFFLINE_MISS) for i in tried)
    if offline_only:
        reason = f"{OFFLINE_MISS} ({', '.join(i.source for i in tried)})"
    else:
        reason = "; ".join(i.reason for i in tried)
    return LicenseInfo(
        None,
        first.source,
        raw=next((i.raw for i in tried if i.raw), ""),
        url=first.url,
        confidence=0.0 if failures else 1.0,
        reason=reason,
    )


def _problem(component: Component, info: LicenseInfo) -> Problem:
    where = component.evidence[0] if component.evidence else None
    return Problem(
        path=where.path if where else "",
        line=where.line if where else 0,
        kind="network",
        message=f"{component.id}: license lookup failed: {info.reason}",
        scanner=SCANNER,
    )


__all__ = ["ResolveResult", "is_failure", "resolve", "with_dockerfile_labels"]
