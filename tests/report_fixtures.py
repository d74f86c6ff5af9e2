"""A small Report modeled on the Falco audit of July 2023, for the renderer tests.

It holds one of each thing a renderer must show: a test-only Python package the project plans
to remove, the UBI base image of a published image that needs an exception (replace it), the
kernel driver and eBPF probe dual-licensed ``GPL-2.0-only OR MIT`` that need one (request it),
a bundled library whose ``OR`` is elected, first-party Apache-2.0 userspace code, a license
conflict to review, an unresolved CI line and a skipped exception record.
"""

from __future__ import annotations

from dataclasses import replace

from audit.model import (
    Action,
    ActionKind,
    Component,
    ComponentKind,
    ComponentResult,
    Edge,
    Evidence,
    Finding,
    Inventory,
    LicenseInfo,
    Node,
    Note,
    NoteCause,
    NoteItem,
    PolicyInfo,
    Problem,
    Relation,
    RepoInfo,
    Report,
    Severity,
    Status,
    Verdict,
)

ROOT = "examples/falco-2023"
COMMIT = "4f6ea9d1c3b2a5e7f8091a2b3c4d5e6f70819a2b"
REMOTE = "https://github.com/falcosecurity/falco"
POLICY_URL = (
    "https://github.com/cncf/foundation/blob/main/policies-guidance/"
    "allowed-third-party-license-policy.md"
)
UBI_EULA_URL = (
    "https://www.redhat.com/licenses/EULA_Red_Hat_Universal_Base_Image_English_20190422.pdf"
)

AVOCADO = "pypi:avocado-framework@69.0"
PLUGIN = "pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0"
UBI = "image:registry.access.redhat.com/ubi8/ubi:latest"
TESTER_IMAGE = "image:falcosecurity/falco-tester:latest"
TESTS_JOB = "ci-job:circleci/tests-integration"
LIBS = "download:github.com/falcosecurity/libs@0.11.3"
DRIVER = "source:driver"
BPF = "source:driver/bpf"
USERSPACE = "source:userspace"

CIRCLECI = ".circleci/config.yml"
REQS = "test/requirements.txt"
TESTER = "docker/tester/Dockerfile"
UBI_DOCKERFILE = "docker/ubi/Dockerfile"
LIBS_CMAKE = "cmake/modules/falcosecurity-libs.cmake"


def ev(path: str, line: int, text: str, scanner: str) -> Evidence:
    return Evidence(path, line, text, scanner)


E_REQ_AVOCADO = ev(REQS, 2, "avocado-framework==69.0", "requirements")
E_REQ_PLUGIN = ev(REQS, 3, "avocado-framework-plugin-varianter-yaml-to-mux==69.0", "requirements")
E_TESTER_AVOCADO = ev(TESTER, 11, "RUN pip install --user avocado-framework==69.0 \\", "dockerfile")
E_TESTER_PLUGIN = ev(
    TESTER, 12, "avocado-framework-plugin-varianter-yaml-to-mux==69.0", "dockerfile"
)
E_UBI_FROM = ev(
    UBI_DOCKERFILE, 2, "FROM registry.access.redhat.com/ubi8/ubi:${UBI_VERSION}", "dockerfile"
)
E_LIBS_URL = ev(
    LIBS_CMAKE,
    11,
    'URL "https://github.com/falcosecurity/libs/archive/0.11.3.tar.gz"',
    "cmake",
)
E_DRIVER = ev("driver/main.c", 2998, 'MODULE_LICENSE("Dual MIT/GPL");', "notices")
E_BPF_SPDX = ev(
    "driver/bpf/types.h", 1, "// SPDX-License-Identifier: GPL-2.0-only OR MIT", "notices"
)
E_BPF_SECTION = ev("driver/bpf/probe.c", 20, 'char __license[] SEC("license") = "GPL";', "notices")
E_CI_TESTER = ev(CIRCLECI, 15, "- image: falcosecurity/falco-tester:latest", "circleci")
E_TESTER_LABEL = ev(TESTER, 3, 'LABEL name="falcosecurity/falco-tester"', "dockerfile")
E_USERSPACE = ev(
    "userspace/falco/falco.cpp", 1, "// SPDX-License-Identifier: Apache-2.0", "notices"
)


