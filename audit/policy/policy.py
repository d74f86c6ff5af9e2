"""License policies: the model and the TOML loader (``policies/*.toml``).

The format is documented in docs/policy-format.md. A policy lists licenses it allows
(each rule possibly limited to contexts, distribution models, and in effect from a date),
licenses it denies outright, which distribution models it reviews at all, and an optional
kernel switch: in kernel contexts the GPL alternative of a dual license must itself be
covered.
"""

from __future__ import annotations

import datetime
import fnmatch
from dataclasses import dataclass
from pathlib import Path

from audit.errors import ConfigError
from audit.model import Context, PolicyInfo
from audit.policy import expressions
from audit.policy._fields import Fields, read_toml
from audit.resources import policies_dir
from audit.vocabulary import CONTEXTS as CONTEXTS
from audit.vocabulary import DISTRIBUTIONS as DISTRIBUTIONS

KERNEL_CONTEXTS: frozenset[str] = frozenset({Context.KERNEL_MODULE.value, Context.EBPF.value})

DEFAULT_POLICY = "cncf"


@dataclass(frozen=True)
class Rule:
    """One ``[[allow]]`` or ``[[deny]]`` table."""

    id: str
    """Short rule id; verdicts name ``<id>:<license>`` (e.g. ``allowlist:MIT``)."""
    action: str
    """``allow`` or ``deny``."""
    licenses: tuple[str, ...]
    """Normalized license ids (``X WITH Y`` units allowed), or glob patterns (``LicenseRef-*``)."""
    written: tuple[str, ...]
    """The same entries as written in the file."""
    title: str
    """How a reason reads: ``MIT is <title> (cncf)``."""
    since: datetime.date | None = None
    """The date the rule took effect; with an as-of date before it, it does not count."""
    contexts: frozenset[str] | None = None
    """Contexts the rule applies in; ``None`` for all."""
    distribution: frozenset[str] | None = None
    """Distribution models the rule applies to; ``None``: all (allow) or the policy's (deny)."""
    note: str = ""

    def match(self, leaf: str) -> str | None:
        """The entry (as written) that names ``leaf`` (a normalized id or WITH unit)."""
        folded = leaf.casefold()
        for entry, written in zip(self.licenses, self.written, strict=True):
            if "*" in entry or "?" in entry:
                if fnmatch.fnmatchcase(folded, entry.casefold()):
                    return written
            elif entry == leaf:
                return written
        return None


@dataclass(frozen=True)
class KernelRule:
    """The ``[kernel]`` switch: how dual licenses read in code that runs in the kernel."""

    contexts: frozenset[str]
    require_gpl_alternative: bool
    """When true, an ``OR`` with a GPL alternative passes only if a GPL alternative passes."""
    gpl_licenses: tuple[str, ...]
    """Glob patterns naming the GPL licenses (``GPL-*``)."""
    note: str = ""

    def is_gpl(self, license_id: str) -> bool:
        folded = license_id.casefold()
        return any(fnmatch.fnmatchcase(folded, p.casefold()) for p in self.gpl_licenses)


@dataclass(frozen=True)
class Policy:
    """A license policy file: what it allows, denies and asks exceptions for, and where it
    applies."""

    name: str
    title: str
    source: str
    """Where the policy text lives (URL)."""
    read: datetime.date | None
    """When that source was read to write this file."""
    path: str
    applies_to: frozenset[str]
    """Distribution models the policy reviews; the others are ``not-required``."""
    not_required: str
    """Why the other distribution models need nothing (shown in reasons)."""
    allow: tuple[Rule, ...]
    deny: tuple[Rule, ...]
    kernel: KernelRule | None = None

    def info(self) -> PolicyInfo:
        """What a report says about the policy."""
        return PolicyInfo(self.name, self.source, self.read.isoformat() if self.read else "")


# Loading --------------------------------------------------------------------------------


def policy_path(name: str) -> Path:
    """The bundled policy file called ``name`` (``cncf`` -> policies/cncf.toml)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ConfigError(f"invalid policy name {name!r}", key="policy")
    path = policies_dir() / f"{name}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in policies_dir().glob("*.toml"))
        raise ConfigError(
            f"no bundled policy {name!r}; known: {', '.join(known) or 'none'}", key="policy"
        )
    return path


def load_policy(path: Path | None = None, name: str | None = None) -> Policy:
    """Load a policy file (``path``), a bundled policy by ``name``, or the default (cncf)."""
    if path is None:
        path = policy_path(name or DEFAULT_POLICY)
    return parse_policy(read_toml(path), str(path), default_name=path.stem)


def parse_policy(data: dict[str, object], path: str, default_name: str = "policy") -> Policy:
    """Build a Policy from a parsed TOML document; ConfigError names file and key."""
    top = Fields(data, path)
    top.check_keys(("policy", "allow", "deny", "kernel"))
    head = top.table("policy", required=True)
    assert head is not None
    head.check_keys(("name", "title", "source", "read", "applies-to", "not-required", "comment"))
    applies = head.choices("applies-to", DISTRIBUTIONS)
    allow = tuple(_rule(t, "allow") for t in top.tables("allow"))
    deny = tuple(_rule(t, "deny") for t in top.tables("deny"))
    kernel_table = top.table("kernel")
    return Policy(
        name=head.string("name") or default_name,
        title=head.string("title"),
        source=head.string("source"),
        read=head.date("read"),
        path=path,
        applies_to=applies if applies is not None else frozenset(DISTRIBUTIONS),
        not_required=head.string("not-required"),
        allow=allow,
        deny=deny,
        kernel=_kernel(kernel_table) if kernel_table is not None else None,
    )


def _rule(t: Fields, action: str) -> Rule:
    t.check_keys(("id", "title", "licenses", "since", "contexts", "distribution", "note"))
    written = t.strings("licenses", required=True) or ()
    if not written:
        raise t.error("licenses", "expected at least one license id")
    normalized = tuple(_license_entry(t, i, entry) for i, entry in enumerate(written))
    default_title = "allowed by policy" if action == "allow" else "denied by policy"
    return Rule(
        id=t.string("id", required=True),
        action=action,
        licenses=normalized,
        written=written,
        title=t.string("title") or default_title,
        since=t.date("since"),
        contexts=t.choices("contexts", CONTEXTS),
        distribution=t.choices("distribution", DISTRIBUTIONS),
        note=t.string("note"),
    )


def _license_entry(t: Fields, index: int, entry: str) -> str:
    key = f"{t.key('licenses')}[{index}]"
    if "*" in entry or "?" in entry:
        if not entry.strip():
            raise ConfigError("empty pattern", path=t.path, key=key)
        return entry.strip()
    parsed = expressions.parse_expression(entry)
    if parsed.normalized is None:
        raise ConfigError(
            f"expected an SPDX license id, got {entry!r} ({parsed.problem})", path=t.path, key=key
        )
    if expressions.node_kind(expressions.tree(parsed.normalized)) not in ("license", "with"):
        raise ConfigError(
            f"expected one license id (or 'X WITH Y'), got the expression {entry!r}",
            path=t.path,
            key=key,
        )
    return parsed.normalized


def _kernel(t: Fields) -> KernelRule:
    t.check_keys(("contexts", "require-gpl-alternative", "gpl-licenses", "note"))
    contexts = t.choices("contexts", CONTEXTS)
    if contexts is None:
        raise t.error("contexts", "missing required key")
    return KernelRule(
        contexts=contexts,
        require_gpl_alternative=t.boolean("require-gpl-alternative", default=True),
        gpl_licenses=t.strings("gpl-licenses") or ("GPL-*",),
        note=t.string("note"),
    )
