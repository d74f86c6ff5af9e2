"""audit.shell.reader: the common shell read without bashlex, exactly as bashlex reads it.

:func:`audit.shell.reader.read` answers for bashlex: the trees it would give (walked to
the same commands, offsets and guards), :data:`FAILS` where bashlex raises, or None where
it does not know. Every answer it gives is checked here against bashlex itself: on exact
examples, on generated scripts (two property tests) and on every script the scanners hand
to the shell reader in the corpus trees.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audit.shell.interpreter as interpreter
import audit.shell.parse as shell_parse
from audit.shell import reader
from audit.shell.lexer import Command

Reading = list[tuple[list[tuple[str, int]], list[tuple[list[str], bool]]]]


def reading(script: str) -> Reading | None:
    """The commands (words and offsets) and guards (condition words, expected outcome) that
    the reader's trees give, None where it leaves the script to bashlex or says bashlex
    fails."""
    trees = reader.read(script)
    if not isinstance(trees, list):
        return None
    walker = shell_parse._Walker(script, 0, reader.Node)
    for tree in trees:
        walker.walk(tree, ())
    return _plain(walker.out)


def by_bashlex(script: str) -> Reading | None:
    got = shell_parse._by_bashlex(script, 0)
    return None if got is None else _plain(got)


def _plain(out: list[tuple[Command, tuple[tuple[Command, bool], ...]]]) -> Reading:
    return [
        ([(w.raw, w.start) for w in c], [([w.raw for w in cond], ok) for cond, ok in guard])
        for c, guard in out
    ]


def agrees(script: str) -> None:
    """The reader's answer, where it gives one, is bashlex's."""
    if len(script) > shell_parse.MAX_BASHLEX_CHARS:
        return
    trees = reader.read(script)
    if trees is None:
        return
    expected = by_bashlex(script)
    if trees is reader.FAILS:
        assert expected is None, script
    else:
        assert reading(script) == expected, script


# -- exact readings ---------------------------------------------------------------------


def test_substitutions_come_before_their_command_and_redirections_are_not_words() -> None:
    script = 'V=$(curl -s "$(url)") tar xf - -C /opt 2>&1 > "$(log a)"\n'
    assert reading(script) == [
        ([("url", 15)], []),
        ([("curl", 4), ("-s", 9), ('"$(url)"', 12)], []),
        ([("log", 49), ("a", 53)], []),
        (
            [
                ('V=$(curl -s "$(url)")', 0),
                ("tar", 22),
                ("xf", 26),
                ("-", 29),
                ("-C", 31),
                ("/opt", 34),
            ],
            [],
        ),
    ]
    assert reading(script) == by_bashlex(script)


def test_if_elif_else_and_and_or_lists_give_guards() -> None:
    script = (
        'if [ "$TARGETARCH" = amd64 ]; then\n'
        "  curl -o a.deb $URL\n"
        'elif [ "$TARGETARCH" = arm64 ]; then\n'
        "  curl -o b.deb $URL\n"
        "else\n"
        "  exit 1\n"
        "fi > log\n"
        "test -f x || pip install x\n"
    )
    amd64 = ["[", '"$TARGETARCH"', "=", "amd64", "]"]
    arm64 = ["[", '"$TARGETARCH"', "=", "arm64", "]"]
    assert reading(script) == [
        ([("[", 3), ('"$TARGETARCH"', 5), ("=", 19), ("amd64", 21), ("]", 27)], []),
        ([("curl", 37), ("-o", 42), ("a.deb", 45), ("$URL", 51)], [(amd64, True)]),
        ([("[", 61), ('"$TARGETARCH"', 63), ("=", 77), ("arm64", 79), ("]", 85)], [(amd64, False)]),
        (
            [("curl", 95), ("-o", 100), ("b.deb", 103), ("$URL", 109)],
            [(amd64, False), (arm64, True)],
        ),
        ([("exit", 121), ("1", 126)], [(amd64, False), (arm64, False)]),
        ([("test", 137), ("-f", 142), ("x", 145)], []),
        ([("pip", 150), ("install", 154), ("x", 162)], [(["test", "-f", "x"], False)]),
    ]
    assert reading(script) == by_bashlex(script)


def test_loops_groups_subshells_functions_and_here_documents() -> None:
    script = (
        "for v in 1.0 $(seq 2); do pip install x==$v; done\n"
        "while read -r p; do go get $p; done < list\n"
        "{ apt-get update; } && (cd sub && make)\n"
        "setup() {\n  npm ci\n}\n"
        "cat > conf <<EOF\npip install never-run\nEOF\n"
        "! grep -q x f && gem install y\n"
    )
    assert [[w for w, _ in c] for c, _ in reading(script) or []] == [
        ["seq", "2"],
        ["pip", "install", "x==$v"],
        ["read", "-r", "p"],
        ["go", "get", "$p"],
        ["apt-get", "update"],
        ["cd", "sub"],
        ["make"],
        ["npm", "ci"],
        ["cat"],
        ["grep", "-q", "x", "f"],
        ["gem", "install", "y"],
    ]
    assert reading(script) == by_bashlex(script)


@pytest.mark.parametrize(
    "script",
    [
        'if [ -n "$X" ]; then\n',  # one line of a script read line by line
        "fi\n",
        "done\n",
        "}\n",
        "  ;;\n",
        "  -h|--help)\n",
        "x=$(test linux = windows && echo .exe || echo '')",  # bashlex 0.18: && in $(...)
        "OUT=$()",
        "x $(a; b &)",
        "[[ -f x ]] && pip install x",
        "case $A in a) pip install a;; esac",
        "ARCHS=(amd64 arm64)",
        "echo $((1 + 2))",
        "time make",
        "cat <<'EOF'\nx\nEOF",  # bashlex looks for a line `'EOF'`
        "# only a comment (with parentheses)\n",
        "x $(fi)",  # on one line: bashlex reads it
        "V=$(if $(VERBOSE),@echo GOENV=$(GOENV))",  # a Makefile function in a recipe
        "if (($#==0)); then\n",
        'while [ -n "$X" ]\ndo\n  sleep 1\ndone',  # bashlex wants `;` before `do` here
        "function retry {\n",
        "x $[1 + 2]",
    ],
)
def test_what_bashlex_cannot_read_is_known_without_it(script: str) -> None:
    assert reader.read(script) is reader.FAILS
    assert by_bashlex(script) is None


@pytest.mark.parametrize(
    "script",
    [
        "x $(a\nb)",  # bashlex reads such a body to its first newline only
        "x $(a # note\n)",
        "x ${V:-$(y)}",
        "x a'$(b)'",  # bashlex skips quote characters: it expands this $(b)
        'x "a"\'$(b)\'"c"',
        "x 'a'$(b && c)'d'",
        "cat <<-EOF\n\tx\n\tEOF",
        "pip { if",  # bashlex takes `if` after `{` for a reserved word
        "2> {  if ",  # also after a redirection to `{` (found by the token soup below)
        "((n++))#c ",  # a `#` right after `)`, `;` or `&` (found by the token soup below):
        "a;#c",  # bash reads a comment, bashlex a command `c`
        "while a && b\ndo c; done",
        "cat <<'EOF'\nx\n'EOF'\n",  # bashlex ends it at a line `'EOF'`, quotes included
        "if true; then cat <<EOF\nx\nEOF\nfi",
        "x $'\\n'",
        "x `a \\` b`",
        "a \\\n",
        "pip install x\r\n",
    ],
)
def test_what_the_reader_does_not_know_is_left_to_bashlex(script: str) -> None:
    assert reader.read(script) is None


def test_bashlex_reads_words_its_own_way_and_the_reader_follows() -> None:
    """bashlex ends ``${`` at its first ``}`` (``${A:-{b} c}`` is two words), expands
    nothing in a word that begins and ends with a single quote, and reads a line
    continuation inside double quotes; function bodies are read where they are defined."""
    script = (
        "function store-reports {\n  V=${A:-{b} c} make\n}\n"
        "go build -tags 'a b'$(go env GOOS)' c' -o out\n"
        'V=${A:-${B}} X=${{ inputs.v }} Y="a \\\n  b" make\n'
    )
    assert reading(script) == [
        ([("V=${A:-{b}", 27), ("c}", 38), ("make", 41)], []),
        ([("go", 48), ("build", 51), ("-tags", 57), ("'a b'$(go env GOOS)' c'", 63), ("-o", 87),
          ("out", 90)], []),
        ([("V=${A:-${B}}", 94), ("X=${{ inputs.v }}", 107), ('Y="a \\\n  b"', 125),
          ("make", 137)], []),
    ]  # fmt: skip
    assert reading(script) == by_bashlex(script)


def test_bashlex_misplaces_what_follows_a_continuation_and_the_reader_follows() -> None:
    """Inside double quotes bashlex drops ``\\<newline>`` before placing substitutions:
    each lands 2 characters early per continuation before it (read from there), and
    ``((n++))`` is two subshells around a command ``n++``."""
    script = 'echo "deb x \\\n  $(lsb_release -cs) main" | tee f\n((n++))\n'
    assert reading(script) == [
        ([("$(lsb_relea", 16), ("e -", 28)], []),
        ([("echo", 0), ('"deb x \\\n  $(lsb_release -cs) main"', 5)], []),
        ([("tee", 43), ("f", 47)], []),
        ([("n++", 51)], []),
    ]
    assert reading(script) == by_bashlex(script)


def test_bashlex_is_kept_from_looping_on_an_unclosed_parameter() -> None:
    """bashlex 0.18 grows a string without end on ``'${a'`` (valid shell); the guard in
    audit/shell/parse.py makes it raise instead, in a process limited to 1 GiB here."""
    probe = (
        "import resource\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from audit.shell.parse import _by_bashlex, parse\n"
        "print(_by_bashlex(\"echo '${a'b $(date)\", 0))\n"
        "print([[w.raw for w in c] for c in parse(\"echo '${a'b $(date)\").commands])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.splitlines() == ["None", "[['date'], ['echo', \"'${a'b\", '$(date)']]"]


def test_deep_nesting_is_left_to_bashlex_and_its_limits() -> None:
    deep = "echo " + "$(echo " * 200 + "x" + ")" * 200
    assert reader.read(deep) is None
    assert shell_parse._bashlex_commands(deep, 0) is None  # bashlex: RecursionError, caught


# -- generated scripts ------------------------------------------------------------------

_TOKENS = st.sampled_from(
    [
        "pip", "install", "x", "a=b", "X=1", "$X", "${X}", "${X:-a}", "'q s'", '"d $x"',
        '"$(a)"', "$(", ")", "(", '"', "'", "`", "if", "then", "elif", "else", "fi", "for",
        "in", "do", "done", "while", "until", "case", "esac", "[[", "]]", "[", "]", "test",
        "!", "{", "}", "&&", "||", ";", "|", "&", ";;", ">", ">>", "<", "2>&1", ">&2", "2>",
        "&>", "<<", "#c", "\n", " \\\n", "$((", "=", "time", "function", "f()", "f() {",
        "{ ", " }", "( ", " )", "! ", "a+=(", "for ((", '${V:-"a b"}', "${{ a && 'b' }}",
        "-h|--help)", "*)", "<<EOF\n", "EOF\n", "<<'EOF'", "\\", "*", "$'x'", "'a'$(b)'c'",
        "a=(", "$()", " ", "\t", "'a'$(b && c)'d'", "'a $(b)'c", "a'$(b)'", "'a'\"$(b)\"'c'",
        "${A:-${B}}", "${A:-${B}$(c)}", "${{ a.b }}", "${A//\\//-}", '"a \\\n b"', "'x'`y`'z'",
        '"${A:-"$B"}"', "${A:-'$(x)'}", "'a'${A}'b'", '"a\\\nb $(c)"', "${a:-{}", "${a:-}}",
        '"a \\\n$(b) \\\n $(c d)"', '"x\\\n" $(y)', "((n++))", "(($#==0))", "((", "))",
        "$(if a)", "$(fi)", "$(if $(V),x=$(G))", "if a)",
    ]
)  # fmt: skip
_JOINS = st.sampled_from([" ", " ", "", "\n", "; "])


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(_TOKENS, _JOINS), min_size=1, max_size=14))
def test_the_reader_agrees_with_bashlex_on_token_soup(parts: list[tuple[str, str]]) -> None:
    agrees("".join(a + b for a, b in parts))


_WORDS = [
    "a", "b", "x=1", "$V", '"q r"', "'s'", "${V:-d}", "-f", "2>&1", ">f", "<g", ">>h", "[",
    "]", "test", "==", "amd64", '"$V"', ">&2", "2>/dev/null", "curl", "{}", "in", "do",
]  # fmt: skip
_SEPARATORS = [" && ", " || ", "; ", "\n", " | ", " & ", ";\n", " &&\n ", " |\n ", " # c\n"]


def _script(r: random.Random, depth: int) -> str:
    """A list of commands and compound commands, substitutions nested ``depth`` deep."""
    out: list[str] = []
    for _ in range(r.randint(1, 3)):
        out.append(_compound(r, depth) if depth and r.random() < 0.3 else _command(r, depth))
        out.append(r.choice(_SEPARATORS))
    if r.random() < 0.6:
        out.pop()
    return "".join(out)


def _command(r: random.Random, depth: int) -> str:
    words = []
    for _ in range(r.randint(1, 4)):
        k = r.random()
        if depth and k < 0.12:
            words.append("$(" + _script(r, depth - 1) + ")")
        elif depth and k < 0.2:
            words.append('"$(' + _script(r, depth - 1) + ')"')
        elif depth and k < 0.24:
            words.append("`" + _command(r, 0) + "`")
        else:
            words.append(r.choice(_WORDS))
    return " ".join(words)


def _compound(r: random.Random, depth: int) -> str:
    s = [_script(r, depth - 1) for _ in range(4)]
    forms = [
        f"if {s[0]}; then {s[1]}; fi",
        f"if {s[0]}\nthen\n {s[1]}\nelse {s[2]}\nfi",
        f"if {s[0]}; then {s[1]}; elif {s[2]}; then {s[3]}; fi",
        f"for i in a $(b) c; do {s[0]}; done",
        f"for i in x\ndo\n{s[0]}\ndone > log",
        f"while {s[0]}; do {s[1]}; done",
        f"until {s[0]}; do\n{s[1]}\ndone < f",
        f"{{ {s[0]}; }}",
        f"( {s[0]} )",
        f"f() {{\n {s[0]}\n}}",
        f"! {s[0]}",
        f"cat <<EOF\n{s[0]}\nEOF\n{s[1]}",
        f"[[ {s[0]} ]] && {s[1]}",
        f"case x in a) {s[0]};; esac",
    ]
    return r.choice(forms)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 2**32), st.booleans())
def test_the_reader_agrees_with_bashlex_on_generated_scripts(seed: int, cut: bool) -> None:
    r = random.Random(seed)
    script = _script(r, 3)
    if cut:  # an unfinished script, as lines of a script read one at a time are
        script = script[: r.randrange(len(script) + 1)]
    agrees(script)


# -- the corpus ---------------------------------------------------------------------------


def corpus_scripts(root: Path, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every script the scanners and audit/ci_follow.py hand to the shell reader in a tree
    (the notices scanner left out: it reads no shell)."""
    from audit.ci_follow import follow
    from audit.discover import discover
    from audit.scan import scan, scan_file
    from audit.scanners import select

    seen: set[str] = set()
    real = interpreter.parse

    def recording(script: str, base: int = 0, depth: int = 0) -> shell_parse.Parsed:
        seen.add(script)
        return real(script, base, depth)

    monkeypatch.setattr(interpreter, "parse", recording)
    found = discover(root)
    out = scan(found, selector=lambda p: tuple(s for s in select(p) if s.name != "notices"))
    follow(found.root, found.files, out.result, lambda r, c, s: scan_file(r, c, s)[0])
    return seen


