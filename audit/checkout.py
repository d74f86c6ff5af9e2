"""Is a local checkout (``--source NAME=PATH``) at the commit its parent pins?

The parent tree pins a bundled component at a version: a commit (``GIT_TAG <sha>``, an
archive URL of a commit, a submodule's gitlink) or a tag. When ``PATH`` is the top of a git
work tree, its ``HEAD`` is read (through :mod:`audit.safegit`: no hook, no fsmonitor, no
fetch) and compared: a commit pin must be a prefix of ``HEAD``; a tag or branch pin
(``v``-prefixed too) must resolve, in the checkout, to ``HEAD``. A checkout that is not a
git work tree of its own (a plain directory, a sub-directory of another repository) cannot
be checked, and the answer says so. Uncommitted changes are not looked at.

:func:`pin_location` finds the line that writes the pin, for the Problem of a mismatch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from audit.model import Evidence
from audit.safegit import head_commit, resolve_commit, work_tree_at

SHORT = 12
_HEX = re.compile(r"[0-9a-fA-F]{7,64}")
_NEAR = 40
"""Lines after a declaration searched for its pin before the whole file is."""


@dataclass(frozen=True)
class CheckoutCommit:
    """What comparing a checkout's ``HEAD`` with the pin gave."""

    head: str | None
    """The checkout's ``HEAD`` commit, when it could be read."""
    matches: bool | None
    """True: at the pin; False: at another commit; None: not checked (``note`` says why)."""
    note: str
    """For reports: ``at 4d4e1f3f2c86, the pinned commit``, ``commit not checked: ...``."""
    resolved: str = ""
    """For a tag or branch pin: ``v1.2 is <commit>`` in the checkout."""

    def describe(self, shown: str) -> str:
        """``local checkout <shown> at …`` / ``local checkout <shown>, commit not checked: …``."""
        sep = " " if self.note.startswith("at ") else ", "
        return f"local checkout {shown}{sep}{self.note}"


def _candidates(pin: str) -> list[str]:
    refs = [pin]
    if not _HEX.fullmatch(pin) and not pin.startswith("v"):
        refs.append(f"v{pin}")
    return refs


def check_checkout(path: Path, pin: str | None) -> CheckoutCommit:
    """Compare the ``HEAD`` of the checkout at ``path`` with ``pin`` (the parent's version)."""
    tree = work_tree_at(path)
    if tree.top is None:
        return CheckoutCommit(None, None, f"commit not checked: {tree.reason}")
    head, reason = head_commit(tree.top)
    if head is None:
        return CheckoutCommit(None, None, f"commit not checked: {reason}")
    short = head[:SHORT]
    if not pin:
        return CheckoutCommit(head, None, f"at {short}, nothing pinned to compare with")
    if _HEX.fullmatch(pin):
        if head.startswith(pin.lower()):
            return CheckoutCommit(head, True, f"at {short}, the pinned commit")
        if resolve_commit(tree.top, pin) == head:  # a tag that looks like a commit (20230802)
            return CheckoutCommit(head, True, f"at {short}, the pinned {pin}")
        return CheckoutCommit(head, False, f"at {short}, not the pinned commit {pin}")
    for ref in _candidates(pin):
        resolved = resolve_commit(tree.top, ref)
        if resolved == head:
            return CheckoutCommit(head, True, f"at {short}, the pinned {ref}")
        if resolved is not None:
            return CheckoutCommit(
                head,
                False,
                f"at {short}, not the pinned {ref} ({resolved[:SHORT]})",
                f"{ref} is {resolved}",
            )
    return CheckoutCommit(
        head,
        None,
        f"at {short}, commit not checked: {pin} is not a tag or branch of the checkout",
    )


def _token(version: str) -> re.Pattern[str]:
    """``version`` standing alone: not inside a longer word, version or path segment."""
    return re.compile(rf"(?<![\w.\-]){re.escape(version)}(?![\w\-]|\.\d)")


def pin_location(
    version: str, evidence: Sequence[Evidence], read: Callable[[str], str | None]
) -> tuple[str, int] | None:
    """``(path, line)`` of the line that writes ``version`` for a component declared by
    ``evidence``: an evidence line that holds it, else the first line holding it in the
    ``_NEAR`` lines from the declaration, else anywhere in that file (a ``set()`` of the
    version variable above it), else the declaration. ``read(path)`` gives a file's text."""
    if not evidence:
        return None
    token = _token(version)
    for e in evidence:
        if token.search(e.text):
            return e.path, e.line
    first = evidence[0]
    text = read(first.path)
    if text is not None:
        lines = text.splitlines()
        start = max(first.line - 1, 0)
        near = range(start, min(len(lines), start + _NEAR))
        for n in (*near, *range(len(lines))):
            if token.search(lines[n]):
                return first.path, n + 1
    return first.path, first.line


__all__ = ["CheckoutCommit", "check_checkout", "pin_location"]
