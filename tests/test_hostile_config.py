"""The scanned repository's own configuration cannot widen what depaudit reads or fetches,
and the small files it names cannot block or exhaust the audit.

- Paths in ``.depaudit.toml`` / ``[tool.depaudit]`` (policy, waivers, curations, exceptions
  files, ``[sources]``) stay inside the root once symlinks are resolved; the default
  ``.depaudit/curations.toml`` too. The user's ``--config`` may name any file.
- URLs in the repository's configuration are fetched only with ``--allow-config-urls``.
- ``max_file_size`` from the repository can only lower the limit.
- FIFOs and devices named as configuration files are never opened; TOML and JSON nested
  100,000 deep are one clear error (configuration) or one incomplete line (a scanned file).

Every run is a child process under time and memory bounds (tests/bounds.py).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from bounds import MIB, run_depaudit
from local_server import send_json, serving

SECRET = "leaked-outside-the-root"
WAIVERS = f'[[waiver]]\nid = "{SECRET}"\ncomponent = "x"\nreason = "r"\n'
CURATIONS = f'[[curation]]\ncomponent = "pypi:x@1"\nlicense = "MIT"\ncomment = "{SECRET}"\n'
POLICY = f'name = "{SECRET}"\n'
EXCEPTIONS = json.dumps({"blanketExceptions": [], "exceptions": [], "note": SECRET})
DEEP_TOML = "x = " + "[" * 100_000 + "]" * 100_000 + "\n"
DEEP_JSON = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the scanned tree holding files of every kind depaudit reads."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "waivers.toml").write_text(WAIVERS)
    (out / "curations.toml").write_text(CURATIONS)
    (out / "policy.toml").write_text(POLICY)
    (out / "exceptions.json").write_text(EXCEPTIONS)
    (out / "src").mkdir()
    (out / "src" / "requirements.txt").write_text(f"{SECRET}==1.0\n")
    return out


def _tree(tmp_path: Path, config: str = "", files: dict[str, str] | None = None) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir(exist_ok=True)
    if config:
        (tree / ".depaudit.toml").write_text(config)
    for rel, text in (files or {}).items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text)
    return tree


def _scan(tree: Path, cwd: Path, *extra: str) -> tuple[int, str, str]:
    ran = run_depaudit(
        ["scan", str(tree), "--offline", "--no-cache", "--format", "json", *extra],
        cwd=cwd, seconds=120, megabytes=1536,
        env={"DEPAUDIT_CACHE_DIR": str(cwd / "cache")},
    )  # fmt: skip
    return ran.code, ran.stdout, ran.stderr


OUTSIDE_VALUES = {
    "absolute": "{outside}/{name}",
    "parent": "../outside/{name}",
    "through-a-subdirectory": "sub/../../outside/{name}",
    "home": "~/{name}",
    "symlinked-file": "inlink-{name}",
    "symlinked-directory": "dirlink/{name}",
}
KEYS = {
    "waivers": "waivers.toml",
    "curations": "curations.toml",
    "policy": "policy.toml",
    "exceptions": "exceptions.json",
}


@pytest.mark.parametrize("how", sorted(OUTSIDE_VALUES))
@pytest.mark.parametrize("key", sorted(KEYS))
def test_repository_config_paths_outside_the_root_are_refused(
    tmp_path: Path, outside: Path, key: str, how: str
) -> None:
    name = KEYS[key]
    value = OUTSIDE_VALUES[how].format(outside=outside, name=name)
    text = f"{key} = [{json.dumps(value)}]\n" if key == "exceptions" else f"{key} = {value!r}\n"
    tree = _tree(tmp_path, text.replace("'", '"'), {"sub/keep": ""})
    (tree / f"inlink-{name}").symlink_to(outside / name)
    (tree / "dirlink").symlink_to(outside)
    code, out, err = _scan(tree, tmp_path)
    assert code == 2, err
    assert err.startswith(f"depaudit: error: .depaudit.toml: {key}: "), err
    assert "(repository configuration may only name files inside the scanned root)" in err
    assert SECRET not in out + err


def test_repository_config_sources_outside_the_root_are_refused(
    tmp_path: Path, outside: Path
) -> None:
    tree = _tree(tmp_path, f'[sources]\nlibs = "{outside / "src"}"\n')
    ran = run_depaudit(["inventory", str(tree), "--no-cache"], cwd=tmp_path)
    assert ran.code == 2
    assert ran.stderr.startswith("depaudit: error: .depaudit.toml: sources.libs: "), ran.stderr
    assert SECRET not in ran.stdout + ran.stderr


@pytest.mark.parametrize("link", ["file", "directory"])
def test_symlinked_default_curations_pointing_outside_are_refused(
    tmp_path: Path, outside: Path, link: str
) -> None:
    tree = _tree(tmp_path, files={"requirements.txt": "x==1\n"})
    if link == "file":
        (tree / ".depaudit").mkdir()
        (tree / ".depaudit" / "curations.toml").symlink_to(outside / "curations.toml")
    else:
        (outside / "curations-dir").mkdir()
        (outside / "curations-dir" / "curations.toml").write_text(CURATIONS)
        (tree / ".depaudit").symlink_to(outside / "curations-dir")
    code, out, err = _scan(tree, tmp_path)
    assert code == 2, err
    assert err.startswith("depaudit: error: .depaudit/curations.toml: path: "), err
    assert "leads outside the scanned root" in err
    assert SECRET not in out + err


def test_paths_inside_the_root_still_work(tmp_path: Path) -> None:
    """Symlinks that stay inside the root are fine; relative paths are taken from the root
    (not the current directory)."""
    tree = _tree(
        tmp_path,
        'waivers = "conf/w.toml"\ncurations = "conf/c-link.toml"\n',
        {
            "conf/w.toml": '[[waiver]]\nid = "w1"\ncomponent = "x"\nreason = "kept"\n'
            'approved-by = "me"\nexpires = 2099-01-01\n',
            "conf/c.toml": '[[curation]]\ncomponent = "pypi:x@1"\nlicense = "MIT"\n'
            'comment = "in tree"\n',
            "requirements.txt": "x==1\n",
        },
    )
    (tree / "conf" / "c-link.toml").symlink_to("c.toml")
    code, out, err = _scan(tree, tmp_path)
    assert code in (0, 1), err
    result = json.loads(out)
    licenses = {c["id"]: c["license"]["expression"] for c in result["components"]}
    assert licenses == {"pypi:x@1": "MIT"}


def test_the_users_own_config_may_name_files_anywhere(tmp_path: Path, outside: Path) -> None:
    tree = _tree(tmp_path, files={"requirements.txt": "x==1\n"})
    mine = tmp_path / "mine.toml"
    mine.write_text(f'curations = "{outside / "curations.toml"}"\n')
    code, out, err = _scan(tree, tmp_path, "--config", str(mine))
    assert code in (0, 1), err
    result = json.loads(out)
    assert {c["id"]: c["license"]["expression"] for c in result["components"]} == {
        "pypi:x@1": "MIT"
    }


class _Counter(BaseHTTPRequestHandler):
    server: _CountingServer

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        body = json.dumps({"blanketExceptions": [], "exceptions": []}).encode()
        send_json(self, 200, body)


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True
    hits: list[str]


@contextlib.contextmanager
def _counting_server() -> Iterator[_CountingServer]:
    server = _CountingServer(("127.0.0.1", 0), _Counter)
    server.hits = []
    with serving(server) as running:
        yield running


@pytest.mark.parametrize("allowed", [False, True], ids=["by-default", "with-the-flag"])
def test_urls_in_the_repository_config_need_the_command_line(tmp_path: Path, allowed: bool) -> None:
    with _counting_server() as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/exceptions.json"
        tree = _tree(tmp_path, f'exceptions = ["{url}"]\n')
        extra = ["--allow-config-urls"] if allowed else []
        ran = run_depaudit(
            ["scan", str(tree), "--no-cache", "--format", "json", *extra], cwd=tmp_path,
            env={"DEPAUDIT_CACHE_DIR": str(tmp_path / "cache")},
        )  # fmt: skip
    assert ran.code == 0, ran.stderr
    warnings = json.loads(ran.stdout)["warnings"]
    if allowed:
        assert server.hits == ["/exceptions.json"]
        assert warnings == []
    else:
        assert server.hits == []
        assert warnings == [
            f".depaudit.toml: exceptions source {url} not fetched: URLs in the repository's "
            "configuration are used only with --allow-config-urls"
        ]


def test_repository_config_fetch_sources_need_the_command_line(tmp_path: Path) -> None:
    tree = _tree(tmp_path, '[sources]\nlibs = "@fetch"\n')
    ran = run_depaudit(
        ["scan", str(tree), "--no-cache", "--offline", "--format", "json"], cwd=tmp_path,
        env={"DEPAUDIT_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert json.loads(ran.stdout)["warnings"] == [
        ".depaudit.toml: source libs = '@fetch' not fetched: downloads named by the "
        "repository's configuration are made only with --allow-config-urls"
    ]


def _padded(path: Path, size: int, head: str) -> None:
    line = b"# padding padding padding padding padding padding padding padding\n"
    body = head.encode() + line * ((size - len(head)) // len(line) + 1)
    path.write_bytes(body[:size])


@pytest.mark.parametrize("who", ["repository", "user"])
def test_only_the_user_may_raise_the_file_size_limit(tmp_path: Path, who: str) -> None:
    big = 6 * MIB  # over the 5 MiB default
    setting = f"max_file_size = {64 * MIB}\n"
    tree = _tree(tmp_path, setting if who == "repository" else "")
    _padded(tree / "requirements.txt", big, "flask==3.0.0\n")
    args = ["inventory", str(tree), "--no-cache"]
    if who == "user":
        (tmp_path / "mine.toml").write_text(setting)
        args += ["--config", str(tmp_path / "mine.toml")]
    ran = run_depaudit(args, cwd=tmp_path, seconds=120, megabytes=1536)
    assert ran.code == 0, ran.stderr
    doc = json.loads(ran.stdout)
    skipped = {s["path"]: s["reason"] for s in doc["skipped"]}
    if who == "repository":
        assert skipped == {
            "requirements.txt": f"larger than the size limit ({big} > {5 * MIB} bytes)"
        }
    else:
        assert "requirements.txt" not in skipped
        assert "pypi:flask@3.0.0" in {c["id"] for c in doc["components"]}


def test_the_repository_may_lower_the_file_size_limit(tmp_path: Path) -> None:
    tree = _tree(tmp_path, "max_file_size = 10\n", {"requirements.txt": "flask==3.0.0\n"})
    ran = run_depaudit(["inventory", str(tree), "--no-cache"], cwd=tmp_path)
    skipped = {s["path"]: s["reason"] for s in json.loads(ran.stdout)["skipped"]}
    assert skipped["requirements.txt"] == "larger than the size limit (13 > 10 bytes)"


SPECIAL = {
    "fifo": lambda p: os.mkfifo(p),
    "dev-zero": lambda p: p.symlink_to("/dev/zero"),
    "directory": lambda p: p.mkdir(),
}


@pytest.mark.parametrize("kind", sorted(SPECIAL))
@pytest.mark.parametrize("option", ["--waivers", "--curations", "--exceptions", "--policy"])
def test_special_files_named_on_the_command_line_are_never_opened(
    tmp_path: Path, kind: str, option: str
) -> None:
    """A FIFO blocks the reader forever, /dev/zero never ends: both refused by their type."""
    tree = _tree(tmp_path, files={"requirements.txt": "x==1\n"})
    special = tmp_path / "special.toml"
    SPECIAL[kind](special)
    code, _, err = _scan(tree, tmp_path, option, str(special))
    assert code == 2
    assert err.startswith(f"depaudit: error: {special}: "), err
    assert "not a regular file" in err


@pytest.mark.parametrize("key", ["waivers", "curations", "policy"])
def test_a_fifo_named_by_the_repository_config_is_never_opened(tmp_path: Path, key: str) -> None:
    tree = _tree(tmp_path, f'{key} = "conf/{key}.toml"\n', {"requirements.txt": "x==1\n"})
    (tree / "conf").mkdir()
    os.mkfifo(tree / "conf" / f"{key}.toml")
    code, _, err = _scan(tree, tmp_path)
    assert code == 2
    assert "not a regular file (a FIFO, socket, device or directory)" in err


def test_fifos_where_depaudit_looks_by_itself_are_skipped(tmp_path: Path) -> None:
    tree = _tree(tmp_path, files={"requirements.txt": "x==1\n"})
    (tree / ".depaudit").mkdir()
    for rel in (".depaudit.toml", "pyproject.toml", ".depaudit/curations.toml"):
        os.mkfifo(tree / rel)
    code, out, err = _scan(tree, tmp_path)
    assert code in (0, 1), err
    assert [c["id"] for c in json.loads(out)["components"]] == ["pypi:x@1"]


def test_pyproject_nested_100000_deep_is_one_incomplete_line(tmp_path: Path) -> None:
    tree = _tree(
        tmp_path,
        files={
            "pyproject.toml": '[project]\nname = "x"\n' + DEEP_TOML,
            "requirements.txt": "x==1\n",
        },
    )
    ran = run_depaudit(["inventory", str(tree), "--no-cache"], cwd=tmp_path)
    assert ran.code == 0, ran.stderr
    doc = json.loads(ran.stdout)
    assert doc["problems"] == [
        {
            "path": "pyproject.toml",
            "line": 3,
            "kind": "parse-error",
            "message": "not read: arrays or inline tables nest too deeply",
            "scanner": "pyproject",
        }
    ]
    assert [c["id"] for c in doc["components"]] == ["pypi:x@1"]


@pytest.mark.parametrize(
    ("name", "text", "option"),
    [
        (".depaudit.toml", DEEP_TOML, None),
        ("w.toml", DEEP_TOML, "--waivers"),
        ("c.toml", DEEP_TOML, "--curations"),
        ("p.toml", DEEP_TOML, "--policy"),
        ("e.json", DEEP_JSON, "--exceptions"),
        ("shallow.json", "[" * 101 + "]" * 101, "--exceptions"),
    ],
)
def test_configuration_nested_100000_deep_is_one_clear_error(
    tmp_path: Path, name: str, text: str, option: str | None
) -> None:
    tree = _tree(tmp_path, files={"requirements.txt": "x==1\n"})
    path = tree / name if option is None else tmp_path / name
    path.write_text(text)
    code, _, err = _scan(tree, tmp_path, *([option, str(path)] if option else []))
    assert code == 2
    shown = name if option is None else str(path)
    if name.endswith(".json"):
        expected = "nested deeper than 100 levels; not read"
        if name == "e.json":
            assert err.startswith(f"depaudit: error: {shown}: invalid JSON: "), err
            return
    else:
        expected = "arrays or tables nest deeper than 100 levels; not read"
    assert err == f"depaudit: error: {shown}: {expected}\n"
