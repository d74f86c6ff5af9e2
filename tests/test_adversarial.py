"""Hostile input for every parser: the scan finishes, the problem is listed with its path
and line, the other findings are intact and no traceback reaches the user.

The corpus is ``tests/adversarial/<case>/``: small trees, each with one kind of bad file.
Big inputs (1 MB lines, 1 MB license strings) are generated here. Parsing time is checked
without timing anything: the inputs are large enough that a quadratic or exponential parser
would hang the test run instead of finishing in milliseconds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.cli import main
from audit.discover import discover
from audit.model import Evidence, Problem, ScanResult
from audit.scan import MAX_PROBLEMS_PER_FILE, ScanSettings, scan
from audit.scanners import all_scanners
from audit.scanners.base import Scanner, SourceFile
from audit.scanners.dockerfile import SCANNER as DOCKERFILE

CORPUS = Path(__file__).parent / "adversarial"
GOOD = "good/requirements.txt"
GOOD_ID = "pypi:requests@2.31.0"
KINDS = {"parse-error", "unreadable", "unresolved", "skipped", "config"}

P = "parse-error"
GA, CI, GL = ".github/workflows/ci.yml", ".circleci/config.yml", ".gitlab-ci.yml"

# case -> (problems as (path, line, kind, scanner), component ids besides the good one,
#          skipped files as (path, reason))
CASES: dict[str, tuple[list[tuple[str, int, str, str]], list[str], list[tuple[str, str]]]] = {
    "actions-null-jobs": ([(GA, 2, P, "github-actions")], [], []),
    "actions-wrong-shape": (
        [(GA, line, P, "github-actions") for line in (3, 4, 7, 8, 9, 10, 14, 15, 16, 17)],
        ["action:actions/checkout@v4"],
        [],
    ),
    "circleci-wrong-shape": (
        [(CI, line, P, "circleci") for line in (2, 5, 6, 7, 9, 10, 15, 16, 17, 20, 21)],
        ["image:cimg/base:2023.06"],
        [],
    ),
    "cmake-unbalanced": (
        [("CMakeLists.txt", 3, P, "cmake"), ("CMakeLists.txt", 4, P, "cmake")],
        [],
        [],
    ),
    "dockerfile-arg-loop": (
        [
            ("Dockerfile", 3, "unresolved", "dockerfile"),
            ("Dockerfile", 5, "unresolved", "dockerfile"),
        ],
        ["image:alpine:3.18"],
        [],
    ),
    "dockerfile-continuation": ([], ["deb:debian/curl", "image:debian:12"], []),
    # the heredoc never ends: what comes before it is still read
    "dockerfile-heredoc": (
        [("Dockerfile", 3, P, "dockerfile")],
        ["apk:alpine/curl", "image:alpine:3.18"],
        [],
    ),
    "encoding-latin1": ([("requirements.txt", 1, "unreadable", "")], ["pypi:flask@2.3.3"], []),
    "encoding-nul-late": ([], ["deb:debian/curl", "image:debian:12"], []),
    "encoding-utf16-bom": ([], ["pypi:flask@2.3.3"], []),
    "encoding-utf16-nobom": (
        [("requirements.txt", 0, "skipped", "")],
        [],
        [("requirements.txt", "binary file")],
    ),
    "gitlab-wrong-shape": (
        [(GL, line, P, "gitlab") for line in (2, 3, 4, 7, 8, 9)]
        + [(GL, 10, "unresolved", "gitlab")],
        ["apk:curl", "image:alpine:3.18"],
        [],
    ),
    "gitmodules-garbage": (
        # not a git work tree: the pin cannot be read from an index (unresolved, line 0)
        [(".gitmodules", 0, "unresolved", "git-index")]
        + [(".gitmodules", line, P, "gitmodules") for line in (1, 2, 3, 7)],
        ["submodule:github.com/falcosecurity/plugins"],
        [],
    ),
    "gomod-garbage": (
        [("go.mod", line, P, "go.mod") for line in (5, 7, 8)],
        ["golang:github.com/spf13/cobra@v1.8.0"],
        [],
    ),
    "npm-truncated": ([("package.json", 1, P, "npm")], [], []),
    "npm-wrong-shape": (
        [("package.json", 1, P, "npm"), ("package.json", 1, P, "npm")],
        ["npm:lodash"],
        [],
    ),
    "pipfile-not-toml": ([("Pipfile", 1, P, "pipfile")], [], []),
    "pyproject-not-toml": ([("pyproject.toml", 1, P, "pyproject")], [], []),
    "requirements-cycle": (
        [("requirements.txt", 1, "skipped", "requirements")],
        ["pypi:pytest@7.4.0"],
        [],
    ),
    "setup-cfg-duplicate": ([("setup.cfg", 6, P, "setup.cfg")], ["pypi:flask"], []),
    "setup-py-dynamic": ([("setup.py", 4, "unresolved", "setup.py")], [], []),
    "yaml-alias-bomb": ([(".github/workflows/bomb.yml", 8, P, "github-actions")], [], []),
    "yaml-deep-nesting": ([(GL, 5, P, "gitlab")], [], []),
    "yaml-duplicate-keys": (
        [(GA, 7, P, "github-actions"), (GA, 11, P, "github-actions")],
        ["action:actions/setup-go@v5"],
        [],
    ),
    "yaml-multi-doc": (
        [(GL, 5, "skipped", "gitlab"), (GL, 7, P, "gitlab")],
        ["apk:curl", "image:alpine:3.18"],
        [],
    ),
    "yaml-recursive-alias": ([(CI, 4, P, "circleci")], [], []),
    "yaml-tab-indent": ([(GA, 4, P, "github-actions")], [], []),
    "yaml-truncated": ([(CI, 11, P, "circleci")], [], []),  # the quote opened on line 11
}


def _case_tree(case: str, dst: Path) -> Path:
    shutil.copytree(CORPUS / case, dst)
    (dst / "good").mkdir()
    (dst / GOOD).write_text("requests==2.31.0\n")
    return dst


def test_every_corpus_case_has_expectations() -> None:
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) == sorted(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_corpus_case(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = _case_tree(case, tmp_path / case)
    assert main(["inventory", str(tree), "--no-cache"]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    doc = json.loads(out)
    problems, components, skipped = CASES[case]
    assert [(p["path"], p["line"], p["kind"], p["scanner"]) for p in doc["problems"]] == problems
    assert sorted(c["id"] for c in doc["components"]) == sorted([*components, GOOD_ID])
    assert [(s["path"], s["reason"]) for s in doc["skipped"]] == skipped


def test_whole_corpus_audit_lists_every_problem_as_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One audit over every case at once: each problem is in the report's incomplete list."""
    monkeypatch.setenv("DEPAUDIT_CACHE_DIR", str(tmp_path / "cache"))
    tree = tmp_path / "tree"
    for case in CASES:
        shutil.copytree(CORPUS / case, tree / case)
    (tree / "good").mkdir()
    (tree / GOOD).write_text("requests==2.31.0\n")
    report = tmp_path / "report.json"
    argv = ["scan", str(tree), "--offline", "--fail-on", "never", "-f", "json", "-o", str(report)]
    assert main(argv) == 0
    assert "Traceback" not in capsys.readouterr().err
    doc = json.loads(report.read_text())
    incomplete = {(p["path"], p["line"], p["kind"]) for p in doc["incomplete"]}
    for case, (problems, _, _) in CASES.items():
        for path, line, kind, _ in problems:
            assert (f"{case}/{path}", line, kind) in incomplete
    ids = {c["id"] for c in doc["components"]}
    assert GOOD_ID in ids
    assert {
        "image:cimg/base:2023.06",
        "pypi:flask@2.3.3",
        "golang:github.com/spf13/cobra@v1.8.0",
    } <= ids


