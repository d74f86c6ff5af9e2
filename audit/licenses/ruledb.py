"""The license vocabulary: ScanCode's license database compiled into depaudit's own index.

Source: the ``licensedcode-data`` package (ScanCode LicenseDB: every license with its SPDX
id, and the rules — notices, references, tags, URLs, full texts — that name them), data
copyright nexB Inc. and others, licensed CC-BY-4.0. depaudit reads its ``licenses/*.LICENSE``
and ``rules/*.RULE`` files (YAML front matter, then the text) and keeps, per rule, its name,
its license expression mapped to SPDX (``LicenseRef-scancode-<key>`` for licenses SPDX does
not list), its kind and its token string.

The compiled index is cached in the depaudit cache directory (``license-index/``), named by
:func:`data_digest` (the data package's version, place and install time, and :data:`FORMAT`,
worked out without reading the data): built once at first use, rebuilt when either changes
or the file does not check (:mod:`audit.licenses.cachefile`: plain values and raw arrays,
nothing in it can run code). Every rule field is a column (an array of integers, or one
string) and every rule's tokens one UTF-16 string, each rule's part decoded when the rule
is made (:class:`RuleTable`): loading it takes about a hundredth of a second.

Tokens: lower-case words of letters and digits, a trailing ``+`` kept (``gpl-2.0+`` is
``gpl 2 0+``), British spellings folded (``licence``). Each distinct token is given one
character (from U+0100 on), so that a token sequence is a string: rules and file heads are
compared as strings, and the multi-pattern automaton (:mod:`audit.licenses.matcher`) runs
over them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import overload

from audit.keyhash import sha256
from audit.licenses import cachefile

FORMAT = "depaudit/license-index/3"
DISTRIBUTION = "licensedcode-data"
ATTRIBUTION = (
    "License data: ScanCode LicenseDB (licensedcode-data), copyright nexB Inc. and others, "
    "CC-BY-4.0 (https://creativecommons.org/licenses/by/4.0/)"
)
TOKEN_BASE = 0x100
"""The character of token id 0; U+FFFF stands for any word no rule holds."""
UNKNOWN = "\uffff"


def _separators() -> dict[int, str]:
    """Every ASCII character but letters, digits and ``+`` is a separator, and so is
    the common non-ASCII punctuation; ``+`` ends a word."""
    table = {c: " " for c in range(128) if not chr(c).isalnum()}
    table.update({c: " " for c in range(0x80, 0xC0)})  # Latin-1 punctuation, NBSP, ©, ®
    table.update({c: " " for c in range(0x2000, 0x2070)})  # general punctuation, dashes
    table[ord("+")] = "+ "
    return table


_SEPARATORS = _separators()
SEPARATORS_NEWLINE = {**_SEPARATORS, ord("\n"): "\n", ord("+"): "+"}
"""The separators, line ends kept (to tokenize line by line) and ``+`` too: one character
for one (:meth:`str.translate` is then fastest); the caller puts a space after each ``+``."""
_EQUIVALENT = (("licenc", "licens"), ("acknowledgement", "acknowledgment"), ("https", "http"))
"""Spellings folded before splitting (``licence`` -> ``license``)."""

KINDS = ("text", "notice", "reference", "tag")
"""Rule kinds, from the rule's ``is_license_<kind>`` flag; full license texts are ``text``."""
_KIND_IDS = bytes(range(len(KINDS)))
"""The kinds' numbers in the cache file (a byte each): any other byte is no kind."""

_SKIP_KEYS = frozenset(
    {
        "unknown",
        "unknown-license-reference",
        "free-unknown",
        "unknown-spdx",
        "warranty-disclaimer",
        "generic-cla",
        "other-permissive",
        "other-copyleft",
        "commercial-license",
        "proprietary-license",
        "public-domain-disclaimer",
        "generic-export-compliance",
        "generic-trademark",
        "generic-exception",
    }
)
"""Keys that say a license exists without saying which: such rules name no license, so the
matcher does not use them (a reference to ``LICENSE`` is read by the notices scanner)."""


