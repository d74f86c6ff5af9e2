"""Falco 0.36.0 after the clean-up, with its libs pin: the same walk as for 0.35.1.

Facts read from the trees (../shared/corpus; falco-0.36.0 at ee56a5c4, libs-0.13.1 at
807b57be):

- falco-0.36.0 cmake/modules/falcosecurity-libs.cmake sets ``FALCOSECURITY_LIBS_REPO
  "falcosecurity/libs"`` (:31) and ``FALCOSECURITY_LIBS_VERSION "0.13.1"`` (:38, checksum
  :39) under ``if(NOT ...)``, and passes both with -D in ``execute_process`` (:43) to
  cmake/modules/falcosecurity-libs-repo, whose URL
  ``https://github.com/${FALCOSECURITY_LIBS_REPO}/archive/${FALCOSECURITY_LIBS_VERSION}.tar.gz``
  is at its CMakeLists.txt:24. driver.cmake pins ``DRIVER_VERSION "6.0.1+driver"`` (:37)
  the same way (execute_process :42, cmake/modules/driver-repo/CMakeLists.txt:24).
- falcosecurity-libs.cmake:21 ``set(USE_BUNDLED_DRIVER OFF CACHE BOOL "")``; libs-0.13.1
  CMakeLists.txt:71 builds driver/ only ``if(CMAKE_SYSTEM_NAME MATCHES "Linux" AND
  USE_BUNDLED_DRIVER)``.
- libs-0.13.1 driver/modern_bpf/license/license.bpf.c:10 ``char LICENSE[] SEC("license") =
  "Dual MIT/GPL";`` (the modern eBPF probe); the CNCF blanket exception for eBPF programs
  under the GPL was approved on 2023-08-31, before falco 0.36.0 (2023-09-25).
- libs-0.13.1 no longer carries uthash.h: cmake/modules/uthash.cmake:14 sets
  ``UTHASH_DOWNLOAD_URL`` to raw.githubusercontent.com/troydhanson/uthash/v1.9.8/src/uthash.h
  and ``file(DOWNLOAD`` at :19-20 fetches it; curl 8.2.0 is at cmake/modules/curl.cmake:46,
  OpenSSL 3.1.2 at openssl.cmake:31, elfutils 0.189 at libelf.cmake:37; the UAPI copies stay
  (userspace/libscap/compat/bpf.h:1).
- cmake/modules/libyaml.cmake:21 downloads libyaml 0.2.5 and nothing includes it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import Corpus

from audit.config import Config
from audit.model import Report
from audit.pipeline import AuditOptions, run_audit

LIBS_PIN = "download:github.com/falcosecurity/libs@0.13.1"


@pytest.fixture(scope="module")
def report(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Report:
    from datetime import date

    tmp: Path = tmp_path_factory.mktemp("falco036")
    options = AuditOptions(
        offline=True,
        cache_path=tmp / "http.sqlite",
        as_of=date(2023, 9, 25),
        sources=(("falcosecurity/libs@0.13.1", str(corpus("libs-0.13.1"))),),
    )
    return run_audit(corpus("falco-0.36.0"), Config(), options)


def locations(report: Report, cid: str) -> list[str]:
    comp = next(c for c in report.inventory.components if c.id == cid)
    return [e.location for e in comp.evidence]


def test_both_pins_with_their_evidence(report: Report) -> None:
    assert locations(report, LIBS_PIN) == [
        "cmake/modules/falcosecurity-libs-repo/CMakeLists.txt:24",
        "cmake/modules/falcosecurity-libs.cmake:31",
        "cmake/modules/falcosecurity-libs.cmake:38",
        "cmake/modules/falcosecurity-libs.cmake:39",
        "cmake/modules/falcosecurity-libs.cmake:43",
    ]
    driver = "download:github.com/falcosecurity/libs@6.0.1+driver"
    assert locations(report, driver)[:2] == [
        "cmake/modules/driver-repo/CMakeLists.txt:24",
        "cmake/modules/driver.cmake:42",
    ]
    comps = {c.id: c for c in report.inventory.components}
    assert comps[LIBS_PIN].prop("bundled_tree") == "libs@0.13.1"
    assert comps[driver].prop("source_subdir") == "driver"
    assert comps[driver].prop("bundled_tree") is None  # no tree mapped for it


def test_the_libs_pin_is_walked_in_the_context_falco_builds_it(report: Report) -> None:
    results = {r.component_id: r for r in report.results}
    driver = results["source:libs@0.13.1/driver"]
    assert (driver.context, driver.verdict.status.value, driver.verdict.election) == (
        "userspace",
        "allowed",
        "MIT",
    )
    modern = results["source:libs@0.13.1/driver/modern_bpf"]
    assert (modern.context, modern.verdict.status.value, modern.verdict.exception) == (
        "ebpf",
        "allowed-by-exception",
        "blanket-ebpf-gpl",
    )
    uapi = results[
        "source:libs@0.13.1/userspace/libscap/compat#GPL-2.0-only+WITH+Linux-syscall-note"
    ]
    assert (uapi.context, uapi.verdict.status.value) == ("userspace", "needs-exception")


def test_what_libs_0_13_1_downloads(report: Report) -> None:
    chains = {
        c.id: c.prop("origin_chain")
        for c in report.inventory.components
        if c.prop("origin") == "libs@0.13.1" and c.kind.value == "download"
    }
    pin = "cmake/modules/falcosecurity-libs-repo/CMakeLists.txt:24 -> libs@0.13.1:"
    assert chains["download:github.com/curl/curl@curl-8_2_0"] == pin + "cmake/modules/curl.cmake:46"
    assert chains["download:github.com/openssl/openssl@openssl-3.1.2"] == (
        pin + "cmake/modules/openssl.cmake:31"
    )
    assert chains["download:sourceware.org/elfutils/ftp/0.189/elfutils-0.189.tar.bz2"] == (
        pin + "cmake/modules/libelf.cmake:37"
    )
    uthash = "download:raw.githubusercontent.com/troydhanson/uthash/v1.9.8/src/uthash.h"
    assert chains[uthash] == pin + "cmake/modules/uthash.cmake:20"


def test_libyaml_cmake_is_still_unused(report: Report) -> None:
    libyaml = next(c for c in report.inventory.components if "yaml/libyaml" in c.id)
    assert [e.location for e in libyaml.evidence] == ["cmake/modules/libyaml.cmake:21"]
    results = {r.component_id: r for r in report.results}
    assert results[libyaml.id].distribution == "internal-tooling"
