""".gitmodules, go.mod and package.json scanners."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.model import ComponentKind, Edge, Evidence, Node, Relation, ScanResult
from audit.scanners import gitmodules, gomod, npm
from audit.scanners.base import SourceFile

Row = tuple[str, str | None, dict[str, str], int]


def scan(scanner: object, path: str, text: str, relation: Relation) -> ScanResult:
    result = scanner.SCANNER.scan(SourceFile(path, text))  # type: ignore[attr-defined]
    node = result.nodes[0].id
    assert node == f"manifest:{path}"
    for c in result.components:
        assert Edge(node, c.id, relation, c.evidence[0]) in result.edges
    assert len(result.edges) == len(result.components)
    return result


def comps(result: ScanResult) -> list[Row]:
    return [(c.id, c.version, dict(c.properties), c.evidence[0].line) for c in result.components]


def probs(result: ScanResult) -> list[tuple[int, str, str]]:
    return [(p.line, p.kind, p.message) for p in result.problems]


# .gitmodules ----------------------------------------------------------------------------

GITMODULES = """\
[submodule "libs"]
\tpath = submodules/falcosecurity-libs
\turl = https://github.com/falcosecurity/libs.git
\tbranch = "master"   # tracked branch
; a comment
[submodule "plugins"]
\tpath = "plugins dir"
\turl = git@github.com:falcosecurity/plugins.git
[Submodule "Upper"]
\tURL = https://gitlab.com/group/sub/project
\tPath = upper
[submodule "rel"]
\tpath = rel
\turl = ../rel.git
[submodule "nourl"]
\tpath = x
"""


def test_gitmodules() -> None:
    result = scan(gitmodules, ".gitmodules", GITMODULES, Relation.BUNDLES)
    assert comps(result) == [
        (
            "submodule:github.com/falcosecurity/libs",
            None,
            {
                "branch": "master",
                "path": "submodules/falcosecurity-libs",
                "submodule": "libs",
                "url": "https://github.com/falcosecurity/libs.git",
            },
            3,
        ),
        (
            "submodule:github.com/falcosecurity/plugins",
            None,
            {
                "path": "plugins dir",
                "submodule": "plugins",
                "url": "git@github.com:falcosecurity/plugins.git",
            },
            8,
        ),
        (
            "submodule:gitlab.com/group/sub/project",
            None,
            {"path": "upper", "submodule": "Upper", "url": "https://gitlab.com/group/sub/project"},
            10,
        ),
    ]
    assert all(c.kind == ComponentKind.SUBMODULE for c in result.components)
    assert result.components[0].purl == "pkg:github/falcosecurity/libs"
    assert result.edges[0] == Edge(
        "manifest:.gitmodules",
        "submodule:github.com/falcosecurity/libs",
        Relation.BUNDLES,
        Evidence(".gitmodules", 3, "url = https://github.com/falcosecurity/libs.git", "gitmodules"),
    )
    assert probs(result) == [
        (
            14,
            "unresolved",
            "submodule 'rel' url ../rel.git is relative to the superproject remote",
        ),
        (15, "unresolved", "submodule 'nourl' has no url"),
    ]
    assert result.nodes == (
        Node(
            "manifest:.gitmodules",
            "manifest",
            ".gitmodules",
            properties=(("format", "gitmodules"),),
        ),
    )


@pytest.mark.parametrize(
    ("text", "entries", "errors"),
    [
        (
            '[submodule "a"]\n  url = "x y" ; c\n  flag\n',
            [("submodule", "a", "url", "x y", 2), ("submodule", "a", "flag", "true", 3)],
            [],
        ),
        (
            '[submodule "a\\"b"]\n url = one\\\ntwo\n',
            [("submodule", 'a"b', "url", "onetwo", 2)],
            [],
        ),
        (
            'url = orphan\n[submodule "a"\n url = "unterminated\n bad key! = 1\n',
            [],
            [
                (1, "key outside of any section"),
                (2, 'malformed section header [submodule "a"'),
                (3, "key outside of any section"),
                (4, "key outside of any section"),
            ],
        ),
        (
            '[submodule "a"]\n url = "unterminated\n url2 = bad\\q\n',
            [],
            [(2, "unterminated quote"), (3, "bad escape \\q")],
        ),
    ],
)
def test_git_config_parser(
    text: str, entries: list[tuple[str, str, str, str, int]], errors: list[tuple[int, str]]
) -> None:
    parsed, errs = gitmodules.parse_git_config(text)
    assert [(e.section, e.subsection, e.key, e.value, e.line) for e in parsed] == entries
    assert list(errs) == errors


# go.mod ---------------------------------------------------------------------------------

GOMOD = """\
module github.com/falcosecurity/falcoctl

go 1.21

