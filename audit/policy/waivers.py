"""The project's own waivers file: accepted license findings, each with a reason and expiry.

Format (TOML, documented in docs/policy-format.md)::

    [[waiver]]
    id = "ubi-test-image"
    component = "image:registry.access.redhat.com/ubi8/*"
    license = "LicenseRef-RedHat-UBI-EULA"
    context = ["test", "ci"]
    reason = "only runs the integration tests; never shipped"
    approved-by = "Falco maintainers, 2025-01-10 meeting"
    expires = 2025-12-31

A waiver names a component (glob on id, name or purl), a license (an SPDX expression,
matched by equivalence, or a glob), or both. An expired waiver no longer counts; the
verdict says so.

A waiver may instead take a decision that a finding makes off the report — a finding the
team has looked at (a ``fix-notice`` for a ``license-conflict``, an ``add-curation`` for an
``unknown-license``)::

    [[waiver]]
    id = "driver-marker"
    finding = "license-conflict"        # glob on the finding's kind
    subject = "source:driver*"          # glob on what it is about (component id or path)
    reason = "MODULE_LICENSE(\"GPL\") is the kernel's marker; the header is the license"
    approved-by = "maintainers"
    expires = 2026-12-31

The finding stays in the report; its action goes (and no longer counts for the exit code). A
waiver that matches nothing in an audit is a warning in the report.
"""

from __future__ import annotations

import datetime
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from audit.errors import ConfigError
from audit.model import Component
from audit.policy import expressions
from audit.policy._fields import Fields, read_toml
from audit.policy.policy import CONTEXTS


@dataclass(frozen=True)
class Waiver:
    """A waiver: a license of a component accepted by a named person until a date."""

    id: str
    reason: str
    approved_by: str
    expires: datetime.date
    """Last day the waiver counts."""
    component: str = ""
    """Glob on the component id, name or purl (case-insensitive); empty for any."""
    license: str = ""
    """As written: an SPDX expression or a glob; empty for any license of the component."""
    license_normalized: str | None = None
    """The normalized expression when ``license`` is one (not a glob)."""
    contexts: frozenset[str] | None = None
    project: str = ""
    approved: datetime.date | None = None
    path: str = ""
    finding: str = ""
    """Glob on a finding's kind (``license-conflict``, ``missing-license-file``,
    ``unknown-license``): the waiver takes the decision it makes (``fix-notice``,
    ``add-curation``) off the report instead of covering a license."""
    subject: str = ""
    """Glob on what the decision is about (component id or path); empty for any."""

    def expired(self, as_of: datetime.date | None) -> bool:
        return as_of is not None and as_of > self.expires

    def in_force(self, as_of: datetime.date | None, project: str | None) -> bool:
        """Not expired, approved by ``as_of``, and for this project if it names one."""
        if self.expired(as_of):
            return False
        if as_of is not None and self.approved is not None and self.approved > as_of:
            return False
        return not self.project or (
            project is not None and self.project.casefold() == project.casefold()
        )

    def covers_review(self, kinds: Iterable[str], subject: str) -> bool:
        """Whether this finding waiver covers a decision about ``subject`` that carries all
        of ``kinds`` (see :func:`audit.actions.finding_kinds`)."""
        if not self.finding:
            return False
        kinds = tuple(kinds)
        if not kinds or not all(fnmatch.fnmatchcase(k, self.finding) for k in kinds):
            return False
        return not self.subject or fnmatch.fnmatchcase(subject.casefold(), self.subject.casefold())

    def describe(self) -> str:
        return f"{self.reason}; approved by {self.approved_by}, expires {self.expires.isoformat()}"


@dataclass(frozen=True)
class WaiverMatch:
    """The waivers that allow one license of one component, and why others did not count."""

    granted: tuple[Waiver, ...] = ()
    notes: tuple[str, ...] = ()


def load_waivers(path: Path) -> tuple[Waiver, ...]:
    """Read a waivers file; ConfigError (file, key, what was expected) when it is wrong."""
    return parse_waivers(read_toml(path), str(path))


def parse_waivers(data: dict[str, object], path: str) -> tuple[Waiver, ...]:
    top = Fields(data, path)
    top.check_keys(("waiver",))
    out: list[Waiver] = []
    seen: set[str] = set()
    for i, t in enumerate(top.tables("waiver")):
        waiver = _waiver(t, i, path)
        if waiver.id in seen:
            raise t.error("id", f"duplicate waiver id {waiver.id!r}")
        seen.add(waiver.id)
        out.append(waiver)
    return tuple(out)


