"""CycloneDX 1.6 and SPDX 2.3 output, each validated by its own library."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import (
    AVOCADO,
    BPF,
    COMMIT,
    DRIVER,
    LIBS,
    PLUGIN,
    REMOTE,
    TESTER_IMAGE,
    UBI,
    USERSPACE,
    falco_report,
    small_report,
)

from audit.model import LicenseInfo, RepoInfo, Report
from audit.report import cyclonedx, spdx
from audit.report.json_report import document_uuid

# CycloneDX -----------------------------------------------------------------------------


def cdx(report: Report) -> dict[str, Any]:
    return json.loads(cyclonedx.render(report))


def cdx_component(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(c for c in doc["components"] if c["bom-ref"] == ref)


def props(component: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


@pytest.mark.parametrize("report", [falco_report(), small_report()])
def test_cyclonedx_is_valid_1_6(report: Report) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = cyclonedx.render(report)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    assert (doc["bomFormat"], doc["specVersion"]) == ("CycloneDX", "1.6")


def test_cyclonedx_validator_catches_mistakes() -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    doc = cdx(falco_report())
    doc["components"][0]["type"] = "gadget"
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc))
    assert error is not None
    assert "'gadget' is not one of" in str(error)


def test_cyclonedx_is_deterministic() -> None:
    report = falco_report()
    text = cyclonedx.render(report)
    assert cyclonedx.render(falco_report()) == text
    doc = json.loads(text)
    assert doc["serialNumber"] == f"urn:uuid:{document_uuid(report)}"
    assert doc["metadata"]["timestamp"] == "2023-07-01T00:00:00+00:00"
    assert cdx(small_report())["metadata"]["timestamp"] == "1970-01-01T00:00:00+00:00"
    assert cdx(small_report())["serialNumber"] != doc["serialNumber"]


def test_cyclonedx_metadata() -> None:
    meta = cdx(falco_report())["metadata"]
    assert meta["component"] == {
        "bom-ref": "depaudit:project",
        "externalReferences": [{"type": "vcs", "url": REMOTE}],
        "name": "falco",
        "type": "application",
        "version": COMMIT,
    }
    assert meta["tools"] == {
        "components": [
            {
                "externalReferences": [
                    {"type": "website", "url": "https://github.com/depaudit/depaudit"}
                ],
                "name": "depaudit",
                "type": "application",
                "version": "0.1.0",
            }
        ]
    }
    assert {p["name"]: p["value"] for p in meta["properties"]} == {
        "depaudit:as-of": "2023-07-01",
        "depaudit:policy": "cncf",
        "depaudit:policy:source": "https://github.com/cncf/foundation/blob/main/"
        "policies-guidance/allowed-third-party-license-policy.md",
        "depaudit:root": "examples/falco-2023",
    }


def _lic(ack: str, **kw: str) -> dict[str, Any]:
    return {"license": {"acknowledgement": ack, **kw}}


@pytest.mark.parametrize(
    ("ref", "cdx_type", "scope", "licenses", "evidence_licenses"),
    [
        # the image table concludes; the image itself states nothing
        (UBI, "container", "required",
         [{"acknowledgement": "concluded", "expression": "LicenseRef-RedHat-UBI-EULA"}], None),
        # PyPI's license field says "GPLv2+": declared as a name next to the concluded id
        (AVOCADO, "library", "excluded",
         [_lic("concluded", id="GPL-2.0-or-later"), _lic("declared", name="GPLv2+")], None),
        # MODULE_LICENSE("Dual MIT/GPL"): the concluded expression must stand alone in
        # `licenses`, so the declared text goes to evidence.licenses
        (DRIVER, "library", "required",
         [{"acknowledgement": "concluded", "expression": "GPL-2.0-only OR MIT"}],
         [_lic("declared", name="Dual MIT/GPL")]),
        # GitHub declares Apache-2.0; depaudit concluded more from the tree's own notices
        (LIBS, "library", "required",
         [{"acknowledgement": "concluded", "expression": "Apache-2.0 AND (GPL-2.0-only OR MIT)"}],
         [_lic("declared", id="Apache-2.0")]),
        (TESTER_IMAGE, "container", "excluded",
         [_lic("concluded", id="Apache-2.0"), _lic("declared", id="Apache-2.0")], None),
    ],
)  # fmt: skip
def test_cyclonedx_components(
    ref: str,
    cdx_type: str,
    scope: str,
    licenses: list[dict[str, Any]],
    evidence_licenses: list[dict[str, Any]] | None,
) -> None:
    component = cdx_component(cdx(falco_report()), ref)
    assert (component["type"], component["scope"], component["licenses"]) == (
        cdx_type,
        scope,
        licenses,
    )
    assert component.get("evidence", {}).get("licenses") == evidence_licenses


def test_cyclonedx_component_facts_and_evidence() -> None:
    doc = cdx(falco_report())
    assert sorted(c["bom-ref"] for c in doc["components"]) == sorted(
        [LIBS, TESTER_IMAGE, UBI, PLUGIN, AVOCADO, DRIVER, BPF, USERSPACE]
    )
    ubi = cdx_component(doc, UBI)
    assert ubi["purl"] == ("pkg:docker/ubi8/ubi@latest?repository_url=registry.access.redhat.com")
    assert props(ubi) == {
        "depaudit:classification": "base of docker/ubi/Dockerfile "
        "(published image falcosecurity/falco-ubi)",
        "depaudit:context": "userspace",
        "depaudit:distribution": "distributed",
        "depaudit:kind": "image",
        "depaudit:license:declared": "Red Hat Universal Base Image EULA",
        "depaudit:license:source": "image-table",
        "depaudit:license:url": "https://www.redhat.com/licenses/"
        "EULA_Red_Hat_Universal_Base_Image_English_20190422.pdf",
        "depaudit:verdict": "needs-exception",
        "depaudit:verdict:reasons": "LicenseRef-RedHat-UBI-EULA is not on the CNCF allowlist; "
        "distributed: the base of published image falcosecurity/falco-ubi; no exception covers "
        "registry.access.redhat.com/ubi8/ubi as of 2023-07-01",
        "depaudit:verdict:rule": "not-allowlisted:LicenseRef-RedHat-UBI-EULA",
    }
    avocado = cdx_component(doc, AVOCADO)
    assert avocado["evidence"]["occurrences"] == [
        {
            "additionalContext": "RUN pip install --user avocado-framework==69.0 \\",
            "bom-ref": "pypi:avocado-framework@69.0#docker/tester/Dockerfile:11",
            "line": 11,
            "location": "docker/tester/Dockerfile",
        },
        {
            "additionalContext": "avocado-framework==69.0",
            "bom-ref": "pypi:avocado-framework@69.0#test/requirements.txt:2",
            "line": 2,
            "location": "test/requirements.txt",
        },
    ]
    libs = cdx_component(doc, LIBS)
    assert libs["externalReferences"] == [
        {
            "type": "distribution",
            "url": "https://github.com/falcosecurity/libs/archive/0.11.3.tar.gz",
        }
    ]
    assert props(libs)["depaudit:verdict:election"] == "Apache-2.0 AND MIT"
    assert props(libs)["depaudit:property:repository"] == "falcosecurity/libs"
    blob = cdx_component(cdx(small_report()), "download:example.org/tools/blob.tar.gz")
    assert "licenses" not in blob
    assert "purl" not in blob


def test_cyclonedx_dependencies_follow_the_graph() -> None:
    deps = {d["ref"]: d.get("dependsOn", []) for d in cdx(falco_report())["dependencies"]}
    assert deps == {
        "depaudit:project": sorted(
            [LIBS, TESTER_IMAGE, UBI, PLUGIN, AVOCADO, DRIVER, BPF, USERSPACE]
        ),
        LIBS: [],
        TESTER_IMAGE: sorted([PLUGIN, AVOCADO]),
        UBI: [],
        PLUGIN: [],
        AVOCADO: [],
        DRIVER: [],
        BPF: [],
        USERSPACE: [],
    }


@pytest.mark.parametrize("report", [falco_report(), small_report()])
def test_cyclonedx_render_is_what_the_library_outputter_writes(report: Report) -> None:
    """``render`` skips the outputter's ``Bom.validate()``: the BOM passes it, and the
    outputter (which runs it) writes the same text."""
    from cyclonedx.output import make_outputter
    from cyclonedx.schema import OutputFormat, SchemaVersion

    assert cyclonedx.build_bom(report).validate() is True
    outputter = make_outputter(cyclonedx.build_bom(report), OutputFormat.JSON, SchemaVersion.V1_6)
    assert cyclonedx.render(report) == outputter.output_as_string(indent=2) + "\n"


def test_cyclonedx_dependencies_are_those_register_dependency_makes() -> None:
    from cyclonedx.model.bom import Bom

    report = falco_report()
    built = cyclonedx.build_bom(report)
    registered = Bom(components=built.components, metadata=built.metadata)
    by_ref = {c.bom_ref.value: c for c in built.components}
    graph = {str(d.ref): [str(x.ref) for x in d.dependencies] for d in built.dependencies}
    for ref, on in graph.items():
        target = built.metadata.component if ref == cyclonedx.PROJECT_REF else by_ref[ref]
        registered.register_dependency(target, [by_ref[r] for r in on])

    def flat(bom: Bom) -> dict[str, list[str]]:
        return {str(d.ref): [str(x.ref) for x in d.dependencies] for d in bom.dependencies}

    assert len(graph) == len(built.components) + 1
    assert flat(registered) == flat(built)


def test_cyclonedx_license_that_is_not_spdx_becomes_a_name() -> None:
    report = small_report()
    result = replace(report.results[0], license=LicenseInfo("Some Custom License", "curation"))
    text = cyclonedx.render(replace(report, results=(result, report.results[1])))
    blob = cdx_component(json.loads(text), "download:example.org/tools/blob.tar.gz")
    assert blob["licenses"] == [
        {"license": {"acknowledgement": "concluded", "name": "Some Custom License"}}
    ]


# SPDX ----------------------------------------------------------------------------------


def spdx_doc(report: Report) -> dict[str, Any]:
    return json.loads(spdx.render(report))


def package(doc: dict[str, Any], name_or_id: str) -> dict[str, Any]:
    """The package with that SPDX id, or the one whose comment names that component id."""
    return next(
        p
        for p in doc["packages"]
        if name_or_id in (p["SPDXID"], p.get("comment", "").split()[2].rstrip(","))
    )


@pytest.mark.parametrize("report", [falco_report(), small_report()])
def test_spdx_is_valid_2_3(report: Report, tmp_path: Path) -> None:
    from spdx_tools.spdx.parser.json.json_parser import parse_from_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    assert validate_full_spdx_document(spdx.build_document(report)) == []
    path = tmp_path / "sbom.spdx.json"
    path.write_text(spdx.render(report), encoding="utf-8")
    parsed = parse_from_file(str(path))
    assert validate_full_spdx_document(parsed) == []
    assert parsed.creation_info.spdx_version == "SPDX-2.3"


@pytest.mark.parametrize("report", [falco_report(), small_report()])
def test_spdx_render_is_what_the_validating_writer_writes(report: Report) -> None:
    """``render`` asks the writer not to validate; validating gives no error and the same text."""
    from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

    stream = io.StringIO()
    write_document_to_stream(spdx.build_document(report), stream, validate=True)
    assert spdx.render(report) == stream.getvalue() + "\n"


def test_spdx_validator_catches_mistakes() -> None:
    from spdx_tools.spdx.model import Relationship, RelationshipType
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    document = spdx.build_document(falco_report())
    document.extracted_licensing_info = []
    document.relationships.append(
        Relationship("SPDXRef-Project", RelationshipType.DEPENDS_ON, "SPDXRef-nowhere")
    )
    messages = sorted(m.validation_message for m in validate_full_spdx_document(document))
    assert messages == [
        "Unrecognized license reference: LicenseRef-RedHat-UBI-EULA. license_expression must "
        "only use IDs from the license list or extracted licensing info, but is: "
        "LicenseRef-RedHat-UBI-EULA",
        'did not find the referenced spdx_id "SPDXRef-nowhere" in the SPDX document',
    ]


def test_spdx_document_header_is_deterministic() -> None:
    report = falco_report()
    doc = spdx_doc(report)
    assert spdx.render(falco_report()) == spdx.render(report)
    assert doc["spdxVersion"] == "SPDX-2.3"
    assert doc["dataLicense"] == "CC0-1.0"
    assert doc["name"] == "depaudit audit of falco"
    assert doc["documentNamespace"] == (
        f"https://spdx.org/spdxdocs/depaudit-falco-{document_uuid(report)}"
    )
    assert doc["creationInfo"]["created"] == "2023-07-01T00:00:00Z"
    assert doc["creationInfo"]["creators"] == ["Tool: depaudit-0.1.0"]
    assert spdx_doc(small_report())["creationInfo"]["created"] == "1970-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("cid", "concluded", "declared"),
    [
        (UBI, "LicenseRef-RedHat-UBI-EULA", "NOASSERTION"),  # raw is a name, not SPDX
        (AVOCADO, "GPL-2.0-or-later", "NOASSERTION"),  # raw "GPLv2+"
        (DRIVER, "GPL-2.0-only OR MIT", "NOASSERTION"),  # raw "Dual MIT/GPL"
        (BPF, "GPL-2.0-only OR MIT", "GPL-2.0-only OR MIT"),  # SPDX tag
        (LIBS, "Apache-2.0 AND (GPL-2.0-only OR MIT)", "Apache-2.0"),
        (TESTER_IMAGE, "Apache-2.0", "Apache-2.0"),  # no raw, from the component itself
        (USERSPACE, "Apache-2.0", "Apache-2.0"),
    ],
)
def test_spdx_concluded_and_declared_are_kept_apart(
    cid: str, concluded: str, declared: str
) -> None:
    p = package(spdx_doc(falco_report()), cid)
    assert (p["licenseConcluded"], p["licenseDeclared"]) == (concluded, declared)


def test_spdx_unknown_and_curated_licenses() -> None:
    report = small_report()
    doc = spdx_doc(report)
    blob = package(doc, "download:example.org/tools/blob.tar.gz")
    assert (blob["licenseConcluded"], blob["licenseDeclared"]) == ("NOASSERTION", "NOASSERTION")
    assert blob["licenseComments"] == (
        "No license concluded by depaudit (source: none); no license metadata found."
    )
    curated = replace(report.results[1], license=LicenseInfo("MIT", "curation"))
    doc = spdx_doc(replace(report, results=(report.results[0], curated)))
    proxy = package(doc, "pypi:mongo-proxy@1.0")
    assert (proxy["licenseConcluded"], proxy["licenseDeclared"]) == ("MIT", "NOASSERTION")


def test_spdx_invalid_expression_is_noassertion_with_a_comment() -> None:
    report = small_report()
    bad = replace(report.results[1], license=LicenseInfo("Custom-License OR", "pypi", raw="?"))
    document = spdx.build_document(replace(report, results=(report.results[0], bad)))
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    assert validate_full_spdx_document(document) == []
    doc = spdx_doc(replace(report, results=(report.results[0], bad)))
    proxy = package(doc, "pypi:mongo-proxy@1.0")
    assert proxy["licenseConcluded"] == "NOASSERTION"
    assert proxy["licenseComments"] == (
        "Concluded by depaudit from pypi; concluded 'Custom-License OR' is not a valid SPDX "
        "expression; declared as '?'."
    )


def test_spdx_packages() -> None:
    doc = spdx_doc(falco_report())
    assert [p["SPDXID"] for p in doc["packages"]] == [
        "SPDXRef-Project",
        "SPDXRef-download-github.com-falcosecurity-libs-0.11.3",
        "SPDXRef-image-falcosecurity-falco-tester-latest",
        "SPDXRef-image-registry.access.redhat.com-ubi8-ubi-latest",
        "SPDXRef-pypi-avocado-framework-plugin-varianter-yaml-to-mux-69.0",
        "SPDXRef-pypi-avocado-framework-69.0",
        "SPDXRef-source-driver",
        "SPDXRef-source-driver-bpf",
        "SPDXRef-source-userspace",
    ]
    project = doc["packages"][0]
    assert project == {
        "SPDXID": "SPDXRef-Project",
        "comment": "The audited tree examples/falco-2023.",
        "copyrightText": "NOASSERTION",
        "downloadLocation": f"git+{REMOTE}@{COMMIT}",
        "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "name": "falco",
        "primaryPackagePurpose": "SOURCE",
        "versionInfo": COMMIT,
    }
    libs = doc["packages"][1]
    assert libs["downloadLocation"] == "https://github.com/falcosecurity/libs/archive/0.11.3.tar.gz"
    assert libs["externalRefs"] == [
        {
            "referenceCategory": "PACKAGE_MANAGER",
            "referenceLocator": "pkg:github/falcosecurity/libs@0.11.3",
            "referenceType": "purl",
        }
    ]
    assert libs["primaryPackagePurpose"] == "ARCHIVE"
    assert libs["licenseComments"] == (
        "Concluded by depaudit from github (https://github.com/falcosecurity/libs/blob/0.11.3/"
        "COPYING); elected Apache-2.0 AND MIT."
    )
    driver = package(doc, DRIVER)
    assert driver["comment"] == (
        "depaudit source source:driver, context kernel-module, distribution distributed, verdict "
        "needs-exception (not-allowlisted:GPL-2.0-only), because GPL-2.0-only OR MIT: the kernel "
        "requires the GPL-2.0-only side, so MIT cannot be elected; GPL-2.0-only is not on the "
        "CNCF allowlist; no exception covers it as of 2023-07-01."
    )
    assert driver["licenseComments"] == (
        "Concluded by depaudit from in-repo; declared as 'Dual MIT/GPL'."
    )
    assert driver["downloadLocation"] == "NOASSERTION"


def test_spdx_extracted_licensing_info() -> None:
    doc = spdx_doc(falco_report())
    url = "https://www.redhat.com/licenses/EULA_Red_Hat_Universal_Base_Image_English_20190422.pdf"
    assert doc["hasExtractedLicensingInfos"] == [
        {
            "comment": "Named by depaudit for a license that has no SPDX identifier.",
            "extractedText": "LicenseRef-RedHat-UBI-EULA: the license text was not captured by "
            f"depaudit. It is stated at {url}.",
            "licenseId": "LicenseRef-RedHat-UBI-EULA",
            "name": "Red Hat Universal Base Image EULA",
            "seeAlsos": [url],
        }
    ]
    assert "hasExtractedLicensingInfos" not in spdx_doc(small_report())


def test_spdx_relationships() -> None:
    doc = spdx_doc(falco_report())
    rels = [(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"])
            for r in doc["relationships"]]  # fmt: skip
    assert rels == [
        ("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Project"),
        ("SPDXRef-Project", "DEPENDS_ON", "SPDXRef-download-github.com-falcosecurity-libs-0.11.3"),
        ("SPDXRef-Project", "DEPENDS_ON", "SPDXRef-image-falcosecurity-falco-tester-latest"),
        ("SPDXRef-Project", "DEPENDS_ON",
         "SPDXRef-image-registry.access.redhat.com-ubi8-ubi-latest"),
        ("SPDXRef-Project", "DEPENDS_ON",
         "SPDXRef-pypi-avocado-framework-plugin-varianter-yaml-to-mux-69.0"),
        ("SPDXRef-Project", "DEPENDS_ON", "SPDXRef-pypi-avocado-framework-69.0"),
        ("SPDXRef-Project", "DEPENDS_ON", "SPDXRef-source-driver"),
        ("SPDXRef-Project", "DEPENDS_ON", "SPDXRef-source-driver-bpf"),
        ("SPDXRef-Project", "DEPENDS_ON", "SPDXRef-source-userspace"),
        ("SPDXRef-image-falcosecurity-falco-tester-latest", "DEPENDS_ON",
         "SPDXRef-pypi-avocado-framework-plugin-varianter-yaml-to-mux-69.0"),
        ("SPDXRef-image-falcosecurity-falco-tester-latest", "DEPENDS_ON",
         "SPDXRef-pypi-avocado-framework-69.0"),
    ]  # fmt: skip


def test_spdx_ids_are_unique_and_readable() -> None:
    assert spdx._spdx_ids(["a:b", "a-b", "a/b", "@@"]) == {
        "a:b": "SPDXRef-a-b",
        "a-b": "SPDXRef-a-b-2",
        "a/b": "SPDXRef-a-b-3",
        "@@": "SPDXRef-component",
    }


@pytest.mark.parametrize(
    ("expression", "rendered"),
    [
        ("MIT", "MIT"),
        ("gpl-2.0-only or mit", "GPL-2.0-only OR MIT"),
        ("GPL-2.0-only WITH Linux-syscall-note", "GPL-2.0-only WITH Linux-syscall-note"),
        ("LicenseRef-Foo.1 AND MIT", "LicenseRef-Foo.1 AND MIT"),
        ("Dual MIT/GPL", None),
        ("LicenseRef-bad_name", None),
        ("MIT AND", None),
        ("", None),
    ],
)
def test_parse_expression(expression: str, rendered: str | None) -> None:
    parsed = spdx.parse_expression(expression)
    assert (parsed.render() if parsed is not None else None) == rendered


def test_sboms_stay_valid_with_odd_inputs() -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    report = small_report()
    odd = tuple(
        replace(c, purl="not a purl", properties=(("url", "ftp:/broken url"),))
        for c in report.inventory.components
    )
    report = replace(
        report,
        inventory=replace(report.inventory, components=odd),
        repository=RepoInfo("https://exa mple.com/x y", "c0ffee"),
    )
    assert validate_full_spdx_document(spdx.build_document(report)) == []
    proxy = package(spdx_doc(report), "pypi:mongo-proxy@1.0")
    assert "externalRefs" not in proxy
    assert proxy["downloadLocation"] == "NOASSERTION"
    text = cyclonedx.render(report)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    assert "purl" not in cdx_component(json.loads(text), "pypi:mongo-proxy@1.0")
