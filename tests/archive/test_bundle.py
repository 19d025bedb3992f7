"""The ZIP of everything, and its anonymised twin."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import networkx as nx

from facilitator.archive import document
from tests.archive.conftest import PEOPLE


def test_the_zip_holds_the_workshop_csv_per_activity_the_map_the_report_and_a_readme(
    facilitator, rich_workshop, monkeypatch
):
    made_for = []
    monkeypatch.setattr(
        "facilitator.archive.bundle.report_pdf",
        lambda w: (made_for.append(w.id) or b"%PDF-1.7 the report", ""),
    )
    ws = rich_workshop()
    response = facilitator.get(f"/workshops/{ws['id']}/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert 'filename="north-vale-system-summit.zip"' in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = set(archive.namelist())
    assert {"workshop.json", "README.txt", "report.pdf"} <= names and made_for == [ws["id"]]
    assert {
        "activities/01-check-in/answers.csv",  # from the kind's export() data
        "activities/02-stakeholder-map/stakeholders.csv",  # the kind's own CSV functions
        "activities/02-stakeholder-map/relationships.csv",
        "activities/02-stakeholder-map/map.graphml",
        "activities/03-open-space/sessions.csv",
        "activities/03-open-space/topics.csv",
        "activities/04-work-avoidance-checklist/work-avoidance.csv",
        "activities/05-commitment-tree/commitment-tree.csv",
    } <= names

    doc = document.parse(archive.read("workshop.json"))  # the checksum holds
    assert [p["display_name"] for p in doc["tables"]["participant"]] == [p[0] for p in PEOPLE]
    graph = nx.read_graphml(io.BytesIO(archive.read("activities/02-stakeholder-map/map.graphml")))
    assert {"Dr Gupta", "Food bank", "Zelda Quist"} <= {d["label"] for _n, d in graph.nodes(data=True)}
    tree_csv = archive.read("activities/05-commitment-tree/commitment-tree.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(tree_csv)))
    assert any("Walk the wards with Bram monthly" in row for row in rows)
    readme = archive.read("README.txt").decode()
    assert "workshop.json" in readme and "report.pdf" in readme and "sha256" in readme


def test_an_anonymised_export_has_no_names_and_no_authors(facilitator, rich_workshop, monkeypatch):
    monkeypatch.setattr("facilitator.archive.bundle.report_pdf", lambda w: (b"%PDF names inside", ""))
    ws = rich_workshop()
    response = facilitator.get(f"/workshops/{ws['id']}/export.zip?anonymise=1")
    assert response.status_code == 200
    assert 'filename="north-vale-system-summit-anonymised.zip"' in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert "report.pdf" not in archive.namelist()  # the report names organisations
    everything = "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    for name, organisation, _sector in PEOPLE:
        for word in (*name.split(), name, organisation):
            assert word.casefold() not in everything.casefold(), word
    doc = json.loads(archive.read("workshop.json"))
    assert doc["anonymised"] is True and "workshop_event" not in doc["tables"]
    people = doc["tables"]["participant"]
    assert [p["display_name"] for p in people] == ["Participant 1", "Participant 2", "Participant 3"]
    assert [p["organisation"] for p in people] == ["Organisation A", "Organisation B", "Organisation C"]
    assert [p["sector"] for p in people] == [p[2] for p in PEOPLE]  # the mix survives
    for table, rows in doc["tables"].items():
        for row in rows:
            for column in ("participant_id", "convener_id", "added_by_id", "self_of_id", "updated_by_id"):
                assert row.get(column) is None, (table, column)
    # texts survive, without their authors; the same person has the same pseudonym everywhere
    texts = {c["text"] for c in doc["tables"]["commitment_tree_commitment"]}
    assert "Walk the wards with Participant 2 monthly" in texts
    assert "Invite Participant 1 to our governors" in texts
    again = json.loads(
        zipfile.ZipFile(
            io.BytesIO(facilitator.get(f"/workshops/{ws['id']}/export.zip?anonymise=1").get_data())
        ).read("workshop.json")
    )
    assert again["tables"]["participant"] == people
    graphml = next(n for n in archive.namelist() if n.endswith("map.graphml"))
    labels = {d["label"] for _n, d in nx.read_graphml(io.BytesIO(archive.read(graphml))).nodes(data=True)}
    assert {"Participant 1", "Participant 2", "Dr Gupta"} <= labels
