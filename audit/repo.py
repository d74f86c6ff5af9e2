"""Facts about the repository a scanned tree lives in: web URL, commit, path prefix.

git is asked read-only questions through :mod:`audit.safegit` (hooks, fsmonitor, filter
drivers and network transports off, none of the caller's ``GIT_*`` variables); nothing from
the scanned repository runs. Any failure gives ``RepoInfo()`` (unknown), never an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from audit.model import RepoInfo
from audit.safegit import has_dotgit, run_git


def _git(root: Path, *args: str) -> str | None:
    out = run_git(root, *args, timeout=20)
    if not out.ok:
        return None
    return out.stdout.decode("utf-8", "replace").strip() or None


_HOST = r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
_PATH = r"[A-Za-z0-9_.~-]+(?:/[A-Za-z0-9_.~-]+)*"


def web_url(remote: str) -> str | None:
    """``git@github.com:o/r.git`` or ``https://user@github.com/o/r`` -> ``https://github.com/o/r``.

    Credentials in a remote URL are dropped so that no token is ever printed. The remote is
    the scanned repository's to choose and ends up in every report's links: only a plain
    host name and a path of plain segments (letters, digits, ``_.~-``; no ``.``/``..``)
    make a URL, anything else (``)``, quotes, spaces, ``javascript:``) gives None.
    """
    remote = remote.strip()
    m = re.fullmatch(rf"(?:ssh://)?git@({_HOST})[:/]({_PATH})/?", remote)
    if m is None:
        m = re.fullmatch(
            rf"(?:https?|git)://(?:[^@/\s]+@)?({_HOST}(?::[0-9]{{1,5}})?)/({_PATH})/?", remote
        )
    if m is None:
        return None
    path = m[2].removesuffix(".git")
    if any(part in ("", ".", "..") for part in path.split("/")):
        return None
    return f"https://{m[1]}/{path}"


def github_name(remote: str | None) -> str | None:
    """``owner/name`` of a GitHub web URL as :func:`web_url` gives it, else None."""
    prefix = "https://github.com/"
    return remote[len(prefix) :] if remote and remote.startswith(prefix) else None


def _in_git(root: Path) -> bool:
    try:
        return has_dotgit(Path(root).resolve())
    except (OSError, RuntimeError):  # a loop of links: git would find nothing either
        return False


def repo_info(root: Path) -> RepoInfo:
    """The repository ``root`` lives in; ``RepoInfo()`` outside one (git is then not run)."""
    if not _in_git(root):
        return RepoInfo()
    both = (_git(root, "rev-parse", "--show-toplevel", "HEAD") or "").splitlines()  # one run
    top: str | None
    commit: str | None
    if len(both) == 2:
        top, commit = both
    else:  # a repository without commits yet (no HEAD), or no repository
        top, commit = _git(root, "rev-parse", "--show-toplevel"), None
        if top is None:
            return RepoInfo()
    remote = _git(root, "config", "--get", "remote.origin.url")
    try:
        prefix = Path(root).resolve().relative_to(Path(top).resolve()).as_posix()
    except ValueError:
        prefix = ""
    return RepoInfo(
        remote=web_url(remote) if remote else None,
        commit=commit,
        prefix="" if prefix == "." else prefix,
    )


def default_project_name(root: Path, repo: RepoInfo) -> str:
    """The name a report gives a project without ``--project`` or ``project =`` in the config.

    The repository's name from its remote when ``root`` is the repository's top, else the
    scanned folder's own name; never a path (so no home directory ends up in a report).
    """
    if repo.remote and not repo.prefix:
        name = repo.remote.rstrip("/").rsplit("/", 1)[-1]
        if name:
            return name
    return Path(root).resolve().name or "project"


def commit_date(root: Path, commit: str | None) -> str | None:
    """The committer date (ISO 8601) of ``commit`` in the repository at ``root``, or None."""
    if not commit:
        return None
    return _git(root, "show", "-s", "--format=%cI", commit, "--")


def created_time(root: Path, as_of: str | None, environ: Mapping[str, str]) -> str:
    """The time SBOMs carry, in UTC: ``SOURCE_DATE_EPOCH`` (reproducible builds), else the
    as-of date at 00:00, else HEAD's commit date, else now."""
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        try:
            return _utc(datetime.fromtimestamp(int(epoch), tz=timezone.utc))
        except (OverflowError, OSError, ValueError):
            pass
    if as_of:
        return f"{as_of[:10]}T00:00:00Z"
    committed = commit_date(root, "HEAD") if _in_git(root) else None
    if committed:
        try:
            return _utc(datetime.fromisoformat(committed))
        except ValueError:
            pass
    return _utc(datetime.now(timezone.utc))


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
