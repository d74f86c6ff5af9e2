"""bashlex, imported with its parser tables kept between runs.

bashlex 0.18 builds the LALR tables of its shell grammar each time it is imported (about
0.13 s, in every process that reads a script depaudit's own reader leaves to it): its yacc
never reads tables back. The tables are plain data (state -> token -> action, state ->
symbol -> state) that depend only on the grammar. :func:`load` imports bashlex with yacc's
table builder replaced, for the length of that import, by one that takes the tables from
``<cache dir>/bashlex/<key>.bin`` when they were kept for this very grammar (the key: its
productions, precedence and start, and the installed yacc module), and otherwise builds them
as bashlex does and keeps them.

The file is read only when it is the user's own, whole and checks
(:func:`audit.licenses.cachefile.read`), and its tables are used only when every state and
production they name exists; anything else builds them again. Without a cache directory,
or where anything about the import differs from what this module expects, bashlex is
imported as it is.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from audit.keyhash import sha256

log = logging.getLogger(__name__)

FORMAT = "depaudit/bashlex-tables/1"

Tables = tuple[dict[int, dict[str, int | None]], dict[int, dict[str, int]]]
"""yacc's action and goto tables."""


def load(cache_dir: Path | None) -> ModuleType:
    """The ``bashlex`` module, imported now (with the tables kept in ``cache_dir``) unless
    it already is."""
    found = sys.modules.get("bashlex")
    if found is not None:
        return found
    spec = importlib.util.find_spec("bashlex")
    if cache_dir is None or spec is None or spec.loader is None:
        return importlib.import_module("bashlex")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bashlex"] = module  # its submodules are found through its __path__
    try:
        yacc: Any = importlib.import_module("bashlex.yacc")
        builder = getattr(yacc, "LRTable", None)
        if not isinstance(builder, type):
            raise ImportError("bashlex.yacc has no LRTable")
        yacc.LRTable = _kept(builder, yacc, cache_dir)
        try:
            spec.loader.exec_module(module)
        finally:
            yacc.LRTable = builder
    except Exception as exc:  # as bashlex is, without kept tables
        log.debug("bashlex imported without kept tables: %s", exc)
        for name in [n for n in sys.modules if n == "bashlex" or n.startswith("bashlex.")]:
            del sys.modules[name]
        return importlib.import_module("bashlex")
    return module


def _kept(builder: type, yacc: Any, cache_dir: Path) -> type:
    """A subclass of yacc's ``LRTable`` whose tables come from ``cache_dir`` when kept
    there for the grammar it is given."""

    class Kept(builder):  # type: ignore[misc]
        lr_action: dict[int, dict[str, int | None]]
        lr_goto: dict[int, dict[str, int]]

        def __init__(self, grammar: Any, log: Any = None) -> None:
            key = grammar_key(grammar, _made_by(yacc))
            path = cache_dir / "bashlex" / f"{key[:32]}.bin"
            tables = _read(path, key, len(grammar.Productions))
            if tables is None:
                super().__init__(grammar, log)
                _write(path, key, (self.lr_action, self.lr_goto))
                return
            # Of what LRTable.__init__ sets, what is read afterwards: the parser reads the
            # productions and the two tables; yacc() the conflicts (only in debug mode,
            # which bashlex does not use: none are computed here).
            self.grammar = grammar
            self.log = log
            self.lr_action, self.lr_goto = tables
            self.lr_productions = grammar.Productions
            self.sr_conflicts: list[Any] = []
            self.rr_conflicts: list[Any] = []

    return Kept


def _made_by(yacc: Any) -> str:
    """The installed yacc module (its path, size and time: another bashlex, another key)."""
    try:
        st = Path(yacc.__file__ or "").stat()
    except OSError:
        return str(yacc.__file__)
    return f"{yacc.__file__}/{st.st_size}/{st.st_mtime_ns}"


def grammar_key(grammar: Any, version: str) -> str:
    """What the tables of ``grammar`` depend on: its productions in order, the precedence
    of its terminals, its start symbol, and the yacc that builds them (``version``); a hex
    digest."""
    parts = [
        version,
        str(getattr(grammar, "Start", "")),
        repr(sorted(getattr(grammar, "Precedence", {}).items())),
        *(str(p) for p in grammar.Productions),
    ]
    return sha256("\n".join(parts).encode()).hexdigest()


def _read(path: Path, key: str, productions: int) -> Tables | None:
    from audit.licenses import cachefile

    loaded = cachefile.read(FORMAT, key, path, mine=True)
    if loaded is None:
        return None
    value = loaded.value
    if not (isinstance(value, tuple) and len(value) == 2):
        return None
    action, goto = value
    return (action, goto) if valid(action, goto, productions) else None


def valid(action: Any, goto: Any, productions: int) -> bool:
    """Whether ``action`` and ``goto`` are tables of states ``0..n-1`` whose every entry
    names one of them, or (``action``'s negative entries: reduce by that production) one
    of ``productions`` productions, or (``action``'s ``None``: an error, as yacc writes a
    non-associative clash): what the parser indexes with them."""
    if not isinstance(action, dict) or not isinstance(goto, dict) or not action:
        return False
    states = len(action)
    if set(action) != set(range(states)) or not set(goto) <= set(action):
        return False
    for table, lowest in ((action, -(productions - 1)), (goto, 0)):
        for row in table.values():
            if not isinstance(row, dict):
                return False
            for symbol, target in row.items():
                if type(symbol) is not str:
                    return False
                if target is None and table is action:
                    continue
                if type(target) is not int or not lowest <= target < states:
                    return False
    return True


def _write(path: Path, key: str, tables: Tables) -> None:
    from audit.licenses import cachefile

    cachefile.write(path, cachefile.dump(FORMAT, key, tables))


__all__ = ["FORMAT", "grammar_key", "load", "valid"]
