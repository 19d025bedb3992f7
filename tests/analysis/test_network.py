"""Stakeholder-map analysis, checked against networkx's bundled reference networks and toy maps."""

from __future__ import annotations

import ast
import importlib.util
import json
import math
import random
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from facilitator.analysis import network
from facilitator.analysis.network import (
    FINDING_TEMPLATES,
    EdgeIn,
    Finding,
    NodeIn,
    build_graph,
    compute_metrics,
    finding_text,
    findings,
    layout,
    needed_ties_impact,
    normalise_name,
    place_one,
    similar_names,
    svg_map,
)

SVG = "{http://www.w3.org/2000/svg}"


# ------------------------------------------------------------------------------------------------
# Helpers


def node(i: int, name: str | None = None, org: str = "", sector: str = "") -> NodeIn:
    return NodeIn(i, name or f"S{i}", "person", org, sector, None, None, None)


def tie(i: int, u: int, v: int, *, strength: int = 1, needed: bool = False, directed: bool = False) -> EdgeIn:
    return EdgeIn(i, u, v, "collaborates", strength, directed, needed)


def from_nx(
    graph: nx.Graph[Any], *, org: str | None = None, weighted: bool = True
) -> tuple[list[NodeIn], list[EdgeIn], dict[Any, int]]:
    """A map from a networkx graph: ids follow the sorted node labels, names are the labels."""
    if all(isinstance(label, int) for label in graph):
        ids = {label: label for label in graph}
    else:
        ids = {label: i for i, label in enumerate(sorted(graph, key=str))}
    nodes = [
        NodeIn(
            ids[v], str(v), "person", str(graph.nodes[v].get(org, "")) if org else "", "", None, None, None
        )
        for v in graph
    ]
    edges = [
        EdgeIn(i, ids[u], ids[v], "collaborates", int(d.get("weight", 1)) if weighted else 1, False, False)
        for i, (u, v, d) in enumerate(graph.edges(data=True))
    ]
    return nodes, edges, ids


def relabelled(graph: nx.Graph[Any], ids: dict[Any, int]) -> nx.Graph[Any]:
    return nx.relabel_nodes(graph, ids)


def reference_pagerank(graph: nx.Graph[Any]) -> dict[Any, float]:
    """networkx's own PageRank: the public one needs scipy, else its pure-Python reference."""
    if importlib.util.find_spec("scipy") is None:
        reference = getattr(nx.algorithms.link_analysis.pagerank_alg, "_pagerank_python")  # noqa: B009
        return dict(reference(graph, weight="weight"))
    return dict(nx.pagerank(graph, weight="weight"))


def nan_to_none(values: dict[Any, float]) -> dict[Any, float | None]:
    return {k: None if math.isnan(v) else v for k, v in values.items()}


# ------------------------------------------------------------------------------------------------
# Reference networks


def test_karate_club_published_figures() -> None:
    graph = nx.karate_club_graph()
    nodes, edges, _ = from_nx(graph, org="club")
    metrics = compute_metrics(nodes, edges)

    assert metrics.node_count == 34
    assert metrics.tie_count == 78
    assert metrics.density == pytest.approx(0.13903743315508021)
    assert metrics.density == pytest.approx(nx.density(graph))
    # Zachary's instructor (node 0) has 16 ties, the club officer (node 33) 17: the most.
    assert metrics.nodes[0].degree == 16
    assert metrics.nodes[33].degree == 17
    assert max(metrics.nodes.values(), key=lambda m: m.degree).id == 33
    assert metrics.nodes[33].degree_centrality == pytest.approx(17 / 33)
    # The instructor is the top broker (normalised betweenness 0.4376), then the officer.
    ranked = sorted(metrics.nodes.values(), key=lambda m: -m.betweenness)
    assert [m.id for m in ranked[:2]] == [0, 33]
    assert metrics.nodes[0].betweenness == pytest.approx(0.43763528138528146)
    assert metrics.articulation_points == [0]
    assert metrics.bridges == [(0, 11)]
    assert metrics.component_count == 1
    assert metrics.isolates == []
    assert metrics.betweenness_exact is True


