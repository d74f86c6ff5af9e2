"""Bundled source trees: mappings, local checkouts, git mirrors, verified downloads, cycles."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
import responses
from tree_helpers import git, write

from audit.bundled import (
    SourceError,
    SourceSpec,
    component_keys,
    follow_bundled,
    label_paths,
    local_id,
    parse_source_arg,
    pinned_keys,
    short_version,
    source_specs,
    tree_label,
    verify_hash,
)
from audit.components import download_component, git_component
from audit.config import Config
from audit.discover import discover
from audit.graph import GraphIndex, link
from audit.http import HttpClient
from audit.model import Evidence, Finding, Inventory, Problem
from audit.pipeline import InventoryRun, build_inventory
from audit.scan import scan

COMMIT = "4d4e1f3f2c8646d14982fbd1d7ea598ccbe4264a"
LABEL = "libs@4d4e1f3f2c86"
LIBS_ID = f"download:github.com/falcosecurity/libs@{COMMIT}"
CURL_ID = "download:github.com/curl/curl@curl-8_1_0"
LIBS_URL = f"https://github.com/falcosecurity/libs/archive/{COMMIT}.tar.gz"

UTHASH = """\
/*
Copyright (c) 2003-2022, Troy D. Hanson  https://troydhanson.github.io/uthash/
*/
#define UTHASH_VERSION 2.3.0
"""

LIBS = {
    "CMakeLists.txt": "project(libs)\ninclude(curl)\n",
    "cmake/modules/curl.cmake": (
        "ExternalProject_Add(curl\n"
        '  URL "https://github.com/curl/curl/releases/download/curl-8_1_0/curl-8.1.0.tar.bz2")\n'
    ),
    "cmake/modules/jq.cmake": (
        "ExternalProject_Add(jq\n"
        '  URL "https://github.com/stedolan/jq/releases/download/jq-1.6/jq-1.6.tar.gz")\n'
    ),
    "userspace/libscap/scap.c": '#include "uthash.h"\n',
    "userspace/libscap/uthash.h": UTHASH,
}


def falco(version: str = COMMIT, url_hash: str | None = None) -> dict[str, str]:
    hash_line = f'  URL_HASH "{url_hash}"\n' if url_hash else ""
    return {
        "CMakeLists.txt": "project(falco)\ninclude(falcosecurity-libs)\n",
        "cmake/modules/falcosecurity-libs.cmake": (
            f'set(FALCOSECURITY_LIBS_VERSION "{version}")\n'
            "ExternalProject_Add(falcosecurity-libs\n"
            '  URL "https://github.com/falcosecurity/libs/archive/'
            '${FALCOSECURITY_LIBS_VERSION}.tar.gz"\n'
            f"{hash_line})\n"
        ),
    }


def tarball(files: dict[str, str], top: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for rel, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{rel}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return "SHA256=" + hashlib.sha256(data).hexdigest()


def client(tmp_path: Path, **kw: object) -> HttpClient:
    kw.setdefault("token", "")
    kw.setdefault("sleep", lambda s: None)
    return HttpClient(tmp_path / "cache" / "http.sqlite", **kw)  # type: ignore[arg-type]


def scan_tree(path: Path, config: Config) -> InventoryRun:
    """Discover, scan and link one tree (what the pipeline does, minus source grouping)."""
    found = discover(path)
    out = scan(found)
    inventory = link(str(path), out.result, skipped=out.skipped, files_scanned=out.files_scanned)
    return InventoryRun(inventory, ())


def follow(
    root: Path, sources: list[tuple[str, str]], **kw: object
) -> tuple[Inventory, tuple[Finding, ...]]:
    run = scan_tree(root, Config())
    return follow_bundled(
        run.inventory, run.findings, root, Config(), scan_tree=scan_tree, sources=sources, **kw
    )  # type: ignore[arg-type]


def chains(inventory: Inventory, cid: str) -> list[list[str]]:
    index = GraphIndex.build(inventory)
    out = []
    for chain in index.chains_to(cid):
        hops = [chain[0].src]
        hops += [
            f"-{e.relation.value}-> {e.dst} ({e.evidence.location})" for e in chain if e.evidence
        ]
        out.append(hops)
    return out


# Source mappings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("libs=../libs", ("libs", "../libs")),
        ("falcosecurity/libs = /src/libs.git@auto", ("falcosecurity/libs", "/src/libs.git@auto")),
        ("*=@fetch", ("*", "@fetch")),
    ],
)
def test_parse_source_arg(text: str, expected: tuple[str, str]) -> None:
    assert parse_source_arg(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("libs", "expected NAME=PATH, NAME=PATH@auto or NAME=@fetch, got 'libs'"),
        ("=../libs", "expected NAME=PATH, NAME=PATH@auto or NAME=@fetch, got '=../libs'"),
        ("libs=", "expected NAME=PATH, NAME=PATH@auto or NAME=@fetch, got 'libs='"),
        ("libs=@download", "unknown source '@download' (PATH, PATH@auto or @fetch)"),
    ],
)
def test_parse_source_arg_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_source_arg(text)
    assert str(err.value) == message


def test_source_specs_config_relative_to_root_and_cli_to_cwd(tmp_path: Path) -> None:
    root, cwd = tmp_path / "falco", tmp_path / "work"
    specs = source_specs(
        {"libs": "../libs", "curl": "mirrors/curl.git@auto"},
        [("libs", "checkouts/libs"), ("*", "@fetch")],
        root=root,
        cwd=cwd,
        config_path=".depaudit.toml",
    )
    assert specs == (
        SourceSpec("*", "fetch", None, "@fetch", "--source"),
        SourceSpec(
            "curl", "mirror", root / "mirrors/curl.git", "mirrors/curl.git@auto", ".depaudit.toml"
        ),
        SourceSpec("libs", "checkout", cwd / "checkouts/libs", "checkouts/libs", "--source"),
    )


EV = Evidence("cmake/modules/falcosecurity-libs.cmake", 3, "URL ...", "cmake")


def test_component_keys() -> None:
    libs = download_component(LIBS_URL, [EV], name="falcosecurity-libs")
    assert component_keys(libs) == frozenset(
        {
            LIBS_ID,
            "download:github.com/falcosecurity/libs",
            "falcosecurity-libs",
            "falcosecurity/libs",
            "libs",
        }
    )
    luajit = git_component("https://github.com/LuaJIT/LuaJIT", [EV], ref="v2.1")
    assert component_keys(luajit) == frozenset(
        {
            "git:github.com/luajit/luajit@v2.1",
            "git:github.com/luajit/luajit",
            "github.com/luajit/luajit",
            "luajit/luajit",
            "luajit",
        }
    )


@pytest.mark.parametrize(
    ("component", "label"),
    [
        (download_component(LIBS_URL, [EV], name="falcosecurity-libs"), LABEL),
        (git_component("https://github.com/LuaJIT/LuaJIT.git", [EV], ref="v2.1"), "LuaJIT@v2.1"),
        (
            download_component("https://e.com/dl/zlib-1.3.tar.gz", [EV], version="1.3"),
            "zlib-1.3.tar.gz@1.3",
        ),
        (download_component("https://e.com/dl/blob", [EV], name="a b"), "a-b"),
    ],
)
def test_tree_label(component, label: str) -> None:  # type: ignore[no-untyped-def]
    assert tree_label(component) == label


@pytest.mark.parametrize(
    ("gid", "expected"),
    [
        ("source:driver", f"source:{LABEL}/driver"),
        ("source:.", f"source:{LABEL}"),
        ("source:.#Apache-2.0", f"source:{LABEL}#Apache-2.0"),
        ("build-file:cmake/modules/curl.cmake", f"build-file:{LABEL}:cmake/modules/curl.cmake"),
        ("ci-job:github/ci.yml/build", f"ci-job:{LABEL}:github/ci.yml/build"),
        ("bare", f"{LABEL}:bare"),
    ],
)
def test_local_id(gid: str, expected: str) -> None:
    assert local_id(gid, LABEL) == expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [(COMMIT, "4d4e1f3f2c86"), ("0.11.3", "0.11.3"), ("abc1234", "abc1234"), (None, "")],
)
def test_short_version(version: str | None, expected: str) -> None:
    assert short_version(version) == expected


def test_label_paths_only_where_a_path_stands_alone() -> None:
    text = "driver/main.c:32 and driver/main.c and src/driver/main.c and libs@x:driver/main.c"
    assert label_paths(text, ["driver/main.c"], "libs@x") == (
        "libs@x:driver/main.c:32 and libs@x:driver/main.c and src/driver/main.c and "
        "libs@x:driver/main.c"
    )


@pytest.mark.parametrize(
    ("expected", "message"),
    [
        ("SHA256=" + "0" * 64, "hash mismatch: the build file pins SHA256=" + "0" * 64),
        ("CRC32=1234", "cannot verify hash 'CRC32=1234': unknown algorithm"),
        ("no-equals", "cannot verify hash 'no-equals': unknown algorithm"),
    ],
)
def test_verify_hash_refuses(expected: str, message: str) -> None:
    with pytest.raises(SourceError) as err:
        verify_hash(b"data", expected)
    assert str(err.value).startswith(message)
    assert err.value.kind == "unreadable"


@pytest.mark.parametrize("algo", ["SHA256", "sha512", "MD5", "SHA3_256"])
def test_verify_hash_accepts(algo: str) -> None:
    name = algo.lower()
    digest = hashlib.new(name, b"data").hexdigest().upper()
    assert verify_hash(b"data", f"{algo}={digest}") == algo.upper()


# A local checkout ----------------------------------------------------------------------------


def test_local_checkout_is_merged_with_its_origin(tmp_path: Path) -> None:
    root = write(tmp_path / "falco", falco())
    libs = write(tmp_path / "libs", LIBS)
    run = build_inventory(root, Config(), display_root="falco", sources=(("libs", str(libs)),))
    inventory = run.inventory
    ids = [c.id for c in inventory.components]
    assert ids == [
        CURL_ID,
        LIBS_ID,
        "download:github.com/stedolan/jq@jq-1.6",
        f"source:{LABEL}/userspace/libscap/uthash.h",
    ]
    curl = inventory.component(CURL_ID)
    assert curl is not None
    assert curl.evidence == (
        Evidence(
            f"{LABEL}:cmake/modules/curl.cmake",
            2,
            'URL "https://github.com/curl/curl/releases/download/curl-8_1_0/curl-8.1.0.tar.bz2")',
            "cmake",
        ),
    )
    assert curl.prop("origin") == LABEL
    assert curl.prop("origin_chain") == (
        f"cmake/modules/falcosecurity-libs.cmake:3 -> {LABEL}:cmake/modules/curl.cmake:2"
    )
    libs_comp = inventory.component(LIBS_ID)
    assert libs_comp is not None
    assert (libs_comp.prop("bundled_tree"), libs_comp.prop("bundled_source")) == (
        LABEL,
        f"local checkout {libs}, commit not checked: not a git work tree",
    )
    assert libs_comp.prop("origin") is None
    assert chains(inventory, CURL_ID) == [
        [
            "build-file:CMakeLists.txt",
            "-includes-> build-file:cmake/modules/falcosecurity-libs.cmake (CMakeLists.txt:2)",
            f"-bundles-> {LIBS_ID} (cmake/modules/falcosecurity-libs.cmake:3)",
            f"-bundles-> build-file:{LABEL}:CMakeLists.txt "
            "(cmake/modules/falcosecurity-libs.cmake:3)",
            f"-includes-> build-file:{LABEL}:cmake/modules/curl.cmake ({LABEL}:CMakeLists.txt:2)",
            f"-bundles-> {CURL_ID} ({LABEL}:cmake/modules/curl.cmake:2)",
        ]
    ]
    jq = inventory.component("download:github.com/stedolan/jq@jq-1.6")
    assert jq is not None
    assert jq.prop("inactive") == (
        f"declared in {LABEL}:cmake/modules/jq.cmake, which nothing includes (an unused module)"
    )
    assert [e for e in inventory.edges if e.dst == jq.id] == []
    uthash = inventory.component(f"source:{LABEL}/userspace/libscap/uthash.h")
    assert uthash is not None
    assert (uthash.name, uthash.prop("placement"), uthash.prop("origin")) == (
        f"{LABEL}/userspace/libscap/uthash.h",
        "intermingled",
        LABEL,
    )
    # the download links to the tree's source units too
    assert (LIBS_ID, uthash.id) in {(e.src, e.dst) for e in inventory.edges}
    assert [(f.kind, f.subject) for f in run.findings] == [
        ("unused-build-file", f"build-file:{LABEL}:cmake/modules/jq.cmake"),
        ("intermingled-third-party", uthash.id),
    ]
    assert run.findings[1].evidence[0].path == f"{LABEL}:userspace/libscap/uthash.h"
    assert inventory.problems == ()
    assert inventory.files_scanned == 7
    assert inventory.root == "falco"


def test_without_a_mapping_nothing_is_descended(tmp_path: Path) -> None:
    root = write(tmp_path / "falco", falco())
    write(tmp_path / "libs", LIBS)
    inventory, findings = follow(root, [])
    assert [c.id for c in inventory.components] == [LIBS_ID]
    assert findings == ()


def test_a_mapping_that_matches_nothing_is_reported(tmp_path: Path) -> None:
    root = write(tmp_path / "falco", falco())
    inventory, _ = follow(root, [("libz", str(tmp_path / "libz"))])
    assert inventory.problems == (
        Problem(
            "",
            0,
            "config",
            f"source libz={tmp_path / 'libz'} (--source) matches no bundled component",
            "bundled",
        ),
    )


def test_a_checkout_that_is_not_a_directory(tmp_path: Path) -> None:
    root = write(tmp_path / "falco", falco())
    inventory, _ = follow(root, [("falcosecurity/libs", "missing")], cwd=tmp_path)
    assert inventory.problems == (
        Problem(
            "cmake/modules/falcosecurity-libs.cmake",
            3,
            "config",
            f"falcosecurity-libs@{COMMIT}: source missing (--source) is not a directory",
            "bundled",
        ),
    )


def two_trees(tmp_path: Path) -> tuple[Path, Path, Path]:
    """root -> a@v1 -> b@v2 -> a@v1 (a cycle)."""

    def dl(name: str, version: str) -> str:
        return (
            f"ExternalProject_Add({name}\n"
            f'  URL "https://github.com/o/{name}/archive/{version}.tar.gz")\n'
        )

    root = write(tmp_path / "root", {"CMakeLists.txt": dl("a", "v1")})
    a = write(tmp_path / "a", {"CMakeLists.txt": dl("b", "v2")})
    b = write(tmp_path / "b", {"CMakeLists.txt": dl("a", "v1")})
    return root, a, b


def test_a_cycle_is_detected(tmp_path: Path) -> None:
    root, a, b = two_trees(tmp_path)
    inventory, _ = follow(root, [("a", str(a)), ("b", str(b))])
    assert inventory.problems == (
        Problem(
            "b@v2:CMakeLists.txt",
            2,
            "skipped",
            "not descending into a@v1: a cycle (o/a@v1 -> o/b@v2 -> o/a@v1)",
            "bundled",
        ),
    )
    a_id, b_id = "download:github.com/o/a@v1", "download:github.com/o/b@v2"
    assert [c.id for c in inventory.components] == [a_id, b_id]
    edges = {(e.src, e.relation.value, e.dst) for e in inventory.edges}
    assert edges == {
        ("build-file:CMakeLists.txt", "bundles", a_id),
        (a_id, "bundles", "build-file:a@v1:CMakeLists.txt"),
        ("build-file:a@v1:CMakeLists.txt", "bundles", b_id),
        (b_id, "bundles", "build-file:b@v2:CMakeLists.txt"),
        ("build-file:b@v2:CMakeLists.txt", "bundles", a_id),
    }
    a_comp = inventory.component(a_id)
    assert a_comp is not None
    assert a_comp.prop("origin") == ".,b@v2"


def test_the_depth_limit(tmp_path: Path) -> None:
    root, a, b = two_trees(tmp_path)
    inventory, _ = follow(root, [("a", str(a)), ("b", str(b))], depth=1)
    assert inventory.problems == (
        Problem(
            "a@v1:CMakeLists.txt",
            2,
            "skipped",
            "not descending into b@v2: the depth limit (1) is reached",
            "bundled",
        ),
    )


def test_a_directory_cycle_is_detected(tmp_path: Path) -> None:
    root, _, _ = two_trees(tmp_path)
    inventory, _ = follow(root, [("a", str(root))])
    assert inventory.problems == (
        Problem(
            "CMakeLists.txt",
            2,
            "skipped",
            f"not descending into a@v1: a cycle (directory {root})",
            "bundled",
        ),
    )


def test_an_inactive_download_is_not_descended(tmp_path: Path) -> None:
    root = write(
        tmp_path / "root",
        {
            "CMakeLists.txt": 'option(WITH_A "a" OFF)\nif(WITH_A)\n  include(a)\nendif()\n',
            "cmake/a.cmake": 'ExternalProject_Add(a\n  URL "https://github.com/o/a/archive/v1.tar.gz")\n',
        },
    )
    a = write(tmp_path / "a", {"CMakeLists.txt": ""})
    inventory, findings = follow(root, [("a", str(a))])
    assert inventory.problems == (
        Problem(
            "cmake/a.cmake",
            2,
            "skipped",
            "not descending into a@v1: cmake/a.cmake is included only when WITH_A; option WITH_A "
            "defaults to OFF (CMakeLists.txt:1)",
            "bundled",
        ),
    )
    assert [f.kind for f in findings] == ["conditional-download"]


# A git mirror ---------------------------------------------------------------------------------


def test_git_mirror_at_the_pinned_commit_never_runs_hooks(tmp_path: Path) -> None:
    mirror = write(tmp_path / "libs.git", LIBS)
    git(mirror, "init", "-q")
    git(mirror, "add", ".")
    git(mirror, "commit", "-q", "-m", "pinned")
    pinned = git(mirror, "rev-parse", "HEAD")
    write(mirror, {"cmake/modules/curl.cmake": "# changed after the pin\n"})
    git(mirror, "commit", "-q", "-am", "later")
    trap = tmp_path / "trapped"
    hook = write(tmp_path / "hooks", {"hook.sh": f"#!/bin/sh\ntouch {trap}\n"}) / "hook.sh"
    hook.chmod(0o755)
    for name in ("post-checkout", "pre-commit", "post-index-change"):
        (mirror / ".git" / "hooks" / name).symlink_to(hook)
    git(mirror, "config", "core.fsmonitor", str(hook))
    root = write(tmp_path / "falco", falco(version=pinned))
    inventory, _ = follow(root, [("libs", f"{mirror}@auto")])
    label = f"libs@{pinned[:12]}"
    libs = inventory.component(f"download:github.com/falcosecurity/libs@{pinned}")
    assert libs is not None
    assert libs.prop("bundled_source") == f"git mirror {mirror}@auto at {pinned}"
    curl = inventory.component(CURL_ID)
    assert curl is not None
    assert curl.evidence[0].location == f"{label}:cmake/modules/curl.cmake:2"
    assert inventory.problems == ()
    assert not trap.exists()


def test_git_mirror_without_the_commit(tmp_path: Path) -> None:
    mirror = write(tmp_path / "libs.git", {"README": "x\n"})
    git(mirror, "init", "-q")
    git(mirror, "add", ".")
    git(mirror, "commit", "-q", "-m", "x")
    root = write(tmp_path / "falco", falco())
    inventory, _ = follow(root, [("libs", f"{mirror}@auto")])
    assert inventory.problems == (
        Problem(
            "cmake/modules/falcosecurity-libs.cmake",
            3,
            "unresolved",
            f"falcosecurity-libs@{COMMIT}: {COMMIT} is not a commit of the git mirror "
            f"{mirror}@auto",
            "bundled",
        ),
    )


# A verified download ----------------------------------------------------------------------------


ARCHIVE = tarball(LIBS, f"libs-{COMMIT}")


@responses.activate
def test_fetch_verified_and_then_offline_from_the_cache(tmp_path: Path) -> None:
    responses.get(LIBS_URL, body=ARCHIVE)
    root = write(tmp_path / "falco", falco(url_hash=sha256(ARCHIVE)))
    inventory, _ = follow(root, [("libs", "@fetch")], client=client(tmp_path))
    libs = inventory.component(LIBS_ID)
    assert libs is not None
    assert libs.prop("bundled_source") == f"archive {LIBS_URL}, SHA256 verified"
    assert CURL_ID in {c.id for c in inventory.components}
    assert inventory.problems == ()
    assert len(responses.calls) == 1
    offline, _ = follow(root, [("libs", "@fetch")], client=client(tmp_path, offline=True))
    assert offline.components == inventory.components
    assert len(responses.calls) == 1


@responses.activate
def test_a_hash_mismatch_refuses_the_archive(tmp_path: Path) -> None:
    responses.get(LIBS_URL, body=ARCHIVE)
    pinned = "SHA256=" + "ab" * 32
    root = write(tmp_path / "falco", falco(url_hash=pinned))
    inventory, findings = follow(root, [("libs", "@fetch")], client=client(tmp_path))
    assert [c.id for c in inventory.components] == [LIBS_ID]
    assert inventory.problems == (
        Problem(
            "cmake/modules/falcosecurity-libs.cmake",
            3,
            "unreadable",
            f"falcosecurity-libs@{COMMIT}: hash mismatch: the build file pins {pinned} but the "
            f"archive has {sha256(ARCHIVE)}; the archive is refused",
            "bundled",
        ),
    )
    assert findings == ()


@responses.activate
def test_a_hostile_archive_is_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("../../escape.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    responses.get(LIBS_URL, body=buf.getvalue())
    root = write(tmp_path / "falco", falco())
    inventory, _ = follow(root, [("*", "@fetch")], client=client(tmp_path))
    assert [(p.kind, p.message) for p in inventory.problems] == [
        (
            "unreadable",
            f"falcosecurity-libs@{COMMIT}: archive refused: member '../../escape.txt' escapes "
            "the archive root",
        )
    ]
    assert libs_unverified(inventory) is None


def libs_unverified(inventory: Inventory) -> str | None:
    libs = inventory.component(LIBS_ID)
    return libs.prop("bundled_source") if libs else None


@pytest.mark.parametrize(
    ("offline", "with_client", "kind", "message"),
    [
        (True, True, "network", f"cannot download {LIBS_URL}: offline: not in cache"),
        (
            False,
            False,
            "skipped",
            f"{LIBS_URL} not downloaded: this command makes no network requests",
        ),
    ],
)
@responses.activate
def test_fetch_offline_miss_and_no_client(
    tmp_path: Path, offline: bool, with_client: bool, kind: str, message: str
) -> None:
    root = write(tmp_path / "falco", falco())
    http = client(tmp_path, offline=offline) if with_client else None
    inventory, _ = follow(root, [("libs", "@fetch")], client=http)
    assert inventory.problems == (
        Problem(
            "cmake/modules/falcosecurity-libs.cmake",
            3,
            kind,
            f"falcosecurity-libs@{COMMIT}: {message}",
            "bundled",
        ),
    )
    assert len(responses.calls) == 0


@responses.activate
def test_get_bytes_is_cached_and_bounded(tmp_path: Path) -> None:
    responses.get(LIBS_URL, body=b"0123456789")
    http = client(tmp_path)
    first = http.get_bytes(LIBS_URL)
    assert (first.ok, first.data, first.tries) == (True, b"0123456789", 1)
    again = http.get_bytes(LIBS_URL)
    assert (again.ok, again.data, again.from_cache) == (True, b"0123456789", True)
    small = http.get_bytes(LIBS_URL, max_bytes=4)
    assert (small.ok, small.error) == (False, "body of 10 bytes exceeds the 4-byte limit")
    assert len(responses.calls) == 1


# The worked example ------------------------------------------------------------------------


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_LABEL = "libs@4d4e1f3f2c86"


@pytest.fixture(scope="module")
def example_inventory(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    from audit.cli import main

    out = tmp_path_factory.mktemp("inv") / "inventory.json"
    args = ["inventory", str(EXAMPLES / "falco-2023"), "--output", str(out)]
    assert main([*args, "--source", f"libs={EXAMPLES / 'libs-2023'}"]) == 0
    return json.loads(out.read_text())


def test_example_reports_curl_vendored_code_and_the_unused_module(
    example_inventory: dict,  # type: ignore[type-arg]
) -> None:
    comps = {c["id"]: c for c in example_inventory["components"]}
    curl = comps[CURL_ID]
    assert [(e["path"], e["line"]) for e in curl["evidence"]] == [
        (f"{EXAMPLE_LABEL}:cmake/modules/curl.cmake", 28)
    ]
    assert curl["properties"]["origin_chain"] == (
        f"cmake/modules/falcosecurity-libs.cmake:11 -> {EXAMPLE_LABEL}:cmake/modules/curl.cmake:28"
    )
    uthash = comps[f"source:{EXAMPLE_LABEL}/userspace/libscap/uthash.h"]
    assert (uthash["version"], uthash["properties"]["placement"]) == ("2.3.0", "intermingled")
    tinydir = comps[f"source:{EXAMPLE_LABEL}/userspace/libsinsp/third-party/tinydir.h"]
    assert tinydir["properties"]["placement"] == "third-party-folder"
    jq = comps["download:github.com/stedolan/jq@jq-1.6"]
    assert jq["properties"]["inactive"] == (
        f"declared in {EXAMPLE_LABEL}:cmake/modules/jq.cmake, which nothing includes "
        "(an unused module)"
    )
    luajit = comps["git:github.com/LuaJIT/LuaJIT@f3c856915b4ce7ccd24341e8ac73e8a9fd934171"]
    assert luajit["properties"]["cmake_options"] == "WITH_CHISEL"
    nodes = {n["id"]: n for n in example_inventory["nodes"]}
    assert (
        nodes[f"build-file:{EXAMPLE_LABEL}:cmake/modules/jq.cmake"]["properties"]["cmake_reach"]
        == "unused"
    )


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from audit.cli import main

    code = main(args)
    return code, capsys.readouterr().out


def test_example_scan_verdicts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["scan", str(EXAMPLES / "falco-2023"), "--offline", "--format", "json"]
    args += ["--cache-dir", str(tmp_path), "--source", f"libs={EXAMPLES / 'libs-2023'}"]
    code, out = run_cli(args, capsys)
    assert code == 1
    rows = [
        (
            c["id"],
            c["license"]["expression"],
            c["context"],
            c["distribution"],
            c["verdict"]["status"],
            c["properties"].get("placement"),
        )
        for c in json.loads(out)["components"]
        if EXAMPLE_LABEL in json.dumps(c["properties"].get("origin", ""))
    ]
    assert rows == [
        (CURL_ID, "curl", "userspace", "distributed", "needs-exception", None),
        (
            "download:github.com/stedolan/jq@jq-1.6",
            "MIT",
            "build",
            "internal-tooling",
            "allowed",
            None,
        ),
        (
            "git:github.com/LuaJIT/LuaJIT@f3c856915b4ce7ccd24341e8ac73e8a9fd934171",
            "MIT",
            "build",
            "internal-tooling",
            "allowed",
            None,
        ),
        (f"source:{EXAMPLE_LABEL}", "Apache-2.0", "userspace", "distributed", "allowed", None),
        (
            f"source:{EXAMPLE_LABEL}/driver",
            "GPL-2.0-only OR MIT",
            "kernel-module",
            "distributed",
            "allowed-by-exception",
            None,
        ),
        (
            f"source:{EXAMPLE_LABEL}/userspace/libscap#Apache-2.0",
            "Apache-2.0",
            "userspace",
            "distributed",
            "allowed",
            None,
        ),
        (
            f"source:{EXAMPLE_LABEL}/userspace/libscap/uthash.h",
            "BSD-1-Clause",
            "userspace",
            "distributed",
            "needs-exception",
            "intermingled",
        ),
        (
            f"source:{EXAMPLE_LABEL}/userspace/libsinsp",
            "Apache-2.0",
            "userspace",
            "distributed",
            "allowed",
            None,
        ),
        (
            f"source:{EXAMPLE_LABEL}/userspace/libsinsp/third-party/tinydir.h",
            "BSD-2-Clause",
            "userspace",
            "distributed",
            "allowed",
            "third-party-folder",
        ),
    ]


def test_example_explain_prints_the_chain_to_curl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["explain", CURL_ID, str(EXAMPLES / "falco-2023"), "--offline"]
    args += ["--cache-dir", str(tmp_path), "--source", f"libs={EXAMPLES / 'libs-2023'}"]
    code, out = run_cli(args, capsys)
    assert code == 0
    lines = out.splitlines()
    start = lines.index("  reached through:")
    assert lines[start + 1 : start + 7] == [
        "    build-file:CMakeLists.txt",
        "      -includes-> build-file:cmake/modules/falcosecurity-libs.cmake (CMakeLists.txt:9)",
        f"      -bundles-> {LIBS_ID} (cmake/modules/falcosecurity-libs.cmake:11)",
        f"      -bundles-> build-file:{EXAMPLE_LABEL}:CMakeLists.txt "
        "(cmake/modules/falcosecurity-libs.cmake:11)",
        f"      -includes-> build-file:{EXAMPLE_LABEL}:cmake/modules/curl.cmake "
        f"({EXAMPLE_LABEL}:CMakeLists.txt:15)",
        f"      -bundles-> {CURL_ID} ({EXAMPLE_LABEL}:cmake/modules/curl.cmake:28)",
    ]
    assert "  verdict: needs-exception (policy cncf)" in lines


def test_sources_in_the_configuration_are_relative_to_the_root(tmp_path: Path) -> None:
    from audit.config import load_config

    root = write(tmp_path / "falco", falco())
    write(root, {".depaudit.toml": '[sources]\n"falcosecurity/libs" = "../libs"\n'})
    write(tmp_path / "libs", LIBS)
    run = build_inventory(root, load_config(root))
    libs = run.inventory.component(LIBS_ID)
    assert libs is not None
    assert libs.prop("bundled_source") == (
        "local checkout ../libs, commit not checked: not a git work tree"
    )
    assert CURL_ID in {c.id for c in run.inventory.components}


def test_a_tree_reached_twice_is_scanned_once_and_linked_from_both(tmp_path: Path) -> None:
    def dl(*names: str) -> str:
        return "".join(
            f'ExternalProject_Add({n}\n  URL "https://github.com/o/{n}/archive/v1.tar.gz")\n'
            for n in names
        )

    root = write(tmp_path / "root", {"CMakeLists.txt": dl("a", "b")})
    trees = {n: write(tmp_path / n, {"CMakeLists.txt": dl("c")}) for n in ("a", "b")}
    trees["c"] = write(tmp_path / "c", {"CMakeLists.txt": "project(c)\n"})
    inventory, _ = follow(root, [(n, str(p)) for n, p in trees.items()])
    c_id = "download:github.com/o/c@v1"
    c = inventory.component(c_id)
    assert c is not None
    assert c.prop("origin") == "a@v1,b@v1"
    assert [e.src for e in inventory.edges if e.dst == "build-file:c@v1:CMakeLists.txt"] == [c_id]
    assert sorted(e.src for e in inventory.edges if e.dst == c_id) == [
        "build-file:a@v1:CMakeLists.txt",
        "build-file:b@v1:CMakeLists.txt",
    ]
    assert inventory.problems == ()
    assert inventory.files_scanned == 4


def test_a_submodule_is_descended_into_from_its_checkout(tmp_path: Path) -> None:
    root = write(
        tmp_path / "root",
        {
            ".gitmodules": (
                '[submodule "deps/tinydir"]\n'
                "\tpath = deps/tinydir\n"
                "\turl = https://github.com/cxong/tinydir.git\n"
            )
        },
    )
    checkout = write(
        tmp_path / "tinydir", {"tinydir.h": "/* tinydir authors */\n#define TINYDIR_H\n"}
    )
    inventory, _ = follow(root, [("deps/tinydir", str(checkout))])
    sub = inventory.component("submodule:github.com/cxong/tinydir")
    assert sub is not None
    assert (sub.prop("bundled_tree"), sub.prop("bundled_source")) == (
        "tinydir",
        f"local checkout {checkout}, commit not checked: not a git work tree",
    )
    assert [c.id for c in inventory.components] == ["submodule:github.com/cxong/tinydir"]
    assert inventory.problems == ()


# A local checkout's commit against the pin ---------------------------------------------------


def committed(path: Path, files: dict[str, str]) -> str:
    """A git work tree at ``path`` holding ``files`` in one commit; its HEAD commit."""
    write(path, files)
    git(path, "init", "-q")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "files")
    return git(path, "rev-parse", "HEAD")


def test_a_checkout_at_the_pinned_commit(tmp_path: Path) -> None:
    head = committed(tmp_path / "libs", LIBS)
    root = write(tmp_path / "falco", falco(version=head))
    inventory, _ = follow(root, [("libs", str(tmp_path / "libs"))])
    libs = inventory.component(f"download:github.com/falcosecurity/libs@{head}")
    assert libs is not None
    assert libs.prop("bundled_source") == (
        f"local checkout {tmp_path / 'libs'} at {head[:12]}, the pinned commit"
    )
    assert inventory.problems == ()


def test_a_checkout_at_another_commit_is_a_problem_at_the_line_of_the_pin(
    tmp_path: Path,
) -> None:
    head = committed(tmp_path / "libs", LIBS)
    root = write(tmp_path / "falco", falco())  # pins COMMIT, written by set() on line 1
    inventory, _ = follow(root, [("libs", str(tmp_path / "libs"))])
    libs = inventory.component(LIBS_ID)
    assert libs is not None
    note = f"at {head[:12]}, not the pinned commit {COMMIT}"
    assert libs.prop("bundled_source") == f"local checkout {tmp_path / 'libs'} {note}"
    assert inventory.problems == (
        Problem(
            "cmake/modules/falcosecurity-libs.cmake",
            1,
            "config",
            f"falcosecurity-libs@{COMMIT}: checkout {tmp_path / 'libs'} at {head}, pinned "
            f"{COMMIT}; the checkout is audited as it is",
            "bundled",
        ),
    )
    assert CURL_ID in {c.id for c in inventory.components}  # the scan went on


def fetch_by_tag(tag: str) -> dict[str, str]:
    return {
        "CMakeLists.txt": (
            "include(FetchContent)\n"
            "FetchContent_Declare(\n"
            "  libs\n"
            "  GIT_REPOSITORY https://github.com/falcosecurity/libs.git\n"
            f"  GIT_TAG {tag}\n"
            ")\n"
        )
    }


def test_a_tag_pin_is_resolved_in_the_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "libs"
    first = committed(checkout, LIBS)
    git(checkout, "tag", "0.11.3")  # at the first commit
    git(checkout, "tag", "v0.12.0")
    write(checkout, {"README": "later\n"})
    git(checkout, "add", "README")
    git(checkout, "commit", "-q", "-m", "later")
    head = git(checkout, "rev-parse", "HEAD")
    git(checkout, "tag", "v0.13.0")
    got = {}
    for tag in ("v0.13.0", "0.13.0", "0.11.3", "0.14.0"):
        root = write(tmp_path / f"root-{tag}", fetch_by_tag(tag))
        inventory, _ = follow(root, [("libs", str(checkout))])
        libs = inventory.component(f"git:github.com/falcosecurity/libs@{tag}")
        assert libs is not None
        got[tag] = (libs.prop("bundled_source"), [(p.line, p.message) for p in inventory.problems])
    where = f"local checkout {checkout} at {head[:12]}"
    expected = {
        "v0.13.0": (f"{where}, the pinned v0.13.0", []),
        "0.13.0": (f"{where}, the pinned v0.13.0", []),  # the v-prefixed tag
        "0.11.3": (
            f"{where}, not the pinned 0.11.3 ({first[:12]})",
            [
                (
                    5,  # the GIT_TAG line, not the GIT_REPOSITORY line the component cites
                    f"github.com/falcosecurity/libs@0.11.3: checkout {checkout} at {head}, "
                    f"pinned 0.11.3 (0.11.3 is {first}); the checkout is audited as it is",
                )
            ],
        ),
        "0.14.0": (
            f"{where}, commit not checked: 0.14.0 is not a tag or branch of the checkout",
            [],
        ),
    }
    assert got == expected


def test_a_checkout_inside_another_repository_is_not_checked(tmp_path: Path) -> None:
    committed(tmp_path / "mono", {"README": "x\n"})
    libs = write(tmp_path / "mono" / "third_party" / "libs", LIBS)
    root = write(tmp_path / "falco", falco())
    inventory, _ = follow(root, [("libs", str(libs))])
    comp = inventory.component(LIBS_ID)
    assert comp is not None
    assert comp.prop("bundled_source") == (
        f"local checkout {libs}, commit not checked: not the top of a git work tree (the work "
        "tree's top is a parent directory)"
    )
    assert inventory.problems == ()


def test_reading_the_checkout_commit_runs_nothing_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "libs"
    head = committed(checkout, LIBS)
    trap = tmp_path / "trapped"
    hook = write(tmp_path / "hooks", {"hook.sh": f"#!/bin/sh\ntouch {trap}\n"}) / "hook.sh"
    hook.chmod(0o755)
    git(checkout, "config", "core.fsmonitor", str(hook))
    git(checkout, "config", "core.hooksPath", str(hook.parent))
    for name in ("post-index-change", "reference-transaction", "post-checkout"):
        (hook.parent / name).symlink_to(hook)
    # a hook that runs depaudit leaves GIT_DIR and GIT_INDEX_FILE of its own repository
    other = tmp_path / "other"
    committed(other, {"x": "y\n"})
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    root = write(tmp_path / "falco", falco(version=head))
    inventory, _ = follow(root, [("libs", str(checkout))])
    libs = inventory.component(f"download:github.com/falcosecurity/libs@{head}")
    assert libs is not None
    assert libs.prop("bundled_source") == (
        f"local checkout {checkout} at {head[:12]}, the pinned commit"
    )
    assert not trap.exists()
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_INDEX_FILE")
    git(checkout, "status")  # control: the trap is armed
    assert trap.exists()


def test_a_submodule_checkout_is_checked_against_its_gitlink(tmp_path: Path) -> None:
    """With the pipeline's submodule pins (audit.gitindex), a submodule's checkout is compared
    with the commit of its gitlink; a mismatch cites the gitlink's evidence."""
    from audit.gitindex import pin_submodules

    def pinned_tree(path: Path, config: Config) -> InventoryRun:
        found = discover(path)
        result = pin_submodules(found.root, scan(found).result)
        return InventoryRun(link(str(path), result), ())

    checkout = tmp_path / "tinydir"
    head = committed(checkout, {"tinydir.h": "#define TINYDIR_H\n"})
    gitmodules = '[submodule "t"]\n\tpath = deps/t\n\turl = https://github.com/cxong/tinydir\n'
    root = write(tmp_path / "root", {".gitmodules": gitmodules})
    git(root, "init", "-q")
    git(root, "update-index", "--add", "--cacheinfo", f"160000,{COMMIT},deps/t")
    run = pinned_tree(root, Config())
    inventory, _ = follow_bundled(
        run.inventory, (), root, Config(), scan_tree=pinned_tree, sources=[("t", str(checkout))]
    )
    sub = inventory.component(f"submodule:github.com/cxong/tinydir@{COMMIT}")
    assert sub is not None
    assert sub.prop("bundled_tree") == "tinydir@4d4e1f3f2c86"
    assert inventory.problems == (
        Problem(
            ".gitmodules",
            3,
            "config",
            f"github.com/cxong/tinydir@{COMMIT}: checkout {checkout} at {head}, pinned {COMMIT}; "
            "the checkout is audited as it is",
            "bundled",
        ),
    )


