"""Notices and evidence are made by an ``__init__`` that sets each slot through its own
setter (:func:`audit.model.set_by_slots`): the same parameters, defaults and values as the
``__init__`` :mod:`dataclasses` writes."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.context import Classification
from audit.model import (
    Component,
    ComponentKind,
    ComponentResult,
    Evidence,
    LicenseInfo,
    Notice,
    Problem,
    ScanResult,
    Status,
    Verdict,
    set_by_slots,
)


def _shape() -> type:
    """A new slotted frozen data class of four fields (two with defaults) and a
    ``__post_init__`` that trims ``a``: one made as :mod:`dataclasses` makes it, one given
    :func:`set_by_slots`."""

    @dataclasses.dataclass(frozen=True, slots=True)
    class Shape:
        a: str
        b: int
        c: float = 1.0
        d: str = ""

        def __post_init__(self) -> None:
            if self.a != self.a.strip():
                object.__setattr__(self, "a", self.a.strip())

    return Shape


_Plain = _shape()
_Set = set_by_slots(_shape())


def _values(x: object) -> tuple[object, ...]:
    return tuple(getattr(x, f.name) for f in dataclasses.fields(x))  # type: ignore[arg-type]


@given(st.text(max_size=5), st.integers(), st.floats(allow_nan=False), st.text(max_size=3))
@settings(max_examples=200, deadline=None)
def test_the_same_values_as_the_dataclass_init(a: str, b: int, c: float, d: str) -> None:
    calls: list[tuple[tuple[object, ...], dict[str, object]]] = [
        ((a, b), {}),
        ((a, b, c), {}),
        ((a,), {"b": b, "d": d}),
        ((), {"a": a, "b": b, "c": c, "d": d}),
    ]
    for args, kwargs in calls:
        assert _values(_Set(*args, **kwargs)) == _values(_Plain(*args, **kwargs))


def test_the_same_parameters_and_errors() -> None:
    assert str(inspect.signature(_Set)) == "(a, b, c=1.0, d='')"
    assert list(inspect.signature(Notice).parameters) == [
        f.name for f in dataclasses.fields(Notice)
    ]
    assert list(inspect.signature(Evidence).parameters) == ["path", "line", "text", "scanner"]
    with pytest.raises(TypeError):
        _Set("a")
    with pytest.raises(TypeError):
        _Set("a", 1, e=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        _Set("a", 1).b = 2


def test_notices_and_evidence() -> None:
    ev = Evidence("a.c", 3, "  // SPDX-License-Identifier: MIT \n", "notices")
    assert _values(ev) == ("a.c", 3, "// SPDX-License-Identifier: MIT", "notices")
    assert Evidence("a.c", 1, "x" * 400, "n").text == "x" * 297 + "..."
    n = Notice("a.c", 3, "spdx-tag", "MIT", "MIT", ev)
    assert _values(n) == ("a.c", 3, "spdx-tag", "MIT", "MIT", ev, 1.0, "", 0)
    m = Notice("a.c", 3, "matched", None, "r", ev, confidence=0.5, rule="mit_1", end_line=4)
    assert (m.confidence, m.rule, m.end_line) == (0.5, "mit_1", 4)
    assert dataclasses.replace(n, kind="prose") == Notice("a.c", 3, "prose", "MIT", "MIT", ev)
    assert n == Notice(
        path="a.c", line=3, kind="spdx-tag", expression="MIT", raw="MIT", evidence=ev
    )
    assert hash(n) == hash(Notice("a.c", 3, "spdx-tag", "MIT", "MIT", ev))


def test_only_fields_it_can_make() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class WithFactory:
        a: tuple[int, ...] = dataclasses.field(default_factory=tuple)

    with pytest.raises(TypeError):
        set_by_slots(WithFactory)


def test_problems_and_scan_results() -> None:
    problem = Problem("a.yml", 3, "parse-error", "bad YAML")
    assert _values(problem) == ("a.yml", 3, "parse-error", "bad YAML", "")
    assert str(inspect.signature(ScanResult)) == (
        "(components=(), nodes=(), edges=(), notices=(), problems=())"
    )
    result = ScanResult(problems=(problem,))
    assert _values(result) == ((), (), (), (), (problem,))
    assert result == ScanResult((), (), (), (), (problem,))
    assert ScanResult() == ScanResult((), (), (), (), ())


def test_components_and_license_conclusions() -> None:
    """Made after the scan for each component (7,932 on synthetic-100000): slotted, the
    same parameters, defaults and values."""
    ev = Evidence("a/x.c", 1, "SPDX-License-Identifier: MIT", "notices")
    c = Component("source:a", ComponentKind.SOURCE, "a", evidence=(ev,), properties=(("k", "v"),))
    assert _values(c) == (
        "source:a",
        ComponentKind.SOURCE,
        "a",
        None,
        None,
        None,
        (ev,),
        (("k", "v"),),
    )
    assert not hasattr(c, "__dict__")
    assert c.prop("k") == "v"
    assert hash(c) == hash(
        Component("source:a", ComponentKind.SOURCE, "a", None, None, None, (ev,), (("k", "v"),))
    )
    assert str(inspect.signature(LicenseInfo)) == (
        "(expression, source, evidence=(), confidence=1.0, raw='', url='', reason='')"
    )
    info = LicenseInfo("MIT", "in-repo", evidence=(ev,), raw="MIT", reason="stated")
    assert _values(info) == ("MIT", "in-repo", (ev,), 1.0, "MIT", "", "stated")
    assert not hasattr(info, "__dict__")
    assert dataclasses.replace(info, url="u").url == "u"
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.raw = "x"  # type: ignore[misc]


def test_component_results_and_classifications() -> None:
    """Made for each component after the scan too: slotted, the same values."""
    cls = Classification("userspace", "distributed", ("first-party source",))
    assert _values(cls) == ("userspace", "distributed", ("first-party source",), "")
    assert not hasattr(cls, "__dict__")
    info = LicenseInfo("MIT", "in-repo")
    verdict = Verdict(Status.ALLOWED)
    result = ComponentResult("source:a", info, "userspace", "distributed", ("r",), verdict)
    assert _values(result) == ("source:a", info, "userspace", "distributed", ("r",), verdict)
    assert not hasattr(result, "__dict__")
    assert result == ComponentResult("source:a", info, "userspace", "distributed", ("r",), verdict)