def test_karate_club_measures_match_networkx() -> None:
    graph = nx.karate_club_graph()
    nodes, edges, _ = from_nx(graph, org="club")
    metrics = compute_metrics(nodes, edges)

    betweenness = nx.betweenness_centrality(graph)
    degree = nx.degree_centrality(graph)
    pagerank = reference_pagerank(graph)
    constraint = nan_to_none(nx.constraint(graph, weight="weight"))
    effective = nan_to_none(nx.effective_size(graph, weight="weight"))
    for v, m in metrics.nodes.items():
        assert m.betweenness == pytest.approx(betweenness[v], abs=1e-12)
        assert m.degree_centrality == pytest.approx(degree[v])
        assert m.pagerank == pytest.approx(pagerank[v], abs=1e-6)
        assert m.constraint == pytest.approx(constraint[v], abs=1e-9)
        assert m.effective_size == pytest.approx(effective[v], abs=1e-9)
    assert sum(m.pagerank for m in metrics.nodes.values()) == pytest.approx(1.0)
    # The two leaders have the highest PageRank.
    top = sorted(metrics.nodes.values(), key=lambda m: -m.pagerank)[:2]
    assert {m.id for m in top} == {0, 33}


def test_karate_club_split_as_organisations() -> None:
    graph = nx.karate_club_graph()
    nodes, edges, _ = from_nx(graph, org="club")
    metrics = compute_metrics(nodes, edges)

    crossing = sum(1 for u, v in graph.edges() if graph.nodes[u]["club"] != graph.nodes[v]["club"])
    sizes = [sum(1 for v in graph if graph.nodes[v]["club"] == club) for club in ("Mr. Hi", "Officer")]
    assert metrics.cross_org_ties == crossing
    assert metrics.org_ties_considered == 78
    assert metrics.cross_org_share == pytest.approx(crossing / 78)
    assert metrics.cross_org_density == pytest.approx(crossing / (sizes[0] * sizes[1]))
    assert metrics.org_matrix["Mr. Hi"]["Officer"] == crossing
    assert metrics.org_matrix["Officer"]["Mr. Hi"] == crossing
    inside = 78 - crossing
    assert metrics.org_matrix["Mr. Hi"]["Mr. Hi"] + metrics.org_matrix["Officer"]["Officer"] == inside
    # No sector recorded anywhere: no cross-sector figures, and everyone is counted as unassigned.
    assert metrics.cross_sector_share is None
    assert metrics.sector_unassigned == 34
    assert metrics.sector_matrix == {}


def test_florentine_families() -> None:
    graph = nx.florentine_families_graph()
    # networkx leaves out the Pucci family, isolated in Padgett's marriage network.
    assert "Pucci" not in graph
    nodes, edges, ids = from_nx(graph)
    name = {i: label for label, i in ids.items()}
    metrics = compute_metrics(nodes, edges)

    assert metrics.node_count == 15
    assert metrics.tie_count == 20
    top = max(metrics.nodes.values(), key=lambda m: m.betweenness)
    assert name[top.id] == "Medici"
    # Published: the Medici lie on 47.5 of the 91 pairs' shortest paths.
    assert top.betweenness == pytest.approx(47.5 / 91)
    assert {name[i] for i in metrics.articulation_points} == {"Albizzi", "Guadagni", "Medici", "Salviati"}
    expected_bridges = {frozenset((ids[u], ids[v])) for u, v in nx.bridges(graph)}
    assert {frozenset(b) for b in metrics.bridges} == expected_bridges
    assert len(metrics.bridges) == 5
    effective = nx.effective_size(graph)
    constraint = nx.constraint(graph)
    for label, i in ids.items():
        assert metrics.nodes[i].effective_size == pytest.approx(effective[label])
        assert metrics.nodes[i].constraint == pytest.approx(constraint[label])


