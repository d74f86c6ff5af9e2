"""The variables a script sees: the caller's values, and what the script sets or unsets.

A :class:`Scope` is made in O(1) whatever the size of the caller's mapping (a Dockerfile
stage with thousands of ``ENV`` values, scanned once per ``RUN``), and never changes it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping


class Scope(MutableMapping[str, str]):
    """``base`` (read only; values that are not strings are not seen) with changes on top."""

    def __init__(self, base: Mapping[str, object] | None = None) -> None:
        self._base: Mapping[str, object] = base if base is not None else {}
        self._own: dict[str, str] = {}
        self._gone: set[str] = set()

    def __getitem__(self, key: str) -> str:
        if key in self._own:
            return self._own[key]
        if key not in self._gone:
            value = self._base.get(key)
            if isinstance(value, str):
                return value
        raise KeyError(key)

    def __setitem__(self, key: str, value: str) -> None:
        self._own[key] = value
        self._gone.discard(key)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._own.pop(key, None)
        self._gone.add(key)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if key in self._own:
            return True
        return key not in self._gone and isinstance(self._base.get(key), str)

    def __iter__(self) -> Iterator[str]:
        yield from self._own
        for key, value in self._base.items():
            if key not in self._own and key not in self._gone and isinstance(value, str):
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)
