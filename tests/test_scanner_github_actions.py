"""Tests for audit.scanners.github_actions."""

from __future__ import annotations

import pytest
import yaml
from ci_scanner_helpers import Call, edges, problems, record_scripts
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.model import ScanResult
from audit.scanners.base import SourceFile
from audit.scanners.github_actions import SCANNER, local_action_id, workflow_id

PATH = ".github/workflows/ci.yml"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    return record_scripts(monkeypatch, "github-actions")


def _scan(text: str, path: str = PATH) -> ScanResult:
    return SCANNER.scan(SourceFile(path, text))


_edges = edges
_problems = problems


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".github/workflows/ci.yml", True),
        (".github/workflows/release.yaml", True),
        ("plugins/.github/workflows/ci.yml", True),
        (".github/workflows/README.md", False),
        (".github/workflows/sub/ci.yml", False),
        (".github/dependabot.yml", False),
        ("action.yml", True),
        (".github/actions/setup/action.yaml", True),
        ("docs/action.yml.txt", False),
        (".circleci/config.yml", False),
    ],
)
def test_matches(path: str, expected: bool) -> None:
    assert SCANNER.matches(path) is expected
    assert SCANNER.name == "github-actions"


@pytest.mark.parametrize(
    ("uses", "node"),
    [
        ("./.github/actions/setup", "action-local:.github/actions/setup"),
        ("./.github/actions/setup/", "action-local:.github/actions/setup"),
        ("./", "action-local:."),
        ("", "action-local:."),
    ],
)
def test_local_action_id(uses: str, node: str) -> None:
    assert local_action_id(uses) == node


# Workflows ----------------------------------------------------------------------------------

# Modeled on Falco's .github/workflows (ci.yml, reusable_build_docker.yaml) of 2023.
CI = """\
name: CI Build
on:
  pull_request:
env:
  BUILD_TYPE: release
  SHA: ${{ github.sha }}
jobs:
  build-dev-packages:
    uses: falcosecurity/falco/.github/workflows/reusable_build_packages.yaml@master
    with:
      arch: x86_64
  build-local:
    uses: ./.github/workflows/reusable_build_packages.yaml
  build-docker:
    needs: [build-dev-packages, build-local]
    runs-on: ubuntu-22.04
    container:
      image: docker.io/falcosecurity/falco-builder:latest
    services:
      registry:
        image: registry:2
      optional:
        image: ''
    steps:
      - name: Checkout
        uses: actions/checkout@8e5e7e5ab8b370d6c329ec480221332ada57f0ab # v3.5.2
      - uses: ./.github/actions/setup-falco
      - uses: docker://alpine:3.18
        with:
          args: echo hi
      - name: Build and push
        uses: docker/build-push-action@v4
        with:
          context: ./docker/falco
          tags: |
            falcosecurity/falco:master
            falcosecurity/falco:${{ github.sha }}
      - uses: docker/build-push-action@v4
        with:
          file: ./docker/driver-loader/Dockerfile
          context: ./docker
          tags: falcosecurity/falco-driver-loader:master,falcosecurity/x:1
      - uses: docker/build-push-action@v4
        with:
          tags: ${{ steps.meta.outputs.tags }}
      - name: Test
        env:
          GOFLAGS: -mod=mod
        run: |
          make test
          pip install pytest==7.4.0
  test:
    needs: build-docker
    strategy:
      matrix:
        image: ["fedora:38", "ubuntu:22.04"]
    runs-on: [self-hosted, linux, ARM64]
    container: ${{ matrix.image }}
    defaults:
      run:
        shell: pwsh
    steps:
      - run: Get-ChildItem
      - run: echo ok
        shell: bash
      - uses: actions/cache@${{ inputs.ref }}
  group:
    runs-on:
      group: large-runners
      labels: [ubuntu-latest-16-cores]
    needs: [missing]
    steps: []
"""


def test_workflow_nodes(calls: list[Call]) -> None:
    result = _scan(CI)
    job = "ci-job:github/ci.yml/"
    assert [(n.id, n.kind, n.name, n.evidence[0].line, n.properties) for n in result.nodes] == [
        (
            "ci-workflow:github/ci.yml",
            "ci-workflow",
            "CI Build",
            1,
            (("file", ".github/workflows/ci.yml"),),
        ),
        (
            job + "build-dev-packages",
            "ci-job",
            "build-dev-packages",
            8,
            (
                ("call_inputs", '[{"inputs.arch": "x86_64"}]'),
                (
                    "calls",
                    "falcosecurity/falco/.github/workflows/reusable_build_packages.yaml@master",
                ),
                ("workflow", "ci.yml"),
            ),
        ),
        (
            job + "build-local",
            "ci-job",
            "build-local",
            12,
            (
                ("call_inputs", "[{}]"),
                ("calls", "./.github/workflows/reusable_build_packages.yaml"),
                ("workflow", "ci.yml"),
            ),
        ),
        (
            job + "build-docker",
            "ci-job",
            "build-docker",
            14,
            (("runs-on", "ubuntu-22.04"), ("workflow", "ci.yml")),
        ),
        (
            job + "test",
            "ci-job",
            "test",
            52,
            (("runs-on", "self-hosted,linux,ARM64"), ("workflow", "ci.yml")),
        ),
        (
            job + "group",
            "ci-job",
            "group",
            67,
            (("runs-on", "group=large-runners,ubuntu-latest-16-cores"), ("workflow", "ci.yml")),
        ),
    ]
    assert workflow_id("ci.yml") == "ci-workflow:github/ci.yml"


