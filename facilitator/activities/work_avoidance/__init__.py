"""Work-avoidance checklist: each participant rates, anonymously, how present each form of work avoidance
is in their system (after Heifetz); the facilitator reveals the results on the big screen (distribution per
form, the forms the room chose to tackle with their counter-moves, where groups differ most). Facilitators
keep a library of checklists; phones can flag work avoidance live during any activity."""

from flask_babel import lazy_gettext as _l

from facilitator.activities.base import ActivityKind, ItemType
from facilitator.activities.work_avoidance import events, review, services, views
from facilitator.activities.work_avoidance.models import WorkAvoidanceExample

KIND = ActivityKind(
    name="work_avoidance",
    label=lambda: str(_l("Work-avoidance checklist")),
    description=lambda: str(_l("An anonymous checklist of the ways a system avoids its hard work; "
                               "the room sees the pattern together and picks counter-moves.")),
    snapshot=services.snapshot,
    answered=services.answered_count,
    default_config=services.default_config,
    default_visibility="anonymous",
    blueprint=views.bp,
    register_events=events.register,
    items={"example": ItemType(model=WorkAvoidanceExample, public=services.example_public)},
    export=services.export,
    settings_template="kinds/work_avoidance_settings.html",
    apply_settings=services.apply_settings,
    demo=services.demo,
    js="js/kinds/work_avoidance.js",
    review=review.review,
    review_template="review/kinds/work_avoidance.html",
)