def test_florentine_families_with_pucci_isolate() -> None:
    graph = nx.florentine_families_graph()
    graph.add_node("Pucci")
    nodes, edges, ids = from_nx(graph)
    metrics = compute_metrics(nodes, edges)
    pucci = ids["Pucci"]
    assert metrics.isolates == [pucci]
    assert metrics.component_count == 2
    assert metrics.nodes[pucci].constraint is None
    assert metrics.nodes[pucci].effective_size is None
    assert metrics.nodes[pucci].component == 1  # the big component is numbered 0
    # With 16 families the Medici's normalised betweenness is 47.5 / 105.
    assert metrics.nodes[ids["Medici"]].betweenness == pytest.approx(47.5 / 105)


def test_les_miserables_weighted_measures_match_networkx() -> None:
    graph = nx.les_miserables_graph()
    nodes, edges, ids = from_nx(graph)
    metrics = compute_metrics(nodes, edges)
    g = relabelled(graph, ids)

    assert metrics.node_count == 77
    assert metrics.tie_count == 254
    valjean = metrics.nodes[ids["Valjean"]]
    assert valjean.betweenness == pytest.approx(0.5699890527836184)
    assert max(metrics.nodes.values(), key=lambda m: m.betweenness).id == ids["Valjean"]
    assert metrics.articulation_points == sorted(nx.articulation_points(g))
    assert metrics.bridges == sorted(tuple(sorted(b)) for b in nx.bridges(g))
    pagerank = reference_pagerank(g)
    constraint = nan_to_none(nx.constraint(g, weight="weight"))
    effective = nan_to_none(nx.effective_size(g, weight="weight"))
    for v, m in metrics.nodes.items():
        assert m.pagerank == pytest.approx(pagerank[v], abs=1e-6)
        assert m.constraint == pytest.approx(constraint[v], abs=1e-9)
        assert m.effective_size == pytest.approx(effective[v], abs=1e-9)


def test_sampled_betweenness_matches_networkx_with_the_same_seed() -> None:
    nodes, edges, _ = from_nx(nx.les_miserables_graph())
    metrics = compute_metrics(nodes, edges, exact_limit=10, betweenness_samples=30, seed=7)
    assert metrics.betweenness_exact is False
    assert metrics.betweenness_samples == 30
    expected = nx.betweenness_centrality(build_graph(nodes, edges), k=30, seed=7)
    for v, m in metrics.nodes.items():
        assert m.betweenness == pytest.approx(expected[v], abs=1e-12)


def test_communities_are_seeded_numbered_and_order_independent() -> None:
    nodes, edges, _ = from_nx(nx.karate_club_graph())
    metrics = compute_metrics(nodes, edges, seed=42)

    expected = nx.community.louvain_communities(build_graph(nodes, edges), weight="weight", seed=42)
    groups: dict[int, set[int]] = {}
    for m in metrics.nodes.values():
        groups.setdefault(m.community, set()).add(m.id)
    assert {frozenset(g) for g in groups.values()} == {frozenset(g) for g in expected}
    assert metrics.community_count == len(expected)
    sizes = [len(groups[c]) for c in sorted(groups)]
    assert sizes == sorted(sizes, reverse=True)
    assert metrics.modularity == pytest.approx(
        nx.community.modularity(build_graph(nodes, edges), expected, weight="weight")
    )

    shuffled_nodes, shuffled_edges = nodes[:], edges[:]
    random.Random(3).shuffle(shuffled_nodes)
    random.Random(4).shuffle(shuffled_edges)
    again = compute_metrics(shuffled_nodes, shuffled_edges, seed=42)
    assert {v: m.community for v, m in again.nodes.items()} == {
        v: m.community for v, m in metrics.nodes.items()
    }


def test_metrics_to_dict_is_plain_json() -> None:
    graph = nx.florentine_families_graph()
    graph.add_node("Pucci")
    nodes, edges, _ = from_nx(graph)
    data = compute_metrics(nodes, edges).to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    assert [n["id"] for n in data["nodes"]] == sorted(n.id for n in nodes)
    assert all(isinstance(b, list) for b in data["bridges"])


