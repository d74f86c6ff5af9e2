"""A command's expanded arguments and GNU-style option parsing over them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Arg:
    """One argument of a command after expansion."""

    value: str | None
    """The expanded word; None when it needs something unknown."""
    raw: str
    """The word as written."""
    line: int
    """File line of the word."""
    missing: tuple[str, ...] = ()
    """What the word needs that is not known (see :class:`audit.shell.words.Expansion`)."""
    partial: str = ""
    """When ``value`` is None: the word expanded as far as known, its unknown parts as
    written (``docker.io/falcosecurity/falco:x86_64-${{ inputs.tag }}``)."""


@dataclass(frozen=True)
class Opt:
    """One option, or one positional argument, of a command line."""

    flag: str | None
    """``-x`` or ``--long``; None for a positional argument."""
    value: Arg | None
    """The option's value (None for a flag without one), or the positional argument."""


def options(
    args: Sequence[Arg],
    short_val: str = "",
    long_val: Iterable[str] = (),
    *,
    stop: bool = False,
) -> list[Opt]:
    """GNU-style option parsing: clusters, ``--x=v``, ``--x v``, ``-xv``, ``--``.

    ``short_val`` are the letters of the short options that take a value, ``long_val`` the
    long ones. With ``stop``, everything after the first positional is positional (a
    sub-command's own arguments).
    """
    longs = frozenset(long_val)
    out: list[Opt] = []
    only_pos = False
    i = 0
    n = len(args)
    while i < n:
        a = args[i]
        v = a.value
        i += 1
        if only_pos or v is None or v == "-" or not v.startswith("-"):
            out.append(Opt(None, a))
            only_pos = only_pos or stop
            continue
        if v == "--":
            only_pos = True
            continue
        if v.startswith("--"):
            name, eq, val = v.partition("=")
            if eq:
                out.append(Opt(name, replace(a, value=val)))
            elif name in longs:
                out.append(Opt(name, args[i] if i < n else None))
                i += 1
            else:
                out.append(Opt(name, None))
            continue
        for j in range(1, len(v)):
            ch = v[j]
            if ch in short_val:
                rest = v[j + 1 :]
                if rest:
                    out.append(Opt("-" + ch, replace(a, value=rest.removeprefix("="))))
                else:
                    out.append(Opt("-" + ch, args[i] if i < n else None))
                    i += 1
                break
            out.append(Opt("-" + ch, None))
    return out


def positionals(opts: Iterable[Opt]) -> list[Arg]:
    """The positional arguments, in order."""
    return [o.value for o in opts if o.flag is None and o.value is not None]


def last(opts: Iterable[Opt], *flags: str) -> Opt | None:
    """The last occurrence of any of ``flags`` (the one a command line honours)."""
    found = None
    for o in opts:
        if o.flag in flags:
            found = o
    return found
