"""Python packages: ``pip install`` (also ``python -m pip``, ``pipx``, ``uv pip``/``uv tool``)."""

from __future__ import annotations

import re

from audit.components import download_component, manifest_id, package_component
from audit.model import Edge, Relation
from audit.shell.fetch import vcs
from audit.shell.options import Arg, options, positionals
from audit.shell.record import Recorder, norm_path
from audit.shell.words import short

_ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".egg")
_PIP_SHORT = "rceitfCb"
_PIP_LONG = frozenset(
    {
        "--requirement", "--constraint", "--editable", "--index-url", "--extra-index-url",
        "--find-links", "--target", "--prefix", "--root", "--src", "--upgrade-strategy",
        "--platform", "--python-version", "--implementation", "--abi", "--trusted-host",
        "--proxy", "--retries", "--timeout", "--cache-dir", "--log", "--log-file",
        "--global-option", "--install-option", "--config-settings", "--progress-bar",
        "--root-user-action", "--only-binary", "--no-binary", "--report", "--python",
        "--exists-action", "--cert", "--client-cert", "--keyring-provider",
        "--use-feature", "--use-deprecated", "--build", "--build-option", "--group",
    }
)  # fmt: skip


def python(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    """``python [options] -m pip|pipx ...``."""
    i = 0
    while i < len(args):
        v = args[i].value
        if v is None:
            return
        if v == "-m" and i + 1 < len(args):
            module, rest = args[i + 1].value, args[i + 2 :]
            break
        if v.startswith("-m") and len(v) > 2:
            module, rest = v[2:], args[i + 1 :]
            break
        if v in ("-W", "-X"):
            i += 2
            continue
        if v.startswith("-") and v not in ("-c", "-"):
            i += 1
            continue
        return
    else:
        return
    if module in ("pip", "pipx"):
        pip(rec, rest, full)


def uv(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    if args and args[0].value in ("pip", "tool"):
        pip(rec, args[1:], full)


def pip(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    """``pip install``: requirements, ``-e`` specs, and ``-r``/``-c`` files as edges."""
    opts = options(args, _PIP_SHORT, _PIP_LONG)
    pos = positionals(opts)
    if not pos or pos[0].value != "install":
        return
    first = pos[0]
    for o in opts:
        if o.flag is None:
            if o.value is not first:
                _requirement(rec, o.value, full)
        elif o.flag in ("-r", "--requirement", "-c", "--constraint"):
            if o.value is None:
                continue
            if o.value.value is None:
                rec.unresolved(o.value, full)
                continue
            ev = rec.evidence(o.value.line)
            target = manifest_id(norm_path(o.value.value))
            rec.edges.append(Edge(rec.consumer, target, Relation.INCLUDES, ev, f"pip {o.flag}"))
        elif o.flag in ("-e", "--editable") and o.value is not None:
            _requirement(rec, o.value, full)


def _requirement(rec: Recorder, arg: Arg | None, full: list[Arg]) -> None:
    """One requirement argument; local paths and archives are not components."""
    if arg is None:
        return
    v = arg.value
    if v is None:
        rec.unresolved(arg, full)
        return
    low = v.lower()
    ev = rec.evidence(arg.line)
    if re.match(r"(git|hg|svn|bzr)\+", low):
        vcs(rec, v, ev, {})
        return
    if low.startswith(("http://", "https://", "ftp://")):
        rec.emit(download_component(v, (ev,)), Relation.INSTALLS, ev)
        return
    if low.startswith("file:"):
        return
    if "@" not in v and (
        "/" in v or "\\" in v or v.startswith((".", "~")) or low.endswith(_ARCHIVE_SUFFIXES)
    ):
        return
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(v)
    except InvalidRequirement:
        rec.problem(arg.line, "parse-error", f"pip: `{short(v, 80)}` is not a requirement")
        return
    props: dict[str, str] = {}
    if req.extras:
        props["extras"] = ",".join(sorted(req.extras))
    if req.marker is not None:
        props["marker"] = str(req.marker)
    if req.url:
        if req.url.lower().startswith("git+"):
            vcs(rec, req.url, ev, {"package": req.name, **props})
        elif not req.url.lower().startswith("file:"):
            comp = download_component(req.url, (ev,), name=req.name, props=props)
            rec.emit(comp, Relation.INSTALLS, ev)
        return
    specs = list(req.specifier)
    version = None
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        version = specs[0].version
    elif specs:
        props["constraint"] = str(req.specifier)
    rec.emit(package_component("pypi", req.name, version, (ev,), props), Relation.INSTALLS, ev)