# ------------------------------------------------------------------------------------------------
# Toy maps


def test_build_graph_merges_relationships_and_leaves_out_needed_ties() -> None:
    nodes = [node(1), node(2), node(3)]
    edges = [
        tie(10, 1, 2, strength=2),
        tie(11, 2, 1, strength=4),
        tie(12, 2, 2),  # self-loop: ignored
        tie(13, 2, 99),  # unknown stakeholder: ignored
        tie(14, 2, 3, needed=True),
        tie(15, 1, 3, strength=0),
    ]
    graph = build_graph(nodes, edges)
    assert sorted(graph.edges()) == [(1, 2), (1, 3)]
    assert graph[1][2]["weight"] == 4
    assert graph[1][2]["relationship_ids"] == [10, 11]
    assert graph[1][3]["weight"] == 1  # strengths below 1 count as 1
    assert graph.nodes[1]["name"] == "S1"
    with_needed = build_graph(nodes, edges, include_needed=True)
    assert with_needed.has_edge(2, 3) and with_needed[2][3]["needed"] is True
    assert with_needed[1][2]["needed"] is False


def test_cross_organisation_share_ignores_blanks_and_spelling() -> None:
    nodes = [
        node(1, org="NHS Trust", sector="Health"),
        node(2, org="nhs  trust ", sector="health"),
        node(3, org="Council", sector="Local government"),
        node(4, org="", sector=""),
    ]
    edges = [tie(1, 1, 2), tie(2, 1, 3), tie(3, 2, 4), tie(4, 3, 4)]
    metrics = compute_metrics(nodes, edges)
    assert metrics.org_ties_considered == 2
    assert metrics.cross_org_ties == 1
    assert metrics.cross_org_share == pytest.approx(0.5)
    # Pairs in different organisations: (1,3), (2,3) -> one of two is tied.
    assert metrics.cross_org_density == pytest.approx(0.5)
    assert metrics.org_unassigned == 1
    assert metrics.org_matrix == {"Council": {"NHS Trust": 1}, "NHS Trust": {"NHS Trust": 1, "Council": 1}}
    assert metrics.sector_matrix == {
        "Health": {"Health": 1, "Local government": 1},
        "Local government": {"Health": 1},
    }


def test_empty_and_single_stakeholder_maps() -> None:
    empty = compute_metrics([], [])
    assert empty.node_count == 0 and empty.nodes == {}
    assert json.dumps(empty.to_dict(), allow_nan=False)
    assert [f.code for f in findings([], [], empty)] == ["empty_map"]
    one = compute_metrics([node(1)], [])
    assert one.isolates == [1]
    assert one.nodes[1].constraint is None
    assert layout([node(1)], []) == {1: (0.5, 0.5)}
    assert layout([], []) == {}


def test_needed_ties_impact() -> None:
    nodes = [
        node(1, org="A", sector="Health"),
        node(2, org="A", sector="Health"),
        node(3, org="A", sector="Health"),
        node(4, org="B", sector="Voluntary"),
        node(5, org="B", sector="Voluntary"),
        node(6, org="B", sector="Voluntary"),
        node(7, org="C", sector=""),
    ]
    edges = [
        tie(1, 1, 2),
        tie(2, 2, 3),
        tie(3, 1, 3),
        tie(4, 4, 5),
        tie(5, 5, 6),
        tie(6, 4, 6),
        tie(7, 3, 4, needed=True),  # joins the two triangles
        tie(8, 6, 7, needed=True),  # reaches the isolate
        tie(9, 1, 2, needed=True),  # already there
    ]
    impact = needed_ties_impact(nodes, edges)
    json.dumps(impact, allow_nan=False)
    ties = {t["id"]: t for t in impact["ties"]}
    assert impact["needed_tie_count"] == 3
    assert ties[7]["connects_components"] and ties[7]["is_bridge"] and not ties[7]["already_tied"]
    assert ties[7]["crosses_organisations"] is True and ties[7]["crosses_sectors"] is True
    assert ties[8]["connects_components"] and ties[8]["is_bridge"] and ties[8]["crosses_sectors"] is None
    assert ties[9]["already_tied"] and not ties[9]["connects_components"] and not ties[9]["is_bridge"]
    assert impact["before"]["components"] == 3
    assert impact["after"]["components"] == 1
    assert impact["change"]["components"] == -2
    assert impact["isolates_reached"] == [7]
    assert impact["brokers_added"] == [3, 4, 6]
    assert impact["brokers_relieved"] == []
    assert impact["before"]["cross_org_share"] == 0.0
    assert impact["after"]["cross_org_share"] == pytest.approx(2 / 8)
    assert impact["change"]["cross_org_share"] == pytest.approx(2 / 8)
    assert impact["change"]["cross_sector_density"] == pytest.approx(1 / 9)


