"""audit.shell.parse: simple scripts are read by the tokenizer alone, with the same result.

A script of simple commands (words, quotes, ``$VAR``/``${VAR}``, comments, continuation
lines, joined by newlines, ``;``, ``&&``, ``||``, ``|``, ``&``) skips bashlex; anything else
goes the full way (bashlex, then the tokenizer line by line). The two readings must agree
wherever the short one is taken: the property test below builds scripts from shell tokens
and compares them.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.shell.parse import Parsed, parse, parse_compound, simple_commands


def words(parsed: tuple[tuple[object, ...], ...]) -> list[list[tuple[str, int]]]:
    return [[(w.raw, w.start) for w in c] for c in parsed]  # type: ignore[attr-defined]


def test_a_simple_script_is_its_commands_with_offsets() -> None:
    script = (
        "# prepare\n"
        "apt-get update && apt-get install -y curl=7.68 \\\n"
        '    "ca-certificates"; X=1 pip install ${PKG:-flask}==$VER | tee log &\n'
    )
    got = simple_commands(script)
    assert got is not None
    assert words(got) == [
        [("apt-get", 10), ("update", 18)],
        [
            ("apt-get", 28),
            ("install", 36),
            ("-y", 44),
            ("curl=7.68", 47),
            ('"ca-certificates"', 63),
        ],
        [("X=1", 82), ("pip", 86), ("install", 90), ("${PKG:-flask}==$VER", 98)],
        [("tee", 120), ("log", 124)],
    ]
    assert parse(script) == Parsed(got, ())


@pytest.mark.parametrize(
    "script",
    [
        "if true; then pip install x; fi",
        "for p in a b; do pip install $p; done",
        "case $X in a) pip install a;; esac",
        "pip install $(cat reqs)",
        "pip install `cat reqs`",
        "pip install x > log 2>&1",
        "cat <<EOF\npip install x\nEOF",
        "(cd sub && make)",
        "{ pip install x; }",
        "! pip install x",
        "[[ -f x ]] && pip install x",
        "pip install x\r\n",
        "pip install 'unterminated",
        "pip install x \\",
        "A=1 time pip install x",
        "pip install ${V:-{a} b}",  # bashlex ends ${ at the first }: two words
        "pip install $${ ",  # an unclosed ${
        "pip install ${V:-'}'}",
    ],
)
def test_what_is_not_simple_goes_the_full_way(script: str) -> None:
    assert simple_commands(script) is None


def test_results_are_remembered_by_script_text() -> None:
    script = "pip install remembered-once==1.0"
    assert parse(script) is parse(script)


_TOKENS = st.sampled_from(
    [
        "pip", "install", "-r", "req.txt", "a=b", "X=1", "A+=1", "$HOME", "${VER}",
        "${V:-1.2}", "'q s'", '"d $x q"', "'a'\"b\"c", "\\\n", " \\\n  ", "#c", " # note",
        "\\ ", '\\"', "\\", "if", "then", "fi", "do", "done", "for", "in", "!", "{", "}",
        "[[", "]]", "[", "]", "*.py", "~/x", "a#b", "=", "x=", "'", '"', "$", "${", "-",
        "--opt=1", "é", "time", "echo", "export", "case", "esac", ";;",
    ]
)  # fmt: skip
_JOINS = st.sampled_from([" ", " ", "", "\n", " && ", "; ", " || ", " | ", " & ", "\t"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TOKENS, _JOINS), min_size=1, max_size=12))
def test_the_short_reading_agrees_with_the_full_one(parts: list[tuple[str, str]]) -> None:
    script = "".join(a + b for a, b in parts)
    simple = simple_commands(script)
    if simple is not None:
        assert parse_compound(script) == Parsed(simple, ())


def test_simple_and_common_compound_scripts_do_not_load_bashlex() -> None:
    """The tokenizer reads the first; audit/shell/reader.py the second."""
    probe = (
        "import sys\n"
        "from audit.shell.parse import parse\n"
        "a = parse('apt-get update && apt-get install -y curl # tools')\n"
        "b = parse('if [ -f x ]; then\\n  V=$(curl -s u) pip install x > log 2>&1\\nfi')\n"
        "print(len(a.commands), len(b.commands), 'bashlex' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["2", "3", "False"]
