"""The evaluate stage against the bundled cncf policy and exceptions excerpt.

The first table is the issue's "Done when" table, row by row.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from audit.components import image_component, package_component, parse_image_ref
from audit.model import Component, ComponentKind, Status, Verdict
from audit.policy import (
    ExceptionRegistry,
    bundled_exceptions,
    evaluate,
    load_exceptions,
    load_policy,
    parse_exceptions,
    parse_waivers,
)

D = datetime.date
POLICY = load_policy()
REGISTRY = load_exceptions([str(bundled_exceptions())])
EMPTY = ExceptionRegistry()

GPL_NEEDS = "GPL-2.0-only is not allowed by policy cncf: it needs an exception"
MIT_OK = "MIT is on the CNCF allowlist (cncf)"
KERNEL = (
    "context {ctx}: policy cncf requires the GPL alternative to be covered in kernel code "
    "(the kernel loads a Dual MIT/GPL module or eBPF program as GPL code); "
    "electing MIT does not clear it"
)
GPL_FAILS = "GPL-2.0-only OR MIT: its GPL alternative GPL-2.0-only does not pass"
EBPF_EXC = (
    "blanket-ebpf-gpl (approved 2023-08-31, scope: in-kernel eBPF programs only, "
    "all CNCF projects, https://github.com/cncf/foundation/blob/main/license-exceptions/"
    "README.md#gpl-exceptions-for-in-kernel-ebpf-programs)"
)
EBPF_NOT_KMOD = (
    "exception blanket-ebpf-gpl (GPL-2.0-only, GPL-2.0-or-later) not counted: its scope "
    "('in-kernel eBPF programs only') covers ebpf, not kernel-module"
)
FALCO_EXC = (
    "exc-2024-02-27-001 (approved 2024-02-27, scope: Approved for use by Falco only, Falco, "
    "package: Falco kernel module, https://github.com/cncf/foundation/issues/645)"
)
UBI_DENIED = "LicenseRef-RedHat-UBI-EULA is denied by policy cncf: not an open source license"
UBI = image_component(parse_image_ref("registry.access.redhat.com/ubi8/ubi:latest"), ())


def ev(
    expression: str | None,
    context: str,
    project: str | None,
    as_of: datetime.date | None,
    distribution: str = "distributed",
    **kwargs: object,
) -> Verdict:
    kwargs.setdefault("policy", POLICY)
    kwargs.setdefault("exceptions", REGISTRY)
    return evaluate(
        expression,
        context=context,
        distribution=distribution,
        project=project,
        as_of=as_of,
        **kwargs,  # type: ignore[arg-type]
    )


# The "Done when" table -----------------------------------------------------------

ANY_DATE = [None, D(2019, 1, 1), D(2023, 9, 1), D(2026, 1, 1)]


@pytest.mark.parametrize("as_of", ANY_DATE)
def test_apache_userspace_allowed(as_of: datetime.date | None) -> None:
    assert ev("Apache-2.0", "userspace", "Falco", as_of) == Verdict(
        Status.ALLOWED,
        rule="apache-2.0:Apache-2.0",
        reasons=("Apache-2.0 is the CNCF projects' own license: no review needed (cncf)",),
    )


@pytest.mark.parametrize("as_of", ANY_DATE)
def test_dual_license_userspace_elects_mit(as_of: datetime.date | None) -> None:
    assert ev("GPL-2.0-only OR MIT", "userspace", "Falco", as_of) == Verdict(
        Status.ALLOWED,
        rule="allowlist:MIT",
        election="MIT",
        reasons=(GPL_NEEDS, MIT_OK, "GPL-2.0-only OR MIT: elect MIT"),
    )


def test_ebpf_before_the_blanket_exception_needs_one() -> None:
    assert ev("GPL-2.0-only OR MIT", "ebpf", "Falco", D(2023, 8, 3)) == Verdict(
        Status.NEEDS_EXCEPTION,
        rule="kernel:gpl-alternative",
        reasons=(
            "exception blanket-ebpf-gpl (GPL-2.0-only, GPL-2.0-or-later) not counted: "
            "approved 2023-08-31, after the as-of date 2023-08-03",
            GPL_NEEDS,
            MIT_OK,
            KERNEL.format(ctx="ebpf"),
            GPL_FAILS,
            "exception exc-2024-02-27-001 (GPL-2.0-only OR MIT) not counted: its scope "
            "('Approved for use by Falco only') covers kernel-module, not ebpf",
        ),
    )


def test_ebpf_after_the_blanket_exception_is_covered() -> None:
    assert ev("GPL-2.0-only OR MIT", "ebpf", "Falco", D(2023, 9, 1)) == Verdict(
        Status.ALLOWED_BY_EXCEPTION,
        exception="blanket-ebpf-gpl",
        election="GPL-2.0-only",
        reasons=(
            f"GPL-2.0-only covered by exception {EBPF_EXC}",
            MIT_OK,
            KERNEL.format(ctx="ebpf"),
            "GPL-2.0-only OR MIT: elect GPL-2.0-only",
        ),
    )


def test_kernel_module_is_not_covered_by_the_ebpf_exception() -> None:
    assert ev("GPL-2.0-only OR MIT", "kernel-module", "Falco", D(2023, 9, 1)) == Verdict(
        Status.NEEDS_EXCEPTION,
        rule="kernel:gpl-alternative",
        reasons=(
            EBPF_NOT_KMOD,
            GPL_NEEDS,
            MIT_OK,
            KERNEL.format(ctx="kernel-module"),
            GPL_FAILS,
            "exception exc-2024-02-27-001 (GPL-2.0-only OR MIT) not counted: "
            "approved 2024-02-27, after the as-of date 2023-09-01",
        ),
    )


def test_falco_kernel_module_exception() -> None:
    assert ev("GPL-2.0-only OR MIT", "kernel-module", "Falco", D(2024, 3, 1)) == Verdict(
        Status.ALLOWED_BY_EXCEPTION,
        exception="exc-2024-02-27-001",
        reasons=(
            EBPF_NOT_KMOD,
            GPL_NEEDS,
            MIT_OK,
            KERNEL.format(ctx="kernel-module"),
            GPL_FAILS,
            f"GPL-2.0-only OR MIT covered by exception {FALCO_EXC}",
        ),
    )


def test_falco_exception_is_falcos_alone() -> None:
    assert ev("GPL-2.0-only OR MIT", "kernel-module", "Cilium", D(2024, 3, 1)) == Verdict(
        Status.NEEDS_EXCEPTION,
        rule="kernel:gpl-alternative",
        reasons=(
            EBPF_NOT_KMOD,
            GPL_NEEDS,
            MIT_OK,
            KERNEL.format(ctx="kernel-module"),
            GPL_FAILS,
            "exception exc-2024-02-27-001 (GPL-2.0-only OR MIT) not counted: "
            "it is for Falco, not Cilium",
        ),
    )


def test_gpl_userspace_needs_exception() -> None:
    assert ev("GPL-2.0-only", "userspace", "Falco", D(2024, 3, 1)) == Verdict(
        Status.NEEDS_EXCEPTION, reasons=(GPL_NEEDS,)
    )


@pytest.mark.parametrize("as_of", ANY_DATE)
def test_internal_tooling_not_required(as_of: datetime.date | None) -> None:
    assert ev("GPL-2.0-or-later", "test", "Falco", as_of, "internal-tooling") == Verdict(
        Status.NOT_REQUIRED,
        rule="not-required:internal-tooling",
        reasons=(
            "GPL-2.0-or-later is not allowed by policy cncf: it needs an exception",
            "distribution internal-tooling: no exception required by policy cncf (per the "
            "CNCF license exception request form, internal tooling, only built or tested "
            "with and never shipped, needs no exception); reported only",
        ),
    )


UBI_WAIVER = parse_waivers(
    {
        "waiver": [
            {
                "id": "ubi",
                "component": "image:registry.access.redhat.com/ubi8/*",
                "reason": "base image",
                "approved-by": "maintainers",
                "expires": D(2030, 1, 1),
            }
        ]
    },
    "waivers.toml",
)


@pytest.mark.parametrize("distribution", ["system-component", "distributed"])
@pytest.mark.parametrize("as_of", ANY_DATE)
def test_ubi_eula_base_image_is_denied(distribution: str, as_of: datetime.date | None) -> None:
    verdict = ev(
        "LicenseRef-RedHat-UBI-EULA", "userspace", "Falco", as_of, distribution, component=UBI
    )
    assert verdict == Verdict(
        Status.DENIED,
        rule="deny:LicenseRef-RedHat-UBI-EULA",
        reasons=(
            "LicenseRef-RedHat-UBI-EULA is denied by policy cncf: not an open source license",
        ),
    )


def test_ubi_eula_deny_is_not_lifted_by_a_waiver() -> None:
    verdict = ev(
        "LicenseRef-RedHat-UBI-EULA",
        "userspace",
        "Falco",
        None,
        "system-component",
        component=UBI,
        waivers=UBI_WAIVER,
    )
    assert verdict == Verdict(
        Status.DENIED,
        rule="deny:LicenseRef-RedHat-UBI-EULA",
        reasons=(
            UBI_DENIED,
            "LicenseRef-RedHat-UBI-EULA: ubi is not counted: exceptions and waivers do not "
            "lift a deny rule",
        ),
    )


@pytest.mark.parametrize("context", ["userspace", "kernel-module", "ebpf", "build", "ci"])
@pytest.mark.parametrize("project", [None, "Falco"])
def test_unparseable_is_unknown_with_raw_text(context: str, project: str | None) -> None:
    assert ev("MIT AND", context, project, None) == Verdict(
        Status.UNKNOWN,
        reasons=(
            "license 'MIT AND' is unknown: cannot parse: AND requires two or more licenses "
            "as in: MIT AND BSD",
        ),
    )


# Policy dates ----------------------------------------------------------------------------


def test_psf_before_it_joined_the_allowlist() -> None:
    assert ev("PSF-2.0", "userspace", None, D(2024, 1, 1)) == Verdict(
        Status.NEEDS_EXCEPTION,
        reasons=(
            "PSF-2.0 is on the CNCF allowlist only since 2024-05-23, after the as-of date "
            "2024-01-01",
            "PSF-2.0 is not allowed by policy cncf: it needs an exception",
        ),
    )


def test_psf_after_it_joined_the_allowlist() -> None:
    assert ev("PSF-2.0", "userspace", None, D(2024, 6, 1)) == Verdict(
        Status.ALLOWED,
        rule="allowlist:PSF-2.0",
        reasons=("PSF-2.0 is on the CNCF allowlist (cncf, since 2024-05-23)",),
    )


@pytest.mark.parametrize(
    ("expression", "as_of", "status"),
    [
        ("Python-2.0.1", D(2024, 5, 22), Status.NEEDS_EXCEPTION),
        ("Python-2.0.1", D(2024, 5, 23), Status.ALLOWED),
        ("0BSD", D(2024, 12, 16), Status.NEEDS_EXCEPTION),
        ("0BSD", D(2024, 12, 17), Status.ALLOWED),
        ("MIT-0", D(2024, 6, 1), Status.NEEDS_EXCEPTION),
        ("UPL-1.0", None, Status.ALLOWED),
        ("OpenSSL-standalone", D(2025, 1, 1), Status.ALLOWED),
        ("MIT", D(2019, 1, 1), Status.ALLOWED),
    ],
)
def test_allowlist_dates(expression: str, as_of: datetime.date | None, status: Status) -> None:
    assert ev(expression, "userspace", None, as_of).status == status


# Expressions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "status", "election", "rule"),
    [
        ("mit", Status.ALLOWED, "", "allowlist:MIT"),
        ("GPL-2.0 OR MIT", Status.ALLOWED, "MIT", "allowlist:MIT"),
        ("MIT OR GPL-2.0+", Status.ALLOWED, "MIT", "allowlist:MIT"),
        ("MIT OR BSD-3-Clause", Status.ALLOWED, "MIT", "allowlist:MIT"),
        (
            "Apache-2.0 AND (GPL-3.0-only OR ISC)",
            Status.ALLOWED,
            "Apache-2.0 AND ISC",
            "apache-2.0:Apache-2.0, allowlist:ISC",
        ),
        ("Apache-2.0 AND MIT", Status.ALLOWED, "", "apache-2.0:Apache-2.0, allowlist:MIT"),
        ("Apache-2.0 AND GPL-3.0-only", Status.NEEDS_EXCEPTION, "", ""),
        ("BSD-2-Clause-FreeBSD", Status.ALLOWED, "", "allowlist:BSD-2-Clause-Views"),
        ("MIT OR SSPL-1.0", Status.ALLOWED, "MIT", "allowlist:MIT"),
        ("MIT AND SSPL-1.0", Status.DENIED, "", "deny:SSPL-1.0"),
        ("SSPL-1.0 OR BUSL-1.1", Status.DENIED, "", "deny:SSPL-1.0"),
        ("GPL-3.0-only OR SSPL-1.0", Status.NEEDS_EXCEPTION, "", ""),
        ("MIT AND LicenseRef-Acme-Internal", Status.UNKNOWN, "", ""),
        ("MIT OR LicenseRef-Acme-Internal", Status.ALLOWED, "MIT", "allowlist:MIT"),
        ("LicenseRef-Acme-EULA", Status.DENIED, "", "deny:LicenseRef-Acme-EULA"),
        ("NOASSERTION", Status.UNKNOWN, "", ""),
        ("NONE", Status.UNKNOWN, "", ""),
        ("Public Domain", Status.UNKNOWN, "", ""),
        (None, Status.UNKNOWN, "", ""),
        ("", Status.UNKNOWN, "", ""),
        ("CC-BY-4.0", Status.NEEDS_EXCEPTION, "", ""),
    ],
)
def test_expression_table(expression: str | None, status: Status, election: str, rule: str) -> None:
    verdict = ev(expression, "userspace", None, None)
    assert (verdict.status, verdict.election, verdict.rule) == (status, election, rule)


def test_with_is_judged_as_one_unit() -> None:
    assert ev("GPL-2.0-only WITH Classpath-exception-2.0", "userspace", None, None) == Verdict(
        Status.NEEDS_EXCEPTION,
        reasons=(
            "GPL-2.0-only WITH Classpath-exception-2.0 is not allowed by policy cncf: "
            "it needs an exception",
        ),
    )


def test_with_unit_is_not_covered_by_an_exception_for_the_bare_license() -> None:
    verdict = ev("GPL-2.0-only WITH Linux-syscall-note", "ebpf", None, None)
    assert (verdict.status, verdict.exception) == (Status.NEEDS_EXCEPTION, "")


def test_deprecated_with_id_matches_the_exception_record() -> None:
    # exc-2024-10-22-002 lists GPL-2.0-with-classpath-exception for Keycloak.
    verdict = ev("GPL-2.0-only WITH Classpath-exception-2.0", "userspace", "Keycloak", None)
    assert (verdict.status, verdict.exception) == (
        Status.ALLOWED_BY_EXCEPTION,
        "exc-2024-10-22-002",
    )


def test_and_reports_every_failing_part() -> None:
    verdict = ev("MIT AND GPL-3.0-only AND LGPL-2.1-only", "userspace", None, None)
    assert verdict == Verdict(
        Status.NEEDS_EXCEPTION,
        reasons=(
            MIT_OK,
            "GPL-3.0-only is not allowed by policy cncf: it needs an exception",
            "LGPL-2.1-only is not allowed by policy cncf: it needs an exception",
            "MIT AND GPL-3.0-only AND LGPL-2.1-only: every part must pass; GPL-3.0-only, "
            "LGPL-2.1-only need an exception",
        ),
    )


def test_documentation_license_by_context() -> None:
    assert ev("CC-BY-4.0", "documentation", None, None) == Verdict(
        Status.ALLOWED,
        rule="documentation:CC-BY-4.0",
        reasons=("CC-BY-4.0 is allowed for documentation (cncf)",),
    )
    assert ev("CC-BY-4.0", "userspace", None, None).reasons == (
        "CC-BY-4.0 is allowed for documentation (cncf) only in context documentation, "
        "not userspace",
        "CC-BY-4.0 is not allowed by policy cncf: it needs an exception",
    )


@pytest.mark.parametrize("distribution", ["distributed", "user-fetched", "system-component"])
def test_reviewed_distribution_models(distribution: str) -> None:
    assert ev("MPL-2.0", "userspace", None, None, distribution).status == Status.NEEDS_EXCEPTION


def test_internal_tooling_keeps_allowed_and_unknown_becomes_not_required() -> None:
    assert ev("MIT", "ci", None, None, "internal-tooling").status == Status.ALLOWED
    assert ev("NOASSERTION", "ci", None, None, "internal-tooling") == Verdict(
        Status.NOT_REQUIRED,
        rule="not-required:internal-tooling",
        reasons=(
            "license 'NOASSERTION' is unknown: NOASSERTION: no license information",
            "distribution internal-tooling: no exception required by policy cncf (per the "
            "CNCF license exception request form, internal tooling, only built or tested "
            "with and never shipped, needs no exception); reported only",
        ),
    )


def test_bad_context_or_distribution_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown context 'kernel'"):
        ev("MIT", "kernel", None, None)
    with pytest.raises(ValueError, match="unknown distribution model 'shipped'"):
        ev("MIT", "userspace", None, None, "shipped")


# Kernel switch and package exceptions ----------------------------------------------------


def test_kernel_switch_is_policy_not_engine(tmp_path: Path) -> None:
    text = Path(POLICY.path).read_text(encoding="utf-8")
    off = tmp_path / "cncf-off.toml"
    off.write_text(
        text.replace("require-gpl-alternative = true", "require-gpl-alternative = false"),
        encoding="utf-8",
    )
    policy = load_policy(off)
    assert policy.kernel is not None and not policy.kernel.require_gpl_alternative
    verdict = ev("GPL-2.0-only OR MIT", "kernel-module", "Cilium", None, policy=policy)
    assert (verdict.status, verdict.election) == (Status.ALLOWED, "MIT")


def test_kernel_switch_leaves_single_licenses_and_all_gpl_ors_alone() -> None:
    assert ev("MIT", "kernel-module", None, None).status == Status.ALLOWED
    verdict = ev("GPL-2.0-only OR GPL-2.0-or-later", "ebpf", None, None)
    assert (verdict.status, verdict.election, verdict.exception) == (
        Status.ALLOWED_BY_EXCEPTION,
        "GPL-2.0-only",
        "blanket-ebpf-gpl",
    )


def test_kernel_module_source_of_falco() -> None:
    driver = Component("source:driver", ComponentKind.SOURCE, "driver")
    verdict = ev("GPL-2.0-only OR MIT", "kernel-module", "Falco", None, component=driver)
    assert (verdict.status, verdict.exception) == (
        Status.ALLOWED_BY_EXCEPTION,
        "exc-2024-02-27-001",
    )


def test_package_exception_needs_the_package() -> None:
    memdb = package_component("golang", "github.com/hashicorp/go-memdb", "v1.3.4", ())
    other = package_component("golang", "github.com/hashicorp/go-set", "v0.1.0", ())
    with_pkg = ev("MPL-2.0", "userspace", "Cilium", D(2024, 1, 1), component=memdb)
    assert with_pkg == Verdict(
        Status.ALLOWED_BY_EXCEPTION,
        exception="exc-2023-08-31-002",
        reasons=(
            "MPL-2.0 covered by exception exc-2023-08-31-002 (approved 2023-08-31, Cilium, "
            "package: github.com/hashicorp/go-memdb, https://github.com/cncf/foundation/issues/400)",
        ),
    )
    assert ev("MPL-2.0", "userspace", "Cilium", None, component=other).status == (
        Status.NEEDS_EXCEPTION
    )
    assert ev("MPL-2.0", "userspace", "Cilium", None).status == Status.NEEDS_EXCEPTION
    assert ev("MPL-2.0", "userspace", "Falco", None, component=memdb).status == (
        Status.NEEDS_EXCEPTION
    )


def test_blanket_package_exception_for_all_projects() -> None:
    lib = package_component("cargo", "libpathrs", "0.1.3", ())
    verdict = ev("LGPL-3.0-or-later OR MPL-2.0", "userspace", "Kubernetes", None, component=lib)
    assert (verdict.status, verdict.exception, verdict.election) == (
        Status.ALLOWED_BY_EXCEPTION,
        "exc-2026-02-05-002",
        "",
    )


def test_denied_exception_request() -> None:
    registry = ExceptionRegistry(
        parse_exceptions(
            {
                "exceptions": [
                    {
                        "id": "exc-2025-11-21-002",
                        "package": "Liquibase",
                        "license": "FSL-1.1-ALv2",
                        "project": "Keycloak",
                        "approvedDate": "2025-11-21",
                        "status": "denied",
                        "results": "https://github.com/cncf/foundation/issues/1147",
                    }
                ]
            },
            "x.json",
        )[0]
    )
    liquibase = Component("maven:liquibase@4.29.0", ComponentKind.PACKAGE, "liquibase", "4.29.0")
    verdict = ev(
        "FSL-1.1-ALv2", "userspace", "Keycloak", None, exceptions=registry, component=liquibase
    )
    assert verdict == Verdict(
        Status.DENIED,
        exception="exc-2025-11-21-002",
        reasons=(
            "FSL-1.1-ALv2: exception request exc-2025-11-21-002 was denied (approved 2025-11-21, "
            "Keycloak, package: Liquibase, https://github.com/cncf/foundation/issues/1147)",
        ),
    )


def test_empty_registry() -> None:
    verdict = ev("GPL-2.0-only OR MIT", "ebpf", "Falco", None, exceptions=EMPTY)
    assert (verdict.status, verdict.rule) == (Status.NEEDS_EXCEPTION, "kernel:gpl-alternative")


def test_with_unit_covered_by_an_exception_for_that_unit() -> None:
    expr = "GPL-2.0-only WITH Linux-syscall-note"
    assert ev(expr, "userspace", "containerd", D(2025, 1, 1)) == Verdict(
        Status.ALLOWED_BY_EXCEPTION,
        exception="exc-2024-10-23-006",
        reasons=(
            f"{expr} covered by exception exc-2024-10-23-006 (approved 2024-10-23, scope (not "
            "mapped to a context): 'Approved only for ue by containerd as described in the "
            "exception request', containerd, package: Linux kernel uapi headers (btrfs), "
            "https://github.com/cncf/foundation/issues/174)",
        ),
    )
    assert ev(expr, "userspace", "Falco", None).status == Status.NEEDS_EXCEPTION
    assert ev("GPL-2.0-only", "userspace", "containerd", None).status == Status.NEEDS_EXCEPTION


def test_covered_or_inside_and_keeps_its_parentheses() -> None:
    verdict = ev("Apache-2.0 AND (GPL-2.0-only OR MIT)", "kernel-module", "Falco", None)
    assert (verdict.status, verdict.exception, verdict.election, verdict.rule) == (
        Status.ALLOWED_BY_EXCEPTION,
        "exc-2024-02-27-001",
        "",
        "apache-2.0:Apache-2.0",
    )
    verdict = ev("Apache-2.0 AND (GPL-2.0-only OR MIT) AND (ISC OR EPL-2.0)", "kernel-module",
                 "Falco", None)  # fmt: skip
    assert (verdict.status, verdict.election) == (
        Status.ALLOWED_BY_EXCEPTION,
        "Apache-2.0 AND (GPL-2.0-only OR MIT) AND ISC",
    )
