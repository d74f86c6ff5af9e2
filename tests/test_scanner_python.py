"""Python manifest scanners: requirements files, pyproject.toml, setup.py, setup.cfg, Pipfile."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.model import Edge, Evidence, Node, Relation, ScanResult
from audit.scanners import pipfile, pyproject, requirements, setup_cfg, setup_py
from audit.scanners.base import SourceFile

Row = tuple[str, str | None, dict[str, str], int]


def comps(result: ScanResult) -> list[Row]:
    """(id, version, properties, evidence line) of each component, in order."""
    return [(c.id, c.version, dict(c.properties), c.evidence[0].line) for c in result.components]


def probs(result: ScanResult) -> list[tuple[int, str]]:
    return [(p.line, p.kind) for p in result.problems]


def includes(result: ScanResult) -> list[tuple[str, str, int]]:
    return [
        (e.dst, e.how, e.evidence.line if e.evidence else 0)
        for e in result.edges
        if e.relation == Relation.INCLUDES
    ]


def scan(scanner: object, path: str, text: str) -> ScanResult:
    result = scanner.SCANNER.scan(SourceFile(path, text))  # type: ignore[attr-defined]
    # Every component has exactly one edge from the node, with the same evidence.
    node = result.nodes[0].id
    for c in result.components:
        assert Edge(node, c.id, Relation.REQUIRES, c.evidence[0]) in result.edges
    return result


# requirements files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("requirements.txt", True),
        ("test/requirements.txt", True),
        ("requirements-dev.txt", True),
        ("dev-requirements.txt", True),
        ("docs/doc_requirements.txt", True),
        ("requirements/base.txt", True),
        ("requirements/base.in", True),
        ("requirements.in", True),
        ("constraints.txt", True),
        ("ci/constraints-py3.txt", True),
        ("docs/readme.txt", False),
        ("requirements.py", False),
        ("MANIFEST.in", False),
        ("requirements/README.md", False),
    ],
)
def test_requirements_matches(path: str, expected: bool) -> None:
    assert requirements.SCANNER.matches(path) is expected


def test_requirements_falco_example() -> None:
    text = (
        "# Python dependencies of the integration tests.\n"
        "avocado-framework==69.0\n"
        "avocado-framework-plugin-varianter-yaml-to-mux==69.0\n"
    )
    result = scan(requirements, "test/requirements.txt", text)
    assert result.nodes == (
        Node(
            "manifest:test/requirements.txt",
            "manifest",
            "test/requirements.txt",
            properties=(("format", "requirements"),),
        ),
    )
    assert comps(result) == [
        ("pypi:avocado-framework@69.0", "69.0", {}, 2),
        ("pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0", "69.0", {}, 3),
    ]
    assert result.edges[0] == Edge(
        "manifest:test/requirements.txt",
        "pypi:avocado-framework@69.0",
        Relation.REQUIRES,
        Evidence("test/requirements.txt", 2, "avocado-framework==69.0", "requirements"),
    )
    assert result.components[0].purl == "pkg:pypi/avocado-framework@69.0"
    assert result.problems == ()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("requests", [("pypi:requests", None, {}, 1)]),
        ("Flask==2.0.1", [("pypi:flask@2.0.1", "2.0.1", {}, 1)]),
        ("foo===1.0", [("pypi:foo@1.0", "1.0", {}, 1)]),
        ("foo==1.*", [("pypi:foo", None, {"constraint": "==1.*"}, 1)]),
        ("foo~=1.4", [("pypi:foo", None, {"constraint": "~=1.4"}, 1)]),
        (
            'Foo_Bar[b,a] >= 1.0, <2 ; python_version < "3.8"  # pinned later',
            [
                (
                    "pypi:foo-bar",
                    None,
                    {"constraint": "<2,>=1.0", "extras": "a,b", "marker": 'python_version < "3.8"'},
                    1,
                )
            ],
        ),
        (
            "-e git+https://github.com/org/repo.git@v1.2#egg=Repo_x",
            [
                (
                    "git:github.com/org/repo@v1.2",
                    "v1.2",
                    {
                        "editable": "true",
                        "package": "repo-x",
                        "url": "https://github.com/org/repo.git",
                    },
                    1,
                )
            ],
        ),
        (
            "git+https://github.com/org/other@abc123#egg=other&subdirectory=py",
            [
                (
                    "git:github.com/org/other@abc123",
                    "abc123",
                    {
                        "package": "other",
                        "subdirectory": "py",
                        "url": "https://github.com/org/other",
                    },
                    1,
                )
            ],
        ),
        (
            'pkg @ git+ssh://git@github.com/org/p.git@v2 ; sys_platform == "linux"',
            [
                (
                    "git:github.com/org/p@v2",
                    "v2",
                    {
                        "marker": 'sys_platform == "linux"',
                        "package": "pkg",
                        "url": "ssh://git@github.com/org/p.git",
                    },
                    1,
                )
            ],
        ),
        (
            "baz @ https://files.example.com/baz-1.2.tar.gz",
            [
                (
                    "download:files.example.com/baz-1.2.tar.gz",
                    "1.2",
                    {"package": "baz", "url": "https://files.example.com/baz-1.2.tar.gz"},
                    1,
                )
            ],
        ),
        (
            "https://example.com/pkg/qux-2.0-py3-none-any.whl",
            [
                (
                    "download:example.com/pkg/qux-2.0-py3-none-any.whl",
                    "2.0",
                    {"package": "qux", "url": "https://example.com/pkg/qux-2.0-py3-none-any.whl"},
                    1,
                )
            ],
        ),
        # First-party and global options: nothing.
        ("-e .", []),
        ("-e ./sub[dev]", []),
        ("./local/pkg", []),
        ("../wheels/foo-1.0-py3-none-any.whl", []),
        ("file:///srv/wheels/foo-1.0.tar.gz", []),
        ("--index-url https://mirror.example/simple", []),
        ("--extra-index-url=https://mirror.example/simple", []),
        ("-i https://mirror.example/simple", []),
        ("--pre", []),
        ("--only-binary :all:", []),
        ("# only a comment", []),
        ("   ", []),
    ],
)
def test_requirements_line_forms(line: str, expected: list[Row]) -> None:
    result = scan(requirements, "requirements.txt", line + "\n")
    assert comps(result) == expected
    assert result.problems == ()


@pytest.mark.parametrize(
    ("line", "kind", "message"),
    [
        (
            "not a requirement!",
            "parse-error",
            "invalid requirement: Expected semicolon (after name with no version specifier) or end",
        ),
        ("${TOKEN}pkg", "unresolved", "environment variable ${TOKEN} in requirement"),
        ("--bogus", "skipped", "unknown option --bogus"),
        ("-r", "parse-error", "option -r needs a value"),
        (
            "-r https://example.com/req.txt",
            "unresolved",
            "-r https://example.com/req.txt: remote file not followed",
        ),
    ],
)
def test_requirements_problems(line: str, kind: str, message: str) -> None:
    text = f"six==1.16.0\n{line}\nattrs\n"
    result = scan(requirements, "requirements.txt", text)
    assert [(p.line, p.kind, p.message, p.scanner) for p in result.problems] == [
        (2, kind, message, "requirements")
    ]
    # The scan goes on past the bad line.
    assert comps(result) == [("pypi:six@1.16.0", "1.16.0", {}, 1), ("pypi:attrs", None, {}, 3)]


def test_requirements_continuations_and_hashes() -> None:
    text = (
        "# header\n"
        "bar==1.0 \\\n"
        "    --hash=sha256:bbb \\\n"
        "    --hash=sha256:aaa\n"
        "baz==2.0 --hash sha256:ccc\n"
        "# a comment ending in a backslash \\\n"
        "qux\n"
    )
    result = scan(requirements, "requirements.txt", text)
    assert comps(result) == [
        ("pypi:bar@1.0", "1.0", {"hashes": "sha256:aaa,sha256:bbb"}, 2),
        ("pypi:baz@2.0", "2.0", {"hashes": "sha256:ccc"}, 5),
        ("pypi:qux", None, {}, 7),
    ]
    assert result.components[0].evidence[0].text == "bar==1.0 \\"


def test_requirements_includes_resolve_relative_to_the_file() -> None:
    text = (
        "-r base.txt\n"
        "--requirement ../common.txt\n"
        "-c ../../constraints.txt\n"
        "-r ../../../outside.txt\n"
        "--constraint=./pins/./c.txt\n"
    )
    result = scan(requirements, "ci/requirements/dev.txt", text)
    assert includes(result) == [
        ("manifest:ci/requirements/base.txt", "-r", 1),
        ("manifest:ci/common.txt", "-r", 2),
        ("manifest:constraints.txt", "-c", 3),
        ("manifest:ci/requirements/pins/c.txt", "-c", 5),
    ]
    assert all(e.src == "manifest:ci/requirements/dev.txt" for e in result.edges)
    assert [(p.line, p.kind, p.message) for p in result.problems] == [
        (4, "unresolved", "-r ../../../outside.txt: path outside the scanned root")
    ]


@pytest.mark.parametrize(
    ("base", "target", "expected"),
    [
        ("requirements.txt", "base.txt", "base.txt"),
        ("a/b/r.txt", "../c.txt", "a/c.txt"),
        ("a/r.txt", "../../x.txt", None),
        ("r.txt", "/etc/passwd", None),
        ("r.txt", "https://x/r.txt", None),
        ("r.txt", "..", None),
        ("a\\r.txt", "sub\\x.txt", "sub/x.txt"),
    ],
)
def test_resolve_include(base: str, target: str, expected: str | None) -> None:
    assert requirements.resolve_include(base, target) == expected


@pytest.mark.parametrize(
    ("spec", "exact", "expected"),
    [
        ("==1.0", False, ("1.0", None)),
        ("== 1.0", False, ("1.0", None)),
        ("===1.0", False, ("1.0", None)),
        ("==1.*", False, (None, "==1.*")),
        ("==1.0,<2", False, (None, "==1.0,<2")),
        ("*", False, (None, None)),
        ("", False, (None, None)),
        ("1.2.3", True, ("1.2.3", None)),
        ("1.2.3", False, (None, "1.2.3")),
        ("^1.2", True, (None, "^1.2")),
    ],
)
def test_split_pin(spec: str, exact: bool, expected: tuple[str | None, str | None]) -> None:
    assert requirements.split_pin(spec, bare_is_exact=exact) == expected


# pyproject.toml -------------------------------------------------------------------------

PEP621 = """\
[build-system]
requires = ["setuptools>=68", "wheel"]

