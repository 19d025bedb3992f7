"""Work-avoidance checklist: anonymous ratings from phones, live aggregates for the screen and console.

Anonymity: ``participant_id`` is used only to find a participant's own rows (to change an answer). It is
never put in an event, a snapshot or an export. Ratings are not broadcast one by one: after each change
the fresh aggregates are pushed (coalesced, at most four times a second) to the big screen and the staff
room only. Phones get their own answers in the snapshot and in command acks.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from facilitator.activities.work_avoidance.models import WorkAvoidanceExample, WorkAvoidanceRating
from facilitator.analysis import checklist
from facilitator.analysis.checklist import FormAggregate, Response
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.realtime.publish import STAFF, Coalescer, emit_now, room_for, screen_room
from facilitator.workshops.models import Activity, ActivityPhase, Participant

if TYPE_CHECKING:
    from facilitator.realtime.protocol import Actor

MIN_SUPPRESS = 3  # never show a distribution over fewer answers than this, whatever the config says
MAX_SUPPRESS = 20
TOP_FORMS = 3
MAX_EXAMPLES_SHOWN = 300


# Config ------------------------------------------------------------------------------------------


def scale() -> list[dict[str, Any]]:
    labels = {0: _("Not at all"), 1: _("Rarely"), 2: _("Sometimes"), 3: _("Often"), 4: _("All the time")}
    return [{"value": v, "label": labels.get(v, label)} for v, label in checklist.SCALE]


def default_config() -> dict[str, Any]:
    """A workshop's own copy of the built-in checklist: later edits elsewhere do not change it."""
    return {
        "forms": copy.deepcopy(checklist.DEFAULT_FORMS),
        "scale": scale(),
        "suppress_below": MIN_SUPPRESS,
        "sources": list(checklist.SOURCES),
    }


def forms_of(activity: Activity) -> list[dict[str, Any]]:
    forms = (activity.config or {}).get("forms")
    if not forms:
        return [dict(f) for f in checklist.DEFAULT_FORMS]
    return [f for f in forms if isinstance(f, dict) and f.get("key")]


def form_keys(activity: Activity) -> set[str]:
    return {str(f["key"]) for f in forms_of(activity)}


def suppress_below(activity: Activity) -> int:
    try:
        value = int((activity.config or {}).get("suppress_below", MIN_SUPPRESS))
    except (TypeError, ValueError):
        value = MIN_SUPPRESS
    return min(max(value, MIN_SUPPRESS), MAX_SUPPRESS)


def _require_form(activity: Activity, form_key: str) -> None:
    if form_key not in form_keys(activity):
        raise DomainError("unknown_form", _("That item is not on this checklist."), 404)


# Commands ----------------------------------------------------------------------------------------


def rate_form(activity: Activity, form_key: str, rating: int | None, *, by: Participant) -> dict[str, Any]:
    """Give, change or skip (``rating=None``) one's rating of one form. One row per participant and form."""
    activity.require_phase(ActivityPhase.OPEN)
    _require_form(activity, form_key)
    row = db.session.scalars(
        select(WorkAvoidanceRating).where(
            WorkAvoidanceRating.activity_id == activity.id,
            WorkAvoidanceRating.participant_id == by.id,
            WorkAvoidanceRating.form_key == form_key,
        )
    ).first()
    if row is None:
        row = WorkAvoidanceRating(activity_id=activity.id, participant_id=by.id, form_key=form_key)
        db.session.add(row)
    row.rating = rating
    db.session.commit()
    _changed(activity, ratings=True)
    return {"form_key": form_key, "rating": rating}


