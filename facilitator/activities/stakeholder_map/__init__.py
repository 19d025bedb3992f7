"""Stakeholder map: the system's network, built live from phones and analysed with networkx."""

from flask_babel import lazy_gettext as _l

from facilitator.activities.base import ActivityKind, ItemType
from facilitator.activities.stakeholder_map import events, review, services
from facilitator.activities.stakeholder_map.models import Relationship, Stakeholder
from facilitator.activities.stakeholder_map.views import bp

KIND = ActivityKind(
    name="stakeholder_map",
    label=lambda: str(_l("Stakeholder map")),
    description=lambda: str(_l("Map who shapes the outcome and who works with whom; analyse it live.")),
    snapshot=services.snapshot,
    answered=services.answered_count,
    default_config=services.default_config,
    default_visibility="named",
    blueprint=bp,
    register_events=events.register,
    items={
        "stakeholder": ItemType(model=Stakeholder, public=services.stakeholder_public),
        "relationship": ItemType(model=Relationship, public=services.relationship_public),
    },
    export=services.export,
    settings_template="kinds/stakeholder_map_settings.html",
    apply_settings=services.apply_settings,
    js="js/kinds/stakeholder_map.js",
    review=review.review,
    review_template="review/kinds/stakeholder_map.html",
)