[project]
name = "Demo_Pkg"
dependencies = [
  "requests>=2.31",
  "tomli>=2.0; python_version<'3.11'",
  "click==8.1.7",
  "attrs; python_version < \\"3.8\\"",
]

[project.optional-dependencies]
test = ["pytest>=8", "demo-pkg[extra]"]
docs = [
    "pytest>=8",
    'sphinx',
]
"""


def test_pyproject_pep621() -> None:
    result = scan(pyproject, "pyproject.toml", PEP621)
    assert comps(result) == [
        ("pypi:requests", None, {"constraint": ">=2.31"}, 7),
        ("pypi:tomli", None, {"constraint": ">=2.0", "marker": 'python_version < "3.11"'}, 8),
        ("pypi:click@8.1.7", "8.1.7", {}, 9),
        ("pypi:attrs", None, {"marker": 'python_version < "3.8"'}, 10),
        ("pypi:pytest", None, {"constraint": ">=8", "scope": "optional:test"}, 14),
        ("pypi:pytest", None, {"constraint": ">=8", "scope": "optional:docs"}, 16),
        ("pypi:sphinx", None, {"scope": "optional:docs"}, 17),
        ("pypi:setuptools", None, {"constraint": ">=68", "scope": "build"}, 2),
        ("pypi:wheel", None, {"scope": "build"}, 2),
    ]
    assert result.nodes[0].properties == (("format", "pyproject"), ("project", "demo-pkg"))
    assert result.problems == ()


def test_pyproject_inline_optional_dependencies() -> None:
    text = (
        '[project]\nname = "x"\n'
        'optional-dependencies = { cli = ["rich"], test = [\n'
        '  "rich",\n'
        "] }\n"
    )
    result = scan(pyproject, "pyproject.toml", text)
    assert comps(result) == [
        ("pypi:rich", None, {"scope": "optional:cli"}, 3),
        ("pypi:rich", None, {"scope": "optional:test"}, 4),
    ]


def test_pyproject_dependency_groups() -> None:
    text = """\