def test_workflow_components(calls: list[Call]) -> None:
    result = _scan(CI)
    assert [(c.id, c.kind.value, [e.line for e in c.evidence]) for c in result.components] == [
        (
            "action:falcosecurity/falco/.github/workflows/reusable_build_packages.yaml@master",
            "action",
            [9],
        ),
        ("image:falcosecurity/falco-builder:latest", "image", [18]),
        ("image:registry:2", "image", [21]),
        ("action:actions/checkout@8e5e7e5ab8b370d6c329ec480221332ada57f0ab", "action", [26]),
        ("image:alpine:3.18", "image", [28]),
        ("action:docker/build-push-action@v4", "action", [32, 38, 43]),
        ("image:falcosecurity/falco:master", "image", [36]),
        ("image:falcosecurity/falco-driver-loader:master", "image", [42]),
        ("image:fedora:38", "image", [58]),
        ("image:ubuntu:22.04", "image", [58]),
    ]
    reusable = result.components[0]
    assert reusable.purl == (
        "pkg:github/falcosecurity/falco@master#.github/workflows/reusable_build_packages.yaml"
    )


def test_workflow_edges(calls: list[Call]) -> None:
    job = "ci-job:github/ci.yml/"
    assert _edges(_scan(CI)) == [
        (
            job + "build-dev-packages",
            "uses",
            "action:falcosecurity/falco/.github/workflows/reusable_build_packages.yaml@master",
            9,
            "",
        ),
        (
            job + "build-local",
            "uses",
            "ci-workflow:github/reusable_build_packages.yaml",
            13,
            "",
        ),
        (job + "build-docker", "requires", job + "build-dev-packages", 15, ""),
        (job + "build-docker", "requires", job + "build-local", 15, ""),
        (
            job + "build-docker",
            "runs-in",
            "image:falcosecurity/falco-builder:latest",
            18,
            "container",
        ),
        (job + "build-docker", "runs-in", "image:registry:2", 21, "service registry"),
        (
            job + "build-docker",
            "uses",
            "action:actions/checkout@8e5e7e5ab8b370d6c329ec480221332ada57f0ab",
            26,
            "",
        ),
        (job + "build-docker", "uses", "action-local:.github/actions/setup-falco", 27, ""),
        (job + "build-docker", "runs-in", "image:alpine:3.18", 28, "docker step"),
        (job + "build-docker", "uses", "action:docker/build-push-action@v4", 32, ""),
        (
            "image:falcosecurity/falco:master",
            "built-from",
            "dockerfile:docker/falco/Dockerfile",
            32,
            "docker/build-push-action",
        ),
        (job + "build-docker", "uses", "action:docker/build-push-action@v4", 38, ""),
        (
            "image:falcosecurity/falco-driver-loader:master",
            "built-from",
            "dockerfile:docker/driver-loader/Dockerfile",
            38,
            "docker/build-push-action",
        ),
        (job + "build-docker", "uses", "action:docker/build-push-action@v4", 43, ""),
        (job + "test", "requires", job + "build-docker", 53, ""),
        (job + "test", "runs-in", "image:fedora:38", 58, "container"),
        (job + "test", "runs-in", "image:ubuntu:22.04", 58, "container"),
    ]


def test_workflow_problems(calls: list[Call]) -> None:
    assert _problems(_scan(CI)) == [
        (
            45,
            "unresolved",
            "image '${{ steps.meta.outputs.tags }}' holds an expression; not resolved",
        ),
        (
            66,
            "unresolved",
            "'uses: actions/cache@${{ inputs.ref }}' holds an expression; not resolved",
        ),
        (71, "unresolved", "job 'group' needs 'missing', which is not a job here"),
    ]


