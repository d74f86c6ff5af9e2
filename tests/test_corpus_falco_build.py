"""What Falco's build pulls in: its CMake superbuild, the two pins of falcosecurity/libs, and
the pinned trees audited in the context the build gives them.

Facts read from the trees (../shared/corpus; falco-0.35.1 at aa49db45, libs-0.11.3 at
64ed40ce, libs-5.0.1-driver at 1f5feef4):

- falco-0.35.1 CMakeLists.txt:148 ``include(falcosecurity-libs)``; that module sets
  ``FALCOSECURITY_LIBS_VERSION "0.11.3"`` (cmake/modules/falcosecurity-libs.cmake:30) and its
  checksum (:31) under ``if(NOT FALCOSECURITY_LIBS_VERSION)`` (:29), and configures the
  sub-project ``cmake/modules/falcosecurity-libs-repo`` with
  ``execute_process(COMMAND "${CMAKE_COMMAND}" ... -DFALCOSECURITY_LIBS_VERSION=...)`` (:35);
  the sub-project's ``ExternalProject_Add`` downloads
  ``https://github.com/falcosecurity/libs/archive/${FALCOSECURITY_LIBS_VERSION}.tar.gz``
  (cmake/modules/falcosecurity-libs-repo/CMakeLists.txt:22).
- falcosecurity-libs.cmake:93 ``include(driver)`` reaches falco's own
  cmake/modules/driver.cmake, which pins the same repository again: ``DRIVER_VERSION
  "5.0.1+driver"`` (:29, checksum :30), passed by ``execute_process`` (:34) to
  cmake/modules/driver-repo, whose URL is at cmake/modules/driver-repo/CMakeLists.txt:22.
- cmake/modules/libyaml.cmake:20 downloads libyaml 0.2.5, but no ``include(libyaml)``
  exists in the tree: the module is unused.
- cmake/modules/driver-repo/CMakeLists.txt:29 ``PATCH_COMMAND sh -c "mv ./driver
  ../driver.tmp && rm -rf ./* && mv ../driver.tmp/* ."``: the driver pin is libs' driver/
  only. Its driver/main.c:66 ``MODULE_LICENSE("GPL")`` under the dual GPL-2.0/MIT header
  (main.c:5) is the kernel module; driver/CMakeLists.txt:169 ``add_subdirectory(bpf)`` builds
  the legacy eBPF probe (bpf/probe.c:325 license section "GPL"); nothing in driver/ adds
  modern_bpf/.
- falcosecurity-libs.cmake:20 ``set(USE_BUNDLED_DRIVER OFF CACHE BOOL "")``; libs-0.11.3
  CMakeLists.txt:70-78 builds driver/ only ``if(CMAKE_SYSTEM_NAME MATCHES "Linux" AND
  USE_BUNDLED_DRIVER)``: the libs pin's driver/ is not the kernel module (libscap compiles its
  tables into userspace: userspace/libscap/CMakeLists.txt:129-131); the modern eBPF probe
  comes from the libs pin (userspace/libscap/engine/modern_bpf/CMakeLists.txt:23
  ``add_subdirectory(${LIBSCAP_DIR}/driver/modern_bpf ...)``; license section "GPL" at
  driver/modern_bpf/license/license.bpf.c:10).
- libs-0.11.3 downloads curl 8.0.1 (cmake/modules/curl.cmake:46), OpenSSL 1.1.1t
  (openssl.cmake:31) and elfutils 0.187 (libelf.cmake:32); it copies uthash
  (userspace/libscap/uthash.h, BSD-1-Clause upstream) and the kernel's UAPI headers
  (userspace/libscap/compat/bpf.h:1 ``SPDX-License-Identifier: GPL-2.0 WITH
  Linux-syscall-note``); its userspace includes the kernel's UAPI headers from the build
  machine (userspace/common/types.h:29 ``#include <linux/types.h>``,
  userspace/libscap/linux/scap_fds.c:47 ``#include <linux/netlink.h>``, 3 more lines).
- falco-0.35.1 cmake/modules/GetGitRevisionDescription.cmake:30 "Distributed under the Boost
  Software License, Version 1.0" (BSL-1.0).
- The licenses of curl (curl), OpenSSL 1.1.1 (OpenSSL) and elfutils' libelf
  (GPL-2.0-or-later OR LGPL-3.0-or-later) are in their archives, not in these trees: the
  audit tests state them as curations, as a maintainer would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from corpus import Corpus

from audit.bundled import follow_bundled
from audit.config import Config
from audit.model import ComponentResult, Inventory, Report
from audit.pipeline import AuditOptions, build_inventory, run_audit

LIBS_PIN = "download:github.com/falcosecurity/libs@0.11.3"
DRIVER_PIN = "download:github.com/falcosecurity/libs@5.0.1+driver"
LIBS_REPO = "cmake/modules/falcosecurity-libs-repo/CMakeLists.txt"
DRIVER_REPO = "cmake/modules/driver-repo/CMakeLists.txt"


@pytest.fixture(scope="module")
def falco_alone(corpus: Corpus) -> Inventory:
    return build_inventory(corpus("falco-0.35.1"), Config()).inventory


def test_both_pins_with_their_versions_and_evidence(falco_alone: Inventory) -> None:
    comps = {c.id: c for c in falco_alone.components}
    libs, driver = comps[LIBS_PIN], comps[DRIVER_PIN]
    assert (libs.version, driver.version) == ("0.11.3", "5.0.1+driver")
    assert [(e.path, e.line) for e in libs.evidence] == [
        (LIBS_REPO, 22),
        ("cmake/modules/falcosecurity-libs.cmake", 35),
        ("cmake/modules/falcosecurity-libs.cmake", 30),
        ("cmake/modules/falcosecurity-libs.cmake", 31),
    ]
    assert libs.evidence[2].text == 'set(FALCOSECURITY_LIBS_VERSION "0.11.3")'
    assert [(e.path, e.line) for e in driver.evidence] == [
        (DRIVER_REPO, 22),
        ("cmake/modules/driver.cmake", 34),
        ("cmake/modules/driver.cmake", 29),
        ("cmake/modules/driver.cmake", 30),
    ]
    assert driver.evidence[2].text == 'set(DRIVER_VERSION "5.0.1+driver")'
    assert libs.prop("url_hash") == (
        "SHA256=b4f9dc8c1612f4b14207d107bce323a0684dce0dbf018e5b846177992569367b"
    )
    assert driver.prop("overridable") == "DRIVER_CHECKSUM,DRIVER_VERSION"
    # the sub-projects read alone left the URL unresolved: no such problem any more
    assert not [p for p in falco_alone.problems if p.path in (LIBS_REPO, DRIVER_REPO)]


def test_the_superbuild_reaches_the_sub_projects(falco_alone: Inventory) -> None:
    nodes = {n.id: n for n in falco_alone.nodes}
    assert nodes[f"build-file:{LIBS_REPO}"].prop("cmake_reach") == "included"
    assert nodes[f"build-file:{DRIVER_REPO}"].prop("cmake_reach") == "included"
    includes = {
        (e.src, e.dst, e.evidence.line if e.evidence else 0)
        for e in falco_alone.edges
        if e.relation.value == "includes"
    }
    assert (
        "build-file:cmake/modules/falcosecurity-libs.cmake",
        f"build-file:{LIBS_REPO}",
        35,
    ) in includes


def test_libyaml_cmake_is_unused(corpus: Corpus) -> None:
    root = corpus("falco-0.35.1")
    run = build_inventory(root, Config())
    libyaml = next(
        c for c in run.inventory.components if c.id.startswith("download:github.com/yaml/libyaml")
    )
    assert libyaml.prop("inactive") == (
        "declared in cmake/modules/libyaml.cmake, which nothing includes (an unused module)"
    )
    nodes = {n.id: n for n in run.inventory.nodes}
    assert nodes["build-file:cmake/modules/libyaml.cmake"].prop("cmake_reach") == "unused"


def test_a_bare_name_for_two_pins_says_it_is_ambiguous(corpus: Corpus) -> None:
    root, libs = corpus("falco-0.35.1"), corpus("libs-0.11.3")
    run = build_inventory(root, Config())
    inventory, _ = follow_bundled(
        run.inventory,
        run.findings,
        root,
        Config(),
        scan_tree=lambda p, c: build_inventory(p, c),
        sources=[("falcosecurity/libs", str(libs))],
    )
    assert not [c for c in inventory.components if c.prop("bundled_tree")]
    problems = sorted((p.path, p.line) for p in inventory.problems if p.scanner == "bundled")
    assert problems == [(DRIVER_REPO, 22), (LIBS_REPO, 22)]


def both_pins(corpus: Corpus) -> tuple[tuple[str, str], ...]:
    return (
        ("falcosecurity/libs@0.11.3", str(corpus("libs-0.11.3"))),
        ("falcosecurity/libs@5.0.1+driver", str(corpus("libs-5.0.1-driver"))),
    )


@pytest.fixture(scope="module")
def falco_with_pins(corpus: Corpus) -> Inventory:
    return build_inventory(corpus("falco-0.35.1"), Config(), sources=both_pins(corpus)).inventory


def test_each_pin_is_audited_from_its_own_tree(falco_with_pins: Inventory) -> None:
    comps = {c.id: c for c in falco_with_pins.components}
    assert comps[LIBS_PIN].prop("bundled_tree") == "libs@0.11.3"
    assert comps[DRIVER_PIN].prop("bundled_tree") == "libs@5.0.1+driver"
    # the chain: falco file:line -> pin -> libs file:line
    curl = comps["download:github.com/curl/curl@curl-8_0_1"]
    assert curl.prop("origin_chain") == (
        f"{LIBS_REPO}:22 -> libs@0.11.3:cmake/modules/curl.cmake:46"
    )
    assert curl.evidence[0].path == "libs@0.11.3:cmake/modules/curl.cmake"


CURL = "download:github.com/curl/curl@curl-8_0_1"
OPENSSL = "download:github.com/openssl/openssl@OpenSSL_1_1_1t"
ELFUTILS = "download:sourceware.org/elfutils/ftp/0.187/elfutils-0.187.tar.bz2"
CURATIONS = f"""
[[curation]]
component = "{CURL}"
license = "curl"
comment = "curl-8.0.1/COPYING: the curl license"

