"""Tests for audit.scanners.circleci."""

from __future__ import annotations

import pytest
import yaml
from ci_scanner_helpers import Call, edges, problems, record_scripts
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.model import Evidence, Problem, ScanResult
from audit.scanners.base import SourceFile
from audit.scanners.circleci import SCANNER

PATH = ".circleci/config.yml"

# Modeled on Falco's .circleci/config.yml of July 2023.
FALCO = """\
version: 2.1

job_defaults: &job_defaults
  resource_class: large
  environment:
    BUILD_TYPE: "release"

jobs:
  "build-centos7":
    <<: *job_defaults
    docker:
      - image: falcosecurity/falco-builder:latest
    steps:
      - checkout:
          path: /source/falco
      - run:
          name: Prepare project
          command: /usr/bin/entrypoint cmake
  "tests-integration":
    <<: *job_defaults
    docker:
      - image: falcosecurity/falco-tester:latest
        environment:
          SOURCE_DIR: "/source"
    steps:
      - setup_remote_docker
      - run: /usr/bin/entrypoint test
  "tests-integration-static":
    <<: *job_defaults
    docker:
      - image: falcosecurity/falco-tester:latest
    steps:
      - run: /usr/bin/entrypoint test
  "tests-integration-arm64":
    machine:
      enabled: true
      image: ubuntu-2004:202101-01
    resource_class: arm.medium
    steps:
      - run:
          name: Execute integration tests
          command: |
            docker run -v /tmp/ws:/build \\
              falcosecurity/falco-tester:latest test
  "rpm-sign":
    docker:
      - image: docker.io/centos:7
    steps:
      - run: rpm --addsign /build/release/*.rpm
  "publish-packages":
    docker:
      - image: docker.io/amazon/aws-cli
    steps:
      - run: /source/falco/scripts/publish-rpm -f /build/release/falco-*.rpm
workflows:
  version: 2.1
  build_and_test:
    jobs:
      - "build-centos7"
      - "tests-integration":
          requires:
            - "build-centos7"
      - "tests-integration-static":
          requires:
            - "build-centos7"
      - "tests-integration-arm64"
      - "rpm-sign":
          requires:
            - "tests-integration"
      - "publish-packages":
          requires:
            - "rpm-sign"
            - "tests-integration-arm64"
"""


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    return record_scripts(monkeypatch, "circleci")


def _scan(text: str, path: str = PATH) -> ScanResult:
    return SCANNER.scan(SourceFile(path, text))


_edges = edges
_problems = problems


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".circleci/config.yml", True),
        (".circleci/config.yaml", True),
        (".circleci/continue.yml", True),
        ("sub/project/.circleci/config.yml", True),
        (".circleci/images/builder.yml", False),
        (".circleci/README.md", False),
        ("circleci/config.yml", False),
        (".github/workflows/ci.yml", False),
    ],
)
def test_matches(path: str, expected: bool) -> None:
    assert SCANNER.matches(path) is expected
    assert SCANNER.name == "circleci"


# Falco --------------------------------------------------------------------------------------


