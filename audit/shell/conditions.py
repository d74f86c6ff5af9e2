"""Shell test commands (``[ A = B ]``, ``test -n A``, ``[[ A == pat ]]``) evaluated on known values.

Only what can be decided from the words alone: string comparison, ``-n``/``-z``, a lone
string, ``!``, ``true`` and ``false``. Anything else (file tests, numbers, ``-a``/``-o``,
a word whose value is not known) is undecided, and the guarded command is read as if the
condition held: the safe side for an audit (what might be fetched is counted).
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

_CLOSE = {"[": "]", "[[": "]]"}


def evaluate(values: Sequence[str | None]) -> bool | None:
    """Whether the test command whose expanded words are ``values`` succeeds; None when it
    cannot be decided here (see the module docstring)."""
    if not values or any(v is None for v in values):
        return None
    words = [v for v in values if v is not None]
    head = words[0]
    if head in ("true", ":"):
        return True
    if head == "false":
        return False
    if head in _CLOSE:
        if words[-1] != _CLOSE[head]:
            return None
        body = words[1:-1]
    elif head == "test":
        body = words[1:]
    else:
        return None
    negate = body[:1] == ["!"]
    if negate:
        body = body[1:]
    result = _test(body, pattern=head == "[[")
    return None if result is None else result != negate


def _test(body: list[str], *, pattern: bool) -> bool | None:
    if len(body) == 3 and body[1] in ("=", "==", "!="):
        left, op, right = body
        same = fnmatchcase(left, right) if pattern else left == right
        return same if op != "!=" else not same
    if len(body) == 2 and body[0] in ("-n", "-z"):
        return bool(body[1]) if body[0] == "-n" else not body[1]
    if len(body) == 1:
        return bool(body[0])
    return None
