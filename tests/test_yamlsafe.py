"""Tests for audit.yamlsafe: lines, merge keys, aliases, limits, errors, no tag execution."""

from __future__ import annotations

import string

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.model import Problem
from audit.yamlsafe import Limits, Marked, MarkedMap, load, load_all, scalar_text, to_plain

PATH = ".circleci/config.yml"


def _load(text: str, limits: Limits | None = None) -> tuple[Marked | None, tuple[Problem, ...]]:
    if limits is None:
        return load(text, PATH, "test")
    return load(text, PATH, "test", limits)


def _problem(line: int, message: str, kind: str = "parse-error") -> Problem:
    return Problem(PATH, line, kind, message, "test")


# Lines -----------------------------------------------------------------------------------

LINES_DOC = """\
version: 2.1
jobs:
  build:
    docker:
      - image: falcosecurity/falco-builder:latest
        environment:
          BUILD_TYPE: "release"
    steps:
      - run:
          command: |
            mkdir build
            cmake ..
      - run: >
          make all
      - run: make test
"""


@pytest.mark.parametrize(
    ("keys", "key_line", "value_line", "content_line"),
    [
        (("version",), 1, 1, 1),
        (("jobs", "build"), 3, 4, 4),
        (("jobs", "build", "docker", 0, "image"), 5, 5, 5),
        (("jobs", "build", "docker", 0, "environment", "BUILD_TYPE"), 7, 7, 7),
        (("jobs", "build", "steps", 0, "run", "command"), 10, 10, 11),
        (("jobs", "build", "steps", 1, "run"), 13, 13, 14),
        (("jobs", "build", "steps", 2, "run"), 15, 15, 15),
    ],
)
def test_lines_of_keys_and_values(
    keys: tuple[str | int, ...], key_line: int, value_line: int, content_line: int
) -> None:
    doc, problems = _load(LINES_DOC)
    assert problems == ()
    node = doc
    parent = None
    for key in keys:
        assert node is not None
        parent = node
        node = node.value[key] if isinstance(key, int) else node.get(key)
    assert node is not None and parent is not None
    last = keys[-1]
    if isinstance(last, str):
        marked_key = parent.value.key(last)
        assert marked_key is not None and marked_key.line == key_line
    assert node.line == value_line
    assert node.content_line == content_line


def test_block_scalar_lines_follow_script_lines() -> None:
    doc, _ = _load(LINES_DOC)
    assert doc is not None
    command = doc.get("jobs").get("build").get("steps").value[0].get("run").get("command")
    assert command.value == "mkdir build\ncmake ..\n"
    assert command.style == "|"
    # script line i is file line content_line + i
    assert command.content_line + 1 == 12
    assert LINES_DOC.splitlines()[12 - 1].strip() == "cmake .."


# Plain values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: [x, 'y', 2.5]\n", {"a": 1, "b": ["x", "y", 2.5]}),
        ("on: push\nn: ~\nt: yes\n", {True: "push", "n": None, "t": True}),
        ("d: 2023-07-01\nbin: !!binary aGk=\n", {"d": "2023-07-01", "bin": "aGk="}),
        ("i: 0x1F\no: 017\ns: !!str 12\n", {"i": 31, "o": 15, "s": "12"}),
        ("- a\n- {b: c}\n", ["a", {"b": "c"}]),
        ("plain", "plain"),
        ("", None),
    ],
)
def test_to_plain(text: str, expected: object) -> None:
    doc, problems = _load(text)
    assert problems == ()
    assert to_plain(doc) == expected


_keys = st.text(alphabet=string.ascii_letters + "-_", min_size=1, max_size=8)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.text(alphabet=string.ascii_letters + string.digits + " :-#'\"\n", max_size=20),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(_values)
def test_to_plain_matches_pyyaml_safe_load(value: object) -> None:
    text = yaml.safe_dump(value, default_flow_style=False)
    doc, problems = _load(text)
    assert problems == ()
    assert to_plain(doc) == yaml.safe_load(text)


