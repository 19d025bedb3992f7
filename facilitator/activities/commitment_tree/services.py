"""Commitment tree: post, edit and withdraw commitments live; follow them up afterwards by a personal link."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from facilitator.activities.commitment_tree.models import Commitment, FollowUpLink, StatusUpdate
from facilitator.activities.commitment_tree.schemas import (
    MAX_BRANCH_LABEL,
    MAX_BRANCHES,
    MAX_COMMITMENTS_EACH,
    MAX_NOTE,
    STATUSES,
    CommitmentFields,
)
from facilitator.db import utcnow
from facilitator.errors import DomainError, Forbidden
from facilitator.exports import safe_cell
from facilitator.extensions import db
from facilitator.realtime.publish import ALL, STAFF, announce, participant_audience
from facilitator.workshops.models import Activity, ActivityPhase, Participant, Visibility

if TYPE_CHECKING:
    from facilitator.analysis.tree import TreeLayout
    from facilitator.realtime.protocol import Actor

TICKER_SIZE = 6


# Configuration ----------------------------------------------------------------------------------


DEFAULT_PULSES = (30, 60, 90)
MAX_PULSES = 8
MAX_PEOPLE = 400  # names offered on phones for "with whom"


def default_config() -> dict[str, Any]:
    return {"branches": [], "show_names": True, "next_branch_id": 1, "pulse_days": list(DEFAULT_PULSES)}


def pulse_days(activity: Activity) -> list[int]:
    raw = (activity.config or {}).get("pulse_days")
    if raw is None:
        return list(DEFAULT_PULSES)
    days = sorted({int(d) for d in raw if isinstance(d, int | float) and 1 <= int(d) <= 3650})
    return days[:MAX_PULSES]


def parse_pulses(text: str) -> list[int]:
    """"30, 60, 90" -> [30, 60, 90]; raises DomainError on anything else."""
    days: set[int] = set()
    for part in text.replace(";", ",").replace(" ", ",").split(","):
        if not part.strip():
            continue
        if not part.strip().isdigit() or not 1 <= int(part) <= 3650:
            raise DomainError(
                "invalid", _("Pulses are whole numbers of days from 1 to 3650, e.g. 30, 60, 90.")
            )
        days.add(int(part))
    if len(days) > MAX_PULSES:
        raise DomainError("invalid", _("Choose at most %(n)d pulses.", n=MAX_PULSES))
    return sorted(days)


def open_space_sources(activity: Activity) -> list[dict[str, Any]]:
    """Branch ideas from an Open Space in the same workshop: its topics and the actions its reports
    propose (read only). Each is ``{"label", "source"}`` with source "topic" or "action"."""
    from facilitator.activities.open_space.models import Report, Topic

    spaces = db.session.scalars(
        select(Activity.id).where(Activity.workshop_id == activity.workshop_id, Activity.kind == "open_space")
    ).all()
    if not spaces:
        return []
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(label: str, source: str) -> None:
        label = " ".join(str(label).split())[:MAX_BRANCH_LABEL]
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            out.append({"label": label, "source": source})

    topics = db.session.scalars(
        select(Topic).where(Topic.activity_id.in_(spaces), Topic.is_hidden.is_(False)).order_by(Topic.id)
    ).all()
    for topic in topics:
        add(topic.title, "topic")
    visible = {t.id for t in topics}
    for report in db.session.scalars(
        select(Report).where(Report.activity_id.in_(spaces)).order_by(Report.id)
    ).all():
        if report.topic_id in visible:
            for action in report.proposed_actions or []:
                add(str(action), "action")
    return out[:60]


def branches(activity: Activity) -> list[dict[str, Any]]:
    raw = (activity.config or {}).get("branches") or []
    return [{"id": int(b["id"]), "label": str(b["label"])} for b in raw if isinstance(b, dict) and "id" in b]


def branch_label(activity: Activity, branch_id: int | None) -> str:
    for branch in branches(activity):
        if branch["id"] == branch_id:
            return str(branch["label"])
    return ""


def show_names(activity: Activity) -> bool:
    """Names go on the public tree only when the facilitator wants them and participants were told."""
    return bool((activity.config or {}).get("show_names", True)) and activity.visibility == Visibility.NAMED


def apply_settings(activity: Activity, form: Mapping[str, Any]) -> None:
    """From the activity settings page: rename or remove existing branches, add new ones, names on/off.

    Existing branches keep their id when renamed, so commitments stay on them.
    """
    config = dict(activity.config or default_config())
    next_id = int(config.get("next_branch_id") or 1)
    kept: list[dict[str, Any]] = []
    for branch in branches(activity):
        label = " ".join(str(form.get(f"branch_{branch['id']}", branch["label"])).split())
        if label:
            kept.append({"id": branch["id"], "label": label[:MAX_BRANCH_LABEL]})
    seen = {b["label"].casefold() for b in kept}
    picked = form.getlist("from_open_space") if hasattr(form, "getlist") else []
    lines = [*str(form.get("new_branches", "")).splitlines(), *(str(x) for x in picked)]
    for line in lines:
        label = " ".join(line.split())[:MAX_BRANCH_LABEL]
        if not label or label.casefold() in seen:
            continue
        seen.add(label.casefold())
        kept.append({"id": next_id, "label": label})
        next_id += 1
    if len(kept) > MAX_BRANCHES:
        raise DomainError("too_many", _("A tree can have at most %(n)d branches.", n=MAX_BRANCHES))
    config["branches"] = kept
    config["next_branch_id"] = next_id
    config["show_names"] = form.get("show_names") in ("1", "on", "true", "y")
    if "pulse_days" in form:
        config["pulse_days"] = parse_pulses(str(form.get("pulse_days", "")))
    activity.config = config  # a new dict, so SQLAlchemy sees the change


# Shapes -----------------------------------------------------------------------------------------


def _author(commitment: Commitment, activity: Activity, *, staff: bool) -> str | None:
    if activity.visibility == Visibility.NAMED or (
        staff and activity.visibility == Visibility.NAMED_TO_FACILITATORS
    ):
        return commitment.participant.label
    return None


def _base(commitment: Commitment) -> dict[str, Any]:
    return {
        "id": commitment.id,
        "text": commitment.text,
        "by_when": commitment.by_when or None,
        "with_whom": list(commitment.with_whom or []),
        "branch_id": commitment.branch_id,
        "created_at": commitment.created_at.isoformat(),
    }


def commitment_public(commitment: Commitment) -> dict[str, Any]:
    activity = db.session.get(Activity, commitment.activity_id)
    assert activity is not None
    return {**_base(commitment), "author": _author(commitment, activity, staff=False)}


def commitment_staff(commitment: Commitment, activity: Activity) -> dict[str, Any]:
    return {
        **_base(commitment),
        "author": _author(commitment, activity, staff=True),
        "is_hidden": commitment.is_hidden,
        "status": commitment.status,
    }


def commitment_own(commitment: Commitment, activity: Activity) -> dict[str, Any]:
    return {
        **_base(commitment),
        "author": _author(commitment, activity, staff=False),
        "is_hidden": commitment.is_hidden,
        "status": commitment.status,
        "mine": True,
    }


def follow_up_url(link: FollowUpLink) -> str:
    from facilitator.netaddr import public_base_url

    return public_base_url() + url_for("commitment_tree.follow_up", token=link.token)


def _link(activity: Activity, participant_id: int) -> FollowUpLink | None:
    return db.session.scalars(
        select(FollowUpLink).where(
            FollowUpLink.activity_id == activity.id, FollowUpLink.participant_id == participant_id
        )
    ).first()


def ensure_link(activity: Activity, participant: Participant) -> FollowUpLink:
    link = _link(activity, participant.id)
    if link is None:
        link = FollowUpLink(activity_id=activity.id, participant_id=participant.id)
        db.session.add(link)
        db.session.flush()
    return link


# Live operations --------------------------------------------------------------------------------


def _check_branch(activity: Activity, branch_id: int | None) -> None:
    if branch_id is not None and branch_id not in {b["id"] for b in branches(activity)}:
        raise DomainError("invalid_branch", _("Please choose one of the branches."))


def _announce_change(activity: Activity, name: str, commitment: Commitment) -> None:
    """Tell the room about a new or changed commitment without leaking hidden text or private names."""
    payload = {"activity_id": activity.id}
    if not commitment.is_hidden:
        announce(
            activity.workshop_id, name, {**payload, "commitment": commitment_public(commitment)}, audience=ALL
        )
    if commitment.is_hidden or activity.visibility == Visibility.NAMED_TO_FACILITATORS:
        announce(
            activity.workshop_id,
            name,
            {**payload, "commitment": commitment_staff(commitment, activity)},
            audience=STAFF,
        )
    if commitment.is_hidden:
        announce(
            activity.workshop_id,
            name,
            {**payload, "commitment": commitment_own(commitment, activity)},
            audience=participant_audience(commitment.participant_id),
        )


def _own(activity: Activity, commitment_id: int, by: Participant) -> Commitment:
    commitment = db.session.get(Commitment, commitment_id)
    if commitment is None or commitment.activity_id != activity.id:
        raise DomainError("not_found", _("That commitment could not be found."), 404)
    if commitment.participant_id != by.id:
        raise Forbidden(_("You can only change your own commitments."))
    return commitment


def post_commitment(
    activity: Activity, data: CommitmentFields, *, by: Participant
) -> tuple[Commitment, FollowUpLink]:
    activity.require_phase(ActivityPhase.OPEN)
    _check_branch(activity, data.branch_id)
    mine = db.session.scalar(
        select(func.count()).where(Commitment.activity_id == activity.id, Commitment.participant_id == by.id)
    )
    if (mine or 0) >= MAX_COMMITMENTS_EACH:
        raise DomainError("too_many", _("You can make up to %(n)d commitments.", n=MAX_COMMITMENTS_EACH))
    commitment = Commitment(
        activity_id=activity.id,
        participant_id=by.id,
        participant=by,
        text=data.text,
        by_when=data.by_when.isoformat() if data.by_when else "",
        with_whom=list(data.with_whom),
        branch_id=data.branch_id,
    )
    db.session.add(commitment)
    link = ensure_link(activity, by)
    db.session.flush()
    _announce_change(activity, "commitment:posted", commitment)
    db.session.commit()
    from facilitator.workshops.live import counter_push

    counter_push.poke(activity.workshop_id)
    return commitment, link


def edit_commitment(
    activity: Activity, commitment_id: int, data: CommitmentFields, *, by: Participant
) -> Commitment:
    activity.require_phase(ActivityPhase.OPEN)
    commitment = _own(activity, commitment_id, by)
    _check_branch(activity, data.branch_id)
    if commitment.branch_id != data.branch_id:
        commitment.leaf_x = commitment.leaf_y = None  # a leaf that changes branch grows afresh there
    commitment.text = data.text
    commitment.by_when = data.by_when.isoformat() if data.by_when else ""
    commitment.with_whom = list(data.with_whom)
    commitment.branch_id = data.branch_id
    commitment.updated_at = utcnow()
    db.session.flush()
    _announce_change(activity, "commitment:edited", commitment)
    db.session.commit()
    return commitment


def withdraw_commitment(activity: Activity, commitment_id: int, *, by: Participant) -> None:
    activity.require_phase(ActivityPhase.OPEN)
    commitment = _own(activity, commitment_id, by)
    db.session.delete(commitment)
    announce(
        activity.workshop_id,
        "commitment:withdrawn",
        {"activity_id": activity.id, "commitment_id": commitment_id},
    )
    db.session.commit()
    from facilitator.workshops.live import counter_push

    counter_push.poke(activity.workshop_id)


def _all(activity: Activity, *, with_history: bool = False) -> list[Commitment]:
    query = (
        select(Commitment)
        .where(Commitment.activity_id == activity.id)
        .order_by(Commitment.id)
        .options(selectinload(Commitment.participant))
    )
    if with_history:
        query = query.options(selectinload(Commitment.updates))
    return list(db.session.scalars(query))


def snapshot(activity: Activity, actor: Actor) -> dict[str, Any]:
    commitments = _all(activity)
    if actor.role == "facilitator":
        items = [commitment_staff(c, activity) for c in commitments]
    else:
        items = [commitment_public(c) for c in commitments if not c.is_hidden]
    data: dict[str, Any] = {"commitments": items, "show_names": show_names(activity), "t": strings()}
    if actor.participant_id is not None:
        data["mine"] = [
            commitment_own(c, activity) for c in commitments if c.participant_id == actor.participant_id
        ]
        link = _link(activity, actor.participant_id)
        data["follow_up_url"] = follow_up_url(link) if link else None
        data["follow_up_qr"] = url_for("commitment_tree.follow_up_qr", token=link.token) if link else None
        data["max_each"] = MAX_COMMITMENTS_EACH
        data.update(room_names(activity, exclude=actor.participant_id))
    return data


def room_names(activity: Activity, *, exclude: int | None = None) -> dict[str, list[str]]:
    """Who a phone can pick for "with whom": people in the room (not in anonymous activities) and
    organisations, sorted, without repeats."""
    rows = db.session.execute(
        select(Participant.id, Participant.display_name, Participant.organisation)
        .where(Participant.workshop_id == activity.workshop_id)
        .order_by(Participant.id)
        .limit(5000)
    ).all()
    people: dict[str, str] = {}
    orgs: dict[str, str] = {}
    for pid, name, org in rows:
        name, org = " ".join((name or "").split()), " ".join((org or "").split())
        if name and pid != exclude:
            people.setdefault(name.casefold(), name)
        if org:
            orgs.setdefault(org.casefold(), org)
    named = activity.visibility != Visibility.ANONYMOUS
    return {
        "people": sorted(people.values(), key=str.casefold)[:MAX_PEOPLE] if named else [],
        "organisations": sorted(orgs.values(), key=str.casefold)[:MAX_PEOPLE],
    }


def strings() -> dict[str, str]:
    """Translated strings for the browser module (shared templates stay untouched)."""
    return {
        "i_will": _("I will …"),
        "by_when": _("By when (optional)"),
        "with_whom": _("With whom (optional)"),
        "with_whom_hint": _("Pick people or organisations in the room, or type names (commas between them)."),
        "pick": _("Pick from the room"),
        "pick_none": _("Choose…"),
        "people": _("People"),
        "organisations": _("Organisations"),
        "add": _("Add"),
        "remove": _("Remove"),
        "qr_alt": _("QR code of your follow-up link: scan or save it"),
        "branch": _("Branch"),
        "no_branch": _("No branch"),
        "commit": _("Commit"),
        "save_changes": _("Save changes"),
        "cancel": _("Cancel"),
        "edit": _("Edit"),
        "withdraw": _("Withdraw"),
        "withdraw_confirm": _("Withdraw this commitment?"),
        "yours": _("Your commitments"),
        "none_yet": _("No commitments yet."),
        "latest": _("Latest commitments"),
        "all_by_branch": _("All commitments by branch"),
        "no_theme": _("No theme yet"),
        "follow_up": _("Your follow-up link"),
        "save_link": _(
            "Save this link (bookmark it or send it to yourself). After the workshop you can use it to "
            "say how your commitments are going, without an account."
        ),
        "copy": _("Copy link"),
        "copied": _("Copied"),
        "hidden_from_screen": _("Hidden from the screen by the facilitator"),
        "show_list": _("Show as a list"),
        "show_tree": _("Show the tree"),
        "tree_alt": _("The commitment tree: a leaf per commitment on a branch per theme. The list follows."),
        "csv": _("Download CSV"),
        "svg": _("Download the tree (SVG)"),
        "overview": _("Follow-up: who has updated"),
        "with": _("with"),
        "by": _("by"),
        "limit": _("You have made the most commitments allowed."),
        "too_many_people": _("Please name at most 8 people or organisations."),
    }


def answered_count(activity: Activity) -> int:
    return (
        db.session.scalar(
            select(func.count(func.distinct(Commitment.participant_id))).where(
                Commitment.activity_id == activity.id
            )
        )
        or 0
    )


# The tree ---------------------------------------------------------------------------------------


def tree_layout(activity: Activity, *, mode: str = "auto", remember: bool = True) -> TreeLayout:
    """Lay out the visible commitments; leaves drawn before keep their stored positions."""
    from facilitator.analysis.tree import Leaf, layout_tree

    visible = [c for c in _all(activity) if not c.is_hidden]
    names = show_names(activity)
    leaves = [
        Leaf(
            id=c.id,
            branch_id=c.branch_id,
            text=c.text,
            owner=c.participant.label if names else None,
            created_order=c.id,
        )
        for c in visible
    ]
    previous = {c.id: (c.leaf_x, c.leaf_y) for c in visible if c.leaf_x is not None and c.leaf_y is not None}
    layout = layout_tree(
        [(b["id"], b["label"]) for b in branches(activity)],
        leaves,
        previous=previous,
        mode=mode,  # type: ignore[arg-type]
    )
    if remember and layout.mode == "botanical":
        by_id = {c.id: c for c in visible}
        changed = False
        for leaf in layout.leaves:
            c = by_id[leaf.id]
            if (c.leaf_x, c.leaf_y) != (leaf.x, leaf.y):
                c.leaf_x, c.leaf_y = leaf.x, leaf.y
                changed = True
        if changed:
            db.session.commit()
    return layout


def tree_words():  # noqa: ANN201 - facilitator.analysis.tree.TreeWords
    """The tree drawing's own words in the reader's language."""
    from flask_babel import ngettext

    from facilitator.analysis.tree import TreeWords

    def count(n: int) -> str:
        return ngettext("%(num)s commitment", "%(num)s commitments", n)

    def summary(leaves: int, branches: int) -> str:
        return _("Commitment tree: %(commitments)s on %(themes)s", commitments=count(leaves),
                 themes=ngettext("%(num)s theme", "%(num)s themes", branches))

    return TreeWords(title=_("Commitment tree"), unassigned=_("No theme yet"), single_branch=_("Commitments"),
                     count=count, summary=summary, continued=_("(continued)"))


def tree_svg(
    activity: Activity, *, mode: str = "auto", highlight: Collection[int] = (), titled: bool = True
) -> str:
    from facilitator.analysis.tree import svg_tree

    layout = tree_layout(activity, mode=mode)
    fresh = set(highlight) & {leaf.id for leaf in layout.leaves}
    svg = svg_tree(
        layout,
        show_names=show_names(activity),
        title=(activity.prompt or activity.title) if titled else None,
        highlight=fresh,
        words=tree_words(),
    )
    if fresh:
        # Self-contained motion for new leaves, off for people who ask for less motion.
        style = (
            "<style>@media (prefers-reduced-motion: no-preference){"
            ".leaf.is-new{transform-box:fill-box;transform-origin:center;"
            "animation:ct-grow 1.2s ease-out both}}"
            "@keyframes ct-grow{from{opacity:0}to{opacity:1}}</style>"
        )
        head, sep, rest = svg.partition(">")
        svg = head + sep + style + rest
    return svg


# Follow-up --------------------------------------------------------------------------------------


def link_by_token(token: str) -> FollowUpLink | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalars(select(FollowUpLink).where(FollowUpLink.token == token)).first()


def owned_commitments(link: FollowUpLink) -> list[Commitment]:
    return list(
        db.session.scalars(
            select(Commitment)
            .where(
                Commitment.activity_id == link.activity_id, Commitment.participant_id == link.participant_id
            )
            .order_by(Commitment.id)
        )
    )


def update_status(
    link: FollowUpLink,
    commitment_id: int,
    status: str,
    note: str,
    obstacle_form: str = "",
    obstacle: str = "",
) -> Commitment:
    from facilitator.analysis.checklist import DEFAULT_FORMS

    commitment = db.session.get(Commitment, commitment_id)
    if (
        commitment is None
        or commitment.activity_id != link.activity_id
        or commitment.participant_id != link.participant_id
    ):
        raise DomainError("not_found", _("That commitment could not be found."), 404)
    if status not in STATUSES:
        raise DomainError("invalid", _("Please choose a status."))
    note = " ".join(note.split())
    obstacle = " ".join(obstacle.split())
    if len(note) > MAX_NOTE or len(obstacle) > MAX_NOTE:
        raise DomainError("invalid", _("Please keep notes to %(n)d characters.", n=MAX_NOTE))
    if status == "stuck":
        if obstacle_form and obstacle_form not in {f["key"] for f in DEFAULT_FORMS}:
            obstacle_form = ""
        if not obstacle_form and not obstacle:
            raise DomainError(
                "obstacle_required", _("You are stuck: what is in the way? Pick one or say it in a sentence.")
            )
    else:
        obstacle_form, obstacle = "", ""
    commitment.status = status
    commitment.status_note = note
    commitment.status_at = utcnow()
    commitment.updates.append(
        StatusUpdate(status=status, note=note, obstacle_form=obstacle_form, obstacle=obstacle)
    )
    activity = db.session.get(Activity, commitment.activity_id)
    assert activity is not None
    announce(
        activity.workshop_id,
        "commitment:status_changed",
        {"activity_id": activity.id, "commitment_id": commitment.id, "status": status},
        audience=STAFF,
    )
    db.session.commit()
    return commitment


def status_labels() -> dict[str, str]:
    return {
        "not_started": _("Not started"),
        "in_progress": _("In progress"),
        "stuck": _("Stuck"),
        "done": _("Done"),
        "dropped": _("Dropped"),
    }


def follow_up_overview(activity: Activity) -> dict[str, Any]:
    """Who has and has not updated their commitments since the workshop, for the facilitator."""
    rows: dict[int, dict[str, Any]] = {}
    for c in _all(activity):
        row = rows.setdefault(
            c.participant_id,
            {"participant": c.participant, "count": 0, "last_update": None, "statuses": {}},
        )
        row["count"] += 1
        row["statuses"][c.status] = row["statuses"].get(c.status, 0) + 1
        if c.status_at and (row["last_update"] is None or c.status_at > row["last_update"]):
            row["last_update"] = c.status_at
    owners = sorted(
        rows.values(), key=lambda r: (r["last_update"] is not None, r["participant"].label.casefold())
    )
    totals: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for r in owners:
        for status, n in r["statuses"].items():
            totals[status] = totals.get(status, 0) + n
    return {
        "owners": owners,
        "not_updated": sum(1 for r in owners if r["last_update"] is None),
        "totals": totals,
        "names_allowed": activity.visibility != Visibility.ANONYMOUS,
    }


# Export -----------------------------------------------------------------------------------------



def _history(updates: Iterable[StatusUpdate]) -> str:
    parts = []
    for u in updates:
        part = f"{u.created_at.date().isoformat()} {u.status}"
        if u.note:
            part += f": {u.note}"
        if u.obstacle_form or u.obstacle:
            part += f" [in the way: {' / '.join(x for x in (u.obstacle_form, u.obstacle) if x)}]"
        parts.append(part)
    return " | ".join(parts)


CSV_COLUMNS = (
    "id",
    "created_at",
    "author",
    "organisation",
    "branch",
    "commitment",
    "by_when",
    "with_whom",
    "hidden",
    "status",
    "status_note",
    "status_updated_at",
    "status_history",
)


def export_csv(activity: Activity) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for c in _all(activity, with_history=True):
        author = _author(c, activity, staff=True)
        writer.writerow(
            [
                safe_cell(x)
                for x in (
                    c.id,
                    c.created_at.isoformat(),
                    author or "",
                    c.participant.organisation if author else "",
                    branch_label(activity, c.branch_id),
                    c.text,
                    c.by_when,
                    "; ".join(c.with_whom or []),
                    "yes" if c.is_hidden else "no",
                    c.status,
                    c.status_note,
                    c.status_at.isoformat() if c.status_at else "",
                    _history(c.updates),
                )
            ]
        )
    return out.getvalue()


def export(activity: Activity) -> dict[str, Any]:
    return {
        "branches": branches(activity),
        "commitments": [
            {
                **commitment_staff(c, activity),
                "branch": branch_label(activity, c.branch_id),
                "status_note": c.status_note,
                "history": [
                    {
                        "status": u.status,
                        "note": u.note,
                        "obstacle_form": u.obstacle_form,
                        "obstacle": u.obstacle,
                        "at": u.created_at.isoformat(),
                    }
                    for u in c.updates
                ],
            }
            for c in _all(activity, with_history=True)
        ],
    }


# Demo -------------------------------------------------------------------------------------------

DEMO = (
    ("Run a joint case review with the housing team every month", ["Housing team"], 0),
    ("Share our waiting-list data openly with partners", [], 1),
    ("Invite two young people to our next board meeting", ["Youth forum"], 2),
    ("Pair up a GP practice with a food bank", ["North Vale Food Bank"], 0),
    ("Ask what we stop doing before we start anything new", [], 1),
)


def demo(workshop: Any, owner: Any, participants: list[Participant]) -> None:
    from facilitator.workshops import services as ws

    activity = ws.add_activity(
        workshop,
        "commitment_tree",
        "Commitment tree",
        "What will you do differently in the next 90 days?",
        by=owner,
    )
    apply_settings(
        activity,
        {"new_branches": "Working together\nData and evidence\nVoice of residents", "show_names": "1"},
    )
    db.session.commit()
    ws.set_activity_phase(activity, ActivityPhase.OPEN, by=owner)
    ids = [b["id"] for b in branches(activity)]
    for participant, (text, who, b) in zip(participants, DEMO, strict=False):
        data = CommitmentFields(activity_id=activity.id, text=text, with_whom=who, branch_id=ids[b])
        post_commitment(activity, data, by=participant)