[dependency-groups]
test = ["pytest>=8", "coverage"]
typing = ["mypy==1.8.0"]
dev = [
  {include-group = "test"},
  "ruff",
  {include-group = "missing"},
]
loop-a = [{include-group = "loop-b"}]
loop-b = [{include-group = "Loop_A"}]
"""
    result = scan(pyproject, "pyproject.toml", text)
    assert comps(result) == [
        ("pypi:pytest", None, {"constraint": ">=8", "scope": "group:test"}, 2),
        ("pypi:coverage", None, {"scope": "group:test"}, 2),
        ("pypi:mypy@1.8.0", "1.8.0", {"scope": "group:typing"}, 3),
        (
            "pypi:pytest",
            None,
            {"constraint": ">=8", "included_via": "test", "scope": "group:dev"},
            2,
        ),
        ("pypi:coverage", None, {"included_via": "test", "scope": "group:dev"}, 2),
        ("pypi:ruff", None, {"scope": "group:dev"}, 6),
    ]
    assert [(p.line, p.kind, p.message) for p in result.problems] == [
        (7, "unresolved", "include-group 'missing': unknown group"),
        (10, "unresolved", "include-group 'Loop_A': cycle"),
        (9, "unresolved", "include-group 'loop-b': cycle"),
    ]


POETRY = """\
[tool.poetry]
name = "app"

