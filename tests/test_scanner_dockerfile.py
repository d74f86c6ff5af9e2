"""audit.scanners.dockerfile: base images, stages, labels and RUN installs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.components import parse_image_ref
from audit.model import Edge, Evidence, Relation, ScanResult
from audit.scanners.base import SourceFile
from audit.scanners.dockerfile import SCANNER, distro_of

PATH = "docker/tester/Dockerfile"
NODE = f"dockerfile:{PATH}"


def scan(text: str, path: str = PATH) -> ScanResult:
    return SCANNER.scan(SourceFile(path, text))


def found(result: ScanResult) -> list[tuple[str, int]]:
    return [(c.id, c.evidence[0].line) for c in result.components]


def edges(result: ScanResult) -> list[tuple[str, str, str, int, str]]:
    return [
        (e.src, e.dst, e.relation.value, e.evidence.line if e.evidence else 0, e.how)
        for e in result.edges
    ]


def problems(result: ScanResult) -> list[tuple[int, str]]:
    return [(p.line, p.kind) for p in result.problems]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Dockerfile", True),
        ("docker/tester/Dockerfile", True),
        ("build/falco.Dockerfile", True),
        ("Dockerfile.centos7", True),
        ("Containerfile", True),
        ("images/builder.containerfile", True),
        ("dockerfile", True),
        ("Dockerfile.dockerignore", False),
        ("docs/Dockerfile.md", False),
        ("docker-compose.yml", False),
        ("Dockerfiles/README", True),  # read: its content decides (below)
        ("docker/runners/rpm", False),  # the folder is "runners"
        ("containers/base", True),
        ("src/main", False),
    ],
)
def test_matches(path: str, expected: bool) -> None:
    assert SCANNER.matches(path) is expected
    assert SCANNER.name == "dockerfile"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("FROM fedora:40\nRUN dnf install -y jq\n", ["image:fedora:40", "rpm:fedora/jq"]),
        ("# syntax=docker/dockerfile:1\nARG V=3.19\nFROM alpine:${V}\n", ["image:alpine:3.19"]),
        ("# a comment\n\nfrom debian:12\n", ["image:debian:12"]),
        ("Maintainers of this folder\nFROM the team\n", []),
        ("#!/bin/sh\ndocker build .\n", []),
    ],
)
def test_extensionless_file_in_a_docker_folder_is_read_by_content(
    text: str, found: list[str]
) -> None:
    result = SCANNER.scan(SourceFile("docker/OWNERS", text))
    assert [c.id for c in result.components] == found
    assert result.problems == ()


# Modeled on falcosecurity/falco docker/tester/Dockerfile (2023).
FALCO_TESTER = """\
FROM fedora:31

LABEL name="falcosecurity/falco-tester"
LABEL usage="docker run -v /boot:/host/boot:ro ... falcosecurity/falco-tester"
LABEL maintainer="cncf-falco-dev@lists.cncf.io"

ENV FALCO_VERSION=
ENV BUILD_TYPE=release

RUN dnf install -y python-pip python docker findutils jq unzip && dnf clean all
ENV PATH="/root/.local/bin/:${PATH}"
RUN pip install --user avocado-framework==69.0 \\
    avocado-framework-plugin-varianter-yaml-to-mux==69.0
