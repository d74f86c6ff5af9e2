"""Downloads and clones: ``curl``, ``wget``, ``git clone`` and VCS requirement specs."""

from __future__ import annotations

import re

from audit.components import download_component, git_component
from audit.model import Evidence, Relation
from audit.shell.options import Arg, Opt, last, options, positionals
from audit.shell.record import Recorder

_CURL_SHORT = "oHuAexdFTXwmbcKrzCEYyUQtPD"
_CURL_LONG = frozenset(
    {
        "--output", "--header", "--user", "--user-agent", "--referer", "--proxy", "--data",
        "--data-raw", "--data-binary", "--data-urlencode", "--form", "--upload-file",
        "--request", "--write-out", "--max-time", "--cookie", "--cookie-jar", "--config",
        "--range", "--retry", "--retry-delay", "--retry-max-time", "--connect-timeout",
        "--cacert", "--cert", "--key", "--output-dir", "--limit-rate", "--resolve", "--url",
        "--oauth2-bearer", "--dump-header", "--proto", "--proto-redir", "--max-redirs",
        "--max-filesize", "--interface", "--continue-at", "--expect100-timeout",
        "--netrc-file", "--unix-socket", "--create-file-mode", "--variable", "--json",
        "--form-string", "--capath", "--ciphers", "--trace", "--trace-ascii", "--aws-sigv4",
    }
)  # fmt: skip
_CURL_SENDS = frozenset(
    {"-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "-F", "--form",
     "--form-string", "-T", "--upload-file", "--json", "-I", "--head"}
)  # fmt: skip
_WGET_SHORT = "OoaPUteiTwQBlARDXI"
_WGET_LONG = frozenset(
    {
        "--output-document", "--header", "--user", "--password", "--post-data",
        "--post-file", "--method", "--body-data", "--body-file", "--tries", "--timeout",
        "--directory-prefix", "--user-agent", "--output-file", "--input-file",
        "--ca-certificate", "--certificate", "--private-key", "--load-cookies",
        "--save-cookies", "--wait", "--limit-rate", "--append-output", "--execute",
        "--http-user", "--http-password", "--referer", "--quota", "--base",
    }
)  # fmt: skip
_WGET_SENDS = frozenset({"--post-data", "--post-file", "--body-data", "--body-file", "--spider"})
_GIT_CLONE_LONG = frozenset(
    {
        "--branch", "--depth", "--origin", "--reference", "--reference-if-able",
        "--config", "--filter", "--shallow-since", "--shallow-exclude", "--jobs",
        "--separate-git-dir", "--template", "--upload-pack", "--server-option",
        "--bundle-uri", "--revision",
    }
)  # fmt: skip


def curl(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    opts = options(args, _CURL_SHORT, _CURL_LONG)
    _fetch(rec, opts, full, _CURL_SENDS, ("-X", "--request"), ("--url",))


def wget(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    opts = options(args, _WGET_SHORT, _WGET_LONG)
    _fetch(rec, opts, full, _WGET_SENDS, ("--method",), ())


def _fetch(
    rec: Recorder,
    opts: list[Opt],
    full: list[Arg],
    sends: frozenset[str],
    method_flags: tuple[str, ...],
    url_flags: tuple[str, ...],
) -> None:
    """The public URLs a GET fetches; nothing when the command sends data."""
    for o in opts:
        if o.flag in sends:
            return
        method = o.value.value if o.flag in method_flags and o.value is not None else None
        if method and method.upper() != "GET":
            return
    for o in opts:
        if o.flag is not None and o.flag not in url_flags:
            continue
        arg = o.value
        if arg is None:
            continue
        if arg.value is None:
            if re.match(r"['\"]?(https?|ftp)://", arg.raw) or arg.raw.startswith(("$", "'$", '"$')):
                rec.unresolved(arg, full)
            continue
        url = arg.value
        if not re.match(r"(?i)(https?|ftp)://", url) or not _public_host(url):
            continue
        ev = rec.evidence(arg.line)
        rec.emit(download_component(url, (ev,)), Relation.INSTALLS, ev)


def _public_host(url: str) -> bool:
    """False for localhost, loopback and single-label hosts (CI service containers)."""
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    if not host or host == "localhost" or host.startswith(("127.", "0.")) or host == "::1":
        return False
    return "." in host or ":" in host


def git(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    """``git clone URL``, with ``--branch``/``--revision`` as the ref."""
    top = options(
        args, "Cc", {"--git-dir", "--work-tree", "--namespace", "--config-env"}, stop=True
    )
    pos = positionals(top)
    if not pos or pos[0].value != "clone":
        return
    opts = options(pos[1:], "bojuc", _GIT_CLONE_LONG)
    cpos = positionals(opts)
    if not cpos:
        return
    url_arg = cpos[0]
    ref_opt = last(opts, "-b", "--branch", "--revision")
    if url_arg.value is None:
        rec.unresolved(url_arg, full)
        return
    url = url_arg.value
    if not re.match(r"(?i)(https?|git|ssh)://|[\w.\-]+@[\w.\-]+:", url):
        return
    ref = None
    if ref_opt is not None and ref_opt.value is not None:
        if ref_opt.value.value is None:
            rec.unresolved(ref_opt.value, full)
            return
        ref = ref_opt.value.value
    ev = rec.evidence(url_arg.line)
    rec.emit(git_component(url, (ev,), ref=ref), Relation.INSTALLS, ev)


def vcs(rec: Recorder, spec: str, ev: Evidence, props: dict[str, str]) -> None:
    """``git+https://host/o/r.git@ref#egg=name`` (pip) or ``git+ssh://...#ref`` (npm)."""
    kind, _, url = spec.partition("+")
    url, _, fragment = url.partition("#")
    egg = re.search(r"(?:^|&)egg=([^&]+)", fragment)
    if egg and "package" not in props:
        props = {**props, "package": egg[1]}
    ref = None
    scheme, sep, rest = url.partition("://")
    if sep:
        host, slash, path = rest.partition("/")
        if "@" in path:
            path, ref = path.rsplit("@", 1)
        url = f"{scheme}://{host}{slash}{path}"
    elif "@" in url.rsplit("/", 1)[-1]:
        url, ref = url.rsplit("@", 1)
    if kind.lower() != "git":
        comp = download_component(spec, (ev,), props={"vcs": kind.lower(), **props})
    else:
        comp = git_component(url, (ev,), ref=ref or None, props=props)
    rec.emit(comp, Relation.INSTALLS, ev)
