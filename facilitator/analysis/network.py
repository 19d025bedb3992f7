"""Stakeholder-map analysis: graph, measures, findings, layout, name matching and an SVG picture.

Everything here is a pure function of plain data (:class:`NodeIn`, :class:`EdgeIn`) and returns plain
data, so it runs the same in a request, a worker process or a test. Nothing imports Flask or
SQLAlchemy, and nothing needs numpy or scipy: the measures networkx offers in pure Python are used as
they are, and the few that networkx only computes with scipy (PageRank, Burt's measures for all
nodes) or numpy (layouts) are written out here in plain Python, with the tests checking them against
networkx's own reference implementations.

Conventions used throughout:

* The *current network* is every relationship not marked "needed but missing". Needed ties take part
  only in :func:`needed_ties_impact` (and are drawn dashed by :func:`svg_map`).
* Several relationships between the same two stakeholders count as one *tie* (weight = the strongest).
  Relationships of a stakeholder with itself and relationships to unknown stakeholders are ignored.
* Organisation and sector names are compared after trimming, collapsing whitespace and ignoring
  case, so "NHS  trust" and "NHS Trust" are one organisation (shown with the first spelling seen).
  Stakeholders with a blank organisation (or sector) are left out of the cross-organisation (or
  cross-sector) figures and matrices; how many were left out is reported alongside.
"""

from __future__ import annotations

import difflib
import math
import random
import re
import statistics
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

__all__ = [
    "FINDING_TEMPLATES",
    "FINDING_WORDS",
    "PALETTE",
    "SVG_WORDS",
    "EdgeIn",
    "Finding",
    "MapMetrics",
    "NodeIn",
    "NodeMetrics",
    "Position",
    "Translate",
    "build_graph",
    "compute_metrics",
    "finding_text",
    "findings",
    "layout",
    "needed_ties_impact",
    "normalise_name",
    "place_one",
    "similar_names",
    "svg_map",
]

Position = tuple[float, float]
Severity = Literal["info", "attention"]

#: A gettext-style translator, ``translate(singular, plural, n)``, like ``ngettext`` of a catalogue.
#: It must return the chosen text untouched by ``%`` formatting: placeholders here are ``{name}``.
Translate = Callable[[str, str, int], str]


