"""Safe YAML loading that keeps the 1-based line of every mapping key and scalar.

CI configurations are untrusted input. This module reads them with PyYAML's safe
machinery (the libyaml ``CSafeLoader`` parser when present, else ``SafeLoader``) at the
event level and builds its own tree, so that:

- no tag is ever constructed into an object: core tags give plain values, any other tag
  (``!reference``, ``!!python/object``...) is only recorded in :attr:`Marked.tag`;
- anchors and aliases are resolved, merge keys (``<<: *defaults``) too, and the number of
  nodes an alias expands to is counted, so "billion laughs" documents stop with an error;
- nesting depth is bounded without recursion (deep input cannot overflow the stack);
- duplicate keys become :class:`~audit.model.Problem` values (the last one wins);
- malformed YAML becomes a ``parse-error`` problem carrying the line of the YAML mark.

Aliased subtrees are shared, not copied: the tree is immutable, so this is safe and keeps
memory linear in the input size.

Scalars: null, bool, int and float are constructed as YAML 1.1 says (as PyYAML does, so
``on:`` is ``True``); every other scalar, timestamps and binaries included, stays a ``str``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from audit import memo
from audit.model import Problem

_CORE = "tag:yaml.org,2002:"
_MERGE_TAG = _CORE + "merge"
_PLAIN_TAGS = frozenset(
    _CORE + t for t in ("str", "null", "bool", "int", "float", "seq", "map", "timestamp")
)


@dataclass(frozen=True)
class Marked:
    """A YAML value with the 1-based line where it starts.

    ``value`` is ``None``, ``bool``, ``int``, ``float`` or ``str`` for scalars, a tuple of
    :class:`Marked` for sequences and a :class:`MarkedMap` for mappings.
    """

    value: Any
    line: int
    style: str = ""
    """Scalar style: ``''`` plain, ``"'"``, ``'"'``, ``'|'`` literal or ``'>'`` folded."""
    tag: str = ""
    """An explicit tag that is not a core one (e.g. ``!reference``); ``''`` otherwise."""

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, MarkedMap)

    @property
    def is_seq(self) -> bool:
        return isinstance(self.value, tuple)

    @property
    def is_scalar(self) -> bool:
        return not isinstance(self.value, (MarkedMap, tuple))

    @property
    def is_str(self) -> bool:
        return isinstance(self.value, str)

    @property
    def content_line(self) -> int:
        """The line of the scalar's first character of content.

        For a block scalar (``|`` or ``>``) the mark is at the indicator; its content
        starts on the next line, and for ``|`` text line ``i`` is file line
        ``content_line + i``.
        """
        return self.line + 1 if self.style in ("|", ">") else self.line

    def get(self, key: Any) -> Marked | None:
        """The value under ``key`` when this is a mapping, else ``None``."""
        return self.value.get(key) if isinstance(self.value, MarkedMap) else None

    def text(self) -> str | None:
        """The scalar as a string (numbers and booleans as written in YAML); ``None`` else."""
        return scalar_text(self.value) if self.is_scalar and self.value is not None else None


@dataclass(frozen=True)
class MarkedMap:
    """An ordered mapping of marked keys to marked values (keys are plain hashables)."""

    entries: tuple[tuple[Marked, Marked], ...] = ()
    _index: dict[Any, int] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        for i, (k, _) in enumerate(self.entries):
            self._index[k.value] = i

    def get(self, key: Any) -> Marked | None:
        i = self._index.get(key)
        return None if i is None else self.entries[i][1]

    def key(self, key: Any) -> Marked | None:
        """The marked key itself (its line is where the key is written)."""
        i = self._index.get(key)
        return None if i is None else self.entries[i][0]

    def items(self) -> tuple[tuple[Marked, Marked], ...]:
        return self.entries

    def keys(self) -> tuple[Any, ...]:
        return tuple(k.value for k, _ in self.entries)

    def __contains__(self, key: object) -> bool:
        try:
            return key in self._index
        except TypeError:
            return False

    def __iter__(self) -> Iterator[Any]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(frozen=True)
class Limits:
    """Bounds on what one document may expand to."""

    max_depth: int = 100
    """Deepest allowed nesting of collections."""
    max_nodes: int = 250_000
    """Most nodes the document may hold once every alias is expanded."""


DEFAULT_LIMITS = Limits()


class YamlError(ValueError):
    """A document that cannot be loaded; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.message = message
        self.line = line


