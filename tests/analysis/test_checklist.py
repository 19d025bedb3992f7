"""Work-avoidance checklist aggregates, suppression, chart and findings, as pure functions."""

from __future__ import annotations

import math
import random
import xml.etree.ElementTree as ET

import pytest

from facilitator.analysis.checklist import (
    DEFAULT_FORMS,
    OTHER_GROUPS,
    SCALE,
    Response,
    aggregate,
    breakdown,
    findings,
    group_findings,
    svg_bars,
)

FORMS = [
    {"key": "a", "name": "Meetings that decide nothing"},
    {"key": "b", "name": "Blaming outside forces"},
    {"key": "c", "name": "Redrawing the boxes"},
]


def answers(form: str, ratings: list[int | None], start: int = 0) -> list[Response]:
    return [Response(f"p{start + i}", form, r, r is None) for i, r in enumerate(ratings)]


def test_default_forms_are_complete() -> None:
    keys = [f["key"] for f in DEFAULT_FORMS]
    assert 12 <= len(DEFAULT_FORMS) <= 20  # every form the issue names
    assert len(set(keys)) == len(keys)
    for form in DEFAULT_FORMS:
        assert form["name"] and form["description"]
        assert form["prompt"].endswith("?")
        assert 2 <= len(form["counter_moves"]) <= 3
    assert [v for v, _ in SCALE] == [0, 1, 2, 3, 4]


def test_aggregate_matches_hand_computed_figures() -> None:
    responses = answers("a", [0, 2, 3, 4, 4]) + answers("b", [1, 1, 2]) + [Response("p9", "a", None, True)]
    a, b, c = aggregate(FORMS, responses)
    assert (a.key, a.n, a.skipped, a.suppressed) == ("a", 5, 1, False)
    assert a.distribution == (1, 0, 1, 1, 2)
    assert a.mean == pytest.approx(13 / 5)
    assert a.median == 3.0
    assert a.stdev == pytest.approx(math.sqrt(11.2 / 5))  # squares: 6.76 .36 .16 1.96 1.96
    assert a.share_often == pytest.approx(3 / 5)
    assert a.share_rarely == pytest.approx(1 / 5)
    assert a.is_split is False
    assert b.distribution == (0, 2, 1, 0, 0)
    assert b.mean == pytest.approx(4 / 3)
    assert b.median == 1.0
    assert (a.rank, b.rank) == (1, 2)
    assert c.n == 0 and c.suppressed and c.rank is None


def test_a_split_room_is_flagged() -> None:
    (a, *_) = aggregate(FORMS, answers("a", [0, 0, 1, 4, 4, 3]))
    assert a.is_split
    assert a.mean == pytest.approx(2.0)
    assert a.stdev == pytest.approx(math.sqrt((4 + 4 + 1 + 4 + 4 + 1) / 6))


def test_last_answer_counts_and_skip_means_no_rating() -> None:
    responses = answers("a", [4, 4, 4]) + [Response("p0", "a", 0), Response("p1", "a", 2, True)]
    (a, *_) = aggregate(FORMS, responses)
    assert a.n == 2 and a.skipped == 1
    # two ratings are below the threshold of three: nothing is shown
    assert a.suppressed and a.distribution is None and a.mean is None


def test_plain_tuples_are_accepted() -> None:
    (a, *_) = aggregate(FORMS, [("x", "a", 1, False), ("y", "a", 2, False), ("z", "a", 3, False)])
    assert a.distribution == (0, 1, 1, 1, 0)


def test_small_answer_counts_are_suppressed() -> None:
    (a, *_) = aggregate(FORMS, answers("a", [3, 4]))
    assert a.n == 2 and a.suppressed
    for value in (a.distribution, a.mean, a.median, a.stdev, a.share_often, a.share_rarely, a.rank):
        assert value is None
    (a, *_) = aggregate(FORMS, answers("a", [3, 4, 0]))
    assert not a.suppressed and a.distribution == (1, 0, 0, 1, 1)
    (a, *_) = aggregate(FORMS, answers("a", [3, 4, 0]), suppress_below=4)
    assert a.suppressed


def test_ties_share_a_rank() -> None:
    responses = answers("a", [2, 2, 2]) + answers("b", [1, 3, 2]) + answers("c", [4, 4, 4])
    ranks = {x.key: x.rank for x in aggregate(FORMS, responses)}
    assert ranks == {"c": 1, "a": 2, "b": 2}