[tool.poetry.dependencies]
python = "^3.10"
requests = "^2.31"
click = "8.1.7"
rich = { version = ">=13", extras = ["jupyter"], optional = true }
mylib = { git = "https://github.com/org/mylib.git", tag = "v1.0" }
local = { path = "../local", develop = true }
multi = [
  { version = "<2", python = "<3.11" },
  { version = ">=2", python = ">=3.11" },
]
"app" = "1.0"

[tool.poetry.dev-dependencies]
pytest = "==7.4.0"

[tool.poetry.group.docs.dependencies]
sphinx = "*"

[tool.poetry.extras]
fancy = ["rich"]
"""


def test_pyproject_poetry() -> None:
    result = scan(pyproject, "pyproject.toml", POETRY)
    assert comps(result) == [
        ("pypi:requests", None, {"constraint": "^2.31"}, 6),
        ("pypi:click@8.1.7", "8.1.7", {}, 7),
        (
            "pypi:rich",
            None,
            {"constraint": ">=13", "extras": "jupyter", "scope": "optional:fancy"},
            8,
        ),
        (
            "git:github.com/org/mylib@v1.0",
            "v1.0",
            {"package": "mylib", "url": "https://github.com/org/mylib.git"},
            9,
        ),
        ("pypi:multi", None, {"constraint": "<2", "python": "<3.11"}, 11),
        ("pypi:multi", None, {"constraint": ">=2", "python": ">=3.11"}, 11),
        ("pypi:pytest@7.4.0", "7.4.0", {"scope": "dev"}, 18),
        ("pypi:sphinx", None, {"scope": "group:docs"}, 21),
    ]
    assert result.problems == ()


def test_pyproject_poetry_subtable_dependency() -> None:
    text = (
        "[tool.poetry.dependencies]\n"
        'python = "^3.10"\n'
        "\n"
        "[tool.poetry.dependencies.numpy]\n"
        'version = "1.26.4"\n'
    )
    result = scan(pyproject, "pyproject.toml", text)
    assert comps(result) == [("pypi:numpy@1.26.4", "1.26.4", {}, 4)]


def test_pyproject_setuptools_dynamic_files() -> None:
    text = """\
[project]
name = "x"
dynamic = ["dependencies", "optional-dependencies"]

[tool.setuptools.dynamic]
dependencies = { file = ["requirements/base.txt"] }
optional-dependencies.test = { file = ["requirements/test.txt", "../../out.txt"] }
"""
    result = scan(pyproject, "pkg/pyproject.toml", text)
    assert includes(result) == [
        ("manifest:pkg/requirements/base.txt", "file", 6),
        ("manifest:pkg/requirements/test.txt", "file", 7),
    ]
    assert [(p.line, p.kind) for p in result.problems] == [(7, "unresolved")]


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ('[project]\nname = "x"\ndependencies = [\n  "a",\n  b\n]\n', [(5, "parse-error")]),
        ('[project]\nname = "x"\ndependencies = "requests"\n', [(3, "parse-error")]),
        ('[project]\ndependencies = ["ok", "bad spec!!"]\n', [(2, "parse-error")]),
        ("", []),
    ],
)
def test_pyproject_problems(text: str, problems: list[tuple[int, str]]) -> None:
    result = scan(pyproject, "pyproject.toml", text)
    assert probs(result) == problems
    assert result.nodes[0].id == "manifest:pyproject.toml"


def test_toml_lines_array_items_in_order() -> None:
    text = 'a = ["x", "y"]\n[t]\nk = [\n  "x",\n  "x",\n]\n[u]\nk = ["x"]\n'
    lines = pyproject.TomlLines.of(text)
    assert lines.item_lines(("a",), ["x", "y"]) == [1, 1]
    assert lines.item_lines(("t", "k"), ["x", "x"]) == [4, 5]
    assert lines.item_lines(("u", "k"), ["x"]) == [8]
    assert lines.item_lines(("v", "k"), ["x"]) == [0]


# setup.py -------------------------------------------------------------------------------

SETUP_PY = """\
import os
from setuptools import setup, find_packages

