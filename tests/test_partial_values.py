"""Values with unknown parts keep their known parts: images with unresolved tags, downloads
per architecture, working directories, matrix and input values of GitHub Actions."""

from __future__ import annotations

import pytest

from audit.components import partial_image_ref
from audit.model import ScanResult
from audit.scanners.base import SourceFile
from audit.scanners.github_actions import SCANNER
from audit.shell import scan_script

JOB = "ci-job:github/x.yml/build"


def shell(text: str, cwd: str | None = ".") -> ScanResult:
    source = SourceFile("ci.sh", text)
    return scan_script(text, source, 1, JOB, "test", cwd=cwd)


def workflow(text: str) -> ScanResult:
    return SCANNER.scan(SourceFile(".github/workflows/x.yml", text))


@pytest.mark.parametrize(
    ("text", "name", "tag"),
    [
        ("docker.io/falcosecurity/falco:x86_64-${{ inputs.tag }}", "falcosecurity/falco", None),
        ("quay.io/o/app:${TAG}", "quay.io/o/app", None),
        ("localhost:5000/app:v$(date)", "localhost:5000/app", None),
    ],
)
def test_partial_image_ref_keeps_the_name(text: str, name: str, tag: None) -> None:
    found = partial_image_ref(text)
    assert found is not None
    assert (found[0].name, found[0].tag) == (name, tag)
    assert found[1] == text.rsplit(":", 1)[1]


@pytest.mark.parametrize(
    "text",
    ["quay.io/o/${NAME}:1", "${REGISTRY}/app:1", "${{ matrix.image }}", "app@sha256:$D", "app"],
)
def test_partial_image_ref_refuses_an_unknown_name(text: str) -> None:
    assert partial_image_ref(text) is None


def test_docker_push_with_unknown_tag_publishes_the_image() -> None:
    got = shell("docker push docker.io/falcosecurity/falco:x86_64-$TAG\n")
    assert [(c.id, c.version, c.properties) for c in got.components] == [
        (
            "image:falcosecurity/falco",
            None,
            (("published", "docker push"), ("tag-unresolved", "x86_64-$TAG")),
        )
    ]
    assert got.problems == ()


def test_docker_push_with_unknown_name_is_unresolved() -> None:
    got = shell("docker push $IMAGE:1\n")
    assert got.components == ()
    assert [p.kind for p in got.problems] == ["unresolved"]


def test_buildx_push_publishes_and_links_the_dockerfile_of_cd() -> None:
    got = shell("cd docker/app\ndocker buildx build --push -t example/app:$V .\n")
    (comp,) = got.components
    assert comp.id == "image:example/app"
    assert comp.prop("published") == "docker buildx build --push"
    assert [(e.src, e.dst) for e in got.edges] == [
        ("image:example/app", "dockerfile:docker/app/Dockerfile")
    ]


def test_cd_out_of_the_root_forgets_the_directory() -> None:
    got = shell("cd /tmp\ndocker build -t example/app:1 .\n")
    assert [e.dst for e in got.edges] == ["dockerfile:Dockerfile"]


def test_uname_m_gives_one_download_per_architecture() -> None:
    url = "https://github.com/Kitware/CMake/releases/download/v3.22.5/cmake-3.22.5-linux-"
    got = shell(f"curl -L -o c.tgz {url}$(uname -m).tar.gz\n")
    assert [(c.id, c.prop("arch"), c.prop("url")) for c in got.components] == [
        (
            "download:github.com/Kitware/CMake@v3.22.5?arch=x86_64",
            "x86_64",
            f"{url}x86_64.tar.gz",
        ),
        (
            "download:github.com/Kitware/CMake@v3.22.5?arch=aarch64",
            "aarch64",
            f"{url}aarch64.tar.gz",
        ),
    ]
    assert got.problems == ()


def test_targetarch_in_the_url_needs_no_suffix() -> None:
    got = shell("curl -LO https://example.org/d/gcc-6_${TARGETARCH}.deb\n")
    assert [c.id for c in got.components] == [
        "download:example.org/d/gcc-6_amd64.deb",
        "download:example.org/d/gcc-6_arm64.deb",
    ]


def test_arch_and_an_unknown_version_stay_unresolved() -> None:
    got = shell("curl -LO https://example.org/falco-${V}-$(uname -m).tgz\n")
    assert got.components == ()
    assert [p.kind for p in got.problems] == ["unresolved"]


MATRIX = """\
on:
  workflow_call:
    inputs:
      imageTag:
        default: latest
        type: string
      pushImage:
        default: true
        type: boolean
jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        include:
          - NAME: app
            FILE: build/Dockerfile
            LABEL: ${{ inputs.imageTag }}
    steps:
      - uses: docker/build-push-action@v6
        with:
          push: ${{ inputs.pushImage }}
          tags: quay.io/o/${{ matrix.NAME }}:${{ matrix.LABEL }}
          file: ${{ matrix.FILE }}
      - run: docker build -t example/tool:1 .
        working-directory: tools/x
"""


def test_matrix_and_input_defaults_reach_build_push() -> None:
    got = workflow(MATRIX)
    images = {c.id: c.prop("published") for c in got.components if c.id.startswith("image:")}
    assert images == {
        "image:quay.io/o/app:latest": "docker/build-push-action",
        "image:example/tool:1": None,
    }
    assert sorted((e.src, e.dst) for e in got.edges if e.relation.value == "built-from") == [
        ("image:example/tool:1", "dockerfile:tools/x/Dockerfile"),
        ("image:quay.io/o/app:latest", "dockerfile:build/Dockerfile"),
    ]
    assert [p.kind for p in got.problems] == []


TAG_ONLY = """\
jobs:
  bump:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v3
        with:
          context: docker/tester
          tags: latest
          push: true
"""


def test_tags_holding_only_a_tag_publish_the_dockerfile() -> None:
    got = workflow(TAG_ONLY)
    assert not [c for c in got.components if c.id.startswith("image:")]
    assert [
        (e.src, e.relation.value, e.dst, e.evidence.line if e.evidence else 0)
        for e in got.edges
        if e.relation.value == "publishes"
    ] == [("ci-job:github/x.yml/bump", "publishes", "dockerfile:docker/tester/Dockerfile", 8)]
