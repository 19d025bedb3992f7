"""The stakeholder map's section of the review: the picture, what it shows in plain language, and the
stakeholders who hold the network together. A reader who may not see personal names sees people on
the map (and participants who put themselves on it) as "Person 1", "Person 2", ... everywhere: in the
picture, the findings and the tables."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from markupsafe import Markup

from facilitator.activities.stakeholder_map import services
from facilitator.analysis import network
from facilitator.i18n import translate_builtin
from facilitator.workshops.models import Activity

if TYPE_CHECKING:
    from facilitator.review.context import ReviewContext

TOP_MEASURES = 10
PERSON_KINDS = {"person"}


def _is_person(s: Any) -> bool:
    return s.self_of_id is not None or (s.kind or "").casefold() in PERSON_KINDS


def review(activity: Activity, ctx: ReviewContext) -> dict[str, Any]:
    stakeholders, relationships, nodes, edges = services._graph_input(activity)
    if not ctx.show_names:
        number = 0
        renamed: dict[int, str] = {}
        for s in stakeholders:
            if _is_person(s):
                number += 1
                renamed[s.id] = _("Person %(n)d", n=number)
        nodes = [dataclasses.replace(n, name=renamed[n.id]) if n.id in renamed else n for n in nodes]
    name_of = {n.id: n.name for n in nodes}
    if not nodes:
        return {"empty": True, "findings": [], "appendix": []}

    metrics = network.compute_metrics(nodes, edges)
    findings = [network.finding_text(f, services.translate_finding, services.percent_text) for f in network.findings(nodes, edges, metrics)]
    positions = {s.id: (s.x, s.y) for s in stakeholders if s.x is not None and s.y is not None}
    picture = network.svg_map(
        nodes,
        edges,
        positions,
        colour_by=services.config_of(activity).get("colour_by", "organisation"),
        title=activity.prompt or activity.title,
        id_prefix=f"rv-map-{activity.id}",
    )
    by_id = {n.id: n for n in nodes}
    ranked = sorted(metrics.nodes.values(), key=lambda m: (-m.betweenness, -m.degree, m.id))
    top = [
        {
            "name": by_id[m.id].name,
            "organisation": by_id[m.id].organisation,
            "sector": translate_builtin(by_id[m.id].sector),
            "degree": m.degree,
            "betweenness": round(m.betweenness, 3),
            "broker": m.is_articulation_point,
        }
        for m in ranked[:TOP_MEASURES]
        if m.degree > 0
    ]
    summary = {
        "stakeholders": metrics.node_count,
        "ties": metrics.tie_count,
        "components": metrics.component_count,
        "isolates": len(metrics.isolates),
        "cross_org": None if metrics.cross_org_share is None else round(metrics.cross_org_share * 100),
        "needed": sum(1 for e in edges if e.is_needed),
    }
    stakeholder_rows = [
        [
            name_of[s.id],
            translate_builtin(s.kind),
            s.organisation,
            translate_builtin(s.sector),
            s.influence or "",
            s.interest or "",
            s.stance,
            metrics.nodes[s.id].degree if s.id in metrics.nodes else 0,
        ]
        for s in stakeholders
    ]
    relationship_rows = [
        [
            name_of.get(r.source_id, ""),
            name_of.get(r.target_id, ""),
            translate_builtin(r.kind),
            r.strength,
            _("needed") if r.is_needed else (_("one-way") if r.directed else ""),
        ]
        for r in relationships
    ]
    return {
        "empty": False,
        "svg": Markup(picture),
        "summary": summary,
        "top": top,
        "findings": findings,
        "appendix": [
            {
                "title": _("Stakeholders"),
                "columns": [
                    _("Name"),
                    _("Kind"),
                    _("Organisation"),
                    _("Sector"),
                    _("Influence"),
                    _("Interest"),
                    _("Stance"),
                    _("Relationships"),
                ],
                "rows": stakeholder_rows,
            },
            {
                "title": _("Relationships"),
                "columns": [_("From"), _("To"), _("Kind"), _("Strength"), _("Note")],
                "rows": relationship_rows,
            },
        ],
    }