@dataclass(frozen=True)
class Rule:
    """One rule (or license text) of the database, compiled."""

    name: str
    """The rule's file name without extension (``boost-1.0_1``), or ``<key>.LICENSE``."""
    expression: str
    """The license expression in SPDX ids, as the database states it (not yet normalized)."""
    kind: str
    """One of :data:`KINDS`."""
    tokens: str
    """The token string (one character per token)."""
    min_coverage: int
    """Share (0-100) of the rule that an approximate match must cover; 100: exact only."""
    false_positive: bool
    """A text that looks like a license notice but is not one: it cancels what it covers."""
    relevance: int = 100
    """How much a match says (0-100): the rule's own, else 100 from 18 tokens on and
    proportionally less below (a one-word rule says little)."""


_Row = tuple[str, str, str, int, bool, int]
"""A rule but its tokens: name, expression, kind, min_coverage, false_positive, relevance."""


class _Columns(Sequence[_Row]):
    """Every rule but its tokens, column by column as the cache file holds them (each
    row is made when asked for)."""

    def __init__(
        self,
        names: bytes | memoryview,
        expressions: list[str],
        expression_ids: Sequence[int],
        kinds: bytes,
        coverage: Sequence[int],
        false_positive: bytes,
        relevance: Sequence[int],
    ) -> None:
        size = len(expression_ids)
        columns = (kinds, coverage, false_positive, relevance)
        if any(len(c) != size for c in columns) or not all(isinstance(e, str) for e in expressions):
            raise ValueError("rule columns do not agree")
        if size and (max(expression_ids) >= len(expressions) or kinds.translate(None, _KIND_IDS)):
            raise ValueError("rule columns do not agree")
        self._names_utf8 = names
        self._names: list[str] | None = None
        self._expressions = expressions
        self._expression_ids = expression_ids
        self._kinds = kinds
        self._coverage = coverage
        self._false_positive = false_positive
        self._relevance = relevance

    @staticmethod
    def parts(rows: Sequence[_Row]) -> tuple[list[bytes], list[str]]:
        """The columns of ``rows`` (the blobs, in :meth:`__init__`'s order, and the
        distinct expressions)."""
        expressions: dict[str, int] = {}
        ids = array("I", [expressions.setdefault(r[1], len(expressions)) for r in rows])
        kind = {k: i for i, k in enumerate(KINDS)}
        blobs = [
            "\n".join(r[0] for r in rows).encode(),
            ids.tobytes(),
            bytes(kind[r[2]] for r in rows),
            array("i", [r[3] for r in rows]).tobytes(),
            bytes(r[4] for r in rows),
            array("i", [r[5] for r in rows]).tobytes(),
        ]
        return blobs, list(expressions)

    def __len__(self) -> int:
        return len(self._kinds)

    @overload
    def __getitem__(self, i: int) -> _Row: ...

    @overload
    def __getitem__(self, i: slice) -> list[_Row]: ...

    def __getitem__(self, i: int | slice) -> _Row | list[_Row]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        names = self._names
        if names is None:
            names = self._names = str(self._names_utf8, "utf-8", "replace").split("\n")
            if len(names) != len(self):
                raise ValueError("rule columns do not agree")
        return (
            names[i],
            self._expressions[self._expression_ids[i]],
            KINDS[self._kinds[i]],
            self._coverage[i],
            bool(self._false_positive[i]),
            self._relevance[i],
        )


