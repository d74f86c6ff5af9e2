"""audit.shell: shell command lines to components, edges and problems."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.model import Edge, Evidence, Relation, ScanResult
from audit.scanners.base import SourceFile
from audit.shell import Expansion, expand_text, expand_word, scan_script

CONSUMER = "ci-job:circleci/tests-integration"


def scan(script: str, **kwargs: object) -> ScanResult:
    source = SourceFile("ci/run.sh", script)
    return scan_script(script, source, 1, CONSUMER, "test", **kwargs)  # type: ignore[arg-type]


def found(result: ScanResult) -> list[tuple[str, int]]:
    """(component id, evidence line) in output order."""
    return [(c.id, c.evidence[0].line) for c in result.components]


def problems(result: ScanResult) -> list[tuple[int, str]]:
    return [(p.line, p.kind) for p in result.problems]


# -- recognized commands ------------------------------------------------------------------

CASES = [
    pytest.param(
        "pip install --user avocado-framework==69.0 \\\n"
        "    avocado-framework-plugin-varianter-yaml-to-mux==69.0\n",
        {},
        [
            ("pypi:avocado-framework@69.0", 1),
            ("pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0", 2),
        ],
        id="pip-continuation",
    ),
    pytest.param(
        "python3 -m pip install --upgrade pip setuptools==68.0.0",
        {},
        [("pypi:pip", 1), ("pypi:setuptools@68.0.0", 1)],
        id="python-m-pip",
    ),
    pytest.param(
        "pip3 install -e . ./tools dist/x-1.0-py3-none-any.whl .[test] file:///src Flask_Cors",
        {},
        [("pypi:flask-cors", 1)],
        id="pip-local-paths-skipped",
    ),
    pytest.param(
        "pip install 'git+https://github.com/falcosecurity/event-generator.git@v0.10.0#egg=evgen'"
        " https://files.example.org/pkgs/thing-1.0.tar.gz",
        {},
        [
            ("git:github.com/falcosecurity/event-generator@v0.10.0", 1),
            ("download:files.example.org/pkgs/thing-1.0.tar.gz", 1),
        ],
        id="pip-vcs-and-url",
    ),
    pytest.param(
        "sudo -E env DEBIAN_FRONTEND=noninteractive apt-get install -y \\\n"
        "  --no-install-recommends curl=7.68.0-1ubuntu2 libelf-dev/bullseye ./local.deb gcc\n",
        {"os_hint": "ubuntu"},
        [
            ("deb:ubuntu/curl@7.68.0-1ubuntu2", 2),
            ("deb:ubuntu/libelf-dev", 2),
            ("deb:ubuntu/gcc", 2),
        ],
        id="apt-pins",
    ),
    pytest.param(
        "apt-get -qq update && apt-get -o Dpkg::Options::=--force-confnew -y install jq",
        {"os_hint": "debian"},
        [("deb:debian/jq", 1)],
        id="apt-options-before-install",
    ),
    pytest.param(
        "dnf install -y python-pip jq-1.6 @development-tools local.rpm"
        " https://dl.fedoraproject.org/pub/epel/epel-release-latest-8.noarch.rpm"
        " && dnf clean all",
        {"os_hint": "fedora"},
        [
            ("rpm:fedora/python-pip", 1),
            ("rpm:fedora/jq-1.6", 1),
            ("download:dl.fedoraproject.org/pub/epel/epel-release-latest-8.noarch.rpm", 1),
        ],
        id="dnf-no-dash-pin",
    ),
    pytest.param(
        "microdnf --setopt=tsflags=nodocs install -y findutils; yum -y install unzip",
        {"os_hint": "rhel"},
        [("rpm:rhel/findutils", 1), ("rpm:rhel/unzip", 1)],
        id="microdnf-yum",
    ),
    pytest.param(
        "apk add --no-cache --virtual .build-deps musl-dev=1.2.4-r2 py3-pip~23 bash@edge",
        {"os_hint": "alpine"},
        [("apk:alpine/musl-dev@1.2.4-r2", 1), ("apk:alpine/py3-pip", 1), ("apk:alpine/bash", 1)],
        id="apk",
    ),
    pytest.param(
        "npm install -g @vue/cli@5.0.8 typescript@^5 && yarn global add serve@14.2.1",
        {},
        [("npm:@vue/cli@5.0.8", 1), ("npm:typescript", 1), ("npm:serve@14.2.1", 1)],
        id="npm-yarn-global",
    ),
    pytest.param(
        "go install golang.org/x/tools/cmd/goimports@v0.14.0\n"
        "go install -ldflags '-s -w' github.com/falcosecurity/falcoctl/v2/cmd@latest\n"
        "go install ./cmd/...",
        {},
        [
            ("golang:golang.org/x/tools@v0.14.0", 1),
            ("golang:github.com/falcosecurity/falcoctl/v2", 2),
        ],
        id="go-install",
    ),
    pytest.param(
        "gem install bundler -v 2.4.1 && gem install --no-document fpm:1.15.1\n"
        "cargo install ripgrep --version 13.0.0 && cargo install --locked bpf-linker@0.9.5",
        {},
        [
            ("gem:bundler@2.4.1", 1),
            ("gem:fpm@1.15.1", 1),
            ("cargo:ripgrep@13.0.0", 2),
            ("cargo:bpf-linker@0.9.5", 2),
        ],
        id="gem-cargo",
    ),
    pytest.param(
        "curl -fsSL -o /tmp/f.tgz \\\n"
        "  https://github.com/falcosecurity/falco/releases/download/0.35.0/falco-0.35.0.tar.gz\n"
        "wget -q https://download.falco.org/packages/bin/x86_64/falco-0.36.0-x86_64.tar.gz\n"
        "curl -X POST -d @body.json https://api.example.com/hook\n"
        "curl -s http://localhost:8765/healthz; curl http://falco:8765/x",
        {},
        [
            ("download:github.com/falcosecurity/falco@0.35.0", 2),
            ("download:download.falco.org/packages/bin/x86_64/falco-0.36.0-x86_64.tar.gz", 3),
        ],
        id="curl-wget",
    ),
    pytest.param(
        "git clone -b 0.13.0 --depth 1 https://github.com/falcosecurity/libs.git /src/libs\n"
        "git -C /src clone --branch=main git@github.com:falcosecurity/plugins.git",
        {},
        [
            ("git:github.com/falcosecurity/libs@0.13.0", 1),
            ("git:github.com/falcosecurity/plugins@main", 2),
        ],
        id="git-clone",
    ),
    pytest.param(
        'case "$ARCH" in x86_64) pip install casepkg==1;; esac\n'
        "if [[ -f setup.py ]]; then pip install ifpkg==2; fi\n"
        "n=$((1 + 2)); arr=(a b); time pip install timepkg==3",
        {},
        [("pypi:casepkg@1", 1), ("pypi:ifpkg@2", 2), ("pypi:timepkg@3", 3)],
        id="constructs-bashlex-cannot-parse",
    ),
    pytest.param(
        "cat <<EOF > /etc/pip.conf\npip install not-a-command\nEOF\npip install real==1",
        {},
        [("pypi:real@1", 4)],
        id="heredoc-body-is-not-commands",
    ),
    pytest.param(
        'bash -ec "pip install inner==1"\nsh -c "$(curl -fsSL https://get.docker.com/install.sh)"',
        {},
        [("pypi:inner@1", 1), ("download:get.docker.com/install.sh", 2)],
        id="nested-shell-and-substitution",
    ),
]


@pytest.mark.parametrize(("script", "kwargs", "expected"), CASES)
def test_components(script: str, kwargs: dict[str, str], expected: list[tuple[str, int]]) -> None:
    result = scan(script, **kwargs)
    assert found(result) == expected
    assert result.problems == ()
    installs = [(e.dst, e.evidence.line if e.evidence else 0) for e in result.edges]
    assert installs == expected
    assert all(e.src == CONSUMER and e.relation == Relation.INSTALLS for e in result.edges)


def test_evidence_is_the_file_line() -> None:
    script = "set -ex\npip install \\\n  watchdog==0.10.2"
    result = scan(script)
    assert result.components[0].evidence == (Evidence("ci/run.sh", 3, "watchdog==0.10.2", "test"),)
    assert result.edges[0] == Edge(
        CONSUMER,
        "pypi:watchdog@0.10.2",
        Relation.INSTALLS,
        Evidence("ci/run.sh", 3, "watchdog==0.10.2", "test"),
    )


def test_line_map_gives_file_lines() -> None:
    text = "jobs:\n  run: |\n    echo hi\n    pip install a==1\n"
    source = SourceFile(".circleci/config.yml", text)
    result = scan_script(
        "echo hi\npip install a==1\n", source, 99, "ci-job:circleci/x", "circleci",
        line_map=[3, 4],
    )  # fmt: skip
    assert found(result) == [("pypi:a@1", 4)]
    assert result.components[0].evidence[0].text == "pip install a==1"


def test_first_line_offsets_lines() -> None:
    text = "a\nb\nRUN pip install x==1 &&\\\n  pip install y==2\n"
    source = SourceFile("Dockerfile", text)
    result = scan_script(
        "pip install x==1 &&\\\n  pip install y==2", source, 3, "dockerfile:Dockerfile", "d"
    )
    assert found(result) == [("pypi:x@1", 3), ("pypi:y@2", 4)]


def test_pip_properties() -> None:
    result = scan("pip install \"requests[socks,security]>=2,<3; python_version>'3.7'\"")
    (comp,) = result.components
    assert comp.id == "pypi:requests"
    assert comp.version is None
    assert comp.properties == (
        ("constraint", "<3,>=2"),
        ("extras", "security,socks"),
        ("marker", 'python_version > "3.7"'),
    )


def test_pip_requirement_files_are_includes() -> None:
    result = scan("pip install -r ./test/requirements.txt --constraint=constraints.txt pytest")
    assert result.edges == (
        Edge(
            CONSUMER, "manifest:test/requirements.txt", Relation.INCLUDES,
            Evidence("ci/run.sh", 1, result.edges[0].evidence.text, "test"), "pip -r",
        ),
        Edge(
            CONSUMER, "manifest:constraints.txt", Relation.INCLUDES,
            Evidence("ci/run.sh", 1, result.edges[0].evidence.text, "test"), "pip --constraint",
        ),
        Edge(
            CONSUMER, "pypi:pytest", Relation.INSTALLS,
            Evidence("ci/run.sh", 1, result.edges[0].evidence.text, "test"),
        ),
    )  # fmt: skip


def test_pip_vcs_properties() -> None:
    result = scan("pip install git+https://github.com/a/b.git@v1#egg=bee")
    (comp,) = result.components
    assert comp.id == "git:github.com/a/b@v1"
    assert comp.prop("package") == "bee"
    assert comp.prop("url") == "https://github.com/a/b.git"


def test_npm_properties() -> None:
    result = scan("npm install --global typescript@^5 owner/tool#v2")
    assert found(result) == [("npm:typescript", 1), ("git:github.com/owner/tool@v2", 1)]
    assert result.components[0].properties == (("constraint", "^5"), ("scope", "global"))


def test_go_module_property() -> None:
    result = scan("go install github.com/a/b/cmd/c@main")
    (comp,) = result.components
    assert comp.id == "golang:github.com/a/b"
    assert comp.properties == (("constraint", "main"), ("package", "github.com/a/b/cmd/c"))


# -- docker -------------------------------------------------------------------------------


def test_docker_run_pull_build() -> None:
    script = (
        "docker pull quay.io/centos/centos:stream9\n"
        "docker run -v /boot:/host/boot:ro -e FALCO=1 --name tester --rm -it \\\n"
        "  -p 8765:8765 --network=host -w /src --entrypoint /bin/sh -u 0 \\\n"
        "  falcosecurity/falco-tester:latest -c 'make test'\n"
        "docker build -t falcosecurity/falco-tester -f docker/tester/Dockerfile docker/tester\n"
        "docker buildx build --platform linux/amd64 --tag=ghcr.io/o/x:1 --push ./ctx/\n"
        "docker build -t from-stdin:1 -f - .\n"
    )
    result = scan(script)
    assert found(result) == [
        ("image:quay.io/centos/centos:stream9", 1),
        ("image:falcosecurity/falco-tester:latest", 4),
        ("image:falcosecurity/falco-tester:latest", 5),
        ("image:ghcr.io/o/x:1", 6),
        ("image:from-stdin:1", 7),
    ]
    assert [c.prop("built-by") for c in result.components] == [
        None, None, "docker build", "docker build", "docker build",
    ]  # fmt: skip
    edges = [(e.src, e.dst, e.relation, e.evidence.line, e.how) for e in result.edges]
    assert edges == [
        (CONSUMER, "image:quay.io/centos/centos:stream9", Relation.RUNS_IN, 1, ""),
        (CONSUMER, "image:falcosecurity/falco-tester:latest", Relation.RUNS_IN, 4, ""),
        (
            "image:falcosecurity/falco-tester:latest",
            "dockerfile:docker/tester/Dockerfile",
            Relation.BUILT_FROM,
            5,
            "docker build -t",
        ),
        ("image:ghcr.io/o/x:1", "dockerfile:ctx/Dockerfile", Relation.BUILT_FROM, 6,
         "docker build -t"),
    ]  # fmt: skip


# -- variables ----------------------------------------------------------------------------


def test_env_and_defaults_are_substituted() -> None:
    script = (
        'pip install "avocado-framework==${AVOCADO:-69.0}" watchdog==$WATCHDOG\n'
        "V=1.2.3; export W=4.5.6\n"
        "pip install a==$V b==${W}\n"
        "DEBIAN_FRONTEND=noninteractive apt-get install -y jq=${JQ_VERSION}"
    )
    result = scan(script, env={"WATCHDOG": "0.10.2", "JQ_VERSION": "1.6-2.1"}, os_hint="debian")
    assert found(result) == [
        ("pypi:avocado-framework@69.0", 1),
        ("pypi:watchdog@0.10.2", 1),
        ("pypi:a@1.2.3", 3),
        ("pypi:b@4.5.6", 3),
        ("deb:debian/jq@1.6-2.1", 4),
    ]


def test_unresolved_variables_are_reported_not_guessed() -> None:
    script = (
        "pip install falco==$FALCO_VERSION six\n"
        'docker run --rm "${IMAGE}" true\n'
        "git clone -b $REF https://github.com/a/b\n"
        "pip install $(cat pins.txt)\n"
        "for p in a b; do pip install $p; done\n"
        "$PIP install x"
    )
    result = scan(script)
    assert found(result) == [("pypi:six", 1)]
    assert problems(result) == [(line, "unresolved") for line in range(1, 7)]
    first = result.problems[0].message
    assert "$FALCO_VERSION" in first and "pip install falco==$FALCO_VERSION six" in first
    assert "$(cat pins.txt)" in result.problems[3].message
    assert result.problems[0].path == "ci/run.sh" and result.problems[0].scanner == "test"


def test_env_value_holding_dollar_is_unresolved() -> None:
    result = scan("pip install x==$V", env={"V": "$OTHER"})
    assert found(result) == []
    assert problems(result) == [(1, "unresolved")]


EXPANSIONS = [
    ("plain", {}, Expansion(("plain",))),
    ("'$X'", {"X": "1"}, Expansion(("$X",))),
    ('"$X"', {"X": "a b"}, Expansion(("a b",))),
    ("$X", {"X": "a b"}, Expansion(("a", "b"))),
    ("${X}-y", {"X": "1"}, Expansion(("1-y",))),
    ("${X:-d}", {}, Expansion(("d",))),
    ("${X:-d}", {"X": ""}, Expansion(("d",))),
    ("${X-d}", {"X": ""}, Expansion(())),
    ("${X:-$Y}", {"Y": "z"}, Expansion(("z",))),
    ("${X:+alt}", {"X": "1"}, Expansion(("alt",))),
    ("a\\ b", {}, Expansion(("a b",))),
    ('""', {}, Expansion(("",))),
    ("$X", {}, Expansion(("$X",), ("X",))),
    ("${X#pre}", {"X": "prefix"}, Expansion(("${X#pre}",), ("${X#pre}",))),
    ("v$(date)", {}, Expansion(("v$(date)",), ("$(date)",))),
    ("`uname -r`", {}, Expansion(("`uname -r`",), ("`uname -r`",))),
    ("$1", {}, Expansion(("$1",), ("1",))),
    ("cost$", {}, Expansion(("cost$",))),
]


@pytest.mark.parametrize(("raw", "env", "expected"), EXPANSIONS)
def test_expand_word(raw: str, env: dict[str, str], expected: Expansion) -> None:
    assert expand_word(raw, env) == expected


def test_expand_text_keeps_spaces() -> None:
    assert expand_text('"/root/.local/bin:${P}"', {"P": "/usr/bin"}) == (
        "/root/.local/bin:/usr/bin",
        (),
    )
    assert expand_text("a b $X", {"X": "c  d"}) == ("a b c  d", ())


# -- bad and large input ------------------------------------------------------------------


def test_unterminated_quote_is_a_parse_error() -> None:
    result = scan('pip install ok==1\necho "never closed\npip install lost==2\n')
    assert found(result) == [("pypi:ok@1", 1)]
    assert problems(result) == [(2, "parse-error")]


def test_script_over_limit_is_skipped() -> None:
    result = scan("x" * 1_000_001)
    assert found(result) == []
    assert problems(result) == [(1, "skipped")]


def test_long_line_is_read() -> None:
    script = "echo " + "a" * 150_000 + "\npip install " + " ".join(f"p{i}" for i in range(3000))
    result = scan(script)
    assert len(result.components) == 3000
    assert result.components[-1].id == "pypi:p2999"
    assert result.components[-1].evidence[0].line == 2


def test_deep_nesting_does_not_crash() -> None:
    script = "echo " + "$(echo " * 400 + ")" * 400 + "\npip install after==1"
    result = scan(script)
    assert ("pypi:after@1", 2) in found(result)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="pip install -r=$'\"`\\(){}<>|&;#\n abx.12@:/", max_size=120))
def test_never_raises(script: str) -> None:
    result = scan(script)
    assert isinstance(result, ScanResult)


def test_scope_changes_stay_in_the_script() -> None:
    from audit.shell.scope import Scope

    base: dict[str, object] = {"A": "1", "B": "2", "N": 3}
    scope = Scope(base)
    assert (dict(scope), "N" in scope, scope.get("N")) == ({"A": "1", "B": "2"}, False, None)
    scope["C"] = "3"
    scope["A"] = "x"
    scope.pop("B")
    assert scope.pop("B", None) is None
    with pytest.raises(KeyError):
        del scope["missing"]
    assert dict(scope) == {"C": "3", "A": "x"}
    assert len(scope) == 2
    scope["B"] = "again"
    assert scope["B"] == "again"
    assert base == {"A": "1", "B": "2", "N": 3}  # the caller's values never change


def test_script_unsets_do_not_leak_into_the_caller_env() -> None:
    env = {"V": "1.0"}
    script = "unset V\npip install a==$V\n"
    result = scan_script(script, SourceFile("ci.yml", script), 1, "ci-job:x/y", "t", env=env)
    assert [(p.line, p.kind) for p in result.problems] == [(2, "unresolved")]
    assert env == {"V": "1.0"}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab $'\"\\`{}()-:=\n\t", max_size=16))
def test_plain_words_expand_to_themselves(raw: str) -> None:
    exp = expand_word(raw, {"a": "1"}, split=False)
    assert expand_text(raw, {"a": "1"}) == ("".join(exp.fields), exp.missing)


def test_words_of_commands_that_fetch_nothing_are_not_expanded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only the first word of ``echo``, ``mkdir``, ``cp``... is expanded (they are most of a
    script and nothing in their words is read); wrappers, ``cd``, ``make``, shells, scripts
    and fetching commands are read whole, and an unresolved first word is too (it may be
    anything: its verbs are looked at). Each word is expanded once."""
    from audit.shell import interpreter

    expanded: list[str] = []
    real = interpreter.expand_word

    def counting(raw: str, env: object, **kw: object) -> object:
        expanded.append(raw)
        return real(raw, env, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(interpreter, "expand_word", counting)
    script = (
        'V=1.2\necho "building $V" now\nmkdir -p "out/$V"\n'
        "sudo curl -fsSLo x.tgz https://example.org/x-$V.tgz\n$TOOL install thing\n"
    )
    result = scan(script)
    assert found(result) == [("download:example.org/x-1.2.tgz", 4)]
    assert expanded == [
        "echo",
        "mkdir",
        "sudo",
        "curl",
        "-fsSLo",
        "x.tgz",
        "https://example.org/x-$V.tgz",
        "$TOOL",
        "install",
        "thing",
    ]