[[curation]]
component = "{OPENSSL}"
license = "OpenSSL"
comment = "OpenSSL_1_1_1t/LICENSE: the OpenSSL and SSLeay licenses (OpenSSL 1.1.1)"

[[curation]]
component = "{ELFUTILS}"
license = "GPL-2.0-or-later OR LGPL-3.0-or-later"
comment = "elfutils-0.187/libelf: GPL-2.0-or-later OR LGPL-3.0-or-later"
"""


@dataclass(frozen=True)
class Audited:
    results: dict[str, ComponentResult]
    evidence: dict[str, set[str]]
    """Component id -> its evidence locations (path:line)."""

    def __getitem__(self, cid: str) -> ComponentResult:
        return self.results[cid]


def audit(corpus: Corpus, tmp: Path, as_of: str) -> Audited:
    curations = tmp / "curations.toml"
    curations.write_text(CURATIONS)
    options = AuditOptions(
        offline=True,
        cache_path=tmp / "http.sqlite",
        as_of=date.fromisoformat(as_of),
        curations=str(curations),
        sources=both_pins(corpus),
    )
    report: Report = run_audit(corpus("falco-0.35.1"), Config(), options)
    return Audited(
        {r.component_id: r for r in report.results},
        {c.id: {e.location for e in c.evidence} for c in report.inventory.components},
    )


@pytest.fixture(scope="module")
def june_2023(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Audited:
    return audit(corpus, tmp_path_factory.mktemp("june"), "2023-06-29")


def verdict(results: Audited, cid: str) -> tuple[str, str, str]:
    r = results[cid]
    return (r.context, r.distribution, r.verdict.status.value)


def test_the_kernel_module_and_both_ebpf_probes_need_an_exception(
    june_2023: Audited,
) -> None:
    # the kernel module and the legacy probe: the driver pin (its driver/ only)
    assert verdict(june_2023, "source:libs@5.0.1+driver") == (
        "kernel-module",
        "distributed",
        "needs-exception",
    )
    assert verdict(june_2023, "source:libs@5.0.1+driver/bpf") == (
        "ebpf",
        "distributed",
        "needs-exception",
    )
    # the modern probe: the libs pin
    assert verdict(june_2023, "source:libs@0.11.3/driver/modern_bpf") == (
        "ebpf",
        "distributed",
        "needs-exception",
    )
    bpf = june_2023["source:libs@5.0.1+driver/bpf"]
    assert bpf.license.expression == "GPL-2.0-only OR MIT"
    assert (
        "exception blanket-ebpf-gpl (GPL-2.0-only, GPL-2.0-or-later) not counted: approved "
        "2023-08-31, after the as-of date 2023-06-29"
    ) in bpf.verdict.reasons
    evidence = {(e.path, e.line) for e in bpf.license.evidence}
    assert ("libs@5.0.1+driver:bpf/probe.c", 325) in evidence


def test_the_libs_pin_driver_is_not_the_kernel_module(
    june_2023: Audited,
) -> None:
    driver = june_2023["source:libs@0.11.3/driver"]
    assert verdict(june_2023, "source:libs@0.11.3/driver") == (
        "userspace",
        "distributed",
        "allowed",
    )
    assert driver.verdict.election == "MIT"
    # nothing in the driver pin builds modern_bpf/: not the eBPF probe either
    assert verdict(june_2023, "source:libs@5.0.1+driver/modern_bpf")[0] == "userspace"


@pytest.mark.parametrize(
    ("cid", "license", "line"),
    [
        (CURL, "curl", "libs@0.11.3:cmake/modules/curl.cmake:46"),
        (OPENSSL, "OpenSSL", "libs@0.11.3:cmake/modules/openssl.cmake:31"),
        (
            ELFUTILS,
            "GPL-2.0-or-later OR LGPL-3.0-or-later",
            "libs@0.11.3:cmake/modules/libelf.cmake:32",
        ),
        ("source:libs@0.11.3/userspace/libscap/uthash.h", "BSD-1-Clause", None),
        (
            "source:libs@0.11.3/userspace/libscap/compat#GPL-2.0-only+WITH+Linux-syscall-note",
            "GPL-2.0-only WITH Linux-syscall-note",
            None,
        ),
        (
            "source:libs@0.11.3/linux-uapi-headers",
            "GPL-2.0-only WITH Linux-syscall-note",
            "libs@0.11.3:userspace/libscap/linux/scap_fds.c:47",
        ),
    ],
)
def test_what_libs_bundles_gets_the_policy_s_verdict(
    june_2023: Audited, cid: str, license: str, line: str | None
) -> None:
    """As of 2023-06-29 none of these is on the CNCF allowlist (OpenSSL joined it on
    2024-12-17), and all ship in userspace."""
    r = june_2023[cid]
    assert (r.license.expression, *verdict(june_2023, cid)) == (
        license,
        "userspace",
        "distributed",
        "needs-exception",
    )
    if line is not None:
        assert line in june_2023.evidence[cid]


def test_openssl_is_allowed_once_on_the_allowlist(corpus: Corpus, tmp_path: Path) -> None:
    later = audit(corpus, tmp_path, "2025-01-01")
    assert verdict(later, OPENSSL) == ("userspace", "distributed", "allowed")


def test_the_pre_release_gate_fails_with_the_kernel_exception_requests(
    corpus: Corpus, capsys: pytest.CaptureFixture[str]
) -> None:
    from audit.cli import main

    args = ["scan", str(corpus("falco-0.35.1")), "--offline", "--as-of", "2023-06-29"]
    for name, path in both_pins(corpus):
        args += ["--source", f"{name}={path}"]
    code = main([*args, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    requests = {
        (a["properties"]["context"], a["properties"]["components"])
        for a in report["actions"]
        if a["kind"] == "request-exception"
    }
    assert ("kernel-module", "source:libs@5.0.1+driver") in requests
    assert (
        "ebpf",
        "source:libs@0.11.3/driver/modern_bpf, source:libs@5.0.1+driver/bpf",
    ) in requests
    # the kernel's UAPI headers libs' userspace includes join the request for the UAPI
    # copies in userspace/libscap/compat/: one decision, not a second action
    assert (
        "userspace",
        "source:libs@0.11.3/linux-uapi-headers, "
        "source:libs@0.11.3/userspace/libscap/compat#GPL-2.0-only+WITH+Linux-syscall-note",
    ) in requests
