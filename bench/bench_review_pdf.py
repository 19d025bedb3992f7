"""Time the workshop report PDF for a large workshop (issue 6: 300 participants in under 5 s).

    .venv/bin/python bench/bench_review_pdf.py [--participants 300] [--repeat 3]

Seeds a fresh SQLite database with one activity of every kind and contributions from every
participant (tests/review/seed.py), then times building the report page and WeasyPrint's PDF.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default="")
    args = parser.parse_args()

    from facilitator import create_app
    from facilitator.auth.services import create_facilitator
    from facilitator.extensions import db
    from facilitator.review.context import FACILITATOR
    from facilitator.review.pdf import html_to_pdf
    from facilitator.review.views import render_report
    from facilitator.workshops import services
    from tests.review.seed import seed

    tmp = tempfile.mkdtemp()
    app = create_app(
        {
            "ENV_NAME": "testing",
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
        }
    )
    with app.app_context():
        db.create_all()
        owner = create_facilitator("Bench", "bench@example.org", "bench-password-123")
        workshop = services.create_workshop({"title": "North Vale system summit (benchmark)"}, by=owner)
        seed(workshop, [f"Participant {i:03d} Name" for i in range(args.participants)], owner=owner)
        workshop_id = workshop.id
    html_times, pdf_times = [], []
    for _ in range(args.repeat):
        with app.test_request_context("/"), app.app_context():
            from facilitator.workshops.models import Workshop

            workshop = db.session.get(Workshop, workshop_id)
            t0 = time.perf_counter()
            html = render_report(workshop, FACILITATOR, pdf=True)
            t1 = time.perf_counter()
            pdf = html_to_pdf(html)
            t2 = time.perf_counter()
            db.session.remove()
        html_times.append(t1 - t0)
        pdf_times.append(t2 - t1)
    import io

    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    if args.out:
        Path(args.out).write_bytes(pdf)
    total = [a + b for a, b in zip(html_times, pdf_times, strict=True)]
    print(f"participants={args.participants} pages={pages} bytes={len(pdf)}")
    print(f"report html: best {min(html_times):.2f} s, median {statistics.median(html_times):.2f} s")
    print(f"weasyprint:  best {min(pdf_times):.2f} s, median {statistics.median(pdf_times):.2f} s")
    print(f"total:       best {min(total):.2f} s, median {statistics.median(total):.2f} s (goal < 5 s)")


if __name__ == "__main__":
    main()
