"""Who may open which page and send which command: every route of the URL map and every registered
socket command, tried by each of six people against a workshop with every kind of activity.

The two tables below are the expected answers. A route or a command the tables do not name fails the
test: whoever adds one decides here who may use it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from facilitator.extensions import db
from facilitator.realtime.protocol import COMMANDS
from tests.archive.conftest import reachable
from tests.security.conftest import DENIED_CODES, ROLES, row_counts, try_connect

EVERYONE = frozenset(ROLES)
ACCOUNTS = frozenset({"facilitator", "other_facilitator"})  # anyone signed in as a facilitator
STAFF = frozenset({"facilitator"})  # the facilitator of this workshop (or the owner of the thing)
PARTICIPANT = frozenset({"participant"})  # a participant of this workshop (or the holder of the link)
REVIEWER = frozenset({"reviewer"})  # the holder of a review link
NOBODY_SIGNED_IN = frozenset({"nobody", "other_participant", "participant", "reviewer"})

# Route endpoint -> the roles that get in. Everyone else must get 401/403/404/410 or be sent to sign in
# or to join, and a refused POST must change nothing in the database.
ROUTES: dict[str, frozenset[str]] = {
    "static": EVERYONE,
    "workshops.home": ACCOUNTS,  # everyone else is sent on to the join page
    "auth.login": EVERYONE,
    "auth.logout": ACCOUNTS,
    "auth.setup": frozenset(),  # closed once the first account exists
    "auth.password": ACCOUNTS,
    "i18n.choose": EVERYONE,  # the language switcher: sets a cookie on this device, nothing else
    "join.enter": EVERYONE,
    "join.join": EVERYONE,  # the join code is on the big screen: anyone in the room may join
    "join.resume": frozenset(),  # without the token the phone kept, no one resumes (tests/workshops)
    "join.live": PARTICIPANT,
    "join.profile": PARTICIPANT,
    "open_space.check_in": PARTICIPANT,
    "open_space.my_agenda": PARTICIPANT,
    "open_space.space_check_in": PARTICIPANT,
    "open_space.photo": frozenset(),  # no photo with that id: nobody gets one
    "open_space.topic_photos": PARTICIPANT | STAFF,
    "work_avoidance.flag_forms": PARTICIPANT,
    "work_avoidance.flag": PARTICIPANT,
    "commitment_tree.follow_up": PARTICIPANT,
    "commitment_tree.follow_up_update": PARTICIPANT,
    "commitment_tree.follow_up_email": PARTICIPANT,
    "commitment_tree.follow_up_email_remove": PARTICIPANT,
    "commitment_tree.follow_up_qr": PARTICIPANT,
    "review.shared_dashboard": REVIEWER,
    "review.shared_report": REVIEWER,
    "review.shared_report_pdf": REVIEWER,
    "workshops.index": ACCOUNTS,
    "workshops.new": ACCOUNTS,
    "archive.import_page": ACCOUNTS,
    "work_avoidance.library": ACCOUNTS,
    "work_avoidance.clone": ACCOUNTS,
    "work_avoidance.edit": STAFF,
    "work_avoidance.delete": STAFF,
    "work_avoidance.over_time": STAFF,
    "stakeholder_map.thumbnail": PARTICIPANT | STAFF,
    "workshops.console": STAFF,
    "workshops.add_activity": STAFF,
    "workshops.edit_activity": STAFF,
    "workshops.move_activity": STAFF,
    "workshops.remove_activity": STAFF,
    "workshops.delete": STAFF,
    "workshops.duplicate": STAFF,
    "workshops.edit": STAFF,
    "workshops.add_facilitator": STAFF,
    "workshops.remove_facilitator": STAFF,
    "workshops.moderation": STAFF,
    "workshops.phase": STAFF,
    "workshops.qr": STAFF,
    "workshops.screen": STAFF,
    "work_avoidance.flags": STAFF,
    "work_avoidance.export_csv": STAFF,
    "commitment_tree.export_csv": STAFF,
    "commitment_tree.follow_up_overview": STAFF,
    "commitment_tree.open_round": STAFF,
    "commitment_tree.ties_to_map": STAFF,
    "commitment_tree.tree_svg": STAFF,
    "stakeholder_map.import_map": STAFF,
    "stakeholder_map.gexf": STAFF,
    "stakeholder_map.graphml": STAFF,
    "stakeholder_map.node_link": STAFF,
    "stakeholder_map.svg": STAFF,
    "stakeholder_map.relationships_csv": STAFF,
    "stakeholder_map.stakeholders_csv": STAFF,
    "open_space.actions_csv": STAFF,
    "open_space.proceedings": STAFF,
    "open_space.proceedings_csv": STAFF,
    "open_space.proceedings_json": STAFF,
    "open_space.proceedings_markdown": STAFF,
    "open_space.qr_sheets": STAFF,
    "archive.page": STAFF,
    "archive.export_json": STAFF,
    "archive.export_zip": STAFF,
    "archive.erase": STAFF,
    "review.report": STAFF,
    "review.report_pdf": STAFF,
    "review.prepare_report_pdf": STAFF,  # typesets in the background; the console is told when ready
    "review.dashboard": STAFF,
    "review.links": STAFF,
    "review.create_link": STAFF,
    "review.revoke_link": STAFF,
    "review.series_index": ACCOUNTS,
    "review.series_create": ACCOUNTS,
    "review.series_page": STAFF,
    "review.series_update": STAFF,
    "review.series_delete": STAFF,
}

# POSTs an allowed person makes last, in this order: they sign out, erase or delete what the others need.
LAST = (
    "join.join",
    "join.resume",
    "archive.erase",
    "workshops.remove_facilitator",
    "review.revoke_link",
    "workshops.remove_activity",
    "work_avoidance.delete",
    "review.series_delete",
    "workshops.delete",
    "auth.logout",
)

# Socket command -> the roles that may send it about this workshop. Commands in OWN_WORKSHOP name no
# activity or item: someone of another workshop may send them, and they act on that workshop only.
# Nobody and the reviewer cannot open a socket at all (checked once per command below).
COMMAND_ROLES: dict[str, frozenset[str]] = {
    "sync": PARTICIPANT | STAFF,
    "activity:state": PARTICIPANT | STAFF,
    "activity:set_phase": STAFF,
    "activity:stage": STAFF,
    "item:hide": STAFF,
    "item:restore": STAFF,
    "timer:add": STAFF,
    "timer:pause": STAFF,
    "timer:resume": STAFF,
    "timer:start": STAFF,
    "timer:stop": STAFF,
    "checkin:answer": PARTICIPANT,
    "checkin:withdraw": PARTICIPANT,
    "stakeholder:add": PARTICIPANT | STAFF,
    "stakeholder:edit": PARTICIPANT | STAFF,
    "relationship:add": PARTICIPANT | STAFF,
    "relationship:edit": PARTICIPANT | STAFF,
    "relationship:remove": PARTICIPANT | STAFF,
    "map:join": PARTICIPANT,
    "map:analyse": STAFF,
    "map:configure": STAFF,
    "map:lock": STAFF,
    "map:merge": STAFF,
    "map:relayout": STAFF,
    "topic:propose": PARTICIPANT,
    "topic:interest": PARTICIPANT,
    "topic:edit": PARTICIPANT | STAFF,
    "topic:merge": STAFF,
    "topic:place": STAFF,
    "topic:unplace": STAFF,
    "openspace:apply_agenda": STAFF,
    "openspace:check_in": PARTICIPANT,
    "openspace:clashes": STAFF,
    "openspace:report": PARTICIPANT | STAFF,
    "openspace:report_draft": PARTICIPANT | STAFF,
    "openspace:reveal": STAFF,
    "openspace:set_current_slot": STAFF,
    "openspace:set_stage": STAFF,
    "openspace:suggest": STAFF,
    "openspace:to_tree": STAFF,
    "action:vote": PARTICIPANT,
    "action:unvote": PARTICIPANT,
    "wa:rate": PARTICIPANT,
    "wa:example": PARTICIPANT,
    "wa:pick": PARTICIPANT,
    "wa:flag": PARTICIPANT,
    "wa:flags": STAFF,
    "wa:reveal": STAFF,
    "commitment:post": PARTICIPANT,
    "commitment:edit": PARTICIPANT,
    "commitment:withdraw": PARTICIPANT,
}
OWN_WORKSHOP = {
    "sync",
    "timer:add",
    "timer:pause",
    "timer:resume",
    "timer:start",
    "timer:stop",
    "wa:flag",
    "wa:flags",
}


def payloads(w: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A well-formed payload for each command, naming real things of this workshop."""
    c, m, o, wa, t = w["check_in"], w["smap"], w["ospace"], w["wa"], w["tree"]
    action = "1-0123456789ab"
    return {
        "sync": {"last_seq": 0},
        "activity:state": {"activity_id": o},
        "activity:set_phase": {"activity_id": c, "phase": "closed"},
        "activity:stage": {"activity_id": m},
        "item:hide": {"activity_id": t, "item_type": "commitment", "item_id": w["mine"], "reason": "x"},
        "item:restore": {"activity_id": c, "item_type": "answer", "item_id": w["answer"]},
        "timer:add": {"seconds": 60},
        "timer:pause": {},
        "timer:resume": {},
        "timer:start": {"seconds": 120, "label": "Pairs"},
        "timer:stop": {},
        "checkin:answer": {"activity_id": c, "text": "Here"},
        "checkin:withdraw": {"activity_id": c, "answer_id": w["answer"]},
        "stakeholder:add": {"activity_id": m, "name": "Parish council", "confirm_new": True},
        "stakeholder:edit": {"activity_id": m, "stakeholder_id": w["gp"], "name": "Dr R Gupta"},
        "relationship:add": {"activity_id": m, "source_id": w["gp"], "target_id": w["gp"] + 1},
        "relationship:edit": {"activity_id": m, "relationship_id": w["relationship"], "strength": 3},
        "relationship:remove": {"activity_id": m, "relationship_id": w["relationship"]},
        "map:join": {"activity_id": m, "works_with": [w["gp"]]},
        "map:analyse": {"activity_id": m},
        "map:configure": {"activity_id": m, "colour_by": "sector"},
        "map:lock": {"activity_id": m, "locked": True},
        "map:merge": {"activity_id": m, "keep_id": w["gp"], "merge_id": w["gp"] + 1},
        "map:relayout": {"activity_id": m},
        "topic:propose": {"activity_id": o, "title": "Shared data"},
        "topic:interest": {"activity_id": o, "topic_id": w["topic"], "interested": True},
        "topic:edit": {"activity_id": o, "topic_id": w["my_topic"], "title": "Housing first, renamed"},
        "topic:merge": {"activity_id": o, "topic_id": w["topic"], "into_id": w["topic"] + 1},
        "topic:place": {
            "activity_id": o,
            "topic_id": w["topic"],
            "slot_id": w["slot"],
            "space_id": w["space"],
        },
        "topic:unplace": {"activity_id": o, "topic_id": w["topic"]},
        "openspace:apply_agenda": {"activity_id": o, "placements": []},
        "openspace:check_in": {"activity_id": o, "topic_id": w["topic"]},
        "openspace:clashes": {"activity_id": o},
        "openspace:report": {"activity_id": o, "topic_id": w["my_topic"], "notes": "More notes"},
        "openspace:report_draft": {"activity_id": o, "topic_id": w["my_topic"]},
        "openspace:reveal": {"activity_id": o, "revealed": True},
        "openspace:set_current_slot": {"activity_id": o, "slot_id": w["slot"]},
        "openspace:set_stage": {"activity_id": o, "stage": "convergence"},
        "openspace:suggest": {"activity_id": o},
        "openspace:to_tree": {"activity_id": o, "tree_activity_id": t, "action_ids": [action]},
        "action:vote": {"activity_id": o, "action_id": action},
        "action:unvote": {"activity_id": o, "action_id": action},
        "wa:rate": {"activity_id": wa, "form_key": "denial", "rating": 2},
        "wa:example": {"activity_id": wa, "form_key": "denial", "text": "We wait for the review"},
        "wa:pick": {"activity_id": wa, "form_keys": ["denial"]},
        "wa:flag": {"form_key": "denial"},
        "wa:flags": {},
        "wa:reveal": {"activity_id": wa, "revealed": True},
        "commitment:post": {"activity_id": t, "text": "Call the trust"},
        "commitment:edit": {"activity_id": t, "commitment_id": w["mine"], "text": "Call the trust today"},
        "commitment:withdraw": {"activity_id": t, "commitment_id": w["mine"]},
    }


