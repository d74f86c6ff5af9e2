"""SHA-256 of the short texts depaudit hashes into keys and file names, without OpenSSL.

:mod:`hashlib`'s SHA-256 is OpenSSL's, and importing :mod:`hashlib` loads libcrypto: 2.5 to
6.5 ms of a process's start. That pays where much data is hashed (the scan's file
contents, the scan cache's body: OpenSSL is several times faster there), not for the
short texts hashed before a scan starts and around it (a license database's version and
install time, a tree's root, the bundled license texts, a CMake file, request headers).
Those use the interpreter's own SHA-256 (module ``_sha2`` from Python 3.12, ``_sha256``
before), which gives the same digests; where it is not built in, :mod:`hashlib`'s.
"""

from __future__ import annotations

import importlib
from typing import Protocol


class Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


class _Constructor(Protocol):
    def __call__(self, data: bytes = ..., /) -> Hash: ...


def _builtin() -> _Constructor:
    for name in ("_sha2", "_sha256"):  # Python 3.12 on, 3.10 and 3.11
        try:
            constructor: _Constructor = importlib.import_module(name).sha256
        except (ImportError, AttributeError):
            continue
        return constructor
    import hashlib

    return hashlib.sha256


sha256 = _builtin()
"""``sha256(data=b"")``: a SHA-256 object (``update``, ``hexdigest``), as
:func:`hashlib.sha256` makes."""


__all__ = ["Hash", "sha256"]