def _components() -> tuple[Component, ...]:
    return (
        Component(
            id=LIBS,
            kind=ComponentKind.DOWNLOAD,
            name="falcosecurity/libs",
            version="0.11.3",
            ecosystem="github",
            purl="pkg:github/falcosecurity/libs@0.11.3",
            evidence=(E_LIBS_URL,),
            properties=(
                ("repository", "falcosecurity/libs"),
                ("url", "https://github.com/falcosecurity/libs/archive/0.11.3.tar.gz"),
            ),
        ),
        Component(
            id=UBI,
            kind=ComponentKind.IMAGE,
            name="registry.access.redhat.com/ubi8/ubi",
            version="latest",
            ecosystem="docker",
            purl="pkg:docker/ubi8/ubi@latest?repository_url=registry.access.redhat.com",
            evidence=(E_UBI_FROM,),
        ),
        Component(
            id=TESTER_IMAGE,
            kind=ComponentKind.IMAGE,
            name="falcosecurity/falco-tester",
            version="latest",
            ecosystem="docker",
            purl="pkg:docker/falcosecurity/falco-tester@latest",
            evidence=(E_CI_TESTER,),
        ),
        Component(
            id=PLUGIN,
            kind=ComponentKind.PACKAGE,
            name="avocado-framework-plugin-varianter-yaml-to-mux",
            version="69.0",
            ecosystem="pypi",
            purl="pkg:pypi/avocado-framework-plugin-varianter-yaml-to-mux@69.0",
            evidence=(E_TESTER_PLUGIN, E_REQ_PLUGIN),
        ),
        Component(
            id=AVOCADO,
            kind=ComponentKind.PACKAGE,
            name="avocado-framework",
            version="69.0",
            ecosystem="pypi",
            purl="pkg:pypi/avocado-framework@69.0",
            evidence=(E_TESTER_AVOCADO, E_REQ_AVOCADO),
        ),
        Component(
            id=DRIVER,
            kind=ComponentKind.SOURCE,
            name="driver",
            evidence=(E_DRIVER,),
        ),
        Component(
            id=BPF,
            kind=ComponentKind.SOURCE,
            name="driver/bpf",
            evidence=(E_BPF_SECTION, E_BPF_SPDX),
        ),
        Component(
            id=USERSPACE,
            kind=ComponentKind.SOURCE,
            name="userspace",
            evidence=(E_USERSPACE,),
        ),
    )


def _nodes() -> tuple[Node, ...]:
    return (
        Node(
            TESTS_JOB,
            "ci-job",
            "tests-integration",
            (ev(CIRCLECI, 13, "tests-integration:", "circleci"),),
        ),
        Node(
            "build-file:cmake/modules/falcosecurity-libs.cmake",
            "build-file",
            LIBS_CMAKE,
            (ev(LIBS_CMAKE, 1, "include(ExternalProject)", "cmake"),),
        ),
        Node(
            "dockerfile:docker/tester/Dockerfile",
            "dockerfile",
            TESTER,
            (ev(TESTER, 1, "FROM fedora:31", "dockerfile"),),
            (("label.name", "falcosecurity/falco-tester"),),
        ),
        Node(
            "dockerfile:docker/ubi/Dockerfile",
            "dockerfile",
            UBI_DOCKERFILE,
            (E_UBI_FROM,),
            (("label.name", "falcosecurity/falco-ubi"),),
        ),
        Node("manifest:test/requirements.txt", "manifest", REQS, (E_REQ_AVOCADO,)),
    )


def _edges() -> tuple[Edge, ...]:
    return (
        Edge(
            "build-file:cmake/modules/falcosecurity-libs.cmake", LIBS, Relation.BUNDLES, E_LIBS_URL
        ),
        Edge(TESTS_JOB, TESTER_IMAGE, Relation.RUNS_IN, E_CI_TESTER),
        Edge("dockerfile:docker/tester/Dockerfile", AVOCADO, Relation.INSTALLS, E_TESTER_AVOCADO),
        Edge("dockerfile:docker/tester/Dockerfile", PLUGIN, Relation.INSTALLS, E_TESTER_PLUGIN),
        Edge("dockerfile:docker/ubi/Dockerfile", UBI, Relation.BASE, E_UBI_FROM),
        Edge(
            TESTER_IMAGE,
            "dockerfile:docker/tester/Dockerfile",
            Relation.BUILT_FROM,
            E_TESTER_LABEL,
            "LABEL name",
        ),
        Edge("manifest:test/requirements.txt", AVOCADO, Relation.REQUIRES, E_REQ_AVOCADO),
        Edge("manifest:test/requirements.txt", PLUGIN, Relation.REQUIRES, E_REQ_PLUGIN),
    )


INCOMPLETE = Problem(
    ".circleci/config.yml",
    120,
    "unresolved",
    "image reference ${BUILDER_IMAGE} holds a variable",
    "circleci",
)


def inventory() -> Inventory:
    comps = tuple(sorted(_components(), key=lambda c: c.id))
    return Inventory(
        root=ROOT,
        components=comps,
        nodes=_nodes(),
        edges=_edges(),
        problems=(INCOMPLETE,),
        files_scanned=14,
    )


_GPL_OR_MIT = "GPL-2.0-only OR MIT"


