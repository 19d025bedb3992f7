"""Commitment tree layout and SVG, as pure functions."""

from __future__ import annotations

import itertools
import math
import random
import xml.etree.ElementTree as ET

import pytest

from facilitator.analysis.tree import Leaf, TreeLayout, layout_tree, shorten, svg_tree

SVG = "{http://www.w3.org/2000/svg}"
THEMES = [
    "Health and care",
    "Housing",
    "Young people",
    "Climate and transport",
    "Jobs and skills",
    "Community safety",
    "Data sharing",
    "Early help",
]


def make_tree(
    n: int, n_branches: int = 6, *, seed: int = 1, loose: float = 0.0
) -> tuple[list[tuple[int, str]], list[Leaf]]:
    rnd = random.Random(seed)
    branches = [(10 + i, THEMES[i % len(THEMES)]) for i in range(n_branches)]
    leaves = []
    for k in range(n):
        branch_id = None if rnd.random() < loose else rnd.choice(branches)[0]
        leaves.append(
            Leaf(
                id=1000 + k,
                branch_id=branch_id,
                text=f"I will meet the housing team every month about case {k}",
                owner=f"Person {k}",
                created_order=k,
            )
        )
    return branches, leaves


def assert_no_overlap(layout: TreeLayout) -> None:
    r = layout.leaf_radius
    for a, b in itertools.combinations(layout.leaves, 2):
        assert math.hypot(a.x - b.x, a.y - b.y) >= 2 * r - 1e-6, (a.id, b.id)


def assert_inside(layout: TreeLayout) -> None:
    r = layout.leaf_radius
    for leaf in layout.leaves:
        assert r <= leaf.x <= layout.width - r, leaf
        assert r <= leaf.y <= layout.height - r, leaf


@pytest.mark.parametrize("n", [10, 150, 300])
def test_leaves_never_overlap(n: int) -> None:
    branches, leaves = make_tree(n, 8, loose=0.05)
    layout = layout_tree(branches, leaves)
    assert len(layout.leaves) == n
    assert layout.mode == "botanical"
    assert_no_overlap(layout)
    assert_inside(layout)


@pytest.mark.parametrize("n", [10, 150, 300])
def test_list_view_leaves_never_overlap(n: int) -> None:
    branches, leaves = make_tree(n, 8, loose=0.05)
    layout = layout_tree(branches, leaves, mode="list")
    assert layout.mode == "list"
    assert len(layout.leaves) == n
    assert_no_overlap(layout)
    assert_inside(layout)


@pytest.mark.parametrize("n_branches", [1, 3, 8, 12])
def test_300_leaves_fit_the_canvas(n_branches: int) -> None:
    branches, leaves = make_tree(300, n_branches, seed=n_branches)
    layout = layout_tree(branches, leaves)
    assert len(layout.leaves) == 300
    assert_no_overlap(layout)
    assert_inside(layout)


def test_crowded_branch_switches_to_list_and_still_fits() -> None:
    branches, _ = make_tree(0, 12)
    leaves = [Leaf(i, 10, f"Commitment {i}", None, i) for i in range(300)]  # all on one theme
    layout = layout_tree(branches, leaves)
    assert layout.mode == "list"
    assert_no_overlap(layout)
    assert_inside(layout)
    with pytest.raises(ValueError):
        layout_tree(branches, leaves, mode="botanical")


@pytest.mark.parametrize("n", [10, 150, 299])
def test_existing_leaves_keep_their_place_when_one_is_added(n: int) -> None:
    branches, leaves = make_tree(n + 1, 8, seed=n, loose=0.05)
    before = layout_tree(branches, leaves[:n])
    after = layout_tree(branches, leaves)
    assert before.mode == after.mode == "botanical"
    old = before.positions
    new = after.positions
    assert all(new[leaf_id] == pos for leaf_id, pos in old.items())
    assert_no_overlap(after)


def test_growing_one_leaf_at_a_time_never_moves_a_leaf() -> None:
    branches, leaves = make_tree(60, 5, seed=3, loose=0.1)
    seen: dict[int, tuple[float, float]] = {}
    for k in range(1, len(leaves) + 1):
        positions = layout_tree(branches, leaves[:k]).positions
        for leaf_id, pos in seen.items():
            assert positions[leaf_id] == pos
        seen = positions


def test_previous_positions_survive_a_withdrawal_and_a_new_theme() -> None:
    branches, leaves = make_tree(40, 4, seed=5)
    first = layout_tree(branches, leaves)
    remaining = [leaf for leaf in leaves if leaf.id != leaves[3].id]
    more_branches = [*branches, (99, "A new theme")]
    newcomer = Leaf(5000, 99, "I will host the next meeting", "Zed", 1000)
    second = layout_tree(more_branches, [*remaining, newcomer], previous=first.positions)
    positions = second.positions
    for leaf in remaining:
        assert positions[leaf.id] == first.positions[leaf.id]
    assert 5000 in positions
    assert_no_overlap(second)


def test_previous_positions_that_collide_are_not_trusted() -> None:
    branches, leaves = make_tree(5, 2)
    clash = {leaf.id: (800.0, 300.0) for leaf in leaves}  # all on one spot
    layout = layout_tree(branches, leaves, previous=clash)
    assert_no_overlap(layout)


def test_layout_is_deterministic() -> None:
    branches, leaves = make_tree(120, 7, seed=9, loose=0.1)
    assert layout_tree(branches, leaves) == layout_tree(branches, list(reversed(leaves)))


