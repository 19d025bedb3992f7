"""Work-avoidance checklist: anonymous ratings from phones, live aggregates for the screen and console.

Anonymity: ``participant_id`` is used only to find a participant's own rows (to change an answer). It is
never put in an event, a snapshot or an export. Ratings are not broadcast one by one: after each change
the fresh aggregates are pushed (coalesced, at most four times a second) to the big screen and the staff
room only. Phones get their own answers in the snapshot and in command acks.

Herding: until the facilitator reveals the results, the big screen gets only the number of people who
have answered; the console sees the results as they come in, marked as not yet shown.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask_babel import format_decimal, get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from facilitator.activities.work_avoidance.models import (
    Checklist,
    WorkAvoidanceExample,
    WorkAvoidanceFlag,
    WorkAvoidancePick,
    WorkAvoidanceRating,
)
from facilitator.analysis import checklist
from facilitator.analysis.checklist import FormAggregate, Response
from facilitator.db import utcnow
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.i18n import N_, translate_builtin
from facilitator.realtime.publish import ALL, STAFF, Coalescer, announce, emit_now, room_for, screen_room
from facilitator.workshops.models import Activity, ActivityPhase, Participant, Workshop, WorkshopPhase

if TYPE_CHECKING:
    from facilitator.realtime.protocol import Actor

MIN_SUPPRESS = 3  # never show a distribution over fewer answers than this, whatever the config says
MAX_SUPPRESS = 20
GROUP_MIN = 5  # default: a sector or organisation is shown on its own only from this many answers
MAX_GROUP_MIN = 50
SPLITS = ("none", "sector", "organisation")
TOP_FORMS = 3
MAX_EXAMPLES_SHOWN = 300
BUILTIN = "builtin"
FLAG_LIMIT = 6  # flags per participant per FLAG_WINDOW seconds
FLAG_WINDOW = 300


# Config ------------------------------------------------------------------------------------------


def scale() -> list[dict[str, Any]]:
    """The rating scale as stored in a workshop's config: English labels (shown through ``scale_public``)."""
    return [{"value": v, "label": label} for v, label in checklist.SCALE]


def scale_public(activity: Activity | None = None) -> list[dict[str, Any]]:
    """The activity's scale in the reader's language."""
    stored = ((activity.config or {}).get("scale") if activity is not None else None) or scale()
    return [{**s, "label": translate_builtin(str(s.get("label", s.get("value", ""))))} for s in stored]


def builtin_name() -> str:
    """Stored in English in a workshop's config; shown through ``translate_builtin`` (``checklist_name``)."""
    return N_("Built-in checklist (after Heifetz)")


def checklist_name(activity: Activity) -> str:
    meta = (activity.config or {}).get("checklist") or {}
    return translate_builtin(str(meta.get("name") or builtin_name()))


def form_public(form: Mapping[str, Any]) -> dict[str, Any]:
    """One form in the reader's language: the built-in wording translated, a facilitator's own as typed.
    The key stays as it is (answers and results over time are matched by key)."""
    out = dict(form)
    for field in ("name", "family", "description", "prompt"):
        if isinstance(out.get(field), str):
            out[field] = translate_builtin(out[field])
    out["counter_moves"] = [translate_builtin(str(m)) for m in form.get("counter_moves", []) or []]
    return out


def forms_public(activity: Activity | None) -> list[dict[str, Any]]:
    forms = forms_of(activity) if activity is not None else [dict(f) for f in checklist.DEFAULT_FORMS]
    return [form_public(f) for f in forms]


def labels(activity: Activity) -> dict[str, Any]:
    """Built-in texts of this activity in the reader's language, for the browser module (the config it
    also gets keeps them in English). Part of each client's own snapshot, never of a broadcast."""
    return {"forms": forms_public(activity), "scale": scale_public(activity),
            "checklist": checklist_name(activity), "other_groups": translate_builtin(checklist.OTHER_GROUPS)}


def group_label(label: str) -> str:
    """A group of a split: a sector offered at joining (built-in, translated), an organisation as typed."""
    return translate_builtin(label)


def _mean(value: float) -> str:
    """A mean on the 0-4 scale, one decimal, with the reader's decimal sign."""
    return format_decimal(value, format="0.0")


