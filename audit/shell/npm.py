"""JavaScript packages: ``npm install``, ``yarn add``/``yarn global add``, ``pnpm add``."""

from __future__ import annotations

import re
from collections.abc import Iterable

from audit.components import download_component, git_component, package_component
from audit.model import Relation
from audit.shell.fetch import vcs
from audit.shell.options import Arg, Opt, options, positionals
from audit.shell.record import Recorder

_JS_LONG = frozenset(
    {
        "--prefix", "--registry", "--workspace", "--tag", "--cache", "--userconfig",
        "--globalconfig", "--omit", "--include", "--install-strategy", "--loglevel",
        "--cache-folder", "--modules-folder", "--global-folder", "--network-timeout",
        "--mutex", "--cwd", "--filter", "--dir", "--store-dir", "--reporter",
    }
)  # fmt: skip
_NPM_INSTALL = frozenset(
    {"install", "i", "add", "in", "ins", "inst", "insta", "instal", "isnt", "isnta",
     "isntal", "isntall"}
)  # fmt: skip
_NPM_NAME = re.compile(r"(@[a-z0-9][\w.~\-]*/)?[a-z0-9~][\w.~\-]*")
_SEMVER = re.compile(r"v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+\-]*)?")


def npm(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    opts = options(args, "wCF", _JS_LONG)
    pos = positionals(opts)
    if not pos or pos[0].value not in _NPM_INSTALL:
        return
    _specs(rec, pos[1:], full, _is_global(opts))


def yarn(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    opts = options(args, "", _JS_LONG)
    pos = positionals(opts)
    if len(pos) >= 2 and pos[0].value == "global" and pos[1].value == "add":
        _specs(rec, pos[2:], full, True)
    elif pos and pos[0].value == "add":
        _specs(rec, pos[1:], full, False)


def pnpm(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    opts = options(args, "CF", _JS_LONG)
    pos = positionals(opts)
    if pos and pos[0].value in ("add", "install", "i"):
        _specs(rec, pos[1:], full, _is_global(opts))


def _is_global(opts: Iterable[Opt]) -> bool:
    for o in opts:
        if o.flag in ("-g", "--global"):
            return True
        if o.flag == "--location" and o.value is not None and o.value.value == "global":
            return True
    return False


def _specs(rec: Recorder, specs: list[Arg], full: list[Arg], global_: bool) -> None:
    """Package specs: ``name@version``, ``@scope/name``, git and GitHub specs, tarball URLs."""
    props = {"scope": "global"} if global_ else {}
    for arg in specs:
        v = arg.value
        if v is None:
            rec.unresolved(arg, full)
            continue
        ev = rec.evidence(arg.line)
        low = v.lower()
        if low.startswith(("git+", "git://")):
            vcs(rec, v if low.startswith("git+") else "git+" + v, ev, dict(props))
            continue
        gh = re.fullmatch(r"(?:github:)?([\w.\-]+)/([\w.\-]+)(?:#(.+))?", v)
        if gh and not v.startswith("@"):
            url = f"https://github.com/{gh[1]}/{gh[2]}"
            comp = git_component(url, (ev,), ref=gh[3], props=props)
            rec.emit(comp, Relation.INSTALLS, ev)
            continue
        if low.startswith(("http://", "https://")):
            rec.emit(download_component(v, (ev,), props=props), Relation.INSTALLS, ev)
            continue
        if v.startswith((".", "/", "~", "file:")) or low.endswith((".tgz", ".tar.gz")):
            continue
        m = _NPM_NAME.match(v)
        if not m:
            continue
        name, rest = m.group(), v[m.end() :]
        if rest and not rest.startswith("@"):
            continue
        spec = rest[1:]
        version = None
        p = dict(props)
        if spec and _SEMVER.fullmatch(spec):
            version = spec.removeprefix("v")
        elif spec:
            p["constraint"] = spec
        rec.emit(package_component("npm", name, version, (ev,), p), Relation.INSTALLS, ev)