def _results() -> tuple[ComponentResult, ...]:
    test_tooling = (
        "installed in docker/tester/Dockerfile, an image used only by CI test jobs",
        "required by test/requirements.txt, a test manifest",
    )
    avocado_license = LicenseInfo(
        "GPL-2.0-or-later",
        "pypi",
        raw="GPLv2+",
        url="https://pypi.org/project/avocado-framework/69.0/",
        reason="classifier License :: OSI Approved :: GNU General Public License v2 or later",
    )
    not_required = Verdict(
        Status.NOT_REQUIRED,
        rule="distribution:internal-tooling",
        reasons=(
            "GPL-2.0-or-later is not on the allowlist",
            "internal-tooling is exempt: only built or tested with, never shipped",
        ),
    )
    results = [
        ComponentResult(
            AVOCADO, avocado_license, "test", "internal-tooling", test_tooling, not_required
        ),
        ComponentResult(
            PLUGIN,
            replace(avocado_license, url=""),
            "test",
            "internal-tooling",
            test_tooling,
            not_required,
        ),
        ComponentResult(
            TESTER_IMAGE,
            LicenseInfo(
                "Apache-2.0",
                "in-repo",
                reason="built from docker/tester/Dockerfile in this repository",
            ),
            "test",
            "internal-tooling",
            ("runs CI job tests-integration only",),
            Verdict(
                Status.ALLOWED, rule="allowlist:Apache-2.0", reasons=("Apache-2.0 is allowed",)
            ),
        ),
        ComponentResult(
            UBI,
            LicenseInfo(
                "LicenseRef-RedHat-UBI-EULA",
                "image-table",
                raw="Red Hat Universal Base Image EULA",
                url=UBI_EULA_URL,
            ),
            "userspace",
            "distributed",
            ("base of docker/ubi/Dockerfile (published image falcosecurity/falco-ubi)",),
            Verdict(
                Status.NEEDS_EXCEPTION,
                rule="not-allowlisted:LicenseRef-RedHat-UBI-EULA",
                reasons=(
                    "LicenseRef-RedHat-UBI-EULA is not on the CNCF allowlist",
                    "distributed: the base of published image falcosecurity/falco-ubi",
                    "no exception covers registry.access.redhat.com/ubi8/ubi as of 2023-07-01",
                ),
            ),
        ),
        ComponentResult(
            LIBS,
            LicenseInfo(
                f"Apache-2.0 AND ({_GPL_OR_MIT})",
                "github",
                raw="Apache-2.0",
                url="https://github.com/falcosecurity/libs/blob/0.11.3/COPYING",
            ),
            "userspace",
            "distributed",
            (f"bundled into the build ({LIBS_CMAKE}:11)",),
            Verdict(
                Status.ALLOWED,
                rule="allowlist:Apache-2.0,MIT",
                election="Apache-2.0 AND MIT",
                reasons=(
                    "Apache-2.0 is allowed",
                    "GPL-2.0-only OR MIT: MIT is allowed, so MIT is elected",
                ),
            ),
        ),
    ]
    driver_reasons = (
        "GPL-2.0-only OR MIT: the kernel requires the GPL-2.0-only side, so MIT cannot be elected",
        "GPL-2.0-only is not on the CNCF allowlist",
        "no exception covers it as of 2023-07-01",
    )
    for cid, context, evidence, raw in (
        (DRIVER, "kernel-module", (E_DRIVER,), "Dual MIT/GPL"),
        (BPF, "ebpf", (E_BPF_SECTION, E_BPF_SPDX), _GPL_OR_MIT),
    ):
        results.append(
            ComponentResult(
                cid,
                LicenseInfo(_GPL_OR_MIT, "in-repo", evidence, raw=raw),
                context,
                "distributed",
                (f"first-party {context} source, shipped in the driver packages",),
                Verdict(
                    Status.NEEDS_EXCEPTION,
                    rule="not-allowlisted:GPL-2.0-only",
                    reasons=driver_reasons,
                ),
            )
        )
    results.append(
        ComponentResult(
            USERSPACE,
            LicenseInfo("Apache-2.0", "in-repo", (E_USERSPACE,), raw="Apache-2.0"),
            "userspace",
            "distributed",
            ("first-party userspace source, shipped in the falco packages",),
            Verdict(
                Status.ALLOWED, rule="allowlist:Apache-2.0", reasons=("Apache-2.0 is allowed",)
            ),
        )
    )
    return tuple(sorted(results, key=lambda r: r.component_id))


FINDING = Finding(
    "license-conflict",
    BPF,
    'driver/bpf/probe.c declares "GPL" in its license section; '
    "driver/bpf/types.h says GPL-2.0-only OR MIT",
    (E_BPF_SECTION, E_BPF_SPDX),
)


