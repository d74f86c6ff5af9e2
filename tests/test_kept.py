"""The bookkeeping of values kept between runs (audit/kept.py), shared by the license
expression readings and the compiled data-class code."""

from __future__ import annotations

from audit.kept import Kept


def test_nothing_new_writes_nothing() -> None:
    kept = Kept({"MIT": 1}, limit=10)
    assert kept.get("MIT") == 1
    assert kept.get("BSD") is None
    assert kept.take() is None


def test_new_values_join_the_known_ones() -> None:
    kept = Kept({"MIT": 1}, limit=10)
    kept.put("BSD", 2)
    assert kept.take() == {"MIT": 1, "BSD": 2}
    assert (kept.known, kept.new) == ({"MIT": 1, "BSD": 2}, {})
    assert kept.take() is None


def test_past_the_limit_only_what_this_run_used_or_made() -> None:
    kept = Kept({"a": 1, "b": 2, "c": 3}, limit=3)
    assert kept.get("b") == 2
    kept.put("d", 4)
    kept.put("e", 5)
    assert kept.take() == {"b": 2, "d": 4, "e": 5}


def test_past_the_limit_the_oldest_go_first() -> None:
    kept = Kept({"a": 1, "b": 2}, limit=2)
    assert (kept.get("a"), kept.get("b")) == (1, 2)
    kept.put("c", 3)
    assert kept.take() == {"b": 2, "c": 3}


def test_forgotten_value_is_not_answered_again() -> None:
    kept = Kept({"a": 1}, limit=5)
    assert kept.get("a") == 1
    kept.forget("a")
    assert kept.get("a") is None
    kept.put("b", 2)
    assert kept.take() == {"b": 2}