# Big inputs -----------------------------------------------------------------------------

MB = 1_000_000
LICENSE_1MB = "MIT OR " * (MB // 7) + "MIT"


@pytest.mark.parametrize(
    ("path", "text", "problems", "components"),
    [
        (
            "package.json",
            json.dumps({"name": "ui", "license": LICENSE_1MB, "dependencies": {"react": "18.2.0"}}),
            [],
            ["npm:react@18.2.0"],
        ),
        (
            "pyproject.toml",
            f'[project]\nname = "x"\nlicense = {{text = "{LICENSE_1MB}"}}\n'
            'dependencies = ["click==8.1.7"]\n',
            [],
            ["pypi:click@8.1.7"],
        ),
        (
            "setup.py",
            f"from setuptools import setup\nsetup(license='{LICENSE_1MB}', "
            "install_requires=['click==8.1.7'])\n",
            [],
            ["pypi:click@8.1.7"],
        ),
        (
            "src/probe.c",
            f"// SPDX-License-Identifier: {LICENSE_1MB}\nint x;\n",
            [("src/probe.c", 1, P)],
            [],
        ),
        (
            "requirements.txt",
            "click==8.1.7 " + "a " * (MB // 2) + "\nflask==2.3.3\n",
            [("requirements.txt", 1, P)],
            ["pypi:flask@2.3.3"],
        ),
        (
            "Dockerfile",
            f'FROM debian:12\nLABEL org.opencontainers.image.licenses="{LICENSE_1MB}"\n',
            [("Dockerfile", 2, P)],  # over BuildKit's 64 KiB line limit: that line is skipped
            ["image:debian:12"],
        ),
    ],
)
def test_one_megabyte_strings(
    path: str,
    text: str,
    problems: list[tuple[str, int, str]],
    components: list[str],
    tmp_path: Path,
) -> None:
    target = tmp_path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    (tmp_path / "good").mkdir()
    (tmp_path / GOOD).write_text("requests==2.31.0\n")
    out = scan(discover(tmp_path, use_git=False))
    assert [(p.path, p.line, p.kind) for p in out.result.problems] == problems
    assert sorted(c.id for c in out.result.components) == sorted([*components, GOOD_ID])


def test_dockerfile_long_line_is_reported_at_its_line() -> None:
    from audit.scanners.dockerfile import SCANNER as DOCKERFILE

    text = 'FROM debian:12\nRUN true\nLABEL a="' + "x" * 70_000 + '"\n'
    result = DOCKERFILE.scan(SourceFile("Dockerfile", text))
    assert [(p.line, p.kind) for p in result.problems] == [(3, P)]
    assert [c.id for c in result.components] == ["image:debian:12"]


# Dockerfiles: per-line costs ---------------------------------------------------------------
# Linear time is checked without timing: the inputs are large enough that a quadratic step
# (a stage lookup per FROM, BuildKit's parser appending each continuation line to a growing
# string) would take many seconds; what the parser is handed is checked directly.


def _parser_inputs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each text handed to BuildKit's parser."""
    import dockerfile

    seen: list[str] = []
    real = dockerfile.parse_string

    def recording(text: str) -> object:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(dockerfile, "parse_string", recording)
    return seen


def _continued(text: str) -> int:
    """Physical lines that end in a line continuation."""
    return sum(1 for line in text.split("\n") if line.rstrip().endswith("\\"))


def test_dockerfile_chain_of_5000_stages() -> None:
    n = 5000
    text = (
        "FROM debian:12 AS s0\nENV PY=3.11.7\n"
        + "".join(f"FROM s{i} AS s{i + 1}\n" for i in range(n))
        + "COPY --from=s2500 /a /b\nCOPY --from=17 /a /b\nCOPY --from=busybox:1.36 /bin /bin\n"
        "RUN pip install python-dateutil==$PY\n"
    )
    result = DOCKERFILE.scan(SourceFile("Dockerfile", text))
    assert [(c.id, c.evidence[0].line) for c in result.components] == [
        ("image:debian:12", 1),
        ("image:busybox:1.36", n + 5),
        ("pypi:python-dateutil@3.11.7", n + 6),  # ENV of s0, seen 5,000 stages later
    ]
    assert [(e.dst, e.evidence.line if e.evidence else 0, e.how) for e in result.edges] == [
        ("image:debian:12", 1, "FROM"),  # the final stage is built on s0 through the chain
        ("image:busybox:1.36", n + 5, "COPY --from"),
        ("pypi:python-dateutil@3.11.7", n + 6, ""),
    ]
    props = dict(result.nodes[0].properties)
    assert props["stages"] == ",".join(f"s{i}" for i in range(n + 1))
    assert props["final-base"] == "image:debian:12"
    assert result.problems == ()


def test_dockerfile_chain_of_stages_each_adding_env() -> None:
    """Each stage inherits the ENV values of the one before and adds one: past 1,000,000
    copied values a stage starts without them, and what needs them is reported."""
    n = 2000
    text = (
        "FROM debian:12 AS s0\n"
        + "".join(f"ENV A{i}=1.{i}\nFROM s{i} AS s{i + 1}\n" for i in range(n))
        + f"RUN pip install a==$A0 b==$A{n - 1}\n"
    )
    result = DOCKERFILE.scan(SourceFile("Dockerfile", text))
    assert [(c.id, c.evidence[0].line) for c in result.components] == [
        ("image:debian:12", 1),
        (f"pypi:b@1.{n - 1}", 2 * n + 2),
    ]
    # stage k copies k values: 1 + 2 + ... + 1414 > 1,000,000 at the ENV of stage 1414
    assert [(p.line, p.kind, p.message) for p in result.problems] == [
        (
            2 * 1414 + 2,
            "skipped",
            "over 1,000,000 ENV values copied from earlier stages: from here on a stage built"
            " on another does not inherit its ENV values (what needs them is reported"
            " unresolved)",
        ),
        (
            2 * n + 2,
            "unresolved",
            f"`a==$A0` in `pip install a==$A0 b==$A{n - 1}` needs $A0, which is not known"
            " here; nothing recorded for it",
        ),
    ]


def test_dockerfile_20000_continuation_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 20_000
    comment = "    # a comment inside the instruction\n"
    label = "".join(f"    k{i}=v{i} \\\n" + (comment if i % 1000 == 999 else "") for i in range(n))
    run = ("    \\\n" * 19 + "    && true \\\n") * (n // 20)
    text = (
        "FROM debian:12\nLABEL a=b \\\n"
        + label
        + "    org.opencontainers.image.licenses=MIT\n"
        + "RUN apt-get update \\\n"
        + run
        + "    && apt-get install -y git\n"
    )
    seen = _parser_inputs(monkeypatch)
    result = DOCKERFILE.scan(SourceFile("Dockerfile", text))
    run_line = 2 + n + n // 1000 + 2
    assert [(c.id, c.evidence[0].line) for c in result.components] == [
        ("image:debian:12", 1),
        ("deb:debian/git", run_line + n + 1),
    ]
    assert result.problems == ()
    labels = {k: v for k, v in result.nodes[0].properties if k.startswith("label.")}
    assert len(labels) == n + 2
    assert (labels["label.a"], labels["label.k0"], labels["label.k19999"]) == ("b", "v0", "v19999")
    assert labels["label.org.opencontainers.image.licenses"] == "MIT"
    # one parse, of 40,000 continuation lines joined into a few dozen
    assert len(seen) == 1
    assert (_continued(text), _continued(seen[0])) == (2 * n + 2, 75)
    assert (len(text.splitlines()), len(seen[0].splitlines())) == (2 * n + 25, 98)


def test_dockerfile_continuations_then_unterminated_heredoc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The heredoc is found without parsing the unjoined text: two parses, both joined."""
    n = 20_000
    text = "FROM alpine:3.19\nRUN apk add curl \\\n" + "    -q \\\n" * n + "    -v\nRUN <<EOF\nx\n"
    seen = _parser_inputs(monkeypatch)
    result = DOCKERFILE.scan(SourceFile("Dockerfile", text))
    assert [(c.id, c.evidence[0].line) for c in result.components] == [
        ("image:alpine:3.19", 1),
        ("apk:alpine/curl", 2),
    ]
    assert [(p.line, p.message) for p in result.problems] == [
        (
            n + 4,
            "Dockerfile: heredoc `<<EOF` is never closed (no line `EOF` before the end of the "
            f"file): lines {n + 4}-{n + 5} not read",
        )
    ]
    assert [_continued(t) for t in seen] == [21, 21]


def test_dockerfile_heredoc_of_20000_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """BuildKit's parser appends each body line to a growing string: bodies are left out of
    the text it is handed and restored from the file."""
    n = 20_000
    text = (
        "FROM debian:12\nRUN <<EOF\nset -e\n"
        + "# a comment line \\\n" * n
        + "apt-get install -y curl\nEOF\nRUN apt-get install -y git\n"
    )
    seen = _parser_inputs(monkeypatch)
    result = DOCKERFILE.scan(SourceFile("Dockerfile", text))
    assert [(c.id, c.evidence[0].line) for c in result.components] == [
        ("image:debian:12", 1),
        ("deb:debian/curl", n + 4),
        ("deb:debian/git", n + 6),
    ]
    assert result.problems == ()
    assert seen == ["FROM debian:12\nRUN <<EOF\nEOF\nRUN apt-get install -y git\n"]


def test_dockerfile_unterminated_heredoc_corpus_problem() -> None:
    text = (CORPUS / "dockerfile-heredoc" / "Dockerfile").read_text()
    result = DOCKERFILE.scan(SourceFile("Dockerfile", text))
    assert [(c.id, c.evidence[0].line) for c in result.components] == [
        ("image:alpine:3.18", 1),
        ("apk:alpine/curl", 2),
    ]
    assert result.problems == (
        Problem(
            "Dockerfile",
            3,
            "parse-error",
            "Dockerfile: heredoc `<<EOF` is never closed (no line `EOF` before the end of the "
            "file): lines 3-5 not read",
            "dockerfile",
        ),
    )


# Templates put a long hostile string {X} where each parser reads names, versions, URLs
# and licenses; {J} is the same string as a JSON/TOML/Python string literal. Shell command
# positions get a short benign command: the shell interpreter has its own budgets (tested in
# test_shell.py) and is slow per character by design.
TEMPLATES: dict[str, str] = {
    CI: "version: 2.1\norbs:\n  o: {J}\njobs:\n  b:\n    docker:\n      - image: {J}\n"
    "    steps:\n      - run: pip install x\nworkflows:\n  w:\n    jobs: [b]\n",
    GA: "on: push\njobs:\n  b:\n    runs-on: ubuntu-22.04\n    container: {J}\n"
    "    steps:\n      - uses: {J}\n      - run: make\n",
    GL: "b:\n  image: {J}\n  services: [{J}]\n  extends: {J}\n  script:\n    - make\n",
    "Dockerfile": "ARG V={X}\nFROM {X} AS s\nCOPY --from={X} /a /b\n",
    "requirements.txt": "{X}\n-r {X}\n",
    "pyproject.toml": '[project]\nname = "x"\ndependencies = [{J}]\n'
    "[project.optional-dependencies]\nt = [{J}]\n[build-system]\nrequires = [{J}]\n",
    "setup.py": "from setuptools import setup\n"
    "setup(name={J}, license={J}, install_requires=[{J}])\n",
    "setup.cfg": "[metadata]\nlicense = {X}\n[options]\ninstall_requires =\n    {X}\n",
    "Pipfile": "[packages]\nrequests = {J}\n[dev-packages]\nx = {{version = {J}}}\n",
    "CMakeLists.txt": "set(V {X})\nExternalProject_Add(x URL {X} URL_HASH SHA256=ab)\n"
    "FetchContent_Declare(y GIT_REPOSITORY {X} GIT_TAG v1)\n",
    ".gitmodules": '[submodule "x"]\n\tpath = {X}\n\turl = {X}\n',
    "go.mod": "module {X}\nrequire {X} v1.0.0\nreplace {X} => {X} v1.0.0\n",
    "package.json": '{{"name": {J}, "license": {J}, "dependencies": {{"a": {J}, {J}: "1.0.0"}}}}',
    "src/x.c": '// SPDX-License-Identifier: {X}\n/* {X} */\nMODULE_LICENSE("{X}");\n'
    'char _license[] SEC("license") = "{X}";\n',
    "LICENSE": "{X}\n",
}
N = 100_000
HOSTILE: dict[str, str] = {
    "letters": "a" * N,
    "words": "a " * (N // 2),
    "spaces-then-x": " " * N + "x",
    "dollar-brace": "${" * (N // 2),
    "backslashes": "\\" * N,
    "quotes": "'" * N,
    "dashes": "-" * N,
    "ats": "@" * N,
    "parens": "(" * N,
    "version-dots": "1." * (N // 2),
    "url": "https://" + "a/" * (N // 2),
    "or-chain": "MIT OR " * (N // 7),
    "slashes": "/" * N,
}
# Known bugs, reported to the owners: (template path, pattern) -> reason.
KNOWN: dict[tuple[str, str], str] = {}


def _fill(template: str, hostile: str) -> str:
    literal = json.dumps(hostile)
    return template.format(X=hostile, J=literal)


def _check_result(result: ScanResult, source: SourceFile) -> None:
    """What every scanner result must satisfy, whatever the input."""
    last = max(len(source.lines), 1)
    for p in result.problems:
        assert p.path == source.path
        assert p.kind in KINDS
        assert 0 <= p.line <= last
    evidence: list[Evidence] = [e for c in result.components for e in c.evidence]
    evidence += [e for n in result.nodes for e in n.evidence]
    evidence += [e.evidence for e in result.edges if e.evidence is not None]
    evidence += [n.evidence for n in result.notices]
    for e in evidence:
        assert e.path == source.path
        assert 0 <= e.line <= last
        assert len(e.text) <= 300


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        pytest.param(path, pattern, marks=pytest.mark.xfail(strict=True, reason=KNOWN[key]))
        if (key := (path, pattern)) in KNOWN
        else (path, pattern)
        for path in sorted(TEMPLATES)
        for pattern in HOSTILE
    ],
)
def test_long_hostile_lines_are_parsed_in_linear_time(path: str, pattern: str) -> None:
    """100 KB of a hostile pattern in every field a parser reads: a parser that is quadratic
    on such a line (or a regular expression that backtracks) takes minutes here."""
    scanners = [s for s in all_scanners() if s.matches(path)]
    assert scanners
    source = SourceFile(path, _fill(TEMPLATES[path], HOSTILE[pattern]))
    for scanner in scanners:
        _check_result(scanner.scan(source), source)


def test_problems_per_file_are_capped(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module x\nrequire (\n" + "bad\n" * 1000 + ")\n")
    out = scan(discover(tmp_path, use_git=False), settings=ScanSettings())
    problems = out.result.problems
    assert len(problems) == MAX_PROBLEMS_PER_FILE + 1
    assert [p.line for p in problems[:3]] == [3, 4, 5]
    assert problems[-1] == Problem(
        "go.mod", 103, "skipped", "900 more problems in this file are not listed (limit 100)"
    )


def test_lone_surrogates_from_escapes_never_reach_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """JSON and Python escapes can spell lone surrogates, which no UTF-8 output can hold."""
    (tmp_path / "package.json").write_text(
        '{"name": "x\\ud800", "dependencies": {"re\\ud83dact": "18.2.0"}}'
    )
    out_file = tmp_path / "inventory.json"
    assert main(["inventory", str(tmp_path), "--no-cache", "-o", str(out_file)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    doc = json.loads(out_file.read_text(encoding="utf-8"))
    assert [c["id"] for c in doc["components"]] == ["npm:re\ufffdact@18.2.0"]


# Property tests -------------------------------------------------------------------------

SCANNER_PATHS = {
    "circleci": CI,
    "github-actions": GA,
    "gitlab": GL,
    "dockerfile": "Dockerfile",
    "requirements": "requirements.txt",
    "pyproject": "pyproject.toml",
    "setup.py": "setup.py",
    "setup.cfg": "setup.cfg",
    "pipfile": "Pipfile",
    "cmake": "CMakeLists.txt",
    "gitmodules": ".gitmodules",
    "go.mod": "go.mod",
    "npm": "package.json",
    "notices": "src/x.c",
    "uapi-includes": "src/x.c",
    "python-lock": "poetry.lock",
    "npm-lock": "package-lock.json",
}

# Pieces of each format, shuffled together: enough structure to get past the first parse.
TOKENS: dict[str, list[str]] = {
    "yaml": [
        "version: 2.1\n",
        "jobs:\n",
        "  b:\n",
        "    docker:\n",
        "      - image: a:1\n",
        "    steps:\n",
        "      - run: pip install x==1\n",
        "workflows:\n",
        "on: push\n",
        "    runs-on: x\n",
        "      - uses: a/b@v1\n",
        "script:\n",
        "  - apk add c\n",
        "image: d:2\n",
        "extends: .t\n",
        "&a ",
        "*a ",
        "<<: *a\n",
        "[",
        "]",
        "{",
        "}",
        ",",
        ": ",
        "- ",
        "  ",
        "\n",
        "'",
        '"',
        "|\n",
        ">-\n",
        "!reference [.t, script]\n",
        "~",
        "null",
        "${{ env.X }}",
        "<< parameters.p >>",
        "$X",
        "#",
        "\t",
        "---\n",
    ],
    "dockerfile": [
        "FROM a:1 AS s\n",
        "FROM s\n",
        "ARG A=$B\n",
        "ARG B=${A}\n",
        "ENV X=1\n",
        "RUN apt-get install -y c\n",
        "RUN <<EOF\n",
        "EOF\n",
        "COPY --from=s / /\n",
        "LABEL org.opencontainers.image.licenses=MIT\n",
        "\\\n",
        "$",
        "{",
        "}",
        '"',
        "'",
        " ",
        "&&",
        "|",
        ";",
        "\n",
        "# syntax=x\n",
        "ONBUILD ",
        "pip install x==1 ",
    ],
    "ini": [
        "[metadata]\n",
        "[options]\n",
        "install_requires =\n",
        "    x==1\n",
        "[packages]\n",
        'x = "*"\n',
        "[",
        "]",
        "=",
        " ",
        "\n",
        "-r ",
        "-c ",
        "--hash=sha256:a ",
        "x==1",
        "; python_version<'3'",
        "#",
        "\\\n",
        '"',
        "'",
        "{",
        "}",
        '[submodule "a"]\n',
        "url = https://github.com/a/b\n",
        "path = p\n",
        "file: r.txt\n",
        "[[package]]\n",
        'name = "x"\n',
        'version = "1.0"\n',
        'source = { editable = "." }\n',
    ],
    "code": [
        "setup(",
        ")",
        "install_requires=[",
        "]",
        "'x==1'",
        ",",
        "+",
        "dict(",
        "**",
        "\n",
        "cmake_minimum_required(VERSION 3.1)\n",
        "ExternalProject_Add(",
        "URL ",
        "https://github.com/a/b/archive/v1.tar.gz",
        "${V}",
        "set(V 1)\n",
        "[==[",
        "]==]",
        "module m\n",
        "require (\n",
        "a/b v1.0.0\n",
        "replace a => b v1\n",
        '{"name": "x"',
        '"dependencies": {',
        '"a": "1.0.0"',
        '"packages": {',
        '"node_modules/a": {"version": "1.0.0", "dev": true}',
        "}",
        "// SPDX-License-Identifier: MIT\n",
        'MODULE_LICENSE("GPL");\n',
        "/*",
        "*/",
        "#",
        " ",
        '"',
        "'",
    ],
}
FAMILY = {
    "circleci": "yaml", "github-actions": "yaml", "gitlab": "yaml", "dockerfile": "dockerfile",
    "requirements": "ini", "setup.cfg": "ini", "pipfile": "ini", "gitmodules": "ini",
    "pyproject": "ini", "setup.py": "code", "cmake": "code", "go.mod": "code", "npm": "code",
    "notices": "code", "uapi-includes": "code", "python-lock": "ini", "npm-lock": "code",
}  # fmt: skip


def _scanner(name: str) -> Scanner:
    return next(s for s in all_scanners() if s.name == name)


@pytest.mark.parametrize("name", sorted(SCANNER_PATHS))
def test_registry_covers_the_property_tests(name: str) -> None:
    assert _scanner(name).matches(SCANNER_PATHS[name])


def test_every_registered_scanner_is_property_tested() -> None:
    assert sorted(s.name for s in all_scanners()) == sorted(SCANNER_PATHS)


@pytest.mark.parametrize("name", sorted(SCANNER_PATHS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_scanners_never_raise(name: str, data: st.DataObject) -> None:
    pieces = st.lists(st.sampled_from(TOKENS[FAMILY[name]]), max_size=60).map("".join)
    text = data.draw(st.one_of(pieces, st.text(max_size=300)))
    source = SourceFile(SCANNER_PATHS[name], text)
    _check_result(_scanner(name).scan(source), source)


@pytest.mark.parametrize(
    ("path", "text", "line"),
    [
        (
            "Dockerfile",
            "FROM debian:12\nENV A0=xxxxxxxxxxxxxxxx\n"
            + "".join(f"ENV A{i}=${{A{i - 1}}}${{A{i - 1}}}\n" for i in range(1, 40))
            + "RUN pip install $A39\n",
            42,
        ),
        (
            "Dockerfile",
            "FROM debian:12\nARG A0=xxxxxxxxxxxxxxxx\n"
            + "".join(f"ARG A{i}=${{A{i - 1}}}${{A{i - 1}}}\n" for i in range(1, 40))
            + "FROM alpine:${A39}\n",
            42,
        ),
    ],
)
def test_doubling_variables_are_bounded(path: str, text: str, line: int) -> None:
    """Each line doubles a variable: past 64 KiB it counts as unknown, so memory stays
    bounded and the use of it is reported unresolved."""
    from audit.scanners.dockerfile import SCANNER as DOCKERFILE

    result = DOCKERFILE.scan(SourceFile(path, text))
    assert [c.id for c in result.components] == ["image:debian:12"]
    assert [(p.line, p.kind) for p in result.problems] == [(line, "unresolved")]


def test_doubling_shell_variable_is_bounded() -> None:
    from audit.shell import scan_script

    script = "A=xxxxxxxx\n" + "A=$A$A\n" * 40 + "pip install $A\n"
    result = scan_script(script, SourceFile("ci.yml", script), 1, "ci-job:x/y", "t")
    assert result.components == ()
    assert [(p.line, p.kind) for p in result.problems] == [(42, "unresolved")]
