"""The common shell that bashlex reads, read here in one linear pass, as bashlex reads it.

Most scripts that are not plain lists of simple commands (audit/shell/parse.py's fast path)
only add a few constructs: command substitutions (``$(...)``, backticks), redirections,
``if``/``elif``/``else`` and ``for NAME in WORDS`` loops. :func:`read` reads those into
trees of the shape bashlex gives (the parts ``parse._Walker`` looks at: commands and their
words, substitutions, lists with their operators, pipelines, ``if`` parts), so that the
walker finds the same commands, offsets and guards without loading bashlex (its parser
tables take ~0.1 s to build in every process) and at a fraction of its cost per script.

:func:`read` answers one of three ways:

- a list of trees: bashlex reads the text to the same commands;
- :data:`FAILS`: bashlex cannot read the text (it raises), so the caller goes straight to
  its fallback — for example a line ``if [ -n "$X" ]; then`` of a script read line by line
  (an unfinished ``if``), ``fi`` alone, or ``$(a && b)`` (bashlex 0.18 rejects ``&&`` or
  ``||`` in the last part of a one-line substitution, and a substitution ending in ``;``);
- None: anything else (``case``, ``while``, functions, ``[[``, subshells, here-documents,
  arithmetic, ``$'...'``...): the caller asks bashlex.

Every claim is checked against bashlex on every script of the corpus trees and by a
property test (tests/test_shell_reader.py). The pass is linear in the text; substitutions
nest at most :data:`MAX_DEPTH` deep before the reader gives the text to bashlex (and to
its existing limits).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Final

MAX_DEPTH: Final = 24
"""Substitutions and compound commands nested deeper than this are left to bashlex."""


class Node:
    """A node of the tree, with the attributes bashlex's nodes have where the walker looks:
    ``kind``, ``pos`` (offsets in the text), ``parts``, ``word`` (reserved words), ``op``
    (operators), ``command`` (substitutions), ``output`` (redirections), ``list``
    (compound commands)."""

    __slots__ = ("command", "kind", "list", "op", "output", "parts", "pos", "word")

    def __init__(
        self,
        kind: str,
        pos: tuple[int, int] = (0, 0),
        parts: list[Node] | None = None,
        *,
        word: str = "",
        op: str = "",
        command: Node | None = None,
        output: Node | int | None = None,
        list_: list[Node] | None = None,
    ) -> None:
        self.kind = kind
        self.pos = pos
        self.parts = parts if parts is not None else []
        self.word = word
        self.op = op
        self.command = command
        self.output = output
        self.list = list_


class _Fails(Exception):
    """bashlex raises on this text."""


class _Unsure(Exception):
    """This reader does not know what bashlex makes of this text."""


class _Failed:
    def __repr__(self) -> str:
        return "FAILS"


FAILS: Final = _Failed()
""":func:`read`'s answer for a text bashlex cannot read."""

_BLANK = " \t"
_META = frozenset(" \t\n;&|<>()")
"""Characters that end an unquoted word."""
_UNEXPECTED = frozenset({"then", "elif", "else", "fi", "do", "done", "esac"})
"""Reserved words that cannot begin a command: bashlex raises on them there."""
_UNREAD = frozenset({"[[", "case", "time", "select"})
"""Commands bashlex 0.18 cannot read: ``[[ ... ]]`` and ``case`` (not implemented),
``time`` and ``select``."""
_OTHER_RESERVED = frozenset({"coproc", "in", "]]", "((", "))"})
"""Words that begin a command this reader leaves to bashlex."""
_LIST_ENDS = frozenset({"then", "elif", "else", "fi", "do", "done", "}"})


