"""Open Space: a marketplace of topics from phones, an agenda wall of slots x spaces, the law of two feet
(check in to the session you are in, move any time), session reports and the proceedings."""

from flask_babel import lazy_gettext as _l

from facilitator.activities.base import ActivityKind, ItemType
from facilitator.activities.open_space import events, review, services
from facilitator.activities.open_space.models import Topic
from facilitator.activities.open_space.views import bp


def default_config() -> dict[str, object]:
    return {"stage": "marketplace", "current_slot_id": None, "votes_each": 3, "ranking_revealed": False}


KIND = ActivityKind(
    name="open_space",
    label=lambda: str(_l("Open Space")),
    description=lambda: str(
        _l(
            "Participants propose topics and convene sessions; an agenda wall of time slots and spaces; "
            "people move freely between sessions; reports become the proceedings."
        )
    ),
    snapshot=services.snapshot,
    answered=services.answered_count,
    default_config=default_config,
    default_visibility="named",
    blueprint=bp,
    register_events=events.register,
    items={"topic": ItemType(model=Topic, public=services.topic_public)},
    export=services.export,
    settings_template="open_space/settings.html",
    apply_settings=services.apply_settings,
    demo=services.demo,
    js="js/kinds/open_space.js",
    review=review.review,
    review_template="review/kinds/open_space.html",
)