def test_workflow_run_steps(calls: list[Call]) -> None:
    _scan(CI)
    assert calls == [
        Call(
            "make test\npip install pytest==7.4.0\n",
            50,
            "ci-job:github/ci.yml/build-docker",
            {"BUILD_TYPE": "release", "GOFLAGS": "-mod=mod"},
        ),
        Call("echo ok", 64, "ci-job:github/ci.yml/test", {"BUILD_TYPE": "release"}),
    ]
    assert CI.splitlines()[50 - 1].strip() == "make test"


@pytest.mark.parametrize(
    ("inputs", "dockerfile"),
    [
        ("context: .", "dockerfile:Dockerfile"),
        ("file: build/Dockerfile.alpine", "dockerfile:build/Dockerfile.alpine"),
        ("context: '{{defaultContext}}:docker/tester'", "dockerfile:docker/tester/Dockerfile"),
        ("push: true", "dockerfile:Dockerfile"),
        ("context: ./docker/../tools/", "dockerfile:tools/Dockerfile"),
        # the hosted runner's checkout path is the scanned root (inspektor-gadget.yml:499-500)
        (
            "file: /home/runner/work/inspektor-gadget/inspektor-gadget/"
            "Dockerfiles/gadget.Dockerfile",
            "dockerfile:Dockerfiles/gadget.Dockerfile",
        ),
        ("context: /home/runner/work/app/app/", "dockerfile:Dockerfile"),
        (
            "context: /home/runner/work/app/other/x",
            "dockerfile:home/runner/work/app/other/x/Dockerfile",
        ),
    ],
)
def test_build_push_dockerfile(inputs: str, dockerfile: str, calls: list[Call]) -> None:
    text = (
        "jobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/build-push-action@v5\n        with:\n"
        f"          {inputs}\n          tags:\n            - ghcr.io/org/app:1.0\n"
    )
    result = _scan(text)
    assert result.problems == ()
    assert _edges(result)[-1] == (
        "image:ghcr.io/org/app:1.0",
        "built-from",
        dockerfile,
        5,
        "docker/build-push-action",
    )
    assert result.components[-1].evidence[0].line == 9


def test_build_push_with_remote_context_is_unresolved(calls: list[Call]) -> None:
    text = (
        "jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v5\n        with:\n"
        "          context: https://github.com/org/app.git#main\n          tags: org/app:1\n"
    )
    result = _scan(text)
    assert [c.id for c in result.components] == [
        "action:docker/build-push-action@v5",
        "image:org/app:1",
    ]
    assert _problems(result) == [
        (
            4,
            "unresolved",
            "Dockerfile 'https://github.com/org/app.git#main' holds an expression or URL; "
            "not resolved",
        )
    ]


# Local actions ------------------------------------------------------------------------------

COMPOSITE = """\
name: Setup Falco
description: Installs the Falco build dependencies
runs:
  using: composite
  steps:
    - uses: actions/setup-go@v4
      with:
        go-version: "1.20"
    - run: sudo apt-get install -y libelf-dev
      shell: bash
    - run: Write-Output skipped
      shell: pwsh
    - uses: ./.github/actions/common
"""


def test_composite_action(calls: list[Call]) -> None:
    path = ".github/actions/setup-falco/action.yml"
    result = _scan(COMPOSITE, path)
    node = "action-local:.github/actions/setup-falco"
    assert [(n.id, n.kind, n.name, n.evidence[0].line, n.properties) for n in result.nodes] == [
        (node, "ci-action", "Setup Falco", 3, (("using", "composite"),))
    ]
    assert [c.id for c in result.components] == ["action:actions/setup-go@v4"]
    assert _edges(result) == [
        (node, "uses", "action:actions/setup-go@v4", 6, ""),
        (node, "uses", "action-local:.github/actions/common", 13, ""),
    ]
    assert calls == [Call("sudo apt-get install -y libelf-dev", 9, node, {})]
    assert result.problems == ()


@pytest.mark.parametrize(
    ("path", "image", "edge"),
    [
        (
            "action.yml",
            "Dockerfile",
            ("action-local:.", "runs-in", "dockerfile:Dockerfile", 4, "docker action"),
        ),
        (
            "tools/lint/action.yaml",
            "../Dockerfile.lint",
            (
                "action-local:tools/lint",
                "runs-in",
                "dockerfile:tools/Dockerfile.lint",
                4,
                "docker action",
            ),
        ),
        (
            "tools/lint/action.yml",
            "docker://ghcr.io/org/linter:2",
            (
                "action-local:tools/lint",
                "runs-in",
                "image:ghcr.io/org/linter:2",
                4,
                "docker action",
            ),
        ),
    ],
)
def test_docker_action(path: str, image: str, edge: tuple[str, ...], calls: list[Call]) -> None:
    text = f"name: lint\nruns:\n  using: docker\n  image: '{image}'\n"
    result = _scan(text, path)
    assert result.problems == ()
    assert _edges(result) == [edge]
    assert result.nodes[0].properties == (("using", "docker"),)


