"""Render a Report as an SPDX 2.3 JSON document (through spdx-tools).

One package describes the project (``SPDXRef-Project``, described by the document); one
package per component, ``DEPENDS_ON`` relationships follow the graph as in the CycloneDX
output. Concluded and declared licenses are kept apart:

- ``licenseConcluded`` is depaudit's resolved expression, ``NOASSERTION`` when unknown;
- ``licenseDeclared`` is what the component itself states (its metadata, its files, its
  image label: :func:`declared_text`) when that is a valid SPDX expression; ``NOASSERTION``
  when it states nothing or only curations and depaudit's tables speak for it; text that is
  not SPDX is quoted in ``licenseComments``.

Digests (CMake ``URL_HASH``, image digests) are package ``checksums``.

Every ``LicenseRef-*`` used gets an ``hasExtractedLicensingInfos`` entry. The output is
reproducible: ``created`` is the report's ``created`` time (SOURCE_DATE_EPOCH, else the as-of
date, else the commit date, else the run's time) and ``documentNamespace`` is derived from
the JSON report's digest.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from audit import __version__
from audit import spdx as expressions
from audit.model import Component, ComponentKind, ComponentResult, LicenseInfo, Report
from audit.report.json_report import (
    TOOL_NAME,
    as_of_datetime,
    component_digests,
    dependency_map,
    document_uuid,
    project_name,
    rows,
)

if TYPE_CHECKING:  # pragma: no cover
    from license_expression import LicenseExpression
    from spdx_tools.spdx.model import Document

SPDX_VERSION = "SPDX-2.3"
NAMESPACE_BASE = "https://spdx.org/spdxdocs/"
PROJECT_ID = "SPDXRef-Project"
_LICENSE_REF = re.compile(r"LicenseRef-[A-Za-z0-9.\-]+")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9.\-]+")

_PURPOSE = {
    ComponentKind.PACKAGE: "LIBRARY",
    ComponentKind.IMAGE: "CONTAINER",
    ComponentKind.ACTION: "APPLICATION",
    ComponentKind.ORB: "APPLICATION",
    ComponentKind.DOWNLOAD: "ARCHIVE",
    ComponentKind.SUBMODULE: "SOURCE",
    ComponentKind.SOURCE: "SOURCE",
}


def parse_expression(expression: str) -> LicenseExpression | None:
    """The parsed SPDX expression, or None when it is not one.

    Every symbol must be a license or exception of the SPDX list or a well-formed
    ``LicenseRef-``; anything else (a name, a typo, bad syntax) gives None. Normalized by
    :func:`audit.spdx.normalize`, as on every path.
    """
    normalized = expressions.normalize(expression)
    if normalized is None:
        return None
    if not all(_LICENSE_REF.fullmatch(key) for key in expressions.references(normalized)):
        return None
    parsed: LicenseExpression = expressions.expression_object(normalized)
    return parsed


def license_refs(expression: LicenseExpression | None) -> list[str]:
    if expression is None:
        return []
    return sorted(
        k for k in expressions.references(expression.render()) if k.startswith("LicenseRef-")
    )


# Sources that report what the component itself states (its metadata, its files, its image
# label). Curations and depaudit's own tables are conclusions, never declarations.
_OWN_STATEMENT = frozenset({"in-repo", "pypi", "deps.dev", "clearlydefined", "github", "oci-label"})
_NO_STATEMENT = frozenset({"", "UNKNOWN", "NOASSERTION", "NONE"})


def declared_text(comp: Component | None, lic: LicenseInfo | None) -> str | None:
    """What the component itself says its license is, as written; None when it says nothing.

    The license source's raw text when the source reports the component's own statement
    (PyPI metadata, a LICENSE file, an image label...); else the statement the scan found on
    the component (a source file's SPDX tag, a Dockerfile's license label), which a curation
    may have overruled. Never a curation or one of depaudit's own tables: those conclude.
    """
    from audit.licenses.oci import PROPERTY as LABEL_PROPERTY

    text = ""
    if lic is not None and lic.source in _OWN_STATEMENT:
        text = lic.raw.strip() or (lic.expression or "")
    if not text and comp is not None:
        if comp.kind == ComponentKind.SOURCE:
            text = comp.prop("license") or ""
        elif comp.kind == ComponentKind.IMAGE:
            text = comp.prop(LABEL_PROPERTY) or ""
    text = text.strip()
    return None if text.upper() in _NO_STATEMENT else text


def declared_texts(report: Report) -> dict[str, str]:
    """:func:`declared_text` of every component that states a license, by id; images built
    from an in-repo Dockerfile state what its license label says."""
    from audit.licenses.resolve import with_dockerfile_labels

    results = {r.component_id: r.license for r in report.results}
    out: dict[str, str] = {}
    for comp in with_dockerfile_labels(report.inventory.components, report.inventory):
        text = declared_text(comp, results.get(comp.id))
        if text:
            out[comp.id] = text
    for cid, lic in results.items():  # results without a component in the inventory
        if cid not in out:
            text = declared_text(None, lic)
            if text:
                out[cid] = text
    return out


def declared_expression(text: str | None) -> str | None:
    """The declared license ``text`` as an SPDX expression string, or None (NOASSERTION)."""
    parsed = parse_expression(text) if text else None
    return parsed.render() if parsed is not None else None


def _spdx_ids(ids: Iterable[str]) -> dict[str, str]:
    """``SPDXRef-`` ids for component ids: readable, unique, stable for sorted input."""
    out: dict[str, str] = {}
    used = {PROJECT_ID, "SPDXRef-DOCUMENT"}
    for cid in ids:
        base = "SPDXRef-" + (_ID_UNSAFE.sub("-", cid).strip("-") or "component")
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}-{n}", n + 1
        used.add(candidate)
        out[cid] = candidate
    return out


def _valid_location(value: str) -> bool:
    from spdx_tools.spdx.validation.uri_validators import validate_download_location

    return not validate_download_location(value)


def _valid_reference(ref: Any, spdx_id: str) -> bool:
    from spdx_tools.spdx.validation.external_package_ref_validator import (
        validate_external_package_ref,
    )

    return not validate_external_package_ref(ref, spdx_id, SPDX_VERSION)


def _license_comment(
    result: ComponentResult, declared: str | None, stated: str | None
) -> str | None:
    lic = result.license
    if lic.expression:
        bits = [f"Concluded by depaudit from {lic.source}"]
    else:
        bits = [f"No license concluded by depaudit (source: {lic.source})"]
    if lic.url:
        bits[0] += f" ({lic.url})"
    if lic.expression and parse_expression(lic.expression) is None:
        bits.append(f"concluded {lic.expression!r} is not a valid SPDX expression")
    if stated and declared is None:
        bits.append(f"declared as {stated!r}")
    if result.verdict.election:
        bits.append(f"elected {result.verdict.election}")
    if lic.reason:
        bits.append(lic.reason)
    return "; ".join(bits) + "."


def _comment(comp: Component | None, result: ComponentResult | None) -> str | None:
    bits = []
    if comp is not None:
        bits.append(f"depaudit {comp.kind.value} {comp.id}")
    if result is not None:
        v = result.verdict
        verdict = v.status.value + (f" ({v.rule})" if v.rule else "")
        if v.exception:
            verdict += f", exception {v.exception}"
        bits.append(f"context {result.context}")
        bits.append(f"distribution {result.distribution}")
        bits.append(f"verdict {verdict}")
        if v.reasons:
            bits.append("because " + "; ".join(v.reasons))
    return ", ".join(bits) + "." if bits else None


def _package(
    spdx_id: str,
    cid: str,
    comp: Component | None,
    result: ComponentResult | None,
    stated: str | None,
) -> tuple[Any, list[str]]:
    """The package and the LicenseRefs it uses."""
    from spdx_tools.spdx.model import (
        Checksum,
        ChecksumAlgorithm,
        ExternalPackageRef,
        ExternalPackageRefCategory,
        Package,
        PackagePurpose,
        SpdxNoAssertion,
    )

    concluded = None
    if result is not None and result.license.expression:
        concluded = parse_expression(result.license.expression)
    decl = declared_expression(stated)
    declared = parse_expression(decl) if decl else None
    refs = sorted(set(license_refs(concluded)) | set(license_refs(declared)))
    url = comp.prop("url") if comp else None
    external = []
    if comp is not None and comp.purl:
        ref = ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", comp.purl)
        if _valid_reference(ref, spdx_id):
            external.append(ref)
    purpose = _PURPOSE.get(comp.kind) if comp else None
    checksums = [
        Checksum(getattr(ChecksumAlgorithm, algo), hexdigest)
        for algo, hexdigest in component_digests(comp)
        if hasattr(ChecksumAlgorithm, algo)
    ]
    package = Package(
        spdx_id=spdx_id,
        name=comp.name if comp else cid,
        download_location=url if url and _valid_location(url) else SpdxNoAssertion(),
        version=comp.version if comp else None,
        files_analyzed=False,
        checksums=checksums,
        license_concluded=concluded if concluded is not None else SpdxNoAssertion(),
        license_declared=declared if declared is not None else SpdxNoAssertion(),
        license_comment=(_license_comment(result, decl, stated) if result else None),
        copyright_text=SpdxNoAssertion(),
        external_references=external,
        primary_package_purpose=getattr(PackagePurpose, purpose) if purpose else None,
        comment=_comment(comp, result),
    )
    return package, refs


def _extracted(ref: str, infos: list[LicenseInfo]) -> Any:
    """The entry for ``ref``: named by the license text of a component licensed under
    exactly ``ref`` when there is one, with the URLs that state it."""
    from spdx_tools.spdx.model import ExtractedLicensingInfo
    from spdx_tools.spdx.validation.uri_validators import validate_url

    name = ref.removeprefix("LicenseRef-").replace("-", " ")
    exact = [i for i in infos if i.expression == ref and i.raw.strip()]
    if exact:
        name = exact[0].raw.strip()
    cross = sorted({i.url for i in infos if i.url and not validate_url(i.url)})
    where = f" It is stated at {cross[0]}." if cross else ""
    return ExtractedLicensingInfo(
        license_id=ref,
        extracted_text=f"{ref}: the license text was not captured by depaudit.{where}",
        license_name=name,
        cross_references=cross,
        comment="Named by depaudit for a license that has no SPDX identifier.",
    )


def build_document(report: Report) -> Document:
    """The report as an ``spdx_tools.spdx.model.Document``."""
    from spdx_tools.spdx.model import (
        Actor,
        ActorType,
        CreationInfo,
        Document,
        Package,
        PackagePurpose,
        Relationship,
        RelationshipType,
        SpdxNoAssertion,
    )

    name = project_name(report)
    table = rows(report)
    ids = _spdx_ids(cid for cid, _c, _r in table)
    packages: list[Any] = []
    refs: dict[str, list[LicenseInfo]] = {}
    stated = declared_texts(report)
    for cid, comp, result in table:
        package, used = _package(ids[cid], cid, comp, result, stated.get(cid))
        packages.append(package)
        for ref in used:
            refs.setdefault(ref, []).append(
                result.license if result is not None else LicenseInfo(None, "", raw=ref)
            )

    repo = report.repository
    location: Any = SpdxNoAssertion()
    if repo.remote and "://" in repo.remote:
        candidate = f"git+{repo.remote}" + (f"@{repo.commit}" if repo.commit else "")
        if _valid_location(candidate):
            location = candidate
    project = Package(
        spdx_id=PROJECT_ID,
        name=name,
        download_location=location,
        version=repo.commit or None,
        files_analyzed=False,
        license_concluded=SpdxNoAssertion(),
        license_declared=SpdxNoAssertion(),
        copyright_text=SpdxNoAssertion(),
        primary_package_purpose=PackagePurpose.SOURCE,
        comment=f"The audited tree {report.root}.",
    )

    deps, top = dependency_map(report.inventory)
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, PROJECT_ID)]
    relationships.extend(
        Relationship(PROJECT_ID, RelationshipType.DEPENDS_ON, ids[cid]) for cid in top if cid in ids
    )
    for cid, _comp, _result in table:
        relationships.extend(
            Relationship(ids[cid], RelationshipType.DEPENDS_ON, ids[d])
            for d in deps.get(cid, [])
            if d in ids
        )

    policy = f"policy {report.policy.name}" if report.policy.name else "no policy (inventory)"
    if report.policy.source_url:
        policy += f" ({report.policy.source_url})"
    creation = CreationInfo(
        spdx_version=SPDX_VERSION,
        spdx_id="SPDXRef-DOCUMENT",
        name=f"{TOOL_NAME} audit of {name}",
        document_namespace=namespace(report),
        creators=[Actor(ActorType.TOOL, f"{TOOL_NAME}-{__version__}")],
        created=as_of_datetime(report),
        creator_comment=(
            f"Audited with {policy} as of {report.as_of or 'the run date'}. The created date "
            "is SOURCE_DATE_EPOCH, else the as-of date, else the commit date, so that the "
            "document is reproducible."
        ),
    )
    return Document(
        creation_info=creation,
        packages=[project, *packages],
        relationships=relationships,
        extracted_licensing_info=[_extracted(ref, refs[ref]) for ref in sorted(refs)],
    )


def namespace(report: Report) -> str:
    """``https://spdx.org/spdxdocs/depaudit-<project>-<uuid5 of the report digest>``."""
    slug = _ID_UNSAFE.sub("-", project_name(report)).strip("-") or "project"
    return f"{NAMESPACE_BASE}{TOOL_NAME}-{slug}-{document_uuid(report)}"


def render(report: Report) -> str:
    """The report as SPDX 2.3 JSON text, written by spdx-tools.

    The writer is not asked to validate: spdx-tools' validator scans every relationship
    for every package and every element for every relationship, quadratic on large trees.
    The tests validate the documents ``build_document`` makes with that validator.
    """
    from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

    stream = io.StringIO()
    write_document_to_stream(build_document(report), stream, validate=False)
    return stream.getvalue() + "\n"
