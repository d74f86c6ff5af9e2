"""Tests for audit.scanners.gitlab."""

from __future__ import annotations

import pytest
import yaml
from ci_scanner_helpers import Call, edges, problems, record_scripts
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.model import ScanResult
from audit.scanners.base import SourceFile
from audit.scanners.gitlab import SCANNER

PATH = ".gitlab-ci.yml"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    return record_scripts(monkeypatch, "gitlab")


def _scan(text: str, path: str = PATH) -> ScanResult:
    return SCANNER.scan(SourceFile(path, text))


_edges = edges
_problems = problems


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".gitlab-ci.yml", True),
        ("ci/build.gitlab-ci.yml", True),
        (".gitlab/ci/build.yml", True),
        (".gitlab/ci/jobs/test.yaml", True),
        ("sub/.gitlab/ci/x.yml", True),
        (".gitlab/issue_templates/bug.md", False),
        (".gitlab/ci/README.md", False),
        ("ci/build.yml", False),
        (".github/workflows/ci.yml", False),
    ],
)
def test_matches(path: str, expected: bool) -> None:
    assert SCANNER.matches(path) is expected
    assert SCANNER.name == "gitlab"


# A pipeline -------------------------------------------------------------------------------

PIPELINE = """\
variables:
  GO_VERSION: "1.21"
  REGISTRY:
    value: registry.gitlab.com/org/app
    description: where images go
default:
  image: golang:${GO_VERSION}
  services:
    - docker:24.0-dind
  before_script:
    - go version
.python:
  image:
    name: python:3.11-slim
    entrypoint: [""]
  variables:
    PIP_CACHE_DIR: .cache/pip
  script:
    - pip install -r requirements.txt
  tags: [docker]
build:
  stage: build
  script:
    - make build
    - |
      docker build -t $REGISTRY/app:dev .
lint:
  extends: .python
  stage: test
  variables:
    LINT: "1"
  before_script: []
  script:
    - !reference [.python, script]
    - flake8
unit:
  extends: [.python]
  needs: [build, {job: lint, artifacts: false}, {pipeline: other}]
  inherit:
    default: false
  services:
    - name: postgres:15
      alias: db
    - $DB_IMAGE
docs:
  inherit:
    default: [image]
  image: $REGISTRY/docs:latest
  script: mkdocs build
"""


def test_pipeline_nodes(calls: list[Call]) -> None:
    result = _scan(PIPELINE)
    job = "ci-job:gitlab/"
    assert [(n.id, n.kind, n.name, n.evidence[0].line, n.properties) for n in result.nodes] == [
        (job + "build", "ci-job", "build", 21, (("stage", "build"),)),
        (
            job + "lint",
            "ci-job",
            "lint",
            27,
            (("extends", ".python"), ("stage", "test"), ("tags", "docker")),
        ),
        (
            job + "unit",
            "ci-job",
            "unit",
            36,
            (("extends", ".python"), ("stage", "test"), ("tags", "docker")),
        ),
        (job + "docs", "ci-job", "docs", 45, (("stage", "test"),)),
    ]


def test_pipeline_images(calls: list[Call]) -> None:
    result = _scan(PIPELINE)
    assert [(c.id, [e.line for e in c.evidence]) for c in result.components] == [
        ("image:golang:1.21", [7]),
        ("image:docker:24.0-dind", [9]),
        ("image:python:3.11-slim", [14]),
        ("image:postgres:15", [42]),
        ("image:registry.gitlab.com/org/app/docs:latest", [48]),
    ]
    job = "ci-job:gitlab/"
    assert _edges(result) == [
        (job + "build", "runs-in", "image:golang:1.21", 7, ""),
        (job + "build", "runs-in", "image:docker:24.0-dind", 9, "service"),
        (job + "lint", "runs-in", "image:python:3.11-slim", 14, ""),
        (job + "lint", "runs-in", "image:docker:24.0-dind", 9, "service"),
        (job + "unit", "runs-in", "image:python:3.11-slim", 14, ""),
        (job + "unit", "runs-in", "image:postgres:15", 42, "service"),
        (job + "unit", "requires", job + "build", 38, ""),
        (job + "unit", "requires", job + "lint", 38, ""),
        (job + "docs", "runs-in", "image:registry.gitlab.com/org/app/docs:latest", 48, ""),
    ]
    assert _problems(result) == [
        (44, "unresolved", "image '$DB_IMAGE' holds a variable; not resolved")
    ]


