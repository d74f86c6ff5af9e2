"""Reusable workflows read with their callers' inputs (audit/ci_follow.py), on small trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.config import Config
from audit.model import Inventory, Relation
from audit.pipeline import build_inventory

CALLER = """\
on: push
jobs:
  local:
    uses: ./.github/workflows/reusable.yml
    with:
      arch: aarch64
      tag: v1
  remote:
    uses: acme/app/.github/workflows/reusable.yml@main
    with:
      tag: ${{ github.sha }}
  matrix:
    strategy:
      matrix:
        arch: [x86_64, s390x]
    uses: ./.github/workflows/reusable.yml
    with:
      arch: ${{ matrix.arch }}
      tag: v2
  third-party:
    if: github.repository == 'acme/app'
    uses: other/tools/.github/workflows/x.yml@v1
"""

REUSABLE = """\
on:
  workflow_call:
    inputs:
      arch:
        type: string
        default: x86_64
      tag:
        type: string
        required: true
jobs:
  push:
    runs-on: ubuntu-latest
    steps:
      - run: |
          curl -LO https://example.org/tool-${{ inputs.arch }}.tgz
          docker push ghcr.io/acme/app:${{ inputs.arch }}-${{ inputs.tag }}
"""


def _tree(tmp_path: Path, **files: str) -> Inventory:
    for name, text in files.items():
        path = tmp_path / ".github" / "workflows" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return build_inventory(tmp_path, Config()).inventory


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    return _tree(tmp_path, **{"caller.yml": CALLER, "reusable.yml": REUSABLE})


def test_one_reading_per_caller_plus_defaults(inventory: Inventory) -> None:
    """caller.yml's `local` (arch aarch64), `matrix` (x86_64 and s390x) and the defaults
    (x86_64) each give the download of their architecture."""
    downloads = sorted(c.id for c in inventory.components if c.id.startswith("download:"))
    assert downloads == [
        "download:example.org/tool-aarch64.tgz",
        "download:example.org/tool-s390x.tgz",
        "download:example.org/tool-x86_64.tgz",
    ]
    comp = next(c for c in inventory.components if c.id == "download:example.org/tool-s390x.tgz")
    # the called file's line, and the caller's job whose values made it
    assert [e.location for e in comp.evidence] == [
        ".github/workflows/caller.yml:12",
        ".github/workflows/reusable.yml:15",
    ]


def test_pushed_images_take_the_callers_tags(inventory: Inventory) -> None:
    images = sorted(c.id for c in inventory.components if c.id.startswith("image:"))
    assert images == [
        "image:ghcr.io/acme/app",  # defaults and the remote caller: tag not known
        "image:ghcr.io/acme/app:aarch64-v1",
        "image:ghcr.io/acme/app:s390x-v2",
        "image:ghcr.io/acme/app:x86_64-v2",
    ]
    assert all(
        c.prop("published") == "docker push"
        for c in inventory.components
        if c.id.startswith("image:")
    )


def test_same_repository_remote_call_is_the_workflow_not_an_action(inventory: Inventory) -> None:
    """`acme/app/.github/workflows/reusable.yml@main`: the repository names itself acme/app
    (`if: github.repository == 'acme/app'`): the job uses its own workflow. The other
    repository's workflow stays a third-party action."""
    actions = sorted(c.id for c in inventory.components if c.id.startswith("action:"))
    assert actions == ["action:other/tools/.github/workflows/x.yml@v1"]
    uses = sorted(
        (e.src, e.dst, e.evidence.location if e.evidence else "")
        for e in inventory.edges
        if e.relation == Relation.USES
    )
    assert uses == [
        (
            "ci-job:github/caller.yml/local",
            "ci-workflow:github/reusable.yml",
            ".github/workflows/caller.yml:4",
        ),
        (
            "ci-job:github/caller.yml/matrix",
            "ci-workflow:github/reusable.yml",
            ".github/workflows/caller.yml:16",
        ),
        (
            "ci-job:github/caller.yml/remote",
            "ci-workflow:github/reusable.yml",
            ".github/workflows/caller.yml:9",
        ),
        (
            "ci-job:github/caller.yml/third-party",
            "action:other/tools/.github/workflows/x.yml@v1",
            ".github/workflows/caller.yml:22",
        ),
    ]


def test_without_the_name_a_remote_call_stays_an_action(tmp_path: Path) -> None:
    caller = CALLER.replace("if: github.repository == 'acme/app'", "if: always()")
    inventory = _tree(tmp_path, **{"caller.yml": caller, "reusable.yml": REUSABLE})
    actions = sorted(c.id for c in inventory.components if c.id.startswith("action:"))
    assert actions == [
        "action:acme/app/.github/workflows/reusable.yml@main",
        "action:other/tools/.github/workflows/x.yml@v1",
    ]


def test_nested_calls_pass_inputs_down(tmp_path: Path) -> None:
    """A reusable workflow that calls another passes its own inputs on."""
    outer = """\
on: push
jobs:
  a:
    uses: ./.github/workflows/middle.yml
    with:
      arch: riscv64
"""
    middle = """\
on:
  workflow_call:
    inputs:
      arch: {type: string}
jobs:
  b:
    uses: ./.github/workflows/reusable.yml
    with:
      arch: ${{ inputs.arch }}
      tag: nested
"""
    inventory = _tree(
        tmp_path, **{"outer.yml": outer, "middle.yml": middle, "reusable.yml": REUSABLE}
    )
    ids = {c.id for c in inventory.components}
    assert "download:example.org/tool-riscv64.tgz" in ids
    assert "image:ghcr.io/acme/app:riscv64-nested" in ids