def scalar_text(value: Any) -> str:
    """A scalar value back as YAML text: ``True`` is ``true``, ``None`` is ``''``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_plain(node: Marked | None) -> Any:
    """The value without marks: dicts, lists and scalars (as ``yaml.safe_load`` gives)."""
    if node is None:
        return None
    if isinstance(node.value, MarkedMap):
        return {k.value: to_plain(v) for k, v in node.value.entries}
    if isinstance(node.value, tuple):
        return [to_plain(v) for v in node.value]
    return node.value


def load(
    text: str, path: str, scanner: str = "", limits: Limits = DEFAULT_LIMITS
) -> tuple[Marked | None, tuple[Problem, ...]]:
    """Load the first document of ``text``; never raises.

    Returns ``(None, problems)`` for an empty stream or a fatal error (a ``parse-error``
    problem at the line of the YAML mark). Further documents are reported as ``skipped``.
    """
    docs, problems = load_all(text, path, scanner, limits)
    if len(docs) > 1:
        problems += (
            Problem(path, docs[1].line, "skipped", "only the first YAML document is read", scanner),
        )
    return (docs[0] if docs else None), problems


_REMEMBERED = 32
_REMEMBERED_CHARS = memo.MAX_CHARS


@memo.per_text(_REMEMBERED, _REMEMBERED_CHARS)
def load_all(
    text: str, path: str, scanner: str = "", limits: Limits = DEFAULT_LIMITS
) -> tuple[tuple[Marked, ...], tuple[Problem, ...]]:
    """Load every document of ``text``; never raises.

    On a fatal error the documents read so far are returned with a ``parse-error``.
    A text of at most :data:`_REMEMBERED_CHARS` characters is loaded once per process for
    the same path, scanner and limits (the last :data:`_REMEMBERED`; the result is
    immutable): a reusable workflow is read by the scan and again for each of its callers.
    """
    builder = _Builder(path, scanner, limits)
    try:
        builder.run(text)
    except YamlError as exc:
        builder.problems.append(Problem(path, exc.line, "parse-error", exc.message, scanner))
    return tuple(builder.documents), tuple(builder.problems)


# Building -------------------------------------------------------------------------------


@dataclass
class _Frame:
    """An open collection while its events arrive."""

    is_map: bool
    line: int
    tag: str
    anchor: str | None
    items: list[Marked] = field(default_factory=list)
    entries: list[tuple[Marked, Marked]] = field(default_factory=list)
    pending_key: Marked | None = None
    size: int = 1


class _Builder:
    """Turns a PyYAML event stream into :class:`Marked` trees, within :class:`Limits`."""

    def __init__(self, path: str, scanner: str, limits: Limits) -> None:
        self.path = path
        self.scanner = scanner
        self.limits = limits
        self.documents: list[Marked] = []
        self.problems: list[Problem] = []
        self._stack: list[_Frame] = []
        self._anchors: dict[str, tuple[Marked, int] | _Frame] = {}
        self._count = 0
        self._root: tuple[Marked, int] | None = None

    def run(self, text: str) -> None:
        import yaml

        loader_cls = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
        from yaml import events as ev

        try:
            loader = loader_cls(text)
        except yaml.YAMLError as exc:
            raise _error(exc, text, self.limits.max_depth) from None
        newlines = text.count("\n")
        last = 0
        try:
            while True:
                try:
                    if not loader.check_event():
                        break
                    event = loader.get_event()
                except yaml.YAMLError as exc:
                    raise _error(exc, text, self.limits.max_depth) from None
                line = event.start_mark.line + 1 if event.start_mark else 0
                if line > newlines:  # maybe at the end of the stream, past the last line
                    last = last or _last_line(text)
                    line = min(line, last)
                if isinstance(event, ev.DocumentStartEvent):
                    self._anchors = {}
                    self._count = 0
                    self._root = None
                elif isinstance(event, ev.DocumentEndEvent):
                    if self._root is not None:
                        self.documents.append(self._root[0])
                elif isinstance(event, ev.ScalarEvent):
                    self._scalar(event, line)
                elif isinstance(event, ev.AliasEvent):
                    self._alias(event.anchor, line)
                elif isinstance(event, (ev.SequenceStartEvent, ev.MappingStartEvent)):
                    self._start(event, line, isinstance(event, ev.MappingStartEvent))
                elif isinstance(event, (ev.SequenceEndEvent, ev.MappingEndEvent)):
                    self._end()
        finally:
            dispose = getattr(loader, "dispose", None)
            if dispose is not None:
                dispose()

    # events

    def _grow(self, n: int, line: int) -> None:
        self._count += n
        if self._count > self.limits.max_nodes:
            raise YamlError(
                f"document expands to more than {self.limits.max_nodes} nodes "
                "(alias expansion bomb?); not read",
                line,
            )

    def _scalar(self, event: Any, line: int) -> None:
        self._grow(1, line)
        tag = event.tag
        if tag is None or tag == "!":
            tag = _resolve(event.value, event.implicit)
        value = event.value
        if tag in (_CORE + "null", _CORE + "bool", _CORE + "int", _CORE + "float"):
            try:
                value = _construct(tag, event.value)
            except (ValueError, KeyError, TypeError, ArithmeticError):
                self._problem(line, f"{event.value!r} is not a valid {tag.rsplit(':', 1)[-1]}")
        shown = "" if tag in _PLAIN_TAGS else tag
        self._attach(Marked(value, line, event.style or "", shown), 1, event.anchor)

    def _alias(self, anchor: str | None, line: int) -> None:
        target = self._anchors.get(anchor) if anchor is not None else None
        if target is None:
            raise YamlError(f"found undefined alias *{anchor}", line)
        if isinstance(target, _Frame):
            raise YamlError(f"recursive alias *{anchor} refers to its own enclosing node", line)
        node, size = target
        self._grow(size, line)
        self._attach(node, size, None)

    def _start(self, event: Any, line: int, is_map: bool) -> None:
        if len(self._stack) >= self.limits.max_depth:
            raise YamlError(f"nesting deeper than {self.limits.max_depth} levels; not read", line)
        self._grow(1, line)
        tag = event.tag or ""
        if tag in _PLAIN_TAGS or tag == "!":
            tag = ""
        frame = _Frame(is_map, line, tag, event.anchor)
        if event.anchor is not None:
            self._anchors[event.anchor] = frame
        self._stack.append(frame)

    def _end(self) -> None:
        frame = self._stack.pop()
        if frame.is_map:
            if frame.pending_key is not None:  # unreachable with a well-formed stream
                frame.entries.append((frame.pending_key, Marked(None, frame.pending_key.line)))
            node = Marked(self._mapping(frame.entries), frame.line, "", frame.tag)
        else:
            node = Marked(tuple(frame.items), frame.line, "", frame.tag)
        self._attach(node, frame.size, frame.anchor)

    def _attach(self, node: Marked, size: int, anchor: str | None) -> None:
        if anchor is not None:
            self._anchors[anchor] = (node, size)
        if not self._stack:
            self._root = (node, size)
            return
        parent = self._stack[-1]
        parent.size += size
        if not parent.is_map:
            parent.items.append(node)
        elif parent.pending_key is None:
            parent.pending_key = node
        else:
            parent.entries.append((parent.pending_key, node))
            parent.pending_key = None

    # mappings

    def _mapping(self, raw: list[tuple[Marked, Marked]]) -> MarkedMap:
        merged: list[tuple[Marked, Marked]] = []
        explicit: list[tuple[Marked, Marked]] = []
        seen: dict[Any, int] = {}
        for key, value in raw:
            if key.tag == _MERGE_TAG:
                merged.extend(self._merge_entries(value))
                continue
            if not key.is_scalar:
                self._problem(key.line, "a mapping key that is a collection is not supported")
                continue
            first = seen.get(key.value)
            if first is not None:
                self._problem(
                    key.line,
                    f"duplicate key {scalar_text(key.value)!r} (first at line {first}); "
                    "the last one wins",
                )
            else:
                seen[key.value] = key.line
            explicit.append((key, value))
        out: list[tuple[Marked, Marked]] = []
        where: dict[Any, int] = {}
        for key, value in merged + explicit:
            i = where.get(key.value)
            if i is None:
                where[key.value] = len(out)
                out.append((key, value))
            else:
                out[i] = (key, value)
        return MarkedMap(tuple(out))

    def _merge_entries(self, value: Marked) -> list[tuple[Marked, Marked]]:
        if isinstance(value.value, MarkedMap):
            return list(value.value.entries)
        if isinstance(value.value, tuple):
            out: list[tuple[Marked, Marked]] = []
            for sub in reversed(value.value):
                if isinstance(sub.value, MarkedMap):
                    out.extend(sub.value.entries)
                else:
                    self._problem(sub.line, "a merge key (<<) list item must be a mapping")
            return out
        self._problem(value.line, "a merge key (<<) needs a mapping or a list of mappings")
        return []

    def _problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, "parse-error", message, self.scanner))


def _last_line(text: str) -> int:
    """The number of the file's last line (as :class:`~audit.scanners.base.SourceFile`
    counts lines): PyYAML puts what it finds at the end of the stream one line past it."""
    return len(text.splitlines()) or 1


def _error(exc: Exception, text: str, max_depth: int) -> YamlError:
    """A PyYAML error as a :class:`YamlError` with the line of its mark.

    Newer libyaml builds refuse deep flow nesting in their scanner, before depaudit's own
    depth bound sees the events: that refusal is reported in depaudit's words, so the
    message does not depend on which PyYAML/libyaml build is installed.

    At the end of the stream PyYAML's mark is on the line after the last one; the line
    given is then the one where the construct left open starts (the opening quote or
    bracket: PyYAML's context mark), else the file's last line.
    """
    context_mark = getattr(exc, "context_mark", None)
    mark = getattr(exc, "problem_mark", None) or context_mark
    if mark is not None:
        line = mark.line + 1
        last = _last_line(text)
        if line > last:
            opened = context_mark.line + 1 if context_mark is not None else last
            line = min(opened, last)
    elif isinstance(getattr(exc, "position", None), int):
        # the reader's position may count encoded units, not characters: stay in the file
        line = min(text.count("\n", 0, exc.position) + 1, _last_line(text))  # type: ignore[attr-defined]
    else:
        line = 0
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    if problem:
        message = f"{context}, {problem}" if context else str(problem)
    else:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "nesting depth" in message:
        return YamlError(f"nesting deeper than {max_depth} levels; not read", line)
    return YamlError(f"malformed YAML: {message}", line)


_resolver: Any = None
_constructor: Any = None


def _resolve(value: str, implicit: tuple[bool, bool]) -> str:
    global _resolver
    import yaml

    if _resolver is None:
        _resolver = yaml.resolver.Resolver()
    tag: str = _resolver.resolve(yaml.ScalarNode, value, implicit)
    return tag


def _construct(tag: str, value: str) -> Any:
    """Construct a null, bool, int or float scalar with PyYAML's safe constructor."""
    global _constructor
    import yaml

    if _constructor is None:
        _constructor = yaml.constructor.SafeConstructor()
    node = yaml.ScalarNode(tag, value)
    name = tag.rsplit(":", 1)[-1]
    return getattr(_constructor, f"construct_yaml_{name}")(node)


__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "Marked",
    "MarkedMap",
    "YamlError",
    "load",
    "load_all",
    "scalar_text",
    "to_plain",
]
