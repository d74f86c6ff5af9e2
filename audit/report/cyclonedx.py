"""Render a Report as a CycloneDX 1.6 JSON SBOM (through cyclonedx-python-lib).

Each component becomes a CycloneDX component whose ``bom-ref`` is the depaudit id. The
concluded license (acknowledgement ``concluded``) and the declared one (``declared``: what
the component itself states) are its ``licenses`` entries (the declared one moves to
``evidence.licenses`` when either is an expression); its digests are ``hashes``; what depaudit
concluded about it (context, distribution model, verdict, license source, declared text)
is written as ``depaudit:*`` properties, and its evidence lines as
``evidence.occurrences``. Dependencies follow the graph: a component depends on the
components that its consumers (Dockerfiles, manifests, build files) pull in; the project
(``metadata.component``) depends on what is reached from consumers no component owns.

The output is deterministic: the serial number is a UUIDv5 of the JSON report's digest
and the timestamp is the report's ``created`` time (SOURCE_DATE_EPOCH, else the as-of
date, else the commit date, else the run's time).
The mapping is documented in docs/report-format.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from audit import __version__
from audit.model import Component, ComponentKind, ComponentResult, Report
from audit.report import jsontext
from audit.report.json_report import (
    HOMEPAGE,
    TOOL_NAME,
    as_of_datetime,
    component_digests,
    dependency_map,
    document_uuid,
    project_name,
    rows,
)
from audit.report.spdx import declared_texts, parse_expression

if TYPE_CHECKING:  # pragma: no cover
    from cyclonedx.model.bom import Bom

PROJECT_REF = "depaudit:project"
SCHEMA_URI = "http://cyclonedx.org/schema/bom-1.6.schema.json"
_JSON_CORE = {"$schema": SCHEMA_URI, "bomFormat": "CycloneDX", "specVersion": "1.6"}


_TYPE = {
    ComponentKind.PACKAGE: "LIBRARY",
    ComponentKind.IMAGE: "CONTAINER",
    ComponentKind.ACTION: "APPLICATION",
    ComponentKind.ORB: "APPLICATION",
    ComponentKind.DOWNLOAD: "LIBRARY",
    ComponentKind.SUBMODULE: "LIBRARY",
    ComponentKind.SOURCE: "LIBRARY",
}


def _properties(comp: Component | None, result: ComponentResult | None) -> list[Any]:
    from cyclonedx.model import Property

    pairs: list[tuple[str, str]] = []
    if comp is not None:
        pairs.append(("depaudit:kind", comp.kind.value))
        pairs.extend((f"depaudit:property:{k}", v) for k, v in comp.properties)
    if result is not None:
        lic = result.license
        v = result.verdict
        pairs.extend(
            [
                ("depaudit:context", result.context),
                ("depaudit:distribution", result.distribution),
                ("depaudit:verdict", v.status.value),
                ("depaudit:verdict:rule", v.rule),
                ("depaudit:verdict:exception", v.exception),
                ("depaudit:verdict:election", v.election),
                ("depaudit:license:source", lic.source),
                ("depaudit:license:declared", lic.raw),
                ("depaudit:license:url", lic.url),
                ("depaudit:license:reason", lic.reason),
            ]
        )
        pairs.append(("depaudit:verdict:reasons", "; ".join(v.reasons)))
        pairs.append(("depaudit:classification", "; ".join(result.classification)))
    return [Property(name=k, value=val) for k, val in pairs if val]


def _license(text: str, acknowledgement: Any) -> Any:
    """One license entry: an SPDX id, else an SPDX expression, else a license name."""
    from cyclonedx.contrib.license.exceptions import InvalidSpdxLicenseException
    from cyclonedx.contrib.license.factories import LicenseFactory
    from cyclonedx.model.license import LicenseExpression

    factory = LicenseFactory()
    try:
        return factory.make_with_id(text, acknowledgement=acknowledgement)
    except InvalidSpdxLicenseException:
        pass
    parsed = parse_expression(text)
    if parsed is not None:
        return LicenseExpression(parsed.render(), acknowledgement=acknowledgement)
    return factory.make_with_name(text, acknowledgement=acknowledgement)


def _licenses(result: ComponentResult | None, stated: str | None) -> tuple[list[Any], list[Any]]:
    """``(licenses, evidence licenses)``: the concluded license (acknowledgement
    ``concluded``) and the declared one (``declared``: what the component itself states).

    Both go in ``licenses`` when each is one license; CycloneDX 1.6 allows an expression
    only alone there, so when either is an expression the declared one goes in
    ``evidence.licenses`` instead.
    """
    from cyclonedx.model.license import LicenseAcknowledgement, LicenseExpression

    concluded: Any = None
    if result is not None and result.license.expression:
        concluded = _license(result.license.expression, LicenseAcknowledgement.CONCLUDED)
    declared = _license(stated, LicenseAcknowledgement.DECLARED) if stated else None
    if concluded is None:
        return ([declared] if declared is not None else []), []
    if declared is None:
        return [concluded], []
    if isinstance(concluded, LicenseExpression) or isinstance(declared, LicenseExpression):
        return [concluded], [declared]
    return [concluded, declared], []


_HASH_ALGORITHMS = {
    "MD5": "MD5",
    "SHA1": "SHA_1",
    "SHA256": "SHA_256",
    "SHA384": "SHA_384",
    "SHA512": "SHA_512",
    "SHA3_256": "SHA3_256",
    "SHA3_384": "SHA3_384",
    "SHA3_512": "SHA3_512",
}


def _hashes(comp: Component | None) -> list[Any]:
    """The component's digests (CMake ``URL_HASH``, image digest) that CycloneDX names."""
    from cyclonedx.model import HashAlgorithm, HashType

    return [
        HashType(alg=getattr(HashAlgorithm, _HASH_ALGORITHMS[algo]), content=hexdigest)
        for algo, hexdigest in component_digests(comp)
        if algo in _HASH_ALGORITHMS
    ]