def word_findings(facts: list[checklist.Fact]) -> list[str]:
    """The checklist's findings (``checklist.finding_facts`` / ``group_finding_facts``) as sentences in the
    reader's language, with built-in form names and sectors translated."""
    from babel.lists import format_list

    out = []
    for fact in facts:
        p = fact.params
        name = translate_builtin(str(p.get("name", "")))
        if fact.code == "not_enough":
            out.append(_("There are not yet enough answers to show results."))
        elif fact.code == "most_present":
            out.append(ngettext(
                "The room sees “%(name)s” as the most present form of work avoidance: %(mean)s on a scale "
                "from 0 to 4, and %(often)s of %(num)s says it happens often or all the time.",
                "The room sees “%(name)s” as the most present form of work avoidance: %(mean)s on a scale "
                "from 0 to 4, and %(often)s of %(num)s say it happens often or all the time.",
                p["n"], name=name, mean=_mean(p["mean"]), often=p["often"]))
        elif fact.code == "next":
            forms = [_("“%(name)s” (%(mean)s)", name=translate_builtin(str(n)), mean=_mean(m))
                     for n, m in p["forms"]]
            out.append(_("Next come %(forms)s.", forms=format_list(forms, locale=get_locale() or "en")))
        elif fact.code == "split":
            out.append(_("Views on “%(name)s” are split: %(low)s say rarely or not at all, %(high)s say "
                         "often or all the time. That difference is worth exploring together.",
                         name=name, low=p["low"], high=p["high"]))
        elif fact.code == "least":
            out.append(_("“%(name)s” is seen as the least present (%(mean)s).", name=name,
                         mean=_mean(p["mean"])))
        elif fact.code == "withheld":
            out.append(ngettext("%(num)d form has too few answers to show, to keep answers anonymous.",
                                "%(num)d forms have too few answers to show, to keep answers anonymous.",
                                p["count"]))
        elif fact.code == "groups_differ":
            out.append(_("Groups see “%(name)s” differently: %(high_group)s rates it %(high)s on average, "
                         "%(low_group)s %(low)s. The gap is a finding in itself.", name=name,
                         high_group=group_label(p["high_group"]), high=_mean(p["high"]),
                         low_group=group_label(p["low_group"]), low=_mean(p["low"])))
    return out


def chart(activity: Activity, aggs: list[FormAggregate], title: str | None = None) -> str:
    """The bar chart (SVG) in the reader's language: form names, scale, the words around the bars."""
    import dataclasses

    words = {
        "too_few": _("Too few answers to show"),
        "stats": _("n=%(n)s · avg %(mean)s", n="{n}", mean="{mean}"),
        "split": _("split"),
        "key": _("most present · n = answers · avg on 0 (not at all) to 4 (all the time)"),
        "label": ngettext("Work-avoidance checklist results for %(num)s form",
                          "Work-avoidance checklist results for %(num)s forms", len(aggs)),
        "describe_few": _("%(name)s: fewer answers than needed to show (%(n)s).", name="{name}", n="{n}"),
        "describe": _("%(name)s: %(n)s answers, average %(mean)s; %(parts)s.", name="{name}", n="{n}",
                      mean="{mean}", parts="{parts}"),
        "part": _("%(label)s %(count)s", label="{label}", count="{count}"),
    }
    named = [dataclasses.replace(a, name=translate_builtin(a.name)) for a in aggs]
    return checklist.svg_bars(named, title=title, words=words,
                              scale_labels=[s["label"] for s in scale_public(activity)], fmt=_mean)


def default_config() -> dict[str, Any]:
    """A workshop's own copy of the built-in checklist: later edits elsewhere do not change it."""
    return {
        "forms": copy.deepcopy(checklist.DEFAULT_FORMS),
        "scale": scale(),
        "suppress_below": MIN_SUPPRESS,
        "sources": list(checklist.SOURCES),
        "checklist": {"ref": BUILTIN, "name": builtin_name()},
        "revealed": False,
        "split_by": "sector",
        "group_min": GROUP_MIN,
    }


def is_revealed(activity: Activity) -> bool:
    return bool((activity.config or {}).get("revealed"))


def checklist_ref(activity: Activity) -> str:
    """Which checklist this activity copied ("builtin" or "<id>"): runs of the same one are compared."""
    return str(((activity.config or {}).get("checklist") or {}).get("ref") or BUILTIN)


def split_by(activity: Activity) -> str:
    value = str((activity.config or {}).get("split_by") or "none")
    return value if value in SPLITS else "none"


