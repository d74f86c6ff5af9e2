"""Vendored Go modules (kepler-0.7.11) and pinned Python requirements (in-toto-2024-03).

Facts read from the trees (../shared/corpus):

- kepler-0.7.11 vendor/modules.txt lists 76 modules (76 ``# module version`` lines, the
  last at line 647: ``# sigs.k8s.io/yaml v1.3.0``); each of the 76 has its license text
  directly in ``vendor/<module>/`` (``vendor/github.com/cilium/ebpf/LICENSE`` is MIT, line
  7 "Permission is hereby granted…"; ``vendor/gopkg.in/yaml.v2/LICENSE`` is Apache-2.0 and
  its ``LICENSE.libyaml`` MIT). go.mod:11 requires ``github.com/cilium/ebpf v0.15.0``.
- kepler-0.7.11 bpf/kepler.bpf.c:1 ``SPDX-License-Identifier: (GPL-2.0-only OR
  BSD-2-Clause)`` and :292 ``char __license[] SEC("license") = "Dual BSD/GPL";``: an eBPF
  program.
- in-toto-2024-03 requirements-test.txt:2, requirements-lint.txt:2 and
  requirements-docs.txt:2 are ``-r requirements-pinned.txt``; requirements-dev.txt:5-7
  include the test, lint and docs files. requirements-pinned.txt is pip-compile's output
  (line 5 ``pip-compile --output-file=requirements-pinned.txt requirements.txt``): line 7
  ``attrs==23.2.0``, line 13 ``cryptography==42.0.5``, line 25
  ``securesystemslib[crypto,pynacl]==0.31.0``. pyproject.toml:5 ``requires =
  ["hatchling"]`` under ``[build-system]``. No requirements file uses ``--hash``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import Corpus

from audit.config import Config
from audit.model import Inventory, Relation
from audit.pipeline import AuditOptions, build_inventory, run_audit


@pytest.fixture(scope="module")
def kepler(corpus: Corpus) -> Inventory:
    return build_inventory(corpus("kepler-0.7.11"), Config()).inventory


def test_every_vendored_go_module_takes_the_license_of_its_vendored_copy(
    kepler: Inventory,
) -> None:
    vendored = [c for c in kepler.components if c.ecosystem == "golang" and c.prop("vendored")]
    assert len(vendored) == 76
    without = [c.id for c in vendored if not c.prop("license")]
    assert without == []  # 0 of the 76 modules whose vendor/ copy holds a LICENSE
    ebpf = next(c for c in vendored if c.id == "golang:github.com/cilium/ebpf@v0.15.0")
    assert ebpf.prop("license") == "MIT"
    locations = {e.location for e in ebpf.evidence}
    assert {
        "go.mod:11",
        "vendor/modules.txt:26",
        "vendor/github.com/cilium/ebpf/LICENSE:7",
    } <= locations
    yaml = next(c for c in vendored if c.id == "golang:gopkg.in/yaml.v2@v2.4.0")
    assert yaml.prop("license") == "Apache-2.0 AND MIT"
    last = next(c for c in vendored if c.id == "golang:sigs.k8s.io/yaml@v1.3.0")
    assert "vendor/modules.txt:647" in {e.location for e in last.evidence}


def test_kepler_audit_resolves_vendored_licenses_offline(corpus: Corpus, tmp_path: Path) -> None:
    options = AuditOptions(offline=True, cache_path=tmp_path / "http.sqlite")
    report = run_audit(corpus("kepler-0.7.11"), Config(), options)
    results = {r.component_id: r for r in report.results}
    golang = [r for cid, r in results.items() if cid.startswith("golang:")]
    # the one without: ginkgo v2.15.0, which CI installs (unit_test.yml:27 `make ginkgo-set`
    # -> Makefile:242 `go install ...ginkgo@v2.15.0`), not a module of go.mod or vendor/
    assert [r.component_id for r in golang if r.license.expression is None] == [
        "golang:github.com/onsi/ginkgo/v2@v2.15.0"
    ]
    ebpf = results["golang:github.com/cilium/ebpf@v0.15.0"]
    assert (ebpf.license.expression, ebpf.license.source) == ("MIT", "in-repo")
    bpf = results["source:bpf"]
    assert (bpf.context, bpf.license.expression) == ("ebpf", "GPL-2.0-only OR BSD-2-Clause")


@pytest.fixture(scope="module")
def in_toto(corpus: Corpus) -> Inventory:
    return build_inventory(corpus("in-toto-2024-03"), Config()).inventory


def test_in_toto_requirement_includes(in_toto: Inventory) -> None:
    includes = sorted(
        (e.src, e.dst, e.evidence.location if e.evidence else "")
        for e in in_toto.edges
        if e.relation == Relation.INCLUDES and e.src.startswith("manifest:requirements")
    )
    assert includes == [
        (
            "manifest:requirements-dev.txt",
            "manifest:requirements-docs.txt",
            "requirements-dev.txt:7",
        ),
        (
            "manifest:requirements-dev.txt",
            "manifest:requirements-lint.txt",
            "requirements-dev.txt:6",
        ),
        (
            "manifest:requirements-dev.txt",
            "manifest:requirements-test.txt",
            "requirements-dev.txt:5",
        ),
        (
            "manifest:requirements-docs.txt",
            "manifest:requirements-pinned.txt",
            "requirements-docs.txt:2",
        ),
        (
            "manifest:requirements-lint.txt",
            "manifest:requirements-pinned.txt",
            "requirements-lint.txt:2",
        ),
        (
            "manifest:requirements-test.txt",
            "manifest:requirements-pinned.txt",
            "requirements-test.txt:2",
        ),
    ]


def test_in_toto_pinned_versions_and_build_requirements(in_toto: Inventory) -> None:
    comps = {c.id: c for c in in_toto.components}
    for cid, line in [
        ("pypi:attrs@23.2.0", 7),
        ("pypi:cryptography@42.0.5", 13),
        ("pypi:securesystemslib@0.31.0", 25),
    ]:
        assert f"requirements-pinned.txt:{line}" in {e.location for e in comps[cid].evidence}
    assert comps["pypi:securesystemslib@0.31.0"].prop("extras") == "crypto,pynacl"
    hatchling = comps["pypi:hatchling"]
    assert hatchling.prop("scope") == "build"
    assert [e.location for e in hatchling.evidence] == ["pyproject.toml:5"]
    # no requirements file of in-toto pins hashes
    assert not [c for c in in_toto.components if c.prop("hashes")]
