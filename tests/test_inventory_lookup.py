"""audit.model.Inventory.component: the component with an id, by a table built once."""

from __future__ import annotations

import dataclasses

from audit.model import Component, ComponentKind, Inventory


def test_component_is_found_by_id_and_the_first_listed_wins() -> None:
    first = Component("pypi:flask@3.0", ComponentKind.PACKAGE, "flask", "3.0")
    again = Component("pypi:flask@3.0", ComponentKind.PACKAGE, "flask-again", "3.0")
    other = Component("npm:left-pad@1.3.0", ComponentKind.PACKAGE, "left-pad", "1.3.0")
    inv = Inventory("/repo", (first, other, again), (), ())
    assert inv.component("pypi:flask@3.0") is first
    assert inv.component("npm:left-pad@1.3.0") is other
    assert inv.component("pypi:absent@1") is None


def test_the_table_is_not_part_of_the_inventory_data() -> None:
    comp = Component("pypi:flask@3.0", ComponentKind.PACKAGE, "flask", "3.0")
    inv = Inventory("/repo", (comp,), (), ())
    inv.component("pypi:flask@3.0")
    assert inv == Inventory("/repo", (comp,), (), ())
    assert [f.name for f in dataclasses.fields(inv)] == [
        "root", "components", "nodes", "edges", "notices", "problems", "skipped", "files_scanned"
    ]  # fmt: skip
    assert dataclasses.replace(inv, components=()).component("pypi:flask@3.0") is None