def test_leaves_without_a_known_branch_are_placed() -> None:
    branches, _ = make_tree(0, 3)
    leaves = [Leaf(i, None if i % 2 else 12345, f"c{i}", None, i) for i in range(20)]
    layout = layout_tree(branches, leaves)
    assert {leaf.branch_id for leaf in layout.leaves} == {None}
    assert_no_overlap(layout)
    assert any(b.id is None and b.count == 20 for b in layout.branches)


def test_a_tree_without_branches_still_grows() -> None:
    leaves = [Leaf(i, None, f"c{i}", None, i) for i in range(50)]
    layout = layout_tree([], leaves)
    assert layout.mode == "botanical"
    assert len(layout.leaves) == 50
    assert_no_overlap(layout)


def test_other_canvas_sizes_scale() -> None:
    branches, leaves = make_tree(150, 6)
    for w, h in [(1920, 1080), (800, 450), (1000, 1000)]:
        layout = layout_tree(branches, leaves, width=w, height=h)
        assert_no_overlap(layout)
        assert_inside(layout)


def test_bad_input_is_refused() -> None:
    leaf = Leaf(1, None, "x", None, 0)
    with pytest.raises(ValueError):
        layout_tree([], [leaf, leaf])
    with pytest.raises(ValueError):
        layout_tree([(1, "a"), (1, "b")], [])


HOSTILE = "<script>alert(1)</script>"


@pytest.mark.parametrize("mode", ["botanical", "list"])
def test_hostile_text_is_escaped_and_the_svg_parses(mode: str) -> None:
    branches = [(1, HOSTILE), (2, "Quotes \" and ' & ampersands")]
    leaves = [
        Leaf(1, 1, HOSTILE, HOSTILE, 0),
        Leaf(2, 2, "Control \x00\x08\x1b characters & <b>bold</b>", "A & B", 1),
        Leaf(3, None, "]]> <!-- --> <?xml?>", None, 2),
    ]
    layout = layout_tree(branches, leaves, mode=mode)  # type: ignore[arg-type]
    svg = svg_tree(layout, show_names=True, title=HOSTILE)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    texts = " ".join(root.itertext())
    assert HOSTILE in texts  # shown as text, not markup


@pytest.mark.parametrize("n", [12, 150])
def test_each_leaf_is_a_group_with_its_id_and_full_text(n: int) -> None:
    branches, leaves = make_tree(n, 6)
    long_text = "I will " + "work with the council on a joint plan " * 6
    leaves[0] = Leaf(leaves[0].id, leaves[0].branch_id, long_text, "Ada", leaves[0].created_order)
    svg = svg_tree(layout_tree(branches, leaves), show_names=True, highlight={leaves[-1].id})
    root = ET.fromstring(svg)
    groups = [g for g in root.iter(f"{SVG}g") if "leaf" in (g.get("class") or "").split()]
    assert sorted(int(g.get("data-leaf-id") or 0) for g in groups) == sorted(leaf.id for leaf in leaves)
    first = next(g for g in groups if g.get("data-leaf-id") == str(leaves[0].id))
    title = first.find(f"{SVG}title")
    assert title is not None and title.text is not None
    assert " ".join(long_text.split()) in title.text and "Ada" in title.text
    newest = next(g for g in groups if g.get("data-leaf-id") == str(leaves[-1].id))
    assert "is-new" in (newest.get("class") or "")
    for el in root.iter():
        assert not el.tag.endswith(("animate", "animateTransform", "animateMotion", "set", "script"))
    assert root.get("role") == "img" and str(n) in (root.get("aria-label") or "")


def test_names_stay_off_the_tree_when_not_shown() -> None:
    branches, leaves = make_tree(30, 3)
    for mode in ("botanical", "list"):
        svg = svg_tree(layout_tree(branches, leaves, mode=mode), show_names=False)  # type: ignore[arg-type]
        assert "Person " not in svg


def test_long_labels_are_shortened_with_an_ellipsis() -> None:
    branches, leaves = make_tree(40, 3)
    leaves = [Leaf(leaf.id, leaf.branch_id, "word " * 80, None, leaf.created_order) for leaf in leaves]
    svg = svg_tree(layout_tree(branches, leaves, mode="list"), show_names=False)
    root = ET.fromstring(svg)
    rows = [t for g in root.iter(f"{SVG}g") if g.get("class") == "leaf" for t in g.iter(f"{SVG}text")]
    assert rows and all("".join(t.itertext()).endswith("\u2026") for t in rows)


def test_shorten() -> None:
    assert shorten("short", 500, 10) == "short"
    cut = shorten("a fairly long sentence about working together", 120, 12)
    assert cut.endswith("\u2026") and len(cut) < 40
    assert shorten("x" * 100, 5, 12) == "\u2026"


def test_a_kept_leaf_keeps_its_angle_too() -> None:
    branches, leaves = make_tree(30, 4, seed=8)
    first = layout_tree(branches, leaves)
    second = layout_tree(branches, leaves[1:], previous=first.positions)
    angles = {leaf.id: leaf.angle for leaf in first.leaves}
    assert all(leaf.angle == angles[leaf.id] for leaf in second.leaves)


def test_list_positions_are_not_trusted_by_a_botanical_layout() -> None:
    branches, leaves = make_tree(30, 4, seed=8)
    as_list = layout_tree(branches, leaves, mode="list")
    botanical = layout_tree(branches, leaves, previous=as_list.positions)
    assert botanical.positions == layout_tree(branches, leaves).positions
