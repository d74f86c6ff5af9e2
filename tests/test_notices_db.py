"""The notices scanner against a test set built from the license database itself.

A fixed sample of the database's notice, reference and tag rules (every
:data:`STEP`-th eligible rule by name) is embedded in the comment syntax of ten languages
(C, Go, Python, Java, JavaScript, TypeScript, Rust, Ruby, shell, CMake, Makefile), one rule
per file, below a copyright line and above some code; a fixed sample of full license
texts is written as ``LICENSE`` files. A file is *exact* when the licenses the scanner
reads in it (SPDX tags, prose notices, license texts) are exactly the rule's, normalized.
A control set of source files that mention licenses without stating one must give no
license at all.

The expectations are the database's own, mapped to SPDX by depaudit
(:mod:`audit.licenses.ruledb`); the bars are those of issue 20: >= 95 % exact and
>= 0.97 precision on license keys.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from licensedb import licensedb_matcher

from audit.licenses import matcher as db
from audit.licenses.ruledb import Rule
from audit.scanners.base import SourceFile
from audit.scanners.notices import normalize_spdx, scan_notices

STEP = 97
"""Every STEP-th eligible notice/reference/tag rule (by name) is in the sample."""
TEXT_STEP = 41
"""Every TEXT_STEP-th full license text with an SPDX id is in the sample."""
LICENSE_KINDS = ("spdx-tag", "prose", "license-text", "matched")


def _block(open_: str, middle: str, close: str) -> Callable[[str], str]:
    def wrap(text: str) -> str:
        body = "".join(f"{middle}{line}".rstrip() + "\n" for line in text.splitlines())
        return f"{open_}{body}{close}"

    return wrap


def _lines(prefix: str) -> Callable[[str], str]:
    return _block("", prefix, "")


LANGUAGES: tuple[tuple[str, Callable[[str], str], str], ...] = (
    ("src/x.c", _block("/*\n", " * ", " */\n"), "int main(void) { return 0; }\n"),
    ("pkg/x.go", _lines("// "), "package x\n\nfunc F() int { return 1 }\n"),
    ("tools/x.py", _lines("# "), "import os\n\nprint(os.getcwd())\n"),
    ("src/X.java", _block("/*\n", " * ", " */\n"), "package x;\n\nclass X {}\n"),
    ("web/x.js", _block("/**\n", " * ", " */\n"), "export const x = 1;\n"),
    ("web/x.ts", _lines("// "), "export const x: number = 1;\n"),
    ("src/x.rs", _lines("// "), "fn main() {}\n"),
    ("lib/x.rb", _lines("# "), "puts 'x'\n"),
    ("scripts/x.sh", _lines("# "), "set -eu\necho x\n"),
    ("cmake/x.cmake", _lines("# "), "set(X ON)\n"),
    ("Makefile", _lines("# "), "all:\n\t@echo x\n"),
)


def _expected(rule: Rule) -> str | None:
    return normalize_spdx(rule.expression) if rule.expression else None


def _text_of(m: db.Matcher, rule: Rule) -> str:
    """The rule's words (its token string decoded), wrapped at about 70 characters."""
    words = m.words(rule.tokens)
    lines, line = [], ""
    for w in words:
        if line and len(line) + len(w) > 70:
            lines.append(line)
            line = ""
        line = f"{line} {w}" if line else w
    lines.append(line)
    return "\n".join(lines)


def _eligible(m: db.Matcher) -> list[Rule]:
    return sorted(
        (
            r
            for r in m.rules
            if r.kind in ("notice", "reference", "tag")
            and not r.false_positive
            and _expected(r)
            and all(e not in r.expression for e in m.index.exceptions)
        ),
        key=lambda r: r.name,
    )


def _found(path: str, text: str) -> set[str]:
    result = scan_notices(SourceFile(path, text))
    return {n.expression for n in result.notices if n.kind in LICENSE_KINDS and n.expression}


def _keys(expression: str) -> set[str]:
    words = expression.replace("(", " ").replace(")", " ").split()
    return {w for w in words if w not in ("AND", "OR", "WITH")}


def _score(cases: list[tuple[str, str, str]]) -> tuple[float, float, list[str]]:
    exact, tp, fp, misses = 0, 0, 0, []
    for path, text, expected in cases:
        found = _found(path, text)
        if found == {expected}:
            exact += 1
        else:
            misses.append(f"{path}: expected {expected}, found {sorted(found)}")
        want = _keys(expected)
        got = set().union(*map(_keys, found)) if found else set()
        tp += len(got & want)
        fp += len(got - want)
    return exact / len(cases), tp / max(1, tp + fp), misses


def _notice_cases() -> list[tuple[str, str, str]]:
    m = licensedb_matcher()
    cases = []
    for i, rule in enumerate(_eligible(m)[::STEP]):
        path, wrap, code = LANGUAGES[i % len(LANGUAGES)]
        expected = _expected(rule)
        assert expected
        header = wrap(f"Copyright (c) 2024 Example Authors\n\n{_text_of(m, rule)}")
        cases.append((path, f"{header}\n{code}", expected))
    return cases


def _text_cases() -> list[tuple[str, str, str]]:
    m = licensedb_matcher()
    texts = sorted(
        (r for r in m.rules if r.kind == "text" and r.name.endswith(".LICENSE")),
        key=lambda r: r.name,
    )
    cases = []
    for rule in texts:
        expected = _expected(rule)
        if (
            expected
            and not expected.startswith("LicenseRef-")
            and expected not in m.index.exceptions
        ):
            cases.append(("LICENSE", _text_of(m, rule), expected))
    return cases[::TEXT_STEP]


def test_sample_sizes() -> None:
    """The sample is large enough to mean something, in every language."""
    notices, texts = _notice_cases(), _text_cases()
    assert len(notices) >= 250
    assert len(texts) >= 10
    assert {p for p, _, _ in notices} == {p for p, _, _ in LANGUAGES}


def test_notices_and_references_in_ten_languages() -> None:
    exact, precision, misses = _score(_notice_cases())
    assert exact >= 0.95, "\n".join(misses)
    assert precision >= 0.97, "\n".join(misses)


def test_full_license_texts() -> None:
    exact, precision, misses = _score(_text_cases())
    assert exact >= 0.95, "\n".join(misses)
    assert precision >= 0.97, "\n".join(misses)


CONTROL_LINES = (
    "Check the license field of every package before the release.",
    "TODO: read the license key from the configuration file.",
    "The parser keeps the copyright holder's name as written.",
    "Distribute the work items over the worker pool.",
    "Permission checks happen in the API layer.",
    "See the design notes for the public API of this module.",
    "Returns the exception raised by the last call, if any.",
    "Warranty periods are stored in days.",
)
CONTROL_CODE = (
    "license_key = config.get('license')",
    '#define DRIVER_VERSION "1.0"',
    'const char *name = "gpl_compatible";',
    "if (permission == NULL) { return -1; }",
    "x = distribute(items, workers)",
)


def _control_cases() -> list[tuple[str, str]]:
    rng = random.Random(20)
    cases = []
    for i in range(110):
        path, wrap, code = LANGUAGES[i % len(LANGUAGES)]
        comment = "\n".join(rng.sample(CONTROL_LINES, 3))
        extra = "\n".join(rng.sample(CONTROL_CODE, 2))
        cases.append((path, f"{wrap(comment)}\n{code}{extra}\n"))
    return cases


def test_control_set_gives_no_license() -> None:
    licensedb_matcher()
    wrong = [
        f"{path}: {sorted(found)}"
        for path, text in _control_cases()
        if (found := _found(path, text))
    ]
    assert wrong == []