@pytest.mark.parametrize("bad", [5, -1, 2.5, True, "3"])
def test_out_of_scale_ratings_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        aggregate(FORMS, [Response("p", "a", bad)])  # type: ignore[arg-type]


def test_breakdown_pools_small_groups_so_none_can_be_recovered() -> None:
    groups = {f"p{i}": "Health" for i in range(6)}
    groups |= {f"p{i}": "Housing" for i in range(6, 8)}
    groups |= {f"p{i}": "Police" for i in range(8, 13)}
    responses = answers("a", [4, 4, 4, 3, 4, 4, 0, 0, 1, 1, 2, 1, 1])
    (a, b, _) = breakdown(FORMS, responses, groups, suppress_below=5)
    # Housing (2) is too small; alone in the pool it would be recoverable, so Police (5) joins it
    assert set(a.groups) == {"Health", OTHER_GROUPS}
    assert a.pooled == ("Housing", "Police")
    assert a.groups["Health"].distribution == (0, 0, 0, 1, 5)
    assert a.groups[OTHER_GROUPS].distribution == (2, 4, 1, 0, 0)
    assert sum(g.n for g in a.groups.values()) == 13
    assert a.gap is None  # one named group only
    assert b.groups == {}


def test_breakdown_gap_between_groups() -> None:
    groups = {f"p{i}": ("Health" if i < 5 else "Housing") for i in range(10)}
    responses = answers("a", [4, 4, 4, 3, 3, 0, 1, 0, 1, 0])
    (a, *_) = breakdown(FORMS, responses, groups, suppress_below=5)
    assert a.gap == pytest.approx(3.6 - 0.4)
    sentences = group_findings(breakdown(FORMS, responses, groups, suppress_below=5))
    assert len(sentences) == 1 and "Health" in sentences[0] and "Housing" in sentences[0]


@pytest.mark.parametrize("seed", range(40))
def test_breakdown_never_shows_a_small_group_and_totals_add_up(seed: int) -> None:
    rnd = random.Random(seed)
    threshold = rnd.choice([2, 3, 5])
    people = [f"p{i}" for i in range(rnd.randint(0, 40))]
    groups = {p: rnd.choice(["A", "B", "C", "D", None]) for p in people}
    responses = [
        Response(p, f["key"], rnd.choice([0, 1, 2, 3, 4, None]))
        for p in people
        for f in FORMS
        if rnd.random() < 0.8
    ]
    overall = {x.key: x for x in aggregate(FORMS, responses, suppress_below=threshold)}
    for form in breakdown(FORMS, responses, groups, suppress_below=threshold):
        for agg in form.groups.values():
            assert agg.n >= threshold and not agg.suppressed
        shown_total = sum(agg.n for agg in form.groups.values())
        total = overall[form.key].n
        assert shown_total == (total if total >= threshold else 0)


def test_svg_bars_is_valid_escaped_and_describes_the_numbers() -> None:
    forms = [*FORMS, {"key": "x", "name": "<script>alert(1)</script>"}]
    responses = answers("a", [0, 2, 3, 4, 4]) + answers("x", [1, 1, 1]) + answers("b", [2])
    svg = svg_bars(aggregate(forms, responses), title="Our system & us")
    root = ET.fromstring(svg)
    assert "<script" not in svg and "&lt;script&gt;" in svg
    desc = root.find("{http://www.w3.org/2000/svg}desc")
    assert desc is not None and desc.text is not None
    assert "Meetings that decide nothing: 5 answers, average 2.6" in desc.text
    assert "Not at all 1, Rarely 0, Sometimes 1, Often 1, All the time 2" in desc.text
    assert "Too few answers to show" in "".join(root.itertext())


def test_findings_name_the_top_form_and_the_split() -> None:
    responses = answers("a", [0, 0, 1, 4, 4, 3]) + answers("b", [4, 4, 3, 3, 4, 4]) + answers("c", [0, 0])
    sentences = findings(aggregate(FORMS, responses))
    assert "Blaming outside forces" in sentences[0] and "6 of 6" in sentences[0]
    assert any("split" in s and "Meetings that decide nothing" in s for s in sentences)
    assert any("too few answers" in s for s in sentences)
    assert findings(aggregate(FORMS, [])) == ["There are not yet enough answers to show results."]
