"""The online path of the command line, end to end (issue 16, items 1 and 2).

The ``depaudit`` command runs as a subprocess against registries this test serves on
127.0.0.1, answering as PyPI's JSON API, deps.dev, ClearlyDefined, GitHub's license API and
an OCI registry do, reached through ``--endpoint``, ``DEPAUDIT_ENDPOINT_*``, the user's
configuration and (with ``--allow-config-urls``) the repository's ``[endpoints]``. It runs
twice: the second run answers from the HTTP cache, asking the servers nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tree_helpers import write

CONFIG_BLOB = json.dumps(
    {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {"org.opencontainers.image.licenses": "Apache-2.0"}},
    }
).encode()
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG_BLOB).hexdigest()
MANIFEST = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {
        "mediaType": "application/vnd.oci.image.config.v1+json",
        "digest": CONFIG_DIGEST,
        "size": len(CONFIG_BLOB),
    },
    "layers": [],
}


def _pypi(info: dict[str, Any]) -> dict[str, Any]:
    return {"info": {"classifiers": [], "license": None, **info}, "releases": {}}


# path -> JSON answer; anything else is a 404
REGISTRY: dict[str, Any] = {
    # PyPI: License-Expression (PEP 639)
    "/pypi/expr-pkg/1.0/json": _pypi({"license_expression": "Apache-2.0"}),
    # PyPI: the license field, its classifier agreeing
    "/pypi/field-pkg/2.0/json": _pypi(
        {"license": "MIT", "classifiers": ["License :: OSI Approved :: MIT License"]}
    ),
    # PyPI: license UNKNOWN, a classifier says which
    "/pypi/unknown-field/3.0/json": _pypi(
        {"license": "UNKNOWN", "classifiers": ["License :: OSI Approved :: ISC License (ISCL)"]}
    ),
    # PyPI: no license field at all, a classifier only
    "/pypi/classifier-only/4.0/json": _pypi(
        {"classifiers": ["License :: OSI Approved :: Apache Software License"]}
    ),
    # PyPI says UNKNOWN and nothing else: deps.dev answers
    "/pypi/depsdev-pkg/5.0/json": _pypi({"license": "UNKNOWN"}),
    "/depsdev/systems/pypi/packages/depsdev-pkg/versions/5.0": {
        "versionKey": {"system": "PYPI", "name": "depsdev-pkg", "version": "5.0"},
        "licenses": ["BSD-3-Clause"],
    },
    # not on PyPI nor deps.dev: ClearlyDefined answers
    "/cd/definitions/pypi/pypi/-/cd-pkg/6.0": {
        "licensed": {"declared": "Zlib"},
        "described": {"releaseDate": "2020-01-01"},
    },
    # the OCI registry (quay.io) with the label in the image config
    "/v2/acme/base/manifests/1.0": MANIFEST,
    f"/v2/acme/base/blobs/{CONFIG_DIGEST}": json.loads(CONFIG_BLOB),
}

GITHUB: dict[str, Any] = {
    "/repos/acme/widget/license": {
        "name": "LICENSE",
        "path": "LICENSE",
        "html_url": "https://github.com/acme/widget/blob/v1.2/LICENSE",
        "license": {"key": "bsd-2-clause", "spdx_id": "BSD-2-Clause"},
    },
}

EXPECTED = {
    "pypi:expr-pkg@1.0": ("Apache-2.0", "pypi"),
    "pypi:field-pkg@2.0": ("MIT", "pypi"),
    "pypi:unknown-field@3.0": ("ISC", "pypi"),
    "pypi:classifier-only@4.0": ("Apache-2.0", "pypi"),
    "pypi:depsdev-pkg@5.0": ("BSD-3-Clause", "deps.dev"),
    "pypi:cd-pkg@6.0": ("Zlib", "clearlydefined"),
    "download:github.com/acme/widget@v1.2": ("BSD-2-Clause", "github"),
    "image:quay.io/acme/base:1.0": ("Apache-2.0", "oci-label"),
}

TREE = {
    "requirements.txt": "".join(
        f"{cid.split(':')[1].split('@')[0]}=={cid.split('@')[1]}\n"
        for cid in EXPECTED
        if cid.startswith("pypi:")
    ),
    "CMakeLists.txt": (
        'ExternalProject_Add(widget\n  URL "https://github.com/acme/widget/archive/v1.2.tar.gz")\n'
    ),
    "Dockerfile": "FROM quay.io/acme/base:1.0\n",
}


class _Server:
    """A JSON server on 127.0.0.1 that counts requests and remembers Authorization headers."""

    def __init__(self, routes: dict[str, Any]) -> None:
        self.routes = routes
        self.hits: Counter[str] = Counter()
        self.authorized: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                owner.hits[path] += 1
                if self.headers.get("Authorization"):
                    owner.authorized.append(path)
                body = owner.routes.get(path)
                data = json.dumps(body).encode() if body is not None else b'{"error":"nf"}'
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[_Server, _Server]]:
    registry, github = _Server(REGISTRY), _Server(GITHUB)
    yield registry, github
    registry.close()
    github.close()


def _depaudit() -> list[str]:
    script = Path(sys.executable).parent / "depaudit"
    return [str(script)] if script.exists() else [sys.executable, "-m", "audit"]


def _run(
    tmp_path: Path, argv: list[str], env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "report.json"
    out.unlink(missing_ok=True)
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DEPAUDIT_ENDPOINT_") and k not in ("GITHUB_TOKEN", "DEPAUDIT_CONFIG")
    }
    full_env = {
        **base_env,
        "DEPAUDIT_CACHE_DIR": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "GITHUB_TOKEN": "test-token-do-not-print",
        **(env or {}),
    }
    proc = subprocess.run(
        [*_depaudit(), *argv, "-o", str(out)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    doc = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return proc.returncode, doc, proc.stderr


def _licenses(doc: dict[str, Any]) -> dict[str, tuple[str | None, str]]:
    return {
        c["id"]: (c["license"]["expression"], c["license"]["source"]) for c in doc["components"]
    }


def _tree(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    return write(tmp_path / "tree", {**TREE, **(extra or {})})


def _endpoint_args(registry: _Server, github: _Server) -> list[str]:
    return [
        "--endpoint", f"pypi={registry.url}/pypi",
        "--endpoint", f"depsdev={registry.url}/depsdev",
        "--endpoint", f"clearlydefined={registry.url}/cd",
        "--endpoint", f"github={github.url}",
        "--endpoint", f"registry:quay.io={registry.url}",
    ]  # fmt: skip


def test_every_source_through_the_command_line_then_the_cache(
    tmp_path: Path, servers: tuple[_Server, _Server]
) -> None:
    registry, github = servers
    root = _tree(tmp_path)
    argv = ["scan", str(root), "--image-labels", "-f", "json", *_endpoint_args(registry, github)]
    code, doc, err = _run(tmp_path, argv)
    assert code == 0, err
    assert _licenses(doc) == EXPECTED
    assert doc["incomplete"] == []
    # the GitHub token went to the GitHub endpoint only, and is printed nowhere
    assert github.authorized == ["/repos/acme/widget/license"]
    assert registry.authorized == []
    assert "test-token-do-not-print" not in err + json.dumps(doc)
    first = sum(registry.hits.values()) + sum(github.hits.values())
    assert registry.hits["/pypi/expr-pkg/1.0/json"] == 1
    assert first >= len(EXPECTED)

    # the second run asks nobody: every answer (404s included) comes from the cache
    code, again, err = _run(tmp_path, argv)
    assert code == 0, err
    assert _licenses(again) == EXPECTED
    assert sum(registry.hits.values()) + sum(github.hits.values()) == first


def test_environment_and_user_configuration(
    tmp_path: Path, servers: tuple[_Server, _Server]
) -> None:
    registry, github = servers
    root = _tree(tmp_path)
    user = tmp_path / "xdg" / "depaudit" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text(
        "[endpoints]\n"
        f'clearlydefined = "{registry.url}/cd"\n'
        f'github = "{github.url}"\n'
        "[endpoints.registries]\n"
        f'"quay.io" = "{registry.url}"\n',
        encoding="utf-8",
    )
    env = {
        "DEPAUDIT_ENDPOINT_PYPI": f"{registry.url}/pypi",
        "DEPAUDIT_ENDPOINT_DEPSDEV": f"{registry.url}/depsdev",
    }
    code, doc, err = _run(tmp_path, ["scan", str(root), "--image-labels", "-f", "json"], env)
    assert code == 0, err
    assert _licenses(doc) == EXPECTED


def test_the_command_line_wins_over_the_environment(
    tmp_path: Path, servers: tuple[_Server, _Server]
) -> None:
    registry, _ = servers
    root = _tree(tmp_path, {"requirements.txt": "expr-pkg==1.0\n", "CMakeLists.txt": ""})
    (root / "Dockerfile").unlink()
    env = {"DEPAUDIT_ENDPOINT_PYPI": "http://127.0.0.1:9/nowhere"}
    argv = ["scan", str(root), "-f", "json", "--endpoint", f"pypi={registry.url}/pypi"]
    code, doc, err = _run(tmp_path, argv, env)
    assert (code, _licenses(doc)) == (0, {"pypi:expr-pkg@1.0": ("Apache-2.0", "pypi")}), err


def test_a_repository_cannot_redirect_requests_on_its_own(
    tmp_path: Path, servers: tuple[_Server, _Server]
) -> None:
    """`[endpoints]` in the scanned repository's .depaudit.toml is ignored (with a warning)
    unless the command line says --allow-config-urls."""
    registry, _ = servers
    config = f'[endpoints]\npypi = "{registry.url}/pypi"\n'
    root = _tree(tmp_path, {"requirements.txt": "expr-pkg==1.0\n", ".depaudit.toml": config})
    (root / "Dockerfile").unlink()
    (root / "CMakeLists.txt").unlink()
    argv = ["scan", str(root), "--offline", "-f", "json"]
    code, doc, err = _run(tmp_path, argv)
    assert registry.hits["/pypi/expr-pkg/1.0/json"] == 0
    assert doc["warnings"] == [
        ".depaudit.toml: [endpoints] not used: the repository's configuration may send "
        "depaudit's requests elsewhere only with --allow-config-urls"
    ]
    code, doc, err = _run(tmp_path, ["scan", str(root), "-f", "json", "--allow-config-urls"])
    assert code == 0, err
    assert _licenses(doc) == {"pypi:expr-pkg@1.0": ("Apache-2.0", "pypi")}
    assert doc["warnings"] == []


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--endpoint", "npm=http://127.0.0.1:1"], {}, "argument --endpoint: expected NAME=URL"),
        (["--endpoint", "pypi=ftp://mirror"], {}, "expected an http:// or https:// URL"),
        (
            ["--endpoint", "pypi=https://user:secret@mirror.example"],
            {},
            "a URL with credentials in it is refused",
        ),
        ([], {"DEPAUDIT_ENDPOINT_GITHUB": "mirror.example"}, "DEPAUDIT_ENDPOINT_GITHUB: github:"),
    ],
)
def test_bad_endpoints_are_one_line_and_exit_2(
    tmp_path: Path, argv: list[str], env: dict[str, str], message: str
) -> None:
    root = _tree(tmp_path)
    code, _, err = _run(tmp_path, ["scan", str(root), "--offline", *argv], env)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert message in err
    assert "secret" not in err


def test_the_depaudit_command_is_installed() -> None:
    """The tests above run the console script when the environment has one (pip install)."""
    assert shutil.which("depaudit") or (Path(sys.executable).parent / "depaudit").exists()