def test_needed_tie_that_relieves_a_broker() -> None:
    # A path 1-2-3: 2 is the only link; a needed tie 1-3 would close the triangle.
    nodes = [node(1), node(2), node(3)]
    edges = [tie(1, 1, 2), tie(2, 2, 3), tie(3, 1, 3, needed=True)]
    impact = needed_ties_impact(nodes, edges)
    assert impact["brokers_relieved"] == [2]
    assert impact["change"]["articulation_points"] == -1
    assert impact["change"]["bridges"] == -2
    assert impact["ties"][0]["is_bridge"] is False


def sector_map() -> tuple[list[NodeIn], list[EdgeIn]]:
    nodes = [
        node(1, "Vera", org="Mind", sector="Voluntary"),
        node(2, "Vik", org="Mind", sector="Voluntary"),
        node(3, "Val", org="Age UK", sector="Voluntary"),
        node(4, "Cora", org="ICB", sector="Commissioners"),
        node(5, "Cal", org="ICB", sector="Commissioners"),
        node(6, "Hana", org="Trust", sector="Health"),
        node(7, "Hugo", org="Trust", sector="Health"),
        node(8, "Pia", org="Police", sector="Police"),
        node(9, "Pat", org="Police", sector="Police"),
        node(10, "Ivy <b>", org="", sector=""),
    ]
    edges = [
        tie(1, 1, 2),
        tie(2, 2, 3),
        tie(3, 1, 4),  # Voluntary reaches commissioners only through Vera
        tie(4, 1, 5),
        tie(5, 4, 5),
        tie(6, 6, 7),
        tie(7, 6, 4),  # the only Health - Commissioners tie
        tie(8, 8, 9),  # Police only talk to each other
    ]
    return nodes, edges


def test_findings_on_sectors_and_isolates() -> None:
    nodes, edges = sector_map()
    metrics = compute_metrics(nodes, edges)
    found = findings(nodes, edges, metrics)
    by_code: dict[str, list[Finding]] = {}
    for f in found:
        by_code.setdefault(f.code, []).append(f)

    assert found[0].code == "map_summary"
    severities = [f.severity for f in found[1:]]
    assert severities == sorted(severities, key=lambda s: s != "attention")

    (gateway,) = by_code["sector_gateway"]
    assert gateway.params["sector"] == "Voluntary" and gateway.params["name"] == "Vera"
    assert finding_text(gateway) == (
        "All 2 relationships between Voluntary and other sectors run through one person: Vera."
    )
    (single,) = by_code["sector_single_tie"]
    assert {single.params["sector"], single.params["other"]} == {"Commissioners", "Health"}
    assert "Cora" in finding_text(single) and "Hana" in finding_text(single)
    (cut_off,) = by_code["sector_cut_off"]
    assert finding_text(cut_off) == "No one in Police has a relationship with anyone in another sector."
    (missing,) = by_code["sectors_without_tie"]
    assert finding_text(missing) == "Health and Voluntary have no direct relationship."
    (isolates,) = by_code["isolates"]
    assert finding_text(isolates) == "Ivy <b> has no relationship with anyone else on the map."
    assert by_code["separate_parts"][0].params["count"] == 2
    assert any(f.params.get("name") == "Cora" for f in by_code["single_point"])
    assert "top_brokers" in by_code
    assert by_code["sector_missing"][0].params["count"] == 1
    assert by_code["organisation_missing"][0].params["count"] == 1
    inward = by_code["organisations_inward"][0]
    assert inward.params["names"] == ["Police"]
    assert not any(f.code == "sector_gateway" and f.params["sector"] == "Health" for f in found)

    for f in found:
        text = finding_text(f)
        assert text and "{" not in text and "}" not in text
        assert f.code in FINDING_TEMPLATES
        json.dumps(f.to_dict(), allow_nan=False)