def set_example(activity: Activity, form_key: str, text: str, *, by: Participant) -> dict[str, Any]:
    """Give or replace one's example for a form; an empty text removes it. A hidden example stays hidden."""
    activity.require_phase(ActivityPhase.OPEN)
    _require_form(activity, form_key)
    text = text.strip()
    row = db.session.scalars(
        select(WorkAvoidanceExample).where(
            WorkAvoidanceExample.activity_id == activity.id,
            WorkAvoidanceExample.participant_id == by.id,
            WorkAvoidanceExample.form_key == form_key,
        )
    ).first()
    if not text:
        if row is not None:
            db.session.delete(row)
        db.session.commit()
        _changed(activity, examples=True)
        return {"form_key": form_key, "id": None, "text": ""}
    if row is None:
        row = WorkAvoidanceExample(activity_id=activity.id, participant_id=by.id, form_key=form_key,
                                   text=text)
        db.session.add(row)
    else:
        row.text = text
    db.session.commit()
    _changed(activity, examples=True)
    return {"form_key": form_key, "id": row.id, "text": row.text}


def _changed(activity: Activity, *, ratings: bool = False, examples: bool = False) -> None:
    if ratings:
        from facilitator.workshops.live import counter_push

        counter_push.poke(activity.workshop_id)
        results_push.poke(activity.id)
    if examples:
        examples_push.poke(activity.id)


# Reading -----------------------------------------------------------------------------------------


def _responses(activity: Activity) -> list[Response]:
    rows = db.session.execute(
        select(WorkAvoidanceRating.participant_id, WorkAvoidanceRating.form_key, WorkAvoidanceRating.rating)
        .where(WorkAvoidanceRating.activity_id == activity.id)
        .order_by(WorkAvoidanceRating.id)
    ).all()
    return [Response(str(pid), key, rating, rating is None) for pid, key, rating in rows]


def aggregates(activity: Activity) -> list[FormAggregate]:
    return checklist.aggregate(
        forms_of(activity), _responses(activity), suppress_below=suppress_below(activity)
    )


def aggregate_public(a: FormAggregate) -> dict[str, Any]:
    return {
        "key": a.key,
        "name": a.name,
        "position": a.position,
        "n": a.n,
        "skipped": a.skipped,
        "suppressed": a.suppressed,
        "distribution": list(a.distribution) if a.distribution is not None else None,
        "mean": None if a.mean is None else round(a.mean, 2),
        "share_often": None if a.share_often is None else round(a.share_often, 3),
        "is_split": a.is_split,
        "rank": a.rank,
    }


def top_forms(activity: Activity, aggs: list[FormAggregate], k: int = TOP_FORMS) -> list[dict[str, Any]]:
    """The most present forms (shown results only), with their counter-moves, for the discussion."""
    by_key = {str(f["key"]): f for f in forms_of(activity)}
    ranked = sorted((a for a in aggs if a.rank is not None), key=lambda a: (a.rank or 0, a.position))[:k]
    out = []
    for a in ranked:
        form = by_key.get(a.key, {})
        out.append({
            "key": a.key,
            "name": a.name,
            "mean": None if a.mean is None else round(a.mean, 2),
            "share_often": None if a.share_often is None else round(a.share_often, 3),
            "n": a.n,
            "counter_moves": [str(m) for m in form.get("counter_moves", [])],
        })
    return out


def results(activity: Activity) -> dict[str, Any]:
    aggs = aggregates(activity)
    return {
        "activity_id": activity.id,
        "respondents": answered_count(activity),
        "suppress_below": suppress_below(activity),
        "aggregates": [aggregate_public(a) for a in aggs],
        "top": top_forms(activity, aggs),
    }


def example_public(example: WorkAvoidanceExample) -> dict[str, Any]:
    return {"id": example.id, "form_key": example.form_key, "text": example.text}


def example_staff(example: WorkAvoidanceExample) -> dict[str, Any]:
    return {**example_public(example), "is_hidden": example.is_hidden}


def examples(activity: Activity, *, staff: bool) -> list[dict[str, Any]]:
    query = select(WorkAvoidanceExample).where(WorkAvoidanceExample.activity_id == activity.id)
    if not staff:
        query = query.where(WorkAvoidanceExample.is_hidden.is_(False))
    rows = db.session.scalars(query.order_by(WorkAvoidanceExample.id.desc()).limit(MAX_EXAMPLES_SHOWN)).all()
    return [example_staff(e) if staff else example_public(e) for e in reversed(rows)]