def read(text: str) -> list[Node] | _Failed | None:
    """bashlex's trees for ``text`` (in the walker's terms), :data:`FAILS`, or None (see the
    module docstring)."""
    if "\r" in text:
        return None
    try:
        return _Reader(text).script()
    except _Fails:
        return FAILS
    except _Unsure:
        return None


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.i = 0
        self.depth = 0
        self.continuations: list[int] = []
        """Offsets of the line continuations inside double quotes of the word being read."""
        self.heredocs: list[str] = []
        """Delimiters of the here-documents whose bodies begin after this line."""

    # -- characters ------------------------------------------------------------------

    def blanks(self) -> None:
        """Skip blanks, line continuations and a comment (to the end of its line)."""
        text, n = self.text, self.n
        i = self.i
        while i < n:
            c = text[i]
            if c in _BLANK:
                i += 1
            elif c == "\\" and i + 1 < n and text[i + 1] == "\n":
                if i + 2 >= n:
                    raise _Unsure  # bashlex raises on a continuation at the end, bash does not
                i += 2
            elif c == "#":
                if i and text[i - 1] not in _BLANK and text[i - 1] != "\n":
                    raise _Unsure  # `(a)#c`, `a;#c`: bashlex reads no comment there
                k = text.find("\n", i, n)
                i = n if k < 0 else k
            else:
                break
        self.i = i

    def newlines(self) -> None:
        """Skip blanks, comments and newlines."""
        while True:
            self.blanks()
            if self.i < self.n and self.text[self.i] == "\n":
                if self.heredocs:
                    raise _Unsure  # a here-document after `&&`, `|`...
                self.i += 1
                continue
            return

    def end_line(self) -> None:
        """Past the newline at the current offset and the here-document bodies after it
        (to a line that is exactly the delimiter; bashlex walks nothing in them)."""
        self.i += 1
        text = self.text
        for delimiter in self.heredocs:
            while True:
                if self.i >= self.n:
                    raise _Unsure  # no end line
                k = text.find("\n", self.i)
                end = self.n if k < 0 else k
                line = text[self.i : end]
                self.i = end + 1 if k >= 0 else self.n
                if line == delimiter:
                    break
        self.heredocs.clear()

    def peek_word(self) -> str:
        """The plain word at the current offset (no quotes or expansions), or ''."""
        text, n = self.text, self.n
        j = self.i
        while j < n and text[j] not in _META and text[j] not in "\"'`$\\#":
            j += 1
        if j < n and text[j] not in _META:
            return ""  # more than a plain word
        return text[self.i : j]

    # -- lists -----------------------------------------------------------------------

    def script(self) -> list[Node]:
        """The trees of the whole text."""
        trees: list[Node] = []
        self.newlines()
        while self.i < self.n:
            trees.append(self.list_(top=True))
            if self.heredocs and self.i < self.n and self.text[self.i] == "\n":
                self.end_line()
            self.newlines()
        if self.heredocs:
            raise _Unsure  # a here-document without a body
        if not trees:
            raise _Fails  # nothing but blanks and comments: bashlex raises
        return trees

    def list_(self, *, top: bool = False, closing: str = "") -> Node:
        """A list of pipelines joined by ``&& || ; &`` and (inside compound commands and
        substitutions) newlines. At the top level a newline ends the list; inside, the list
        ends before a reserved word of :data:`_LIST_ENDS` or at ``closing`` (``)``)."""
        start = self.i
        parts: list[Node] = []
        while True:
            parts.append(self.pipeline())
            self.blanks()
            if self.i >= self.n:
                break
            c = self.text[self.i]
            two = self.text[self.i : self.i + 2]
            if two in ("&&", "||"):
                parts.append(Node("operator", (self.i, self.i + 2), op=two))
                self.i += 2
                self.newlines()
                if self.i >= self.n:
                    raise _Fails  # `a &&` at the end
                continue
            if two == ";;" or two == "|&":
                raise _Unsure
            if c in ";&\n":
                parts.append(Node("operator", (self.i, self.i + 1), op=c))
                if c == "\n" and top:
                    self.end_line()
                    break
                self.i += 1
                if top:
                    self.blanks()
                    if self.i >= self.n or self.text[self.i] == "\n":
                        break
                else:
                    self.newlines()
                    if self.i >= self.n:
                        break
                    if closing and self.text[self.i] == closing:
                        break
                    if self.peek_word() in _LIST_ENDS:
                        break
                continue
            if closing and c == closing:
                break
            if c == ")":
                raise _Fails  # `-h|--help)` (a line of a `case` read alone), `if a)`
            raise _Unsure  # `(`, `)` or something else after a command
        end = parts[-1].pos[1]
        return Node("list", (start, end), parts)

    def pipeline(self) -> Node:
        """Commands joined by ``|``, perhaps after ``!``."""
        self.blanks()
        start = self.i
        commands: list[Node] = []
        bang = self.peek_word() == "!"
        if bang:
            commands.append(Node("reservedword", (self.i, self.i + 1), word="!"))
            self.i += 1
        commands.append(self.command())
        while True:
            self.blanks()
            if self.text.startswith("|", self.i) and not self.text.startswith(("||", "|&"), self.i):
                self.i += 1
                self.newlines()
                commands.append(self.command())
                continue
            break
        if len(commands) == 1:
            return commands[0]
        return Node("pipeline", (start, commands[-1].pos[1]), commands)  # `!` too: no condition

    # -- commands --------------------------------------------------------------------

    def command(self) -> Node:
        self.blanks()
        if self.i >= self.n:
            raise _Fails  # a command expected at the end (`a |`)
        word = self.peek_word()
        if word in _UNEXPECTED or word in _UNREAD or word == "}":
            raise _Fails  # `fi`, `}` or `;;` where a command begins; `case`, `[[`
        if self.text.startswith(";;", self.i):
            raise _Fails
        if word == "for" and self.text.startswith("((", self.after_word(word)):
            raise _Fails  # for ((...)): not implemented in bashlex
        if word in _OTHER_RESERVED or word == "!":
            raise _Unsure
        if word == "if":
            return self.compound(self.if_())
        if word == "for":
            return self.compound(self.for_())
        if word in ("while", "until"):
            return self.compound(self.while_(word))
        if word == "{":
            return self.compound(self.group())
        if self.text[self.i] == "(":
            return self.compound(self.subshell())
        if self.text[self.i] in "){}":
            raise _Unsure
        if word == "function" or (word and self.text.startswith("()", self.after_word(word))):
            return self.function(word)
        return self.simple()

    def after_word(self, word: str) -> int:
        """Offset of what follows ``word`` (at the current offset) and the blanks after it."""
        j = self.i + len(word)
        while j < self.n and self.text[j] in _BLANK:
            j += 1
        return j

    def simple(self) -> Node:
        """Words and redirections up to an operator, a newline or the end."""
        start = self.i
        parts: list[Node] = []
        text, n = self.text, self.n
        named = False  # a word that is not an assignment was read: no more assignments
        while True:
            self.blanks()
            if self.i >= n:
                break
            c = text[self.i]
            if c in "\n;|)" or (c == "&" and not text.startswith(("&>", "&>>"), self.i)):
                break
            if c == "(":
                if parts and _ARRAY.fullmatch(text[parts[-1].pos[0] : self.i]):
                    raise _Fails  # `a=(x y)`: arrays are not read by bashlex
                raise _Unsure
            if c in "<>" or c == "&":
                parts.append(self.redirect(None))
                continue
            word = self.word()
            if self.i < n and text[self.i] in "<>" and text[word.pos[0] : word.pos[1]].isdigit():
                parts.append(self.redirect(word.pos[0]))
                continue
            if text[word.pos[0] : word.pos[1]] in ("{", "}"):
                raise _Unsure  # bashlex reads a reserved word after these as reserved
            if word.kind == "assignment" and named:
                word.kind = "word"
            named = named or word.kind == "word"
            parts.append(word)
        if not named and not any(p.kind == "assignment" for p in parts):
            raise _Unsure  # redirections alone
        return Node("command", (start, parts[-1].pos[1]), parts)

    def redirect(self, fd_start: int | None) -> Node:
        """``> f``, ``>> f``, ``< f``, ``&> f``, ``N> f``, ``N>&M``, ``>&M``."""
        text = self.text
        start = self.i if fd_start is None else fd_start
        for op in ("&>>", "&>", ">>", ">&", "<&", ">", "<"):
            if text.startswith(op, self.i):
                break
        else:
            raise _Unsure
        if text.startswith("<<", self.i) and not text.startswith(("<<<", "<<-"), self.i):
            return self.heredoc(start)
        if text.startswith(("<<", "<>", ">|", "<(", ">("), self.i):
            raise _Unsure
        self.i += len(op)
        if op in (">&", "<&"):
            j = self.i
            while j < self.n and text[j].isdigit():
                j += 1
            if j == self.i or (j < self.n and text[j] not in _META):
                raise _Unsure  # `>&file`, `>&-`
            fd = int(text[self.i : j])
            self.i = j
            return Node("redirect", (start, j), output=fd)
        self.blanks()
        if self.i >= self.n or text[self.i] in _META:
            raise _Unsure
        target = self.word()
        if self.i < self.n and text[self.i] in "<>":
            raise _Unsure  # `> 2>x`
        if text[target.pos[0] : target.pos[1]] in ("{", "}"):
            raise _Unsure  # `2> { if`: bashlex reads a reserved word after these as reserved
        return Node("redirect", (start, target.pos[1]), output=target)

    def heredoc(self, start: int) -> Node:
        """``<<WORD``: its body is skipped at the end of the line (:meth:`end_line`)."""
        if self.depth:
            raise _Unsure  # bashlex reads bodies inside compound commands as commands
        self.i += 2
        self.blanks()
        delimiter = self.peek_word()
        if not delimiter:
            quoted = _QUOTED_DELIMITER.match(self.text, self.i)
            if quoted and f"\n{quoted[0]}\n" not in f"{self.text[self.i :]}\n":
                raise _Fails  # bashlex 0.18 looks for a line `'EOF'`, quotes included
            raise _Unsure
        if not delimiter.replace("_", "a").isalnum() or not delimiter.isascii():
            raise _Unsure
        node = Node("word", (self.i, self.i + len(delimiter)))
        self.i += len(delimiter)
        self.heredocs.append(delimiter)
        return Node("redirect", (start, self.i), output=node)

    def word(self) -> Node:
        """One word with the substitutions in it (parts, in order)."""
        if self.text.startswith("'", self.i):
            try:
                return self.plain_word()
            except _Fails:
                raise _Unsure from None  # bashlex may not expand this word at all
        return self.plain_word()

    def plain_word(self) -> Node:
        text, n = self.text, self.n
        start = self.i
        subs: list[Node] = []
        i = start
        quoted_expansion = False  # a '...' part holding `$(`, `${`, backticks...
        outer, self.continuations = self.continuations, []
        while i < n:
            c = text[i]
            if c in _META:
                break
            if c == "\\":
                if i + 1 >= n or text[i + 1] in "\n\r":
                    raise _Unsure
                i += 2
            elif c == "'":
                k = text.find("'", i + 1, n)
                if k < 0:
                    raise _Unsure
                quoted_expansion = quoted_expansion or _EXPANDS.search(text, i + 1, k) is not None
                i = k + 1
            elif c == '"':
                i = self.dquote(i, subs)
            elif c in "`$":
                i = self.expansion(i, subs)
            else:
                i += 1
        if i == start:
            raise _Unsure
        raw = text[start:i]
        if raw[0] == "'" and raw[-1] == "'" and len(raw) > 1:
            subs = []  # bashlex expands nothing in a word that begins and ends with '
        elif quoted_expansion:
            raise _Unsure  # elsewhere it skips single quotes: it expands `$(x)` in `a'$(x)'`
        if subs and self.continuations:
            subs = _after_continuations(subs, self.continuations)
        self.continuations = outer
        self.i = i
        kind = "assignment" if _is_assignment(raw) else "word"
        return Node(kind, (start, i), subs)

    def dquote(self, i: int, subs: list[Node]) -> int:
        """Offset after the double-quoted string at ``i``."""
        text, n = self.text, self.n
        i += 1
        while i < n:
            c = text[i]
            if c == '"':
                return i + 1
            if c == "\\":
                if i + 1 >= n or text[i + 1] == "\r":
                    raise _Unsure
                if text[i + 1] == "\n":
                    self.continuations.append(i)
                i += 2
            elif c in "`$":
                i = self.expansion(i, subs)
            else:
                i += 1
        raise _Unsure  # unterminated

    def expansion(self, i: int, subs: list[Node]) -> int:
        """Offset after the backtick substitution or the ``$`` expansion at ``i``."""
        if self.text[i] == "`":
            return self.backtick(i, subs)
        return self.dollar(i, subs)

    def dollar(self, i: int, subs: list[Node]) -> int:
        """Offset after the expansion at ``i`` (``$NAME``, ``${...}``, ``$(...)``)."""
        text = self.text
        nxt = text[i + 1 : i + 2]
        if nxt == "(":
            if text.startswith("$((", i):
                raise _Fails  # arithmetic: not implemented in bashlex
            return self.substitution(i, subs)
        if nxt == "{":
            return self.braces(i)
        if nxt == "[":
            raise _Fails  # $[...]: not implemented in bashlex
        if nxt in ("'", '"'):
            raise _Unsure  # $'...' and $"..."
        return i + 1

    def braces(self, i: int) -> int:
        """Offset after the ``${...}`` at ``i`` as bashlex reads it: to its first ``}`` (not
        the one matching, as bash does), after which the word reads on as usual."""
        text = self.text
        k = i + 2
        quote = ""
        while k < self.n:
            ch = text[k]
            if ch in "`\n" or text.startswith("$(", k):
                raise _Unsure  # substitutions and lines inside ${...}
            if ch == "\\":
                if text[k + 1 : k + 2] in ("", "\n", "\r"):
                    raise _Unsure
                k += 2
                continue
            if quote:
                if ch == quote:
                    quote = ""
                elif ch in "{}" or text.startswith("${", k):
                    raise _Unsure
            elif ch in "'\"":
                quote = ch
            elif ch == "}":
                return k + 1
            k += 1
        raise _Unsure

    def substitution(self, i: int, subs: list[Node]) -> int:
        """``$(list)`` at ``i``: its tree is added to ``subs``; the offset after it."""
        if self.depth >= MAX_DEPTH:
            raise _Unsure
        saved = self.i
        self.i = i + 2
        self.depth += 1
        self.newlines()
        if self.i < self.n and self.text[self.i] == ")":
            raise _Fails  # `$()`
        try:
            tree = self.list_(closing=")")
        except _Fails:
            line_end = self.text.find("\n", i)
            if 0 <= line_end <= self.i:
                raise _Unsure from None  # bashlex may stop reading the body at its first newline
            raise
        self.newlines()
        if self.i >= self.n or self.text[self.i] != ")":
            raise _Unsure
        _check_substitution(tree, self.text[i + 2 : self.i])
        end = self.i + 1
        self.depth -= 1
        self.i = saved
        subs.append(Node("commandsubstitution", (i, end), command=tree))
        return end

    def backtick(self, i: int, subs: list[Node]) -> int:
        """```list``` at ``i`` (without backslashes in it): its tree is added to ``subs``."""
        k = self.text.find("`", i + 1)
        if k < 0 or "\\" in self.text[i + 1 : k] or "\n" in self.text[i + 1 : k]:
            raise _Unsure
        if self.depth >= MAX_DEPTH:
            raise _Unsure
        inner = _Reader(self.text)
        inner.n = k  # the body ends at the closing backtick
        inner.i = i + 1
        inner.depth = self.depth + 1
        inner.newlines()
        if inner.i >= k:
            raise _Unsure  # empty
        try:
            tree = inner.list_(closing="")
        except _Fails:
            raise _Unsure from None  # bashlex reads backticks its own way
        inner.newlines()
        if inner.i != k:
            raise _Unsure
        subs.append(Node("commandsubstitution", (i, k + 1), command=tree))
        return k + 1

    # -- compound commands -----------------------------------------------------------

    def compound(self, node: Node) -> Node:
        """A compound command: redirections after it are read (bashlex does not walk
        them)."""
        while True:
            self.blanks()
            if self.i < self.n and self.text[self.i] in "<>":
                self.redirect(None)
                continue
            break
        return Node("compound", node.pos, list_=[node])

    def reserved(self, word: str) -> Node:
        self.newlines()
        if self.peek_word() != word:
            if self.i >= self.n:
                raise _Fails  # unexpected end
            raise _Unsure
        node = Node("reservedword", (self.i, self.i + len(word)), word=word)
        self.i += len(word)
        return node

    def body(self) -> Node:
        """The list inside a compound command, up to its next reserved word."""
        if self.depth >= MAX_DEPTH:
            raise _Unsure
        self.depth += 1
        self.newlines()
        if self.i >= self.n:
            raise _Fails
        if self.peek_word() in _LIST_ENDS:
            raise _Unsure  # an empty part
        node = self.list_()
        self.depth -= 1
        return node

    def group(self) -> Node:
        """``{ L; }``."""
        start = self.i
        if not self.text.startswith(("{ ", "{\n", "{\t"), self.i):
            raise _Unsure
        parts = [self.reserved("{"), self.body(), self.reserved("}")]
        return Node("group", (start, self.i), parts)

    def subshell(self) -> Node:
        """``( L )``."""
        start = self.i
        if self.depth >= MAX_DEPTH:  # `((n++))` is two subshells to bashlex
            raise _Unsure
        self.i += 1
        self.depth += 1
        self.newlines()
        if self.i >= self.n or self.text[self.i] == ")":
            raise _Unsure
        body = self.list_(closing=")")
        self.newlines()
        if self.i >= self.n or self.text[self.i] != ")":
            raise _Unsure
        self.i += 1
        self.depth -= 1
        return Node("subshell", (start, self.i), [body])

    def function(self, name: str) -> Node:
        """``NAME() { L; }``, ``function NAME [()] { L; }``: the body's commands are walked
        where the function is defined."""
        start = self.i
        keyword = name == "function"
        if keyword:
            self.i = self.after_word(name)
            name = self.peek_word()
        if not _FUNCTION_NAME.fullmatch(name):
            raise _Unsure
        self.i = self.after_word(name)
        if self.text.startswith("()", self.i):
            self.i += 2
        elif not keyword or self.text.startswith("(", self.i):
            raise _Unsure
        self.newlines()
        if self.peek_word() != "{":
            raise _Unsure
        body = self.compound(self.group())
        return Node("function", (start, self.i), [Node("word", (start, start + len(name))), body])

    def while_(self, word: str) -> Node:
        """``while L; do L; done`` and ``until``."""
        start = self.i
        parts = [self.reserved(word), self.body()]
        if parts[-1].parts[-1].op not in (";", "&"):
            if len(parts[-1].parts) == 2:
                raise _Fails  # bashlex raises on `while C` + newline + `do`, bash does not
            raise _Unsure
        parts += [self.reserved("do"), self.body(), self.reserved("done")]
        return Node(word, (start, self.i), parts)

    def if_(self) -> Node:
        """``if L; then L; [elif L; then L;]... [else L;] fi``."""
        start = self.i
        parts = [self.reserved("if"), self.body(), self.reserved("then"), self.body()]
        while True:
            self.newlines()
            word = self.peek_word()
            if word == "elif":
                parts += [self.reserved("elif"), self.body(), self.reserved("then"), self.body()]
            elif word == "else":
                parts += [self.reserved("else"), self.body()]
                parts.append(self.reserved("fi"))
                break
            elif word == "fi":
                parts.append(self.reserved("fi"))
                break
            elif self.i >= self.n:
                raise _Fails
            else:
                raise _Unsure
        return Node("if", (start, self.i), parts)

    def for_(self) -> Node:
        """``for NAME in WORDS; do L; done`` (the words' substitutions are walked)."""
        start = self.i
        parts = [self.reserved("for")]
        self.blanks()
        name = self.peek_word()
        if not name.isidentifier() or not name.isascii():
            raise _Unsure
        parts.append(Node("word", (self.i, self.i + len(name))))
        self.i += len(name)
        self.blanks()
        if self.peek_word() != "in":
            raise _Unsure
        parts.append(self.reserved("in"))
        while True:
            self.blanks()
            if self.i >= self.n:
                raise _Fails
            c = self.text[self.i]
            if c in ";\n":
                self.i += 1
                break
            if c in _META:
                raise _Unsure
            parts.append(self.word())
        parts.append(self.reserved("do"))
        parts.append(self.body())
        parts.append(self.reserved("done"))
        return Node("for", (start, self.i), parts)


