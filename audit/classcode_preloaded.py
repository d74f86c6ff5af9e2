"""Imported first by the scan's fork server (:func:`audit.scan._context`): importing this
module lets the server define depaudit's data classes from the code kept by earlier runs
(:mod:`audit.classcode`), as the command line does, before it imports the scanners. The
server only reads that code; the command line keeps what is new."""

from __future__ import annotations

from audit import classcode

classcode.install()

__all__: list[str] = []
