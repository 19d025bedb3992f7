"""Import every model so metadata is complete (for migrations and create_all)."""

from facilitator.activities import registry
from facilitator.auth.models import Facilitator
from facilitator.review.models import ReviewLink, ReviewView
from facilitator.workshops.models import (
    Activity,
    ModerationEntry,
    Participant,
    Presence,
    ProcessedCommand,
    Throttle,
    Workshop,
    WorkshopEvent,
    WorkshopFacilitator,
)

registry()  # each kind's package imports its models

__all__ = [
    "Activity",
    "Facilitator",
    "ModerationEntry",
    "Participant",
    "Presence",
    "ProcessedCommand",
    "ReviewLink",
    "ReviewView",
    "Throttle",
    "Workshop",
    "WorkshopEvent",
    "WorkshopFacilitator",
]