# Makefile targets and scripts CI steps run --------------------------------------------

STEPS = """\
on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - run: make push VERSION=2.0
        env:
          REPO: ghcr.io/acme
      - run: make push
        env:
          REPO: localhost:5001
      - run: ./hack/tools.sh
      - run: bash hack/missing.sh
"""

MAKEFILE = """\
REPO ?= quay.io/acme
VERSION ?= 1.0

push:
\tdocker push $(REPO)/app:$(VERSION)
\t./hack/tools.sh
"""

TOOLS = """\
#!/bin/bash
curl -LO https://example.org/tool-1.2.tgz
"""


def _files(tmp_path: Path, files: dict[str, str]) -> Inventory:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return build_inventory(tmp_path, Config()).inventory


@pytest.fixture
def runs(tmp_path: Path) -> Inventory:
    return _files(
        tmp_path,
        {
            ".github/workflows/release.yml": STEPS,
            "Makefile": MAKEFILE,
            "hack/tools.sh": TOOLS,
        },
    )


def _comp(inventory: Inventory, cid: str) -> tuple[dict[str, str], list[str]]:
    comp = next(c for c in inventory.components if c.id == cid)
    return dict(comp.properties), [e.location for e in comp.evidence]


def test_make_target_pushes_with_the_step_s_values(runs: Inventory) -> None:
    """release.yml:6 `make push VERSION=2.0` with `REPO: ghcr.io/acme`: Makefile:5 pushes
    ghcr.io/acme/app:2.0, published; the evidence is the step, then the recipe line."""
    props, evidence = _comp(runs, "image:ghcr.io/acme/app:2.0")
    assert props == {"published": "docker push"}
    assert evidence == [".github/workflows/release.yml:6", "Makefile:5"]


def test_a_push_to_a_local_registry_is_not_publishing(runs: Inventory) -> None:
    """release.yml:9 `make push` with `REPO: localhost:5001` (a registry on the runner)."""
    props, evidence = _comp(runs, "image:localhost:5001/app:1.0")
    assert props == {"pushed-locally": "docker push"}
    assert evidence == [".github/workflows/release.yml:9", "Makefile:5"]


def test_scripts_are_followed_directly_and_from_make(runs: Inventory) -> None:
    """release.yml:12 `./hack/tools.sh`, and Makefile:6 (run by :6 and :9) run
    hack/tools.sh, whose :2 downloads the tool; the job installs it."""
    _, evidence = _comp(runs, "download:example.org/tool-1.2.tgz")
    assert evidence == [
        ".github/workflows/release.yml:6",
        ".github/workflows/release.yml:9",
        ".github/workflows/release.yml:12",
        "Makefile:6",
        "hack/tools.sh:2",
    ]
    assert {(e.src, e.relation) for e in runs.edges if e.dst.startswith("download:")} == {
        ("ci-job:github/release.yml/release", Relation.INSTALLS)
    }


def test_a_file_not_in_the_tree_is_not_followed(runs: Inventory) -> None:
    """release.yml:13 `bash hack/missing.sh`: generated or built files (CMake's
    build/Makefile, a test binary) are not the repository's to read."""
    assert runs.problems == ()
    assert not [n for n in runs.nodes if n.kind == "ci-run"]


def test_the_files_or_their_map_by_path_alike(tmp_path: Path) -> None:
    """follow takes the tree's files, or the map of them by path the pipeline has made."""
    from audit.ci_follow import follow
    from audit.discover import by_path, discover
    from audit.scan import Remembered, scan

    _files(tmp_path, {".github/workflows/release.yml": STEPS, "Makefile": MAKEFILE})
    found = discover(tmp_path)
    out = scan(found)
    read = Remembered(found.root, None).read
    followed = follow(found.root, found.files, out.result, read)
    assert follow(found.root, by_path(found.files), out.result, read) == followed
    assert len(followed.components) > len(out.result.components)  # the Makefile was read


def test_merge_takes_a_list_one_result_alone_has_as_it_is() -> None:
    """Following CI joins the tree's result with what it added: the tree's notices, which
    nothing else adds to, are taken as they are (:meth:`ScanResult.merge`)."""
    from audit.model import Evidence, Node, Notice, Problem, ScanResult

    ev = Evidence("a.c", 1, "x", "notices")
    notices = (
        Notice("a.c", 1, "spdx-tag", "MIT", "MIT", ev),
        Notice("b.c", 1, "prose", "MIT", "MIT", ev),
    )
    one, two = Node("job:a", "ci-job", "a"), Node("job:b", "ci-job", "b")
    base = ScanResult(
        nodes=(one,), notices=notices, problems=(Problem("a.c", 1, "parse-error", "y"),)
    )
    extra = ScanResult(nodes=(two,))
    joined = ScanResult.merge([base, extra])
    assert joined.notices is notices
    assert joined == ScanResult(
        (), (one, two), (), notices, (Problem("a.c", 1, "parse-error", "y"),)
    )
    assert ScanResult.merge([ScanResult(), ScanResult()]) == ScanResult()
