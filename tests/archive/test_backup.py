"""Backup and restore: a workshop exported from one installation imports into another with nothing lost."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from facilitator import create_app
from facilitator.archive import document
from facilitator.extensions import db
from tests.archive.conftest import PEOPLE, fingerprint
from tests.conftest import login, make_account


@pytest.fixture
def elsewhere(tmp_path) -> Any:
    """A second installation, with its own database and its own facilitator."""
    other = create_app(
        {
            "ENV_NAME": "testing",
            "TESTING": True,
            "SECRET_KEY": "another-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'elsewhere.db'}",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with other.app_context():
        db.create_all()
    make_account(other, "new@example.org", "Nia Newhome")
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def table_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables
        }


def resealed(doc: dict[str, Any]) -> bytes:
    doc["sha256"] = document.checksum(doc)
    return json.dumps(doc).encode()


def test_round_trip_to_another_installation_loses_nothing(app, facilitator, rich_workshop, elsewhere):
    ws = rich_workshop()
    response = facilitator.get(f"/workshops/{ws['id']}/export.json")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    raw = response.get_data()
    doc = json.loads(raw)
    assert doc["format"] == "facilitator-workshop" and doc["version"] == document.VERSION
    assert "facilitator" not in doc["tables"] and "workshop_facilitator" not in doc["tables"]
    assert {
        "stakeholder_map_relationship",
        "open_space_report",
        "work_avoidance_rating",
        "commitment_tree_commitment",
        "moderation_entry",
        "workshop_event",
    } <= set(doc["tables"])
    stamp = doc["tables"]["participant"][0]["created_at"]
    assert stamp.endswith("+00:00")  # datetimes keep their time zone

    with app.app_context():
        before = fingerprint(ws["id"])

    browser = elsewhere.test_client()
    login(browser, "new@example.org")
    page = browser.post(
        "/workshops/import",
        data={"file": (io.BytesIO(raw), "summit.json")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 302, page.get_data(as_text=True)
    new_id = int(page.headers["Location"].rstrip("/").split("/")[-1])
    with elsewhere.app_context():
        after = fingerprint(new_id)
        from facilitator.workshops.models import Workshop

        workshop = db.session.get(Workshop, new_id)
        assert [(m.facilitator.email, m.is_owner) for m in workshop.memberships] == [
            ("new@example.org", True)
        ]
        assert workshop.code == ws["code"]  # free on this installation, so kept
    assert set(after) == set(before)
    for table in before:
        assert after[table] == before[table], table
    # and the new owner can open it
    assert browser.get(f"/workshops/{new_id}").status_code == 200


def test_import_into_the_same_installation_gets_a_new_code_and_new_tokens(app, facilitator, rich_workshop):
    ws = rich_workshop()
    raw = facilitator.get(f"/workshops/{ws['id']}/export.json").get_data()
    with app.app_context():
        from facilitator.auth.models import Facilitator
        from facilitator.workshops.models import Participant, Workshop

        owner = db.session.scalar(select(Facilitator))
        new_id = document.import_document(document.parse(raw), owner=owner)
        assert db.session.get(Workshop, new_id).code != ws["code"]
        tokens = db.session.scalars(select(Participant.token)).all()
        assert len(tokens) == len(set(tokens)) == 2 * len(PEOPLE)
        assert fingerprint(new_id)["check_in_answer"] == fingerprint(ws["id"])["check_in_answer"]


DAMAGES = (
    ("edit", "changed or damaged"),
    ("version", "format version 2"),
    ("dangling", "refers to something that is not in it"),
    ("type", "wrong type"),
    ("anonymised", "cannot be restored"),
    ("not json", "not a Facilitator workshop file"),
)


def damaged(original: bytes, damage: str) -> bytes:
    doc = json.loads(original)
    if damage == "edit":  # changed by hand, checksum left as it was
        doc["tables"]["participant"][0]["display_name"] = "Mallory"
        return json.dumps(doc).encode()
    if damage == "version":
        doc["version"] = 2
    elif damage == "dangling":  # checksum recomputed: the rows must still hold together
        doc["tables"]["commitment_tree_commitment"][-1]["participant_id"] = 987654
    elif damage == "type":
        doc["tables"]["work_avoidance_rating"][-1]["rating"] = "lots"
    elif damage == "anonymised":
        doc["anonymised"] = True
    else:
        return b"\x00\x01 this is not json"
    return resealed(doc)


def test_a_bad_file_is_refused_and_nothing_is_imported(app, facilitator, rich_workshop):
    ws = rich_workshop()
    original = facilitator.get(f"/workshops/{ws['id']}/export.json").get_data()
    before = table_counts(app)
    for damage, message in DAMAGES:
        page = facilitator.post(
            "/workshops/import",
            data={"file": (io.BytesIO(damaged(original, damage)), "w.json")},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        assert page.status_code == 200
        assert message in page.get_data(as_text=True).replace("&#39;", "'"), damage
        assert table_counts(app) == before, damage  # all or nothing: not one row was left behind


def test_cli_export_and_import(app, facilitator, rich_workshop, tmp_path, monkeypatch):
    from facilitator import cli

    ws = rich_workshop()
    monkeypatch.setattr(cli, "_app", lambda **_kw: app)
    runner = CliRunner()
    out = tmp_path / "summit.json"
    result = runner.invoke(cli.cli, ["export", str(ws["id"]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli.cli, ["import", str(out), "--owner", "FAC@example.org"])
    assert result.exit_code == 0, result.output
    assert "Imported 'North Vale system summit' as workshop" in result.output

    out.write_text(out.read_text().replace("Zelda Quist", "Zelda Q"))
    result = runner.invoke(cli.cli, ["import", str(out), "--owner", "fac@example.org"])
    assert result.exit_code == 1 and "changed or damaged" in result.output
    result = runner.invoke(cli.cli, ["import", str(out), "--owner", "nobody@example.org"])
    assert result.exit_code == 1 and "No facilitator account" in result.output

    zipped = tmp_path / "summit.zip"
    monkeypatch.setattr("facilitator.archive.bundle.report_pdf", lambda w: (b"%PDF-1.7 stub", ""))
    result = runner.invoke(cli.cli, ["export", str(ws["id"]), "-o", str(zipped)])
    assert result.exit_code == 0, result.output
    assert "workshop.json" in zipfile.ZipFile(zipped).namelist()
    result = runner.invoke(
        cli.cli, ["import", str(zipped), "--owner", "fac@example.org"]
    )  # the ZIP works too
    assert result.exit_code == 0, result.output


def test_only_the_workshops_facilitators_can_export_or_erase(app, facilitator, make_workshop, phone):
    ws = make_workshop()
    phone(ws["code"], "Pat Doe")
    with app.app_context():
        from facilitator.workshops.models import Participant

        pat = db.session.scalar(select(Participant.id))
    edit = facilitator.get(f"/workshops/{ws['id']}/edit").get_data(as_text=True)
    assert f"/workshops/{ws['id']}/export.zip" in edit and f"/workshops/{ws['id']}/archive" in edit
    assert "/workshops/import" in facilitator.get(f"/workshops/{ws['id']}/archive").get_data(as_text=True)
    other = make_workshop(title="Another")
    assert facilitator.get(f"/workshops/{other['id']}/participants/{pat}/erase").status_code == 404

    make_account(app, "other@example.org", "Otto Other")
    stranger = app.test_client()
    login(stranger, "other@example.org")
    urls = (
        f"/workshops/{ws['id']}/export.json",
        f"/workshops/{ws['id']}/export.zip",
        f"/workshops/{ws['id']}/archive",
        f"/workshops/{ws['id']}/participants/{pat}/erase",
    )
    for url in urls:
        assert stranger.get(url).status_code == 404, url
    assert stranger.post(urls[-1], data={"confirm": "erase"}).status_code == 404
    anonymous = app.test_client()
    for url in (*urls, "/workshops/import"):
        assert anonymous.get(url).status_code == 302, url  # to the sign-in page
    with app.app_context():
        assert db.session.get(Participant, pat) is not None