@pytest.mark.parametrize(
    "text",
    ["name: not an action\n", "", "inputs: {}\n"],
)
def test_other_action_files_are_ignored(text: str, calls: list[Call]) -> None:
    assert _scan(text, "action.yml") == ScanResult()


# Wrong shapes and malformed files -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("jobs:\n  - build\n", [(2, "parse-error", "'jobs' must be a mapping")]),
        ("- a\n", [(1, "parse-error", "a workflow or action file must be a mapping")]),
        (
            "jobs:\n  a: 'string'\n  b:\n  c:\n    steps: {run: make}\n"
            "  d:\n    steps:\n      - checkout\n      - uses: [a]\n      - run: {x: 1}\n"
            "  e:\n    needs: [{job: a}]\n    services: [redis]\n    container: {}\n",
            [
                (2, "parse-error", "job 'a' must be a mapping"),
                (3, "parse-error", "job 'b' must be a mapping"),
                (5, "parse-error", "'steps' must be a list"),
                (8, "parse-error", "a step must be a mapping"),
                (9, "parse-error", "step 'uses' must be a string"),
                (10, "parse-error", "'run' must be a string"),
                (12, "parse-error", "job 'e': 'needs' entries must be names"),
                (14, "parse-error", "'container' needs an 'image'"),
                (13, "parse-error", "'services' must be a mapping"),
            ],
        ),
        (
            # the quote opened on line 5, the last line, is never closed: PyYAML's mark is
            # at the end of the stream, on a line 6 that the file does not have
            'jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "echo x\n',
            [
                (
                    5,
                    "parse-error",
                    "malformed YAML: while scanning a quoted scalar, found unexpected end "
                    "of stream",
                )
            ],
        ),
        ("on: push\n", []),
    ],
)
def test_wrong_shapes(text: str, problems: list[tuple[int, str, str]], calls: list[Call]) -> None:
    assert _problems(_scan(text)) == problems


def test_other_jobs_survive_a_bad_one(calls: list[Call]) -> None:
    text = "jobs:\n  bad: 3\n  good:\n    container: node:20\n"
    result = _scan(text)
    assert [n.id for n in result.nodes] == [
        "ci-workflow:github/ci.yml",
        "ci-job:github/ci.yml/good",
    ]
    assert [c.id for c in result.components] == ["image:node:20"]
    assert _problems(result) == [(2, "parse-error", "job 'bad' must be a mapping")]


def test_run_step_pip_install_yields_installs_edge() -> None:
    text = "jobs:\n  lint:\n    steps:\n      - run: pip install x==1\n"
    result = _scan(text)
    assert ("ci-job:github/ci.yml/lint", "installs", "pypi:x@1", 4) in [
        edge[:4] for edge in _edges(result)
    ]


# Robustness ---------------------------------------------------------------------------------

_WORDS = [
    "jobs",
    "steps",
    "uses",
    "run",
    "with",
    "tags",
    "file",
    "context",
    "needs",
    "runs-on",
    "container",
    "services",
    "image",
    "env",
    "shell",
    "defaults",
    "runs",
    "using",
    "docker",
    "composite",
    "a",
    "docker/build-push-action@v5",
    "./a",
    "docker://",
    "docker://x:1",
    "${{ m }}",
    "o/r@v1",
]
_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(_WORDS), st.text(max_size=4)
)
_tree = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(_WORDS), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(_tree)
def test_never_raises_on_any_shape(value: object) -> None:
    for path in (PATH, "action.yml"):
        result = _scan(yaml.safe_dump(value), path)
        assert all(p.kind in ("parse-error", "unresolved", "skipped") for p in result.problems)
        assert all(p.line >= 0 for p in result.problems)


@pytest.mark.parametrize(
    ("push", "props"),
    [
        ("true", (("published", "docker/build-push-action"),)),
        ("false", ()),
    ],
)
def test_build_push_action_with_push_marks_the_image_published(
    push: str, props: tuple[tuple[str, str], ...]
) -> None:
    from audit.scanners.github_actions import SCANNER as ACTIONS

    text = (
        "on: push\njobs:\n  release:\n    runs-on: ubuntu-22.04\n    steps:\n"
        "      - uses: docker/build-push-action@v5\n        with:\n"
        f"          context: docker/app\n          push: {push}\n          tags: example/app:1.0\n"
    )
    result = ACTIONS.scan(SourceFile(".github/workflows/release.yml", text))
    image = next(c for c in result.components if c.id == "image:example/app:1.0")
    assert image.properties == props
    assert [(e.src, e.dst, e.how) for e in result.edges if e.relation.value == "built-from"] == [
        ("image:example/app:1.0", "dockerfile:docker/app/Dockerfile", "docker/build-push-action")
    ]
