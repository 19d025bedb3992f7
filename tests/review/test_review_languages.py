"""Reports and PDFs in every language: Japanese text is drawn with a font that has it and extracts back."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext

from facilitator.extensions import db
from tests.review.seed import seed
from tests.review.test_review import NAMES, pdf_text

JAPANESE_ANSWER = "地域のみんなで危機対応を考えたい"
WELSH_ANSWER = "Dŵr, tŷ a gwaith: mae'n rhaid i ni gydweithio"


@pytest.fixture
def workshop(app, make_workshop):
    ws = make_workshop(title="北ヴェール地域サミット", activities=(), open_first=False, stage_first=False)
    from facilitator.activities.check_in.models import CheckInAnswer
    from facilitator.auth.models import Facilitator
    from facilitator.workshops.models import Workshop

    with app.app_context():
        w = db.session.get(Workshop, ws["id"])
        owner = db.session.scalars(db.select(Facilitator)).first()
        ws["activities"] = seed(w, NAMES, owner=owner)
        for n, text in enumerate((JAPANESE_ANSWER, WELSH_ANSWER), start=1):
            db.session.add(CheckInAnswer(activity_id=ws["activities"]["check_in"], participant_id=n, text=text))
        db.session.commit()
    return ws


def _word(app, lang: str, msgid: str) -> str:
    with app.test_request_context(), force_locale(lang):
        text = gettext(msgid)
    assert text != msgid, f"{msgid!r} is not translated into {lang}"
    return text


@pytest.mark.parametrize("lang", ["ja", "cy"])
def test_report_pdf_in_the_readers_language_extracts_correctly(app, facilitator, workshop, lang):
    facilitator.set_cookie("lang", lang)
    response = facilitator.get(f"/workshops/{workshop['id']}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    _pages, text = pdf_text(response.data)
    squeezed = text.replace("\n", "").replace(" ", "")
    # The report's own headings are in the language, and participants' words come back exactly.
    assert _word(app, lang, "Who took part").replace(" ", "") in squeezed
    assert "北ヴェール地域サミット" in squeezed
    assert JAPANESE_ANSWER in squeezed
    assert WELSH_ANSWER.replace(" ", "") in squeezed
    # No missing-glyph boxes: the Japanese came out of a font that has it.
    import io

    from pypdf import PdfReader

    fonts = set()
    for page in PdfReader(io.BytesIO(response.data)).pages:
        for font in (page.get("/Resources", {}).get("/Font", {}) or {}).values():
            fonts.add(str(font.get_object().get("/BaseFont")))
    assert any("IPAex" in f or "CJK" in f for f in fonts), fonts


def test_report_page_declares_its_language(app, facilitator, workshop):
    facilitator.set_cookie("lang", "ja")
    html = facilitator.get(f"/workshops/{workshop['id']}/report").get_data(as_text=True)
    assert '<html lang="ja" dir="ltr">' in html
    assert _word(app, "ja", "Who took part") in html
