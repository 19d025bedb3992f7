from __future__ import annotations

from flask import abort
from flask_login import current_user

from facilitator.extensions import db
from facilitator.workshops.models import Activity, Workshop


def facilitated_workshop(workshop_id: int) -> Workshop:
    """The workshop, if the signed-in facilitator runs it; otherwise 404 (its existence is not revealed)."""
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None or not workshop.is_facilitated_by(current_user):
        abort(404)
    return workshop


def facilitated_activity(workshop: Workshop, activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.workshop_id != workshop.id:
        abort(404)
    return activity
