"""Time export, import, the ZIP and an erasure on a 300-participant workshop.

Run: .venv/bin/python -m tests.archive.bench_archive [participants]
"""

from __future__ import annotations

import sys
import tempfile
import time

from sqlalchemy import select


def main(n: int = 300) -> None:
    from facilitator import create_app
    from facilitator.extensions import db

    folder = tempfile.mkdtemp()
    app = create_app(
        {
            "ENV_NAME": "testing",
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
        }
    )
    with app.app_context():
        db.create_all()
        from facilitator.activities.check_in.services import add_answer
        from facilitator.activities.commitment_tree.models import Commitment
        from facilitator.activities.stakeholder_map.models import Relationship, Stakeholder
        from facilitator.activities.work_avoidance.models import WorkAvoidanceRating
        from facilitator.archive import bundle, document, erasure
        from facilitator.auth.models import Facilitator
        from facilitator.demo import create_demo
        from facilitator.workshops import services
        from facilitator.workshops.models import Activity, Participant

        workshop, _pw = create_demo("bench@example.org", "bench-password-123")
        owner = db.session.scalar(select(Facilitator))
        smap = services.add_activity(workshop, "stakeholder_map", "Map", "", by=owner)
        acts = {
            a.kind: a for a in db.session.scalars(select(Activity).where(Activity.workshop_id == workshop.id))
        }
        people = [
            Participant(
                workshop_id=workshop.id,
                display_name=f"Person {i:03d} Example",
                organisation=f"Org {i % 40}",
                sector="Housing",
            )
            for i in range(n)
        ]
        db.session.add_all(people)
        db.session.commit()
        for p in people:
            add_answer(acts["check_in"], f"Arriving with thought number {p.id}", by=p)
        stakeholders = [
            Stakeholder(
                activity_id=smap.id,
                name=f"Stakeholder {i}",
                organisation=f"Org {i % 40}",
                added_by_id=people[i % n].id,
            )
            for i in range(n // 2)
        ]
        db.session.add_all(stakeholders)
        db.session.flush()
        db.session.add_all(
            Relationship(
                activity_id=smap.id,
                source_id=stakeholders[i % len(stakeholders)].id,
                target_id=stakeholders[(i * 7 + 1) % len(stakeholders)].id,
                added_by_id=people[i % n].id,
            )
            for i in range(n)
        )
        forms = [f["key"] for f in (acts["work_avoidance"].config or {}).get("forms", [])][:8]
        db.session.add_all(
            WorkAvoidanceRating(
                activity_id=acts["work_avoidance"].id, participant_id=p.id, form_key=k, rating=2
            )
            for p in people
            for k in forms
        )
        db.session.add_all(
            Commitment(
                activity_id=acts["commitment_tree"].id, participant_id=p.id, text=f"I will call {p.id}"
            )
            for p in people
        )
        db.session.commit()

        def timed(label: str, fn):  # noqa: ANN001, ANN202
            start = time.perf_counter()
            result = fn()
            print(f"{label}: {time.perf_counter() - start:.2f} s")
            return result

        doc = timed("export JSON", lambda: document.export_document(workshop.id))
        rows = sum(len(r) for r in doc["tables"].values())
        raw = document.dumps(doc)
        print(f"  {rows} rows, {len(raw) / 1e6:.1f} MB")
        timed("parse + import", lambda: document.import_document(document.parse(raw), owner=owner))
        bundle.report_pdf = lambda w: (None, "left out of the benchmark")  # the review's own figure
        body = timed("ZIP (without the PDF)", lambda: bundle.build_zip(workshop))
        print(f"  {len(body) / 1e6:.1f} MB")
        timed("anonymised ZIP", lambda: bundle.build_zip(workshop, anonymise=True))
        timed("erase one participant", lambda: erasure.erase_participant(workshop, people[0].id, by=owner))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