def group_min(activity: Activity) -> int:
    try:
        value = int((activity.config or {}).get("group_min", GROUP_MIN))
    except (TypeError, ValueError):
        value = GROUP_MIN
    return min(max(value, MIN_SUPPRESS, suppress_below(activity)), MAX_GROUP_MIN)


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
    # Only the group, as the participant described themselves when answering: used for splits.
    row.sector = (by.sector or "")[:80]
    row.organisation = (by.organisation or "")[:120]
    db.session.commit()
    _changed(activity, ratings=True)
    return {"form_key": form_key, "rating": rating}


def set_picks(activity: Activity, form_keys: list[str], *, by: Participant) -> dict[str, Any]:
    """Choose (or change, or clear) the one or two forms the group most needs to tackle."""
    activity.require_phase(ActivityPhase.OPEN)
    keys = list(dict.fromkeys(form_keys))
    if len(keys) > checklist.MAX_PICKS:
        raise DomainError("too_many", _("Choose at most two."))
    for key in keys:
        _require_form(activity, key)
    existing = db.session.scalars(
        select(WorkAvoidancePick).where(
            WorkAvoidancePick.activity_id == activity.id, WorkAvoidancePick.participant_id == by.id
        )
    ).all()
    for row in existing:
        db.session.delete(row)
    db.session.flush()
    for key in keys:
        db.session.add(WorkAvoidancePick(activity_id=activity.id, participant_id=by.id, form_key=key))
    db.session.commit()
    _changed(activity, ratings=True)
    return {"form_keys": keys}


def set_revealed(activity: Activity, revealed: bool, *, by: Any) -> dict[str, Any]:
    """Show (or hide again) the results on the big screen. The response count is always live."""
    if activity.phase == ActivityPhase.DRAFT and revealed:
        raise DomainError("activity_not_open", _("Open the checklist before revealing its results."))
    config = dict(activity.config or default_config())
    config["revealed"] = bool(revealed)
    activity.config = config
    announce(activity.workshop_id, "wa:revealed", {"activity_id": activity.id, "revealed": bool(revealed)},
             audience=ALL)
    db.session.commit()
    results_push.poke(activity.id)
    examples_push.poke(activity.id)
    return {"revealed": bool(revealed)}


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


def _groups(activity: Activity, by: str) -> dict[str, str | None]:
    """participant key -> the sector (or organisation) given with their latest rating. Internal only."""
    column = WorkAvoidanceRating.sector if by == "sector" else WorkAvoidanceRating.organisation
    rows = db.session.execute(
        select(WorkAvoidanceRating.participant_id, column)
        .where(WorkAvoidanceRating.activity_id == activity.id)
        .order_by(WorkAvoidanceRating.id)
    ).all()
    return {str(pid): (label or "").strip() or None for pid, label in rows}


def group_results(activity: Activity, aggs: list[FormAggregate] | None = None) -> dict[str, Any] | None:
    """Per form, groups of at least ``group_min`` answers (small ones pooled into "Other groups",
    never named), and the forms on which groups differ most."""
    by = split_by(activity)
    if by == "none":
        return None
    threshold = group_min(activity)
    parts = checklist.breakdown(forms_of(activity), _responses(activity), _groups(activity, by),
                                suppress_below=threshold)
    forms = []
    for b in parts:
        groups = [
            {"label": group_label(label),
             "is_other": label == checklist.OTHER_GROUPS, "n": a.n,
             "mean": None if a.mean is None else round(a.mean, 2),
             "distribution": list(a.distribution) if a.distribution else None}
            for label, a in b.groups.items()
        ]
        forms.append({"key": b.key, "name": translate_builtin(b.name),
                      "gap": None if b.gap is None else round(b.gap, 2), "groups": groups})
    named = {g["label"] for f in forms for g in f["groups"] if not g["is_other"]}
    differ = sorted((f for f in forms if f["gap"] is not None), key=lambda f: -f["gap"])[:TOP_FORMS]
    return {
        "by": by,
        "min": threshold,
        "groups_shown": len(named),
        "forms": forms,
        "differ_most": differ,
        "findings": word_findings(checklist.group_finding_facts(parts, min_gap=0.75)),
    }


