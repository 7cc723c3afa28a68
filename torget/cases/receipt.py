"""The receipt of a submission: who may see it, its rows, and the PDF (fpdf2).

The PDF uses DejaVu Sans when the system has it (every Norwegian letter, and the Sami ones);
without it, fpdf2's core Helvetica, which knows Latin-1 only, so other characters are replaced.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from torget.cases import formbuilder
from torget.cases.models import Case
from torget.cases.policies import can_view_case
from torget.organisation.workinghours import OSLO

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def can_view_receipt(user: Any, case: Case) -> bool:
    """Whoever may see the case: its applicant and the staff of its unit (or a unit above)."""
    return bool(user.is_authenticated and user.is_active and can_view_case(user, case))


def receipt_rows(case: Case) -> list[tuple[str, str]]:
    """(label, answer as text) for each field of the case's snapshot, in order."""
    return [
        (str(row.get("label", "")), formbuilder.display_value(row))
        for row in (case.data or {}).get("fields", [])
    ]


def form_title(case: Case) -> str:
    return str((case.data or {}).get("form", {}).get("title") or case.form.title)


def local_time(moment: datetime.datetime) -> str:
    return moment.astimezone(OSLO).strftime("%d.%m.%Y %H:%M")


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def receipt_pdf(case: Case, *, language: str = "nb", compress: bool = True) -> bytes:
    """The receipt as a PDF: municipality, unit, form, reference, submitted time (Oslo), every
    answer and the attachments' names. `compress=False` keeps the content readable (tests)."""
    with translation.override(language):
        return _build(case, language=language, compress=compress)


def _build(case: Case, *, language: str, compress: bool) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    unicode_font = DEJAVU.exists()
    if unicode_font:
        pdf.add_font("DejaVu", "", str(DEJAVU))
        pdf.add_font("DejaVu", "B", str(DEJAVU_BOLD if DEJAVU_BOLD.exists() else DEJAVU))
        family = "DejaVu"
    else:
        family = "Helvetica"

    def text(value: str) -> str:
        return value if unicode_font else _latin1(value)

    title = f"{_('Receipt')} {case.reference} – {form_title(case)}"
    pdf.set_title(text(title))
    pdf.set_lang(language)
    pdf.set_author(text(case.municipality.name))
    pdf.set_creator("Torget")
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font(family, "", 11)
    pdf.multi_cell(width, 6, text(f"{case.municipality.name} · {case.unit.name}"))
    pdf.ln(2)
    pdf.set_font(family, "B", 16)
    pdf.multi_cell(width, 8, text(form_title(case)))
    pdf.ln(2)
    pdf.set_font(family, "", 11)
    facts = [
        (_("Receipt"), _("We have received your submission.")),
        (_("Reference number"), case.reference or ""),
        (_("Submitted"), local_time(case.submitted_at)),
    ]
    if case.due_at:
        facts.append((_("Expected answer by"), local_time(case.due_at)))
    for label, value in facts:
        pdf.set_font(family, "B", 11)
        pdf.multi_cell(width, 6, text(label))
        pdf.set_font(family, "", 11)
        pdf.multi_cell(width, 6, text(value))
        pdf.ln(1)
    pdf.ln(3)
    pdf.set_font(family, "B", 13)
    pdf.multi_cell(width, 7, text(_("What you sent")))
    pdf.ln(1)
    for label, value in receipt_rows(case):
        pdf.set_font(family, "B", 11)
        pdf.multi_cell(width, 6, text(label))
        pdf.set_font(family, "", 11)
        pdf.multi_cell(width, 6, text(value or "–"))
        pdf.ln(1)
    names = [a.original_name for a in case.attachments.all()]
    if names:
        pdf.ln(2)
        pdf.set_font(family, "B", 13)
        pdf.multi_cell(width, 7, text(_("Attachments")))
        pdf.set_font(family, "", 11)
        for name in names:
            pdf.multi_cell(width, 6, text(f"• {name}" if unicode_font else f"- {name}"))
    return bytes(pdf.output())