RUN pip install --user watchdog==0.10.2 pathtools==0.1.2
"""


def test_falco_tester() -> None:
    result = scan(FALCO_TESTER)
    assert found(result) == [
        ("image:fedora:31", 1),
        ("rpm:fedora/python-pip", 10),
        ("rpm:fedora/python", 10),
        ("rpm:fedora/docker", 10),
        ("rpm:fedora/findutils", 10),
        ("rpm:fedora/jq", 10),
        ("rpm:fedora/unzip", 10),
        ("pypi:avocado-framework@69.0", 12),
        ("pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0", 13),
        ("pypi:watchdog@0.10.2", 14),
        ("pypi:pathtools@0.1.2", 14),
    ]
    assert result.problems == ()
    (node,) = result.nodes
    assert node.id == NODE
    assert node.kind == "dockerfile"
    assert node.name == PATH
    assert node.evidence == (Evidence(PATH, 1, "FROM fedora:31", "dockerfile"),)
    assert node.properties == (
        ("final-base", "image:fedora:31"),
        ("label.maintainer", "cncf-falco-dev@lists.cncf.io"),
        ("label.name", "falcosecurity/falco-tester"),
        ("label.usage", "docker run -v /boot:/host/boot:ro ... falcosecurity/falco-tester"),
        ("stages", "0"),
    )
    assert result.edges[0] == Edge(
        NODE,
        "image:fedora:31",
        Relation.BASE,
        Evidence(PATH, 1, "FROM fedora:31", "dockerfile"),
        "FROM",
    )
    avocado = result.components[7]
    assert avocado.evidence == (
        Evidence(PATH, 12, "RUN pip install --user avocado-framework==69.0 \\", "dockerfile"),
    )
    assert ("dockerfile:docker/tester/Dockerfile", "pypi:avocado-framework@69.0", "installs", 12,
            "") in edges(result)  # fmt: skip


FROM_CASES = [
    pytest.param(
        "ARG UBI_VERSION=latest\nFROM registry.access.redhat.com/ubi8/ubi:${UBI_VERSION}\n",
        [("image:registry.access.redhat.com/ubi8/ubi:latest", 2)],
        [],
        id="global-arg",
    ),
    pytest.param(
        "FROM golang:${GO_VERSION:-1.21}-bookworm\n",
        [("image:golang:1.21-bookworm", 1)],
        [],
        id="default-expansion",
    ),
    pytest.param(
        "ARG REG=docker.io\nARG IMG=$REG/library/debian\nFROM ${IMG}:12\n",
        [("image:debian:12", 3)],
        [],
        id="arg-from-arg-and-docker-hub",
    ),
    pytest.param(
        "FROM alpine@sha256:" + "ab" * 32 + "\n",
        [("image:alpine@sha256:" + "ab" * 32, 1)],
        [],
        id="digest",
    ),
    pytest.param("FROM scratch\nCOPY x /x\n", [], [], id="scratch"),
    pytest.param(
        "ARG TAG\nFROM falcosecurity/falco:${TAG}\n",
        [],
        [(2, "unresolved")],
        id="arg-without-default",
    ),
    pytest.param("FROM ${UNSET}\n", [], [(1, "unresolved")], id="unset"),
    pytest.param(
        "ARG A=${B}\nARG B=${A}\nFROM img:${A}\n",
        [],
        [(3, "unresolved")],
        id="arg-loop",
    ),
    pytest.param("FROM ?weird\n", [], [(1, "parse-error")], id="bad-reference"),
]


@pytest.mark.parametrize(("text", "expected", "expected_problems"), FROM_CASES)
def test_from(text: str, expected: list[tuple[str, int]], expected_problems: list) -> None:
    result = scan(text)
    assert found(result) == expected
    assert problems(result) == expected_problems
    assert [(e.dst, e.evidence.line) for e in result.edges if e.evidence] == expected


def test_unresolved_from_names_the_variable() -> None:
    (problem,) = scan("FROM ${UNSET}\n").problems
    assert problem.path == PATH and problem.scanner == "dockerfile"
    assert "$UNSET" in problem.message and "FROM `${UNSET}`" in problem.message


MULTISTAGE = """\
# syntax=docker/dockerfile:1
ARG GO_VERSION=1.21
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG GO_VERSION
ENV TOOL_VERSION=0.14.0
RUN go install golang.org/x/tools/cmd/goimports@v${TOOL_VERSION}

FROM build AS test
RUN go install gotest.tools/gotestsum@v1.11.0

