"""The Linux kernel's UAPI headers userspace code includes: one component per tree.

Corpus facts (../shared/corpus, read by hand):

- libs-0.13.1: the userspace files that include ``<linux/…>`` are
  userspace/common/types.h:29 ``#include <linux/types.h>`` (under ``#if defined(__linux__)``),
  userspace/libpman/src/ringbuffer_definitions.h:21 ``<linux/bpf.h>``,
  userspace/libscap/engine/gvisor/parsers.cpp:24 ``<linux/un.h>`` and
  userspace/libscap/linux/scap_fds.c:48-49 ``<linux/netlink.h>``, ``<linux/rtnetlink.h>``.
  userspace/libscap/compat/bpf.h:11 and perf_event.h:18-19 include ``<linux/types.h>`` but
  are themselves UAPI copies (bpf.h:1 ``SPDX-License-Identifier: GPL-2.0 WITH
  Linux-syscall-note``). test/libscap/test_suites/userspace/linux/scap_cgroup.cpp:19
  includes ``<linux/scap_cgroup.h>``: libscap's own userspace/libscap/linux/scap_cgroup.h,
  not a kernel header. 33 test files include UAPI headers
  (test/drivers/test_suites/… 32, userspace/libsinsp/test/test_utils.cpp:23). driver/
  (main.c:12 ``<linux/version.h>``, ppm_events.c …) is kernel-module code: its
  ``<linux/…>`` are the kernel's internal headers.
- inspektor-gadget-2024-08: all 39 ``<linux/…>`` includes are in eBPF programs
  (gadgets/trace_dns/program.bpf.c:4-11, pkg/gadgets/trace/dns/tracer/bpf/dns.c:4-11, …):
  no userspace use.
- kepler-0.7.11: no C or cgo file includes ``<linux/…>`` (bpf/kepler.bpf.h:36-37 include
  ``<bpf/…>``; vendored cgo, github.com/NVIDIA/go-dcgm, includes only dcgm headers).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from corpus import Corpus
from hypothesis import given, settings
from hypothesis import strategies as st
from tree_helpers import write

from audit.config import Config
from audit.model import Component, Report
from audit.pipeline import AuditOptions, build_inventory, run_audit
from audit.scanners.uapi import includes
from audit.uapi import own_headers

CGO = """//go:build linux

package btrfs