class RuleTable(Sequence[Rule]):
    """The rules of an index: each :class:`Rule` is made the first time it is asked for
    (a scan meets a few hundred of the 33,000); the other fields a matcher needs of every
    rule (:attr:`rows`, :meth:`openings`) are read without making it.

    The token strings are one string, or (loaded from the cache) its bytes in UTF-16-LE
    (or UTF-32-LE) of which each rule's part is decoded when the rule is made."""

    def __init__(
        self, rows: Sequence[_Row], tokens: str | memoryview, ends: Sequence[int], width: int = 2
    ) -> None:
        length = len(tokens) if isinstance(tokens, str) else len(tokens) // width
        if (
            len(rows) != len(ends)
            or (ends and ends[-1] != length)
            or (not ends and length)
            or (not isinstance(tokens, str) and (width not in _CODECS or len(tokens) % width))
        ):
            raise ValueError("rule table: rows, token string and ends do not agree")
        self._rows = rows
        self._text = tokens if isinstance(tokens, str) else None
        """Every rule's token string, one after the other (``None``: not decoded yet)."""
        self._bytes = tokens if isinstance(tokens, memoryview) else None
        self._width = width
        self._ends = ends
        """Where each rule's tokens end in the token string."""
        self._made: list[Rule | None] = [None] * len(rows)

    @classmethod
    def of(cls, rules: Iterable[Rule]) -> RuleTable:
        rows: list[_Row] = []
        tokens: list[str] = []
        ends: list[int] = []
        end = 0
        for r in rules:
            rows.append(
                (r.name, r.expression, r.kind, r.min_coverage, r.false_positive, r.relevance)
            )
            tokens.append(r.tokens)
            end += len(r.tokens)
            ends.append(end)
        return cls(rows, "".join(tokens), ends)

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, i: int) -> Rule: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[Rule, ...]: ...

    def __getitem__(self, i: int | slice) -> Rule | tuple[Rule, ...]:
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))
        rule = self._made[i]
        if rule is None:
            name, expression, kind, coverage, false_positive, relevance = self._rows[i]
            rule = Rule(name, expression, kind, self.tokens(i), coverage, false_positive, relevance)
            self._made[i] = rule
        return rule

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RuleTable):
            return NotImplemented
        return (list(self._rows), self.text, list(self._ends)) == (
            list(other._rows),
            other.text,
            list(other._ends),
        )

    __hash__ = None  # type: ignore[assignment]

    def _start(self, i: int) -> int:
        return self._ends[i - 1] if i > 0 else 0

    def tokens(self, i: int) -> str:
        """Rule ``i``'s token string."""
        if i < 0:
            i += len(self)
        start, end = self._start(i), self._ends[i]
        if self._text is not None:
            return self._text[start:end]
        assert self._bytes is not None
        w = self._width
        return str(self._bytes[start * w : end * w], _CODECS[w], "replace")

    @property
    def text(self) -> str:
        """Every rule's token string, one after the other."""
        if self._text is None:
            assert self._bytes is not None
            self._text = str(self._bytes, _CODECS[self._width], "replace")
        return self._text

    @property
    def rows(self) -> Sequence[_Row]:
        """Every rule but its tokens, as ``(name, expression, kind, min_coverage,
        false_positive, relevance)``."""
        return self._rows

    def openings(self, size: int) -> list[str]:
        """The first ``size`` tokens of every rule (all of them when it has fewer)."""
        tokens = self.text
        starts = [0, *self._ends[:-1]]
        return [tokens[a : min(a + size, b)] for a, b in zip(starts, self._ends, strict=True)]

    def _parts(self) -> tuple[Sequence[_Row], str, Sequence[int]]:
        return self._rows, self.text, self._ends


@dataclass(frozen=True)
class LicenseIndex:
    """The compiled database."""

    data_version: str
    vocabulary: dict[str, str]
    """Token -> its character (:func:`token_codes`, in the tokens' order)."""
    rules: RuleTable
    exceptions: frozenset[str] = frozenset()
    """SPDX ids (or LicenseRefs) of the database's license exceptions."""


def tokenize(text: str) -> list[str]:
    """The tokens of ``text`` (see the module docstring)."""
    text = fold(text)
    words = text.translate(_SEPARATORS).split()
    return [w for w in words if w != "+"] if "+" in text else words


def fold(text: str) -> str:
    """``text`` in lower case with the equivalent spellings folded."""
    text = text.lower()
    for old, new in _EQUIVALENT:
        if old in text:
            text = text.replace(old, new)
    return text


