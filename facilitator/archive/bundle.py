"""The ZIP of everything: workshop.json, CSV per activity, GraphML of maps, the report PDF, README.txt.

Each kind's files are found, not listed: a kind's ``exports`` module contributes every ``*_csv(activity)``
function and ``graphml(activity)``; otherwise its ``services.export_csv(activity)``; otherwise the lists
of records in its ``export(activity)`` data become one CSV each. An anonymised ZIP is made from the
anonymised document only (one CSV per table of each activity), plus maps with names replaced.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _

from facilitator.activities import get_kind, registry
from facilitator.archive.document import Anonymiser, collect, dumps, export_document
from facilitator.db import utcnow
from facilitator.exports import to_csv
from facilitator.workshops.models import Activity, Workshop

log = logging.getLogger(__name__)

FileMaker = Callable[[Activity], str | bytes]


def slug(text: str, fallback: str = "workshop") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:50] or fallback


def _module(kind_name: str, name: str) -> Any:
    try:
        return importlib.import_module(f"facilitator.activities.{kind_name}.{name}")
    except ModuleNotFoundError:
        return None


def kind_files(kind_name: str) -> list[tuple[str, FileMaker]]:
    """(file name, function of the activity) for the kind's own CSV and GraphML exports."""
    files: list[tuple[str, FileMaker]] = []
    exports = _module(kind_name, "exports")
    if exports is not None:
        for attr in sorted(dir(exports)):
            fn = getattr(exports, attr)
            if (
                attr.endswith("_csv")
                and not attr.startswith("_")
                and callable(fn)
                and getattr(fn, "__module__", "") == exports.__name__
            ):
                files.append((attr.removesuffix("_csv").replace("_", "-") + ".csv", fn))
        if callable(getattr(exports, "graphml", None)):
            files.append(("map.graphml", exports.graphml))
    if not any(name.endswith(".csv") for name, _fn in files):
        services = _module(kind_name, "services")
        if services is not None and callable(getattr(services, "export_csv", None)):
            files.append((f"{kind_name.replace('_', '-')}.csv", services.export_csv))
    return files


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def records_csv(records: list[dict[str, Any]]) -> str:
    """A list of flat-ish records as CSV; nested values as JSON text."""
    header: list[str] = []
    for record in records:
        header.extend(k for k in record if k not in header)
    return to_csv(header, ([_cell(r.get(k)) for k in header] for r in records))


def export_data_files(activity: Activity) -> list[tuple[str, str]]:
    """The lists of records in the kind's ``export()`` data, one CSV each (the generic fallback)."""
    kind = get_kind(activity.kind)
    if kind.export is None:
        return []
    data = kind.export(activity)
    return [
        (f"{slug(key, 'data')}.csv", records_csv(value))
        for key, value in data.items()
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
    ]


def report_pdf(workshop: Workshop) -> tuple[bytes | None, str]:
    """HOOK: the review package's report as PDF, with names as its facilitators see them.

    Returns (pdf, "") or (None, why not). Uses ``facilitator.review.views.render_report`` and
    ``facilitator.review.pdf.html_to_pdf`` when they are there.
    """
    try:
        from facilitator.review.context import ReviewContext
        from facilitator.review.pdf import html_to_pdf
        from facilitator.review.views import render_report
    except ImportError:
        return None, "the report is not part of this installation"
    try:
        ctx = ReviewContext(show_names=True, staff=True)
        # Rendered as if on the report's own URL, so the review pages' template helpers are there.
        with current_app.test_request_context():
            path = url_for("review.report_pdf", workshop_id=workshop.id)
        with current_app.test_request_context(path):
            return html_to_pdf(render_report(workshop, ctx, pdf=True)), ""
    except Exception:  # the ZIP is still worth having without the PDF
        log.exception("report PDF for the export failed")
        return None, "the report could not be made"


