"""JSON text indented by two spaces, byte for byte what ``json.dumps(doc, indent=2)`` writes.

The standard library encodes with its C encoder only without ``indent``; with an indent it
falls back to a pure-Python generator that costs about twice as much on a large report.
Here the structure is walked in Python, but every container whose members are all scalars
(most of a report: evidence, properties, verdicts) and every scalar is encoded by the C
encoder in one call, with an item separator that carries the line break and the indent of
its depth.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any

# CPython's C encoder (None on interpreters without it: they get the standard encoder);
# the stubs do not declare it
c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)

_INDENT = "  "
_Encoder = Callable[[Any, int], Any]


def dumps(doc: Any, *, ensure_ascii: bool = True) -> str:
    """``json.dumps(doc, indent=2, ensure_ascii=ensure_ascii)``, faster.

    ``doc`` holds what ``json.dumps`` takes without a ``default``: dicts with string keys,
    lists, tuples, strings, numbers, booleans and None (anything else raises its
    ``TypeError``)."""
    if c_make_encoder is None:  # pragma: no cover
        return json.dumps(doc, indent=2, ensure_ascii=ensure_ascii)
    return _Writer(ensure_ascii).dumps(doc)


class _Writer:
    def __init__(self, ensure_ascii: bool) -> None:
        self.quote = encode_basestring_ascii if ensure_ascii else encode_basestring
        self.flat: dict[int, _Encoder] = {}
        self.scalar = self._encoder(",")

    def _encoder(self, item_separator: str) -> _Encoder:
        assert c_make_encoder is not None
        # the arguments of json.JSONEncoder's own one-shot C encoder (no default: a value
        # JSON cannot hold raises TypeError, as json.dumps does)
        encoder: _Encoder = c_make_encoder(
            {}, _unserializable, self.quote, None, ": ", item_separator, False, False, True
        )
        return encoder

    def _flat(self, depth: int) -> _Encoder:
        """The encoder of a container of scalars whose members sit at ``depth``."""
        got = self.flat.get(depth)
        if got is None:
            got = self.flat[depth] = self._encoder(",\n" + _INDENT * depth)
        return got

    def dumps(self, doc: Any) -> str:
        out: list[str] = []
        self._write(doc, 0, out)
        return "".join(out)

    def _write(self, value: Any, depth: int, out: list[str]) -> None:
        if isinstance(value, str):
            out.append(self.quote(value))
            return
        if isinstance(value, dict):
            members: Any = value.values()
        elif isinstance(value, (list, tuple)):
            members = value
        else:
            out.append("".join(self.scalar(value, 0)))
            return
        if not value:
            out.append("{}" if isinstance(value, dict) else "[]")
            return
        inner = depth + 1
        pad = "\n" + _INDENT * inner
        for member in members:
            if isinstance(member, (dict, list, tuple)):
                break
        else:  # members all scalars: one call of the C encoder, indented by its separator
            text = "".join(self._flat(inner)(value, 0))
            out.append(f"{text[0]}{pad}{text[1:-1]}\n{_INDENT * depth}{text[-1]}")
            return
        separator = "," + pad
        lead = pad
        if isinstance(value, dict):
            out.append("{")
            for key, member in value.items():
                out.append(lead)
                lead = separator
                out.append(self.quote(key) if isinstance(key, str) else self._key(key))
                out.append(": ")
                self._write(member, inner, out)
            out.append(f"\n{_INDENT * depth}}}")
        else:
            out.append("[")
            for member in value:
                out.append(lead)
                lead = separator
                self._write(member, inner, out)
            out.append(f"\n{_INDENT * depth}]")

    def _key(self, key: Any) -> str:
        """A key that is not a string, as ``json.dumps`` writes it (``1`` -> ``"1"``)."""
        text = "".join(self.scalar({key: None}, 0))
        return text[1 : text.rindex(": ")]


def _unserializable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