def strings() -> dict[str, str]:
    """The module's own words, translated for whoever asks (the shared i18n block has only common ones)."""
    return {
        "of": _("%(i)s of %(n)s", i="{i}", n="{n}"),
        "answered_of": _("You have answered %(i)s of %(n)s", i="{i}", n="{n}"),
        "skip": _("Skip"),
        "skipped": _("Skipped"),
        "previous": _("Previous"),
        "next": _("Next"),
        "example_label": _("An example from your experience (optional, no names please)"),
        "example_save": _("Save example"),
        "example_remove": _("Remove"),
        "done_title": _("Thank you"),
        "done_text": _("You can change your answers until the facilitator closes the checklist."),
        "review": _("Review my answers"),
        "anonymous_note": _("Anonymous: nobody, the facilitators included, can see who answered what."),
        "respondents": _("%(n)s people have answered", n="{n}"),
        "too_few": _("%(n)s answered · shown from %(k)s", n="{n}", k="{k}"),
        "stats": _("n=%(n)s · average %(mean)s · %(often)s%% often or all the time", n="{n}", mean="{mean}",
                   often="{often}"),
        "split": _("split"),
        "most_present": _("Most present: what could we try instead?"),
        "examples": _("Examples from the room"),
        "no_examples": _("No examples yet."),
        "no_top": _("Not enough answers yet to name the most present forms."),
        "sources": _("After Ronald A. Heifetz, Leadership Without Easy Answers (1994) and "
                     "The Practice of Adaptive Leadership (2009)."),
    }


def snapshot(activity: Activity, actor: Actor) -> dict[str, Any]:
    if actor.participant_id is not None:
        # A phone sees only its own answers: never the room's, never anyone else's.
        mine = db.session.execute(
            select(WorkAvoidanceRating.form_key, WorkAvoidanceRating.rating).where(
                WorkAvoidanceRating.activity_id == activity.id,
                WorkAvoidanceRating.participant_id == actor.participant_id,
            )
        ).all()
        my_examples = db.session.execute(
            select(WorkAvoidanceExample.form_key, WorkAvoidanceExample.text).where(
                WorkAvoidanceExample.activity_id == activity.id,
                WorkAvoidanceExample.participant_id == actor.participant_id,
            )
        ).all()
        return {"mine": dict(mine), "my_examples": dict(my_examples), "t": strings()}
    staff = actor.role == "facilitator"
    return {"results": results(activity), "examples": examples(activity, staff=staff), "t": strings()}


def answered_count(activity: Activity) -> int:
    """Distinct participants who rated at least one form (skips do not count)."""
    return db.session.scalar(
        select(func.count(func.distinct(WorkAvoidanceRating.participant_id))).where(
            WorkAvoidanceRating.activity_id == activity.id, WorkAvoidanceRating.rating.is_not(None)
        )
    ) or 0


def export(activity: Activity) -> dict[str, Any]:
    """Aggregates, findings and shown examples. No rows, no participant ids."""
    aggs = aggregates(activity)
    names = {str(f["key"]): str(f.get("name", f["key"])) for f in forms_of(activity)}
    shown = [e for e in examples(activity, staff=True) if not e["is_hidden"]]
    return {
        "forms": forms_of(activity),
        "scale": (activity.config or {}).get("scale") or scale(),
        "suppress_below": suppress_below(activity),
        "respondents": answered_count(activity),
        "aggregates": [a.as_dict() for a in aggs],
        "top": top_forms(activity, aggs),
        "findings": checklist.findings(aggs),
        "examples": [{"form_key": e["form_key"], "form": names.get(e["form_key"], e["form_key"]),
                      "text": e["text"]} for e in shown],
        "hidden_examples": sum(1 for e in examples(activity, staff=True) if e["is_hidden"]),
        "svg": checklist.svg_bars(aggs, title=activity.title),
        "sources": list(checklist.SOURCES),
    }


# Live pushes (derived, not part of the record: no seq; a client that reconnects gets a snapshot) -----


