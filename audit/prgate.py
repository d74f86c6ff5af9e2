"""The pull-request gate: ``depaudit scan --base REF`` audits the tree at ``REF`` and the
working tree, and only what is new (or worse) in the working tree fails the run.

The tree at ``REF`` is read with ``git archive`` through :mod:`audit.safegit` (no hook,
fsmonitor, filter driver or transport runs) and extracted with :mod:`audit.archive`'s
bounds into a temporary directory; nothing from it is executed. Both trees are audited
with the same configuration, policy and options; the working tree's actions whose key
(``kind:target``) the base's report does not have are the new ones, exactly as with
``--baseline``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from audit.errors import InputError
from audit.model import Report


@dataclass(frozen=True)
class BaseTree:
    """The scanned directory as it was at the base commit."""

    root: Path
    """Where it was extracted (an empty directory when it did not exist then)."""
    ref: str
    """The ref as given (``origin/main``, a commit)."""
    commit: str


@contextmanager
def base_tree(root: Path, ref: str) -> Iterator[BaseTree]:
    """Extract ``root`` (a directory in a git work tree) as it was at ``ref``; the files are
    removed when the context ends. InputError when ``root`` is not in a git work tree or
    ``ref`` names no commit of it."""
    from audit.archive import ArchiveError, extract_archive
    from audit.bundled import SourceError, git_archive
    from audit.safegit import resolve_commit, run_git

    top_out = run_git(root, "rev-parse", "--show-toplevel")
    if not top_out.ok:
        raise InputError(
            f"--base needs a git work tree: {top_out.error or 'not a git repository'}",
            path=str(root),
        )
    top = Path(top_out.stdout.decode("utf-8", "surrogateescape").rstrip("\n")).resolve()
    try:
        inside = root.resolve().relative_to(top)
    except ValueError:
        raise InputError(
            "--base: the directory is not inside its work tree", path=str(root)
        ) from None
    commit = resolve_commit(top, ref)
    if commit is None:
        raise InputError(f"--base {ref!r} names no commit of the repository", path=str(root))
    try:
        _, data = git_archive(top, commit, shown=str(top), prefix="base/")
    except SourceError as exc:
        raise InputError(f"--base {ref}: {exc}", path=str(root)) from None
    with tempfile.TemporaryDirectory(prefix="depaudit-base-") as work:
        dest = Path(work) / "tree"
        try:
            extract_archive(data, dest)
        except ArchiveError as exc:
            raise InputError(f"--base {ref}: {exc}", path=str(root)) from None
        base = dest / "base" / inside
        if not base.is_dir():  # the directory is new in the working tree
            base.mkdir(parents=True)
        yield BaseTree(base, ref, commit)


def render_base_diff(fmt: str, base: Report, head: Report, tree: BaseTree) -> str:
    """The added and removed components and the new and resolved actions, in ``fmt`` (text
    or markdown), headed by the base commit."""
    from audit.diff import diff_documents
    from audit.history import RunInfo
    from audit.report.diff import render
    from audit.report.json_report import report_document

    def info(report: Report, run: int, label: str) -> RunInfo:
        return RunInfo(
            id=run, recorded_at=label, root=report.root, project=report.project,
            commit=report.repository.commit, commit_date=None, remote=report.repository.remote,
            tool_version="", policy=report.policy.name, policy_read_on=report.policy.read_on,
            as_of=report.as_of, worst=None, components=len(report.inventory.components),
            by_status=(), by_action=(),
        )  # fmt: skip

    diff = diff_documents(
        report_document(base),
        report_document(head),
        info(base, 0, f"base {tree.ref} ({tree.commit[:12]})"),
        info(head, 1, "working tree"),
    )
    text = render("markdown" if fmt == "markdown" else "text", diff)
    rest = text.partition("\n")[2]
    title = f"depaudit scan --base {tree.ref}: {tree.commit[:12]} -> working tree"
    head_line = f"## {title}" if fmt == "markdown" else title
    return f"{head_line}\n{rest}"