def test_git_mirror_filter_drivers_never_run(tmp_path: Path) -> None:
    """``git archive`` applies the filter drivers ``.gitattributes`` selects: a mirror whose
    configuration defines one (smudge or long-running process) must not get it run."""
    trap = tmp_path / "trapped"
    hook = write(tmp_path / "hooks", {"f.sh": f"#!/bin/sh\ntouch {trap}\ncat\n"}) / "f.sh"
    hook.chmod(0o755)
    mirror = write(tmp_path / "libs.git", {**LIBS, ".gitattributes": "* filter=trap\n"})
    git(mirror, "init", "-q")
    git(mirror, "add", ".")
    git(mirror, "commit", "-q", "-m", "pinned")
    pinned = git(mirror, "rev-parse", "HEAD")
    git(mirror, "config", "filter.trap.smudge", str(hook))
    git(mirror, "config", "filter.trap.required", "true")
    git(mirror, "config", "filter.other.process", str(hook))
    root = write(tmp_path / "falco", falco(version=pinned))
    inventory, _ = follow(root, [("libs", f"{mirror}@auto")])
    assert CURL_ID in {c.id for c in inventory.components}
    assert inventory.problems == ()
    assert not trap.exists()
    git(mirror, "archive", "--format=tar", "-o", str(tmp_path / "control.tar"), "HEAD")
    assert trap.exists()  # control: plain git archive runs the driver


