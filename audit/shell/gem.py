"""Ruby gems: ``gem install name[:version]`` with ``-v``/``--version``."""

from __future__ import annotations

import re

from audit.components import package_component
from audit.model import Relation
from audit.shell.options import Arg, last, options, positionals
from audit.shell.record import Recorder

_GEM_LONG = frozenset(
    {
        "--version", "--install-dir", "--bindir", "--source", "--http-proxy", "--platform",
        "--file", "--build-root", "--trust-policy", "--document",
    }
)  # fmt: skip


def gem(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    opts = options(args, "vinspgP", _GEM_LONG)
    pos = positionals(opts)
    if not pos or pos[0].value not in ("install", "i"):
        return
    version_opt = last(opts, "-v", "--version")
    vv: str | None = None
    if version_opt is not None and version_opt.value is not None:
        if version_opt.value.value is None:
            rec.unresolved(version_opt.value, full)
            return
        vv = version_opt.value.value
    for arg in pos[1:]:
        v = arg.value
        if v is None:
            rec.unresolved(arg, full)
            continue
        if v.endswith(".gem") or v.startswith((".", "/", "~")):
            continue
        name, _, spec = v.partition(":")
        spec = spec or vv or ""
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
            continue
        ev = rec.evidence(arg.line)
        props: dict[str, str] = {}
        version = None
        if re.fullmatch(r"=?\s*\d+(?:\.[0-9A-Za-z]+)*", spec):
            version = spec.lstrip("= ")
        elif spec:
            props["constraint"] = spec
        rec.emit(package_component("gem", name, version, (ev,), props), Relation.INSTALLS, ev)