def test_low_cross_organisation_share_is_flagged() -> None:
    nodes = [node(i, org="A" if i < 6 else "B") for i in range(12)]
    edges = [tie(i, i, i + 1) for i in range(11)]  # 10 ties inside, 1 across (5-6)
    metrics = compute_metrics(nodes, edges)
    codes = {f.code: f for f in findings(nodes, edges, metrics)}
    assert "cross_org_low" in codes
    assert codes["cross_org_low"].severity == "attention"
    assert finding_text(codes["cross_org_low"]).startswith("Only 9% of relationships cross")
    balanced = [tie(100 + i, i, 11 - i) for i in range(6)]
    metrics = compute_metrics(nodes, edges + balanced)
    codes = {f.code: f for f in findings(nodes, edges + balanced, metrics)}
    assert "cross_org_share" in codes and codes["cross_org_share"].severity == "info"


def test_finding_text_singular_plural_and_long_lists() -> None:
    one = Finding("isolates", "attention", {"count": 1, "ids": [1], "names": ["Ann"]})
    assert finding_text(one) == "Ann has no relationship with anyone else on the map."
    many = Finding("isolates", "attention", {"count": 7, "names": [f"P{i}" for i in range(7)]})
    assert finding_text(many) == (
        "7 stakeholders have no relationship with anyone else on the map: P0, P1, P2, P3, P4 and 2 others."
    )
    two = Finding("top_brokers", "info", {"count": 2, "names": ["A {x}", "B"]})
    assert finding_text(two).startswith("The strongest brokers are A {x} and B:")


# ------------------------------------------------------------------------------------------------
# Layout


def in_unit_square(positions: dict[int, tuple[float, float]]) -> bool:
    return all(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 for x, y in positions.values())


def test_layout_is_seeded_and_in_the_unit_square() -> None:
    nodes, edges, _ = from_nx(nx.les_miserables_graph())
    first = layout(nodes, edges, seed=1)
    assert set(first) == {n.id for n in nodes}
    assert in_unit_square(first)
    assert layout(list(reversed(nodes)), list(reversed(edges)), seed=1) == first
    assert layout(nodes, edges, seed=2) != first


def test_layout_keeps_ties_short() -> None:
    graph = nx.karate_club_graph()
    nodes, edges, _ = from_nx(graph)
    pos = layout(nodes, edges)

    def dist(u: int, v: int) -> float:
        return math.dist(pos[u], pos[v])

    tied = sum(dist(u, v) for u, v in graph.edges()) / graph.number_of_edges()
    pairs = [(u, v) for u in graph for v in graph if u < v]
    overall = sum(dist(u, v) for u, v in pairs) / len(pairs)
    assert tied < 0.7 * overall


@pytest.mark.parametrize("n", [300, 1000])
def test_large_layout_spreads_out(n: int) -> None:
    graph = nx.powerlaw_cluster_graph(n, 3, 0.3, seed=5)
    nodes, edges, _ = from_nx(graph)
    pos = layout(nodes, edges)
    assert in_unit_square(pos)
    assert len(set(pos.values())) == n
    # The nodes fill the square rather than collapsing into a knot.
    cells = {(int(x * 10), int(y * 10)) for x, y in pos.values()}
    assert len(cells) > 40


