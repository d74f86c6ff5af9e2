"""What comes from outside never breaks out of the report: a git remote URL or a policy's
source URL crafted to end a Markdown link target early (or to be ``javascript:``) is never
a link target as it is, in any format; escape sequences from a registry's answer never reach
the terminal through ``explain``.

The git repositories are real ones built here; the registry is a server on 127.0.0.1 that
stops by itself. Every run is bounded in time and memory (tests/bounds.py).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from bounds import bounded, run_depaudit
from local_server import send_json, serving
from tree_helpers import git

from audit.config import Config
from audit.explain import explain_text
from audit.http import Endpoints, HttpClient
from audit.pipeline import AuditOptions, run_audit
from audit.repo import web_url
from audit.weburl import link_target

HOSTILE_REMOTES = [
    "https://github.com/o/r) ![x](https://evil.example/pixel.png",
    'https://github.com/o/r"><script>alert(1)</script>',
    "javascript:alert(1)//github.com/o/r",
    "https://github.com/o/r\n# forged heading",
    "https://github.com/o/r/../../evil",
    "https://github.com/o/r#<img src=x>",
    "https://git hub.com/o/r",
]
# A link target that cannot end early: percent-encoded, no space, no parenthesis, no quote.
SAFE_TARGET = re.compile(r"https?://[A-Za-z0-9.:-]+(?:/[A-Za-z0-9/:?#@!$&*+,;=%~._-]*)?")


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("git@github.com:falcosecurity/falco.git", "https://github.com/falcosecurity/falco"),
        ("https://x-token:ghp_secret@github.com/o/r.git", "https://github.com/o/r"),
        ("ssh://git@gitlab.com/group/sub/r.git", "https://gitlab.com/group/sub/r"),
        ("https://git.example:8443/o/r/", "https://git.example:8443/o/r"),
        *((remote, None) for remote in HOSTILE_REMOTES),
        ("https://github.com/o/.git", None),
        ("file:///etc/passwd", None),
    ],
)
def test_remote_urls(remote: str, url: str | None) -> None:
    assert web_url(remote) == url


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://github.com/o/r/blob/abc/a.txt#L3", "https://github.com/o/r/blob/abc/a.txt#L3"),
        ("https://x.example/a)b(c", "https://x.example/a%29b%28c"),
        ("https://x.example/<script>", "https://x.example/%3Cscript%3E"),
        ("https://x.example/a\"b'c`d", "https://x.example/a%22b%27c%60d"),
        ("https://x.example/[x]|y\\z", "https://x.example/%5Bx%5D%7Cy%5Cz"),
        ("https://x.example/a b", None),
        ("https://x.example/a\x1b[2J", None),
        ("https://x.example/a\x9bb", None),
        ("https://user:pw@x.example/", None),
        ("javascript:alert(1)", None),
        ("data:text/html,x", None),
        ("//x.example/a", None),
        ("", None),
    ],
)
def test_link_targets(url: str, target: str | None) -> None:
    assert link_target(url) == target


def _repo(tmp_path: Path, remote: str) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "Dockerfile").write_text("FROM registry.access.redhat.com/ubi8/ubi:8.9\n")
    (tree / "requirements.txt").write_text("x==1\n")
    git(tree, "init", "-q")
    git(tree, "add", ".")
    git(tree, "commit", "-qm", "one")
    git(tree, "config", "remote.origin.url", remote)
    return tree


def _reports(tmp_path: Path, tree: Path, *extra: str) -> dict[str, str]:
    formats = ("markdown", "html", "sarif", "json")
    args = ["scan", str(tree), "--offline", "--no-cache", *extra]
    for fmt in formats:
        args += ["-f", fmt, "-o", str(tmp_path / f"report.{fmt}")]
    # A cache directory of its own: the child builds the license index first, whose
    # address space peaks at about 1.6 GiB (mostly reserved, not used): 1,536 MiB failed
    # with a MemoryError now and then.
    ran = run_depaudit(
        args,
        cwd=tmp_path,
        env={"DEPAUDIT_CACHE_DIR": str(tmp_path / "cache")},
        megabytes=2560,
    )
    assert ran.code in (0, 1), ran.stderr
    return {fmt: (tmp_path / f"report.{fmt}").read_text() for fmt in formats}


def _markdown_targets(text: str) -> list[str]:
    return re.findall(r"\]\(([^)]*)\)", text)


@pytest.mark.parametrize("remote", HOSTILE_REMOTES)
def test_a_hostile_remote_is_never_a_link(tmp_path: Path, remote: str) -> None:
    reports = _reports(tmp_path, _repo(tmp_path, remote))
    for target in _markdown_targets(reports["markdown"]):
        assert SAFE_TARGET.fullmatch(target), target
        assert "github.com/o/r" not in target
    assert "evil.example" not in reports["markdown"].replace("evil.example/pixel.png", "")
    assert "<script>alert" not in reports["html"]
    assert not re.search(r'href="(?!#|https?://)', reports["html"])
    assert "javascript:" not in reports["html"]
    assert "\n# forged heading" not in reports["markdown"]
    assert json.loads(reports["json"])["repository"]["remote"] is None


def test_a_plain_remote_still_links_the_evidence(tmp_path: Path) -> None:
    reports = _reports(tmp_path, _repo(tmp_path, "git@github.com:o/r.git"))
    targets = _markdown_targets(reports["markdown"])
    assert any(t.startswith("https://github.com/o/r/blob/") for t in targets), targets
    for target in targets:
        assert SAFE_TARGET.fullmatch(target), target


def test_a_hostile_policy_source_url_is_encoded(tmp_path: Path) -> None:
    policy = (Path(__file__).parent.parent / "policies" / "cncf.toml").read_text()
    hostile = "https://example.org/p)[click](javascript:alert(1)"
    policy = re.sub(r'(?m)^source = ".*"$', f"source = {json.dumps(hostile)}", policy, count=1)
    (tmp_path / "mine.toml").write_text(policy)
    tree = _repo(tmp_path, "git@github.com:o/r.git")
    reports = _reports(tmp_path, tree, "--policy", str(tmp_path / "mine.toml"))
    targets = _markdown_targets(reports["markdown"])
    assert "https://example.org/p%29%5Bclick%5D%28javascript:alert%281%29" in targets
    for target in targets:
        assert SAFE_TARGET.fullmatch(target), target
    assert not re.search(r'href="(?!#|https?://)', reports["html"])
    assert 'href="https://example.org/p%29%5Bclick%5D%28javascript:alert%281%29"' in reports["html"]


ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x9b31m\x1bP+q\x1b\\\r"


class _Registry(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        if self.path.startswith("/pypi/"):
            info = {"license": f"MIT{ESCAPES}", "summary": ESCAPES, "classifiers": []}
            body = json.dumps({"info": info}).encode()
            status = 200
        else:
            body, status = b'{"error": "not found"}', 404
        send_json(self, status, body)


@contextlib.contextmanager
def _registry() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    server.daemon_threads = True
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}"


def test_escape_sequences_from_a_registry_never_reach_the_terminal(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "requirements.txt").write_text("x==1\n")
    with _registry() as base:
        endpoints = Endpoints(pypi=f"{base}/pypi", depsdev=base, clearlydefined=base, github=base)
        options = AuditOptions(cache_path=tmp_path / "http.sqlite", endpoints=endpoints)
        client = HttpClient(tmp_path / "http.sqlite", endpoints=endpoints, token="")
        with bounded(seconds=60, megabytes=256), client:
            report = run_audit(tree, Config(), options, client=client)
            shown = explain_text(report, "pypi:x@1")
    assert "as stated: MIT" in shown
    for char in ("\x1b", "\x07", "\x9b", "\r"):
        assert char not in shown
    assert "\\x1b[2J" in shown
