"""Shell command lines (Dockerfile RUN, CI ``run:`` steps, GitLab ``script:``) to components.

CONTRACT (other modules call this; keep the signature):

    scan_script(script, source, first_line, consumer, scanner, *,
                line_map=None, env=None, os_hint=None) -> ScanResult

- ``script``: the shell text. Script line i (0-based) is file line ``first_line + i``
  unless ``line_map`` gives the file line of each script line.
- ``consumer``: graph id of what runs the script (``ci-job:...``, ``dockerfile:...``);
  edges start there.
- ``env``: known variable values (Dockerfile ARG/ENV, CI ``environment:``) substituted
  before interpretation; anything still holding ``$`` is reported as ``unresolved``.
- ``os_hint``: distro of the base image (``fedora``, ``debian``...) for OS package ids.
Never raises on bad input: parse failures become Problems with path and line.

How it reads a script: bashlex parses it (whole, else one top-level line at a time); what
bashlex cannot parse (``case``, ``[[ ]]``, arithmetic, arrays...) is read by a small
quote-aware tokenizer of this package that splits commands on ``&& || ; | &`` and newlines.
Both give words with their offsets, so evidence points at the file line of the word.
Words are then expanded here (quotes, ``$VAR``, ``${VAR:-default}``); a word that still
needs an unknown variable or a command substitution is reported, never guessed.

Modules: ``words`` (quote removal and expansion), ``spans`` (where quotes and groups end),
``lexer`` (the fallback tokenizer), ``parse`` (bashlex and the fallback choice),
``interpreter`` (assignments, wrappers, nested shells; :func:`scan_script`), ``options``
(arguments and GNU option parsing), ``record`` (what handlers record), ``commands`` (command
name → handler), ``conditions`` (which branch of ``if``/``&&``/``||`` runs), ``makefile``
(the Makefiles CI runs, read by audit/ci_follow.py), and one module per family of commands:
``pip``, ``os_packages``, ``npm``, ``go``, ``gem``, ``cargo``, ``fetch`` (curl, wget, git
clone), ``docker``. ``make`` and the repository's scripts a CI step runs are recorded as
``ci-run`` nodes for audit/ci_follow.py.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.shell.interpreter import MAX_SCRIPT_CHARS as MAX_SCRIPT_CHARS
    from audit.shell.interpreter import scan_script
    from audit.shell.parse import MAX_BASHLEX_CHARS as MAX_BASHLEX_CHARS
    from audit.shell.parse import MAX_BASHLEX_TOTAL as MAX_BASHLEX_TOTAL
    from audit.shell.parse import MAX_NESTING as MAX_NESTING
    from audit.shell.words import Expansion, expand_text, expand_word

_WHERE = {
    "MAX_SCRIPT_CHARS": "interpreter",
    "scan_script": "interpreter",
    "MAX_BASHLEX_CHARS": "parse",
    "MAX_BASHLEX_TOTAL": "parse",
    "MAX_NESTING": "parse",
    "Expansion": "words",
    "expand_text": "words",
    "expand_word": "words",
}
"""The module of each name this package offers, imported on first use: the Dockerfile
scanner's module expands words at import of :mod:`audit.shell.words` alone, and a run
that reads no script (a warm one: results from the scan cache) never loads the
interpreter, its command handlers or the parser."""


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = ["Expansion", "expand_text", "expand_word", "scan_script"]
