"""The registry of activity kinds: one line per kind."""

from __future__ import annotations

from facilitator.activities.base import ActivityKind


def _kinds() -> list[ActivityKind]:
    from facilitator.activities import check_in, commitment_tree, open_space, stakeholder_map, work_avoidance

    return [
        check_in.KIND,
        stakeholder_map.KIND,
        open_space.KIND,
        work_avoidance.KIND,
        commitment_tree.KIND,
    ]


_REGISTRY: dict[str, ActivityKind] = {}


def registry() -> dict[str, ActivityKind]:
    if not _REGISTRY:
        for kind in _kinds():
            _REGISTRY[kind.name] = kind
    return _REGISTRY


def get_kind(name: str) -> ActivityKind:
    return registry()[name]