def priorities(activity: Activity) -> dict[str, Any]:
    """The forms the room picked as the ones to tackle, most picked first, with their counter-moves."""
    rows = db.session.execute(
        select(WorkAvoidancePick.participant_id, WorkAvoidancePick.form_key)
        .where(WorkAvoidancePick.activity_id == activity.id)
        .order_by(WorkAvoidancePick.id)
    ).all()
    pickers, ranking = checklist.pick_ranking(
        forms_of(activity), [(str(pid), key) for pid, key in rows], suppress_below=suppress_below(activity)
    )
    by_key = {str(f["key"]): f for f in forms_of(activity)}
    return {
        "pickers": pickers,
        "ranking": [
            {**p.as_dict(), "name": translate_builtin(p.name), "share": round(p.share, 3),
             "counter_moves": [translate_builtin(str(m))
                               for m in by_key.get(p.key, {}).get("counter_moves", [])]}
            for p in ranking
        ],
    }


def aggregate_public(a: FormAggregate) -> dict[str, Any]:
    return {
        "key": a.key,
        "name": translate_builtin(a.name),
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
            "name": translate_builtin(a.name),
            "mean": None if a.mean is None else round(a.mean, 2),
            "share_often": None if a.share_often is None else round(a.share_often, 3),
            "n": a.n,
            "counter_moves": [translate_builtin(str(m)) for m in form.get("counter_moves", [])],
        })
    return out


def results(activity: Activity, *, full: bool = True) -> dict[str, Any]:
    """What the screen (``full`` only once revealed) and the console see. Before the reveal, the
    screen learns only how many have answered."""
    base = {
        "activity_id": activity.id,
        "respondents": answered_count(activity),
        "suppress_below": suppress_below(activity),
        "revealed": is_revealed(activity),
    }
    if not full:
        return {**base, "aggregates": [], "top": [], "priorities": None, "groups": None, "findings": []}
    aggs = aggregates(activity)
    return {
        **base,
        "aggregates": [aggregate_public(a) for a in aggs],
        "top": top_forms(activity, aggs),
        "priorities": priorities(activity),
        "groups": group_results(activity, aggs),
        "findings": word_findings(checklist.finding_facts(aggs)),
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
        "sources": _("After Ronald A. Heifetz, Leadership Without Easy Answers (1994); Heifetz, Grashow "
                     "and Linsky, The Practice of Adaptive Leadership (2009); and Sue Goss, “Why, in whole "
                     "systems, is it so hard to move from papers to action?” (2017). Texts in our own "
                     "words."),
        "pick_title": _("Which one or two should we most tackle?"),
        "pick_hint": _("Choose up to two. You can change your mind until the checklist closes."),
        "pick_save": _("Save my choice"),
        "pick_saved": _("Your choice is saved."),
        "pick_too_many": _("Choose at most two."),
        "hidden_title": _("Results are hidden until the facilitator reveals them"),
        "hidden_text": _("So that nobody is swayed by what others said. Keep answering on your phone."),
        "reveal": _("Reveal results on the big screen"),
        "unreveal": _("Hide results from the big screen"),
        "not_revealed": _("Not shown on the big screen yet"),
        "revealed_note": _("Shown on the big screen"),
        "priorities": _("What the room most wants to tackle"),
        "priorities_count": _("%(n)s chose", n="{n}"),
        "no_priorities": _("Not enough choices yet to show a ranking."),
        "chosen_by": _("chosen by %(n)s", n="{n}"),
        "differ_title": _("Where perceptions differ most"),
        "differ_note": _("Split by %(by)s; groups with fewer than %(k)s answers are pooled as "
                         "“Other groups”.", by="{by}", k="{k}"),
        "by_sector": _("sector"),
        "by_organisation": _("organisation"),
        "no_differ": _("Not enough answers per group to compare groups."),
        "avg": _("avg"),
    }


def _own(activity: Activity, participant_id: int) -> dict[str, Any]:
    mine = db.session.execute(
        select(WorkAvoidanceRating.form_key, WorkAvoidanceRating.rating).where(
            WorkAvoidanceRating.activity_id == activity.id,
            WorkAvoidanceRating.participant_id == participant_id,
        )
    ).all()
    my_examples = db.session.execute(
        select(WorkAvoidanceExample.form_key, WorkAvoidanceExample.text).where(
            WorkAvoidanceExample.activity_id == activity.id,
            WorkAvoidanceExample.participant_id == participant_id,
        )
    ).all()
    my_picks = db.session.scalars(
        select(WorkAvoidancePick.form_key)
        .where(WorkAvoidancePick.activity_id == activity.id,
               WorkAvoidancePick.participant_id == participant_id)
        .order_by(WorkAvoidancePick.id)
    ).all()
    return {"mine": dict(mine), "my_examples": dict(my_examples), "my_picks": list(my_picks)}