require (
\tgithub.com/spf13/cobra v1.7.0
\tgolang.org/x/sys v0.10.0 // indirect
\t"github.com/quoted/mod" v1.0.0
\tgithub.com/falcosecurity/falcoctl v0.0.0
\tgithub.com/pkg/errors v0.9.1 // indirect; keep
)

require github.com/single/mod v0.1.0 // a comment

replace github.com/spf13/cobra => github.com/fork/cobra v1.7.1

replace (
\tgolang.org/x/sys v0.10.0 => ../sys
\tgithub.com/pkg/errors v0.8.0 => github.com/other/errors v0.8.0
)
exclude github.com/bad/mod v1.0.0
"""


def test_gomod() -> None:
    result = scan(gomod, "go.mod", GOMOD, Relation.REQUIRES)
    assert comps(result) == [
        (
            "golang:github.com/spf13/cobra@v1.7.0",
            "v1.7.0",
            {"replaced_by": "github.com/fork/cobra@v1.7.1"},
            6,
        ),
        (
            "golang:golang.org/x/sys@v0.10.0",
            "v0.10.0",
            {"replaced_by": "../sys", "scope": "indirect"},
            7,
        ),
        ("golang:github.com/quoted/mod@v1.0.0", "v1.0.0", {}, 8),
        ("golang:github.com/pkg/errors@v0.9.1", "v0.9.1", {"scope": "indirect"}, 10),
        ("golang:github.com/single/mod@v0.1.0", "v0.1.0", {}, 13),
        (
            "golang:github.com/fork/cobra@v1.7.1",
            "v1.7.1",
            {"replaces": "github.com/spf13/cobra"},
            15,
        ),
        (
            "golang:github.com/other/errors@v0.8.0",
            "v0.8.0",
            {"replaces": "github.com/pkg/errors@v0.8.0"},
            19,
        ),
    ]
    assert result.components[0].purl == "pkg:golang/github.com/spf13/cobra@v1.7.0"
    assert result.components[0].ecosystem == "golang"
    assert result.nodes[0].properties == (
        ("format", "go.mod"),
        ("go", "1.21"),
        ("module", "github.com/falcosecurity/falcoctl"),
    )
    assert result.problems == ()


@pytest.mark.parametrize(
    ("text", "problems", "ids"),
    [
        (
            "module m\nrequire (\n  a.com/x v1.0.0\n",
            [(2, "parse-error", "require block has no closing ')'")],
            ["golang:a.com/x@v1.0.0"],
        ),
        (
            "module m\nfrobnicate a b\nrequire a.com/x\nrequire b.com/y v2.0.0+incompatible\n",
            [
                (2, "parse-error", "unknown directive frobnicate"),
                (3, "parse-error", "malformed require: expected 'module version'"),
            ],
            ["golang:b.com/y@v2.0.0+incompatible"],
        ),
        (
            'module m\nreplace a.com/x =>\nrequire "a.com/y v1\n',
            [
                (3, "parse-error", "unterminated quoted string"),
                (2, "parse-error", "malformed replace: expected 'old [v] => new [v]'"),
            ],
            [],
        ),
    ],
)
def test_gomod_problems(text: str, problems: list[tuple[int, str, str]], ids: list[str]) -> None:
    result = scan(gomod, "go.mod", text, Relation.REQUIRES)
    assert probs(result) == problems
    assert [c.id for c in result.components] == ids


# package.json ---------------------------------------------------------------------------

PACKAGE_JSON = """\
{
  "name": "falco-ui",
  "version": "1.0.0",
  "scripts": {"dependencies": "echo not a dependency"},
  "dependencies": {
    "react": "18.2.0",
    "lodash": "^4.17.21",
    "@scope/pkg": "~1.2.0",
    "exact-eq": "=2.0.0",
    "local": "file:../local",
    "ws": "workspace:*",
    "gh": "github:user/repo#v1.0",
    "short": "user/short#semver:^2.0.0",
    "gitdep": "git+ssh://git@github.com:org/gitdep.git#abc123",
    "tar": "https://example.com/x-1.0.tgz",
    "alias": "npm:real-pkg@2.0.0",
    "any": "*",
    "tagged": "latest"
  },
  "devDependencies": {"jest": "29.0.0", "react": ">=17 <19"},
  "optionalDependencies": {
    "fsevents": "2.3.3"
  },
  "peerDependencies": {"react-dom": "^18"}
}
"""


def test_package_json() -> None:
    result = scan(npm, "web/package.json", PACKAGE_JSON, Relation.REQUIRES)
    assert comps(result) == [
        ("npm:react@18.2.0", "18.2.0", {}, 6),
        ("npm:lodash", None, {"constraint": "^4.17.21"}, 7),
        ("npm:@scope/pkg", None, {"constraint": "~1.2.0"}, 8),
        ("npm:exact-eq@2.0.0", "2.0.0", {}, 9),
        (
            "git:github.com/user/repo@v1.0",
            "v1.0",
            {"package": "gh", "url": "https://github.com/user/repo"},
            12,
        ),
        (
            "git:github.com/user/short@^2.0.0",
            "^2.0.0",
            {"package": "short", "url": "https://github.com/user/short"},
            13,
        ),
        (
            "git:github.com/org/gitdep@abc123",
            "abc123",
            {"package": "gitdep", "url": "ssh://git@github.com/org/gitdep.git"},
            14,
        ),
        (
            "download:example.com/x-1.0.tgz",
            None,
            {"package": "tar", "url": "https://example.com/x-1.0.tgz"},
            15,
        ),
        ("npm:real-pkg@2.0.0", "2.0.0", {"alias": "alias"}, 16),
        ("npm:any", None, {}, 17),
        ("npm:tagged", None, {"constraint": "latest"}, 18),
        ("npm:jest@29.0.0", "29.0.0", {"scope": "dev"}, 20),
        ("npm:react", None, {"constraint": ">=17 <19", "scope": "dev"}, 20),
        ("npm:fsevents@2.3.3", "2.3.3", {"scope": "optional"}, 22),
        ("npm:react-dom", None, {"constraint": "^18", "scope": "peer"}, 24),
    ]
    assert result.components[2].purl == "pkg:npm/%40scope/pkg"
    assert result.nodes[0].properties == (("format", "package.json"), ("package", "falco-ui"))
    assert result.problems == ()


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ('{\n "a": 1,\n "b": [1,\n}', [(4, "parse-error", "not JSON: Expecting value")]),
        ("[1, 2]", [(1, "parse-error", "not a JSON object")]),
        (
            '{"dependencies": ["a"],\n "devDependencies": {"x": 1}}',
            [
                (1, "parse-error", "dependencies is not an object"),
                (2, "parse-error", "x: version is not a string"),
            ],
        ),
    ],
)
def test_package_json_problems(text: str, problems: list[tuple[int, str, str]]) -> None:
    result = scan(npm, "package.json", text, Relation.REQUIRES)
    assert probs(result) == problems
    assert result.components == ()


def test_key_lines_tracks_nesting_and_escapes() -> None:
    text = (
        '{"a\\"b": {"x": [ {"dependencies": 1} ], "y": "}"},\n'
        ' "dependencies": {\n'
        '   "k": "v", "nested": {"deep": 1}\n'
        " }}\n"
    )
    assert npm.key_lines(text) == {
        ('a"b',): 1,
        ('a"b', "x"): 1,
        ('a"b', "y"): 1,
        ("dependencies",): 2,
        ("dependencies", "k"): 3,
        ("dependencies", "nested"): 3,
    }


@pytest.mark.parametrize(
    ("scanner", "path", "expected"),
    [
        (gitmodules, ".gitmodules", True),
        (gitmodules, "sub/.gitmodules", True),
        (gitmodules, "gitmodules", False),
        (gomod, "go.mod", True),
        (gomod, "tools/go.mod", True),
        (gomod, "go.sum", False),
        (npm, "package.json", True),
        (npm, "web/package.json", True),
        (npm, "web/node_modules/react/package.json", False),
        (npm, "package-lock.json", False),
    ],
)
def test_matches(scanner: object, path: str, expected: bool) -> None:
    assert scanner.SCANNER.matches(path) is expected  # type: ignore[attr-defined]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet='[]"\\=;# \nsubmoduleurl()=>/v1.requireplace', max_size=200))
def test_parsers_never_raise(text: str) -> None:
    for scanner, path in ((gitmodules, ".gitmodules"), (gomod, "go.mod"), (npm, "package.json")):
        result = scanner.SCANNER.scan(SourceFile(path, text))
        assert result.nodes[0].id == f"manifest:{path}"


def test_gomod_local_replace_of_the_own_repository_is_first_party() -> None:
    """inspektor-gadget-2024-08 gadgets/trace_dns/go/go.mod:14
    ``replace github.com/inspektor-gadget/inspektor-gadget => ../../../``."""
    text = (
        "module github.com/inspektor-gadget/inspektor-gadget/gadgets/trace_dns\n"
        "require github.com/inspektor-gadget/inspektor-gadget v0.0.0\n"
        "replace github.com/inspektor-gadget/inspektor-gadget => ../../../\n"
    )
    result = scan(gomod, "go.mod", text, Relation.REQUIRES)
    assert comps(result) == []
    (node,) = result.nodes
    assert node.prop("local_replaces") == (
        "github.com/inspektor-gadget/inspektor-gadget=>../../../"
    )