def encode(tokens: list[str], vocabulary: dict[str, str]) -> str:
    """``tokens`` as a string of token characters (:data:`UNKNOWN` for words no rule has)."""
    get = vocabulary.get
    return "".join([get(t, UNKNOWN) for t in tokens])


# -- reading the data package -------------------------------------------------------------


@dataclass(frozen=True)
class Installed:
    """The installed ``licensedcode-data``."""

    root: Path
    """Its ``licensedcode/data``."""
    version: str


@lru_cache(maxsize=1)
def installed() -> Installed | None:
    """The installed ``licensedcode-data`` (looked up once per process), or ``None``."""
    return _beside_package() or _from_metadata()


_DIST_INFO = ("licensedcode_data-", ".dist-info")


def _beside_package() -> Installed | None:
    """Found as the import system finds the ``licensedcode`` package: its ``data``
    directory, and the version in the name of the one ``licensedcode_data-<version>.dist-info``
    beside it (a wheel's install). A few hundred microseconds: importing
    :mod:`importlib.metadata` and asking it takes about 13 ms of every scanning process."""
    try:
        spec = importlib.util.find_spec("licensedcode")
    except (ImportError, ValueError):
        return None
    start, end = _DIST_INFO
    for location in (spec.submodule_search_locations or []) if spec else []:
        package = Path(location)
        try:
            infos = [
                n for n in os.listdir(package.parent) if n.startswith(start) and n.endswith(end)
            ]
        except OSError:
            continue
        if len(infos) == 1 and _holds_data(package / "data"):
            return Installed(package / "data", infos[0][len(start) : -len(end)])
    return None


def _from_metadata() -> Installed | None:
    """Found by :mod:`importlib.metadata` (any other kind of install)."""
    import importlib.metadata

    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    root = Path(str(dist.locate_file("licensedcode/data")))
    return Installed(root, dist.version) if _holds_data(root) else None


def _holds_data(root: Path) -> bool:
    return (root / "rules").is_dir() and (root / "licenses").is_dir()


def data_root() -> Path | None:
    """``licensedcode/data`` of the installed ``licensedcode-data``, or ``None``."""
    found = installed()
    return found.root if found is not None else None


@lru_cache(maxsize=1)
def data_digest() -> str | None:
    """Names the installed database: a hash of :data:`FORMAT`, the package's version,
    where it is installed and when its ``licenses/`` and ``rules/`` directories last
    changed (installing or upgrading it makes and removes files there). No file is read:
    worked out once per process (the scan cache's fingerprint and the index both ask), in
    well under a millisecond."""
    found = installed()
    if found is None:
        return None
    parts = [FORMAT, found.version, str(found.root)]
    for sub in ("licenses", "rules"):
        st = os.stat(found.root / sub)
        parts += [str(st.st_mtime_ns), str(st.st_ino), str(st.st_size)]
    return sha256("\0".join(parts).encode()).hexdigest()[:32]


def _front_matter(text: str) -> tuple[dict[str, object], str]:
    """The scalar keys and lists of a ``---`` front matter, and the text after it."""
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        return {}, text
    head = text[3:end]
    body = text[text.find("\n", end + 1) + 1 :] if text.find("\n", end + 1) >= 0 else ""
    meta: dict[str, object] = {}
    current: list[str] | None = None
    for line in head.splitlines():
        if not line.strip():
            continue
        if line[0] in " \t":
            item = line.strip()
            if current is not None and item.startswith("- "):
                current.append(item[2:].strip())
            continue
        key, sep, value = line.partition(":")
        if not sep:
            current = None
            continue
        value = value.strip()
        if value:
            meta[key] = value.strip("'\"")
            current = None
        else:
            current = []
            meta[key] = current
    return meta, body


def _yes(meta: dict[str, object], key: str) -> bool:
    return str(meta.get(key, "")).lower() in ("yes", "true")


_EXPR_PART = re.compile(r"\s*(\(|\)|[^\s()]+)")