def test_pipeline_scripts(calls: list[Call]) -> None:
    _scan(PIPELINE)
    job = "ci-job:gitlab/"
    base = {"GO_VERSION": "1.21", "REGISTRY": "registry.gitlab.com/org/app"}
    python = {**base, "PIP_CACHE_DIR": ".cache/pip"}
    assert calls == [
        Call("go version", 11, job + "build", base),
        Call("make build", 24, job + "build", base),
        Call("docker build -t $REGISTRY/app:dev .\n", 26, job + "build", base),
        Call("pip install -r requirements.txt", 19, job + "lint", {**python, "LINT": "1"}),
        Call("flake8", 35, job + "lint", {**python, "LINT": "1"}),
        Call("pip install -r requirements.txt", 19, job + "unit", python),
        Call("mkdocs build", 49, job + "docs", base),
    ]
    assert PIPELINE.splitlines()[26 - 1].strip().startswith("docker build")


# Includes ---------------------------------------------------------------------------------

INCLUDES = """\
include:
  - local: /.gitlab/ci/build.yml
  - local: .gitlab/ci/*.yml
  - '/templates/test.gitlab-ci.yml'
  - ci/other.yml
  - remote: https://gitlab.com/org/ci/-/raw/main/lint.yml
  - https://example.com/shared.yml
  - project: falcosecurity/ci-templates
    ref: v1.2.0
    file:
      - /jobs/build.yml
      - /jobs/test.yml
  - template: Security/SAST.gitlab-ci.yml
  - component: gitlab.com/components/opentofu/validate@0.17.0
  - {rules: [{if: $CI}]}
  - local: $CI_PROJECT_DIR/x.yml
child:
  trigger:
    include:
      - local: .gitlab/ci/child.yml
    strategy: depend
"""


def test_includes(calls: list[Call]) -> None:
    result = _scan(INCLUDES)
    main = "manifest:.gitlab-ci.yml"
    assert [(n.id, n.kind, n.evidence[0].line, n.properties) for n in result.nodes] == [
        (main, "manifest", 1, ()),
        ("ci-job:gitlab/child", "ci-job", 17, (("stage", "test"), ("trigger", "child-pipeline"))),
    ]
    assert [(c.id, c.kind.value, c.prop("url")) for c in result.components] == [
        (
            "download:gitlab.com/org/ci/-/raw/main/lint.yml",
            "download",
            "https://gitlab.com/org/ci/-/raw/main/lint.yml",
        ),
        ("download:example.com/shared.yml", "download", "https://example.com/shared.yml"),
    ]
    assert _edges(result) == [
        (main, "includes", "manifest:.gitlab/ci/build.yml", 2, ""),
        (main, "includes", "manifest:templates/test.gitlab-ci.yml", 4, ""),
        (main, "includes", "manifest:ci/other.yml", 5, ""),
        (main, "includes", "download:gitlab.com/org/ci/-/raw/main/lint.yml", 6, ""),
        (main, "includes", "download:example.com/shared.yml", 7, ""),
        ("ci-job:gitlab/child", "includes", "manifest:.gitlab/ci/child.yml", 20, ""),
    ]
    assert _problems(result) == [
        (3, "unresolved", "wildcard include '.gitlab/ci/*.yml' not expanded"),
        (
            5,
            "unresolved",
            "included file 'ci/other.yml' is not scanned: its name is not a GitLab CI file name",
        ),
        (
            6,
            "unresolved",
            "remote include https://gitlab.com/org/ci/-/raw/main/lint.yml not followed",
        ),
        (7, "unresolved", "remote include https://example.com/shared.yml not followed"),
        (
            8,
            "unresolved",
            "include from project falcosecurity/ci-templates (/jobs/build.yml, /jobs/test.yml) "
            "at v1.2.0 not followed",
        ),
        (13, "unresolved", "include of GitLab template Security/SAST.gitlab-ci.yml not followed"),
        (
            14,
            "unresolved",
            "include of CI/CD component gitlab.com/components/opentofu/validate@0.17.0 "
            "not followed",
        ),
        (
            15,
            "parse-error",
            "an 'include' entry needs local, remote, project, template or component",
        ),
        (16, "unresolved", "local include '$CI_PROJECT_DIR/x.yml' holds a variable; not followed"),
    ]


def test_single_string_include_from_an_included_file(calls: list[Call]) -> None:
    result = _scan("include: /.gitlab/ci/common.yml\n", ".gitlab/ci/build.yml")
    assert _edges(result) == [
        ("manifest:.gitlab/ci/build.yml", "includes", "manifest:.gitlab/ci/common.yml", 1, "")
    ]
    assert result.problems == ()


# Extends ----------------------------------------------------------------------------------