def snapshot(activity: Activity, actor: Actor) -> dict[str, Any]:
    words = {"t": strings(), "labels": labels(activity)}  # in the asker's language
    if actor.participant_id is not None:
        # A phone sees only its own answers: never the room's, never anyone else's.
        return {**_own(activity, actor.participant_id), **words}
    if actor.role == "facilitator":
        return {"results": results(activity), "examples": examples(activity, staff=True), **words}
    # The big screen (and the activity:staged broadcast, built for the screen): nothing before the reveal.
    shown = is_revealed(activity)
    return {"results": results(activity, full=shown),
            "examples": examples(activity, staff=False) if shown else [], **words}


def answered_count(activity: Activity) -> int:
    """Distinct participants who rated at least one form (skips do not count)."""
    return db.session.scalar(
        select(func.count(func.distinct(WorkAvoidanceRating.participant_id))).where(
            WorkAvoidanceRating.activity_id == activity.id, WorkAvoidanceRating.rating.is_not(None)
        )
    ) or 0


def export(activity: Activity) -> dict[str, Any]:
    """Aggregates, priorities, group splits (pooled), findings, shown examples and the workshop's
    flags. No rows, no participant ids."""
    aggs = aggregates(activity)
    names = {str(f["key"]): str(f.get("name", f["key"])) for f in forms_of(activity)}
    shown = [e for e in examples(activity, staff=True) if not e["is_hidden"]]
    return {
        "forms": forms_of(activity),
        "checklist": (activity.config or {}).get("checklist") or {"ref": BUILTIN, "name": builtin_name()},
        "scale": (activity.config or {}).get("scale") or scale(),
        "suppress_below": suppress_below(activity),
        "respondents": answered_count(activity),
        "aggregates": [a.as_dict() for a in aggs],
        "top": top_forms(activity, aggs),
        "priorities": priorities(activity),
        "groups": group_results(activity, aggs),
        "findings": word_findings(checklist.finding_facts(aggs)),
        "examples": [{"form_key": e["form_key"], "form": names.get(e["form_key"], e["form_key"]),
                      "text": e["text"]} for e in shown],
        "hidden_examples": sum(1 for e in examples(activity, staff=True) if e["is_hidden"]),
        "flags": flag_timeline(activity.workshop),
        "svg": chart(activity, aggs, title=activity.title),
        "sources": list(checklist.SOURCES),
    }


def export_csv(activity: Activity) -> str:
    """Aggregates only: one row per form, per shown group and per priority; counts of flags by form."""
    from facilitator.exports import to_csv

    data = export(activity)
    labels = [str(s["label"]) for s in data["scale"]]
    header = ["section", "form_key", "form", "group", "n", "skipped", "withheld", *labels, "mean", "median",
              "share_often_or_always", "split", "rank", "chosen_to_tackle"]
    picks = {p["key"]: p["count"] for p in data["priorities"]["ranking"]}
    rows: list[list[Any]] = []
    for a in data["aggregates"]:
        dist = a["distribution"] or [None] * len(labels)
        rows.append(["form", a["key"], translate_builtin(a["name"]), "", a["n"], a["skipped"],
                     a["suppressed"], *dist, _round(a["mean"]), a["median"], _round(a["share_often"]),
                     a["is_split"], a["rank"],
                     picks.get(a["key"], 0 if data["priorities"]["ranking"] else None)])
    groups = data["groups"]
    for f in (groups or {}).get("forms", []):
        for g in f["groups"]:
            dist = g["distribution"] or [None] * len(labels)
            rows.append([f"group:{groups['by']}", f["key"], f["name"], g["label"], g["n"], None, False, *dist,
                         g["mean"], None, None, None, None, None])
    for row in data["flags"]["by_form"]:
        rows.append(["flags", row["form_key"], row["form_name"], "", row["count"], None, False,
                     *([None] * len(labels)), None, None, None, None, None, None])
    return to_csv(header, rows)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# Live pushes (derived, not part of the record: no seq; a client that reconnects gets a snapshot) -----


def _push_results(activity_id: int) -> None:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        return
    emit_now("wa:results", results(activity, full=is_revealed(activity)), screen_room(activity.workshop_id))
    emit_now("wa:results", results(activity), room_for(activity.workshop_id, STAFF))