# HTTP -------------------------------------------------------------------------------------------


def _activity_for(endpoint: str, w: dict[str, Any]) -> int:
    blueprint = endpoint.split(".")[0]
    return {
        "stakeholder_map": w["smap"],
        "commitment_tree": w["tree"],
        "open_space": w["ospace"],
        "work_avoidance": w["wa"],
    }.get(blueprint, w["check_in"])


def _url(rule: Any, role: str, w: dict[str, Any]) -> str:
    endpoint = rule.endpoint
    if endpoint.startswith("review.shared"):
        token = w["review_token"] if role == "reviewer" else "not-a-real-token-at-all"
    elif role == "participant":
        token = w["my_token"]
    elif role == "other_participant" and "commitment_id" in rule.arguments:
        token = w["their_token"]  # their own link, aimed at someone else's commitment below
    else:
        token = "not-a-real-token-at-all"
    values = {
        "workshop_id": w["id"],
        "activity_id": _activity_for(endpoint, w),
        "topic_id": w["my_topic"],
        "space_id": w["space"],
        "photo_id": 987654,
        "checklist_id": w["checklist"],
        "ref": str(w["checklist"]),
        "commitment_id": w["mine"],
        "token": token,
        "code": w["code"],
        "link_id": w["review_link"],
        "facilitator_id": w["me_facilitator"],
        "participant_id": w["participant"],
        "filename": "css/app.css",
        "series_id": w["series"],
    }
    return rule.build({name: values[name] for name in rule.arguments})[1]


