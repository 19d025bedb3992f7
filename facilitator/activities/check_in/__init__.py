"""Check-in: an opening question answered from phones, shown live as a wall on the big screen."""

from flask_babel import lazy_gettext as _l

from facilitator.activities.base import ActivityKind, ItemType
from facilitator.activities.check_in import events, review, services
from facilitator.activities.check_in.models import CheckInAnswer

KIND = ActivityKind(
    name="check_in",
    label=lambda: str(_l("Check-in")),
    description=lambda: str(_l("An opening question; answers appear live as a wall on the big screen.")),
    snapshot=services.snapshot,
    answered=services.answered_count,
    default_visibility="named",
    register_events=events.register,
    items={"answer": ItemType(model=CheckInAnswer, public=services.answer_public)},
    export=services.export,
    js="js/kinds/check_in.js",
    review=review.review,
    review_template="review/kinds/check_in.html",
)
