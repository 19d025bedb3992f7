"""The map as files: GraphML and GEXF (Gephi, Kumu-style tools), CSV, JSON node-link and SVG.

Exports show the map as it is shown: hidden stakeholders and relationships (and relationships of a
hidden stakeholder) are left out. Measures and findings come from the same analysis as the screen.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import networkx as nx

from facilitator.activities.stakeholder_map import services
from facilitator.analysis import network
from facilitator.exports import to_csv
from facilitator.workshops.models import Activity

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

MEASURES = (
    "degree",
    "betweenness",
    "pagerank",
    "community",
    "component",
    "broker",
    "constraint",
    "effective_size",
)


def _xml_safe(value: Any) -> Any:
    return _INVALID_XML.sub("", value) if isinstance(value, str) else value


def graph(activity: Activity) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    """Every visible stakeholder and relationship with all attributes and measures.

    A MultiDiGraph so that several relationships between two stakeholders all survive; each edge
    carries ``directed`` (False: the relationship has no direction, source/target are as entered).
    """
    stakeholders, relationships, _nodes, _edges = services._graph_input(activity)
    analysis = services.analyse(activity)
    g = nx.MultiDiGraph()
    g.graph["name"] = _xml_safe(activity.title)
    g.graph["question"] = _xml_safe(activity.prompt or "")
    g.graph["findings"] = _xml_safe("\n".join(f["text"] for f in analysis["findings"]))
    for s in stakeholders:
        attrs: dict[str, Any] = {
            "label": s.name,
            "kind": s.kind,
            "organisation": s.organisation,
            "sector": s.sector,
            "stance": s.stance,
            "at_stake": s.at_stake,
            "loyalties": s.loyalties,
            "losses": s.losses,
            "aliases": s.aliases,
            "is_self": s.self_of_id is not None,
        }
        for name in ("influence", "interest", "x", "y"):
            value = getattr(s, name)
            if value is not None:
                attrs[name] = value
        for name, value in analysis["measures"].get(str(s.id), {}).items():
            if value is not None:
                attrs[name] = value
        g.add_node(str(s.id), **{k: _xml_safe(v) for k, v in attrs.items()})
    for r in relationships:
        g.add_edge(
            str(r.source_id),
            str(r.target_id),
            key=f"r{r.id}",
            kind=_xml_safe(r.kind),
            strength=r.strength,
            weight=r.strength,
            directed=r.directed,
            needed=r.is_needed,
            note=_xml_safe(r.note),
        )
    return g, analysis


def graphml(activity: Activity) -> bytes:
    g, _analysis = graph(activity)
    buffer = io.BytesIO()
    nx.write_graphml(g, buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def gexf(activity: Activity) -> bytes:
    g, _analysis = graph(activity)
    for _node, data in g.nodes(data=True):
        if "x" in data and "y" in data:  # Gephi reads positions from viz
            data["viz"] = {"position": {"x": data["x"] * 1000.0, "y": -data["y"] * 1000.0, "z": 0.0}}
    for _u, _v, key, data in g.edges(keys=True, data=True):
        data["id"] = key
    buffer = io.BytesIO()
    nx.write_gexf(g, buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def node_link(activity: Activity) -> str:
    g, analysis = graph(activity)
    data = nx.node_link_data(g, edges="links")
    data["graph"]["findings"] = analysis["findings"]
    data["graph"]["summary"] = analysis["summary"]
    data["graph"]["needed"] = analysis["needed"]
    return json.dumps(data, ensure_ascii=False, indent=1)


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    return to_csv(header, rows)


def stakeholders_csv(activity: Activity) -> str:
    stakeholders, _r, _n, _e = services._graph_input(activity)
    measures = services.analyse(activity)["measures"]
    fields = [
        "name",
        "kind",
        "organisation",
        "sector",
        "influence",
        "interest",
        "stance",
        "at_stake",
        "loyalties",
        "losses",
    ]
    rows = []
    for s in stakeholders:
        m = measures.get(str(s.id), {})
        rows.append(
            [
                s.id,
                *[getattr(s, f) for f in fields],
                " | ".join(s.aliases.splitlines()),
                s.x,
                s.y,
                *[m.get(k) for k in MEASURES],
            ]
        )
    return _csv(["id", *fields, "aliases", "x", "y", *MEASURES], rows)


def relationships_csv(activity: Activity) -> str:
    _s, relationships, _n, _e = services._graph_input(activity)
    rows = [
        [
            r.id,
            r.source_id,
            r.source.name,
            r.target_id,
            r.target.name,
            r.kind,
            r.strength,
            "yes" if r.directed else "no",
            "yes" if r.is_needed else "no",
            r.note,
        ]
        for r in relationships
    ]
    return _csv(
        [
            "id",
            "source_id",
            "source",
            "target_id",
            "target",
            "kind",
            "strength",
            "directed",
            "needed",
            "note",
        ],
        rows,
    )


def svg(activity: Activity) -> str:
    _s, _r, nodes, edges = services._graph_input(activity)
    positions = {s.id: (s.x, s.y) for s in _s if s.x is not None and s.y is not None}
    return network.svg_map(
        nodes,
        edges,
        positions,
        colour_by=services.config_of(activity).get("colour_by", "organisation"),
        title=activity.prompt or activity.title,
    )


def thumbnail(activity: Activity, *, width: int = 360) -> str:
    """A small picture of the map for phones: no legend, names only when few, needed ties as chosen."""
    stakeholders, _r, nodes, edges = services._graph_input(activity)
    config = services.config_of(activity)
    positions = {s.id: (s.x, s.y) for s in stakeholders if s.x is not None and s.y is not None}
    return network.svg_map(
        nodes,
        edges,
        positions,
        colour_by=config.get("colour_by", "organisation"),
        width=width,
        height=width,
        labels=len(nodes) <= 40,
        legend=False,
        show_needed=config.get("ties_shown") == "needed",
        title=activity.prompt or activity.title,
        id_prefix=f"thumb{activity.id}",
        label_size=14 if width <= 600 else 18,
    )