def test_layout_with_previous_keeps_existing_positions_exactly() -> None:
    nodes, edges, _ = from_nx(nx.les_miserables_graph())
    before = layout(nodes, edges)
    new = [node(500, "Newcomer"), node(501, "Loner")]
    new_edges = [tie(9000, 500, 0), tie(9001, 500, 1)]
    after = layout(nodes + new, edges + new_edges, previous=before)
    assert all(after[i] == before[i] for i in before)
    assert in_unit_square(after)
    mean = ((before[0][0] + before[1][0]) / 2, (before[0][1] + before[1][1]) / 2)
    assert math.dist(after[500], mean) < 0.25
    # Without neighbours a newcomer is put near the edge.
    x, y = after[501]
    assert min(x, y, 1 - x, 1 - y) < 0.1
    # Positions that went through JSON (lists) come back as the same numbers.
    from_json = json.loads(json.dumps({str(k): v for k, v in before.items()}))
    again = layout(nodes, edges, previous={int(k): v for k, v in from_json.items()})
    assert again == before
    # Deleted stakeholders simply disappear.
    fewer = layout(nodes[1:], edges, previous=before)
    assert all(fewer[i] == before[i] for i in fewer) and nodes[0].id not in fewer


def test_layout_with_previous_outside_unit_square_keeps_the_shape() -> None:
    nodes = [node(i) for i in range(4)]
    edges = [tie(i, i, i + 1) for i in range(3)]
    previous = {0: (10.0, 10.0), 1: (30.0, 10.0), 2: (30.0, 50.0)}
    after = layout(nodes, edges, previous=previous)
    assert in_unit_square(after)
    ratio = math.dist(after[0], after[1]) / math.dist(after[1], after[2])
    assert ratio == pytest.approx(20.0 / 40.0)


def test_new_component_of_newcomers_is_laid_out_together() -> None:
    nodes = [node(i) for i in range(6)]
    edges = [tie(1, 0, 1), tie(2, 1, 2), tie(3, 3, 4), tie(4, 4, 5)]
    previous = {0: (0.4, 0.5), 1: (0.5, 0.5), 2: (0.6, 0.5)}
    after = layout(nodes, edges, previous=previous)
    assert [after[i] for i in range(3)] == [previous[i] for i in range(3)]
    assert in_unit_square(after)
    assert math.dist(after[3], after[4]) < 0.5 and math.dist(after[4], after[5]) < 0.5


def test_place_one() -> None:
    positions = {i: (random.Random(i).random(), random.Random(-i).random()) for i in range(2000)}
    start = time.perf_counter()
    x, y = place_one(5000, [3, 4, 12345], positions)
    assert time.perf_counter() - start < 0.05
    mean = ((positions[3][0] + positions[4][0]) / 2, (positions[3][1] + positions[4][1]) / 2)
    assert math.dist((x, y), mean) < 0.06
    assert place_one(5000, [3, 4], positions) == (x, y)  # deterministic
    assert place_one(7, [], positions) == place_one(7, [99999], positions)
    ex, ey = place_one(7, [], positions)
    assert min(ex, ey, 1 - ex, 1 - ey) < 0.1
    corner = place_one(1, [2], {2: (1.0, 1.0)})
    assert 0.0 <= corner[0] <= 1.0 and 0.0 <= corner[1] <= 1.0


# ------------------------------------------------------------------------------------------------
# Did you mean ...?