def two_pins() -> dict[str, str]:
    """Falco's two pins of falcosecurity/libs (falco-0.35.1 cmake/modules/*-repo), in small."""
    files = falco("0.11.3")
    files["CMakeLists.txt"] += "include(driver)\n"
    files["cmake/modules/driver.cmake"] = (
        "ExternalProject_Add(driver\n"
        '  URL "https://github.com/falcosecurity/libs/archive/5.0.1+driver.tar.gz")\n'
    )
    return files


def test_pinned_keys_designate_one_pin() -> None:
    libs = download_component(LIBS_URL, [EV], name="falcosecurity-libs")
    assert "falcosecurity/libs@" + COMMIT in pinned_keys(libs)
    assert "libs@" + COMMIT in pinned_keys(libs)
    assert pinned_keys(download_component("https://e.com/blob", [EV])) == frozenset()


def test_name_at_version_maps_each_pin_to_its_tree(tmp_path: Path) -> None:
    root, old, new = tmp_path / "falco", tmp_path / "libs-old", tmp_path / "libs-new"
    write(root, two_pins())
    write(old, LIBS)
    write(new, {"driver/main.c": "int x;\n"})
    inventory, _ = follow(
        root,
        [
            ("falcosecurity/libs@0.11.3", str(old)),
            ("falcosecurity/libs@5.0.1+driver", str(new)),
        ],
    )
    trees = {c.id: c.prop("bundled_tree") for c in inventory.components if c.prop("bundled_tree")}
    assert trees == {
        "download:github.com/falcosecurity/libs@0.11.3": "libs@0.11.3",
        "download:github.com/falcosecurity/libs@5.0.1+driver": "libs@5.0.1+driver",
    }
    assert not [p for p in inventory.problems if p.scanner == "bundled"]