BASE = [
    "six>=1.16",
    "requests==2.31.0",
]
TEST = ["pytest"]

setup(
    name="demo",
    install_requires=BASE + ["click"],
    extras_require={
        "yaml": ["PyYAML>=6"],
        "test": TEST,
        "dyn": [x for x in BASE],
    },
    tests_require=TEST,
    setup_requires="setuptools_scm>=7\\nwheel",
    **extra_kwargs,
)
"""


def test_setup_py_literals_and_names() -> None:
    result = scan(setup_py, "setup.py", SETUP_PY)
    assert comps(result) == [
        ("pypi:six", None, {"constraint": ">=1.16"}, 5),
        ("pypi:requests@2.31.0", "2.31.0", {}, 6),
        ("pypi:click", None, {}, 12),
        ("pypi:pyyaml", None, {"constraint": ">=6", "scope": "optional:yaml"}, 14),
        ("pypi:pytest", None, {"scope": "optional:test"}, 8),
        ("pypi:pytest", None, {"scope": "test"}, 8),
        ("pypi:setuptools-scm", None, {"constraint": ">=7", "scope": "build"}, 19),
        ("pypi:wheel", None, {"scope": "build"}, 19),
    ]
    assert [(p.line, p.kind, p.message) for p in result.problems] == [
        (16, "unresolved", "extras_require['dyn']: not a literal: [x for x in BASE]"),
        (20, "unresolved", "setup() takes **extra_kwargs: its requirements are not read"),
    ]
    assert result.nodes[0].properties == (("format", "setup.py"),)


@pytest.mark.parametrize(
    ("text", "problems", "ids"),
    [
        (
            "from setuptools import setup\nsetup(\n  install_requires=[\n",
            [(3, "parse-error", "not Python: '[' was never closed")],
            [],
        ),
        (
            'import setuptools\nsetuptools.setup(\n    install_requires=open("r.txt")'
            ".read().splitlines(),\n)\n",
            [
                (
                    3,
                    "unresolved",
                    "install_requires: not a literal: open('r.txt').read().splitlines()",
                )
            ],
            [],
        ),
        (
            'REQ = ["a"]\nREQ = ["b"]\nsetup(install_requires=REQ, tests_require=("c",))\n',
            [(3, "unresolved", "install_requires: REQ is assigned more than once")],
            ["pypi:c"],
        ),
        (
            'setup(install_requires="""\n    alpha>=1\n    # comment\n    beta\n""")\n',
            [],
            ["pypi:alpha", "pypi:beta"],
        ),
        (
            'EXTRAS = dict(cli=["click"])\nsetup(extras_require=EXTRAS)\n',
            [],
            ["pypi:click"],
        ),
        ("print('no setup call here')\n", [], []),
    ],
)
def test_setup_py_forms(text: str, problems: list[tuple[int, str, str]], ids: list[str]) -> None:
    result = scan(setup_py, "setup.py", text)
    assert [(p.line, p.kind, p.message) for p in result.problems] == problems
    assert [c.id for c in result.components] == ids


def test_setup_py_multiline_string_lines() -> None:
    text = 'setup(install_requires="""\n    alpha>=1\n    # comment\n    beta\n""")\n'
    result = scan(setup_py, "setup.py", text)
    assert [c.evidence[0].line for c in result.components] == [2, 4]


def test_setup_py_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = (
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('executed')\n"
        "setup(install_requires=['six'])\n"
    )
    result = scan(setup_py, "setup.py", text)
    assert [c.id for c in result.components] == ["pypi:six"]
    assert not marker.exists()


# setup.cfg ------------------------------------------------------------------------------