EXTENDS = """\
.base:
  image: alpine:3.18
  variables:
    A: "1"
    B: "2"
.middle:
  extends: .base
  variables:
    B: "3"
job:
  extends: .middle
  variables:
    C: "4"
  script: echo $A$B$C
loop-a:
  extends: .loop-b
.loop-b:
  extends: loop-a
orphan:
  extends: .from-include
  script: make
"""


def test_extends(calls: list[Call]) -> None:
    result = _scan(EXTENDS)
    assert [c.id for c in result.components] == ["image:alpine:3.18"]
    assert _edges(result) == [
        ("ci-job:gitlab/job", "runs-in", "image:alpine:3.18", 2, ""),
    ]
    assert calls == [
        Call("echo $A$B$C", 14, "ci-job:gitlab/job", {"A": "1", "B": "3", "C": "4"}),
        Call("make", 21, "ci-job:gitlab/orphan", {}),
    ]
    assert _problems(result) == [
        (18, "parse-error", "'.loop-b' extends 'loop-a' in a cycle"),
        (
            20,
            "unresolved",
            "'orphan' extends '.from-include', which is not in this file (an include?)",
        ),
    ]


def test_component_spec_header(calls: list[Call]) -> None:
    text = "spec:\n  inputs:\n    stage:\n      default: test\n---\nscan:\n  image: trivy:0.44\n"
    result = _scan(text, "templates/scan.gitlab-ci.yml")
    assert [n.id for n in result.nodes] == ["ci-job:gitlab/scan"]
    assert _edges(result) == [("ci-job:gitlab/scan", "runs-in", "image:trivy:0.44", 7, "")]
    assert result.problems == ()


# Wrong shapes and malformed files ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("- a\n", [(1, "parse-error", "a GitLab CI config must be a mapping")]),
        (
            "a: 'string'\nb:\nc: [x]\nd:\n  image: {entrypoint: x}\n  services: docker:dind\n"
            "e:\n  script:\n    - {x: 1}\n    - !reference [.nope, script]\n"
            "default: []\nvariables: [x]\n",
            [
                (11, "parse-error", "'default' must be a mapping"),
                (12, "parse-error", "'variables' must be a mapping"),
                (1, "parse-error", "job 'a' must be a mapping"),
                (2, "parse-error", "job 'b' must be a mapping"),
                (3, "parse-error", "job 'c' must be a mapping"),
                (5, "parse-error", "'image' needs a 'name'"),
                (6, "parse-error", "'services' must be a list"),
                (10, "unresolved", "!reference [.nope, script] is not in this file"),
                (9, "parse-error", "a script line must be a string"),
            ],
        ),
        (
            "build:\n  script:\n    - make\n  image: [\n",
            [
                (
                    4,
                    "parse-error",
                    "malformed YAML: while parsing a flow node, did not find expected node content",
                )
            ],
        ),
        (
            "a: 1\n---\nb: 2\n",
            [
                (3, "skipped", "only the first YAML document is read"),
                (1, "parse-error", "job 'a' must be a mapping"),
            ],
        ),
        ("stages: [build]\nworkflow:\n  rules: []\n.hidden: 3\n", []),
    ],
)
def test_wrong_shapes(text: str, problems: list[tuple[int, str, str]], calls: list[Call]) -> None:
    assert _problems(_scan(text)) == problems


def test_other_jobs_survive_a_bad_one(calls: list[Call]) -> None:
    result = _scan("bad: 3\ngood:\n  image: node:20\n  script: npm ci\n")
    assert [n.id for n in result.nodes] == ["ci-job:gitlab/good"]
    assert [c.id for c in result.components] == ["image:node:20"]
    assert _problems(result) == [(1, "parse-error", "job 'bad' must be a mapping")]


# Integration with audit.shell (no fake: the real scan_script) ----------------------------


def test_script_pip_install_yields_installs_edge() -> None:
    result = _scan("lint:\n  image: python:3.11\n  script:\n    - pip install x==1\n")
    assert ("ci-job:gitlab/lint", "installs", "pypi:x@1", 4) in [e[:4] for e in _edges(result)]


# Robustness ---------------------------------------------------------------------------------

_WORDS = [
    "include",
    "local",
    "remote",
    "project",
    "template",
    "component",
    "file",
    "extends",
    "default",
    "variables",
    "image",
    "services",
    "name",
    "script",
    "before_script",
    "inherit",
    "trigger",
    "needs",
    "job",
    "value",
    ".t",
    "a",
    "$X",
    "x:1",
    "http://h/x.yml",
    "spec",
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
    for path in (PATH, ".gitlab/ci/x.yml"):
        result = _scan(yaml.safe_dump(value), path)
        assert all(p.kind in ("parse-error", "unresolved", "skipped") for p in result.problems)
        assert all(p.line >= 0 for p in result.problems)