def _denied(response: Any, endpoint: str) -> bool:
    if response.status_code in (401, 403, 404, 410):
        return True
    if response.status_code in (301, 302, 303):
        target = response.headers.get("Location", "")
        signed_out = endpoint == "auth.logout" and not target.endswith("?next=%2Flogout")
        return (
            (target.split("?")[0].endswith("/login") and not signed_out)
            or target.rstrip("/").endswith("/join")
            or "/join?" in target
            or ("/j/" in target and not target.endswith("/live") and "/open-space/" not in target)
        )
    return False


def _describe(response: Any) -> str:
    return f"{response.status_code} {response.headers.get('Location', '')}".strip()


def test_every_route_has_an_expected_answer_per_role(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(endpoints - ROUTES.keys()) == [], "new routes: say who may use them in ROUTES"
    assert sorted(ROUTES.keys() - endpoints) == [], "ROUTES names routes that no longer exist"


def test_route_matrix(app: Flask, world: dict[str, Any]) -> None:
    rules = sorted(
        app.url_map.iter_rules(),
        key=lambda r: (r.endpoint in LAST, LAST.index(r.endpoint) if r.endpoint in LAST else 0, r.endpoint),
    )
    failures: list[str] = []
    cells = 0

    def check(rule: Any, method: str, role: str) -> None:
        nonlocal cells
        cells += 1
        allowed = role in ROUTES[rule.endpoint]
        url = _url(rule, role, world)
        client = world["clients"][role]
        if not allowed and method == "POST":
            with app.app_context():
                before = row_counts()
        response = client.open(url, method=method, data={})
        response.close()
        if allowed and _denied(response, rule.endpoint):
            failures.append(f"{role} refused {method} {url} ({rule.endpoint}): {_describe(response)}")
        if allowed and response.status_code >= 500:
            failures.append(f"{role} {method} {url}: {_describe(response)}")
        if not allowed and not _denied(response, rule.endpoint):
            failures.append(f"{role} let in {method} {url} ({rule.endpoint}): {_describe(response)}")
        if not allowed and method == "POST":
            with app.app_context():
                db.session.expire_all()
                if row_counts() != before:
                    failures.append(f"{role} changed the database with a refused POST {url}")

    # Reads first, then refused writes, then the writes of those allowed (the destructive ones last).
    for rule in rules:
        if "GET" in rule.methods:
            for role in ROLES:
                check(rule, "GET", role)
    for rule in rules:
        if "POST" in rule.methods:
            for role in ROLES:
                if role not in ROUTES[rule.endpoint]:
                    check(rule, "POST", role)
    for rule in rules:
        if "POST" in rule.methods:
            for role in ROLES:
                if role in ROUTES[rule.endpoint]:
                    check(rule, "POST", role)
    assert failures == [], "\n".join(failures)
    assert cells >= len(ROUTES) * len(ROLES)


# Socket commands --------------------------------------------------------------------------------


def test_every_command_has_an_expected_answer_per_role(app: Flask) -> None:
    assert sorted(COMMANDS.keys() - COMMAND_ROLES.keys()) == [], "new commands: say who may send them"
    assert sorted(COMMAND_ROLES.keys() - COMMANDS.keys()) == [], "COMMAND_ROLES names unknown commands"
    for name, (_schema, roles) in COMMANDS.items():
        # The registry's roles agree with the table (screen aside: it is a facilitator's second window).
        registered = {"participant" if r == "participant" else "facilitator" for r in roles if r != "screen"}
        assert registered == set(COMMAND_ROLES[name]), name


def test_nobody_and_the_reviewer_cannot_open_a_socket(app: Flask, world: dict[str, Any]) -> None:
    for role in ("nobody", "reviewer"):
        for as_role in ("participant", "facilitator", "screen"):
            for workshop in (world["id"], world["other_ws"]):
                sio = try_connect(app, world["clients"][role], workshop, as_role)
                assert not sio.is_connected(), (role, as_role)
    # Nor can people of the other workshop open one on this workshop.
    for role, as_role in (
        ("other_participant", "participant"),
        ("other_facilitator", "facilitator"),
        ("other_facilitator", "screen"),
        ("participant", "facilitator"),
        ("participant", "screen"),
    ):
        sio = try_connect(app, world["clients"][role], world["id"], as_role)
        assert not sio.is_connected(), (role, as_role)


def test_command_matrix(app: Flask, world: dict[str, Any]) -> None:
    with app.app_context():
        from facilitator.activities.stakeholder_map.models import Relationship

        world["relationship"] = db.session.scalars(db.select(Relationship.id)).first()
    sent = payloads(world)
    assert sent.keys() == COMMAND_ROLES.keys()
    failures: list[str] = []
    cells = 0
    destructive = ("merge", "withdraw", "remove", "unplace")
    order = sorted(sent, key=lambda name: (any(d in name for d in destructive), name))

    def snapshot() -> Any:
        with app.app_context():
            db.session.expire_all()
            return reachable(world["id"])

    for name in order:
        # Nobody and the reviewer have no socket at all: those two cells are the refused connections.
        cells += 2
        for role in ("other_participant", "other_facilitator", "participant", "facilitator"):
            if role in COMMAND_ROLES[name]:
                continue
            cells += 1
            before = snapshot()
            result = world["sockets"][role].emit(name, {**sent[name]}, callback=True)
            after = snapshot()
            own = name in OWN_WORKSHOP and role.startswith("other_")
            if not isinstance(result, dict):
                failures.append(f"{role} {name}: no ack ({result!r})")
                continue
            if not own and (result.get("ok") or result["error"]["code"] not in DENIED_CODES):
                failures.append(f"{role} {name}: expected a refusal, got {result}")
            if before != after:
                failures.append(f"{role} {name}: the workshop changed")
    for name in order:
        for role in ("participant", "facilitator"):
            if role not in COMMAND_ROLES[name]:
                continue
            cells += 1
            result = world["sockets"][role].emit(name, {**sent[name]}, callback=True)
            if not isinstance(result, dict) or (
                not result.get("ok") and result["error"]["code"] in ("forbidden", "unauthorised")
            ):
                failures.append(f"{role} {name}: expected to be let in, got {result}")
    assert failures == [], "\n".join(failures)
    assert cells == len(COMMAND_ROLES) * len(ROLES)


def test_items_of_another_workshop_cannot_be_reached_through_ones_own_activity(
    app: Flask, world: dict[str, Any]
) -> None:
    """The activity is mine, the item inside it is someone else's: refused, and theirs is unchanged."""
    stranger, me, console = (world["sockets"][r] for r in ("other_participant", "participant", "facilitator"))
    their_check_in, their_tree = world["other_activities"]
    their_answer = stranger.emit(
        "checkin:answer", {"activity_id": their_check_in, "text": "Mine, elsewhere"}, callback=True
    )["data"]["id"]
    attempts = [
        (
            me,
            "commitment:edit",
            {"activity_id": world["tree"], "commitment_id": world["their_commitment"], "text": "Taken over"},
        ),
        (
            me,
            "commitment:withdraw",
            {"activity_id": world["tree"], "commitment_id": world["their_commitment"]},
        ),
        (me, "checkin:withdraw", {"activity_id": world["check_in"], "answer_id": their_answer}),
        (
            console,
            "item:hide",
            {"activity_id": world["check_in"], "item_type": "answer", "item_id": their_answer},
        ),
        (
            console,
            "item:hide",
            {"activity_id": world["tree"], "item_type": "commitment", "item_id": world["their_commitment"]},
        ),
    ]
    with app.app_context():
        before = reachable(world["other_ws"])
    for sio, name, payload in attempts:
        result = sio.emit(name, payload, callback=True)
        assert result["ok"] is False and result["error"]["code"] in DENIED_CODES, (name, result)
    with app.app_context():
        db.session.expire_all()
        assert reachable(world["other_ws"]) == before


def test_my_workshop_in_the_address_does_not_open_another_workshops_things(
    app: Flask, world: dict[str, Any]
) -> None:
    """The facilitator's own workshop id with an activity or a participant of another workshop."""
    their_check_in, their_tree = world["other_activities"]
    failures = []
    for rule in app.url_map.iter_rules():
        if "workshop_id" not in rule.arguments or not ({"activity_id", "participant_id"} & rule.arguments):
            continue
        values = {
            "workshop_id": world["id"],
            "activity_id": their_tree if rule.endpoint.startswith("commitment_tree") else their_check_in,
            "participant_id": world["stranger"],
        }
        for name in rule.arguments - values.keys():
            values[name] = {"topic_id": world["topic"]}.get(name, 1)
        url = rule.build(values)[1]
        for method in sorted(rule.methods & {"GET", "POST"}):
            with app.app_context():
                before = reachable(world["other_ws"])
            response = world["clients"]["facilitator"].open(url, method=method, data={})
            response.close()
            if response.status_code not in (403, 404):
                failures.append(f"{method} {url}: {response.status_code}")
            with app.app_context():
                db.session.expire_all()
                if reachable(world["other_ws"]) != before:
                    failures.append(f"{method} {url} changed the other workshop")
    assert failures == [], "\n".join(failures)