def _english(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def ngettext_noop(singular: str, plural: str) -> tuple[str, str]:
    """Marks a (singular, plural) pair for message extraction (keyword ``ngettext_noop:1,2``)."""
    return singular, plural


# --------------------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True, slots=True)
class NodeIn:
    """A stakeholder as the analysis sees it."""

    id: int
    name: str
    kind: str
    organisation: str
    sector: str
    influence: int | None
    interest: int | None
    stance: str | None
    losses: str = ""  # what the stakeholder stands to lose from change (free text, may be blank)


@dataclass(frozen=True, slots=True)
class EdgeIn:
    """A relationship. ``is_needed`` marks a tie that is needed but missing today."""

    id: int
    source: int
    target: int
    kind: str
    strength: int
    directed: bool
    is_needed: bool


def _label(value: str | None) -> str:
    """Display form of a free-text group name: trimmed, inner whitespace collapsed."""
    return " ".join((value or "").split())


def _key(value: str | None) -> str:
    """Comparison form of a group name: as :func:`_label`, ignoring case."""
    return _label(value).casefold()


def _pair(u: int, v: int) -> tuple[int, int]:
    return (u, v) if u <= v else (v, u)


def build_graph(
    nodes: Iterable[NodeIn], edges: Iterable[EdgeIn], *, include_needed: bool = False
) -> nx.Graph[int]:
    """Undirected simple graph of the map, for measures.

    Nodes are added in id order and ties in (smaller id, larger id) order, so the same map always
    gives the same graph whatever order the rows came in (which keeps seeded algorithms stable).
    Node attributes: ``name kind organisation sector influence interest stance``. Tie attributes:
    ``weight`` (the strongest strength among the merged relationships, at least 1),
    ``relationship_ids``, ``kinds`` (sorted, distinct) and ``needed`` (True when every merged
    relationship is a needed tie; only possible with ``include_needed=True``).
    """
    graph: nx.Graph[int] = nx.Graph()
    for node in sorted(nodes, key=lambda n: n.id):
        graph.add_node(
            node.id,
            name=node.name,
            kind=node.kind,
            organisation=node.organisation,
            sector=node.sector,
            influence=node.influence,
            interest=node.interest,
            stance=node.stance,
            losses=bool(node.losses.strip()),
        )
    ties: dict[tuple[int, int], dict[str, Any]] = {}
    for edge in sorted(edges, key=lambda e: e.id):
        if edge.is_needed and not include_needed:
            continue
        if edge.source == edge.target or edge.source not in graph or edge.target not in graph:
            continue
        pair = _pair(edge.source, edge.target)
        weight = max(1, edge.strength)
        tie = ties.get(pair)
        if tie is None:
            ties[pair] = {
                "weight": weight,
                "relationship_ids": [edge.id],
                "kinds": {edge.kind},
                "needed": edge.is_needed,
            }
        else:
            tie["weight"] = max(tie["weight"], weight)
            tie["relationship_ids"].append(edge.id)
            tie["kinds"].add(edge.kind)
            tie["needed"] = tie["needed"] and edge.is_needed
    for (u, v), tie in sorted(ties.items()):
        graph.add_edge(
            u,
            v,
            weight=tie["weight"],
            relationship_ids=tie["relationship_ids"],
            kinds=sorted(tie["kinds"]),
            needed=tie["needed"],
        )
    return graph


# --------------------------------------------------------------------------------------------------
# Measures


@dataclass(frozen=True, slots=True)
class NodeMetrics:
    """Measures of one stakeholder. ``constraint`` and ``effective_size`` are None for isolates."""

    id: int
    degree: int
    degree_centrality: float
    betweenness: float
    pagerank: float
    community: int
    component: int
    is_articulation_point: bool
    constraint: float | None
    effective_size: float | None


@dataclass(frozen=True, slots=True)
class MapMetrics:
    """Measures of a whole map (the current network, without needed ties).

    Communities and components are numbered 0, 1, ... by size (largest first), ties broken by the
    smallest stakeholder id in them. ``betweenness_exact`` says whether betweenness was computed
    exactly or estimated from ``betweenness_samples`` seeded sample sources (large maps).
    Cross-organisation figures count ties whose two ends both have an organisation:
    ``cross_org_share`` = crossing / considered ties, ``cross_org_density`` = crossing ties / pairs of
    stakeholders in different organisations that could be tied. The same holds for sectors.
    ``org_matrix[a][b]`` is the number of ties between organisations a and b (a == b: ties inside
    a); pairs without ties are left out, so a missing entry means 0. Every organisation has a row.
    """

    node_count: int
    tie_count: int
    relationship_count: int
    density: float
    component_count: int
    community_count: int
    modularity: float | None
    isolates: list[int]
    bridges: list[tuple[int, int]]
    articulation_points: list[int]
    cross_org_ties: int
    org_ties_considered: int
    cross_org_share: float | None
    cross_org_density: float | None
    org_unassigned: int
    cross_sector_ties: int
    sector_ties_considered: int
    cross_sector_share: float | None
    cross_sector_density: float | None
    sector_unassigned: int
    org_matrix: dict[str, dict[str, int]]
    sector_matrix: dict[str, dict[str, int]]
    betweenness_exact: bool
    betweenness_samples: int | None
    seed: int
    nodes: dict[int, NodeMetrics] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain data: lists instead of tuples, ``nodes`` as a list sorted by id."""
        data = asdict(self)
        data["bridges"] = [list(pair) for pair in self.bridges]
        data["nodes"] = [asdict(self.nodes[i]) for i in sorted(self.nodes)]
        return data


def _numbered(groups: Iterable[Iterable[int]]) -> dict[int, int]:
    """Number groups by size (largest first), then by smallest member id."""
    ordered = sorted((sorted(g) for g in groups), key=lambda g: (-len(g), g[0] if g else 0))
    return {member: number for number, group in enumerate(ordered) for member in group}


def _communities(graph: nx.Graph[int], seed: int) -> dict[int, int]:
    if graph.number_of_nodes() == 0:
        return {}
    if graph.number_of_edges() == 0:
        return _numbered([[n] for n in graph])
    found = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    return _numbered(found)


def _pagerank(
    graph: nx.Graph[int], *, alpha: float = 0.85, tol: float = 1.0e-6, max_iter: int = 100
) -> dict[int, float]:
    """PageRank of an undirected weighted graph by power iteration, in plain Python.

    Same definition and stopping rule as networkx's reference ``_pagerank_python`` (networkx's
    public ``pagerank`` needs scipy). Returns the last iterate if it has not converged.
    """
    order = list(graph)
    n = len(order)
    if n == 0:
        return {}
    index = {node: i for i, node in enumerate(order)}
    nbrs: list[list[tuple[int, float]]] = []
    out_weight: list[float] = []
    for node in order:
        row = [(index[v], float(d.get("weight", 1))) for v, d in graph[node].items()]
        nbrs.append(row)
        out_weight.append(sum(w for _, w in row))
    dangling = [i for i in range(n) if out_weight[i] == 0.0]
    x = [1.0 / n] * n
    for _ in range(max_iter):
        last = x
        x = [0.0] * n
        for i in range(n):
            total = out_weight[i]
            if total:
                share = alpha * last[i] / total
                for j, w in nbrs[i]:
                    x[j] += share * w
        base = (1.0 - alpha) / n + alpha * sum(last[i] for i in dangling) / n
        x = [value + base for value in x]
        if sum(abs(x[i] - last[i]) for i in range(n)) < n * tol:
            break
    return {order[i]: x[i] for i in range(n)}


def _betweenness(graph: nx.Graph[int], *, samples: int | None = None, seed: int = 42) -> dict[int, float]:
    """Normalised betweenness (hop counts) by Brandes' algorithm over integer adjacency lists.

    Same values as ``nx.betweenness_centrality(graph)`` and, with ``samples``, as
    ``nx.betweenness_centrality(graph, k=samples, seed=seed)`` (the same sources are drawn and the
    same rescaling applied), several times faster because it avoids networkx's dict-of-dicts views.
    """
    order = list(graph)
    n = len(order)
    index = {node: i for i, node in enumerate(order)}
    adjacency = [[index[w] for w in graph[v]] for v in order]
    score = [0.0] * n
    if samples is not None and samples >= n:
        samples = None
    if samples is None:
        sources: list[int] = list(range(n))
    else:
        sources = [index[v] for v in random.Random(seed).sample(order, samples)]
    for s in sources:
        sigma = [0.0] * n
        distance = [-1] * n
        sigma[s] = 1.0
        distance[s] = 0
        visited = [s]
        head = 0
        while head < len(visited):
            v = visited[head]
            head += 1
            next_distance = distance[v] + 1
            sigma_v = sigma[v]
            for w in adjacency[v]:
                if distance[w] < 0:
                    distance[w] = next_distance
                    visited.append(w)
                if distance[w] == next_distance:
                    sigma[w] += sigma_v
        delta = [0.0] * n
        for w in reversed(visited):
            before = distance[w] - 1
            coefficient = (1.0 + delta[w]) / sigma[w]
            for v in adjacency[w]:
                if distance[v] == before:
                    delta[v] += sigma[v] * coefficient
            if w != s:
                score[w] += delta[w]
    # Rescale as networkx does (normalized=True, endpoints=False).
    pairs = n - 1
    if pairs < 2:
        return dict.fromkeys(order, 0.0)
    if samples is None:
        return {order[i]: score[i] / (pairs * (pairs - 1)) for i in range(n)}
    sampled = set(sources)
    scale_source = 1.0 / ((samples - 1) * (pairs - 1)) if samples > 1 else math.nan
    scale_other = 1.0 / (samples * (pairs - 1))
    return {order[i]: score[i] * (scale_source if i in sampled else scale_other) for i in range(n)}


def _burt(
    graph: nx.Graph[int], weight: str | None = "weight"
) -> tuple[dict[int, float | None], dict[int, float | None]]:
    """Burt's constraint and effective size of every node, in plain Python.

    Same definitions as ``nx.constraint`` and ``nx.effective_size`` on an undirected graph without
    self-loops (networkx switches to scipy for all nodes at once, or to a much slower per-node path).
    p(u, v) = w(u, v) / sum of u's tie weights; m(v, w) = w(v, w) / v's strongest tie weight.
    Isolates get None (networkx gives NaN).
    """

    def w(u: int, v: int) -> float:
        return float(graph[u][v].get(weight, 1)) if weight is not None else 1.0

    total: dict[int, float] = {}
    strongest: dict[int, float] = {}
    for u in graph:
        weights = [w(u, v) for v in graph[u] if v != u]
        total[u] = sum(weights)
        strongest[u] = max(weights, default=0.0)
    constraint: dict[int, float | None] = {}
    effective: dict[int, float | None] = {}
    for u in graph:
        nbrs_u = [v for v in graph[u] if v != u]
        if not nbrs_u or total[u] == 0.0:
            constraint[u] = None
            effective[u] = None
            continue
        adj_u = graph[u]
        c_sum = 0.0
        e_sum = 0.0
        for v in nbrs_u:
            adj_v = graph[v]
            p_uv = w(u, v) / total[u]
            indirect = 0.0
            redundancy = 0.0
            small, large = (adj_u, adj_v) if len(adj_u) <= len(adj_v) else (adj_v, adj_u)
            for x in small:
                if x == u or x == v or x not in large:
                    continue
                p_ux = w(u, x) / total[u]
                indirect += p_ux * (w(x, v) / total[x])
                redundancy += p_ux * (w(v, x) / strongest[v])
            c_sum += (p_uv + indirect) ** 2
            e_sum += 1.0 - redundancy
        constraint[u] = c_sum
        effective[u] = e_sum
    return constraint, effective


@dataclass
class _GroupStats:
    crossing: int
    considered: int
    share: float | None
    density: float | None
    unassigned: int
    matrix: dict[str, dict[str, int]]
    labels: dict[str, str]  # key -> display label
    members: dict[str, list[int]]  # key -> node ids


def _group_stats(graph: nx.Graph[int], attribute: str) -> _GroupStats:
    labels: dict[str, str] = {}
    members: dict[str, list[int]] = {}
    key_of: dict[int, str] = {}
    unassigned = 0
    for node, data in graph.nodes(data=True):
        key = _key(data.get(attribute))
        if not key:
            unassigned += 1
            continue
        labels.setdefault(key, _label(data.get(attribute)))
        members.setdefault(key, []).append(node)
        key_of[node] = key
    matrix: dict[str, dict[str, int]] = {labels[k]: {} for k in sorted(labels, key=lambda k: (k, labels[k]))}
    crossing = 0
    considered = 0
    for u, v in graph.edges():
        ku = key_of.get(u)
        kv = key_of.get(v)
        if ku is None or kv is None:
            continue
        considered += 1
        if ku != kv:
            crossing += 1
        a, b = labels[ku], labels[kv]
        matrix[a][b] = matrix[a].get(b, 0) + 1
        if a != b:
            matrix[b][a] = matrix[b].get(a, 0) + 1
    known = sum(len(m) for m in members.values())
    possible = known * (known - 1) // 2 - sum(len(m) * (len(m) - 1) // 2 for m in members.values())
    return _GroupStats(
        crossing=crossing,
        considered=considered,
        share=crossing / considered if considered else None,
        density=crossing / possible if possible else None,
        unassigned=unassigned,
        matrix=matrix,
        labels=labels,
        members=members,
    )


def _components(graph: nx.Graph[int]) -> dict[int, int]:
    return _numbered(nx.connected_components(graph))


def _bridges(graph: nx.Graph[int]) -> list[tuple[int, int]]:
    """Ties whose loss would split the map, as sorted (smaller id, larger id) pairs."""
    # cast: the networkx stubs declare nodes where bridges() yields pairs of nodes
    found = cast(Iterable[tuple[int, int]], nx.bridges(graph))
    return sorted(_pair(u, v) for u, v in found)


def _modularity(graph: nx.Graph[int], community: Mapping[int, int]) -> float | None:
    if graph.number_of_edges() == 0:
        return None
    groups: dict[int, set[int]] = {}
    for node, number in community.items():
        groups.setdefault(number, set()).add(node)
    return float(nx.community.modularity(graph, list(groups.values()), weight="weight"))


def compute_metrics(
    nodes: Iterable[NodeIn],
    edges: Iterable[EdgeIn],
    *,
    seed: int = 42,
    exact_limit: int = 500,
    betweenness_samples: int = 100,
) -> MapMetrics:
    """Measures of the current network (needed ties excluded).

    * degree, degree centrality; betweenness (normalised, hop counts, tie strength ignored): exact up
      to ``exact_limit`` stakeholders, above that estimated from ``betweenness_samples`` sources
      drawn with ``seed``;
    * PageRank, Louvain communities and Burt's constraint / effective size use tie strength as weight;
    * articulation points (stakeholders whose departure splits the map), bridges (ties whose loss
      splits it), isolates, components, density;
    * cross-organisation and cross-sector shares, densities and tie matrices (see :class:`MapMetrics`).
    """
    node_list = list(nodes)
    edge_list = list(edges)
    graph = build_graph(node_list, edge_list)
    n = graph.number_of_nodes()
    relationship_count = sum(len(d["relationship_ids"]) for _, _, d in graph.edges(data=True))

    exact = n <= exact_limit
    samples: int | None = None
    if not exact:
        samples = min(n, max(2, betweenness_samples))
    betweenness = _betweenness(graph, samples=samples, seed=seed)

    community = _communities(graph, seed)
    component = _components(graph)
    pagerank = _pagerank(graph)
    constraint, effective = _burt(graph)
    articulation = sorted(nx.articulation_points(graph))
    articulation_set = set(articulation)
    bridges = _bridges(graph)
    isolates = sorted(nx.isolates(graph))
    degree_centrality = nx.degree_centrality(graph) if n else {}
    orgs = _group_stats(graph, "organisation")
    sectors = _group_stats(graph, "sector")

    per_node = {
        node: NodeMetrics(
            id=node,
            degree=int(graph.degree(node)),
            degree_centrality=float(degree_centrality[node]),
            betweenness=float(betweenness[node]),
            pagerank=float(pagerank[node]),
            community=community[node],
            component=component[node],
            is_articulation_point=node in articulation_set,
            constraint=constraint[node],
            effective_size=effective[node],
        )
        for node in graph
    }
    return MapMetrics(
        node_count=n,
        tie_count=graph.number_of_edges(),
        relationship_count=relationship_count,
        density=float(nx.density(graph)) if n > 1 else 0.0,
        component_count=len(set(component.values())),
        community_count=len(set(community.values())),
        modularity=_modularity(graph, community),
        isolates=isolates,
        bridges=bridges,
        articulation_points=articulation,
        cross_org_ties=orgs.crossing,
        org_ties_considered=orgs.considered,
        cross_org_share=orgs.share,
        cross_org_density=orgs.density,
        org_unassigned=orgs.unassigned,
        cross_sector_ties=sectors.crossing,
        sector_ties_considered=sectors.considered,
        cross_sector_share=sectors.share,
        cross_sector_density=sectors.density,
        sector_unassigned=sectors.unassigned,
        org_matrix=orgs.matrix,
        sector_matrix=sectors.matrix,
        betweenness_exact=exact,
        betweenness_samples=samples,
        seed=seed,
        nodes=per_node,
    )


# --------------------------------------------------------------------------------------------------
# Needed ties


def _structure_summary(graph: nx.Graph[int]) -> dict[str, Any]:
    orgs = _group_stats(graph, "organisation")
    sectors = _group_stats(graph, "sector")
    n = graph.number_of_nodes()
    return {
        "ties": graph.number_of_edges(),
        "density": float(nx.density(graph)) if n > 1 else 0.0,
        "components": nx.number_connected_components(graph) if n else 0,
        "isolates": sorted(nx.isolates(graph)),
        "articulation_points": sorted(nx.articulation_points(graph)),
        "bridges": _bridges(graph),
        "cross_org_share": orgs.share,
        "cross_org_density": orgs.density,
        "cross_sector_share": sectors.share,
        "cross_sector_density": sectors.density,
    }


def _delta(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


def needed_ties_impact(nodes: Iterable[NodeIn], edges: Iterable[EdgeIn], seed: int = 42) -> dict[str, Any]:
    """Compare today's network with the one the needed ties would make (plain JSON-ready data).

    Returns ``before`` and ``after`` summaries (ties, density, components, isolates, articulation
    points, bridges, cross-organisation and cross-sector share and density), their ``change``, and
    one entry per needed relationship in ``ties``: whether the pair is already tied today
    (``already_tied``), whether it would join parts of the map that are separate today
    (``connects_components``), whether it would be a bridge (the only link between two parts) in
    the network with the needed ties, whether it joins different Louvain communities of today's
    network (seeded with ``seed``), and whether it crosses organisations / sectors (None when an
    end has no organisation / sector). Also lists the brokers that would stop being single points of
    failure (``brokers_relieved``), new ones (``brokers_added``) and isolates the ties would reach.
    """
    node_list = list(nodes)
    edge_list = list(edges)
    before_graph = build_graph(node_list, edge_list)
    after_graph = build_graph(node_list, edge_list, include_needed=True)
    before = _structure_summary(before_graph)
    after = _structure_summary(after_graph)
    component = _components(before_graph)
    community = _communities(before_graph, seed)
    after_bridges = set(after["bridges"])

    ties: list[dict[str, Any]] = []
    for edge in sorted(edge_list, key=lambda e: e.id):
        if not edge.is_needed or edge.source == edge.target:
            continue
        if edge.source not in before_graph or edge.target not in before_graph:
            continue
        pair = _pair(edge.source, edge.target)
        ends = (before_graph.nodes[edge.source], before_graph.nodes[edge.target])
        org_keys = (_key(ends[0]["organisation"]), _key(ends[1]["organisation"]))
        sector_keys = (_key(ends[0]["sector"]), _key(ends[1]["sector"]))
        ties.append(
            {
                "id": edge.id,
                "source": edge.source,
                "target": edge.target,
                "kind": edge.kind,
                "already_tied": before_graph.has_edge(*pair),
                "connects_components": component[pair[0]] != component[pair[1]],
                "is_bridge": pair in after_bridges,
                "joins_communities": community[pair[0]] != community[pair[1]],
                "crosses_organisations": (org_keys[0] != org_keys[1]) if all(org_keys) else None,
                "crosses_sectors": (sector_keys[0] != sector_keys[1]) if all(sector_keys) else None,
            }
        )

    before_ap = set(before["articulation_points"])
    after_ap = set(after["articulation_points"])
    change = {
        "ties": after["ties"] - before["ties"],
        "density": after["density"] - before["density"],
        "components": after["components"] - before["components"],
        "isolates": len(after["isolates"]) - len(before["isolates"]),
        "articulation_points": len(after_ap) - len(before_ap),
        "bridges": len(after["bridges"]) - len(before["bridges"]),
        "cross_org_share": _delta(after["cross_org_share"], before["cross_org_share"]),
        "cross_org_density": _delta(after["cross_org_density"], before["cross_org_density"]),
        "cross_sector_share": _delta(after["cross_sector_share"], before["cross_sector_share"]),
        "cross_sector_density": _delta(after["cross_sector_density"], before["cross_sector_density"]),
    }
    for summary in (before, after):
        summary["bridges"] = [list(p) for p in summary["bridges"]]
    return {
        "needed_tie_count": len(ties),
        "ties": ties,
        "before": before,
        "after": after,
        "change": change,
        "brokers_relieved": sorted(before_ap - after_ap),
        "brokers_added": sorted(after_ap - before_ap),
        "isolates_reached": sorted(set(before["isolates"]) - set(after["isolates"])),
    }


# --------------------------------------------------------------------------------------------------
# Findings

#: Sentence templates, one (singular, plural) pair per finding code, chosen by ``params["count"]``.
#: They are translated where they are rendered: :func:`finding_text` takes a ``translate`` function
#: (the caller's gettext catalogue), so this module stays free of Flask. ``{names}``-like
#: placeholders are filled with lists joined by :func:`_join`.
FINDING_TEMPLATES: dict[str, tuple[str, str]] = {
    "empty_map": ngettext_noop(
        "The map has no stakeholders yet.",
        "The map has no stakeholders yet.",
    ),
    "map_summary": ngettext_noop(
        "The map shows {count} stakeholder and {ties} relationships.",
        "The map shows {count} stakeholders and {ties} relationships between them; "
        "{density_percent} of all possible pairs are directly linked.",
    ),
    "isolates": ngettext_noop(
        "{names} has no relationship with anyone else on the map.",
        "{count} stakeholders have no relationship with anyone else on the map: {names}.",
    ),
    "separate_parts": ngettext_noop(
        "The map falls into {count} separate part with no relationship between them.",
        "The map falls into {count} separate parts with no relationship between them; "
        "the largest has {largest} stakeholders.",
    ),
    "single_point": ngettext_noop(
        "If {name} stepped away, {count} stakeholder would lose every link to the rest of the map.",
        "If {name} stepped away, {count} stakeholders would lose every link to the rest of the map.",
    ),
    "more_single_points": ngettext_noop(
        "{names} is also the only link between part of the map and the rest.",
        "{count} more stakeholders are each the only link between part of the map and the rest: {names}.",
    ),
    "top_brokers": ngettext_noop(
        "The strongest broker is {names}: many of the shortest paths between others run through them.",
        "The strongest brokers are {names}: many of the shortest paths between others run through them.",
    ),
    "sector_gateway": ngettext_noop(
        "Every relationship between {sector} and other sectors runs through one person: {name}.",
        "All {count} relationships between {sector} and other sectors run through one person: {name}.",
    ),
    "sector_pair_gateway": ngettext_noop(
        "The only relationship between {sector} and {other} runs through {name}.",
        "All {count} relationships between {sector} and {other} run through one person: {name}.",
    ),
    "sector_single_tie": ngettext_noop(
        "The only relationship between {sector} and {other} is the one between {name} and {other_name}.",
        "The only relationship between {sector} and {other} is the one between {name} and {other_name}.",
    ),
    "sector_cut_off": ngettext_noop(
        "No one in {sector} has a relationship with anyone in another sector.",
        "No one in {sector} has a relationship with anyone in another sector.",
    ),
    "sectors_without_tie": ngettext_noop(
        "{sector} and {others} have no direct relationship.",
        "{sector} has no direct relationship with {count} other sectors: {others}.",
    ),
    "organisations_inward": ngettext_noop(
        "No one in {names} has a relationship with anyone outside it.",
        "{count} organisations have relationships only inside themselves: {names}.",
    ),
    "cross_org_low": ngettext_noop(
        "Only {percent} of relationships cross organisational boundaries: most work stays inside "
        "organisations.",
        "Only {percent} of relationships cross organisational boundaries: most work stays inside "
        "organisations.",
    ),
    "cross_org_share": ngettext_noop(
        "{percent} of relationships cross organisational boundaries.",
        "{percent} of relationships cross organisational boundaries.",
    ),
    "cross_sector_low": ngettext_noop(
        "Only {percent} of relationships cross sectors: most work stays inside sectors.",
        "Only {percent} of relationships cross sectors: most work stays inside sectors.",
    ),
    "cross_sector_share": ngettext_noop(
        "{percent} of relationships cross sectors.",
        "{percent} of relationships cross sectors.",
    ),
    "communities": ngettext_noop(
        "The stakeholders form {count} cluster of closely linked people and groups.",
        "The stakeholders form {count} clusters of closely linked people and groups.",
    ),
    "organisation_missing": ngettext_noop(
        "{count} stakeholder has no organisation recorded and is left out of the cross-organisation figures.",
        "{count} stakeholders have no organisation recorded and are left out of the "
        "cross-organisation figures.",
    ),
    "losses": ngettext_noop(
        "{names} stands to lose from the change; ask what would help them bear that loss.",
        "{count} stakeholders stand to lose from the change: {names}. Ask who bears the losses "
        "and what would help them.",
    ),
    "sector_missing": ngettext_noop(
        "{count} stakeholder has no sector recorded and is left out of the cross-sector figures.",
        "{count} stakeholders have no sector recorded and are left out of the cross-sector figures.",
    ),
}

#: Words used to join lists of names in findings ("A, B and C", "and 4 others"), translated like
#: the templates: (singular, plural) pairs chosen by a count.
FINDING_WORDS: dict[str, tuple[str, str]] = {
    "and": ngettext_noop("and", "and"),
    "others": ngettext_noop("1 other", "{count} others"),
}

#: How many names a sentence lists before saying "and N others".
NAMES_IN_SENTENCE = 5

LOW_CROSS_SHARE = 0.25
"""Below this share of crossing ties (with at least 5 ties considered) a finding asks for attention."""


@dataclass(frozen=True)
class Finding:
    """A plain-language observation about the map. ``params`` holds JSON-ready values only."""

    code: str
    severity: Severity
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "params": self.params,
            "text": finding_text(self),
        }


def _join(items: Sequence[str], limit: int = NAMES_IN_SENTENCE, translate: Translate = _english) -> str:
    words = list(items)
    if len(words) > limit:
        rest = len(words) - limit
        words = [*words[:limit], translate(*FINDING_WORDS["others"], rest).replace("{count}", str(rest))]
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {translate(*FINDING_WORDS['and'], len(words))} {words[-1]}"


class _Blank(dict[str, Any]):
    """Format values: a placeholder a translation leaves out is fine, one it invents is blank."""

    def __missing__(self, key: str) -> str:
        return ""


def finding_text(f: Finding, translate: Translate | None = None, percent: Callable[[int], str] | None = None) -> str:
    """The finding as one sentence (plain text: escape it where it is shown).

    ``translate`` is a gettext-style ``ngettext(singular, plural, n)`` of the reader's language
    (English when None); it picks the form by ``params["count"]`` (or 2 when there is no count).
    ``percent`` writes a whole percentage the reader's way (12 -> "12 %" in French; "12%" when None).
    """
    show_percent = percent or (lambda value: f"{value}%")
    tr = translate or _english
    singular, plural = FINDING_TEMPLATES[f.code]
    count = f.params.get("count")
    template = tr(singular, plural, count if isinstance(count, int) else 2)
    values = _Blank(
        {
            k: _join([str(x) for x in v], translate=tr) if isinstance(v, list)
            else show_percent(v) if k.endswith("percent") else v
            for k, v in f.params.items()
        }
    )
    try:
        return template.format_map(values)
    except (ValueError, IndexError, AttributeError):  # a broken translation: fall back to English
        return _english(singular, plural, count if isinstance(count, int) else 2).format_map(values)


def _cut_off(graph: nx.Graph[int], node: int) -> int:
    """How many stakeholders lose every path to the largest remaining part if ``node`` leaves."""
    part = nx.node_connected_component(graph, node)
    rest = graph.subgraph(part - {node})
    largest = max((len(c) for c in nx.connected_components(rest)), default=0)
    return len(part) - 1 - largest


def _percent(share: float) -> int:
    return int(round(share * 100))


def findings(nodes: Iterable[NodeIn], edges: Iterable[EdgeIn], metrics: MapMetrics) -> list[Finding]:
    """Plain-language findings a leader can act on, "attention" ones first (after the summary).

    ``metrics`` must come from :func:`compute_metrics` on the same nodes and edges.
    """
    node_list = list(nodes)
    graph = build_graph(node_list, list(edges))
    names = {n.id: _label(n.name) or f"#{n.id}" for n in node_list}
    n = metrics.node_count
    if n == 0:
        return [Finding("empty_map", "info", {"count": 0})]
    result: list[Finding] = [
        Finding(
            "map_summary",
            "info",
            {"count": n, "ties": metrics.tie_count, "density_percent": _percent(metrics.density)},
        )
    ]

    def named(ids: Iterable[int]) -> dict[str, Any]:
        id_list = list(ids)
        return {"ids": id_list, "names": [names[i] for i in id_list]}

    if metrics.isolates and n > 1:
        result.append(
            Finding("isolates", "attention", {"count": len(metrics.isolates), **named(metrics.isolates)})
        )

    losing = sorted(node.id for node in node_list if node.losses.strip())
    if losing:
        result.append(Finding("losses", "attention", {"count": len(losing), **named(losing)}))

    sizes: dict[int, int] = {}
    for node_metrics in metrics.nodes.values():
        sizes[node_metrics.component] = sizes.get(node_metrics.component, 0) + 1
    parts = [size for size in sizes.values() if size > 1]
    if len(parts) > 1:
        result.append(Finding("separate_parts", "attention", {"count": len(parts), "largest": max(parts)}))

    if metrics.articulation_points:
        by_betweenness = sorted(metrics.articulation_points, key=lambda i: (-metrics.nodes[i].betweenness, i))
        cut = sorted(((_cut_off(graph, i), i) for i in by_betweenness[:5]), key=lambda t: (-t[0], t[1]))
        shown = [i for size, i in cut[:3] if size > 0]
        for size, i in cut[:3]:
            if size > 0:
                result.append(
                    Finding("single_point", "attention", {"count": size, "id": i, "name": names[i]})
                )
        rest = [i for i in by_betweenness if i not in shown]
        if rest:
            result.append(Finding("more_single_points", "attention", {"count": len(rest), **named(rest)}))

    result.extend(_sector_findings(graph, names))

    orgs = _group_stats(graph, "organisation")
    inward: list[str] = []
    if len(orgs.members) > 1:
        outside: dict[str, int] = {k: 0 for k in orgs.members}
        inside: dict[str, int] = {k: 0 for k in orgs.members}
        for u, v in graph.edges():
            ku, kv = _key(graph.nodes[u]["organisation"]), _key(graph.nodes[v]["organisation"])
            if ku and kv and ku == kv:
                inside[ku] += 1
            else:
                for k in (ku, kv):
                    if k:
                        outside[k] += 1
        inward = [
            orgs.labels[k]
            for k in sorted(orgs.members)
            if len(orgs.members[k]) > 1 and inside[k] > 0 and outside[k] == 0
        ]
    if inward:
        result.append(Finding("organisations_inward", "attention", {"count": len(inward), "names": inward}))

    for prefix, share, crossing, considered, groups in (
        (
            "cross_org",
            metrics.cross_org_share,
            metrics.cross_org_ties,
            metrics.org_ties_considered,
            len(metrics.org_matrix),
        ),
        (
            "cross_sector",
            metrics.cross_sector_share,
            metrics.cross_sector_ties,
            metrics.sector_ties_considered,
            len(metrics.sector_matrix),
        ),
    ):
        if share is None or groups < 2:
            continue
        low = share < LOW_CROSS_SHARE and considered >= 5
        result.append(
            Finding(
                f"{prefix}_low" if low else f"{prefix}_share",
                "attention" if low else "info",
                {"percent": _percent(share), "crossing": crossing, "considered": considered},
            )
        )

    if n >= 4:
        brokers = sorted(
            (m for m in metrics.nodes.values() if m.betweenness > 0),
            key=lambda m: (-m.betweenness, m.id),
        )[:3]
        if brokers:
            result.append(
                Finding("top_brokers", "info", {"count": len(brokers), **named(m.id for m in brokers)})
            )

    clusters = {m.community for m in metrics.nodes.values()}
    cluster_sizes = [sum(1 for m in metrics.nodes.values() if m.community == c) for c in clusters]
    big_clusters = sum(1 for size in cluster_sizes if size > 1)
    if big_clusters > 1:
        result.append(Finding("communities", "info", {"count": big_clusters}))

    if metrics.org_unassigned:
        result.append(Finding("organisation_missing", "info", {"count": metrics.org_unassigned}))
    if metrics.sector_unassigned:
        result.append(Finding("sector_missing", "info", {"count": metrics.sector_unassigned}))

    head, rest_findings = result[0], result[1:]
    rest_findings.sort(key=lambda f: 0 if f.severity == "attention" else 1)  # stable
    return [head, *rest_findings]


def _sector_findings(graph: nx.Graph[int], names: Mapping[int, str]) -> list[Finding]:
    """Gateways between sectors, sectors cut off from the others, sectors with no direct tie."""
    stats = _group_stats(graph, "sector")
    if len(stats.members) < 2:
        return []
    key_of = {node: _key(graph.nodes[node]["sector"]) for node in graph}
    order = sorted(stats.members, key=lambda k: (k, stats.labels[k]))
    # pair (a, b) with a < b in `order` -> list of ties (end in a, end in b)
    pair_ties: dict[tuple[str, str], list[tuple[int, int]]] = {}
    position = {k: i for i, k in enumerate(order)}
    for u, v in graph.edges():
        ku, kv = key_of[u], key_of[v]
        if not ku or not kv or ku == kv:
            continue
        if position[ku] > position[kv]:
            u, v, ku, kv = v, u, kv, ku
        pair_ties.setdefault((ku, kv), []).append((u, v))
    gateways: dict[str, set[int]] = {k: set() for k in order}
    cross_count: dict[str, int] = {k: 0 for k in order}
    for (ka, kb), ties in pair_ties.items():
        for u, v in ties:
            gateways[ka].add(u)
            gateways[kb].add(v)
        cross_count[ka] += len(ties)
        cross_count[kb] += len(ties)

    out: list[Finding] = []
    cut_off = [k for k in order if cross_count[k] == 0]
    for k in cut_off:
        out.append(
            Finding("sector_cut_off", "attention", {"sector": stats.labels[k], "ids": stats.members[k]})
        )
    # A sector whose one cross-sector tie is reported as a "single tie" needs no gateway sentence.
    single_tie_sectors = {
        k
        for (ka, kb), ties in pair_ties.items()
        if len(ties) == 1 and len(stats.members[ka]) > 1 and len(stats.members[kb]) > 1
        for k in (ka, kb)
        if cross_count[k] == 1
    }
    reported_gateway: set[str] = set(single_tie_sectors)
    for k in order:
        if len(stats.members[k]) > 1 and len(gateways[k]) == 1 and k not in single_tie_sectors:
            (person,) = gateways[k]
            reported_gateway.add(k)
            out.append(
                Finding(
                    "sector_gateway",
                    "attention",
                    {"count": cross_count[k], "sector": stats.labels[k], "id": person, "name": names[person]},
                )
            )
    for (ka, kb), ties in pair_ties.items():
        big_a, big_b = len(stats.members[ka]) > 1, len(stats.members[kb]) > 1
        if len(ties) == 1 and big_a and big_b:
            u, v = ties[0]
            out.append(
                Finding(
                    "sector_single_tie",
                    "attention",
                    {
                        "count": 1,
                        "sector": stats.labels[ka],
                        "other": stats.labels[kb],
                        "id": u,
                        "name": names[u],
                        "other_id": v,
                        "other_name": names[v],
                    },
                )
            )
            continue
        for side, other, big, ends in (
            (ka, kb, big_a, {u for u, _ in ties}),
            (kb, ka, big_b, {v for _, v in ties}),
        ):
            if big and side not in reported_gateway and len(ends) == 1:
                (person,) = ends
                out.append(
                    Finding(
                        "sector_pair_gateway",
                        "attention",
                        {
                            "count": len(ties),
                            "sector": stats.labels[side],
                            "other": stats.labels[other],
                            "id": person,
                            "name": names[person],
                        },
                    )
                )
    for i, ka in enumerate(order):
        if ka in cut_off:
            continue
        others = [
            stats.labels[kb] for kb in order[i + 1 :] if kb not in cut_off and (ka, kb) not in pair_ties
        ]
        if others:
            out.append(
                Finding(
                    "sectors_without_tie",
                    "attention",
                    {"count": len(others), "sector": stats.labels[ka], "others": others},
                )
            )
    return out


# --------------------------------------------------------------------------------------------------
# Layout
#
# A Fruchterman-Reingold force layout in plain Python: every pair of nodes repels on small maps; on
# larger ones the grid speed-up of the original paper (exact repulsion only between close nodes) plus a
# coarse particle-mesh field for distant crowds. networkx's spring_layout needs numpy, takes 6-9 s for
# 2,000 nodes on this machine and changed its algorithm in 3.5; this one gives the same positions on
# any networkx version, lays out 2,000 nodes and 5,000 ties in under 2 s, and moves only the new
# nodes when previous positions are given.


#: Up to this many moving nodes, every pair of nodes repels (O(n^2) per iteration); above it, a grid
#: and a coarse mesh stand in for distant pairs.
EXACT_REPULSION_LIMIT = 150

#: Gravity towards the centre in full layouts of small maps (see ``_fr``).
GRAVITY = 2.0

#: In full layouts of large maps, isolated stakeholders are kept near this many times the median
#: distance from the centre (a uniform disc's median distance is 0.71 of its radius, so 1.6 is just
#: outside it).
GRAVITY_REACH = 1.6


def _far_field(
    xs: Sequence[float], ys: Sequence[float], k2: float, size: int
) -> tuple[float, float, float, list[list[float]], list[list[float]]]:
    """Smoothed long-range repulsion on a coarse grid (particle-mesh): the push every grid vertex
    gets from the mass of every coarse cell. Returns origin, cell width and the vertex forces."""
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    width = max(x1 - x0, y1 - y0, 1e-9) / size * (1.0 + 1e-9)
    mass: dict[int, list[float]] = {}
    for x, y in zip(xs, ys, strict=True):
        key = min(size - 1, int((x - x0) / width)) * size + min(size - 1, int((y - y0) / width))
        cell = mass.get(key)
        if cell is None:
            mass[key] = [1.0, x, y]
        else:
            cell[0] += 1.0
            cell[1] += x
            cell[2] += y
    cells = [(m, sx / m, sy / m) for m, sx, sy in mass.values()]
    soft2 = (width * 0.5) ** 2
    vx: list[list[float]] = []
    vy: list[list[float]] = []
    for a in range(size + 1):
        px = x0 + a * width
        row_x: list[float] = []
        row_y: list[float] = []
        for b in range(size + 1):
            py = y0 + b * width
            fx = 0.0
            fy = 0.0
            for m, cx, cy in cells:
                dx = px - cx
                dy = py - cy
                f = m * k2 / (dx * dx + dy * dy + soft2)
                fx += dx * f
                fy += dy * f
            row_x.append(fx)
            row_y.append(fy)
        vx.append(row_x)
        vy.append(row_y)
    return x0, y0, width, vx, vy


def _fr(
    xs: list[float],
    ys: list[float],
    adjacency: Sequence[Sequence[int]],
    movable: Sequence[int],
    k: float,
    iterations: int,
    t0: float,
) -> None:
    """Move the ``movable`` nodes in place (Fruchterman-Reingold with a grid).

    Nodes closer than 1.5 k repel exactly (k^2 / d); beyond that, when many nodes move, a coarse
    particle-mesh field stands in for the repulsion of distant crowds (without it a dense,
    tangled network collapses into a knot); ties attract (d^2 / k). Fixed nodes push but never move.
    """
    n = len(xs)
    cell = 1.5 * k
    cutoff2 = cell * cell
    k2 = k * k
    inv_k = 1.0 / k
    moving = set(movable)
    still: dict[tuple[int, int], list[int]] = {}
    if len(moving) < n:
        for i in range(n):
            if i not in moving:
                still.setdefault((math.floor(xs[i] / cell), math.floor(ys[i] / cell)), []).append(i)
    edges = [(i, j) for i in range(n) for j in adjacency[i] if i < j and (i in moving or j in moving)]
    exact = len(moving) == n and n <= EXACT_REPULSION_LIMIT
    mesh = 0 if exact or len(moving) < 100 else min(10, max(3, round(math.sqrt(n) / 4)))
    gather = len(moving) == n
    forward = ((1, 0), (1, 1), (0, 1), (-1, 1))
    floor = math.floor
    sqrt = math.sqrt
    for it in range(iterations):
        t = t0 * (1.0 - it / iterations)
        fx = [0.0] * n
        fy = [0.0] * n
        grid: dict[tuple[int, int], list[int]] = {}
        if not exact:
            for i in movable:
                grid.setdefault((floor(xs[i] / cell), floor(ys[i] / cell)), []).append(i)
        else:
            # Small maps: every pair repels, as in the classic algorithm.
            for i in range(n):
                xi = xs[i]
                yi = ys[i]
                sx = 0.0
                sy = 0.0
                for j in range(i + 1, n):
                    dx = xi - xs[j]
                    dy = yi - ys[j]
                    d2 = dx * dx + dy * dy
                    if d2 < 1e-18:
                        dx, dy, d2 = k * 0.01 * (1 + (i - j) % 7), k * 0.01, k2 * 1e-4
                    f = k2 / d2
                    sx += dx * f
                    sy += dy * f
                    fx[j] -= dx * f
                    fy[j] -= dy * f
                fx[i] += sx
                fy[i] += sy
        # Near repulsion among moving nodes: each pair of neighbouring cells once.
        for (cx, cy), members in grid.items():
            mx = [xs[i] for i in members]
            my = [ys[i] for i in members]
            m = len(members)
            for a in range(m):
                xi = mx[a]
                yi = my[a]
                sx = 0.0
                sy = 0.0
                for b in range(a + 1, m):
                    dx = xi - mx[b]
                    dy = yi - my[b]
                    d2 = dx * dx + dy * dy
                    if d2 < cutoff2:
                        if d2 < 1e-18:
                            dx, dy, d2 = k * 0.01 * (1 + (a - b) % 7), k * 0.01, k2 * 1e-4
                        f = k2 / d2
                        sx += dx * f
                        sy += dy * f
                        j = members[b]
                        fx[j] -= dx * f
                        fy[j] -= dy * f
                i = members[a]
                fx[i] += sx
                fy[i] += sy
            for ox, oy in forward:
                other = grid.get((cx + ox, cy + oy))
                if other is None:
                    continue
                ox_list = [xs[j] for j in other]
                oy_list = [ys[j] for j in other]
                o = len(other)
                for a in range(m):
                    xi = mx[a]
                    yi = my[a]
                    sx = 0.0
                    sy = 0.0
                    for b in range(o):
                        dx = xi - ox_list[b]
                        dy = yi - oy_list[b]
                        d2 = dx * dx + dy * dy
                        if d2 < cutoff2:
                            f = k2 / d2
                            sx += dx * f
                            sy += dy * f
                            j = other[b]
                            fx[j] -= dx * f
                            fy[j] -= dy * f
                    i = members[a]
                    fx[i] += sx
                    fy[i] += sy
        # Near repulsion of moving nodes by fixed ones (fixed nodes feel nothing).
        if still:
            for i in movable:
                xi = xs[i]
                yi = ys[i]
                cx = floor(xi / cell)
                cy = floor(yi / cell)
                for ox in (-1, 0, 1):
                    for oy in (-1, 0, 1):
                        for j in still.get((cx + ox, cy + oy), ()):
                            dx = xi - xs[j]
                            dy = yi - ys[j]
                            d2 = dx * dx + dy * dy
                            if d2 < cutoff2:
                                if d2 < 1e-18:
                                    dx, dy, d2 = k * 0.01, k * 0.01, k2 * 1e-4
                                f = k2 / d2
                                fx[i] += dx * f
                                fy[i] += dy * f
        # Far repulsion, interpolated from the coarse mesh.
        if mesh:
            x0, y0, width, vx, vy = _far_field(xs, ys, k2, mesh)
            last = mesh - 1
            for i in movable:
                u = (xs[i] - x0) / width
                v = (ys[i] - y0) / width
                a = min(last, max(0, int(u)))
                b = min(last, max(0, int(v)))
                fu = min(1.0, max(0.0, u - a))
                fv = min(1.0, max(0.0, v - b))
                w00 = (1.0 - fu) * (1.0 - fv)
                w10 = fu * (1.0 - fv)
                w01 = (1.0 - fu) * fv
                w11 = fu * fv
                fx[i] += w00 * vx[a][b] + w10 * vx[a + 1][b] + w01 * vx[a][b + 1] + w11 * vx[a + 1][b + 1]
                fy[i] += w00 * vy[a][b] + w10 * vy[a + 1][b] + w01 * vy[a][b + 1] + w11 * vy[a + 1][b + 1]
        # Full layouts only: keep isolates and small groups from drifting far away (which would shrink
        # everything else once the layout is scaled to the square). The map pushes a lone node at
        # distance d away with about n k^2 / d = 1 / d.
        if gather:
            mid_x = sum(xs) / n
            mid_y = sum(ys) / n
            if exact:
                # Small maps: gentle gravity on every node (a lone node settles at 1 / sqrt(GRAVITY)).
                for i in movable:
                    fx[i] -= GRAVITY * (xs[i] - mid_x)
                    fy[i] -= GRAVITY * (ys[i] - mid_y)
            else:
                # Large maps, whose distant repulsion is only estimated: gravity on everyone would
                # squeeze the map, so only nodes beyond the bulk (GRAVITY_REACH times the median
                # distance from the centre) are pulled back, by a spring.
                squared = [(x - mid_x) ** 2 + (y - mid_y) ** 2 for x, y in zip(xs, ys, strict=True)]
                reach = GRAVITY_REACH * math.sqrt(max(statistics.median(squared), k2))
                pull = 4.0 / (reach * reach)
                reach2 = reach * reach
                for i in movable:
                    if squared[i] > reach2:
                        d = sqrt(squared[i])
                        f = pull * (d - reach) / d
                        fx[i] -= f * (xs[i] - mid_x)
                        fy[i] -= f * (ys[i] - mid_y)
        # Attraction along ties.
        for i, j in edges:
            dx = xs[i] - xs[j]
            dy = ys[i] - ys[j]
            f = sqrt(dx * dx + dy * dy) * inv_k
            fx[i] -= dx * f
            fy[i] -= dy * f
            fx[j] += dx * f
            fy[j] += dy * f
        # Move, at most t.
        for i in movable:
            dx = fx[i]
            dy = fy[i]
            length = sqrt(dx * dx + dy * dy)
            if length > 0.0:
                step = min(length, t) / length
                xs[i] += dx * step
                ys[i] += dy * step


def _fit_unit(xs: Sequence[float], ys: Sequence[float]) -> list[Position]:
    """Scale uniformly (keeping the aspect ratio) and centre into the unit square."""
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    span = max(max_x - min_x, max_y - min_y)
    if span <= 0.0:
        return [(0.5, 0.5) for _ in xs]
    scale = 1.0 / span
    off_x = (1.0 - (max_x - min_x) * scale) / 2.0
    off_y = (1.0 - (max_y - min_y) * scale) / 2.0
    return [((x - min_x) * scale + off_x, (y - min_y) * scale + off_y) for x, y in zip(xs, ys, strict=True)]


def _adjacency(ids: Sequence[int], edges: Iterable[EdgeIn], include_needed: bool) -> list[list[int]]:
    index = {node: i for i, node in enumerate(ids)}
    neighbours: list[set[int]] = [set() for _ in ids]
    for edge in edges:
        if edge.is_needed and not include_needed:
            continue
        i = index.get(edge.source)
        j = index.get(edge.target)
        if i is None or j is None or i == j:
            continue
        neighbours[i].add(j)
        neighbours[j].add(i)
    return [sorted(s) for s in neighbours]


_GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))


def _edge_spot(number: int, margin: float = 0.04) -> Position:
    """A deterministic spot on a square ring just inside the unit square, spread by golden ratio."""
    t = (number * 0.6180339887498949) % 1.0
    side, along = divmod(t * 4.0, 1.0)
    low, high = margin, 1.0 - margin
    pos = low + along * (high - low)
    if side == 0:
        return (pos, low)
    if side == 1:
        return (high, pos)
    if side == 2:
        return (1.0 - pos, high)
    return (low, 1.0 - pos)


def layout(
    nodes: Iterable[NodeIn],
    edges: Iterable[EdgeIn],
    *,
    previous: Mapping[int, Position] | None = None,
    seed: int = 42,
    iterations: int = 50,
    include_needed: bool = False,
) -> dict[int, Position]:
    """Positions in the unit square for every stakeholder, seeded and deterministic.

    Without ``previous`` (or when none of its stakeholders is still on the map): a full force layout
    from seeded random starting points, scaled uniformly into [0, 1] x [0, 1].

    With ``previous``: stakeholders it knows keep their positions (fixed); new ones start next to the
    mean position of their already placed neighbours (or at a free spot near the edge when they
    have none) and only they are moved by the forces, so the map does not jump. If every previous
    position lies in the unit square they are returned exactly as given and new ones are kept
    inside it; otherwise one uniform scale-and-shift brings them all into it (fixed stakeholders
    keep their positions relative to each other). Ties marked as needed are ignored unless
    ``include_needed``.
    """
    ids = sorted({node.id for node in nodes})
    if not ids:
        return {}
    adjacency = _adjacency(ids, edges, include_needed)
    known = {
        node: (float(previous[node][0]), float(previous[node][1]))
        for node in ids
        if previous is not None and node in previous
    }
    if not known:
        return _full_layout(ids, adjacency, seed, iterations)
    return _incremental_layout(ids, adjacency, known, seed, iterations)


def _full_layout(
    ids: Sequence[int], adjacency: Sequence[Sequence[int]], seed: int, iterations: int
) -> dict[int, Position]:
    n = len(ids)
    if n == 1:
        return {ids[0]: (0.5, 0.5)}
    rng = random.Random(seed)
    xs = [rng.random() for _ in range(n)]
    ys = [rng.random() for _ in range(n)]
    k = math.sqrt(1.0 / n)
    _fr(xs, ys, adjacency, range(n), k, iterations, t0=0.1)
    return dict(zip(ids, _fit_unit(xs, ys), strict=True))


def _incremental_layout(
    ids: Sequence[int],
    adjacency: Sequence[Sequence[int]],
    known: Mapping[int, Position],
    seed: int,
    iterations: int,
) -> dict[int, Position]:
    n = len(ids)
    rng = random.Random(seed)
    xs = [0.0] * n
    ys = [0.0] * n
    placed: set[int] = set()
    for i, node in enumerate(ids):
        if node in known:
            xs[i], ys[i] = (float(c) for c in known[node])
            placed.add(i)
    fixed_x = [xs[i] for i in placed]
    fixed_y = [ys[i] for i in placed]
    min_x, max_x, min_y, max_y = min(fixed_x), max(fixed_x), min(fixed_y), max(fixed_y)
    span = max(max_x - min_x, max_y - min_y)
    if span <= 0.0:
        span = 1.0
    k = span * math.sqrt(1.0 / n)
    inside = all(0.0 <= c <= 1.0 for c in (min_x, max_x, min_y, max_y))
    new = [i for i in range(n) if i not in placed]
    if new:
        occupied: dict[tuple[int, int], int] = {}
        cell = 2.0 * k

        def occupy(i: int) -> None:
            key = (math.floor(xs[i] / cell), math.floor(ys[i] / cell))
            occupied[key] = occupied.get(key, 0) + 1

        for i in placed:
            occupy(i)

        def crowd(x: float, y: float) -> int:
            cx, cy = math.floor(x / cell), math.floor(y / cell)
            return sum(occupied.get((cx + a, cy + b), 0) for a in (-1, 0, 1) for b in (-1, 0, 1))

        spots = 0

        def free_spot() -> Position:
            nonlocal spots
            best: Position | None = None
            best_crowd = 0
            for attempt in range(64):
                u, v = _edge_spot(spots + attempt)
                x, y = min_x + u * span, min_y + v * span
                c = crowd(x, y)
                if best is None or c < best_crowd:
                    best, best_crowd = (x, y), c
                if c == 0:
                    break
            spots += 1
            assert best is not None
            return best

        def put(i: int) -> None:
            around = [j for j in adjacency[i] if j in placed]
            if around:
                angle = rng.random() * 2.0 * math.pi
                radius = k * (0.5 if len(around) > 1 else 1.0)
                xs[i] = sum(xs[j] for j in around) / len(around) + radius * math.cos(angle)
                ys[i] = sum(ys[j] for j in around) / len(around) + radius * math.sin(angle)
            else:
                xs[i], ys[i] = free_spot()
            placed.add(i)
            occupy(i)

        queue = deque(i for i in new if any(j in placed for j in adjacency[i]))
        for start in [None, *new]:
            if start is not None:
                if start in placed:
                    continue
                queue.append(start)
            while queue:
                i = queue.popleft()
                if i in placed:
                    continue
                put(i)
                queue.extend(j for j in adjacency[i] if j not in placed)
        _fr(xs, ys, adjacency, new, k, iterations, t0=2.0 * k)

    if inside:
        return {
            node: known[node] if node in known else (min(1.0, max(0.0, xs[i])), min(1.0, max(0.0, ys[i])))
            for i, node in enumerate(ids)
        }
    return dict(zip(ids, _fit_unit(xs, ys), strict=True))


def place_one(new_node_id: int, neighbours: Iterable[int], positions: Mapping[int, Position]) -> Position:
    """Where a stakeholder just added should appear, in O(number of neighbours).

    Next to the mean position of its neighbours that have a position (offset a little, in a
    direction fixed by its id, so it does not sit on top of a neighbour), or, with none, at a spot
    near the edge of the unit square chosen from its id. Assumes unit-square positions; the result
    is clamped into the unit square. A later :func:`layout` with ``previous`` refines it.
    """
    points = [positions[j] for j in neighbours if j in positions and j != new_node_id]
    if not points:
        return _edge_spot(new_node_id)
    mean_x = sum(p[0] for p in points) / len(points)
    mean_y = sum(p[1] for p in points) / len(points)
    k = min(0.05, math.sqrt(1.0 / max(1, len(positions))))
    radius = k if len(points) == 1 else k / 2.0
    angle = new_node_id * _GOLDEN_ANGLE
    x = mean_x + radius * math.cos(angle)
    y = mean_y + radius * math.sin(angle)
    return (min(1.0, max(0.0, x)), min(1.0, max(0.0, y)))


# --------------------------------------------------------------------------------------------------
# Did you mean ...?

_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
_NON_WORD = re.compile(r"[\W_]+")


def normalise_name(name: str) -> str:
    """Comparison form of a name: accents, case, apostrophes and punctuation dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = _APOSTROPHES.sub("", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or ``limit + 1`` as soon as it is known to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous_row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        row = [i]
        for j, cb in enumerate(b, start=1):
            row.append(min(previous_row[j] + 1, row[j - 1] + 1, previous_row[j - 1] + (ca != cb)))
        if min(row) > limit:
            return limit + 1
        previous_row = row
    return previous_row[-1]


def similar_names(
    name: str, existing: Iterable[tuple[int, str]], limit: int = 3, *, cutoff: float = 0.85
) -> list[tuple[int, str]]:
    """Existing stakeholders whose name is close to ``name``, best first, for "did you mean ...?".

    Names are compared in :func:`normalise_name` form. Order: same normalised name; same words in
    another order; within a small edit distance (none for names of up to 3 characters, 1 up to 7,
    2 beyond); difflib similarity ratio of at least ``cutoff``. Ties keep the lower id first.
    """
    query = normalise_name(name)
    if not query or limit <= 0:
        return []
    query_words = sorted(query.split())
    max_distance = 0 if len(query) <= 3 else 1 if len(query) <= 7 else 2
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(query)
    scored: list[tuple[int, int, float, int, str]] = []
    for node_id, other in existing:
        candidate = normalise_name(other)
        if not candidate:
            continue
        if candidate == query:
            scored.append((0, 0, -1.0, node_id, other))
            continue
        if sorted(candidate.split()) == query_words:
            scored.append((1, 0, -1.0, node_id, other))
            continue
        distance = _edit_distance(query, candidate, max_distance) if max_distance else 1
        matcher.set_seq1(candidate)
        ratio = 0.0
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
            ratio = matcher.ratio()
        if max_distance and distance <= max_distance:
            scored.append((2, distance, -ratio, node_id, other))
        elif ratio >= cutoff and len(query) > 3:
            scored.append((3, distance, -ratio, node_id, other))
    scored.sort()
    return [(node_id, other) for _, _, _, node_id, other in scored[:limit]]


# --------------------------------------------------------------------------------------------------
# SVG picture

#: Okabe & Ito's colour-blind-safe palette (without black, kept for text).
PALETTE: tuple[str, ...] = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
)
OTHER_COLOUR = "#8C8C8C"
MISSING_COLOUR = "#E5E5E5"

