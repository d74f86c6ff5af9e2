"""Removal sets on trees with many versions of one package: shared, grouped, unchanged."""

from __future__ import annotations

from audit.components import manifest_id, package_component
from audit.graph import GraphIndex, RemovableItem, Removal, link, removable
from audit.model import Edge, Evidence, Inventory, Node, Relation, ScanResult
from audit.report.inventory import RemovalGroup, removal_groups


def ev(path: str, line: int, text: str = "x") -> Evidence:
    return Evidence(path, line, text, "test")


def manifests(names_and_pins: list[tuple[str, str, str]]) -> Inventory:
    """One requirements file per (file, package, version), requiring only that package."""
    comps, nodes, edges = [], [], []
    for path, name, pin in names_and_pins:
        comp = package_component("pypi", name, pin, [ev(path, 1, f"{name}=={pin}")])
        comps.append(comp)
        nodes.append(Node(manifest_id(path), "manifest", path, (ev(path, 0, ""),)))
        edges.append(Edge(manifest_id(path), comp.id, Relation.REQUIRES, ev(path, 1)))
    return link("t", ScanResult(tuple(comps), tuple(nodes), tuple(edges)))


TREE = [
    ("a.txt", "requests", "1.0.0"),
    ("b.txt", "requests", "2.0.0"),
    ("c.txt", "requests-oauthlib", "1.3.0"),
    # Names that merely start like "requests" are not its plugins.
    ("d.txt", "requests2", "1.0.0"),
    ("e.txt", "requests,x", "1.0.0"),  # sorts between "requests" and "requests-"
    ("f.txt", "requests!", "1.0.0"),
    ("g.txt", "request", "1.0.0"),
]


def ids(removal: Removal) -> list[str]:
    return [i.id for i in removal.removable]


def test_a_version_takes_the_other_versions_and_the_plugins_with_it() -> None:
    index = GraphIndex.build(manifests(TREE))
    assert ids(removable(index, "pypi:requests@1.0.0")) == [
        "manifest:a.txt",
        "manifest:b.txt",
        "manifest:c.txt",
        "pypi:requests-oauthlib@1.3.0",
        "pypi:requests@2.0.0",
    ]
    assert ids(removable(index, "pypi:requests@2.0.0")) == [
        "manifest:a.txt",
        "manifest:b.txt",
        "manifest:c.txt",
        "pypi:requests-oauthlib@1.3.0",
        "pypi:requests@1.0.0",
    ]
    assert ids(removable(index, "pypi:requests-oauthlib@1.3.0")) == ["manifest:c.txt"]
    assert ids(removable(index, "pypi:requests2@1.0.0")) == ["manifest:d.txt"]
    assert ids(removable(index, "pypi:request@1.0.0")) == ["manifest:g.txt"]
    assert removable(index, "pypi:nothing@1") == Removal("pypi:nothing@1", (), ())


def test_the_same_answer_every_time_and_from_a_fresh_index() -> None:
    inventory = manifests(TREE)
    index = GraphIndex.build(inventory)
    every = [c.id for c in inventory.components]
    first = [removable(index, cid) for cid in every]
    again = [removable(index, cid) for cid in reversed(every)][::-1]
    fresh = [removable(GraphIndex.build(inventory), cid) for cid in every]
    assert first == again == fresh
    assert first[0].removable[0].reason == "serves only pypi:request@1.0.0"
    plugin = next(i for i in removable(index, "pypi:requests@1.0.0").removable if "oauth" in i.id)
    assert plugin.reason == "a plugin of requests"


def test_groups_write_the_versions_of_a_package_once() -> None:
    index = GraphIndex.build(manifests(TREE[:3]))
    removals = {
        cid: r
        for cid in ("pypi:requests@1.0.0", "pypi:requests@2.0.0", "pypi:requests-oauthlib@1.3.0")
        if (r := removable(index, cid)).removable
    }
    groups = removal_groups(removals)
    assert [(g.components, [i.id for i in g.removable]) for g in groups] == [
        (
            ("pypi:requests-oauthlib@1.3.0",),
            ["manifest:c.txt"],
        ),
        (
            ("pypi:requests@1.0.0", "pypi:requests@2.0.0"),
            ["manifest:a.txt", "manifest:b.txt", "manifest:c.txt", "pypi:requests-oauthlib@1.3.0"],
        ),
    ]


def test_groups_keep_apart_what_differs() -> None:
    item = RemovableItem("manifest:m.txt", "serves only a, b")
    look = RemovableItem("ci-job:github/w/j", "feeds only removed jobs: x")
    removals = {
        "a": Removal("a", (item, RemovableItem("b", "a plugin of a")), ()),
        "b": Removal("b", (RemovableItem("a", "a plugin of a"), item), ()),
        "c": Removal("c", (item,), ()),
        "d": Removal("d", (item,), (look,)),
    }
    assert removal_groups(removals) == (
        RemovalGroup(("a", "b"), (item,), ()),
        RemovalGroup(("c",), (item,), ()),
        RemovalGroup(("d",), (item,), (look,)),
    )
    assert removal_groups({}) == ()
