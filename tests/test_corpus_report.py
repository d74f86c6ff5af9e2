"""The action list of every corpus tree: decisions only, each one justified from the files.

``depaudit scan TREE --offline`` on the real trees of ../shared/corpus. What is pinned:

- no action whose only cause is a lookup not made (``--offline``), a value not expanded, or
  files without notices: those are notes, and every incomplete item and every finding is
  still in the JSON (in a note or an action: nothing is lost, only moved);
- the exact actions, in priority order, with the reason each one is a decision.

Other work changes what is found on these trees (what ships, superbuilds, notices): when it
does, re-read the files and update the lists here with their justification.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from corpus import Corpus

from audit.actions import lookup_not_made
from audit.config import load_config
from audit.model import ActionKind, Report
from audit.pipeline import AuditOptions, run_audit
from audit.report.text import render

TREES = (
    "falco-0.35.1",
    "falco-0.36.0",
    "libs-0.11.3",
    "libs-5.0.1-driver",
    "libs-0.13.1",
    "kepler-0.7.11",
    "inspektor-gadget-2024-08",
    "in-toto-2024-03",
)


@cache
def _audit(root: Path) -> Report:
    options = AuditOptions(offline=True, cache_path=None)
    return run_audit(root, load_config(root, None), options, display_root=root.name)


def audit(corpus: Corpus, name: str) -> Report:
    return _audit(corpus(name))


def actions(report: Report) -> list[tuple[str, str, str]]:
    return [(a.severity.value, a.kind.value, a.target) for a in report.actions]


@pytest.mark.parametrize("name", TREES)
def test_no_action_is_noise_and_nothing_is_lost(corpus: Corpus, name: str) -> None:
    report = audit(corpus, name)
    results = {r.component_id: r for r in report.results}
    for a in report.actions:
        # A curation is asked only where the lookups were made and found nothing.
        if a.kind == ActionKind.ADD_CURATION:
            assert not lookup_not_made(results[a.target].license), a.target
            assert results[a.target].distribution == "distributed", a.target
        # Elections are for third-party code only.
        if a.kind == ActionKind.ELECT:
            assert not a.target.startswith("source:") or any(
                c.id == a.target and c.prop("vendored") == "true"
                for c in report.inventory.components
            )
        assert a.kind.value not in ("review",)
    items = [(n.cause.value, i) for n in report.notes for i in n.items]
    subjects = {i.subject for _, i in items}
    for p in report.incomplete:
        subject = p.message.split(": ", 1)[0] if p.kind == "network" else p.path
        assert subject in subjects or p.path in subjects, p
    targets = {a.target for a in report.actions}
    for f in report.findings:
        assert f.subject in targets or f.subject in subjects or f.kind == "uncovered-files", f
    # Every uncovered-files note is one per component, about first-party source code.
    uncovered = [i for c, i in items if c == "files-without-notice"]
    assert len({i.subject for i in uncovered}) == len(uncovered)


DEB_MIRROR = "download:download.falco.org/dependencies/binutils-aarch64-linux-gnu_2.30-22_amd64.deb"
"""The first of the 42 Debian packages docker/falco/Dockerfile (falco-0.35.1; 0.36.0:
docker/driver-loader-legacy/Dockerfile) downloads from download.falco.org/dependencies."""


def test_falco_0_35_1(corpus: Corpus) -> None:
    """Six decisions (59 actions before, all "review"):

    1. replace the UBI base of docker/ubi/Dockerfile:2 (``FROM registry.access.redhat.com/
       ubi8/ubi:${UBI_VERSION}``): a product image built here, under the Red Hat UBI EULA,
       which the CNCF policy denies (the maintainers did remove it later).
    2. request an exception for cmake/modules/GetGitRevisionDescription.cmake, BSL-1.0
       ("Distributed under the Boost Software License", line 30): not on the allowlist. It is
       a build script (context build, included by cmake/modules/GetFalcoVersion.cmake:15),
       third-party code kept in the tree, so it ships with every source release
       (docs/what-ships.md, "Files kept in the repository").
    3. add curations for the 42 Debian packages (gcc, binutils... for both architectures)
       docker/falco/Dockerfile:52-122 downloads from download.falco.org/dependencies into
       the published falcosecurity/falco image: one decision for one mirror and one file.
    4-5. add curations for the rules tarballs that ship: cmake/modules/plugins.cmake:45, 73
       (k8saudit-rules, cloudtrail-rules, installed into FALCO_ETC_DIR) and
       cmake/modules/rules.cmake:23 (falco-rules-1.0.1, installed as falco_rules.yaml): no
       source states their license.
    6. add a curation for falco.org/repo/falcosecurity-packages.asc, fetched into the
       published image (docker/falco/Dockerfile:92).

    Moved to the notes: 52 registry lookups not made (--offline), 59 OS packages of CI and
    builder images that do not ship, values not expanded, 2 downloads a default build does
    not fetch (USE_BUNDLED_DEPS, BUILD_FALCO_UNIT_TESTS default OFF: CMakeLists.txt:17, 21).
    """
    report = audit(corpus, "falco-0.35.1")
    assert actions(report) == [
        ("denied", "replace", "image:registry.access.redhat.com/ubi8/ubi:latest"),
        (
            "needs-exception",
            "request-exception",
            "source:cmake/modules/GetGitRevisionDescription.cmake",
        ),
        ("unknown", "add-curation", DEB_MIRROR),
        (
            "unknown",
            "add-curation",
            "download:download.falco.org/plugins/stable/cloudtrail-rules-0.8.0.tar.gz",
        ),
        ("unknown", "add-curation", "download:download.falco.org/rules/falco-rules-1.0.1.tar.gz"),
        ("unknown", "add-curation", "download:falco.org/repo/falcosecurity-packages.asc"),
    ]
    debs = report.actions[2]
    assert len((debs.prop("components") or "").split(", ")) == 42
    assert debs.because.startswith(
        "42 distributed components from download.falco.org/dependencies have an unknown "
        "license: binutils-aarch64-linux-gnu_2.30-22_amd64.deb, "
    )
    plugins = report.actions[3]
    assert plugins.prop("components") == (
        "download:download.falco.org/plugins/stable/cloudtrail-rules-0.8.0.tar.gz, "
        "download:download.falco.org/plugins/stable/k8saudit-rules-0.6.0.tar.gz"
    )
    assert len(report.actions) <= 12
    assert report.outcome is None  # set by the command line


def test_falco_0_36_0(corpus: Corpus) -> None:
    """The same curations as 0.35.1 (the Debian packages now in
    docker/driver-loader-legacy/Dockerfile, published as falco-driver-loader-legacy), plus
    the chainguard base image whose license no label states; the UBI image and the
    Boost-licensed cmake module are gone from this release."""
    assert actions(audit(corpus, "falco-0.36.0")) == [
        ("unknown", "add-curation", DEB_MIRROR),
        (
            "unknown",
            "add-curation",
            "download:download.falco.org/plugins/stable/cloudtrail-rules-0.9.0.tar.gz",
        ),
        ("unknown", "add-curation", "download:download.falco.org/rules/falco-rules-2.0.0.tar.gz"),
        ("unknown", "add-curation", "download:falco.org/repo/falcosecurity-packages.asc"),
        ("unknown", "add-curation", "image:cgr.dev/chainguard/glibc-dynamic:latest"),
    ]


LIBS_0_11_3 = [
    # cmake/modules/GetGitRevisionDescription.cmake: BSL-1.0, not on the allowlist.
    (
        "needs-exception",
        "request-exception",
        "source:cmake/modules/GetGitRevisionDescription.cmake",
    ),
    # driver/: GPL-2.0-only OR MIT kernel module (MODULE_LICENSE in driver/main.c, the
    # dual-license headers): the CNCF allowlist does not cover it in the kernel.
    ("needs-exception", "request-exception", "source:driver"),
    # GPL-2.0-only WITH Linux-syscall-note in userspace, one request for both: the kernel's
    # UAPI headers userspace code includes (userspace/common/types.h:29 <linux/types.h> and
    # 4 more lines; the action's target is the group's first id) and the headers copied from
    # the kernel into userspace/libscap/compat/.
    ("needs-exception", "request-exception", "source:linux-uapi-headers"),
    # userspace/libscap/uthash.h: BSD-1-Clause (uthash), not on the allowlist.
    ("needs-exception", "request-exception", "source:userspace/libscap/uthash.h"),
    # Bundled downloads that ship in the static build, whose archives state no license
    # depaudit can read without the network: c-ares, jq, elfutils.
    ("unknown", "add-curation", "download:c-ares.haxx.se/download/c-ares-1.19.1.tar.gz"),
    ("unknown", "add-curation", "download:download.falco.org/dependencies/jq-1.6.tar.gz"),
    (
        "unknown",
        "add-curation",
        "download:sourceware.org/elfutils/ftp/0.187/elfutils-0.187.tar.bz2",
    ),
    # The image a Dockerfile of the tree builds FROM, with no license label.
    ("unknown", "add-curation", "image:runner-image:latest"),
    # The vendored jsoncpp (userspace/libsinsp/third-party/jsoncpp): its license statement
    # is not one depaudit can read.
    ("unknown", "add-curation", "source:userspace/libsinsp/third-party/jsoncpp"),
    # driver/*.c and driver/bpf/*.c say "See MIT.txt or GPL.txt"; only driver/GPL2.txt exists.
    ("hygiene", "fix-notice", "source:driver"),
    ("hygiene", "fix-notice", "source:driver/bpf"),
]


@pytest.mark.parametrize("name", ["libs-0.11.3", "libs-5.0.1-driver"])
def test_libs_0_11_3_and_driver_5_0_1(corpus: Corpus, name: str) -> None:
    """The same libs tree (the 5.0.1 driver tag is libs 0.11.3): see the comments of
    LIBS_0_11_3. The first-party dual-licensed eBPF probes (driver/bpf, driver/modern_bpf:
    GPL-2.0-only OR MIT) get no "elect": the project licenses its own code so on purpose."""
    assert actions(audit(corpus, name)) == LIBS_0_11_3


def test_libs_0_13_1(corpus: Corpus) -> None:
    """uthash.h is now downloaded (cmake), not copied: a curation instead of an exception;
    base64.h from istio/proxy likewise."""
    assert actions(audit(corpus, "libs-0.13.1")) == [
        ("needs-exception", "request-exception", "source:driver"),
        # the UAPI headers userspace includes and the compat/ copies: one request
        ("needs-exception", "request-exception", "source:linux-uapi-headers"),
        ("unknown", "add-curation", "download:c-ares.haxx.se/download/c-ares-1.19.1.tar.gz"),
        ("unknown", "add-curation", "download:download.falco.org/dependencies/jq-1.6.tar.gz"),
        (
            "unknown",
            "add-curation",
            "download:raw.githubusercontent.com/istio/proxy/1.18.2/extensions/common/wasm/base64.h",
        ),
        (
            "unknown",
            "add-curation",
            "download:raw.githubusercontent.com/troydhanson/uthash/v1.9.8/src/uthash.h",
        ),
        (
            "unknown",
            "add-curation",
            "download:sourceware.org/elfutils/ftp/0.189/elfutils-0.189.tar.bz2",
        ),
        ("unknown", "add-curation", "image:runner-image:latest"),
        ("hygiene", "fix-notice", "source:driver"),
        ("hygiene", "fix-notice", "source:driver/bpf"),
    ]


def test_kepler_0_7_11(corpus: Corpus) -> None:
    """Eight decisions (114 before):

    1-3. replace the UBI 9 base images: build/Dockerfile, build/Dockerfile.builder and
       build/Dockerfile.kepler-validator build images pushed to quay.io/
       sustainable_computing_io, FROM registry.access.redhat.com/ubi9 (latest, 9.2) and
       ubi9/go-toolset:1.21, under the Red Hat UBI EULA, which the CNCF policy denies.
    4-5. add a curation for two RPMs a Dockerfile downloads by URL into a shipped image
       (epel-release, http-parser): no license source can answer for a bare URL.
    6-8. add a curation for the images of manifests/compose/ (grafana, prometheus, and the
       mock-acpi python base), built by Dockerfiles nothing uses as tooling (so counted as
       shipped) and without a license label.

    Moved to the notes: 116 Go module lookups not made (--offline), files without notices
    (one note per component), the first-party dual-licensed bpf/ (no election to record).
    """
    report = audit(corpus, "kepler-0.7.11")
    assert actions(report) == [
        ("denied", "replace", "image:registry.access.redhat.com/ubi9/go-toolset:1.21"),
        ("denied", "replace", "image:registry.access.redhat.com/ubi9:9.2"),
        ("denied", "replace", "image:registry.access.redhat.com/ubi9:latest"),
        (
            "unknown",
            "add-curation",
            "download:dl.fedoraproject.org/pub/epel/epel-release-latest-9.noarch.rpm",
        ),
        (
            "unknown",
            "add-curation",
            "download:www.rpmfind.net/linux/centos-stream/9-stream/AppStream/x86_64/os/Packages/"
            "http-parser-2.9.4-6.el9.x86_64.rpm",
        ),
        ("unknown", "add-curation", "image:quay.io/ceph/grafana:10.4.2"),
        ("unknown", "add-curation", "image:quay.io/prometheus/prometheus:main"),
        ("unknown", "add-curation", "image:quay.io/soliek_yao/ireconcile-python-slim:latest"),
    ]
    assert len(report.actions) <= 25


def test_inspektor_gadget_2024_08(corpus: Corpus) -> None:
    """Ten decisions (396 before):

    1-4. request exceptions for the first-party GPL code that ships: the eBPF gadgets under
       GPL-2.0-only WITH Linux-syscall-note (gadgets/fsnotify/program.bpf.c:1 and others),
       the same license in userspace headers (gadgets/top_file), the GPL-or-Apache eBPF
       programs (pkg/container-hook/bpf/...) and the GPL-2.0-or-later dropreasongen tool.
    5-7. add a curation for what Dockerfiles fetch into images counted as shipped with no
       license source: apt.llvm.org/llvm.sh (Dockerfiles/ebpf-builder.Dockerfile), the
       busybox and golang images of examples/ (pinned by digest, no license label).
    8-10. fix three notices that contradict: gadgets/trace_mount/program.bpf.c:1 says
       GPL-2.0-only but its license section (line 226) says "Dual BSD/GPL", a BSD grant the
       header does not make; the same in pkg/gadgets/profile/tcprtt/tracer/bpf/tcprtt.bpf.c
       and pkg/gadgets/trace/mount/tracer/bpf/mountsnoop.bpf.c.

    Not decisions: the "Dual BSD/GPL" programs under "LGPL-2.1 OR BSD-2-Clause" headers
    (the marker asks for GPL-only helpers, which LGPL code may use: notes), the 27 elections
    of the project's own dual-licensed code, 315 lookups not made.
    """
    report = audit(corpus, "inspektor-gadget-2024-08")
    assert actions(report) == [
        ("needs-exception", "request-exception", "source:gadgets/fsnotify"),
        (
            "needs-exception",
            "request-exception",
            "source:gadgets/top_file#GPL-2.0-only+WITH+Linux-syscall-note",
        ),
        (
            "needs-exception",
            "request-exception",
            "source:pkg/container-hook/bpf#GPL-2.0-only+WITH+Linux-syscall-note+OR+Apache-2.0",
        ),
        (
            "needs-exception",
            "request-exception",
            "source:pkg/gadgets/trace/tcpdrop/tracer/dropreasongen#GPL-2.0-or-later",
        ),
        ("unknown", "add-curation", "download:apt.llvm.org/llvm.sh"),
        (
            "unknown",
            "add-curation",
            "image:busybox@sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7",
        ),
        (
            "unknown",
            "add-curation",
            "image:golang:1.22@sha256:2bd56f00ff47baf33e64eae7996b65846c7cb5e0a46e0a882ef179fd89654afa",
        ),
        ("hygiene", "fix-notice", "source:gadgets/trace_mount"),
        ("hygiene", "fix-notice", "source:pkg/gadgets/profile/tcprtt/tracer/bpf#GPL-2.0-only"),
        ("hygiene", "fix-notice", "source:pkg/gadgets/trace/mount/tracer/bpf#GPL-2.0-only"),
    ]
    assert len(report.actions) <= 25
    mount = next(a for a in report.actions if a.target == "source:gadgets/trace_mount")
    assert 'eBPF license section "Dual BSD/GPL" at gadgets/trace_mount/program.bpf.c:226' in (
        mount.because
    )


def test_in_toto_2024_03(corpus: Corpus) -> None:
    """No decision: 36 Go module lookups not made (--offline) and one component's source
    files without notices are notes."""
    report = audit(corpus, "in-toto-2024-03")
    assert actions(report) == []
    assert {n.cause.value: len(n.items) for n in report.notes} == {
        "lookup-not-made": 36,
        "files-without-notice": 1,
    }


@pytest.mark.parametrize("name", ["kepler-0.7.11", "inspektor-gadget-2024-08"])
def test_text_report_fits_100_columns(corpus: Corpus, name: str) -> None:
    from rich.cells import cell_len

    text = render(audit(corpus, name), width=100)
    assert max(cell_len(line) for line in text.split("\n")) <= 100