@pytest.mark.parametrize(
    ("tree", "scripts", "by_bashlex_still"),
    [
        ("falco-0.35.1", 156, 0),
        ("falco-0.36.0", 143, 0),
        ("libs-0.11.3", 68, 0),
        ("libs-0.13.1", 120, 0),
        ("libs-5.0.1-driver", 68, 0),
        ("kepler-0.7.11", 136, 0),
        ("inspektor-gadget-2024-08", 181, 11),
        ("in-toto-2024-03", 6, 0),
    ],
)
def test_every_corpus_script_reads_as_bashlex_reads_it(
    tree: str,
    scripts: int,
    by_bashlex_still: int,
    corpus: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The whole reading of each script (bashlex where it can, the tokenizer elsewhere) is
    the same with the reader answering for bashlex as with bashlex alone; and bashlex is
    still asked about only a few of them."""
    root = corpus(tree)  # type: ignore[operator]
    found = sorted(corpus_scripts(root, monkeypatch))
    monkeypatch.undo()
    assert len(found) == scripts
    asked: list[str] = []
    real = shell_parse._by_bashlex

    def counting(text: str, base: int) -> list[tuple[Command, shell_parse.Guard]] | None:
        asked.append(text)
        return real(text, base)

    shell_parse.parse.cache_clear()  # nested readings go through the cached parse()
    with_reader = []
    for script in found:
        with monkeypatch.context() as m:
            m.setattr(shell_parse, "_by_bashlex", counting)
            with_reader.append(shell_parse.parse_compound(script))
    shell_parse.parse.cache_clear()
    alone = []
    for script in found:
        with monkeypatch.context() as m:
            m.setattr(shell_parse, "_bashlex_commands", real)
            alone.append(shell_parse.parse_compound(script))
    shell_parse.parse.cache_clear()
    assert with_reader == alone
    assert len(asked) == by_bashlex_still
