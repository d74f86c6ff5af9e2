"""Go modules: ``go install path@version``, ``go get path[@version]``, ``go run path@version``."""

from __future__ import annotations

import re

from audit.components import package_component
from audit.model import Relation
from audit.shell.options import Arg
from audit.shell.record import Recorder

_GO_VALUE_FLAGS = frozenset(
    {
        "-C", "-p", "-o", "-ldflags", "-gcflags", "-asmflags", "-tags", "-mod", "-modfile",
        "-pkgdir", "-toolexec", "-buildmode", "-compiler", "-gccgoflags", "-installsuffix",
        "-overlay", "-pgo", "-covermode", "-coverpkg", "-exec",
    }
)  # fmt: skip


def go(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    if not args or args[0].value not in ("install", "get", "run"):
        return
    sub = args[0].value
    pos: list[Arg] = []
    i = 1
    while i < len(args):
        a = args[i]
        v = a.value
        i += 1
        if v is not None and v.startswith("-") and not pos:
            flag = "-" + v.lstrip("-")
            if "=" not in flag and flag in _GO_VALUE_FLAGS:
                i += 1
            continue
        pos.append(a)
    if sub == "run":
        pos = pos[:1]
    for arg in pos:
        v = arg.value
        if v is None:
            if sub != "run":
                rec.unresolved(arg, full)
            continue
        path, at, version = v.partition("@")
        if not at and sub != "get":
            continue
        first = path.split("/", 1)[0]
        if path.startswith((".", "/")) or "." not in first or version == "none":
            continue
        ev = rec.evidence(arg.line)
        module = _go_module(path)
        props = {"package": path} if module != path else {}
        exact = version if re.fullmatch(r"v\d+\.\d+\.\d+\S*", version) else None
        if version and not exact:
            props["constraint"] = version
        comp = package_component("golang", module, exact, (ev,), props)
        rec.emit(comp, Relation.INSTALLS, ev)


def _go_module(path: str) -> str:
    """The module of a package path on hosts whose module layout is fixed."""
    parts = path.split("/")
    if parts[0] in ("github.com", "gitlab.com", "bitbucket.org") and len(parts) > 3:
        keep = 4 if re.fullmatch(r"v\d+", parts[3]) else 3
        return "/".join(parts[:keep])
    if parts[:2] == ["golang.org", "x"] and len(parts) > 3:
        return "/".join(parts[:3])
    return path
