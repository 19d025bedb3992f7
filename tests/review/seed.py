"""A workshop with every kind of activity filled in, written straight to the database (fast), for the
review tests and the PDF benchmark (bench/bench_review_pdf.py)."""

from __future__ import annotations

import random
from typing import Any

from facilitator.extensions import db
from facilitator.workshops import services
from facilitator.workshops.models import ActivityPhase, Participant, Workshop

SECTORS = [
    "NHS and health care",
    "Local government",
    "Police and justice",
    "Housing",
    "Voluntary and community sector",
    "Business",
]
ORGS = [
    "North Vale Council",
    "Riverside NHS Trust",
    "Vale Constabulary",
    "Hearthstone Housing",
    "Mind in North Vale",
    "Chamber of Commerce",
    "Vale CVS",
    "Public Health North Vale",
]
KINDS = ("check_in", "stakeholder_map", "open_space", "work_avoidance", "commitment_tree")


def seed(workshop: Workshop, names: list[str], *, owner: Any = None, rng_seed: int = 7) -> dict[str, Any]:
    """Participants with the given names; one activity of each kind (added unless present), each with
    contributions from everyone; activities end closed. Returns ids by kind."""
    rnd = random.Random(rng_seed)
    people = []
    for i, name in enumerate(names):
        p = Participant(
            workshop_id=workshop.id,
            display_name=name,
            organisation=ORGS[i % len(ORGS)],
            sector=SECTORS[i % len(SECTORS)],
        )
        db.session.add(p)
        people.append(p)
    db.session.commit()
    have = {a.kind: a for a in workshop.activities}
    titles = {
        "check_in": "Arrival check-in",
        "stakeholder_map": "Who shapes mental health in North Vale",
        "open_space": "Open Space on crisis care",
        "work_avoidance": "How we avoid the hard work",
        "commitment_tree": "Our 90-day commitments",
    }
    for kind in KINDS:
        if kind not in have:
            have[kind] = services.add_activity(workshop, kind, titles[kind], "", by=owner)
        elif have[kind].title != titles[kind]:
            have[kind].title = titles[kind]
    db.session.commit()
    acts = have

    from facilitator.activities.check_in.models import CheckInAnswer

    for i, p in enumerate(people):
        db.session.add(
            CheckInAnswer(
                activity_id=acts["check_in"].id, participant_id=p.id, text=f"Arriving hopeful, answer {i}"
            )
        )

    from facilitator.activities.stakeholder_map.models import Relationship, Stakeholder

    amap = acts["stakeholder_map"]
    orgs = [
        Stakeholder(
            activity_id=amap.id,
            name=o,
            kind="organisation",
            organisation=o,
            sector=SECTORS[j % len(SECTORS)],
            x=rnd.random(),
            y=rnd.random(),
            settled=True,
        )
        for j, o in enumerate(ORGS)
    ]
    db.session.add_all(orgs)
    selves = []
    for i, p in enumerate(people):  # everyone puts themselves on the map
        s = Stakeholder(
            activity_id=amap.id,
            name=p.display_name,
            kind="person",
            organisation=p.organisation,
            sector=p.sector,
            self_of_id=p.id,
            added_by_id=p.id,
            x=rnd.random(),
            y=rnd.random(),
            settled=True,
            influence=1 + i % 5,
            interest=1 + (i * 3) % 5,
        )
        selves.append(s)
    db.session.add_all(selves)
    db.session.flush()
    by_org = {o.name: o for o in orgs}
    for i, s in enumerate(selves):
        db.session.add(
            Relationship(
                activity_id=amap.id,
                source_id=s.id,
                target_id=by_org[s.organisation].id,
                kind="member of",
                strength=3,
            )
        )
        if i:
            other = selves[rnd.randrange(i)]
            db.session.add(
                Relationship(
                    activity_id=amap.id,
                    source_id=s.id,
                    target_id=other.id,
                    kind="collaborates",
                    strength=2,
                    added_by_id=people[i].id,
                )
            )
    db.session.add(
        Relationship(
            activity_id=amap.id,
            source_id=orgs[0].id,
            target_id=orgs[3].id,
            kind="commissions",
            strength=2,
            is_needed=True,
        )
    )

    from facilitator.activities.open_space.models import Interest, Report, Topic, Visit

    aos = acts["open_space"]
    topics = []
    for t in range(max(1, min(30, len(people) // 10))):
        topic = Topic(
            activity_id=aos.id,
            convener_id=people[t % len(people)].id,
            title=f"Crisis care topic {t + 1}",
            description="Why people wait in A&E for a bed",
        )
        db.session.add(topic)
        topics.append(topic)
    db.session.flush()
    from facilitator.activities.open_space import services as os_services

    slots, spaces = os_services.slots_of(aos), os_services.spaces_of(aos)
    cells = [(sl.id, sp.id) for sl in slots for sp in spaces]
    for topic, (slot_id, space_id) in zip(topics, cells, strict=False):
        topic.slot_id, topic.space_id = slot_id, space_id
    for i, p in enumerate(people):
        topic = topics[i % len(topics)]
        db.session.add(Interest(activity_id=aos.id, topic_id=topic.id, participant_id=p.id))
        db.session.add(Visit(activity_id=aos.id, topic_id=topic.id, participant_id=p.id))
    for t, topic in enumerate(topics):
        db.session.add(
            Report(
                activity_id=aos.id,
                topic_id=topic.id,
                notes="We mapped the crisis pathway.",
                key_points=["Beds are not the only gap"],
                proposed_actions=[f"Open a crisis café in town {t + 1}"],
            )
        )

    from facilitator.activities.work_avoidance import services as wa_services
    from facilitator.activities.work_avoidance.models import WorkAvoidanceRating

    awa = acts["work_avoidance"]
    keys = [str(f["key"]) for f in wa_services.forms_of(awa)]
    for p in people:
        for j, key in enumerate(keys):
            db.session.add(
                WorkAvoidanceRating(
                    activity_id=awa.id,
                    participant_id=p.id,
                    form_key=key,
                    rating=min(4, max(0, (j % 5) + rnd.choice((-1, 0, 1)))),
                )
            )

    from facilitator.activities.commitment_tree import services as ct_services
    from facilitator.activities.commitment_tree.models import Commitment

    act = acts["commitment_tree"]
    ct_services.apply_settings(
        act, {"new_branches": "Working together\nData\nResidents' voice", "show_names": "1"}
    )
    branch_ids = [b["id"] for b in ct_services.branches(act)]
    statuses = ["not_started", "in_progress", "done", "stuck"]
    for i, p in enumerate(people):
        whom = [names[(i + 1) % len(names)]]  # a personal name in "with whom"
        db.session.add(
            Commitment(
                activity_id=act.id,
                participant_id=p.id,
                text=f"Meet the housing team {i}",
                with_whom=whom,
                branch_id=branch_ids[i % 3],
                status=statuses[i % 4],
            )
        )
    db.session.commit()
    for a in acts.values():
        if a.phase == ActivityPhase.DRAFT:
            services.set_activity_phase(a, ActivityPhase.OPEN, by=owner)
        services.set_activity_phase(a, ActivityPhase.CLOSED, by=owner)
    return {k: a.id for k, a in acts.items()}