def test_a_name_without_version_for_two_pins_is_ambiguous(tmp_path: Path) -> None:
    root, libs = tmp_path / "falco", tmp_path / "libs"
    write(root, two_pins())
    write(libs, LIBS)
    inventory, _ = follow(root, [("falcosecurity/libs", str(libs))])
    assert not [c for c in inventory.components if c.prop("bundled_tree")]
    messages = sorted((p.path, p.message) for p in inventory.problems if p.scanner == "bundled")
    assert messages == [
        (
            path,
            f"source falcosecurity/libs={libs} (--source) designates 2 pins (0.11.3, "
            f"5.0.1+driver); not descending into {what}: map each with "
            "falcosecurity/libs@VERSION=PATH",
        )
        for path, what in [
            ("cmake/modules/driver.cmake", "driver@5.0.1+driver"),
            ("cmake/modules/falcosecurity-libs.cmake", "falcosecurity-libs@0.11.3"),
        ]
    ]


DUAL = "// SPDX-License-Identifier: GPL-2.0-only OR MIT\n"
DRIVER_TREE = {
    "CMakeLists.txt": (
        'option(USE_BUNDLED_DRIVER "driver" ON)\n'
        "if(USE_BUNDLED_DRIVER)\n  add_subdirectory(driver)\nendif()\n"
    ),
    "driver/CMakeLists.txt": "add_subdirectory(bpf)\n",
    "driver/main.c": DUAL + 'MODULE_LICENSE("GPL");\n',
    "driver/bpf/CMakeLists.txt": "",
    "driver/bpf/probe.c": DUAL + 'char __license[] __bpf_section("license") = "GPL";\n',
    "driver/modern_bpf/CMakeLists.txt": "",
    "driver/modern_bpf/x.bpf.c": DUAL + 'char LICENSE[] SEC("license") = "GPL";\n',
}


