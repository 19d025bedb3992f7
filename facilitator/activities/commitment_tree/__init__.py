"""Commitment tree: commitments that grow live on the big screen and are followed up afterwards."""

from flask_babel import lazy_gettext as _l

from facilitator.activities.base import ActivityKind, ItemType
from facilitator.activities.commitment_tree import events, review, services
from facilitator.activities.commitment_tree.models import Commitment
from facilitator.activities.commitment_tree.views import bp

KIND = ActivityKind(
    name="commitment_tree",
    label=lambda: str(_l("Commitment tree")),
    description=lambda: str(
        _l("Each person commits to what they will do; the tree grows live and everyone follows up later.")
    ),
    snapshot=services.snapshot,
    answered=services.answered_count,
    default_config=services.default_config,
    default_visibility="named",
    blueprint=bp,
    register_events=events.register,
    items={"commitment": ItemType(model=Commitment, public=services.commitment_public)},
    export=services.export,
    settings_template="commitment_tree/_settings.html",
    apply_settings=services.apply_settings,
    demo=services.demo,
    js="js/kinds/commitment_tree.js",
    review=review.review,
    review_template="review/kinds/commitment_tree.html",
)
