"""Property tests for the checklist aggregates: whatever the answers, totals add up and no group smaller
than the threshold is ever shown on its own."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from facilitator.analysis.checklist import (
    MAX_PICKS,
    OTHER_GROUPS,
    SCALE_MAX,
    SCALE_MIN,
    Response,
    aggregate,
    breakdown,
    change_over_time,
    normalise_forms,
    pick_ranking,
)

FORMS = [{"key": k, "name": k.title()} for k in ("denial", "quick_fix", "meetings")]
KEYS = [f["key"] for f in FORMS]
GROUPS = ["NHS", "Housing", "Police", "Council", "Voluntary sector", None]

rating = st.one_of(st.none(), st.integers(SCALE_MIN, SCALE_MAX))
response = st.builds(lambda p, k, r: Response(f"p{p}", k, r, r is None),
                     st.integers(0, 40), st.sampled_from(KEYS + ["retired_form"]), rating)
responses = st.lists(response, max_size=160)
threshold = st.integers(1, 8)


def latest(rows: list[Response]) -> dict[tuple[str, str], Response]:
    out: dict[tuple[str, str], Response] = {}
    for r in rows:
        out[(r.participant_key, r.form_key)] = r
    return out


@settings(max_examples=80, deadline=None)
@given(rows=responses, k=threshold)
def test_aggregate_totals_add_up_and_small_counts_are_withheld(rows, k):
    last = latest(rows)
    for a in aggregate(FORMS, rows, suppress_below=k):
        given_ratings = [r.rating for (_, form), r in last.items() if form == a.key and r.rating is not None]
        skipped = sum(1 for (_, form), r in last.items() if form == a.key and r.rating is None)
        assert a.n == len(given_ratings) and a.skipped == skipped
        if a.n < k or a.n == 0:
            assert a.suppressed and a.distribution is None and a.mean is None and a.rank is None
        else:
            assert not a.suppressed and sum(a.distribution) == a.n
            assert list(a.distribution) == [given_ratings.count(v) for v in range(SCALE_MIN, SCALE_MAX + 1)]
            assert SCALE_MIN <= a.mean <= SCALE_MAX and a.rank >= 1


@settings(max_examples=120, deadline=None)
@given(rows=responses, k=st.integers(2, 8),
       labels=st.dictionaries(st.integers(0, 40).map(lambda i: f"p{i}"), st.sampled_from(GROUPS)))
def test_no_group_under_the_threshold_ever_appears_and_shown_groups_add_up(rows, k, labels):
    last = latest(rows)
    for b in breakdown(FORMS, rows, labels, suppress_below=k):
        raters = [p for (p, form), r in last.items() if form == b.key and r.rating is not None]
        per_group = Counter((labels.get(p) or "Not given") for p in raters)
        for label, agg in b.groups.items():
            assert agg.n >= k, (label, agg.n)
            assert not agg.suppressed
            if label != OTHER_GROUPS:
                assert per_group[label] >= k  # a named group stands on its own answers
                assert agg.n == per_group[label]
        shown_total = sum(a.n for a in b.groups.values())
        if len(raters) >= k:
            assert shown_total == len(raters)  # nothing lost, nothing counted twice
        else:
            assert b.groups == {}
        # The pooled groups are exactly those not shown by name.
        assert set(b.pooled) | {g for g in b.groups if g != OTHER_GROUPS} == set(per_group)
        if b.gap is not None:
            named = [a.mean for g, a in b.groups.items() if g != OTHER_GROUPS]
            assert len(named) >= 2 and abs(b.gap - (max(named) - min(named))) < 1e-9


@settings(max_examples=80, deadline=None)
@given(picks=st.lists(st.tuples(st.integers(0, 30).map(lambda i: f"p{i}"), st.sampled_from(KEYS + ["x"])),
                      max_size=120), k=threshold)
def test_pick_ranking_counts_each_person_at_most_twice(picks, k):
    pickers, ranking = pick_ranking(FORMS, picks, suppress_below=k)
    people = {p for p, key in picks if key in KEYS}
    assert pickers == len(people)
    if pickers < k:
        assert ranking == []
        return
    assert sum(r.count for r in ranking) <= MAX_PICKS * pickers
    assert all(1 <= r.count <= pickers for r in ranking)
    counts = [r.count for r in ranking]
    assert counts == sorted(counts, reverse=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.fixed_dictionaries({"key": st.text(max_size=45), "name": st.text(max_size=150),
                                       "counter_moves": st.lists(st.text(max_size=20), max_size=8)}),
                min_size=1, max_size=30))
def test_edited_forms_always_get_unique_valid_keys(raw):
    try:
        forms = normalise_forms(raw)
    except ValueError:
        assert all(not " ".join(str(f["name"]).split()) for f in raw)
        return
    keys = [f["key"] for f in forms]
    assert len(set(keys)) == len(keys)
    for form in forms:
        assert 0 < len(form["key"]) <= 40 and form["key"] == form["key"].lower()
        assert all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in form["key"])
        assert len(form["counter_moves"]) <= 5 and all(form["counter_moves"])


@settings(max_examples=60, deadline=None)
@given(st.lists(responses, min_size=1, max_size=4), threshold)
def test_change_over_time_never_shows_a_withheld_mean(runs, k):
    per_run = [aggregate(FORMS, rows, suppress_below=k) for rows in runs]
    for trend in change_over_time(per_run):
        assert len(trend.means) == len(runs)
        for run, mean in zip(per_run, trend.means, strict=True):
            agg = next(a for a in run if a.key == trend.key)
            assert (mean is None) == agg.suppressed
        shown = [m for m in trend.means if m is not None]
        assert (trend.change is None) == (len(shown) < 2)