def test_falco_jobs(calls: list[Call]) -> None:
    result = _scan(FALCO)
    assert result.problems == ()
    assert [(n.id, n.kind, n.name, n.evidence[0].line, n.properties) for n in result.nodes] == [
        (
            "ci-job:circleci/build-centos7",
            "ci-job",
            "build-centos7",
            9,
            (
                ("executor", "docker"),
                ("primary_image", "image:falcosecurity/falco-builder:latest"),
                ("resource_class", "large"),
                ("workflows", "build_and_test"),
            ),
        ),
        (
            "ci-job:circleci/tests-integration",
            "ci-job",
            "tests-integration",
            19,
            (
                ("executor", "docker"),
                ("primary_image", "image:falcosecurity/falco-tester:latest"),
                ("resource_class", "large"),
                ("workflows", "build_and_test"),
            ),
        ),
        (
            "ci-job:circleci/tests-integration-static",
            "ci-job",
            "tests-integration-static",
            28,
            (
                ("executor", "docker"),
                ("primary_image", "image:falcosecurity/falco-tester:latest"),
                ("resource_class", "large"),
                ("workflows", "build_and_test"),
            ),
        ),
        (
            "ci-job:circleci/tests-integration-arm64",
            "ci-job",
            "tests-integration-arm64",
            34,
            (
                ("executor", "machine"),
                ("machine_image", "ubuntu-2004:202101-01"),
                ("resource_class", "arm.medium"),
                ("workflows", "build_and_test"),
            ),
        ),
        (
            "ci-job:circleci/rpm-sign",
            "ci-job",
            "rpm-sign",
            45,
            (
                ("executor", "docker"),
                ("primary_image", "image:centos:7"),
                ("workflows", "build_and_test"),
            ),
        ),
        (
            "ci-job:circleci/publish-packages",
            "ci-job",
            "publish-packages",
            50,
            (
                ("executor", "docker"),
                ("primary_image", "image:amazon/aws-cli:latest"),
                ("workflows", "build_and_test"),
            ),
        ),
        ("ci-workflow:circleci/build_and_test", "ci-workflow", "build_and_test", 57, ()),
    ]
    assert result.nodes[0].evidence[0] == Evidence(PATH, 9, '"build-centos7":', "circleci")


def test_falco_images(calls: list[Call]) -> None:
    result = _scan(FALCO)
    assert [(c.id, c.name, c.version, [e.line for e in c.evidence]) for c in result.components] == [
        ("image:falcosecurity/falco-builder:latest", "falcosecurity/falco-builder", "latest", [12]),
        (
            "image:falcosecurity/falco-tester:latest",
            "falcosecurity/falco-tester",
            "latest",
            [22, 31],
        ),
        ("image:centos:7", "centos", "7", [47]),
        ("image:amazon/aws-cli:latest", "amazon/aws-cli", "latest", [52]),
    ]
    assert result.components[2].purl == "pkg:docker/centos@7"
    assert result.components[0].evidence[0].text == "- image: falcosecurity/falco-builder:latest"


def test_falco_edges(calls: list[Call]) -> None:
    job = "ci-job:circleci/"
    assert _edges(_scan(FALCO)) == [
        (job + "build-centos7", "runs-in", "image:falcosecurity/falco-builder:latest", 12, ""),
        (job + "tests-integration", "runs-in", "image:falcosecurity/falco-tester:latest", 22, ""),
        (
            job + "tests-integration-static",
            "runs-in",
            "image:falcosecurity/falco-tester:latest",
            31,
            "",
        ),
        (job + "rpm-sign", "runs-in", "image:centos:7", 47, ""),
        (job + "publish-packages", "runs-in", "image:amazon/aws-cli:latest", 52, ""),
        (job + "tests-integration", "requires", job + "build-centos7", 62, ""),
        (job + "tests-integration-static", "requires", job + "build-centos7", 65, ""),
        (job + "rpm-sign", "requires", job + "tests-integration", 69, ""),
        (job + "publish-packages", "requires", job + "rpm-sign", 72, ""),
        (job + "publish-packages", "requires", job + "tests-integration-arm64", 73, ""),
    ]


def test_falco_run_steps_go_to_shell(calls: list[Call]) -> None:
    _scan(FALCO)
    job = "ci-job:circleci/"
    release = {"BUILD_TYPE": "release"}
    assert calls == [
        Call("/usr/bin/entrypoint cmake", 18, job + "build-centos7", release),
        Call(
            "/usr/bin/entrypoint test",
            27,
            job + "tests-integration",
            {"BUILD_TYPE": "release", "SOURCE_DIR": "/source"},
        ),
        Call("/usr/bin/entrypoint test", 33, job + "tests-integration-static", release),
        Call(
            "docker run -v /tmp/ws:/build \\\n  falcosecurity/falco-tester:latest test\n",
            43,
            job + "tests-integration-arm64",
            {},
        ),
        Call("rpm --addsign /build/release/*.rpm", 49, job + "rpm-sign", {}),
        Call(
            "/source/falco/scripts/publish-rpm -f /build/release/falco-*.rpm",
            54,
            job + "publish-packages",
            {},
        ),
    ]
    assert FALCO.splitlines()[43 - 1].strip().startswith("docker run")