def _to_spdx(expression: str, spdx: dict[str, str]) -> str | None:
    """A ScanCode expression in SPDX ids, or ``None`` when a key is unknown or says nothing."""
    out: list[str] = []
    for m in _EXPR_PART.finditer(expression):
        part = m[1]
        low = part.lower()
        if part in "()":
            out.append(part)
        elif low in ("and", "or", "with"):
            out.append(low.upper())
        else:
            if low in _SKIP_KEYS or low not in spdx:
                return None
            out.append(spdx[low])
    text = " ".join(out).replace("( ", "(").replace(" )", ")")
    return text or None


def _files(directory: Path, suffix: str) -> Iterator[tuple[str, str]]:
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        if entry.name.endswith(suffix):
            with open(entry.path, encoding="utf-8", errors="replace") as fh:
                yield entry.name[: -len(suffix)], fh.read()


def build(root: Path, data_version: str = "") -> LicenseIndex:
    """Compile the database under ``root`` (``licensedcode/data``)."""
    spdx: dict[str, str] = {}
    exceptions: set[str] = set()
    texts: list[tuple[str, str, str]] = []
    for key, text in _files(root / "licenses", ".LICENSE"):
        meta, body = _front_matter(text)
        lkey = str(meta.get("key", key)).lower()
        spdx_key = str(meta.get("spdx_license_key") or f"LicenseRef-scancode-{lkey}")
        if _yes(meta, "is_deprecated"):
            continue
        spdx[lkey] = spdx_key
        if _yes(meta, "is_exception"):
            exceptions.add(spdx_key)
        if not _yes(meta, "is_unknown") and not _yes(meta, "is_generic") and body.strip():
            texts.append((f"{lkey}.LICENSE", lkey, body))
    raw: list[tuple[str, str, str, int, bool, int, str]] = []
    for name, ltext_key, body in texts:
        raw.append((name, ltext_key, "text", 100, False, -1, body))
    for name, text in _files(root / "rules", ".RULE"):
        meta, body = _front_matter(text)
        if _yes(meta, "is_deprecated") or _yes(meta, "is_license_clue"):
            continue
        if _yes(meta, "is_license_intro"):
            continue
        expression = str(meta.get("license_expression", ""))
        kind = next((k for k in KINDS if _yes(meta, f"is_license_{k}")), "notice")
        coverage = int(str(meta.get("minimum_coverage", "0")) or 0)
        relevance = int(str(meta.get("relevance", "-1")) or -1)
        false_positive = _yes(meta, "is_false_positive")
        raw.append((name, expression, kind, coverage, false_positive, relevance, body))
    kept: list[tuple[str, str, str, int, bool, int, list[str]]] = []
    words: set[str] = set()
    for name, expression, kind, coverage, false_positive, relevance, body in raw:
        mapped = "" if false_positive else _to_spdx(expression, spdx)
        if mapped is None:
            continue
        tokens = tokenize(body)
        if tokens:
            words.update(tokens)
            if relevance < 0:
                relevance = min(100, len(tokens) * 100 // 18)
            kept.append((name, mapped, kind, coverage, false_positive, relevance, tokens))
    vocabulary = _vocabulary(sorted(words))
    char = vocabulary.__getitem__
    rules = RuleTable.of(
        Rule(name, mapped, kind, "".join(map(char, tokens)), coverage, false_positive, relevance)
        for name, mapped, kind, coverage, false_positive, relevance, tokens in kept
    )
    return LicenseIndex(data_version, vocabulary, rules, frozenset(exceptions))


def _vocabulary(words: list[str]) -> dict[str, str]:
    """Token -> character: U+0100 up to the surrogates, then from U+10000 on (most strings
    then take two bytes a character): the :func:`token_codes` in the words' order."""
    return dict(zip(words, map(chr, chain(*token_codes(len(words)))), strict=False))


def token_codes(count: int) -> tuple[range, range]:
    """The code points of the characters of ``count`` tokens, in order (ascending): those
    below the surrogates, then those from U+10000 on."""
    low = min(count, 0xD800 - TOKEN_BASE)
    return range(TOKEN_BASE, TOKEN_BASE + low), range(0x10000, 0x10000 + count - low)


# -- the cache ----------------------------------------------------------------------------


_CODECS = {2: "utf-16-le", 4: "utf-32-le"}
"""How the token string is stored, by bytes per token: decoded far faster than marshal's
UTF-8 (the tokens are characters from U+0100 on), and each rule's part alone."""


def _dump(index: LicenseIndex, digest: str = "") -> bytes:
    """The cache file's bytes (:func:`audit.licenses.cachefile.dump` of :data:`FORMAT`):
    the vocabulary's words and each rule column as raw bytes."""
    rows, tokens, ends = index.rules._parts()
    width = 2 if not tokens or max(tokens) < "\ud800" else 4
    columns, expressions = _Columns.parts(rows)
    words = "\n".join(index.vocabulary)
    value = (index.data_version, sorted(index.exceptions), words, expressions, width)
    blobs = [array("I", ends).tobytes(), *columns, tokens.encode(_CODECS[width])]
    return cachefile.dump(FORMAT, digest, value, blobs)


def _load(data: bytes, digest: str = "") -> LicenseIndex | None:
    """The index a cache file's bytes hold, or ``None`` when it is not one of
    :data:`FORMAT` made from the database ``digest`` names, or damaged (it does not check,
    or does not hold together)."""
    return _index(cachefile.load(FORMAT, digest, data))


def _index(loaded: cachefile.Loaded | None) -> LicenseIndex | None:
    if loaded is None:
        return None
    try:
        version, exceptions, words, expressions, width = loaded.value
        ends_bytes, names, ids_bytes, kinds, coverage, false_positive, relevance, tokens = (
            loaded.blobs
        )
        ends, ids, cover, relevant = (array("I"), array("I"), array("i"), array("i"))
        for a, b in (
            (ends, ends_bytes),
            (ids, ids_bytes),
            (cover, coverage),
            (relevant, relevance),
        ):
            a.frombytes(b)
        columns = _Columns(
            names, expressions, ids, bytes(kinds), cover, bytes(false_positive), relevant
        )
        rules = RuleTable(columns, memoryview(tokens), ends, width)
        if not isinstance(version, str) or not isinstance(words, str):
            return None
        vocabulary = _vocabulary(words.split("\n") if words else [])
        return LicenseIndex(version, vocabulary, rules, frozenset(exceptions))
    except (ValueError, TypeError, AttributeError):
        return None


def cache_path(cache_dir: Path, digest: str) -> Path:
    return cache_dir / "license-index" / f"{digest}.bin"


def load_or_build(cache_dir: Path) -> LicenseIndex | None:
    """The index from the cache, else built from the data package and cached; ``None``
    when ``licensedcode-data`` is not installed."""
    found = installed()
    digest = data_digest()
    if found is None or digest is None:
        return None
    path = cache_path(cache_dir, digest)
    index = _read(path, digest)
    if index is not None:
        return index
    with _build_lock(path):  # one process builds, the scan's other workers wait and load
        index = _read(path, digest)
        if index is not None:
            return index
        index = build(found.root, found.version)
        cachefile.write(path, _dump(index, digest))
    return index


def _read(path: Path, digest: str) -> LicenseIndex | None:
    return _index(cachefile.read(FORMAT, digest, path))


@contextlib.contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    """An exclusive lock beside the index file (none where it cannot be taken)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except (ImportError, OSError):
            pass
        yield
    finally:
        os.close(fd)


@lru_cache(maxsize=1)
def license_index() -> LicenseIndex | None:
    """The index of the installed database, cached in the depaudit cache directory."""
    from audit.cachedir import default_cache_dir

    return load_or_build(default_cache_dir())


__all__ = [
    "ATTRIBUTION",
    "FORMAT",
    "LicenseIndex",
    "Rule",
    "RuleTable",
    "build",
    "data_digest",
    "data_root",
    "encode",
    "license_index",
    "load_or_build",
    "tokenize",
]