def _purl(value: str | None) -> Any:
    if not value:
        return None
    from packageurl import PackageURL

    try:
        return PackageURL.from_string(value)
    except ValueError:
        return None


def _reference(kind: str, url: str | None) -> list[Any]:
    """An external reference of type ``kind``; none when ``url`` is missing or not a URI."""
    from cyclonedx.exception.model import InvalidUriException
    from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri

    if not url or "://" not in url:
        return []
    try:
        uri = XsUri(url)
    except InvalidUriException:
        return []
    return [ExternalReference(type=ExternalReferenceType(kind), url=uri)]


def _evidence(comp: Component | None, licenses: list[Any]) -> Any:
    """Occurrences, one per evidence location, and the declared license when it cannot sit
    in ``licenses``. Each occurrence gets the bom-ref ``<id>#<path>:<line>``: the library
    orders occurrences by bom-ref, and without one their order would vary."""
    from cyclonedx.model.component_evidence import ComponentEvidence, Occurrence

    if comp is None or not (comp.evidence or licenses):
        return None
    by_location = {e.location: e for e in reversed(comp.evidence)}
    return ComponentEvidence(
        occurrences=[
            Occurrence(
                bom_ref=f"{comp.id}#{loc}",
                location=e.path,
                line=e.line if e.line > 0 else None,
                additional_context=e.text or None,
            )
            for loc, e in sorted(by_location.items())
        ],
        licenses=licenses,
    )


def _scope(result: ComponentResult | None) -> Any:
    from cyclonedx.model.component import ComponentScope

    if result is None:
        return None
    if result.distribution == "internal-tooling":
        return ComponentScope.EXCLUDED
    if result.distribution == "distributed":
        return ComponentScope.REQUIRED
    return None


def build_bom(report: Report) -> Bom:
    """The report as a ``cyclonedx.model.bom.Bom``."""
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType

    components: dict[str, CdxComponent] = {}
    stated = declared_texts(report)
    for cid, comp, result in rows(report):
        kind = _TYPE.get(comp.kind, "LIBRARY") if comp else "LIBRARY"
        licenses, evidence_licenses = _licenses(result, stated.get(cid))
        components[cid] = CdxComponent(
            name=comp.name if comp else cid,
            version=comp.version if comp else None,
            type=getattr(ComponentType, kind),
            bom_ref=cid,
            purl=_purl(comp.purl if comp else None),
            scope=_scope(result),
            licenses=licenses,
            hashes=_hashes(comp),
            properties=_properties(comp, result),
            external_references=_reference("distribution", comp.prop("url") if comp else None),
            evidence=_evidence(comp, evidence_licenses),
        )

    repo = report.repository
    project = CdxComponent(
        name=project_name(report),
        version=repo.commit or None,
        type=ComponentType.APPLICATION,
        bom_ref=PROJECT_REF,
        external_references=_reference("vcs", repo.remote),
    )
    tool = CdxComponent(
        name=TOOL_NAME,
        version=__version__,
        type=ComponentType.APPLICATION,
        external_references=_reference("website", HOMEPAGE),
    )
    meta_props = [
        Property(name=k, value=v)
        for k, v in (
            ("depaudit:root", report.root),
            ("depaudit:policy", report.policy.name),
            ("depaudit:policy:source", report.policy.source_url),
            ("depaudit:as-of", report.as_of or ""),
        )
        if v
    ]
    metadata = BomMetaData(
        component=project, timestamp=as_of_datetime(report), properties=meta_props
    )
    metadata.tools.components.add(tool)

    return Bom(
        components=components.values(),
        serial_number=document_uuid(report),
        metadata=metadata,
        dependencies=_dependencies(report, components, project),
    )


def _dependencies(report: Report, components: dict[str, Any], project: Any) -> list[Any]:
    """One dependency entry per component and one for the project, built in one go.

    ``Bom.register_dependency`` looks its target up by scanning every entry, which made
    registering the whole graph edge by edge quadratic; the result is the same.
    """
    from cyclonedx.model.dependency import Dependency

    deps, top = dependency_map(report.inventory)

    def entry(ref: Any, targets: Iterable[str]) -> Any:
        on = [Dependency(ref=components[d].bom_ref) for d in targets if d in components]
        return Dependency(ref=ref, dependencies=on)

    entries = [entry(cdx.bom_ref, deps.get(cid, [])) for cid, cdx in components.items()]
    entries.append(entry(project.bom_ref, top))
    return entries


def render(report: Report) -> str:
    """The report as CycloneDX 1.6 JSON text.

    This is what the library's JSON 1.6 outputter writes, without its ``Bom.validate()``
    step: that step re-registers every component's dependency entry through the same
    linear lookup (quadratic on large trees), and only checks what ``build_bom`` ensures by
    construction (every entry present, every reference known, one license per element).
    The tests run ``validate()`` and the outputter itself on the built BOM.
    """
    from cyclonedx.contrib.bom.utils import BomDependencyGraphFlatMerger, BomRefDiscriminator
    from cyclonedx.schema.schema import SchemaVersion1Dot6

    bom = build_bom(report)
    with BomRefDiscriminator.from_bom(bom), BomDependencyGraphFlatMerger(bom):
        document: dict[str, Any] = json.loads(bom.as_json(view_=SchemaVersion1Dot6))  # type: ignore[attr-defined]
    document.update(_JSON_CORE)
    return jsontext.dumps(document) + "\n"