def _waiver(t: Fields, index: int, path: str) -> Waiver:
    t.check_keys(
        (
            "id",
            "component",
            "license",
            "context",
            "project",
            "reason",
            "approved-by",
            "approved",
            "expires",
            "finding",
            "subject",
        )
    )
    component = t.string("component").strip()
    license_text = t.string("license").strip()
    finding = t.string("finding").strip()
    subject = t.string("subject").strip()
    if finding and license_text:
        raise t.error("finding", "a waiver names a finding or a license, not both")
    if finding and component:
        raise t.error(
            "component", "a finding waiver names what it covers with `subject`, not `component`"
        )
    if subject and not finding:
        raise t.error("subject", "`subject` needs `finding` (the kind of finding it covers)")
    if not component and not license_text and not finding:
        raise ConfigError(
            "a waiver needs a component, a license or a finding", path=path, key=t.prefix
        )
    normalized = None
    if license_text and not any(ch in license_text for ch in "*?["):
        parsed = expressions.parse_expression(license_text)
        if parsed.normalized is None:
            raise t.error(
                "license",
                f"expected an SPDX expression or a glob, got {license_text!r} ({parsed.problem})",
            )
        normalized = parsed.normalized
    expires = t.date("expires", required=True)
    assert expires is not None
    return Waiver(
        id=t.string("id").strip() or f"waiver-{index + 1}",
        reason=t.string("reason", required=True),
        approved_by=t.string("approved-by", required=True),
        expires=expires,
        component=component,
        license=license_text,
        license_normalized=normalized,
        contexts=t.choices("context", CONTEXTS, one_or_many=True),
        project=t.string("project").strip(),
        approved=t.date("approved"),
        path=path,
        finding=finding,
        subject=subject,
    )


def expired_waivers(waivers: Iterable[Waiver], as_of: datetime.date | None) -> tuple[Waiver, ...]:
    """The waivers that no longer count on ``as_of`` (for a report's own list)."""
    return tuple(w for w in waivers if w.expired(as_of))


def unused_waivers(
    waivers: Iterable[Waiver], used: Iterable[str], as_of: datetime.date | None
) -> tuple[Waiver, ...]:
    """The waivers in force that nothing in an audit used (ids in ``used`` were). Expired
    ones are reported as expired instead."""
    taken = set(used)
    return tuple(w for w in waivers if w.id not in taken and not w.expired(as_of))


def _component_matches(pattern: str, component: Component | None) -> bool:
    if component is None:
        return False
    pat = pattern.casefold()
    names = (component.id, component.name, component.purl or "")
    return any(n and fnmatch.fnmatchcase(n.casefold(), pat) for n in names)


def waivers_naming(waivers: Iterable[Waiver], component: Component | None) -> tuple[bool, ...]:
    """For each waiver naming a component, whether it names this one: all that
    :func:`match_waivers` reads of the component."""
    return tuple(_component_matches(w.component, component) for w in waivers if w.component)


def _license_matches(waiver: Waiver, expression: str) -> bool:
    if waiver.license_normalized is not None:
        return expressions.is_equivalent(waiver.license_normalized, expression)
    return fnmatch.fnmatchcase(expression.casefold(), waiver.license.casefold())


def match_waivers(
    waivers: Iterable[Waiver],
    expression: str,
    *,
    whole: bool,
    context: str,
    project: str | None,
    as_of: datetime.date | None,
    component: Component | None = None,
) -> WaiverMatch:
    """The waivers that cover ``expression`` here; notes for those expired or not yet approved.

    ``whole`` is true when ``expression`` is the component's whole license: a waiver that
    names no license covers only that.
    """
    granted: list[Waiver] = []
    notes: list[str] = []
    for w in waivers:
        if w.finding:
            continue  # silences reviews, covers no license
        if w.component and not _component_matches(w.component, component):
            continue
        if w.license:
            if not _license_matches(w, expression):
                continue
        elif not whole:
            continue
        if w.contexts is not None and context not in w.contexts:
            continue
        if w.project and (project is None or w.project.casefold() != project.casefold()):
            continue
        if w.expired(as_of):
            assert as_of is not None
            notes.append(
                f"waiver {w.id} expired on {w.expires.isoformat()} (as of {as_of.isoformat()}); "
                "not counted"
            )
        elif as_of is not None and w.approved is not None and w.approved > as_of:
            notes.append(
                f"waiver {w.id} approved {w.approved.isoformat()}, after the as-of date "
                f"{as_of.isoformat()}; not counted"
            )
        else:
            granted.append(w)
    return WaiverMatch(tuple(granted), tuple(notes))