def test_falls_back_to_the_pure_python_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    doc, problems = _load("a:\n  - &x {b: 1}\n  - *x\n")
    assert problems == ()
    assert to_plain(doc) == {"a": [{"b": 1}, {"b": 1}]}
    assert doc is not None and doc.get("a").value[1].line == 2


def test_marked_map_api() -> None:
    doc, _ = _load("x: 1\ny: two\n")
    assert doc is not None and isinstance(doc.value, MarkedMap)
    mapping = doc.value
    assert mapping.keys() == ("x", "y")
    assert list(mapping) == ["x", "y"]
    assert len(mapping) == 2
    assert "y" in mapping and "z" not in mapping and ["unhashable"] not in mapping
    assert mapping.get("z") is None and mapping.key("z") is None
    assert doc.get("y").text() == "two"
    assert doc.get("x").text() == "1"
    assert doc.is_map and not doc.is_seq and not doc.is_scalar
    assert doc.get("x").get("anything") is None


@pytest.mark.parametrize(
    ("value", "text"), [(None, ""), (True, "true"), (False, "false"), (3, "3"), ("s", "s")]
)
def test_scalar_text(value: object, text: str) -> None:
    assert scalar_text(value) == text


# Anchors, aliases, merge keys ------------------------------------------------------------

MERGE_DOC = """\
defaults: &defaults
  working_directory: /tmp/falco
  resource_class: large
other: &other
  resource_class: small
  shell: /bin/sh
jobs:
  build:
    <<: *defaults
    resource_class: xlarge
  test:
    <<: [*defaults, *other]
  lint:
    <<: [*other, *defaults]
"""


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        ("build", {"working_directory": "/tmp/falco", "resource_class": "xlarge"}),
        (
            "test",
            {"resource_class": "large", "shell": "/bin/sh", "working_directory": "/tmp/falco"},
        ),
        (
            "lint",
            {"working_directory": "/tmp/falco", "resource_class": "small", "shell": "/bin/sh"},
        ),
    ],
)
def test_merge_keys(job: str, expected: dict[str, str]) -> None:
    doc, problems = _load(MERGE_DOC)
    assert problems == ()
    assert doc is not None
    got = to_plain(doc.get("jobs").get(job))
    assert got == expected
    assert list(got) == list(expected)  # depaudit's own order: the YAML 1.1 merge rules


@pytest.mark.parametrize(
    ("job", "key", "key_line", "value_line"),
    [
        ("build", "working_directory", 2, 2),  # merged: where the anchor defines it
        ("build", "resource_class", 10, 10),  # explicit override: the job's own line
        ("test", "resource_class", 3, 3),  # first mapping of the merge list wins
        ("test", "shell", 6, 6),
    ],
)
def test_merge_key_lines(job: str, key: str, key_line: int, value_line: int) -> None:
    doc, _ = _load(MERGE_DOC)
    assert doc is not None
    body = doc.get("jobs").get(job)
    assert body.value.key(key).line == key_line
    assert body.get(key).line == value_line


def test_aliases_share_the_anchored_tree() -> None:
    doc, problems = _load("a: &img {image: 'x:1'}\nb: *img\n")
    assert problems == ()
    assert doc is not None
    assert doc.get("b") is doc.get("a")
    assert doc.get("b").get("image").line == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: <<\n<<: 3\n", _problem(2, "a merge key (<<) needs a mapping or a list of mappings")),
        (
            "a: &a [1]\nb:\n  <<: [*a]\n",
            _problem(1, "a merge key (<<) list item must be a mapping"),
        ),
        ("'<<': 3\n", None),  # a quoted << is an ordinary key
    ],
)
def test_bad_merge_values(text: str, problem: Problem | None) -> None:
    doc, problems = _load(text)
    assert doc is not None
    assert problems == ((problem,) if problem else ())