def _actions() -> tuple[Action, ...]:
    request_because = (
        "GPL-2.0-only OR MIT runs in the kernel and is distributed: the CNCF needs to grant an "
        "exception"
    )
    return (
        Action(
            ActionKind.REMOVE,
            AVOCADO,
            "listed under [plan] remove in .depaudit.toml: the integration tests are being "
            "rewritten in Go",
            removable=("manifest:test/requirements.txt", PLUGIN),
            evidence=(E_TESTER_AVOCADO, E_REQ_AVOCADO),
        ),
        Action(
            ActionKind.REPLACE,
            UBI,
            "LicenseRef-RedHat-UBI-EULA needs an exception and the image is distributed as the "
            "base of falcosecurity/falco-ubi",
            removable=("dockerfile:docker/ubi/Dockerfile",),
            evidence=(E_UBI_FROM,),
            properties=(("alternatives", "debian:bookworm-slim, gcr.io/distroless/cc-debian12"),),
            severity=Severity.NEEDS_EXCEPTION,
        ),
        Action(
            ActionKind.REQUEST_EXCEPTION,
            DRIVER,
            request_because,
            evidence=(E_DRIVER,),
            properties=(("request", "exceptions/driver.md"),),
            severity=Severity.NEEDS_EXCEPTION,
        ),
        Action(
            ActionKind.REQUEST_EXCEPTION,
            BPF,
            request_because,
            evidence=(E_BPF_SECTION, E_BPF_SPDX),
            properties=(("request", "exceptions/driver-bpf.md"),),
            severity=Severity.NEEDS_EXCEPTION,
        ),
        Action(
            ActionKind.ELECT,
            LIBS,
            "GPL-2.0-only OR MIT: elect MIT for the userspace build of falcosecurity/libs",
            evidence=(E_LIBS_URL,),
            properties=(("declare-in", "NOTICE"), ("election", "MIT")),
        ),
        Action(
            ActionKind.FIX_NOTICE,
            BPF,
            FINDING.message,
            evidence=FINDING.evidence,
            properties=(("notice", "license-conflict"),),
        ),
    )


def falco_report(
    *,
    repository: RepoInfo | None = None,
    as_of: str | None = "2023-07-01",
) -> Report:
    """The Falco-like report; ``repository`` defaults to the GitHub remote at COMMIT."""
    return Report(
        root=ROOT,
        project="falco",
        as_of=as_of,
        policy=PolicyInfo("cncf", POLICY_URL, "2023-07-01"),
        inventory=inventory(),
        results=_results(),
        actions=_actions(),
        findings=(FINDING,),
        incomplete=(INCOMPLETE,),
        repository=repository if repository is not None else RepoInfo(REMOTE, COMMIT, ""),
        warnings=("exceptions.json: 1 record skipped: no approvedDate",),
        notes=NOTES,
    )


NOTES = (
    Note(
        NoteCause.UNEXPANDED_VALUE,
        "Values not expanded (variables the repository does not set)",
        (
            NoteItem(
                INCOMPLETE.path,
                f"{INCOMPLETE.message} ({INCOMPLETE.kind})",
                (Evidence(INCOMPLETE.path, INCOMPLETE.line, "", INCOMPLETE.scanner),),
            ),
        ),
    ),
)
"""The falco report's notes: its one incomplete item, as the plan stage groups it."""


def small_report() -> Report:
    """One denied and one unknown component, no actions: the verdicts the Falco one lacks."""
    sspl = Component(
        "pypi:mongo-proxy@1.0",
        ComponentKind.PACKAGE,
        "mongo-proxy",
        "1.0",
        "pypi",
        "pkg:pypi/mongo-proxy@1.0",
        (ev("requirements.txt", 1, "mongo-proxy==1.0", "requirements"),),
    )
    mystery = Component(
        "download:example.org/tools/blob.tar.gz",
        ComponentKind.DOWNLOAD,
        "blob.tar.gz",
        None,
        "generic",
        None,
        (ev("Makefile", 4, "curl -LO https://example.org/tools/blob.tar.gz", "make"),),
        (("url", "https://example.org/tools/blob.tar.gz"),),
    )
    return Report(
        root="svc",
        project=None,
        as_of=None,
        policy=PolicyInfo("cncf"),
        inventory=Inventory("svc", (mystery, sspl), (), ()),
        results=(
            ComponentResult(
                mystery.id,
                LicenseInfo(None, "none", reason="no license metadata found"),
                "userspace",
                "distributed",
                ("downloaded by the Makefile into the release tarball",),
                Verdict(Status.UNKNOWN, reasons=("the license is unknown",)),
            ),
            ComponentResult(
                sspl.id,
                LicenseInfo("SSPL-1.0", "pypi", raw="SSPL-1.0"),
                "userspace",
                "user-fetched",
                (),
                Verdict(Status.DENIED, rule="deny:SSPL-1.0", reasons=("SSPL-1.0 is denied",)),
            ),
        ),
        actions=(),
    )
