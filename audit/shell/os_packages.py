"""Distribution packages: ``apt-get``/``apt``/``aptitude``, ``dnf``/``yum``/``zypper``..., ``apk``.

Ids are namespaced by the recorder's ``os_hint`` (the base image's distro). Local package
files, paths and globs are not components.
"""

from __future__ import annotations

import re

from audit.components import download_component, package_component
from audit.model import Relation
from audit.shell.options import Arg, options, positionals
from audit.shell.record import Recorder

_RPM_LONG = frozenset(
    {
        "--setopt", "--enablerepo", "--disablerepo", "--repo", "--repoid", "--releasever",
        "--installroot", "--exclude", "--excludepkgs", "--forcearch", "--repofrompath",
        "--downloaddir", "--destdir", "--config", "--color", "--comment", "--advisory",
        "--from", "--type", "--rpmverbosity",
    }
)  # fmt: skip
_APK_LONG = frozenset(
    {
        "--virtual", "--repository", "--root", "--arch", "--keys-dir", "--repositories-file",
        "--cache-dir", "--cache-max-age", "--wait", "--progress-fd",
    }
)  # fmt: skip
_APK_RE = re.compile(
    r"([A-Za-z0-9][A-Za-z0-9+._\-]*)(?:@([A-Za-z0-9_\-]+))?(?:(>=|<=|~=|=|~|>|<)(\S+))?"
)


def apt(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    """``apt-get install name[:arch][/release][=version]``."""
    opts = options(
        args, "oct", {"--option", "--config-file", "--target-release", "--default-release"}
    )
    pos = positionals(opts)
    if not pos or pos[0].value != "install":
        return
    for arg in pos[1:]:
        v = arg.value
        if v is None:
            rec.unresolved(arg, full)
            continue
        if v.endswith(".deb") or v.startswith(("/", ".", "~")) or _has_glob(v):
            continue
        name, _, version = v.partition("=")
        props: dict[str, str] = {}
        name, _, release = name.partition("/")
        name, _, arch = name.partition(":")
        if release:
            props["release"] = release
        if arch:
            props["arch"] = arch
        if not re.fullmatch(r"[a-z0-9][a-z0-9+.\-]+", name) or name.endswith("-"):
            continue
        ev = rec.evidence(arg.line)
        comp = package_component("deb", name, version or None, (ev,), props, namespace=rec.os_hint)
        rec.emit(comp, Relation.INSTALLS, ev)


def rpm(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    """``dnf``/``yum``/``microdnf``/``tdnf``/``zypper`` ``install``; URLs are downloads."""
    opts = options(args, "cdexRrt", _RPM_LONG)
    pos = positionals(opts)
    if not pos or pos[0].value not in ("install", "in"):
        return
    for arg in pos[1:]:
        v = arg.value
        if v is None:
            rec.unresolved(arg, full)
            continue
        ev = rec.evidence(arg.line)
        if v.lower().startswith(("http://", "https://", "ftp://")):
            rec.emit(download_component(v, (ev,)), Relation.INSTALLS, ev)
            continue
        if v.endswith(".rpm") or v.startswith(("/", ".", "~", "@")) or _has_glob(v):
            continue
        if not re.fullmatch(r"[A-Za-z0-9_+][A-Za-z0-9._+\-]*", v):
            continue
        comp = package_component("rpm", v, None, (ev,), namespace=rec.os_hint)
        rec.emit(comp, Relation.INSTALLS, ev)


def apk(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    """``apk add name[@tag][=version|>=constraint...]``."""
    opts = options(args, "tXp", _APK_LONG)
    pos = positionals(opts)
    if not pos or pos[0].value != "add":
        return
    for arg in pos[1:]:
        v = arg.value
        if v is None:
            rec.unresolved(arg, full)
            continue
        if v.endswith(".apk") or v.startswith(("/", ".", "~")) or _has_glob(v):
            continue
        m = _APK_RE.fullmatch(v)
        if not m:
            continue
        name, tag, op, ver = m.groups()
        props: dict[str, str] = {}
        if tag:
            props["repository-tag"] = tag
        version = None
        if op == "=":
            version = ver
        elif op:
            props["constraint"] = op + ver
        ev = rec.evidence(arg.line)
        comp = package_component("apk", name, version, (ev,), props, namespace=rec.os_hint)
        rec.emit(comp, Relation.INSTALLS, ev)


def _has_glob(value: str) -> bool:
    return any(ch in value for ch in "*?[{")
