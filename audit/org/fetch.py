"""A git URL's tree at a ref, obtained the way ``--source …@auto`` reads a mirror: fetched
into a bare repository depaudit creates (so no configuration, hook or filter of the
repository applies), then written out with ``git archive`` of the fetched commit and
extracted with the archive limits (:func:`audit.archive.extract_archive`). Nothing from the
repository runs; only https (and, for a user's own local mirrors, file) URLs are fetched."""

from __future__ import annotations

from pathlib import Path

from audit.archive import ArchiveError, extract_archive
from audit.bundled import SourceError, git_archive
from audit.errors import InputError
from audit.safegit import fetch_ref, run_git

FETCH_TIMEOUT = 300.0


def fetch_tree(url: str, ref: str, dest: Path, bare: Path) -> str:
    """Write the tree of ``ref`` at ``url`` to ``dest`` (its parent an empty directory) and
    return the commit it is, fetching into ``bare`` (which must not exist); ``InputError``
    naming the URL when it cannot."""
    where = f"{url}@{ref}"
    made = run_git(bare.parent, "init", "--bare", "--quiet", "--", str(bare))
    if not made.ok:
        raise InputError(f"cannot create a repository to fetch into: {made.error}", path=where)
    protocol = "file" if url.startswith("file://") else "https"
    got = fetch_ref(bare, url, ref, protocols=frozenset({protocol}), timeout=FETCH_TIMEOUT)
    if not got.ok:
        raise InputError(f"cannot fetch: {got.error or 'git fetch failed'}", path=where)
    head = run_git(bare, "rev-parse", "--verify", "--quiet", "FETCH_HEAD^{commit}")
    commit = head.stdout.decode("ascii", "replace").strip()
    if not head.ok or not commit:
        raise InputError("the fetched ref names no commit", path=where)
    try:
        commit, data = git_archive(bare, commit, shown=where, prefix=f"{dest.name}/")
        extract_archive(data, dest.parent)
    except (SourceError, ArchiveError) as exc:
        raise InputError(str(exc), path=where) from None
    if not dest.is_dir():
        raise InputError("the fetched commit holds no files", path=where)
    return commit