def test_the_pin_s_patch_command_keeps_one_sub_directory(tmp_path: Path) -> None:
    """falco-0.35.1 cmake/modules/driver-repo/CMakeLists.txt:29 keeps only driver/."""
    root, libs = tmp_path / "falco", tmp_path / "libs"
    write(
        root,
        {
            "CMakeLists.txt": "include(driver)\n",
            "cmake/driver.cmake": (
                "ExternalProject_Add(driver\n"
                '  URL "https://github.com/falcosecurity/libs/archive/5.0.1+driver.tar.gz"\n'
                '  PATCH_COMMAND sh -c "mv ./driver ../driver.tmp && rm -rf ./* && '
                'mv ../driver.tmp/* ."\n)\n'
            ),
        },
    )
    write(libs, {**DRIVER_TREE, "userspace/libscap/scap.c": "int scap;\n"})
    inventory = build_inventory(root, Config(), sources=(("libs", str(libs)),)).inventory
    comps = {c.id: c for c in inventory.components}
    pin = comps["download:github.com/falcosecurity/libs@5.0.1+driver"]
    assert (pin.prop("source_subdir"), pin.prop("source_subdir_line")) == ("driver", "3")
    assert pin.prop("bundled_source") == (
        f"local checkout {libs}, commit not checked: not a git work tree; its driver/ only "
        "(the PATCH_COMMAND at cmake/driver.cmake:3 keeps only that)"
    )
    sources = {c.id: c.prop("context") for c in comps.values() if c.kind.value == "source"}
    assert sources == {
        "source:libs@5.0.1+driver": "kernel-module",
        "source:libs@5.0.1+driver/bpf": "ebpf",
        # nothing in driver/ adds modern_bpf: it is not built by this pin
        "source:libs@5.0.1+driver/modern_bpf": "userspace",
    }


