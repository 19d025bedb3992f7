"""A realistic demo workshop so a newcomer sees something real: an integrated-care system event."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

from facilitator.auth.models import Facilitator
from facilitator.auth.services import create_facilitator
from facilitator.extensions import db
from facilitator.workshops import services
from facilitator.workshops.models import ActivityPhase, Participant, Workshop

PEOPLE = [
    ("Priya Shah", "North Vale Clinical Commissioning Group", "NHS and health care"),
    ("Tom Okafor", "North Vale Council Public Health", "Local government"),
    ("Janet Reilly", "North Vale Council Adult Social Care", "Local government"),
    ("Dr Sam Hughes", "Riverside Mental Health NHS Trust", "NHS and health care"),
    ("Insp. Karen Doyle", "Vale Constabulary", "Police and justice"),
    ("Marcus Bell", "Hearthstone Housing Association", "Housing"),
    ("Aisha Rahman", "Mind in North Vale", "Voluntary and community sector"),
    ("Gareth Lloyd", "Vale Council for Voluntary Service", "Voluntary and community sector"),
    ("Ruth Adeyemi", "Peer Support Network (lived experience)", "Residents and people with lived experience"),
    ("Ben Carter", "North Vale Chamber of Commerce", "Business"),
    ("Helen Marsh", "Riverside Mental Health NHS Trust", "NHS and health care"),
    ("Owen Price", "North Vale Council Housing Options", "Local government"),
]

CHECK_IN = [
    "Hopeful: this is the first time housing has been in the room.",
    "Tired, but glad we are finally doing this together.",
    "Curious whether we can agree on one shared outcome.",
    "Worried that we will talk and not decide.",
    "Energised by the lived-experience stories this morning.",
    "Wondering who is missing from this room.",
]


def create_demo(email: str, password: str | None = None) -> tuple[Workshop, str | None]:
    owner = db.session.scalar(select(Facilitator).where(func.lower(Facilitator.email) == email.lower()))
    created_password = None
    if owner is None:
        created_password = password or secrets.token_urlsafe(12)
        owner = create_facilitator("Demo facilitator", email, created_password)
    workshop = services.create_workshop(
        {
            "title": "North Vale mental health: working as one system",
            "purpose": "Leaders from the NHS, the council, police, housing and the voluntary sector see the "
            "system together, agree where to act, and commit to what each will do in the next 90 days.",
            "venue": "North Vale Civic Centre, Hall 2",
            "starts_on": "2026-12-03",
        },
        by=owner,
    )
    participants = []
    for name, organisation, sector in PEOPLE:
        participant = Participant(workshop_id=workshop.id, display_name=name, organisation=organisation, sector=sector)
        db.session.add(participant)
        participants.append(participant)
    db.session.commit()

    check_in = services.add_activity(
        workshop, "check_in", "Check-in", "In one line: how are you arriving today?", by=owner
    )
    services.stage_activity(workshop, check_in, by=owner)
    services.set_activity_phase(check_in, ActivityPhase.OPEN, by=owner)
    from facilitator.activities.check_in.services import add_answer

    for participant, text in zip(participants, CHECK_IN, strict=False):
        add_answer(check_in, text, by=participant)

    from facilitator.activities import registry

    for kind in registry().values():
        seed = getattr(kind, "demo", None)
        if seed is not None:
            seed(workshop, owner, participants)
    return workshop, created_password