def _readme(workshop: Workshop, files: list[str], *, anonymised: bool, pdf_note: str) -> str:
    lines = [
        f"Facilitator export of the workshop \u201c{workshop.title}\u201d",
        f"Made {utcnow().strftime('%Y-%m-%d %H:%M')} UTC.",
        "",
    ]
    if anonymised:
        lines += [
            "ANONYMISED. Participants are called Participant 1, 2, ... and their organisations",
            "Organisation A, B, ...; the same person has the same pseudonym in every file of this",
            "export. Nothing links a text to the person who wrote it, and the replay log of live",
            "events is left out. An anonymised export cannot be imported back.",
            "",
        ]
    lines += [
        'workshop.json  the whole workshop in Facilitator\'s own format (see "format" and',
        '               "version"); "sha256" is the SHA-256 of the file without that key, as',
        "               canonical JSON. Import it with `facilitator import workshop.json --owner EMAIL`",
        "               or from the console's Import page."
        if not anonymised
        else "               canonical JSON.",
        "activities/    one folder per activity, in agenda order: its CSV files (open them in a",
        "               spreadsheet; a cell that could run as a formula starts with an apostrophe)",
        "               and, for a stakeholder map, map.graphml for Gephi, yEd or networkx.",
    ]
    if "report.pdf" in files:
        lines.append("report.pdf     the workshop report, as printed from the review page.")
    elif pdf_note:
        lines.append(f"report.pdf     not included: {pdf_note}.")
    lines += ["", "Files:", *(f"  {name}" for name in files), ""]
    return "\n".join(lines)


def build_zip(workshop: Workshop, *, anonymise: bool = False) -> bytes:
    doc = export_document(workshop.id, anonymise=anonymise)
    entries: list[tuple[str, str | bytes]] = [("workshop.json", dumps(doc))]
    anonymiser = Anonymiser(collect(workshop.id)) if anonymise else None
    for number, activity in enumerate(workshop.activities, start=1):
        if activity.kind not in registry():
            continue
        folder = f"activities/{number:02d}-{slug(activity.title, activity.kind)}/"
        if anonymiser is not None:
            for table_name, rows in doc["tables"].items():
                mine = [r for r in rows if r.get("activity_id") == activity.id]
                if mine and table_name != "moderation_entry":
                    entries.append((f"{folder}{table_name}.csv", records_csv(mine)))
            for name, make in kind_files(activity.kind):
                if name.endswith(".graphml"):
                    entries.append((folder + name, _anonymous_graphml(activity, anonymiser, make)))
            continue
        made = kind_files(activity.kind)
        for name, make in made:
            entries.append((folder + name, make(activity)))
        if not any(name.endswith(".csv") for name, _m in made):
            entries.extend((folder + name, body) for name, body in export_data_files(activity))
    pdf_note = "an anonymised export leaves out the report, which names organisations"
    if not anonymise:
        pdf, pdf_note = report_pdf(workshop)
        if pdf is not None:
            entries.append(("report.pdf", pdf))
    names = [name for name, _body in entries]
    entries.append(
        ("README.txt", _readme(workshop, names + ["README.txt"], anonymised=anonymise, pdf_note=pdf_note))
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, body in entries:
            if isinstance(body, str):
                body = ("\ufeff" + body if name.endswith(".csv") else body).encode("utf-8")
            archive.writestr(name, body)
    return buffer.getvalue()


def _anonymous_graphml(activity: Activity, anonymiser: Anonymiser, make: FileMaker) -> bytes:
    """The map with participants' names and organisations replaced (a stakeholder may stand for one)."""
    body = make(activity)
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    return str(anonymiser.scrub(text)).encode("utf-8")


def zip_name(workshop: Workshop, *, anonymise: bool = False) -> str:
    return f"{slug(workshop.title)}{'-anonymised' if anonymise else ''}.zip"


def json_name(workshop: Workshop) -> str:
    return f"{slug(workshop.title)}.json"


def unpack(raw: bytes) -> bytes:
    """The workshop.json inside an export ZIP, or the bytes themselves when they are not a ZIP."""
    from facilitator.archive.document import ArchiveError

    if not raw.startswith(b"PK"):
        return raw
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            info = archive.getinfo("workshop.json")
            if info.file_size > 200 * 1024 * 1024:
                raise ArchiveError(_("The file is too large to import."))
            return archive.read(info)
    except (KeyError, zipfile.BadZipFile):
        raise ArchiveError(_("This ZIP is not a Facilitator export (it has no workshop.json).")) from None