#: Words in the picture (legend), kept together for gettext.
SVG_WORDS: dict[str, str] = {
    "title": "Stakeholder map",
    "description": "{nodes} stakeholders and {ties} relationships, coloured by {colour_by}.",
    "other": "Other",
    "missing": "Not recorded",
    "community": "Cluster {number}",
    "size": "Circle size: number of relationships",
    "tie": "Relationship",
    "needed": "Needed but missing",
    "directed": "Directed relationship",
    "organisation": "organisation",
    "sector": "sector",
    "kind": "kind",
    "stance": "stance",
    "cluster": "cluster",
}

ColourBy = Literal["organisation", "sector", "community", "kind", "stance"]

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: object) -> str:
    """Escaped XML character data, with characters XML cannot carry removed."""
    return escape(_INVALID_XML.sub("", str(value)))


def _attr(value: object) -> str:
    """A quoted, escaped XML attribute value."""
    return quoteattr(_INVALID_XML.sub("", str(value)))


def _short(value: str, limit: int = 32) -> str:
    value = _label(value)
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def svg_map(
    nodes: Iterable[NodeIn],
    edges: Iterable[EdgeIn],
    positions: Mapping[int, Position],
    colour_by: ColourBy | str = "organisation",
    width: int = 1200,
    height: int = 800,
    *,
    labels: bool | None = None,
    legend: bool = True,
    show_needed: bool = True,
    title: str | None = None,
    seed: int = 42,
    id_prefix: str = "map",
    label_size: int | None = None,
) -> str:
    """A standalone SVG picture of the map, drawn on the server.

    Every piece of participant text is escaped. Colours come from :data:`PALETTE`: the seven largest
    groups of ``colour_by`` get a colour, the rest are "Other" (grey), blanks "Not recorded"
    (light grey). Circle area grows with the number of relationships. Needed ties are dashed.
    Stakeholders without a position are placed with :func:`place_one`. ``labels`` defaults to
    naming everyone up to 150 stakeholders, else only the 30 best connected. ``id_prefix`` keeps
    element ids unique when several pictures share a page.
    """
    node_list = sorted(nodes, key=lambda n: n.id)
    edge_list = list(edges)
    graph = build_graph(node_list, edge_list)
    needed_graph = build_graph(node_list, edge_list, include_needed=True) if show_needed else graph

    pos: dict[int, Position] = {i: positions[i] for i in graph if i in positions}
    for node in node_list:
        if node.id not in pos:
            pos[node.id] = place_one(node.id, graph[node.id], pos)

    legend_width = 260 if legend else 0
    margin = 30.0
    area_w = max(1.0, width - legend_width - 2 * margin)
    area_h = max(1.0, height - 2 * margin)
    if pos:
        min_x = min(p[0] for p in pos.values())
        max_x = max(p[0] for p in pos.values())
        min_y = min(p[1] for p in pos.values())
        max_y = max(p[1] for p in pos.values())
    else:
        min_x = max_x = min_y = max_y = 0.0
    span = max(max_x - min_x, max_y - min_y)
    scale = min(area_w, area_h) / span if span > 0 else 0.0
    off_x = margin + (area_w - (max_x - min_x) * scale) / 2.0
    off_y = margin + (area_h - (max_y - min_y) * scale) / 2.0

    def px(node: int) -> tuple[float, float]:
        x, y = pos[node]
        return off_x + (x - min_x) * scale, off_y + (y - min_y) * scale

    # Colours.
    rank_hint: dict[str, int] = {}
    if colour_by == "community":
        community = _communities(graph, seed)
        group_of = {i: SVG_WORDS["community"].format(number=community[i] + 1) for i in graph}
        rank_hint = {_key(group_of[i]): community[i] for i in graph}
    else:
        attribute = colour_by if colour_by in ("organisation", "sector", "kind", "stance") else "organisation"
        group_of = {n.id: _label(getattr(n, attribute)) for n in node_list}
    counts: dict[str, int] = {}
    shown_label: dict[str, str] = {}
    for node in node_list:
        key = _key(group_of[node.id])
        if key:
            counts[key] = counts.get(key, 0) + 1
            shown_label.setdefault(key, group_of[node.id])
    ranked = sorted(counts, key=lambda k: (rank_hint.get(k, 0), -counts[k], k))
    colour_of_group = {k: PALETTE[i] for i, k in enumerate(ranked[: len(PALETTE)])}
    has_other = len(ranked) > len(PALETTE)
    has_missing = any(not _key(group_of[n.id]) for n in node_list)

    def colour(node: int) -> str:
        key = _key(group_of[node])
        if not key:
            return MISSING_COLOUR
        return colour_of_group.get(key, OTHER_COLOUR)

    # Sizes.
    big = len(node_list) > 300
    r_max = max(6.0, min(18.0, 18.0 * math.sqrt(60.0 / max(1, len(node_list)))))
    r_min = max(2.5, r_max / 3.0)
    max_degree = max((d for _, d in graph.degree()), default=0) or 1

    def radius(node: int) -> float:
        return r_min + (r_max - r_min) * math.sqrt(graph.degree(node) / max_degree)

    if labels is None:
        if len(node_list) <= 150:
            labelled = {n.id for n in node_list}
        else:
            labelled = set(sorted(graph, key=lambda i: (-graph.degree(i), i))[:30])
    else:
        labelled = {n.id for n in node_list} if labels else set()

    # Directions of directed relationships per tie.
    directions: dict[tuple[int, int], set[tuple[int, int]]] = {}
    for edge in edge_list:
        if edge.directed and edge.source != edge.target:
            directions.setdefault(_pair(edge.source, edge.target), set()).add((edge.source, edge.target))

    out: list[str] = []
    heading = title if title is not None else SVG_WORDS["title"]
    colour_word = SVG_WORDS.get("cluster" if colour_by == "community" else str(colour_by), str(colour_by))
    description = SVG_WORDS["description"].format(
        nodes=len(node_list), ties=graph.number_of_edges(), colour_by=colour_word
    )
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f"aria-labelledby={_attr(id_prefix + '-title')} aria-describedby={_attr(id_prefix + '-desc')} "
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">'
    )
    out.append(f"<title id={_attr(id_prefix + '-title')}>{_text(heading)}</title>")
    out.append(f"<desc id={_attr(id_prefix + '-desc')}>{_text(description)}</desc>")
    arrow_id = f"{id_prefix}-arrow"
    out.append(
        f'<defs><marker id={_attr(arrow_id)} viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#6b6b6b"/></marker></defs>'
    )
    out.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')

    def line(u: int, v: int, extra: str, start_gap: float, end_gap: float) -> str:
        (x1, y1), (x2, y2) = px(u), px(v)
        length = math.hypot(x2 - x1, y2 - y1)
        if length > start_gap + end_gap:
            ux, uy = (x2 - x1) / length, (y2 - y1) / length
            x1, y1 = x1 + ux * start_gap, y1 + uy * start_gap
            x2, y2 = x2 - ux * end_gap, y2 - uy * end_gap
        return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"{extra}/>'

    out.append('<g class="ties" stroke="#9a9a9a" stroke-linecap="round" stroke-opacity="0.75">')
    marker = f"url(#{arrow_id})"
    for u, v, data in graph.edges(data=True):
        stroke = 0.8 + 0.5 * min(int(data["weight"]), 5)
        dirs = directions.get(_pair(u, v), set())
        start, end = u, v
        extra = f' stroke-width="{stroke:.1f}"'
        gap_start = gap_end = 0.0
        if len(dirs) == 1:
            start, end = next(iter(dirs))
            extra += f" marker-end={_attr(marker)}"
            gap_end = radius(end) + 1.0
        elif len(dirs) == 2:
            extra += f" marker-start={_attr(marker)} marker-end={_attr(marker)}"
            gap_start, gap_end = radius(start) + 1.0, radius(end) + 1.0
        out.append(line(start, end, extra, gap_start, gap_end))
    out.append("</g>")
    if show_needed:
        out.append('<g class="needed-ties" stroke="#333333" stroke-width="1.6" stroke-dasharray="6 4">')
        for u, v in needed_graph.edges():
            if not graph.has_edge(u, v):
                out.append(line(u, v, "", 0.0, 0.0))
        out.append("</g>")

    out.append('<g class="stakeholders" stroke="#ffffff" stroke-width="1.5">')
    for node in node_list:
        x, y = px(node.id)
        fill = colour(node.id)
        outline = ' stroke="#6b6b6b"' if fill == MISSING_COLOUR else ""
        tooltip = node.name if not _label(node.organisation) else f"{node.name} ({_label(node.organisation)})"
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius(node.id):.1f}" fill="{fill}"{outline} '
            f'data-id="{node.id}"><title>{_text(tooltip)}</title></circle>'
        )
    out.append("</g>")

    if labelled:
        font = label_size or (10 if big else 12)
        out.append(
            f'<g class="labels" font-size="{font}" fill="#1a1a1a" stroke="#ffffff" stroke-width="3" '
            'paint-order="stroke" stroke-linejoin="round">'
        )
        for node in node_list:
            if node.id in labelled:
                x, y = px(node.id)
                name = _short(node.name)
                tx, ty = x + radius(node.id) + 3, y + font / 3
                anchor = ""
                if tx + 0.58 * font * len(name) > width - legend_width - 2:  # would run off: put it left
                    tx, anchor = x - radius(node.id) - 3, ' text-anchor="end"'
                out.append(f'<text x="{tx:.1f}" y="{ty:.1f}"{anchor}>{_text(name)}</text>')
        out.append("</g>")

    if legend:
        lx = width - legend_width + 10
        ly = margin
        out.append(f'<g class="legend" font-size="13" fill="#1a1a1a" transform="translate({lx},{ly})">')
        row = 0
        entries: list[tuple[str, str]] = [
            (shown_label[k], colour_of_group[k]) for k in ranked[: len(PALETTE)]
        ]
        if has_other:
            entries.append((SVG_WORDS["other"], OTHER_COLOUR))
        if has_missing:
            entries.append((SVG_WORDS["missing"], MISSING_COLOUR))
        for text, fill in entries:
            y = row * 22
            outline = ' stroke="#6b6b6b"' if fill == MISSING_COLOUR else ""
            out.append(f'<circle cx="8" cy="{y + 8}" r="7" fill="{fill}"{outline}/>')
            out.append(f'<text x="22" y="{y + 13}">{_text(_short(text, 28))}</text>')
            row += 1
        y = row * 22 + 12
        out.append(f'<text x="0" y="{y + 13}" font-size="12">{_text(SVG_WORDS["size"])}</text>')
        y += 24
        out.append(f'<line x1="0" y1="{y + 6}" x2="30" y2="{y + 6}" stroke="#9a9a9a" stroke-width="2"/>')
        out.append(f'<text x="38" y="{y + 11}" font-size="12">{_text(SVG_WORDS["tie"])}</text>')
        if directions:
            y += 22
            out.append(
                f'<line x1="0" y1="{y + 6}" x2="30" y2="{y + 6}" stroke="#9a9a9a" stroke-width="2" '
                f"marker-end={_attr(marker)}/>"
            )
            out.append(f'<text x="38" y="{y + 11}" font-size="12">{_text(SVG_WORDS["directed"])}</text>')
        if show_needed and needed_graph.number_of_edges() > graph.number_of_edges():
            y += 22
            out.append(
                f'<line x1="0" y1="{y + 6}" x2="30" y2="{y + 6}" stroke="#333333" stroke-width="1.6" '
                'stroke-dasharray="6 4"/>'
            )
            out.append(f'<text x="38" y="{y + 11}" font-size="12">{_text(SVG_WORDS["needed"])}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