def _push_examples(activity_id: int) -> None:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        return
    shown = examples(activity, staff=False) if is_revealed(activity) else []
    emit_now("wa:examples", {"activity_id": activity.id, "examples": shown},
             screen_room(activity.workshop_id))
    emit_now("wa:examples", {"activity_id": activity.id, "examples": examples(activity, staff=True)},
             room_for(activity.workshop_id, STAFF))


results_push = Coalescer(_push_results, interval=0.25)
examples_push = Coalescer(_push_examples, interval=0.25)


# Settings ----------------------------------------------------------------------------------------


def _int_setting(form: Mapping[str, Any], name: str, current: int, lo: int, hi: int, label: str) -> int:
    try:
        value = int(form.get(name) or current)
    except ValueError:
        raise DomainError("invalid", _("%(label)s must be a whole number.", label=label)) from None
    if not lo <= value <= hi:
        raise DomainError("invalid", _("%(label)s must be between %(lo)d and %(hi)d.",
                                       label=label, lo=lo, hi=hi))
    return value


def apply_settings(activity: Activity, form: Mapping[str, Any]) -> None:
    """Pick a checklist from the library (or the built-in one), choose which of its forms to keep,
    the anonymity thresholds and the split. The forms are locked once the activity has been opened:
    answers refer to them."""
    if form.get("visibility", "anonymous") != "anonymous":
        raise DomainError("invalid", _("This checklist is always anonymous."))
    config = dict(activity.config or default_config())
    source = str(form.get("wa_checklist") or "")
    current_ref = checklist_ref(activity)
    if form.get("wa_reset") or (source and source != current_ref):
        source = source or BUILTIN
        if source == BUILTIN:
            forms, meta = copy.deepcopy(checklist.DEFAULT_FORMS), {"ref": BUILTIN, "name": builtin_name()}
        else:
            chosen = _own_checklist(source)
            forms = copy.deepcopy(chosen.forms)
            meta = {"ref": str(chosen.id), "name": chosen.name}
        meta["copied_at"] = utcnow().isoformat(timespec="seconds")
    else:
        getter = getattr(form, "getlist", None)
        keep = set(getter("wa_keep") if getter else form.get("wa_keep", []))
        forms = [f for f in forms_of(activity) if str(f["key"]) in keep]
        meta = config.get("checklist") or {"ref": BUILTIN, "name": builtin_name()}
    if not forms:
        raise DomainError("invalid", _("Keep at least one item on the checklist."))
    threshold = _int_setting(form, "wa_suppress_below", suppress_below(activity), MIN_SUPPRESS, MAX_SUPPRESS,
                             _("The anonymity threshold"))
    minimum = _int_setting(form, "wa_group_min", group_min(activity), threshold, MAX_GROUP_MIN,
                           _("The smallest group shown"))
    split = str(form.get("wa_split_by") or split_by(activity))
    if split not in SPLITS:
        raise DomainError("invalid", _("Unknown way of splitting the results."))
    changed = forms != forms_of(activity)
    if changed and activity.phase != ActivityPhase.DRAFT:
        raise DomainError("settings_locked",
                          _("The checklist cannot change once the activity has been opened."))
    config.update(forms=forms, suppress_below=threshold, group_min=minimum, split_by=split, checklist=meta)
    activity.config = config  # a new dict, so the JSON column is saved


# Checklist library ---------------------------------------------------------------------------------


def _owner_id() -> int:
    from flask_login import current_user

    if not getattr(current_user, "is_authenticated", False):
        raise DomainError("forbidden", _("Please sign in."), 403)
    return int(current_user.id)


def _own_checklist(ref: str | int, owner_id: int | None = None) -> Checklist:
    owner = owner_id if owner_id is not None else _owner_id()
    try:
        item = db.session.get(Checklist, int(ref))
    except (TypeError, ValueError):
        item = None
    if item is None or item.facilitator_id != owner:
        raise DomainError("not_found", _("That checklist could not be found."), 404)
    return item


def library(owner_id: int) -> list[Checklist]:
    return list(db.session.scalars(
        select(Checklist).where(Checklist.facilitator_id == owner_id).order_by(Checklist.name, Checklist.id)
    ).all())


