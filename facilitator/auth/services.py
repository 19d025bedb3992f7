from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from facilitator.auth.models import Facilitator
from facilitator.errors import DomainError
from facilitator.extensions import db

MIN_PASSWORD = 10


def facilitator_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Facilitator)) or 0


def create_facilitator(name: str, email: str, password: str) -> Facilitator:
    email = email.strip().lower()
    if len(password) < MIN_PASSWORD:
        raise DomainError("weak_password", _("The password needs at least %(n)d characters.", n=MIN_PASSWORD))
    if db.session.scalar(select(Facilitator).where(func.lower(Facilitator.email) == email)):
        raise DomainError("email_taken", _("There is already an account with that email address."))
    facilitator = Facilitator(name=name.strip(), email=email)
    facilitator.set_password(password)
    db.session.add(facilitator)
    db.session.commit()
    return facilitator


def authenticate(email: str, password: str) -> Facilitator | None:
    facilitator = db.session.scalar(select(Facilitator).where(func.lower(Facilitator.email) == email.strip().lower()))
    if facilitator is None or not facilitator.check_password(password):
        return None
    return facilitator


def change_password(facilitator: Facilitator, current: str, new: str) -> None:
    if not facilitator.check_password(current):
        raise DomainError("wrong_password", _("The current password is not right."))
    if len(new) < MIN_PASSWORD:
        raise DomainError("weak_password", _("The password needs at least %(n)d characters.", n=MIN_PASSWORD))
    facilitator.set_password(new)
    db.session.commit()