def test_duplicate_keys_last_wins() -> None:
    doc, problems = _load("image: a:1\nname: x\nimage: b:2\n")
    assert problems == (_problem(3, "duplicate key 'image' (first at line 1); the last one wins"),)
    assert doc is not None
    assert doc.get("image").value == "b:2"
    assert doc.value.key("image").line == 3
    assert doc.value.keys() == ("image", "name")


# Limits ----------------------------------------------------------------------------------


def _bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_bounded() -> None:
    doc, problems = _load(_bomb(9))
    assert doc is None
    assert problems == (
        _problem(6, "document expands to more than 250000 nodes (alias expansion bomb?); not read"),
    )


def test_node_limit_is_configurable() -> None:
    doc, problems = _load(_bomb(1), Limits(max_nodes=50))
    assert doc is None
    assert problems == (
        _problem(2, "document expands to more than 50 nodes (alias expansion bomb?); not read"),
    )
    doc, problems = _load(_bomb(1), Limits(max_nodes=200))
    assert problems == ()
    assert doc is not None and len(to_plain(doc)["a1"]) == 10


def test_merge_bomb_is_bounded() -> None:
    text = "a: &a {k0: 1, k1: 1, k2: 1, k3: 1, k4: 1, k5: 1, k6: 1, k7: 1}\n"
    for i in range(1, 12):
        text += f"b{i}: &b{i}\n  <<: [{', '.join(['*a' if i == 1 else f'*b{i - 1}'] * 8)}]\n"
    doc, problems = _load(text, Limits(max_nodes=10_000))
    assert doc is None
    # every alias counts what it expands to: b3's merge list (line 7) passes 10,000
    assert problems == (
        _problem(7, "document expands to more than 10000 nodes (alias expansion bomb?); not read"),
    )


@pytest.mark.parametrize("depth", [101, 100_000])
def test_depth_is_bounded(depth: int) -> None:
    doc, problems = _load("[" * depth + "]" * depth)
    assert doc is None
    assert problems == (_problem(1, "nesting deeper than 100 levels; not read"),)


def test_depth_within_limit() -> None:
    doc, problems = _load("[" * 100 + "]" * 100)
    assert problems == ()
    assert doc is not None
    doc, problems = _load("a:\n  b:\n    c: 1\n", Limits(max_depth=2))
    assert problems == (_problem(3, "nesting deeper than 2 levels; not read"),)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: &r [1, *r]\n", _problem(1, "recursive alias *r refers to its own enclosing node")),
        ("a: 1\nb: *nope\n", _problem(2, "found undefined alias *nope")),
    ],
)
def test_bad_aliases(text: str, problem: Problem) -> None:
    assert _load(text) == (None, (problem,))


def test_anchors_do_not_cross_documents() -> None:
    docs, problems = load_all("a: &x 1\n---\nb: *x\n", PATH, "test")
    assert [to_plain(d) for d in docs] == [{"a": 1}]
    assert problems == (_problem(3, "found undefined alias *x"),)


# Errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "a: 1\nb: [1, 2\nc: 3\n",
            3,
            "malformed YAML: while parsing a flow sequence, did not find expected ',' or ']'",
        ),
        (
            "a:\n  b: 1\n c: 2\n",
            3,
            "malformed YAML: while parsing a block mapping, did not find expected key",
        ),
        # At the end of the stream PyYAML's mark is on the line after the last one; the
        # problem is put where the construct left open starts, else on the last line.
        (
            'a: "unterminated\n',
            1,
            "malformed YAML: while scanning a quoted scalar, found unexpected end of stream",
        ),
        (
            "a: '\n\n\n",
            1,
            "malformed YAML: while scanning a quoted scalar, found unexpected end of stream",
        ),
        (
            "a:\n  - [1,\n     2\n\n",
            2,
            "malformed YAML: while parsing a flow sequence, did not find expected ',' or ']'",
        ),
        (
            "a: [b,\n",
            1,
            "malformed YAML: while parsing a flow node, did not find expected node content",
        ),
        ("%YAML 1.1\n", 1, "malformed YAML: did not find expected <document start>"),
        (
            "- a\nb: 1\n",
            2,
            "malformed YAML: while parsing a block collection, did not find expected '-' indicator",
        ),
        (
            "a: 1\nb: \x00\n",
            2,
            "malformed YAML: unacceptable character #x0000: control characters are not allowed",
        ),
    ],
)
def test_malformed_yaml_gives_the_mark_line(text: str, line: int, message: str) -> None:
    assert _load(text) == (None, (_problem(line, message),))