_EXPANDS = re.compile(r"\$[({\[]|`|[<>]\(")
"""What bashlex would expand inside single quotes (it skips the quote characters only)."""
_QUOTED_DELIMITER = re.compile(r"""('[A-Za-z0-9_]*'|"[A-Za-z0-9_]*")(?=[\s;&|<>()]|$)""")
_FUNCTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_ARRAY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")


def _after_continuations(subs: list[Node], continuations: list[int]) -> list[Node]:
    """The substitutions of a word with line continuations in double quotes where bashlex
    puts them: it drops each ``\\<newline>`` from the word before placing what is in it,
    so what follows one is placed 2 characters early (and read from there)."""
    for sub in subs:
        a, b = sub.pos
        before = bisect_left(continuations, a)  # they are in order
        if bisect_left(continuations, b) > before:
            raise _Unsure
        _shift(sub, -2 * before)
    return subs


def _shift(node: Node, by: int) -> None:
    node.pos = (node.pos[0] + by, node.pos[1] + by)
    for part in node.parts:
        _shift(part, by)
    for child in (node.command, node.output):
        if isinstance(child, Node):
            _shift(child, by)
    for child in node.list or ():
        _shift(child, by)


def _is_assignment(raw: str) -> bool:
    name, eq, _ = raw.partition("=")
    name = name.removesuffix("+")
    return bool(eq) and name.isidentifier() and name.isascii()


def _check_substitution(tree: Node, body: str) -> None:
    """What bashlex 0.18 makes of the body of a ``$(...)``, where this reader knows it: on
    one line, without comments, the commands as everywhere else, unless the last part
    (after the last ``;``) has ``&&``, ``||`` or ``&`` or the body ends with ``;`` or ``&``
    (it raises then). A body over several lines is read to its first newline only; that
    and comments are left to bashlex."""
    if "\n" in body or "#" in body:
        raise _Unsure
    parts = tree.parts
    if parts[-1].kind == "operator" and parts[-1].op in (";", "&"):
        raise _Fails
    ops = [p.op for p in parts if p.kind == "operator"]
    last = max((k for k, op in enumerate(ops) if op == ";"), default=-1)
    if any(op in ("&&", "||", "&") for op in ops[last + 1 :]):
        raise _Fails
