"""SBOMs that other tools trust (issue 16, item 6): declared and concluded licenses apart in
both formats, reproducible timestamps, docker purls per the purl spec, digests as hashes and
checksums, and SBOMs from ``depaudit inventory``. Every document here goes through
cyclonedx-python-lib's strict validator or spdx-tools' parser and validator."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from tree_helpers import git, write

from audit.cli import main

SHA = "0123456789abcdef" * 4
IMAGE_ID = "image:quay.io/falcosecurity/driver-loader:0.35.1"
TESTER_ID = "image:falcosecurity/tester:latest"
DOWNLOAD_ID = "download:github.com/falcosecurity/libs@0.11.3"

TREE = {
    # an image built here that states GPL-2.0 in its label, curated to what it really is
    "docker/tester/Dockerfile": (
        "FROM quay.io/falcosecurity/driver-loader:0.35.1\n"
        'LABEL org.opencontainers.image.licenses="GPL-2.0"\n'
    ),
    ".github/workflows/ci.yml": (
        "on: push\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: docker build -t falcosecurity/tester docker/tester\n"
        "      - run: docker push falcosecurity/tester\n"
    ),
    ".depaudit/curations.toml": (
        "[[curation]]\n"
        'component = "image:falcosecurity/tester"\n'
        'license = "GPL-2.0-only WITH Classpath-exception-2.0"\n'
        'comment = "the label leaves out the exception stated in docker/tester/COPYING"\n'
    ),
    "CMakeLists.txt": (
        "ExternalProject_Add(falcosecurity-libs\n"
        '  URL "https://github.com/falcosecurity/libs/archive/0.11.3.tar.gz"\n'
        f'  URL_HASH "SHA256={SHA}")\n'
    ),
}


def _validate_cdx(text: str) -> dict[str, Any]:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc: dict[str, Any] = json.loads(text)
    return doc


def _validate_spdx(path: Path) -> dict[str, Any]:
    from spdx_tools.spdx.parser.json.json_parser import parse_from_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    assert validate_full_spdx_document(parse_from_file(str(path))) == []
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def _cdx_component(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(c for c in doc["components"] if c["bom-ref"] == ref)


def _spdx_package(doc: dict[str, Any], cid: str) -> dict[str, Any]:
    """The package whose comment ("depaudit KIND ID, ..." or "depaudit KIND ID.") names ``cid``."""
    return next(p for p in doc["packages"] if f" {cid}" in p.get("comment", "") + " ")


@pytest.fixture
def sboms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], ...]:
    root = write(tmp_path / "tree", TREE)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    cdx, spdx = tmp_path / "sbom.cdx.json", tmp_path / "sbom.spdx.json"
    code = main(
        ["scan", str(root), "--offline", "--fail-on", "never", "-o", str(cdx), "-o", str(spdx)]
    )
    assert code == 0
    return _validate_cdx(cdx.read_text(encoding="utf-8")), _validate_spdx(spdx)


def test_declared_and_concluded_differ_in_both_formats(sboms: tuple[dict[str, Any], ...]) -> None:
    """The Dockerfile's label says GPL-2.0 (docker/tester/Dockerfile:2); the curation concludes
    GPL-2.0-only WITH Classpath-exception-2.0. Both formats carry both, each in its field."""
    cdx, spdx = sboms
    tester = _cdx_component(cdx, TESTER_ID)
    assert tester["licenses"] == [
        {
            "acknowledgement": "concluded",
            "expression": "GPL-2.0-only WITH Classpath-exception-2.0",
        }
    ]
    assert tester["evidence"]["licenses"] == [
        {"license": {"acknowledgement": "declared", "id": "GPL-2.0"}}
    ]
    package = _spdx_package(spdx, TESTER_ID)
    assert (package["licenseConcluded"], package["licenseDeclared"]) == (
        "GPL-2.0-only WITH Classpath-exception-2.0",
        "GPL-2.0-only",
    )


def test_a_curation_alone_declares_nothing(sboms: tuple[dict[str, Any], ...]) -> None:
    """The base image is licensed by depaudit's image table or not at all: never declared."""
    _, spdx = sboms
    assert _spdx_package(spdx, IMAGE_ID)["licenseDeclared"] == "NOASSERTION"