def test_bad_core_scalar_keeps_the_text() -> None:
    doc, problems = _load("a: !!int abc\n")
    assert problems == (_problem(1, "'abc' is not a valid int"),)
    assert to_plain(doc) == {"a": "abc"}


def test_complex_key_is_reported_and_skipped() -> None:
    doc, problems = _load("? [a, b]\n: 1\nc: 2\n")
    assert problems == (_problem(1, "a mapping key that is a collection is not supported"),)
    assert to_plain(doc) == {"c": 2}


def test_tags_are_never_executed() -> None:
    text = (
        'a: !!python/object/apply:os.system ["touch /tmp/depaudit-pwned"]\n'
        "b: !!python/name:os.system\n"
        "c: !reference [.setup, script]\n"
    )
    doc, problems = _load(text)
    assert problems == ()
    assert doc is not None
    assert doc.get("a").tag == "tag:yaml.org,2002:python/object/apply:os.system"
    assert to_plain(doc.get("a")) == ["touch /tmp/depaudit-pwned"]
    assert doc.get("b").tag == "tag:yaml.org,2002:python/name:os.system"
    assert doc.get("b").value == ""
    assert doc.get("c").tag == "!reference"
    assert to_plain(doc.get("c")) == [".setup", "script"]


def test_documents() -> None:
    text = "x: 1\n---\ny: 2\n"
    assert _load(text) == (
        load_all(text, PATH, "test")[0][0],
        (_problem(3, "only the first YAML document is read", "skipped"),),
    )
    docs, problems = load_all(text, PATH, "test")
    assert problems == ()
    assert [to_plain(d) for d in docs] == [{"x": 1}, {"y": 2}]
    assert [d.line for d in docs] == [1, 3]


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        # an empty document at the end starts past the last line: it is put on the last line
        ("x: 1\n---\n", [1, 2]),
        ("|\n---\n", [1, 2]),
        ("---\n", [1]),
    ],
)
def test_empty_last_document_is_on_the_last_line(text: str, lines: list[int]) -> None:
    docs, problems = load_all(text, PATH, "test")
    assert problems == ()
    assert [d.line for d in docs] == lines


def test_reader_error_after_a_wide_character_stays_in_the_file() -> None:
    """Found by tests/test_adversarial.py: the reader's position counts encoded units, so a
    control character after a 3-byte character was put on a line past the file's end."""
    _, problems = load("\u0800\x08\n", "x.yml")
    assert [(p.line, p.kind) for p in problems] == [(1, "parse-error")]


def test_a_text_is_loaded_once_per_path_scanner_and_limits() -> None:
    """A reusable workflow is read by the scan and again for each caller: the same text,
    path, scanner and limits give the first reading back (immutable); another path or
    limits read again; a text over the size bound is read every time."""
    text = "name: w\njobs:\n  a:\n    runs-on: x\n"
    first = load_all(text, "w.yml", "github-actions")
    assert load_all(text, "w.yml", "github-actions") is first
    assert first[0][0].line == 1 and to_plain(first[0][0]) == {
        "name": "w",
        "jobs": {"a": {"runs-on": "x"}},
    }
    assert load_all(text, "v.yml", "github-actions") is not first
    assert load_all(text, "w.yml", "github-actions", Limits(max_depth=5)) is not first
    big = "a: " + "x" * 70_000 + "\n"
    assert load_all(big, "b.yml") is not load_all(big, "b.yml")
    assert load_all(big, "b.yml") == load_all(big, "b.yml")