# Executors, orbs, commands ------------------------------------------------------------------

EXECUTORS = """\
version: 2.1
orbs:
  aws-cli: circleci/aws-cli@3.1.4
  node: circleci/node@5.1.0
  slack: circleci/slack@4.12.5
executors:
  builder:
    docker:
      - image: cimg/base:2023.07
      - image: postgres:15
    resource_class: medium
  mac:
    macos:
      xcode: 14.3.1
jobs:
  by-name:
    executor: builder
    resource_class: large
  by-map:
    executor:
      name: builder
  on-mac:
    executor: mac
  machine-default:
    machine: true
  from-orb:
    executor:
      name: node/default
      tag: "18.16"
    steps:
      - aws-cli/setup
      - node/install-packages:
          pkg-manager: npm
  param-image:
    docker:
      - image: cimg/python:<< parameters.version >>
  unknown:
    executor: nowhere
"""


def test_executors_and_orbs(calls: list[Call]) -> None:
    result = _scan(EXECUTORS)
    job = "ci-job:circleci/"
    assert [(n.id, n.evidence[0].line, n.properties) for n in result.nodes] == [
        (
            job + "by-name",
            16,
            (
                ("executor", "docker"),
                ("executor_name", "builder"),
                ("primary_image", "image:cimg/base:2023.07"),
                ("resource_class", "large"),
            ),
        ),
        (
            job + "by-map",
            19,
            (
                ("executor", "docker"),
                ("executor_name", "builder"),
                ("primary_image", "image:cimg/base:2023.07"),
                ("resource_class", "medium"),
            ),
        ),
        (
            job + "on-mac",
            22,
            (("executor", "macos"), ("executor_name", "mac"), ("xcode", "14.3.1")),
        ),
        (job + "machine-default", 24, (("executor", "machine"), ("machine_image", "default"))),
        (job + "from-orb", 26, (("executor_ref", "node/default"),)),
        (job + "param-image", 34, (("executor", "docker"),)),
        (job + "unknown", 37, ()),
        ("manifest:.circleci/config.yml", 1, ()),
    ]
    assert [c.id for c in result.components] == [
        "orb:circleci/aws-cli@3.1.4",
        "orb:circleci/node@5.1.0",
        "orb:circleci/slack@4.12.5",
        "image:cimg/base:2023.07",
        "image:postgres:15",
    ]
    orb = result.components[0]
    assert (orb.kind.value, orb.name, orb.version, orb.ecosystem) == (
        "orb",
        "circleci/aws-cli",
        "3.1.4",
        "circleci-orb",
    )
    assert [e.line for e in result.components[3].evidence] == [9]
    assert _edges(result) == [
        (job + "by-name", "runs-in", "image:cimg/base:2023.07", 9, ""),
        (job + "by-name", "runs-in", "image:postgres:15", 10, "sidecar"),
        (job + "by-map", "runs-in", "image:cimg/base:2023.07", 9, ""),
        (job + "by-map", "runs-in", "image:postgres:15", 10, "sidecar"),
        (job + "from-orb", "uses", "orb:circleci/node@5.1.0", 28, ""),
        (job + "from-orb", "uses", "orb:circleci/aws-cli@3.1.4", 31, ""),
        (job + "from-orb", "uses", "orb:circleci/node@5.1.0", 32, ""),
        ("manifest:.circleci/config.yml", "uses", "orb:circleci/slack@4.12.5", 5, ""),
    ]
    assert _problems(result) == [
        (
            36,
            "unresolved",
            "image 'cimg/python:<< parameters.version >>' holds a parameter or variable; "
            "not resolved",
        ),
        (38, "unresolved", "executor 'nowhere' is not defined in this file"),
    ]


COMMANDS = """\
version: 2.1
commands:
  install-deps:
    steps:
      - run:
          name: deps
          command: pip install -r requirements.txt
          environment:
            PIP_NO_CACHE_DIR: "1"
      - when:
          condition: true
          steps:
            - run: pip install tox==4.6.4
  loop:
    steps:
      - loop
jobs:
  test:
    docker:
      - image: cimg/python:3.11
        environment:
          PY: "3.11"
    environment:
      CI_JOB: test
    steps:
      - install-deps
      - run:
          command: Write-Host hi
          shell: powershell.exe
      - run:
          command: |-

            pytest
      - loop
"""


