"""Data protection: erasing one participant, and purging ended workshops after the retention time."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import func, select, update

from facilitator.extensions import db
from tests.archive.conftest import ZELDA_WORDS, ok, reachable
from tests.conftest import ack


def mentions(text: str, words=ZELDA_WORDS) -> list[str]:
    return [w for w in words if w.casefold() in text.casefold()]


def test_erasing_a_participant_removes_them_from_every_activity_export_and_the_event_log(
    app, facilitator, rich_workshop, sockets, monkeypatch
):
    monkeypatch.setattr("facilitator.archive.bundle.report_pdf", lambda w: (None, "not in this test"))
    ws = rich_workshop()
    zelda_phone, bram_phone, _carys = ws["people"]
    with app.app_context():
        from facilitator.workshops.models import Participant, WorkshopEvent

        zelda = db.session.scalar(select(Participant).where(Participant.display_name == "Zelda Quist"))
        zelda_id = zelda.id
        logged = db.session.scalars(
            select(WorkshopEvent.payload).where(WorkshopEvent.workshop_id == ws["id"])
        ).all()
        assert mentions(json.dumps(logged))  # she is in the record before
        seq_before = db.session.scalar(select(func.max(WorkshopEvent.seq)))

    page = facilitator.get(f"/workshops/{ws['id']}/archive")
    assert page.status_code == 200 and "Zelda Quist" in page.get_data(as_text=True)
    confirm = facilitator.get(f"/workshops/{ws['id']}/participants/{zelda_id}/erase")
    assert confirm.status_code == 200 and "check_in_answer" in confirm.get_data(as_text=True)
    # nothing happens without the confirmation
    facilitator.post(f"/workshops/{ws['id']}/participants/{zelda_id}/erase", data={})
    with app.app_context():
        assert db.session.get(Participant, zelda_id) is not None
    done = facilitator.post(
        f"/workshops/{ws['id']}/participants/{zelda_id}/erase",
        data={"confirm": "erase"},
        follow_redirects=True,
    )
    assert "has been erased" in done.get_data(as_text=True)

    with app.app_context():
        from facilitator.workshops.models import ModerationEntry, ProcessedCommand

        rows = reachable(ws["id"])
        assert zelda_id not in {p["id"] for p in rows["participant"]}
        for table, found in rows.items():  # no row anywhere still names her or points at her
            assert not mentions(json.dumps(found, default=str)), table
            for row in found:
                for column in ("participant_id", "convener_id", "added_by_id", "self_of_id", "updated_by_id"):
                    assert row.get(column) != zelda_id, (table, column)
        # what others wrote stays (their words about her are theirs: only her own name entry is erased)
        assert len(rows["check_in_answer"]) == 2 and len(rows["commitment_tree_commitment"]) == 2
        assert {s["name"] for s in rows["stakeholder_map_stakeholder"]} >= {"Food bank", "Bram Okafor"}
        assert "Dr Gupta" not in {s["name"] for s in rows["stakeholder_map_stakeholder"]}  # she added him
        assert [r["notes"] for r in rows["open_space_report"]] == [
            "Nurses stretched thin; parents want drop-ins"
        ]
        assert not db.session.scalar(
            select(func.count())
            .select_from(ProcessedCommand)
            .where(ProcessedCommand.actor == f"p:{zelda_id}")
        )
        entry = db.session.scalar(select(ModerationEntry).where(ModerationEntry.workshop_id == ws["id"]))
        assert entry.reason == "Off topic" and "arriving tired" not in entry.item_text
        # the replay log: same seq numbers (no holes), her events emptied, a fresh copy of the stage after
        events = db.session.scalars(
            select(WorkshopEvent).where(WorkshopEvent.workshop_id == ws["id"]).order_by(WorkshopEvent.seq)
        ).all()
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert not mentions(json.dumps([e.payload for e in events]))
        assert "record:erased" in {e.name for e in events[:seq_before]}
        assert "activity:staged" in {e.name for e in events[seq_before:]}
        assert all(e.audience != f"p:{zelda_id}" for e in events)

    # a facilitator replaying the whole log, and every activity's state, never shows her
    console = sockets(facilitator, ws["id"], role="facilitator")
    replay = ok(ack(console, "sync", {"last_seq": 0}))
    assert replay["mode"] == "delta" and not mentions(json.dumps(replay))
    for activity_id in ws["activities"]:
        assert not mentions(json.dumps(ok(ack(console, "activity:state", {"activity_id": activity_id})))), (
            activity_id
        )
    # ... nor any export
    for url in (f"/workshops/{ws['id']}/export.zip", f"/workshops/{ws['id']}/export.json"):
        body = facilitator.get(url).get_data()
        files = zipfile.ZipFile(io.BytesIO(body)) if url.endswith(".zip") else None
        texts = (
            [files.read(n).decode("utf-8", "replace") for n in files.namelist()] if files else [body.decode()]
        )
        assert not any(mentions(t) for t in texts), url
    # her phone is no longer anyone; Bram's still works
    assert (
        ack(zelda_phone, "checkin:answer", {"activity_id": ws["activities"][0], "text": "back"})["ok"]
        is False
    )
    assert ack(bram_phone, "sync", {})["ok"]


def test_purge_deletes_only_workshops_that_ended_long_enough_ago(
    app, facilitator, make_workshop, rich_workshop, monkeypatch
):
    from facilitator import cli
    from facilitator.db import utcnow
    from facilitator.workshops import services
    from facilitator.workshops.models import Workshop, WorkshopEvent, WorkshopPhase

    old_ended = rich_workshop()
    recent_ended = make_workshop(title="Ended last week")
    old_live = make_workshop(title="Still going")
    with app.app_context():
        for ws in (old_ended, recent_ended):
            services.set_workshop_phase(db.session.get(Workshop, ws["id"]), WorkshopPhase.ENDED, by=None)
        for ws, days in ((old_ended, 400), (recent_ended, 7), (old_live, 400)):
            then = utcnow() - timedelta(days=days)
            db.session.execute(update(Workshop).where(Workshop.id == ws["id"]).values(created_at=then))
            db.session.execute(
                update(WorkshopEvent).where(WorkshopEvent.workshop_id == ws["id"]).values(created_at=then)
            )
        db.session.commit()
        assert len(reachable(old_ended["id"])) > 10

    monkeypatch.setattr(cli, "_app", lambda **_kw: app)
    runner = CliRunner()
    dry = runner.invoke(cli.cli, ["purge", "--older-than", "30", "--dry-run"])
    assert dry.exit_code == 0 and f"Would delete workshop {old_ended['id']}" in dry.output
    assert "Ended last week" not in dry.output and "Still going" not in dry.output
    assert runner.invoke(cli.cli, ["purge"]).exit_code == 2  # no retention setting and no --older-than

    app.config["RETENTION_DAYS"] = 30
    result = runner.invoke(cli.cli, ["purge"])
    assert result.exit_code == 0 and "1 ended workshop(s) older than 30 days deleted" in result.output
    with app.app_context():
        assert db.session.get(Workshop, old_ended["id"]) is None
        assert reachable(old_ended["id"]) == {}
        from facilitator.workshops.models import Activity, Participant

        for model in (Activity, Participant, WorkshopEvent):  # nothing left behind by the cascade
            assert not db.session.scalar(
                select(func.count()).select_from(model).where(model.workshop_id == old_ended["id"])
            )
        for table in db.metadata.sorted_tables:
            if "activity_id" in table.c:
                gone = table.c.activity_id.in_(old_ended["activities"])
                assert not db.session.scalar(select(func.count()).select_from(table).where(gone)), table.name
        assert db.session.get(Workshop, recent_ended["id"]) and db.session.get(Workshop, old_live["id"])