FROM debian:bookworm-slim
COPY --from=build /go/bin/goimports /usr/bin/
COPY --from=0 /etc/passwd /etc/passwd
COPY --from=quay.io/prometheus/busybox:latest /bin/sh /bin/sh
RUN --mount=type=bind,from=ghcr.io/o/tools:1,target=/t /t/install
RUN apt-get install -y ca-certificates=20230311
"""


def test_multistage() -> None:
    result = scan(MULTISTAGE)
    assert found(result) == [
        ("image:golang:1.21", 3),
        ("image:debian:bookworm-slim", 11),
        ("image:quay.io/prometheus/busybox:latest", 14),
        ("image:ghcr.io/o/tools:1", 15),
        ("golang:golang.org/x/tools@v0.14.0", 6),
        ("golang:gotest.tools/gotestsum@v1.11.0", 9),
        ("deb:debian/ca-certificates@20230311", 16),
    ]
    assert result.components[0].properties == (("platform", "$BUILDPLATFORM"),)
    assert edges(result) == [
        (NODE, "image:golang:1.21", "base", 3, "FROM (build stage build)"),
        (NODE, "image:debian:bookworm-slim", "base", 11, "FROM"),
        (NODE, "image:quay.io/prometheus/busybox:latest", "base", 14, "COPY --from"),
        (NODE, "image:ghcr.io/o/tools:1", "base", 15, "RUN --mount from"),
        (NODE, "golang:golang.org/x/tools@v0.14.0", "installs", 6, "(build stage build)"),
        (NODE, "golang:gotest.tools/gotestsum@v1.11.0", "installs", 9, "(build stage test)"),
        (NODE, "deb:debian/ca-certificates@20230311", "installs", 16, ""),
    ]
    assert result.problems == ()
    assert result.nodes[0].prop("stages") == "build,test,2"
    assert result.nodes[0].prop("final-base") == "image:debian:bookworm-slim"
    assert result.nodes[0].evidence[0].line == 3


def test_stage_args_and_env_reach_run() -> None:
    text = (
        "ARG FALCOCTL=0.6.0\n"
        "FROM alpine:3.18\n"
        "ARG FALCOCTL\n"
        "ARG LOCAL=1.2.3\n"
        "ENV PKG=falcoctl_${FALCOCTL}_linux_amd64.tar.gz\n"
        "RUN curl -fsSLO https://github.com/falcosecurity/falcoctl/releases/download/"
        "v${FALCOCTL}/${PKG}\n"
        "RUN pip install x==${LOCAL} y==${NOT_DECLARED}\n"
        "FROM alpine:3.18\n"
        "RUN pip install z==${LOCAL}\n"
    )
    result = scan(text)
    assert found(result) == [
        ("image:alpine:3.18", 2),
        ("image:alpine:3.18", 8),
        ("download:github.com/falcosecurity/falcoctl@v0.6.0", 6),
        ("pypi:x@1.2.3", 7),
    ]
    assert problems(result) == [(7, "unresolved"), (9, "unresolved")]


def test_continuation_with_comments_keeps_lines() -> None:
    text = (
        "FROM ubuntu:22.04\n"
        "RUN --mount=type=cache,target=/var/cache/apt \\\n"
        "    apt-get update && \\\n"
        "    # build tools\n"
        "    apt-get install -y \\\n"
        "\n"
        "      gcc=4:11.2.0-1ubuntu1 \\\n"
        "      make\n"
    )
    result = scan(text)
    assert found(result) == [
        ("image:ubuntu:22.04", 1),
        ("deb:ubuntu/gcc@4:11.2.0-1ubuntu1", 7),
        ("deb:ubuntu/make", 8),
    ]


def test_heredoc_run() -> None:
    text = (
        "FROM fedora:39\n"
        "RUN <<EOF\n"
        "set -e\n"
        "dnf install -y jq\n"
        "pip install pyyaml==6.0.1\n"
        "EOF\n"
        "RUN python3 <<EOF\n"
        "import subprocess  # pip install not-this\n"
        "EOF\n"
        "RUN <<EOF\n"
        "#!/usr/bin/env python3\n"
        "print('pip install nor-this')\n"
        "EOF\n"
        "RUN bash -e <<'EOF'\n"
        "go install github.com/a/b@v1.0.0\n"
        "EOF\n"
    )
    result = scan(text)
    assert found(result) == [
        ("image:fedora:39", 1),
        ("rpm:fedora/jq", 4),
        ("pypi:pyyaml@6.0.1", 5),
        ("golang:github.com/a/b@v1.0.0", 15),
    ]
    assert result.problems == ()


def test_unterminated_heredoc_keeps_what_comes_before() -> None:
    """BuildKit's parser fails the whole file on a heredoc without its terminator: the
    instructions before it are parsed again on their own and the heredoc is the problem."""
    result = scan("FROM fedora:39\nRUN pip install a==1\nRUN <<EOF\npip install b==2\n")
    assert found(result) == [("image:fedora:39", 1), ("pypi:a@1", 2)]
    assert edges(result) == [
        (NODE, "image:fedora:39", "base", 1, "FROM"),
        (NODE, "pypi:a@1", "installs", 2, ""),
    ]
    assert [(p.path, p.line, p.kind, p.message) for p in result.problems] == [
        (
            PATH,
            3,
            "parse-error",
            "Dockerfile: heredoc `<<EOF` is never closed (no line `EOF` before the end of "
            "the file): lines 3-4 not read",
        )
    ]


@pytest.mark.parametrize(
    ("text", "kept", "line", "name", "lines"),
    [
        # the second heredoc of an instruction is the open one; its word is on line 4
        (
            "FROM alpine:3.19\nRUN apk add curl\nCOPY <<A \\\n  <<-B /x\na\nA\n\tb\n",
            ["image:alpine:3.19", "apk:alpine/curl"],
            4,
            "B",
            "lines 3-7",
        ),
        # a terminator with a trailing blank is not a terminator
        ("FROM alpine:3.19\nRUN <<EOF\ntrue\nEOF \n", ["image:alpine:3.19"], 2, "EOF", "lines 2-4"),
        # a heredoc in the first stage: later stages are in its body, so not read
        ("FROM a:1\nRUN <<X\nFROM b:2\n", ["image:a:1"], 2, "X", "lines 2-3"),
        # ONBUILD RUN reads heredocs too
        ("FROM a:1\nONBUILD RUN <<X", ["image:a:1"], 2, "X", "line 2"),
    ],
)
def test_unterminated_heredoc_recovery(
    text: str, kept: list[str], line: int, name: str, lines: str
) -> None:
    result = scan(text)
    assert [c.id for c in result.components] == kept
    assert [(p.line, p.kind, p.message) for p in result.problems] == [
        (
            line,
            "parse-error",
            f"Dockerfile: heredoc `<<{name}` is never closed (no line `{name}` before the end "
            f"of the file): {lines} not read",
        )
    ]


def test_heredoc_terminated_by_a_body_line_of_a_later_instruction() -> None:
    """Only the terminator line closes a heredoc: ``<<`` inside a body is body text."""
    text = "FROM a:1\nRUN <<EOF\ncat <<X\nEOF\nRUN <<Y\n"
    result = scan(text)
    assert [c.id for c in result.components] == ["image:a:1"]
    assert problems(result) == [(5, "parse-error")]


def test_parse_error_best_line() -> None:
    result = scan("FROM x\nRUN true\nLABEL lonely\n")
    assert problems(result) == [(3, "parse-error")]


def test_add_urls() -> None:
    text = (
        "FROM alpine:3.19\n"
        "ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d"
        " https://github.com/falcosecurity/libs/archive/refs/tags/0.14.0.tar.gz /src/\n"
        "ADD https://github.com/falcosecurity/rules.git#falco-rules-2.0.0 /rules\n"
        "ADD local.tar.gz ${DEST_URL} /x\n"
    )
    result = scan(text)
    assert found(result) == [
        ("image:alpine:3.19", 1),
        ("download:github.com/falcosecurity/libs@0.14.0", 2),
        ("git:github.com/falcosecurity/rules@falco-rules-2.0.0", 3),
    ]
    assert result.components[1].prop("checksum") == (
        "sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d"
    )
    assert [e.relation for e in result.edges[1:]] == [Relation.INSTALLS, Relation.INSTALLS]
    assert problems(result) == [(4, "unresolved")]


def test_exec_form_run() -> None:
    text = (
        'FROM python:3.12\nRUN ["pip", "install", "rich==13.7.0"]\n'
        'RUN ["/bin/sh", "-c", "pip install click==8.1.7"]\n'
    )
    assert found(scan(text)) == [
        ("image:python:3.12", 1),
        ("pypi:rich@13.7.0", 2),
        ("pypi:click@8.1.7", 3),
    ]


def test_escape_directive_falls_back_to_parser_value() -> None:
    text = (
        "# escape=`\n"
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "RUN pip install `\n"
        "  a==1\n"
    )
    assert found(scan(text)) == [
        ("image:mcr.microsoft.com/windows/servercore:ltsc2022", 2),
        ("pypi:a@1", 3),
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(text: str) -> None:
    assert scan(text) == ScanResult()


@pytest.mark.parametrize(
    ("image", "distro"),
    [
        ("fedora:31", "fedora"),
        ("registry.access.redhat.com/ubi8/ubi:latest", "rhel"),
        ("registry.access.redhat.com/ubi9/ubi-minimal", "rhel"),
        ("debian:bookworm", "debian"),
        ("ubuntu:22.04", "ubuntu"),
        ("alpine:3.19", "alpine"),
        ("python:3.12-alpine", "alpine"),
        ("python:3.12-slim", "debian"),
        ("golang:1.21", "debian"),
        ("eclipse-temurin:17-jammy", "ubuntu"),
        ("quay.io/centos/centos:stream9", "centos"),
        ("amazonlinux:2", "amzn"),
        ("gcr.io/distroless/static:nonroot", None),
    ],
)
def test_distro_of(image: str, distro: str | None) -> None:
    ref = parse_image_ref(image)
    assert ref is not None
    assert distro_of(ref) == distro


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "FROM alpine:3.19 AS a",
                "FROM ${X:-a}",
                "FROM a",
                "ARG X=$Y",
                "ARG Y=${X}",
                "ENV P=$X",
                "RUN pip install q==$P \\",
                "  r==1",
                "RUN <<EOF",
                "EOF",
                "COPY --from=${X} / /",
                'LABEL k="v',
                "ADD https://e.org/f /f",
                "# c",
                "",
                'RUN ["sh", "-c"',
                "FROM scratch",
                "RUN --mount=from=$X true",
            ]
        ),
        max_size=12,
    )
)
def test_never_raises(lines: list[str]) -> None:
    assert isinstance(scan("\n".join(lines) + "\n"), ScanResult)