def test_timestamp_from_source_date_epoch(sboms: tuple[dict[str, Any], ...]) -> None:
    cdx, spdx = sboms
    assert cdx["metadata"]["timestamp"] == "2023-11-14T22:13:20+00:00"
    assert spdx["creationInfo"]["created"] == "2023-11-14T22:13:20Z"


def test_docker_purl_names_the_registry_host_only(sboms: tuple[dict[str, Any], ...]) -> None:
    cdx, spdx = sboms
    purl = "pkg:docker/falcosecurity/driver-loader@0.35.1?repository_url=quay.io"
    assert _cdx_component(cdx, IMAGE_ID)["purl"] == purl
    refs = _spdx_package(spdx, IMAGE_ID)["externalRefs"]
    assert [r["referenceLocator"] for r in refs] == [purl]


def test_url_hash_is_a_hash_and_a_checksum(sboms: tuple[dict[str, Any], ...]) -> None:
    """CMakeLists.txt:3 pins the archive by URL_HASH SHA256."""
    cdx, spdx = sboms
    assert _cdx_component(cdx, DOWNLOAD_ID)["hashes"] == [{"alg": "SHA-256", "content": SHA}]
    assert _spdx_package(spdx, DOWNLOAD_ID)["checksums"] == [
        {"algorithm": "SHA256", "checksumValue": SHA}
    ]


def test_timestamp_from_the_commit_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path / "tree", {"requirements.txt": "requests==2.31.0\n"})
    git(root, "init", "-q", when="2024-02-29T10:20:30+02:00")
    git(root, "add", ".", when="2024-02-29T10:20:30+02:00")
    git(root, "commit", "-qm", "one", when="2024-02-29T10:20:30+02:00")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    out = tmp_path / "s.spdx.json"
    assert main(["inventory", str(root), "-o", str(out)]) == 0
    assert _validate_spdx(out)["creationInfo"]["created"] == "2024-02-29T08:20:30Z"


def test_timestamp_is_now_without_a_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path / "tree", {"requirements.txt": "requests==2.31.0\n"})
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    out = tmp_path / "s.cdx.json"
    before = datetime.now(timezone.utc).replace(microsecond=0)
    assert main(["inventory", str(root), "-o", str(out)]) == 0
    after = datetime.now(timezone.utc)
    stamp = datetime.fromisoformat(_validate_cdx(out.read_text())["metadata"]["timestamp"])
    assert before <= stamp <= after


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_inventory_writes_an_sbom(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No licenses resolved, no verdicts: the components, their evidence, what they state."""
    root = write(tmp_path / "tree", TREE)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    out = tmp_path / f"inv.{fmt}"
    assert main(["inventory", str(root), "--format", fmt, "-o", str(out)]) == 0
    if fmt == "cyclonedx":
        doc = _validate_cdx(out.read_text(encoding="utf-8"))
        tester = _cdx_component(doc, TESTER_ID)
        assert tester["licenses"] == [{"license": {"acknowledgement": "declared", "id": "GPL-2.0"}}]
        assert {c["bom-ref"] for c in doc["components"]} == {IMAGE_ID, TESTER_ID, DOWNLOAD_ID}
        assert doc["metadata"]["component"]["name"] == "tree"
        assert not any(p["name"].startswith("depaudit:verdict") for p in tester["properties"])
    else:
        doc = _validate_spdx(out)
        package = _spdx_package(doc, TESTER_ID)
        assert (package["licenseConcluded"], package["licenseDeclared"]) == (
            "NOASSERTION",
            "GPL-2.0-only",
        )
        assert doc["name"] == "depaudit audit of tree"