def clone_checklist(source: str, *, by: Any) -> Checklist:
    """A new checklist in the facilitator's library, copied from the built-in one or one of their own."""
    if source == BUILTIN:
        name, description = _("My checklist"), _("Copied from the built-in checklist.")
        forms = copy.deepcopy(checklist.DEFAULT_FORMS)
    else:
        original = _own_checklist(source, by.id)
        name, description, forms = _("Copy of %(name)s", name=original.name), original.description, \
            copy.deepcopy(original.forms)
    if len(library(by.id)) >= 50:
        raise DomainError("too_many", _("A library holds at most 50 checklists."))
    item = Checklist(facilitator_id=by.id, name=name[:120], description=description[:500], forms=forms)
    db.session.add(item)
    db.session.commit()
    return item


def update_checklist(item: Checklist, name: str, description: str, forms: list[dict[str, Any]], *,
                     by: Any) -> Checklist:
    """Rename, reword, add and remove forms. Workshops that already copied it keep their own copy."""
    if item.facilitator_id != by.id:
        raise DomainError("not_found", _("That checklist could not be found."), 404)
    name = " ".join(name.split())[:120]
    if not name:
        raise DomainError("invalid", _("Give the checklist a name."))
    try:
        cleaned = checklist.normalise_forms(forms)
    except ValueError:
        raise DomainError("invalid", _("A checklist needs between 1 and %(n)d forms, each with a name.",
                                       n=checklist.MAX_FORMS)) from None
    item.name = name
    item.description = description.strip()[:500]
    item.forms = [dict(f) for f in cleaned]  # a new list, so the JSON column is saved
    item.updated_at = utcnow()
    db.session.commit()
    return item


def delete_checklist(item: Checklist, *, by: Any) -> None:
    if item.facilitator_id != by.id:
        raise DomainError("not_found", _("That checklist could not be found."), 404)
    db.session.delete(item)
    db.session.commit()


# Over time -------------------------------------------------------------------------------------------


def runs_of(ref: str, owner_id: int) -> list[Activity]:
    """Activities of this facilitator's workshops that ran the same checklist, oldest first. Only runs
    with answers count."""
    from facilitator.workshops.models import WorkshopFacilitator

    activities = db.session.scalars(
        select(Activity)
        .join(WorkshopFacilitator, WorkshopFacilitator.workshop_id == Activity.workshop_id)
        .where(Activity.kind == "work_avoidance", WorkshopFacilitator.facilitator_id == owner_id)
        .order_by(Activity.created_at, Activity.id)
    ).all()
    runs = [a for a in activities if checklist_ref(a) == ref and answered_count(a) > 0]
    return sorted(runs, key=lambda a: (a.workshop.starts_on or a.workshop.created_at.date().isoformat(),
                                       a.created_at, a.id))


def trend(ref: str, owner_id: int) -> dict[str, Any]:
    runs = runs_of(ref, owner_id)
    per_run = [aggregates(a) for a in runs]
    rows = checklist.change_over_time(per_run)
    return {
        "runs": [{"activity_id": a.id, "workshop_id": a.workshop_id, "workshop": a.workshop.title,
                  "title": a.title, "date": a.workshop.starts_on or a.workshop.created_at.date().isoformat(),
                  "respondents": answered_count(a)} for a in runs],
        "forms": [{**r.as_dict(), "means": [None if m is None else round(m, 2) for m in r.means],
                   "change": None if r.change is None else round(r.change, 2),
                   "previous_change": None if r.previous_change is None else round(r.previous_change, 2)}
                  for r in rows],
    }


# Flag it live ----------------------------------------------------------------------------------------


def flag_forms(workshop: Workshop) -> list[dict[str, str]]:
    """The forms a participant can flag: the workshop's checklist (the one on stage, else the first in
    the agenda), else the built-in list."""
    staged = workshop.staged
    source = staged if staged is not None and staged.kind == "work_avoidance" else next(
        (a for a in workshop.activities if a.kind == "work_avoidance"), None)
    forms = forms_of(source) if source is not None else checklist.DEFAULT_FORMS
    return [{"key": str(f["key"]), "name": str(f.get("name", f["key"]))} for f in forms]


def flag_public(flag: WorkAvoidanceFlag) -> dict[str, Any]:
    from flask_babel import format_time

    return {
        "id": flag.id,
        "at": int(flag.created_at.timestamp() * 1000),
        "clock": format_time(flag.created_at, "HH:mm"),
        "activity_id": flag.activity_id,
        "activity_title": flag.activity_title,
        "form_key": flag.form_key,
        "form_name": flag.form_name,
    }


