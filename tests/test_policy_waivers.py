"""The project's waivers file and how waivers count in a verdict."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from audit.components import package_component
from audit.errors import ConfigError
from audit.model import Status, Verdict
from audit.policy import (
    ExceptionRegistry,
    Waiver,
    evaluate,
    expired_waivers,
    load_policy,
    load_waivers,
)

D = datetime.date
POLICY = load_policy()

WAIVERS = """\
# Falco's accepted license findings.
[[waiver]]
id = "pytest-gpl"
license = "GPL-3.0-or-later"
context = ["test", "ci"]
reason = "only used to run the test suite"
approved-by = "Falco maintainers"
expires = 2025-06-30

[[waiver]]
component = "pypi:avocado-framework@*"
context = "test"
reason = "integration test runner, never shipped"
approved-by = "L. Maintainer"
approved = 2024-02-01
expires = 2026-12-31

[[waiver]]
id = "lgpl"
license = "LGPL-2.1-*"
project = "Falco"
reason = "dynamically linked system library"
approved-by = "TOC"
expires = "2030-01-01"
"""


@pytest.fixture
def waivers(tmp_path: Path) -> tuple[Waiver, ...]:
    path = tmp_path / "waivers.toml"
    path.write_text(WAIVERS, encoding="utf-8")
    return load_waivers(path)


def test_load_waivers(waivers: tuple[Waiver, ...], tmp_path: Path) -> None:
    path = str(tmp_path / "waivers.toml")
    assert waivers == (
        Waiver(
            id="pytest-gpl",
            reason="only used to run the test suite",
            approved_by="Falco maintainers",
            expires=D(2025, 6, 30),
            license="GPL-3.0-or-later",
            license_normalized="GPL-3.0-or-later",
            contexts=frozenset({"test", "ci"}),
            path=path,
        ),
        Waiver(
            id="waiver-2",
            reason="integration test runner, never shipped",
            approved_by="L. Maintainer",
            expires=D(2026, 12, 31),
            component="pypi:avocado-framework@*",
            contexts=frozenset({"test"}),
            approved=D(2024, 2, 1),
            path=path,
        ),
        Waiver(
            id="lgpl",
            reason="dynamically linked system library",
            approved_by="TOC",
            expires=D(2030, 1, 1),
            license="LGPL-2.1-*",
            project="Falco",
            path=path,
        ),
    )
    assert expired_waivers(waivers, D(2025, 7, 1)) == waivers[:1]
    assert expired_waivers(waivers, D(2025, 6, 30)) == ()
    assert expired_waivers(waivers, None) == ()


def ev(expression: str | None, context: str, as_of: datetime.date | None, **kw: object) -> Verdict:
    kw.setdefault("project", "Falco")
    return evaluate(
        expression,
        context=context,
        distribution="distributed",
        as_of=as_of,
        policy=POLICY,
        exceptions=ExceptionRegistry(),
        **kw,  # type: ignore[arg-type]
    )


def test_waiver_counts_until_it_expires(waivers: tuple[Waiver, ...]) -> None:
    assert ev("GPL-3.0-or-later", "test", D(2025, 6, 30), waivers=waivers) == Verdict(
        Status.ALLOWED_BY_EXCEPTION,
        exception="pytest-gpl",
        reasons=(
            "GPL-3.0-or-later covered by waiver pytest-gpl (only used to run the test suite; "
            "approved by Falco maintainers, expires 2025-06-30)",
        ),
    )


def test_expired_waiver_is_not_counted_and_reported(waivers: tuple[Waiver, ...]) -> None:
    assert ev("GPL-3.0-or-later", "ci", D(2025, 7, 1), waivers=waivers) == Verdict(
        Status.NEEDS_EXCEPTION,
        reasons=(
            "waiver pytest-gpl expired on 2025-06-30 (as of 2025-07-01); not counted",
            "GPL-3.0-or-later is not allowed by policy cncf: it needs an exception",
        ),
    )


def test_waiver_limited_to_its_contexts(waivers: tuple[Waiver, ...]) -> None:
    assert ev("GPL-3.0-or-later", "userspace", None, waivers=waivers).status == (
        Status.NEEDS_EXCEPTION
    )


def test_license_glob_and_project(waivers: tuple[Waiver, ...]) -> None:
    verdict = ev("MIT AND LGPL-2.1-only", "userspace", None, waivers=waivers)
    assert (verdict.status, verdict.exception, verdict.rule) == (
        Status.ALLOWED_BY_EXCEPTION,
        "lgpl",
        "allowlist:MIT",
    )
    other = ev("LGPL-2.1-only", "userspace", None, waivers=waivers, project="Cilium")
    assert other.status == Status.NEEDS_EXCEPTION


AVOCADO = package_component("pypi", "avocado-framework", "69.0", ())


def test_component_waiver_covers_the_whole_license(waivers: tuple[Waiver, ...]) -> None:
    verdict = ev("GPL-2.0-only OR EPL-2.0", "test", None, waivers=waivers,
                 component=AVOCADO)  # fmt: skip
    assert verdict == Verdict(
        Status.ALLOWED_BY_EXCEPTION,
        exception="waiver-2",
        reasons=(
            "GPL-2.0-only is not allowed by policy cncf: it needs an exception",
            "EPL-2.0 is not allowed by policy cncf: it needs an exception",
            "GPL-2.0-only OR EPL-2.0: no alternative passes",
            "GPL-2.0-only OR EPL-2.0 covered by waiver waiver-2 (integration test "
            "runner, never shipped; approved by L. Maintainer, expires 2026-12-31)",
        ),
    )


def test_component_waiver_covers_an_unknown_license(waivers: tuple[Waiver, ...]) -> None:
    verdict = ev("NOASSERTION", "test", D(2025, 1, 1), waivers=waivers, component=AVOCADO)
    assert (verdict.status, verdict.exception) == (Status.ALLOWED_BY_EXCEPTION, "waiver-2")


def test_waiver_approved_after_the_as_of_date(waivers: tuple[Waiver, ...]) -> None:
    verdict = ev("GPL-2.0-only", "test", D(2024, 1, 1), waivers=waivers, component=AVOCADO)
    assert verdict == Verdict(
        Status.NEEDS_EXCEPTION,
        reasons=(
            "waiver waiver-2 approved 2024-02-01, after the as-of date 2024-01-01; not counted",
            "GPL-2.0-only is not allowed by policy cncf: it needs an exception",
        ),
    )


def test_component_waiver_needs_the_component(waivers: tuple[Waiver, ...]) -> None:
    assert ev("GPL-2.0-only", "test", None, waivers=waivers).status == Status.NEEDS_EXCEPTION


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        ('[[waiver]]\nlicense = "MIT"\nreason = "r"\napproved-by = "a"\n',
         "waiver[0].expires", "missing required key"),
        ('[[waiver]]\nlicense = "MIT"\nreason = "r"\napproved-by = "a"\nexpires = "soon"\n',
         "waiver[0].expires", "expected a date (YYYY-MM-DD), got 'soon'"),
        ('[[waiver]]\nreason = "r"\napproved-by = "a"\nexpires = 2025-01-01\n',
         "waiver[0]", "a waiver needs a component, a license or a finding"),
        ('[[waiver]]\nlicense = "MIT"\napproved-by = "a"\nexpires = 2025-01-01\n',
         "waiver[0].reason", "missing required key"),
        ('[[waiver]]\nlicense = "Nope-1"\nreason = "r"\napproved-by = "a"\n'
         'expires = 2025-01-01\n',
         "waiver[0].license",
         "expected an SPDX expression or a glob, got 'Nope-1' (unknown license id 'Nope-1')"),
        ('[[waiver]]\nlicense = "MIT"\nreason = "r"\napproved-by = "a"\nexpires = 2025-01-01\n'
         'context = ["runtime"]\n',
         "waiver[0].context[0]",
         "unknown value 'runtime'; expected one of: kernel-module, ebpf, userspace, build, "
         "test, ci, documentation"),
        ('[[waiver]]\nlicense = "MIT"\nreason = "r"\napproved-by = "a"\nexpires = 2025-01-01\n'
         'approved-by = "b"\n', None, None),
        ('[[waiver]]\nlicense = "MIT"\nreason = "r"\napproved-by = "a"\nexpires = 2025-01-01\n'
         'expiry = 2025-01-01\n', "waiver[0].expiry",
         "unknown key; expected one of: approved, approved-by, component, context, expires, "
         "finding, id, license, project, reason, subject"),
        ('[[waiver]]\nid = "x"\nlicense = "MIT"\nreason = "r"\napproved-by = "a"\n'
         'expires = 2025-01-01\n[[waiver]]\nid = "x"\nlicense = "ISC"\nreason = "r"\n'
         'approved-by = "a"\nexpires = 2025-01-01\n',
         "waiver[1].id", "duplicate waiver id 'x'"),
        ('[waiver]\nid = "x"\n', "waiver", "expected an array of tables [[waiver]], got table"),
    ],
)  # fmt: skip
def test_bad_waivers_file(tmp_path: Path, body: str, key: str | None, message: str | None) -> None:
    path = tmp_path / "waivers.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_waivers(path)
    if key is None:  # not TOML: a key given twice
        assert str(err.value).startswith(f"{path}: invalid TOML: ")
        return
    assert (err.value.path, err.value.key) == (str(path), key)
    assert str(err.value) == f"{path}: {key}: {message}"