def test_the_including_build_s_cache_settings_turn_kernel_code_off(tmp_path: Path) -> None:
    """falco-0.35.1 cmake/modules/falcosecurity-libs.cmake:20 sets USE_BUNDLED_DRIVER OFF
    for its libs pin, whose CMakeLists.txt builds driver/ only when it is on."""
    root, libs = tmp_path / "falco", tmp_path / "libs"
    files = falco("0.11.3")
    files["cmake/modules/falcosecurity-libs.cmake"] = (
        'set(USE_BUNDLED_DRIVER OFF CACHE BOOL "")\n'
        + files["cmake/modules/falcosecurity-libs.cmake"]
    )
    write(root, files)
    write(libs, DRIVER_TREE)
    inventory = build_inventory(root, Config(), sources=(("libs", str(libs)),)).inventory
    driver = next(c for c in inventory.components if c.id == "source:libs@0.11.3/driver")
    assert driver.prop("context") == "userspace"
    assert driver.prop("context_reason") == (
        "its kernel-module build (libs@0.11.3:driver/CMakeLists.txt) is not part of this "
        "build: it is included only when USE_BUNDLED_DRIVER (USE_BUNDLED_DRIVER is set to OFF "
        "by the including build (cmake/modules/falcosecurity-libs.cmake:1)); its files count "
        "as userspace code of the tree"
    )
    assert (driver.prop("kernel_context") or "").startswith("kernel-module: MODULE_LICENSE")
    # without the setting, the tree's own default builds the driver
    write(root, falco("0.11.3"))
    inventory = build_inventory(root, Config(), sources=(("libs", str(libs)),)).inventory
    driver = next(c for c in inventory.components if c.id == "source:libs@0.11.3/driver")
    assert driver.prop("context") == "kernel-module"


def test_tree_files_of_a_discovered_tree(tmp_path: Path) -> None:
    """The paths the analyses after the scan look for are picked once, from the file list:
    the CI files and Dockerfiles (cmake command lines), the paths vendored code may be in."""
    from audit.bundled import TreeFiles

    names = (".github/workflows/ci.yml", "docker/Dockerfile", "README.md", "src/main.c")
    write(tmp_path, dict.fromkeys([*names, "src/uthash.h", "third_party/zlib/zlib.h"], "x\n"))
    found = discover(tmp_path, use_git=False)
    files = TreeFiles.of(found.root, found.files)
    assert files.root == tmp_path.resolve()
    assert sorted(files.files) == [c.path for c in found.files]
    assert files.ci == [".github/workflows/ci.yml", "docker/Dockerfile"]
    assert files.vendored == ["src/uthash.h", "third_party/zlib/zlib.h"]
    assert files.read("src/main.c") == "x\n"