def raise_flag(workshop: Workshop, form_key: str, *, by: Participant) -> dict[str, Any]:
    """"I think we are avoiding the work": stored with what is on stage now, never with who said it."""
    from facilitator.workshops import throttle

    if workshop.phase == WorkshopPhase.ENDED:
        raise DomainError("workshop_ended", _("This workshop has ended."))
    names = {f["key"]: f["name"] for f in flag_forms(workshop)}
    if form_key and form_key not in names:
        raise DomainError("unknown_form", _("That item is not on this checklist."), 404)
    key = f"wa-flag:{workshop.id}:{by.id}"  # a rate limit only: the flag itself names nobody
    if not throttle.allow(key, FLAG_LIMIT, FLAG_WINDOW):  # one atomic count, even across workers
        raise DomainError("rate_limited", _("Thank you: the facilitator has your flags. Try again in a few "
                                            "minutes."))
    staged = workshop.staged
    flag = WorkAvoidanceFlag(workshop_id=workshop.id, activity_id=staged.id if staged else None,
                             activity_title=(staged.title if staged else "")[:200], form_key=form_key,
                             form_name=names.get(form_key, "")[:120])
    db.session.add(flag)
    db.session.flush()
    announce(workshop.id, "wa:flagged", flag_public(flag), audience=STAFF)
    db.session.commit()
    return {"flagged": True}


def flag_timeline(workshop: Workshop) -> dict[str, Any]:
    """Flags in time order, grouped into runs of the same on-stage activity, and counted by form."""
    flags = db.session.scalars(
        select(WorkAvoidanceFlag).where(WorkAvoidanceFlag.workshop_id == workshop.id)
        .order_by(WorkAvoidanceFlag.created_at, WorkAvoidanceFlag.id)
    ).all()
    # The name stored with a flag is the form's wording at the time (English for a built-in form).
    items = [{**flag_public(f), "form_name": translate_builtin(f.form_name),
              "activity_title": translate_builtin(f.activity_title)} for f in flags]
    titles = {a.id: translate_builtin(a.title) for a in workshop.activities}
    segments: list[dict[str, Any]] = []
    for item in items:
        if not segments or segments[-1]["activity_id"] != item["activity_id"]:
            title = titles.get(item["activity_id"], item["activity_title"]) if item["activity_id"] else ""
            segments.append({"activity_id": item["activity_id"], "title": title, "flags": []})
        segments[-1]["flags"].append(item)
    counts: Counter[tuple[str, str]] = Counter((i["form_key"], i["form_name"]) for i in items)
    by_form = [{"form_key": k, "form_name": n, "count": c}
               for (k, n), c in sorted(counts.items(), key=lambda e: (-e[1], e[0][1]))]
    agenda = [{"id": a.id, "title": titles[a.id],
               "flags": sum(1 for i in items if i["activity_id"] == a.id)} for a in workshop.activities]
    return {"total": len(items), "flags": items, "segments": segments, "by_form": by_form, "agenda": agenda}


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
        given: dict[str, int] = {}
        for j, key in enumerate(keys):
            guess = leaning[j % len(leaning)] + rnd.choice((-2, -1, 0, 0, 1))
            rating = None if rnd.random() < 0.05 else min(max(guess, 0), 4)
            if rating is not None:
                given[key] = rating
            db.session.add(WorkAvoidanceRating(activity_id=activity.id, participant_id=participant.id,
                                               form_key=key, rating=rating, sector=participant.sector or "",
                                               organisation=participant.organisation or ""))
        # Each picks two of the forms they rated highest as the ones to tackle.
        for key in sorted(given, key=lambda k: (-given[k], rnd.random()))[:2]:
            db.session.add(WorkAvoidancePick(activity_id=activity.id, participant_id=participant.id,
                                             form_key=key))
    examples_text = [
        ("meetings_without_decisions", "The partnership board noted the same update three months running."),
        ("papers_not_action", "Our 120-page strategy has no owner for any of its actions."),
        ("outside_enemy", "We say the funding rules stop us, but nobody has asked to change them."),
    ]
    for participant, (key, text) in zip(participants, examples_text, strict=False):
        if key in keys:
            db.session.add(WorkAvoidanceExample(activity_id=activity.id, participant_id=participant.id,
                                                form_key=key, text=text))
    config = dict(activity.config)
    config["revealed"] = True
    activity.config = config
    db.session.commit()
    workshop_services.set_activity_phase(activity, ActivityPhase.CLOSED, by=owner)
