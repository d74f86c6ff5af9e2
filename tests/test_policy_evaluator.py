"""Evaluator: evaluate() for one report, verdicts remembered per expression and context and,
where the judging reads the component, per what it read of it."""

from __future__ import annotations

import datetime
import itertools

import pytest

from audit.components import image_component, package_component, parse_image_ref
from audit.model import Component, ComponentKind, Status, Verdict
from audit.policy import (
    Evaluator,
    bundled_exceptions,
    evaluate,
    load_exceptions,
    load_policy,
    parse_waivers,
)

D = datetime.date
POLICY = load_policy()
REGISTRY = load_exceptions([str(bundled_exceptions())])

MEMDB = package_component("golang", "github.com/hashicorp/go-memdb", "v1.3.4", ())
GO_SET = package_component("golang", "github.com/hashicorp/go-set", "v0.1.0", ())
LIBPATHRS = package_component("cargo", "libpathrs", "0.1.3", ())
UBI = image_component(parse_image_ref("registry.access.redhat.com/ubi8/ubi:latest"), ())
DRIVER = Component("source:driver", ComponentKind.SOURCE, "driver")
USERSPACE = Component("source:userspace", ComponentKind.SOURCE, "userspace")
COMPONENTS: tuple[Component | None, ...] = (MEMDB, GO_SET, LIBPATHRS, UBI, DRIVER, USERSPACE, None)

EXPRESSIONS = (
    "MIT",
    "GPL-2.0-only",
    "GPL-2.0-only OR MIT",
    "MPL-2.0",
    "LGPL-3.0-or-later OR MPL-2.0",
    "LicenseRef-RedHat-UBI-EULA",
    "Apache-2.0 AND GPL-2.0-or-later",
    "MIT AND",
    None,
)
CONTEXTS = ("userspace", "kernel-module", "ebpf", "test")
DISTRIBUTIONS = ("distributed", "internal-tooling")

WAIVERS = parse_waivers(
    {
        "waiver": [
            {
                "id": "ubi",
                "component": "image:registry.access.redhat.com/ubi8/*",
                "reason": "base image",
                "approved-by": "maintainers",
                "expires": D(2030, 1, 1),
            },
            {
                "id": "set",
                "component": "*go-set*",
                "license": "MPL-2.0",
                "reason": "being replaced",
                "approved-by": "maintainers",
                "approved": D(2024, 2, 1),
                "expires": D(2030, 1, 1),
            },
            {
                "id": "any-gpl-tests",
                "license": "GPL-2.0-or-later",
                "context": ["test"],
                "reason": "test only",
                "approved-by": "maintainers",
                "expires": D(2024, 2, 1),
            },
        ]
    },
    "waivers.toml",
)


@pytest.mark.parametrize("waivers", [(), WAIVERS], ids=["no-waivers", "waivers"])
@pytest.mark.parametrize(
    ("project", "as_of"), [("Falco", D(2024, 3, 1)), ("Cilium", D(2024, 1, 1)), (None, None)]
)
def test_same_verdicts_as_evaluate(
    waivers: tuple[object, ...], project: str | None, as_of: datetime.date | None
) -> None:
    judge = Evaluator(
        project=project, as_of=as_of, policy=POLICY, exceptions=REGISTRY, waivers=waivers
    )
    cases = list(itertools.product(EXPRESSIONS, CONTEXTS, DISTRIBUTIONS, COMPONENTS))
    for _ in range(2):  # the second round answers from what the first remembered
        for expression, context, distribution, component in cases:
            expected = evaluate(
                expression,
                context=context,
                distribution=distribution,
                project=project,
                as_of=as_of,
                policy=POLICY,
                exceptions=REGISTRY,
                waivers=waivers,  # type: ignore[arg-type]
                component=component,
            )
            got = judge(expression, context=context, distribution=distribution, component=component)
            assert got == expected, (expression, context, distribution, component)


def test_a_package_exception_is_judged_per_package() -> None:
    judge = Evaluator(project="Cilium", as_of=None, policy=POLICY, exceptions=REGISTRY)
    covered = judge("MPL-2.0", context="userspace", distribution="distributed", component=MEMDB)
    other = judge("MPL-2.0", context="userspace", distribution="distributed", component=GO_SET)
    again = judge("MPL-2.0", context="userspace", distribution="distributed", component=MEMDB)
    assert (covered.status, covered.exception) == (
        Status.ALLOWED_BY_EXCEPTION,
        "exc-2023-08-31-002",
    )
    assert other == Verdict(
        Status.NEEDS_EXCEPTION,
        reasons=("MPL-2.0 is not allowed by policy cncf: it needs an exception",),
    )
    assert again is covered


def test_a_project_record_covers_the_projects_own_source() -> None:
    judge = Evaluator(project="Cilium", as_of=None, policy=POLICY, exceptions=REGISTRY)
    source = judge("MPL-2.0", context="userspace", distribution="distributed", component=USERSPACE)
    package = judge("MPL-2.0", context="userspace", distribution="distributed", component=GO_SET)
    assert (source.status, source.exception) == (Status.ALLOWED_BY_EXCEPTION, "exc-2023-08-31-002")
    assert (package.status, package.exception) == (Status.NEEDS_EXCEPTION, "")


def test_a_component_waiver_is_judged_per_component() -> None:
    judge = Evaluator(project=None, as_of=None, policy=POLICY, exceptions=REGISTRY, waivers=WAIVERS)
    waived = judge("MPL-2.0", context="userspace", distribution="distributed", component=GO_SET)
    plain = judge("MPL-2.0", context="userspace", distribution="distributed", component=MEMDB)
    assert (waived.status, waived.exception) == (Status.ALLOWED_BY_EXCEPTION, "set")
    assert plain.status == Status.NEEDS_EXCEPTION


def test_a_verdict_that_reads_no_component_is_shared() -> None:
    judge = Evaluator(project="Falco", as_of=None, policy=POLICY, exceptions=REGISTRY)
    first = judge("MIT", context="userspace", distribution="distributed", component=MEMDB)
    second = judge("MIT", context="userspace", distribution="distributed", component=DRIVER)
    assert first is second
    assert first == Verdict(
        Status.ALLOWED,
        rule="allowlist:MIT",
        reasons=("MIT is on the CNCF allowlist (cncf)",),
    )


def test_bad_context_or_distribution_is_a_programming_error() -> None:
    judge = Evaluator(project=None, as_of=None, policy=POLICY, exceptions=REGISTRY)
    with pytest.raises(ValueError, match="unknown context 'kernel'"):
        judge("MIT", context="kernel", distribution="distributed")
    with pytest.raises(ValueError, match="unknown distribution model 'shipped'"):
        judge("MIT", context="userspace", distribution="shipped")
