"""Rust crates: ``cargo install``/``cargo binstall`` from crates.io or ``--git``."""

from __future__ import annotations

import re

from audit.components import git_component, package_component
from audit.model import Relation
from audit.shell.options import Arg, last, options, positionals
from audit.shell.record import Recorder

_CARGO_LONG = frozenset(
    {
        "--version", "--vers", "--git", "--branch", "--tag", "--rev", "--path", "--root",
        "--registry", "--index", "--target", "--target-dir", "--features", "--profile",
        "--jobs", "--bin", "--example", "--config",
    }
)  # fmt: skip
_REF_FLAGS = ("--version", "--vers", "--git", "--tag", "--branch", "--rev")


def cargo(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    while args and args[0].value and args[0].value.startswith("+"):
        args = args[1:]
    opts = options(args, "FjZ", _CARGO_LONG)
    pos = positionals(opts)
    if not pos or pos[0].value not in ("install", "binstall"):
        return
    if last(opts, "--path") is not None:
        return
    for o in opts:
        if o.value is not None and o.value.value is None and o.flag in _REF_FLAGS:
            rec.unresolved(o.value, full)
            return
    git = last(opts, "--git")
    if git is not None and git.value is not None and git.value.value:
        ref_opt = last(opts, "--tag", "--rev", "--branch")
        ref = ref_opt.value.value if ref_opt and ref_opt.value else None
        ev = rec.evidence(git.value.line)
        props = {"package": ",".join(a.value for a in pos[1:] if a.value)}
        comp = git_component(git.value.value, (ev,), ref=ref, props=props)
        rec.emit(comp, Relation.INSTALLS, ev)
        return
    vopt = last(opts, "--version", "--vers")
    vflag = vopt.value.value if vopt and vopt.value else None
    for arg in pos[1:]:
        v = arg.value
        if v is None:
            rec.unresolved(arg, full)
            continue
        name, _, spec = v.partition("@")
        spec = spec or vflag or ""
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
            continue
        ev = rec.evidence(arg.line)
        props = {}
        version = None
        if re.fullmatch(r"=?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.\-+]*)?", spec):
            version = spec.lstrip("=")
        elif spec:
            props["constraint"] = spec
        rec.emit(package_component("cargo", name, version, (ev,), props), Relation.INSTALLS, ev)