def _push_results(activity_id: int) -> None:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        return
    data = results(activity)
    emit_now("wa:results", data, screen_room(activity.workshop_id))
    emit_now("wa:results", data, room_for(activity.workshop_id, STAFF))


def _push_examples(activity_id: int) -> None:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        return
    emit_now("wa:examples", {"activity_id": activity.id, "examples": examples(activity, staff=False)},
             screen_room(activity.workshop_id))
    emit_now("wa:examples", {"activity_id": activity.id, "examples": examples(activity, staff=True)},
             room_for(activity.workshop_id, STAFF))


results_push = Coalescer(_push_results, interval=0.25)
examples_push = Coalescer(_push_examples, interval=0.25)


# Settings ----------------------------------------------------------------------------------------


def apply_settings(activity: Activity, form: Mapping[str, Any]) -> None:
    """Choose which forms of the workshop's copy to keep (or restore the built-in list) and the
    anonymity threshold. Locked once the activity has been opened: answers refer to the forms."""
    if form.get("visibility", "anonymous") != "anonymous":
        raise DomainError("invalid", _("This checklist is always anonymous."))
    config = dict(activity.config or default_config())
    if form.get("wa_reset"):
        forms = copy.deepcopy(checklist.DEFAULT_FORMS)
    else:
        getter = getattr(form, "getlist", None)
        keep = set(getter("wa_keep") if getter else form.get("wa_keep", []))
        forms = [f for f in forms_of(activity) if str(f["key"]) in keep]
    if not forms:
        raise DomainError("invalid", _("Keep at least one item on the checklist."))
    try:
        threshold = int(form.get("wa_suppress_below") or suppress_below(activity))
    except ValueError:
        raise DomainError("invalid", _("The anonymity threshold must be a whole number.")) from None
    if not MIN_SUPPRESS <= threshold <= MAX_SUPPRESS:
        raise DomainError("invalid", _("The anonymity threshold must be between %(lo)d and %(hi)d.",
                                       lo=MIN_SUPPRESS, hi=MAX_SUPPRESS))
    changed = [f["key"] for f in forms] != [f["key"] for f in forms_of(activity)]
    if changed and activity.phase != ActivityPhase.DRAFT:
        raise DomainError("settings_locked",
                          _("The checklist cannot change once the activity has been opened."))
    config.update(forms=forms, suppress_below=threshold)
    activity.config = config  # a new dict, so the JSON column is saved


# Demo --------------------------------------------------------------------------------------------


def demo(workshop: Any, owner: Any, participants: list[Participant]) -> None:
    """A closed checklist with plausible answers, so the review has something to show."""
    from facilitator.workshops import services as workshop_services

    activity = workshop_services.add_activity(
        workshop, "work_avoidance", _("How do we avoid the hard work?"),
        _("How present is each of these in our system?"), by=owner,
    )
    workshop_services.set_activity_phase(activity, ActivityPhase.OPEN, by=owner)
    keys = [str(f["key"]) for f in forms_of(activity)]
    leaning = [2, 1, 2, 3, 3, 1, 2, 2, 1, 3]  # how present each form is, roughly, in the demo system
    rnd = random.Random(7)
    for participant in participants:
        for j, key in enumerate(keys):
            guess = leaning[j % len(leaning)] + rnd.choice((-2, -1, 0, 0, 1))
            rating = None if rnd.random() < 0.05 else min(max(guess, 0), 4)
            db.session.add(WorkAvoidanceRating(activity_id=activity.id, participant_id=participant.id,
                                               form_key=key, rating=rating))
    examples_text = [
        ("meetings_without_decisions", "The partnership board noted the same update three months running."),
        ("papers_not_action", "Our 120-page strategy has no owner for any of its actions."),
        ("outside_enemy", "We say the funding rules stop us, but nobody has asked to change them."),
    ]
    for participant, (key, text) in zip(participants, examples_text, strict=False):
        if key in keys:
            db.session.add(WorkAvoidanceExample(activity_id=activity.id, participant_id=participant.id,
                                                form_key=key, text=text))
    db.session.commit()
    workshop_services.set_activity_phase(activity, ActivityPhase.CLOSED, by=owner)
