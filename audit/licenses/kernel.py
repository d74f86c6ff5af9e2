"""The license strings the Linux kernel and the BPF verifier understand.

A kernel module declares its license with ``MODULE_LICENSE("...")``; an eBPF program with
a string in its ``license`` ELF section (``char LICENSE[] SEC("license") = "..."``). Both
are checked by the same function, ``license_is_gpl_compatible()`` in
``include/linux/license.h`` (the module loader for the first, ``bpf_prog_load()`` for
the second): a string outside the table below taints the kernel and may not use
GPL-only symbols or helpers.

The strings are run-time markers, not licenses. ``Documentation/process/license-rules.rst``
says what each one means, and where it leaves the exact license open ("can only be
determined via the license information in the corresponding source files") the
expression below keeps that openness instead of guessing:

- ``"GPL"`` and ``"GPL v2"``: "GPL version 2", with no distinction between only and or
  later. Expressed as ``GPL-2.0-only``, the narrower reading; the file's own notice
  decides (and :func:`consistent_with` accepts either).
- ``"Dual BSD/GPL"``: GPL v2 variant or a BSD license whose variant is not named:
  ``GPL-2.0-only OR LicenseRef-BSD-unspecified``.
- ``"Dual MPL/GPL"``: GPL v2 variant or an MPL whose version is not named:
  ``GPL-2.0-only OR LicenseRef-MPL-unspecified``.
- ``"GPL and additional rights"``: a historical string for "GPL v2 plus more rights"
  (the rules call it a GPL v2 and MIT dual license); no SPDX id says that:
  ``LicenseRef-GPL-2.0-and-additional-rights``.
- ``"Proprietary"``: "not compatible to GPLv2": ``LicenseRef-Proprietary``.

Any other string (``"BSD"``, ``"MIT"``, ``"unspecified"``) is not in the kernel's table:
the kernel treats the module as not GPL compatible. It gets no expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from audit import spdx


@dataclass(frozen=True)
class KernelLicense:
    """One row of the kernel's license-string table."""

    raw: str
    """The string as written in ``MODULE_LICENSE`` or the ``license`` section."""
    expression: str
    """The SPDX expression this string stands for (see the module docstring)."""
    families: frozenset[str]
    """License families a file notice must name, as alternatives, to agree with it."""
    gpl_compatible: bool
    """What ``license_is_gpl_compatible()`` answers: GPL-only symbols and helpers allowed."""
    meaning: str
    """What the kernel documentation says the string means."""
    open_families: bool = False
    """True when the string fixes one family and leaves the others open ("additional")."""


_GPL = "GPL-2.0"

KERNEL_LICENSES: tuple[KernelLicense, ...] = (
    KernelLicense(
        "GPL",
        "GPL-2.0-only",
        frozenset({_GPL}),
        True,
        "GNU Public License v2; no distinction between GPL-2.0-only and GPL-2.0-or-later",
    ),
    KernelLicense(
        "GPL v2",
        "GPL-2.0-only",
        frozenset({_GPL}),
        True,
        'GNU Public License v2; same as "GPL", kept for historic reasons',
    ),
    KernelLicense(
        "GPL and additional rights",
        "LicenseRef-GPL-2.0-and-additional-rights",
        frozenset({_GPL}),
        True,
        "GNU Public License v2 rights and more (historical; do not use in new code)",
        open_families=True,
    ),
    KernelLicense(
        "Dual BSD/GPL",
        "GPL-2.0-only OR LicenseRef-BSD-unspecified",
        frozenset({_GPL, "BSD"}),
        True,
        "GNU Public License v2 or BSD license choice; the BSD variant is not named",
    ),
    KernelLicense(
        "Dual MIT/GPL",
        "GPL-2.0-only OR MIT",
        frozenset({_GPL, "MIT"}),
        True,
        "GNU Public License v2 or MIT license choice",
    ),
    KernelLicense(
        "Dual MPL/GPL",
        "GPL-2.0-only OR LicenseRef-MPL-unspecified",
        frozenset({_GPL, "MPL"}),
        True,
        "GNU Public License v2 or Mozilla license choice; the MPL version is not named",
    ),
    KernelLicense(
        "Proprietary",
        "LicenseRef-Proprietary",
        frozenset({"Proprietary"}),
        False,
        "not compatible with GPLv2; taints the kernel",
    ),
)