def test_similar_names() -> None:
    existing = [
        (1, "NHS Foundation Trust"),
        (2, "NHS Trust"),
        (3, "Police"),
        (4, "Community Mental Health Team"),
        (5, "St. Mary's Hospice"),
        (6, "Rob"),
        (7, "Trust, NHS"),
    ]
    assert normalise_name("  St. Mary’s   HOSPICE ") == "st marys hospice"
    assert similar_names("nhs  trust", existing) == [(2, "NHS Trust"), (7, "Trust, NHS")]
    assert similar_names("Comunity Mental Health Team", existing)[0] == (4, "Community Mental Health Team")
    assert similar_names("st marys hospice", existing)[0][0] == 5
    assert similar_names("Polise", existing) == [(3, "Police")]
    assert similar_names("Bob", existing) == []  # too short for a typo match
    assert similar_names("Fire service", existing) == []
    assert similar_names("   ", existing) == []
    assert len(similar_names("NHS Trust", existing, limit=1)) == 1


# ------------------------------------------------------------------------------------------------
# SVG


def parse_svg(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    return root


def test_svg_map_escapes_every_text() -> None:
    evil = "<script>alert(1)</script>"
    nodes = [
        NodeIn(1, evil, "person", 'Org "quoted" & <b>', "Health & care", None, None, None),
        NodeIn(2, "Bell\x07 & Co ]]>", "team", evil, "<i>", None, None, None),
        NodeIn(3, "Plain", "group", "", "", None, None, None),
    ]
    edges = [
        EdgeIn(1, 1, 2, "funds", 3, True, False),
        EdgeIn(2, 2, 3, "informal", 1, False, True),
    ]
    positions = layout(nodes, edges)
    for colour_by in ("organisation", "sector", "community", "kind", "stance"):
        text = svg_map(nodes, edges, positions, colour_by=colour_by, title=evil)
        assert "<script>" not in text
        root = parse_svg(text)
        texts = ["".join(e.itertext()) for e in root.iter(f"{SVG}text")]
        titles = ["".join(e.itertext()) for e in root.iter(f"{SVG}title")]
        assert evil in titles
        assert len(root.findall(f".//{SVG}g[@class='stakeholders']/{SVG}circle")) == 3
        if colour_by == "organisation":
            assert evil in texts
            assert "Bell & Co ]]>" in texts  # the control character is dropped
            assert 'Org "quoted" & <b>' in texts  # legend
    text = svg_map(nodes, edges, positions)
    root = parse_svg(text)
    assert root.findall(f".//{SVG}g[@class='needed-ties']/{SVG}line")
    assert any(line.get("marker-end") for line in root.iter(f"{SVG}line"))


def test_svg_map_of_reference_network_and_missing_positions() -> None:
    nodes, edges, _ = from_nx(nx.les_miserables_graph())
    positions = layout(nodes, edges)
    del positions[0]
    text = svg_map(nodes, edges, positions, colour_by="community", width=600, height=400, legend=False)
    root = parse_svg(text)
    assert root.get("width") == "600"
    assert len(root.findall(f".//{SVG}g[@class='stakeholders']/{SVG}circle")) == 77
    assert len(root.findall(f".//{SVG}g[@class='ties']/{SVG}line")) == 254
    assert parse_svg(svg_map([], [], {}))


def test_svg_legend_lists_the_biggest_groups_then_other() -> None:
    nodes = [node(i, org=f"Org {i % 9}") for i in range(40)] + [node(99)]
    text = svg_map(nodes, [], layout(nodes, []))
    legend = parse_svg(text).find(f".//{SVG}g[@class='legend']")
    assert legend is not None
    labels = [t.text for t in legend.iter(f"{SVG}text")]
    assert labels[:7] == [f"Org {i}" for i in range(7)]
    assert labels[7:9] == ["Other", "Not recorded"]


# ------------------------------------------------------------------------------------------------
# Purity


def test_analysis_imports_neither_flask_nor_sqlalchemy() -> None:
    source = Path(network.__file__).read_text(encoding="utf-8")
    imported: set[str] = set()
    for item in ast.walk(ast.parse(source)):
        if isinstance(item, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in item.names)
        elif isinstance(item, ast.ImportFrom) and item.module:
            imported.add(item.module.split(".")[0])
    assert not imported & {"flask", "sqlalchemy", "flask_sqlalchemy", "numpy", "scipy"}