def test_commands_are_followed_for_each_job(calls: list[Call]) -> None:
    result = _scan(COMMANDS)
    job = "ci-job:circleci/test"
    env = {"PY": "3.11", "CI_JOB": "test"}
    assert calls == [
        Call("pip install -r requirements.txt", 7, job, {**env, "PIP_NO_CACHE_DIR": "1"}),
        Call("pip install tox==4.6.4", 13, job, env),
        Call("\npytest", 32, job, env),
    ]
    assert COMMANDS.splitlines()[32].strip() == "pytest"  # script line 1 is file line 33
    assert _problems(result) == [
        (16, "parse-error", "command 'loop' calls itself or nests too deep")
    ]


# Workflows ----------------------------------------------------------------------------------

WORKFLOWS = """\
version: 2.1
orbs:
  aws-ecr: circleci/aws-ecr@8.2.1
jobs:
  build:
    docker:
      - image: golang:1.20
  test:
    docker:
      - image: golang:1.20
workflows:
  main:
    jobs:
      - build:
          name: build-linux
      - test:
          matrix:
            parameters:
              go: ["1.19", "1.20"]
          requires: [build-linux]
      - hold:
          type: approval
          requires:
            - test-1.19
      - aws-ecr/build-and-push-image:
          requires:
            - hold: success
            - nowhere
      - ghost
  nightly:
    triggers:
      - schedule:
          cron: "0 0 * * *"
    jobs:
      - test
"""


def test_workflows(calls: list[Call]) -> None:
    result = _scan(WORKFLOWS)
    job = "ci-job:circleci/"
    assert [(n.id, n.evidence[0].line, n.properties) for n in result.nodes] == [
        (
            job + "build",
            5,
            (("executor", "docker"), ("primary_image", "image:golang:1.20"), ("workflows", "main")),
        ),
        (
            job + "test",
            8,
            (
                ("executor", "docker"),
                ("primary_image", "image:golang:1.20"),
                ("workflows", "main,nightly"),
            ),
        ),
        (job + "hold", 21, (("type", "approval"), ("workflows", "main"))),
        (
            job + "aws-ecr/build-and-push-image",
            25,
            (("orb_job", "aws-ecr/build-and-push-image"), ("workflows", "main")),
        ),
        ("ci-workflow:circleci/main", 12, ()),
        ("ci-workflow:circleci/nightly", 30, ()),
    ]
    assert _edges(result)[2:] == [
        (job + "aws-ecr/build-and-push-image", "uses", "orb:circleci/aws-ecr@8.2.1", 25, ""),
        (job + "test", "requires", job + "build", 20, ""),
        (job + "hold", "requires", job + "test", 24, ""),
        (job + "aws-ecr/build-and-push-image", "requires", job + "hold", 27, ""),
    ]
    assert _problems(result) == [
        (29, "unresolved", "workflow 'main': job 'ghost' is not defined in this file"),
        (
            28,
            "unresolved",
            "workflow 'main': 'aws-ecr/build-and-push-image' requires 'nowhere', "
            "which is not a job of this workflow",
        ),
    ]


# Wrong shapes and malformed files -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("version: 2.1\njobs:\n  - build\n", [(3, "parse-error", "'jobs' must be a mapping")]),
        ("- just\n- a list\n", [(1, "parse-error", "a CircleCI config must be a mapping")]),
        (
            "jobs:\n  a: {docker: [{image: 'x:1'}]}\n  b: \"string\"\n  c:\n"
            "  d:\n    docker: {image: 'y:2'}\n  e:\n    docker: [{name: x}]\n"
            "    steps: {run: make}\n",
            [
                (3, "parse-error", "job 'b' must be a mapping"),
                (4, "parse-error", "job 'c' must be a mapping"),
                (6, "parse-error", "'docker' must be a list of images"),
                (8, "parse-error", "a 'docker' entry needs an 'image'"),
                (9, "parse-error", "'steps' must be a list"),
            ],
        ),
        (
            "jobs:\n  a:\n    docker:\n      - image: falcosecurity/falco:0.35.1\n"
            "  b:\n    docker: [image: x]\n  bad: [\n",
            [
                (
                    7,
                    "parse-error",
                    "malformed YAML: while parsing a flow node, did not find expected node content",
                )
            ],
        ),
        ("", []),
        ("# only a comment\n", []),
        (
            "workflows: [a]\norbs: [b]\n",
            [
                (2, "parse-error", "'orbs' must be a mapping"),
                (1, "parse-error", "'workflows' must be a mapping"),
            ],
        ),
    ],
)
def test_wrong_shapes(text: str, problems: list[tuple[int, str, str]], calls: list[Call]) -> None:
    assert _problems(_scan(text)) == problems


