"""Commitments as ties, dependency network and follow-up aggregates: pure functions, no app."""

from __future__ import annotations

from datetime import date

from facilitator.analysis.commitments import (
    CommitmentFacts,
    StatusChange,
    dependency_network,
    follow_through,
    overload,
    promised_ties,
    resolve_counterpart,
    status_over_time,
    stuck_reasons,
    unpartnered,
)

PEOPLE = {"Alice": "North Vale Council", "Bob": "Vale Housing", "Dee": ""}
ORGS = ["Vale Police"]


def c(id, author="Alice", org="North Vale Council", who=(), branch="", status="not_started"):
    return CommitmentFacts(id=id, author=author, author_org=org, with_whom=tuple(who), branch=branch,
                           status=status, text=f"commitment {id}")


def test_counterparts_resolve_to_people_organisations_or_outsiders():
    bob = resolve_counterpart("  bob ", PEOPLE, ORGS)
    assert (bob.kind, bob.label, bob.organisation) == ("person", "Bob", "Vale Housing")
    police = resolve_counterpart("VALE POLICE", PEOPLE, ORGS)
    assert (police.kind, police.label) == ("organisation", "Vale Police")
    housing = resolve_counterpart("vale housing", PEOPLE, ORGS)  # an organisation someone belongs to
    assert housing.kind == "organisation"
    outside = resolve_counterpart("Food  Bank", PEOPLE, ORGS)
    assert (outside.kind, outside.label, outside.organisation) == ("named", "Food Bank", "Food Bank")
    assert resolve_counterpart("  ", PEOPLE, ORGS) is None


def test_cross_organisation_ties_are_counted_once_per_pair_and_new_only_when_not_on_the_map():
    commitments = [
        c(1, who=["Bob", "Vale Police"]),
        c(2, author="Bob", org="Vale Housing", who=["Alice"]),  # same pair as Alice -> Bob
        c(3, who=["north vale council"]),  # own organisation: not a cross-organisation tie
        c(4, author="Dee", org="", who=["Bob"]),  # unknown organisation: no pair
    ]
    ties = promised_ties(commitments, PEOPLE, ORGS, existing_pairs=[("Vale Police", "north vale council")])
    assert len(ties["ties"]) == 5
    pairs = {e["organisations"]: (e["commitment_ids"], e["is_new"]) for e in ties["cross_org"]}
    assert pairs == {
        ("North Vale Council", "Vale Housing"): ([1, 2], True),
        ("North Vale Council", "Vale Police"): ([1], False),
    }
    assert [e["organisations"] for e in ties["new_cross_org"]] == [("North Vale Council", "Vale Housing")]


def test_dependency_network_shows_overload_and_lone_commitments():
    commitments = [c(1, who=["Bob"]), c(2, who=["bob", "Vale Police"]), c(3, author="Dee", who=["BOB"]), c(4)]
    g = dependency_network(commitments, PEOPLE, ORGS)
    assert g.number_of_nodes() == 6 and g.number_of_edges() == 4
    rows = overload(g, threshold=3)
    assert rows[0]["label"] == "Bob" and rows[0]["count"] == 3 and rows[0]["overloaded"]
    assert rows[0]["commitment_ids"] == [1, 2, 3]
    assert rows[1]["label"] == "Vale Police" and not rows[1]["overloaded"]
    assert unpartnered(g) == [4]


def test_stuck_reasons_add_up_forms_per_commitment_and_keep_sentences():
    changes = [
        StatusChange(1, date(2031, 1, 2), "stuck", "quick_fix", ""),
        StatusChange(1, date(2031, 1, 9), "stuck", "quick_fix", "No budget <yet>"),
        StatusChange(2, date(2031, 1, 9), "stuck", "quick_fix", "no budget <yet>"),
        StatusChange(3, date(2031, 1, 9), "stuck", "blame", "  No budget <yet> "),
        StatusChange(3, date(2031, 1, 10), "stuck", "", "no budget <YET>"),  # same sentence, same commitment
        StatusChange(4, date(2031, 1, 9), "done", "quick_fix", "ignored when not stuck"),
    ]
    result = stuck_reasons(changes, {"quick_fix": "Reaching for a quick fix"})
    assert result["forms"] == [
        {"key": "quick_fix", "name": "Reaching for a quick fix", "count": 2},
        {"key": "blame", "name": "blame", "count": 1},
    ]
    texts = [s["text"] for s in result["sentences"]]
    assert texts == ["No budget <yet>", "no budget <yet>", "No budget <yet>"]
    assert result["commitments_ever_stuck"] == 3


def test_follow_through_by_branch_and_organisation():
    commitments = [
        c(1, branch="Data", status="done"),
        c(2, branch="Data", status="in_progress"),
        c(3, author="Bob", org="Vale Housing", branch="", status="stuck"),
        c(4, author="Bob", org="vale housing", branch="data", status="done"),
    ]
    ft = follow_through(commitments, no_branch="No branch")
    assert ft["overall"]["done_share"] == 0.5 and ft["overall"]["in_progress_share"] == 0.25
    data = ft["by_branch"][0]
    assert (data["label"], data["total"], data["done"], data["in_progress"]) == ("Data", 3, 2, 1)
    assert ft["by_branch"][1]["label"] == "No branch"
    orgs = {r["label"]: (r["total"], r["done_share"]) for r in ft["by_organisation"]}
    assert orgs == {"North Vale Council": (2, 0.5), "Vale Housing": (2, 0.5)}
    assert follow_through([])["overall"]["done_share"] == 0.0


def test_status_over_time_rebuilds_each_day_from_the_history():
    changes = [
        StatusChange(1, date(2031, 1, 8), "in_progress"),
        StatusChange(1, date(2031, 1, 20), "done"),
        StatusChange(2, date(2031, 1, 15), "stuck"),
    ]
    points = status_over_time([1, 2, 3], changes, date(2031, 1, 1), date(2031, 1, 22), step_days=7)
    assert [p["on"].day for p in points] == [1, 8, 15, 22]
    assert [p["counts"] for p in points] == [
        {"not_started": 3},
        {"in_progress": 1, "not_started": 2},
        {"in_progress": 1, "stuck": 1, "not_started": 1},
        {"done": 1, "stuck": 1, "not_started": 1},
    ]
    long = status_over_time([1], changes, date(2031, 1, 1), date(2035, 1, 1), max_points=60)
    assert len(long) <= 61 and long[-1]["on"] == date(2035, 1, 1) and long[-1]["done"] == 1
