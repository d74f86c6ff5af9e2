"""Falco 0.35.1's exception requests with both pins of falcosecurity/libs mapped, read back
the way the foundation's workflows read them (tests/foundation_parsers.py).

Facts read from the trees (../shared/corpus; falco-0.35.1, libs-0.11.3 at 64ed40ce,
libs-5.0.1-driver at 1f5feef4):

- falco pins libs twice: cmake/modules/falcosecurity-libs-repo/CMakeLists.txt:22
  (``FALCOSECURITY_LIBS_VERSION`` 0.11.3) and cmake/modules/driver-repo/CMakeLists.txt:22
  (``DRIVER_VERSION`` 5.0.1+driver); both archives are checked against a SHA256.
- libs' kernel module: driver/main.c:66 ``MODULE_LICENSE("GPL");``, driver/CMakeLists.txt:4
  "dual licensed under either the MIT or GPL 2"; its eBPF probe: driver/bpf/probe.c:325
  ``char __license[] __bpf_section("license") = "GPL";``; the modern probe:
  driver/modern_bpf/license/license.bpf.c:10 ``SEC("license") = "GPL"``;
  userspace/libscap/compat/bpf.h:1 ``GPL-2.0 WITH Linux-syscall-note``; uthash vendored
  in userspace/libscap/uthash.h; libs' userspace includes the kernel's UAPI headers
  (userspace/common/types.h:29 ``#include <linux/types.h>`` and 4 more lines).

On 2023-08-03 (before the eBPF blanket exception of 2023-08-31 and Falco's kernel-module
exception of 2024-02-27) each of these needs a request. The kernel module and the bpf probe
are built from the driver pin (its build keeps only driver/, driver-repo/CMakeLists.txt:28).
"""

from __future__ import annotations

import datetime

import foundation_parsers as foundation
import pytest
from corpus import Corpus

from audit.config import Config
from audit.issueform import FieldType, shipped_form
from audit.pipeline import AuditOptions, run_audit
from audit.request import ExceptionRequest, build_requests, render_body

LIBS = "https://github.com/falcosecurity/libs"
BLOB = f"{LIBS}/blob/0.11.3"
DRIVER_BLOB = f"{LIBS}/blob/5.0.1%2Bdriver/driver"
FORM = shipped_form("2025-09-03")


@pytest.fixture(scope="module")
def requests(corpus: Corpus) -> tuple[ExceptionRequest, ...]:
    options = AuditOptions(
        as_of=datetime.date(2023, 8, 3),
        offline=True,
        project="Falco",
        sources=(
            ("falcosecurity/libs@0.11.3", str(corpus("libs-0.11.3"))),
            ("falcosecurity/libs@5.0.1+driver", str(corpus("libs-5.0.1-driver"))),
        ),
    )
    report = run_audit(corpus("falco-0.35.1"), Config(), options)
    return build_requests(report)


def _records(requests: tuple[ExceptionRequest, ...]) -> dict[str, foundation.Record]:
    out = {}
    for req in requests:
        body = render_body(req, FORM)
        assert foundation.project(body) == "Falco"
        records = foundation.decision_records(body)
        assert [r.package for r in records] == foundation.triage_components(body)
        assert len(records) == len(req.components)
        out.update((r.package, r) for r in records)
    return out


def test_one_record_per_component_with_clean_name_license_and_scope(
    requests: tuple[ExceptionRequest, ...],
) -> None:
    records = _records(requests)
    # GetGitRevisionDescription: falco's copy (cmake/modules/GetGitRevisionDescription.cmake,
    # BSL-1.0) ships with its source; libs' copy is only in the tree the build fetches, a
    # build script neither stored in falco nor compiled in: no request for it.
    assert sorted(records) == [
        "GetGitRevisionDescription",
        "Linux kernel UAPI headers",
        "falcosecurity/libs/driver",
        "falcosecurity/libs/driver/bpf",
        "falcosecurity/libs/driver/modern_bpf",
        "falcosecurity/libs/userspace/libscap/compat",
        "uthash",
    ]
    driver = records["falcosecurity/libs/driver"]
    assert (driver.package_url, driver.license, driver.project) == (
        LIBS,
        "GPL-2.0-only OR MIT",
        "Falco",
    )
    assert driver.scope == (
        "Linux kernel module built from driver/: the project's driver, loaded into the kernel"
        f" (used at: {DRIVER_BLOB}/CMakeLists.txt#L4)"
    )
    bpf = records["falcosecurity/libs/driver/bpf"]
    assert bpf.license == "GPL-2.0-only OR MIT"
    assert bpf.scope == (
        "In-kernel eBPF programs built from driver/bpf/: the project's driver, loaded by its"
        f" userspace (used at: {DRIVER_BLOB}/bpf/CMakeLists.txt#L4)"
    )
    assert records["falcosecurity/libs/driver/modern_bpf"].scope.startswith(
        "In-kernel eBPF programs built from driver/modern_bpf/"
    )
    compat = records["falcosecurity/libs/userspace/libscap/compat"]
    assert compat.license == "GPL-2.0-only WITH Linux-syscall-note"
    uapi = records["Linux kernel UAPI headers"]
    assert (uapi.package_url, uapi.license) == (
        "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/include/uapi/linux",
        "GPL-2.0-only WITH Linux-syscall-note",
    )
    assert uapi.scope == (
        "The Linux kernel's user-space API headers (linux/bpf.h, linux/netlink.h, "
        "linux/rtnetlink.h, linux/types.h, linux/un.h): constants and structures of the system "
        f"calls the code makes (used at: {BLOB}/userspace/common/types.h#L29)"
    )
    uthash = records["uthash"]
    assert (uthash.package_url, uthash.license) == (
        "https://troydhanson.github.io/uthash/",
        "BSD-1-Clause",
    )
    # the evidence says nothing of what these do: the scope is left to the maintainer
    assert compat.scope is not None and compat.scope.startswith("TODO:")


def test_driver_pin_rows_link_the_pinned_tag(requests: tuple[ExceptionRequest, ...]) -> None:
    """The kernel module comes from the driver pin, whose build keeps only driver/
    (cmake/modules/driver-repo/CMakeLists.txt:28): its lines are linked under driver/ at the
    5.0.1+driver tag."""
    (kmod,) = (r for r in requests if r.context == "kernel-module")
    (row,) = kmod.components
    assert row.ids == ("source:libs@5.0.1+driver",)
    assert kmod.trees == (("libs@5.0.1+driver", DRIVER_BLOB),)
    body = render_body(kmod, FORM)
    assert f"[libs@5.0.1+driver:main.c:66]({DRIVER_BLOB}/main.c#L66)" in body
    assert "- [x] Build-time dependency" in body
    assert "- [x] Other (please describe below)" in body
    assert '- cmake/modules/driver.cmake:29 `set(DRIVER_VERSION "5.0.1+driver")`' in body
    assert "- TODO: say whether the build patches it" in body


def test_corpus_bodies_follow_the_form(requests: tuple[ExceptionRequest, ...]) -> None:
    options = {o for f in FORM.questions if f.type == FieldType.CHECKBOXES for o in f.options}
    for req in requests:
        body = render_body(req, FORM)
        assert [x[4:] for x in body.splitlines() if x.startswith("### ")] == [
            f.label for f in FORM.questions
        ]
        ticks = [x[6:] for x in body.splitlines() if x.startswith(("- [x] ", "- [ ] "))]
        assert set(ticks) <= options