/*
#include <stddef.h>
#include <linux/magic.h>
#include <linux/btrfs.h>
#include "btrfs.h"
*/
import "C"
"""


@pytest.mark.parametrize(
    ("path", "text", "found"),
    [
        (
            "a.c",
            "#include <linux/netlink.h>\n#  include <linux/if.h>\n",
            [(1, "linux/netlink.h"), (2, "linux/if.h")],
        ),
        ("a.c", "// #include <linux/netlink.h>\n#include <stdio.h>\n", []),
        (
            "a.hpp",
            '#include "linux/x.h"\n#include <linux/sched/types.h>\n',
            [(2, "linux/sched/types.h")],
        ),
        ("x/ioctl.go", CGO, [(7, "linux/magic.h"), (8, "linux/btrfs.h")]),
        (
            "x/t.go",
            'package t\n\n// #include <linux/btrfs_tree.h>\nimport "C"\n',
            [(3, "linux/btrfs_tree.h")],
        ),
        ("x/nocgo.go", "package t\n\n// #include <linux/btrfs.h>\n", []),
        (
            "x/gen.go",
            '//go:build ignore\n\npackage t\n\n// #include <linux/if.h>\nimport "C"\n',
            [],
        ),
        ("x/late.go", 'package t\n\nimport "C"\n\n// #include <linux/if.h>\n', []),
    ],
)
def test_include_lines(path: str, text: str, found: list[tuple[int, str]]) -> None:
    assert includes(path, text) == found


def test_own_headers() -> None:
    assert own_headers(["userspace/libscap/linux/scap_cgroup.h", "linux/a/b.h", "x/linux"]) == {
        "linux/scap_cgroup.h",
        "linux/a/b.h",
    }


def _uapi(root: Path) -> Component | None:
    inventory = build_inventory(root, Config()).inventory
    return next((c for c in inventory.components if c.id == "source:linux-uapi-headers"), None)


def test_cgo_tree_one_component_with_every_including_line(tmp_path: Path) -> None:
    root = write(
        tmp_path / "t",
        {
            "go.mod": "module github.com/example/btrfs\n\ngo 1.21\n",
            "btrfs/ioctl.go": CGO,
            "btrfs/info.c": '#include <linux/btrfs_tree.h>\n#include "btrfs.h"\n',
            "btrfs/ioctl_test.go": 'package btrfs\n\n// #include <linux/fs.h>\nimport "C"\n',
        },
    )
    comp = _uapi(root)
    assert comp is not None
    assert [e.location for e in comp.evidence] == [
        "btrfs/info.c:1",
        "btrfs/ioctl.go:7",
        "btrfs/ioctl.go:8",
    ]
    assert dict(comp.properties) == {
        "context": "userspace",
        "context_reason": "userspace code includes them (btrfs/info.c:1 and 1 more files): "
        "compiled into what the project builds",
        "files": "2",
        "headers": "linux/btrfs.h, linux/btrfs_tree.h, linux/magic.h",
        "license": "GPL-2.0-only WITH Linux-syscall-note",
        "license_from": "the Linux kernel's UAPI headers (include/uapi/ of the kernel, installed "
        "by the build machine's kernel headers package) carry SPDX-License-Identifier: GPL-2.0 "
        "WITH Linux-syscall-note",
        "purpose": "The Linux kernel's user-space API headers (linux/btrfs.h, linux/btrfs_tree.h, "
        "linux/magic.h): constants and structures of the system calls the code makes",
        "system_headers": "linux-uapi",
        "test_files": "1",
        "upstream": "Linux kernel UAPI headers",
        "url": "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/include/"
        "uapi/linux",
    }


def _audit(root: Path, tmp: Path, project: str, as_of: date) -> Report:
    options = AuditOptions(
        offline=True, project=project, as_of=as_of, cache_path=tmp / "http.sqlite"
    )
    return run_audit(root, Config(), options)


def test_a_foundation_exception_for_the_headers_applies_to_its_project(tmp_path: Path) -> None:
    """data/cncf-exceptions.json exc-2024-10-23-006: "Linux kernel uapi headers (btrfs)",
    GPL-2.0-only WITH Linux-syscall-note, containerd, approved 2024-10-23."""
    root = write(tmp_path / "t", {"btrfs/ioctl.go": CGO})
    granted = _audit(root, tmp_path, "containerd", date(2025, 1, 1))
    (result,) = granted.results
    assert (result.component_id, result.context, result.distribution) == (
        "source:linux-uapi-headers",
        "userspace",
        "distributed",
    )
    assert (result.verdict.status.value, result.verdict.exception) == (
        "allowed-by-exception",
        "exc-2024-10-23-006",
    )
    assert granted.actions == ()
    before = _audit(root, tmp_path, "containerd", date(2024, 10, 1))
    assert before.results[0].verdict.status.value == "needs-exception"
    other = _audit(root, tmp_path, "Falco", date(2025, 1, 1))
    assert other.results[0].verdict.status.value == "needs-exception"
    assert [(a.kind.value, a.target, a.prop("license")) for a in other.actions] == [
        ("request-exception", "source:linux-uapi-headers", "GPL-2.0-only WITH Linux-syscall-note")
    ]


def test_kernel_code_copies_and_own_headers_do_not_count(tmp_path: Path) -> None:
    root = write(
        tmp_path / "t",
        {
            "driver/main.c": '#include <linux/module.h>\nMODULE_LICENSE("GPL");\n',
            "driver/util.c": "#include <linux/kernel.h>\n",
            "probe/x.bpf.c": "#include <linux/bpf.h>\n",
            "compat/bpf.h": "/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */\n"
            "#include <linux/types.h>\n",
            "lib/linux/own.h": "int x;\n",
            "lib/a.c": "#include <linux/own.h>\n",
        },
    )
    assert _uapi(root) is None


def test_headers_only_tests_include_are_test_tooling(tmp_path: Path) -> None:
    root = write(tmp_path / "t", {"test/sched.cpp": "#include <linux/sched.h>\n"})
    report = _audit(root, tmp_path, "Falco", date(2025, 1, 1))
    (result,) = [r for r in report.results if r.component_id == "source:linux-uapi-headers"]
    assert (result.context, result.distribution, result.verdict.status.value) == (
        "test",
        "internal-tooling",
        "not-required",
    )
    assert result.classification == (
        "context test: only test code includes them (test/sched.cpp:1): not shipped",
        "system headers compiled into the project's code used by tests only: not shipped",
    )


def test_libs_0_13_1_userspace_uses_five_uapi_headers(corpus: Corpus) -> None:
    comp = _uapi(corpus("libs-0.13.1"))
    assert comp is not None
    assert [(e.location, e.text) for e in comp.evidence] == [
        ("userspace/common/types.h:29", "#include <linux/types.h>"),
        ("userspace/libpman/src/ringbuffer_definitions.h:21", "#include <linux/bpf.h>"),
        ("userspace/libscap/engine/gvisor/parsers.cpp:24", "#include <linux/un.h>"),
        ("userspace/libscap/linux/scap_fds.c:48", "#include <linux/netlink.h>"),
        ("userspace/libscap/linux/scap_fds.c:49", "#include <linux/rtnetlink.h>"),
    ]
    assert (comp.prop("context"), comp.prop("files"), comp.prop("test_files")) == (
        "userspace",
        "4",
        "33",
    )


@pytest.mark.parametrize("tree", ["inspektor-gadget-2024-08", "kepler-0.7.11"])
def test_no_userspace_uapi_use(corpus: Corpus, tree: str) -> None:
    """inspektor-gadget: every ``<linux/…>`` is in an eBPF program; kepler: none at all."""
    assert _uapi(corpus(tree)) is None


_LINE_PIECES = ["#include ", "# include", "\t#", " ", "<linux/a.h>", "<linux/b+c/d.h>", "<linux/",
                "// ", "\n", "\r\n", "x", ">", "import \"C\"", "//go:build ignore\n"]  # fmt: skip


@given(st.lists(st.sampled_from(_LINE_PIECES), max_size=30).map("".join), st.booleans())
@settings(max_examples=400, deadline=None)
def test_include_lines_are_every_match_of_the_pattern(text: str, go: bool) -> None:
    """Trying the include pattern only at lines that hold ``<linux/`` finds what running it
    over the whole file finds (the C pattern, and the cgo one up to ``import "C"``)."""
    from audit.scanners import uapi

    path = "a.go" if go else "a.c"
    got = uapi.includes(path, text)
    if "<linux/" not in text:
        assert got == []
        return
    if go:
        imported = uapi._IMPORT_C.search(text)
        if imported is None or uapi._GO_IGNORED.search(text, 0, imported.start()):
            assert got == []
            return
        pattern, end = uapi._CGO_INCLUDE, imported.start()
    else:
        pattern, end = uapi._C_INCLUDE, len(text)
    want = [
        (text.count("\n", 0, m.start()) + 1, m.group(1)) for m in pattern.finditer(text, 0, end)
    ]
    assert got == want[: uapi.MAX_PER_FILE]