_BY_RAW = {k.raw: k for k in KERNEL_LICENSES}


def lookup(raw: str) -> KernelLicense | None:
    """The table row for a string exactly as the kernel compares it (``strcmp``)."""
    return _BY_RAW.get(raw)


def expression_for(raw: str) -> str | None:
    row = lookup(raw)
    return row.expression if row else None


def family(license_key: str) -> str:
    """The family a license id belongs to, for comparing notices with kernel strings."""
    key = license_key
    if key.startswith(("GPL-2.0", "LicenseRef-GPL-2.0")):
        return _GPL
    if key.startswith("BSD-") or key in ("0BSD", "LicenseRef-BSD-unspecified"):
        return "BSD"
    if key.startswith("MPL-") or key == "LicenseRef-MPL-unspecified":
        return "MPL"
    if key in ("MIT", "X11", "MIT-0"):
        return "MIT"
    if key == "LicenseRef-Proprietary":
        return "Proprietary"
    return key


@lru_cache(maxsize=4096)
def expression_families(expression: str) -> frozenset[str] | None:
    """The families a notice offers as alternatives (``None`` when not a plain OR list).

    ``GPL-2.0-only OR MIT`` gives {GPL-2.0, MIT}; ``GPL-2.0-only WITH Linux-syscall-note``
    gives {GPL-2.0}; an AND expression gives ``None`` (it is not a choice).
    """
    normalized = spdx.normalize(expression)
    if normalized is None:
        return None

    def keys(node: Any) -> list[str] | None:
        kind = spdx.node_kind(node)
        if kind in ("license", "with"):
            return [spdx.leaf_license(node)]
        if kind == "or":
            out: list[str] = []
            for arg in spdx.children(node):
                sub = keys(arg)
                if sub is None:
                    return None
                out.extend(sub)
            return out
        return None  # AND: not a choice

    found = keys(spdx.tree(normalized))
    return frozenset(family(k) for k in found) if found else None


def consistent_with(raw: str, expression: str) -> bool:
    """Whether a kernel license string agrees with a file's license notice.

    They agree when the notice offers exactly the families the string names
    (``"GPL"`` with ``GPL-2.0-or-later``; ``"Dual MIT/GPL"`` with ``MIT OR GPL-2.0-only``),
    or, for ``"GPL and additional rights"``, offers GPL v2 among others. A string
    outside the kernel's table agrees with nothing.
    """
    row = lookup(raw)
    if row is None:
        return False
    families = expression_families(expression)
    if families is None:
        return False
    if row.open_families:
        return row.families <= families
    return families == row.families


_GPL_TAKES_IN = frozenset({"BSD", "MIT", "ISC", "Zlib"})
"""Families whose code may be distributed under the GPL v2 (besides the LGPL ones)."""


def marker_contradicts(raw: str, expression: str) -> bool:
    """Whether a kernel license string that disagrees with the file's notice contradicts it.

    It does not when it only asks the kernel for GPL-only symbols on code the GPL can take
    in: every family it names besides GPL is one the notice offers, and the notice offers
    GPL v2 or a license compatible with it (``"GPL"`` on a BSD-2-Clause file, ``"Dual
    BSD/GPL"`` on ``LGPL-2.1-only OR BSD-2-Clause``). It does when it claims terms the
    notice does not grant (``"Dual BSD/GPL"`` on a GPL-2.0-only file), is outside the
    kernel's table, or the notice is not a plain choice.
    """
    row = lookup(raw)
    offered = expression_families(expression)
    if row is None or offered is None or not row.gpl_compatible:
        return True
    if row.families - offered - {_GPL}:
        return True
    if _GPL in offered:
        return False
    return not any(f in _GPL_TAKES_IN or f.startswith("LGPL-") for f in offered)


__all__ = [
    "KERNEL_LICENSES",
    "KernelLicense",
    "consistent_with",
    "expression_families",
    "expression_for",
    "family",
    "lookup",
    "marker_contradicts",
]
