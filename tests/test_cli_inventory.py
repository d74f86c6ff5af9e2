"""End to end: `depaudit inventory` on the bundled example and on broken input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "falco-2023"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("inv") / "inventory.json"
    assert main(["inventory", str(EXAMPLE), "--format", "json", "--output", str(out)]) == 0
    return json.loads(out.read_text())


def _component(doc: dict, cid: str) -> dict:  # type: ignore[type-arg]
    return next(c for c in doc["components"] if c["id"] == cid)


def test_schema(inventory: dict) -> None:  # type: ignore[type-arg]
    assert inventory["schema"] == "depaudit/inventory/2"


def test_avocado_with_evidence(inventory: dict) -> None:  # type: ignore[type-arg]
    avocado = _component(inventory, "pypi:avocado-framework@69.0")
    assert avocado["purl"] == "pkg:pypi/avocado-framework@69.0"
    assert [(e["path"], e["line"], e["text"]) for e in avocado["evidence"]] == [
        ("docker/tester/Dockerfile", 11, "RUN pip install --user avocado-framework==69.0 \\"),
        ("test/requirements.txt", 2, "avocado-framework==69.0"),
    ]


def test_ubi_image_from_the_from_line(inventory: dict) -> None:  # type: ignore[type-arg]
    ubi = _component(inventory, "image:registry.access.redhat.com/ubi8/ubi:latest")
    assert [(e["path"], e["line"], e["text"]) for e in ubi["evidence"]] == [
        ("docker/ubi/Dockerfile", 2, "FROM registry.access.redhat.com/ubi8/ubi:${UBI_VERSION}"),
    ]


def test_every_circleci_job_with_its_image(inventory: dict) -> None:  # type: ignore[type-arg]
    jobs = sorted(n["id"] for n in inventory["nodes"] if n["id"].startswith("ci-job:circleci/"))
    assert jobs == [
        "ci-job:circleci/build-arm64",
        "ci-job:circleci/build-centos7",
        "ci-job:circleci/build-docker-ubi",
        "ci-job:circleci/publish-packages-dev",
        "ci-job:circleci/rpm-sign",
        "ci-job:circleci/tests-integration",
        "ci-job:circleci/tests-integration-arm64",
        "ci-job:circleci/tests-integration-static",
    ]
    runs_in = sorted(
        {(e["src"], e["dst"]) for e in inventory["edges"] if e["relation"] == "runs-in"}
    )
    assert [r for r in runs_in if r[0].startswith("ci-job:circleci/")] == [
        ("ci-job:circleci/build-arm64", "image:falcosecurity/falco-builder:latest"),
        ("ci-job:circleci/build-centos7", "image:falcosecurity/falco-builder:latest"),
        ("ci-job:circleci/build-docker-ubi", "image:cimg/base:2023.06"),
        ("ci-job:circleci/rpm-sign", "image:centos:7"),
        ("ci-job:circleci/tests-integration", "image:falcosecurity/falco-tester:latest"),
        ("ci-job:circleci/tests-integration-arm64", "image:falcosecurity/falco-tester:latest"),
        ("ci-job:circleci/tests-integration-static", "image:falcosecurity/falco-tester:latest"),
    ]
    publish = next(
        n for n in inventory["nodes"] if n["id"] == "ci-job:circleci/publish-packages-dev"
    )
    assert publish["properties"]["executor_ref"] == "aws-cli/default"


def test_chain_job_image_dockerfile_package(inventory: dict) -> None:  # type: ignore[type-arg]
    edges = {(e["src"], e["relation"], e["dst"]): e for e in inventory["edges"]}
    tester = "image:falcosecurity/falco-tester:latest"
    assert ("ci-job:circleci/tests-integration", "runs-in", tester) in edges
    built = edges[(tester, "built-from", "dockerfile:docker/tester/Dockerfile")]
    assert built["how"] == "LABEL name"
    installs = edges[
        ("dockerfile:docker/tester/Dockerfile", "installs", "pypi:avocado-framework@69.0")
    ]
    assert (installs["evidence"]["path"], installs["evidence"]["line"]) == (
        "docker/tester/Dockerfile",
        11,
    )


def _group(doc: dict, cid: str) -> dict:  # type: ignore[type-arg]
    """The removal group that holds ``cid``: there is exactly one."""
    (group,) = [g for g in doc["removable"] if cid in g["components"]]
    return group


def test_removable_with_avocado(inventory: dict) -> None:  # type: ignore[type-arg]
    removal = _group(inventory, "pypi:avocado-framework@69.0")
    assert removal["components"] == ["pypi:avocado-framework@69.0"]
    assert [i["id"] for i in removal["removable"]] == [
        "ci-job:circleci/tests-integration",
        "ci-job:circleci/tests-integration-arm64",
        "ci-job:circleci/tests-integration-static",
        "dockerfile:docker/tester/Dockerfile",
        "image:falcosecurity/falco-tester:latest",
        "manifest:test/requirements.txt",
        "pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0",
    ]
    assert [(i["id"], i["reason"]) for i in removal["review"]] == [
        (
            "ci-job:circleci/build-arm64",
            "feeds only removed jobs: ci-job:circleci/tests-integration-arm64",
        ),
        (
            "ci-job:circleci/publish-packages-dev",
            "requires removed jobs: edit its requires (ci-job:circleci/tests-integration-static)",
        ),
        (
            "ci-job:circleci/rpm-sign",
            "requires removed jobs: edit its requires (ci-job:circleci/tests-integration)",
        ),
    ]


def test_removable_groups_of_the_example(inventory: dict) -> None:  # type: ignore[type-arg]
    assert [g["components"] for g in inventory["removable"]] == [
        ["image:centos:7"],
        ["image:cimg/base:2023.06"],
        ["image:falcosecurity/falco-builder:latest"],
        ["image:falcosecurity/falco-tester:latest"],
        ["image:ubuntu:22.04"],
        ["pypi:avocado-framework@69.0"],
        ["rpm:centos/devtoolset-9-gcc"],
        ["rpm:fedora/python"],
    ]
    tester = _group(inventory, "image:falcosecurity/falco-tester:latest")
    job = tester["removable"][0]
    assert (job["id"], job["reason"]) == (
        "ci-job:circleci/tests-integration",
        "serves only image:falcosecurity/falco-tester:latest",
    )
    assert [(e["path"], e["line"]) for e in job["evidence"]] == [
        (".circleci/config.yml", 15),
        (".circleci/config.yml", 50),
    ]


def _versions_tree(root: Path) -> Path:
    """Three versions of one package, each the only thing of a manifest or a Dockerfile."""
    root.mkdir()
    for name, pin in (("a", "1.0.0"), ("b", "2.0.0")):
        (root / name).mkdir()
        (root / name / "requirements.txt").write_text(f"requests=={pin}\n")
    (root / "Dockerfile").write_text("FROM python:3.12\nRUN pip install requests==3.0.0\n")
    (root / "requirements.txt").write_text("urllib3==2.0.0\n")
    return root


def test_the_versions_of_a_package_share_one_group(tmp_path: Path) -> None:
    out = tmp_path / "inventory.json"
    assert main(["inventory", str(_versions_tree(tmp_path / "t")), "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["removable"] == [
        {
            "components": ["pypi:requests@1.0.0", "pypi:requests@2.0.0", "pypi:requests@3.0.0"],
            "removable": [
                {
                    "id": "dockerfile:Dockerfile",
                    "reason": "serves only pypi:requests@3.0.0",
                    "evidence": [
                        {
                            "path": "Dockerfile",
                            "line": 1,
                            "text": "FROM python:3.12",
                            "scanner": "dockerfile",
                        },
                        {
                            "path": "Dockerfile",
                            "line": 2,
                            "text": "RUN pip install requests==3.0.0",
                            "scanner": "dockerfile",
                        },
                    ],
                },
                {
                    "id": "manifest:a/requirements.txt",
                    "reason": "serves only pypi:requests@1.0.0",
                    "evidence": [
                        {
                            "path": "a/requirements.txt",
                            "line": 1,
                            "text": "requests==1.0.0",
                            "scanner": "requirements",
                        }
                    ],
                },
                {
                    "id": "manifest:b/requirements.txt",
                    "reason": "serves only pypi:requests@2.0.0",
                    "evidence": [
                        {
                            "path": "b/requirements.txt",
                            "line": 1,
                            "text": "requests==2.0.0",
                            "scanner": "requirements",
                        }
                    ],
                },
            ],
            "review": [],
        },
        {
            "components": ["pypi:urllib3@2.0.0"],
            "removable": [
                {
                    "id": "manifest:requirements.txt",
                    "reason": "serves only pypi:urllib3@2.0.0",
                    "evidence": [
                        {
                            "path": "requirements.txt",
                            "line": 1,
                            "text": "urllib3==2.0.0",
                            "scanner": "requirements",
                        }
                    ],
                },
            ],
            "review": [],
        },
    ]


def test_text_names_the_components_that_go_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inventory", str(_versions_tree(tmp_path / "t")), "--format", "text"]) == 0
    text = capsys.readouterr().out
    removable = text[text.index("Removable with") :].split("\n\n")[0].rstrip("\n").split("\n")
    assert removable == [
        "Removable with",
        "  pypi:requests@1.0.0 (and 2 more that go with it: pypi:requests@2.0.0, "
        "pypi:requests@3.0.0)",
        "    - dockerfile:Dockerfile  Dockerfile:1",
        "    - manifest:a/requirements.txt  a/requirements.txt:1",
        "    - manifest:b/requirements.txt  b/requirements.txt:1",
        "  pypi:urllib3@2.0.0",
        "    - manifest:requirements.txt  requirements.txt:1",
    ]


def test_output_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["inventory", str(EXAMPLE), "-o", str(a)]) == 0
    assert main(["inventory", str(EXAMPLE), "-o", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()


def test_broken_files_are_listed_and_the_scan_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".circleci").mkdir()
    (tmp_path / ".circleci" / "config.yml").write_text("version: 2.1\njobs:\n  a: [\n")
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.18\nRUN <<EOF\necho unterminated\n")
    (tmp_path / "requirements.txt").write_bytes(b"requests==2.31.0\n# caf\xe9\n")
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_text("FROM debian:12\n")
    assert main(["inventory", str(tmp_path), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    doc = json.loads(captured.out)
    assert [(p["path"], p["line"], p["kind"]) for p in doc["problems"]] == [
        (".circleci/config.yml", 3, "parse-error"),
        ("Dockerfile", 2, "parse-error"),
        ("requirements.txt", 2, "unreadable"),
    ]
    assert sorted(c["id"] for c in doc["components"]) == [
        "image:alpine:3.18",
        "image:debian:12",
        "pypi:requests@2.31.0",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["inventory", "/nonexistent/tree"],
            "depaudit: error: no such directory: /nonexistent/tree",
        ),
        (["inventory", ".", "--format", "xml"], "depaudit: error: unknown --format 'xml'"),
        (["frobnicate"], "depaudit: error: argument COMMAND: invalid choice: 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_bad_config_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".depaudit.toml").write_text("exclude = 3\n")
    assert main(["inventory", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        "depaudit: error: .depaudit.toml: exclude: expected a list of strings"
    )