def test_other_jobs_survive_a_bad_one(calls: list[Call]) -> None:
    text = "jobs:\n  bad: 3\n  good:\n    docker:\n      - image: falcosecurity/falco:0.35.1\n"
    result = _scan(text)
    assert [n.id for n in result.nodes] == ["ci-job:circleci/good"]
    assert [c.id for c in result.components] == ["image:falcosecurity/falco:0.35.1"]
    assert result.problems == (
        Problem(PATH, 2, "parse-error", "job 'bad' must be a mapping", "circleci"),
    )


def test_alias_bomb_is_a_problem(calls: list[Call]) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"b{i}: &b{i} [{', '.join(['*a' if i == 0 else f'*b{i - 1}'] * 10)}]\n" for i in range(8)
    )
    result = _scan(bomb)
    assert result.nodes == () and result.components == ()
    assert [(p.kind, p.line) for p in result.problems] == [("parse-error", 6)]


# Integration with audit.shell (no fake: the real scan_script) ------------------------------


def test_falco_docker_run_step_runs_in_the_tester_image() -> None:
    result = _scan(FALCO)
    assert result.problems == ()
    assert _edges(result)[-1][:4] == (
        "ci-job:circleci/tests-integration-arm64",
        "runs-in",
        "image:falcosecurity/falco-tester:latest",
        44,
    )
    tester = [c for c in result.components if c.id == "image:falcosecurity/falco-tester:latest"]
    assert [[e.line for e in c.evidence] for c in tester] == [[22, 31, 44]]


def test_run_step_pip_install_yields_installs_edge() -> None:
    text = (
        "jobs:\n  lint:\n    docker:\n      - image: cimg/python:3.11\n"
        "    steps:\n      - run: pip install x==1\n"
    )
    result = _scan(text)
    assert ("ci-job:circleci/lint", "installs", "pypi:x@1", 6) in [
        edge[:4] for edge in _edges(result)
    ]
    assert [c.id for c in result.components] == ["image:cimg/python:3.11", "pypi:x@1"]


# Robustness ---------------------------------------------------------------------------------

_WORDS = [
    "jobs",
    "workflows",
    "orbs",
    "executors",
    "commands",
    "docker",
    "image",
    "machine",
    "macos",
    "xcode",
    "executor",
    "name",
    "steps",
    "run",
    "command",
    "environment",
    "requires",
    "resource_class",
    "when",
    "matrix",
    "type",
    "approval",
    "alias",
    "build",
    "o/x",
    "o",
    "docker://",
    "a:1",
    "<< p >>",
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
    for path in (PATH,):
        result = _scan(yaml.safe_dump(value), path)
        assert all(p.kind in ("parse-error", "unresolved", "skipped") for p in result.problems)
        assert all(p.line >= 0 for p in result.problems)


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "jobs:\n  a:\n    docker:\n      - image: 'docker://'\n      - image: 'x/'\n",
            [
                (4, "parse-error", "'docker://' is not an image reference"),
                (5, "parse-error", "'x/' is not an image reference"),
            ],
        ),
        ("jobs:\n  a: {}\nworkflows:\n  w:\n    jobs:\n      - a:\n      - a: null\n", []),
    ],
)
def test_odd_values(text: str, problems: list[tuple[int, str, str]], calls: list[Call]) -> None:
    assert _problems(_scan(text)) == problems