SETUP_CFG = """\
[metadata]
name = demo

[options]
packages = find:
install_requires =
    requests>=2.31
    # a comment
    importlib-metadata; python_version<"3.8"
    six
setup_requires = setuptools_scm
tests_require = file: requirements/test.txt, requirements/extra.txt

[options.extras_require]
yaml = PyYAML>=6
all =
    PyYAML>=6
    six==1.16.0
"""


def test_setup_cfg() -> None:
    result = scan(setup_cfg, "setup.cfg", SETUP_CFG)
    assert comps(result) == [
        ("pypi:requests", None, {"constraint": ">=2.31"}, 7),
        ("pypi:importlib-metadata", None, {"marker": 'python_version < "3.8"'}, 9),
        ("pypi:six", None, {}, 10),
        ("pypi:setuptools-scm", None, {"scope": "build"}, 11),
        ("pypi:pyyaml", None, {"constraint": ">=6", "scope": "optional:yaml"}, 15),
        ("pypi:pyyaml", None, {"constraint": ">=6", "scope": "optional:all"}, 17),
        ("pypi:six@1.16.0", "1.16.0", {"scope": "optional:all"}, 18),
    ]
    assert includes(result) == [
        ("manifest:requirements/test.txt", "file", 12),
        ("manifest:requirements/extra.txt", "file", 12),
    ]
    assert result.problems == ()


@pytest.mark.parametrize(
    ("text", "problems", "ids"),
    [
        ("install_requires = six\n", [(1, "parse-error")], []),
        (
            "[options]\ninstall_requires =\n    six\n garbage\nnot a key line\n",
            [(5, "parse-error")],
            ["pypi:six", "pypi:garbage"],
        ),
        (
            "[options]\ninstall_requires = six; attrs==23.1.0\n",
            [],
            ["pypi:six", "pypi:attrs@23.1.0"],
        ),
        ("[metadata]\nname = x\n", [], []),
    ],
)
def test_setup_cfg_forms(text: str, problems: list[tuple[int, str]], ids: list[str]) -> None:
    result = scan(setup_cfg, "setup.cfg", text)
    assert probs(result) == problems
    assert [c.id for c in result.components] == ids


# Pipfile --------------------------------------------------------------------------------

PIPFILE = """\
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
requests = "*"
flask = "==2.0.1"
django = {version = ">=3.2", extras = ["bcrypt"], sys_platform = "== 'linux'"}
records = {git = "https://github.com/kennethreitz/records.git", ref = "v0.5.3"}
mypkg = {path = ".", editable = true}

[dev-packages]
pytest = ">=7"

[docs]
sphinx = "==7.2.6"

[requires]
python_version = "3.11"
"""


def test_pipfile() -> None:
    result = scan(pipfile, "Pipfile", PIPFILE)
    assert comps(result) == [
        ("pypi:requests", None, {}, 7),
        ("pypi:flask@2.0.1", "2.0.1", {}, 8),
        (
            "pypi:django",
            None,
            {"constraint": ">=3.2", "extras": "bcrypt", "marker": "sys_platform == 'linux'"},
            9,
        ),
        (
            "git:github.com/kennethreitz/records@v0.5.3",
            "v0.5.3",
            {"package": "records", "url": "https://github.com/kennethreitz/records.git"},
            10,
        ),
        ("pypi:pytest", None, {"constraint": ">=7", "scope": "dev"}, 14),
        ("pypi:sphinx@7.2.6", "7.2.6", {"scope": "group:docs"}, 17),
    ]
    assert result.problems == ()


def test_pipfile_not_toml() -> None:
    result = scan(pipfile, "Pipfile", "[packages]\nrequests = \n")
    assert [(p.line, p.kind, p.scanner) for p in result.problems] == [(2, "parse-error", "pipfile")]
    assert result.components == ()


@pytest.mark.parametrize(
    ("scanner", "path", "expected"),
    [
        (pyproject, "pyproject.toml", True),
        (pyproject, "sub/pyproject.toml", True),
        (pyproject, "pyproject.toml.bak", False),
        (setup_py, "setup.py", True),
        (setup_py, "tools/setup.py", True),
        (setup_py, "my_setup.py", False),
        (setup_cfg, "setup.cfg", True),
        (setup_cfg, "tox.ini", False),
        (pipfile, "Pipfile", True),
        (pipfile, "Pipfile.lock", False),
    ],
)
def test_python_manifest_matches(scanner: object, path: str, expected: bool) -> None:
    assert scanner.SCANNER.matches(path) is expected  # type: ignore[attr-defined]
