"""The Linux kernel's UAPI headers a tree's userspace code includes: one component per tree.

Userspace C, C++ and cgo that ``#include <linux/…>`` compile the kernel's UAPI headers
(``include/uapi/linux/`` of the kernel, installed on the build machine by its kernel
headers package: linux-libc-dev, kernel-headers, linux-headers) into the binaries the
project ships. Their SPDX tags say ``GPL-2.0 WITH Linux-syscall-note``; the note says a
program that uses the kernel's services through normal system calls is not a derived work,
but the license is not on the CNCF allowlist: the foundation decides such uses through
exceptions (containerd's for ``linux/btrfs.h``, exc-2024-10-23-006, names "Linux kernel
uapi headers"). So they are one ``source`` component of the tree, ``linux-uapi-headers``,
evaluated like any other, with every including line as evidence.

The scanner (:mod:`audit.scanners.uapi`) records the include lines; this stage keeps those
that are userspace code:

- not kernel code: a file whose own notices mark it a kernel module or an eBPF program, or
  that lies in a ``source`` unit of context ``kernel-module`` or ``ebpf`` (its kernel
  headers are the kernel's own, not UAPI: ``<linux/module.h>`` in a driver);
- not an in-tree UAPI copy (a file whose notices carry the Linux-syscall-note: it is its
  own component already) and not a header the tree has itself (``<linux/scap_cgroup.h>``
  where the tree holds ``userspace/libscap/linux/scap_cgroup.h``).

The component's context is ``userspace`` when a file outside test directories includes a
header, else ``test`` (only tests use them: internal tooling). Its properties:
``headers`` (the ``linux/…`` headers), ``files``, ``test_files`` (test files that include
some too, not in the evidence when userspace code does), ``system_headers`` = ``linux-uapi``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection
from dataclasses import replace

from audit.context import is_test_path
from audit.model import ComponentKind, Evidence, Inventory
from audit.scanners.uapi import COMPONENT_ID

LICENSE = "GPL-2.0-only WITH Linux-syscall-note"
LICENSE_FROM = (
    "the Linux kernel's UAPI headers (include/uapi/ of the kernel, installed by the build "
    "machine's kernel headers package) carry SPDX-License-Identifier: GPL-2.0 WITH "
    "Linux-syscall-note"
)
UPSTREAM = "Linux kernel UAPI headers"
URL = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/include/uapi/linux"
_KERNEL = frozenset({"kernel-module", "ebpf"})
_MARKERS = frozenset({"module-license", "ebpf-section", "ebpf-program"})
_HEADER = re.compile(r"<(linux/[^>]+)>")
_MAX_EVIDENCE = 200


def own_headers(paths: Collection[str]) -> frozenset[str]:
    """``linux/…`` names the tree can satisfy itself: every path below a ``linux``
    directory (``userspace/libscap/linux/scap_cgroup.h`` gives ``linux/scap_cgroup.h``)."""
    out: set[str] = set()
    for path in paths:
        parts = path.split("/")
        for i, part in enumerate(parts[:-1]):
            if part == "linux":
                out.add("/".join(parts[i:]))
    return frozenset(out)


def _unit_contexts(inventory: Inventory) -> dict[str, set[str]]:
    """Directory (``""`` for the root) -> contexts of the source units there."""
    out: dict[str, set[str]] = {}
    for c in inventory.components:
        directory = c.prop("directory")
        context = c.prop("context")
        if c.kind == ComponentKind.SOURCE and directory is not None and context:
            out.setdefault("" if directory == "." else directory, set()).add(context)
    return out


def _kernel_dir(units: dict[str, set[str]], path: str) -> bool:
    """Whether the nearest source unit above ``path`` is kernel code (all its units are)."""
    d = posixpath.dirname(path)
    while True:
        found = units.get(d)
        if found:
            return found <= _KERNEL
        if not d:
            return False
        d = posixpath.dirname(d)


def linux_uapi_headers(inventory: Inventory, paths: Collection[str]) -> Inventory:
    """``inventory`` with the scanner's include lines (:data:`COMPONENT_ID`) replaced by the
    tree's one ``linux-uapi-headers`` component, or by nothing when no userspace code
    includes a UAPI header (see the module docstring)."""
    found = [c for c in inventory.components if c.id == COMPONENT_ID]
    if not found:
        return inventory
    others = tuple(c for c in inventory.components if c.id != COMPONENT_ID)
    kernel_files: set[str] = set()
    copies: set[str] = set()
    for n in inventory.notices:
        if n.kind in _MARKERS:
            kernel_files.add(n.path)
        elif n.expression and "Linux-syscall-note" in n.expression:
            copies.add(n.path)
    units = _unit_contexts(inventory)
    tree_has = own_headers(paths)
    kept: dict[bool, list[tuple[Evidence, str]]] = {True: [], False: []}
    verdicts: dict[str, bool] = {}
    for e in sorted({e for c in found for e in c.evidence}):
        m = _HEADER.search(e.text)
        if m is None or m.group(1) in tree_has or e.path in copies or e.path in kernel_files:
            continue
        if e.path not in verdicts:
            verdicts[e.path] = _kernel_dir(units, e.path)
        if not verdicts[e.path]:
            kept[is_test_path(e.path)].append((e, m.group(1)))
    chosen = kept[False] or kept[True]
    if not chosen:
        return replace(inventory, components=others)
    userspace = bool(kept[False])
    files = sorted({e.path for e, _ in chosen})
    test_files = sorted({e.path for e, _ in kept[True]}) if userspace else []
    first = chosen[0][0]
    if userspace:
        reason = (
            f"userspace code includes them ({first.location}"
            + (f" and {len(files) - 1} more files" if len(files) > 1 else "")
            + "): compiled into what the project builds"
        )
    else:
        reason = f"only test code includes them ({first.location}): not shipped"
    props = {
        "context": "userspace" if userspace else "test",
        "context_reason": reason,
        "files": str(len(files)),
        "headers": ", ".join(sorted({h for _, h in chosen})),
        "license": LICENSE,
        "license_from": LICENSE_FROM,
        "purpose": (
            "The Linux kernel's user-space API headers ("
            + ", ".join(sorted({h for _, h in chosen})[:8])
            + (", ..." if len({h for _, h in chosen}) > 8 else "")
            + "): constants and structures of the system calls the code makes"
        ),
        "upstream": UPSTREAM,
        "url": URL,
        "system_headers": "linux-uapi",
        "test_files": str(len(test_files)) if test_files else "",
    }
    component = replace(
        found[0],
        evidence=tuple(e for e, _ in chosen[:_MAX_EVIDENCE]),
        properties=tuple(sorted((k, v) for k, v in props.items() if v)),
    )
    components = tuple(sorted((*others, component), key=lambda c: c.id))
    return replace(inventory, components=components)


__all__ = ["LICENSE", "linux_uapi_headers", "own_headers"]
