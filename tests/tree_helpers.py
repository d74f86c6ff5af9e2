"""Building small fixture trees in tests."""

from __future__ import annotations

from pathlib import Path


def write(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (path relative to ``root`` -> UTF-8 text) under ``root``; return it."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def git(root: Path, *args: str, when: str | None = None) -> str:
    """Run ``git -C root ARGS`` as a fixed author (committing at ``when``, ISO 8601, if given),
    without the caller's ``GIT_*`` variables or system and global git configuration; return
    what it printed, stripped."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.org",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.org",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    if when is not None:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    done = subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)
    return done.stdout.decode().strip()
