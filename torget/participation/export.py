"""A hearing's statements for the case file: one CSV and one PDF bundle.

Both hold every statement (public, private and hidden by moderation) with its submitter, its
text, its attachments and its official answers; `selectors.hearing_results` gathers them.

The CSV is what Norwegian Excel opens without an import dialogue: UTF-8 with a byte order
mark, semicolons between cells, CRLF line ends. A cell that starts with = + - @ (or a tab or
carriage return) gets a leading apostrophe, so a resident's text is never run as a formula
(CSV injection).

The PDF is built with fpdf2 in the way the case receipts are (`torget.cases.receipt`: DejaVu
Sans when the system has it, else Helvetica and Latin-1). A cover page with the counts comes
first, then each statement with its header, text and answers, on pages of its own when it
carries PDFs. PNG and JPEG attachments are placed in the page; attached PDFs are appended page
by page right after their statement with pypdf, so the bundle is one document; other
attachments are listed by name, type and size. Each statement is a bookmark in the outline.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF, XPos, YPos
from PIL import Image
from pypdf import PdfReader, PdfWriter

from torget.cases.receipt import DEJAVU, DEJAVU_BOLD, local_time
from torget.participation.models import Hearing, StatementAttachment
from torget.participation.selectors.hearing_results import (
    ExportStatement,
    HearingCounts,
)

logger = logging.getLogger(__name__)

# OWASP's list of characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})
PDF_TYPE = "application/pdf"
# An embedded image is at most this tall (mm), so that a photo never takes a whole page alone.
IMAGE_MAX_HEIGHT = 110.0


# --- CSV ---------------------------------------------------------------------------------------


def csv_cell(value: str) -> str:
    """`value` safe for a spreadsheet: a leading apostrophe when it would start a formula."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _answer_line(answer: object) -> str:
    at = local_time(answer.at)  # type: ignore[attr-defined]
    who = answer.author or _("(deleted account)")  # type: ignore[attr-defined]
    if answer.by_politician:  # type: ignore[attr-defined]
        who = _("%(name)s (politician)") % {"name": who}
    return f"{at} {who}: {answer.body}"  # type: ignore[attr-defined]


def csv_header() -> list[str]:
    return [
        _("Number"),
        _("Submitted"),
        _("Name"),
        _("E-mail"),
        _("On behalf of"),
        _("Section"),
        _("Public"),
        _("Hidden by moderation"),
        _("Reason for hiding"),
        _("Text"),
        _("Attachments"),
        _("Official answers"),
    ]


def csv_row(statement: ExportStatement) -> list[str | int]:
    cells: list[str] = [
        local_time(statement.submitted_at),
        statement.name or _("(deleted account)"),
        statement.email,
        statement.on_behalf_of,
        statement.section,
        _yes_no(statement.is_public),
        _yes_no(statement.hidden),
        statement.hidden_reason if statement.hidden else "",
        statement.text,
        "\n".join(a.original_name for a in statement.attachments),
        "\n\n".join(_answer_line(a) for a in statement.answers),
    ]
    return [statement.number, *(csv_cell(cell) for cell in cells)]


def statements_csv(statements: Iterable[ExportStatement], *, language: str) -> bytes:
    """Every statement as a CSV for Norwegian Excel (UTF-8 with BOM, semicolons), one row each
    after a header row, in `language`."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    with translation.override(language):
        writer.writerow(csv_header())
        for statement in statements:
            writer.writerow(csv_row(statement))
    return buffer.getvalue().encode("utf-8")


# --- PDF ---------------------------------------------------------------------------------------


@dataclass
class _Appendix:
    """An attached PDF to insert after page number `after` of the bundle (counted from 1)."""

    after: int
    reader: PdfReader


class _Bundle(FPDF):
    """fpdf2 with the bundle's font (DejaVu when installed, as the case receipts) and a footer
    naming the hearing on every page."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        self._widths: dict[tuple[str, str, float], dict[str, float]] = {}
        self._words: dict[tuple[str, str, float], dict[str, float]] = {}
        self.unicode = DEJAVU.exists()
        self.family = "DejaVu" if self.unicode else "Helvetica"
        if self.unicode:
            self.add_font("DejaVu", "", str(DEJAVU))
            self.add_font("DejaVu", "B", str(DEJAVU_BOLD if DEJAVU_BOLD.exists() else DEJAVU))

    def convert(self, value: str) -> str:
        """Text the font can write: without control characters, and Latin-1 for Helvetica."""
        value = _clean(value)
        return value if self.unicode else _latin1(value)

    def char_width(self, char: str) -> float:
        """The width of one character in the current font (cached per font and size)."""
        table = self._widths.setdefault((self.font_family, self.font_style, self.font_size_pt), {})
        width = table.get(char)
        if width is None:
            width = table[char] = self.get_string_width(char)
        return width

    def word_width(self, word: str) -> float:
        """The width of a word in the current font (cached: words repeat)."""
        table = self._words.setdefault((self.font_family, self.font_style, self.font_size_pt), {})
        width = table.get(word)
        if width is None:
            width = table[word] = sum(self.char_width(ch) for ch in word)
        return width

    def wrap(self, text: str, width: float) -> list[str]:
        """`text` broken into lines no wider than `width`: at spaces, and inside a word only
        when the word alone is too wide. Linear in the text's length (fpdf2's multi_cell
        measures each line again for every character it adds, which took a minute for a
        hearing of 3,000 statements)."""
        lines: list[str] = []
        space = self.char_width(" ")
        for paragraph in text.split("\n"):
            line: list[str] = []
            used = 0.0
            for word in paragraph.split(" "):
                size = self.word_width(word)
                if line and used + space + size > width:
                    lines.append(" ".join(line))
                    line, used = [], 0.0
                while size > width:  # a word longer than the line: cut it where it overflows
                    cut, taken = 0, 0.0
                    while cut < len(word) and taken + self.char_width(word[cut]) <= width:
                        taken += self.char_width(word[cut])
                        cut += 1
                    cut = max(cut, 1)
                    lines.append(word[:cut])
                    word = word[cut:]
                    size = self.word_width(word)
                used = used + space + size if line else size
                line.append(word)
            lines.append(" ".join(line))
        return lines

    def bullet(self, value: str) -> str:
        return f"• {value}" if self.unicode else f"- {value}"

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.family, "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, self.convert(self.footer_text), align="C")
        self.set_text_color(0, 0, 0)


def _latin1(value: str) -> str:
    return value.encode("latin-1", "replace").decode("latin-1")


def _clean(value: str) -> str:
    """Text as fpdf2 lays it out: LF line ends, tabs as spaces, no other control characters."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return "".join(ch for ch in value if ch == "\n" or ch >= " ")


def _new_pdf(title: str, *, language: str, author: str, compress: bool) -> _Bundle:
    pdf = _Bundle(title)
    pdf.set_compression(compress)
    pdf.set_title(pdf.convert(title))
    pdf.set_lang(language)
    pdf.set_author(pdf.convert(author))
    pdf.set_subject(pdf.convert(_("Statements to the hearing")))
    pdf.set_creator("Torget")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    return pdf


def _para(
    pdf: _Bundle, text: str, *, size: float = 11, style: str = "", height: float = 5.5
) -> None:
    """Write `text` over the full width, wrapped at spaces, breaking pages as needed."""
    pdf.set_font(pdf.family, style, size)
    pdf.x = pdf.l_margin
    for line in pdf.wrap(pdf.convert(text), pdf.epw):
        if pdf.y + height > pdf.page_break_trigger:
            pdf.add_page()
        # text() puts the baseline at y: a little below the middle of the line.
        pdf.text(pdf.l_margin, pdf.y + height / 2 + size * 0.3 / pdf.k, line)
        pdf.y += height


def _cover(
    pdf: _Bundle, hearing: Hearing, counts: HearingCounts, exported: datetime.datetime
) -> None:
    process = hearing.process
    pdf.add_page()
    _para(pdf, f"{process.municipality.name} · {process.unit.name}")
    pdf.ln(4)
    _para(pdf, hearing.title, size=20, style="B", height=9)
    pdf.ln(1)
    _para(pdf, process.title, size=13, height=7)
    pdf.ln(6)
    facts = [
        (_("Hearing opened"), local_time(hearing.opens_at)),
        (_("Closing date"), local_time(hearing.closes_at)),
        (_("Exported"), local_time(exported)),
        (_("Statements"), str(counts.total)),
        (_("Public"), str(counts.public)),
        (_("Not public (only staff see them)"), str(counts.private)),
        (_("Answered"), str(counts.answered)),
        (_("Hidden by moderation"), str(counts.hidden)),
    ]
    for label, value in facts:
        pdf.set_font(pdf.family, "B", 11)
        pdf.cell(75, 7, pdf.convert(label))
        pdf.set_font(pdf.family, "", 11)
        pdf.cell(0, 7, pdf.convert(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    _para(
        pdf,
        _(
            "Every statement is included, also those that are not public and those hidden by "
            "moderation. Attached PDF documents follow the statement they belong to."
        ),
        size=10,
    )


def _image(pdf: _Bundle, data: bytes) -> bool:
    """Place a PNG or JPEG scaled to the text width (and at most IMAGE_MAX_HEIGHT high).
    False when the file cannot be read as an image (then it is listed instead)."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
        if not width or not height:
            return False
        w = pdf.epw
        h = w * height / width
        if h > IMAGE_MAX_HEIGHT:
            h = IMAGE_MAX_HEIGHT
            w = h * width / height
        pdf.image(io.BytesIO(data), w=w, h=h)
    except Exception:
        logger.warning("statement image not embedded", exc_info=True)
        return False
    pdf.ln(2)
    return True


def _read(attachment: StatementAttachment) -> bytes | None:
    try:
        with attachment.file.open("rb") as handle:
            return bytes(handle.read())
    except OSError:
        logger.warning("statement attachment missing", extra={"attachment": attachment.pk})
        return None


def _pdf_reader(data: bytes) -> PdfReader | None:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return None
        if len(reader.pages) == 0:
            return None
    except Exception:
        logger.warning("statement PDF not appended", exc_info=True)
        return None
    return reader


def _describe(attachment: StatementAttachment) -> str:
    return (
        f"{attachment.original_name} ({attachment.content_type}, {filesizeformat(attachment.size)})"
    )


def _statement(pdf: _Bundle, statement: ExportStatement, appendices: list[_Appendix]) -> bool:
    """Write one statement; return True when PDFs of it were appended (then the next statement
    starts on a new page, after them)."""
    heading = _("Statement %(number)s") % {"number": statement.number}
    if statement.section:
        heading = f"{heading} – {statement.section}"
    pdf.start_section(pdf.convert(heading))
    _para(pdf, heading, size=13, style="B", height=7)
    who = statement.name or _("(deleted account)")
    if statement.email:
        who = f"{who} <{statement.email}>"
    meta = [
        _("Submitted %(time)s by %(who)s")
        % {"time": local_time(statement.submitted_at), "who": who}
    ]
    if statement.on_behalf_of:
        meta.append(_("On behalf of: %(name)s") % {"name": statement.on_behalf_of})
    meta.append(_("Public") if statement.is_public else _("Not public (only staff see it)"))
    if statement.hidden:
        meta.append(_("Hidden by moderation: %(reason)s") % {"reason": statement.hidden_reason})
    _para(pdf, " · ".join(meta), size=9, height=4.5)
    pdf.ln(2)
    _para(pdf, statement.text or "–")
    appended = False
    if statement.attachments:
        pdf.ln(2)
        _para(pdf, _("Attachments"), size=10, style="B")
        for attachment in statement.attachments:
            kind = attachment.content_type
            data = _read(attachment) if kind in IMAGE_TYPES or kind == PDF_TYPE else None
            line = _describe(attachment)
            if data is not None and kind in IMAGE_TYPES:
                _para(pdf, pdf.bullet(line), size=10)
                if not _image(pdf, data):
                    _para(pdf, _("(the image could not be shown)"), size=9)
                continue
            reader = _pdf_reader(data) if data is not None and kind == PDF_TYPE else None
            if reader is not None:
                pages = len(reader.pages)
                line = _("%(file)s – follows this statement, %(pages)s pages") % {
                    "file": line,
                    "pages": pages,
                }
                appendices.append(_Appendix(after=-1, reader=reader))
                appended = True
            elif kind == PDF_TYPE:
                line = _("%(file)s – could not be appended (damaged or encrypted)") % {"file": line}
            _para(pdf, pdf.bullet(line), size=10)
    for answer in statement.answers:
        pdf.ln(2)
        by = answer.author or _("(deleted account)")
        label = (
            _("Answer by %(name)s, politician, %(time)s")
            if answer.by_politician
            else _("Official answer by %(name)s, %(time)s")
        ) % {"name": by, "time": local_time(answer.at)}
        _para(pdf, label, size=10, style="B")
        _para(pdf, answer.body)
    pdf.ln(3)
    pdf.set_draw_color(180, 180, 180)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
    pdf.ln(4)
    if appended:
        # The PDFs go in after the page this statement ends on.
        for appendix in appendices:
            if appendix.after == -1:
                appendix.after = pdf.page_no()
    return appended


def statements_pdf(
    hearing: Hearing,
    statements: list[ExportStatement],
    counts: HearingCounts,
    *,
    language: str,
    compress: bool = True,
    exported: datetime.datetime | None = None,
) -> bytes:
    """The PDF bundle of every statement of `hearing`, in `language`. `compress=False` keeps
    the page streams readable (tests)."""
    exported = exported or timezone.now()
    with translation.override(language):
        title = _("Statements to the hearing %(title)s") % {"title": hearing.title}
        pdf = _new_pdf(
            title,
            language=language,
            author=hearing.process.municipality.name,
            compress=compress,
        )
        _cover(pdf, hearing, counts, exported)
        appendices: list[_Appendix] = []
        pdf.add_page()
        if not statements:
            _para(pdf, _("No statements were given to this hearing."))
        for index, statement in enumerate(statements):
            if _statement(pdf, statement, appendices) and index + 1 < len(statements):
                pdf.add_page()
        built = bytes(pdf.output())
    if not appendices:
        return built
    return _append(built, appendices)


def _append(built: bytes, appendices: list[_Appendix]) -> bytes:
    """Insert each attached PDF's pages after the page its statement ends on. The outline and
    the metadata (title, language) of the bundle are kept."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(built)))
    # From the last to the first, so that earlier positions stay where they were.
    # Two PDFs of one statement go in at the same place: the second first, then the first
    # before it.
    ordered = sorted(enumerate(appendices), key=lambda pair: (pair[1].after, pair[0]))
    for _index, appendix in reversed(ordered):
        for offset, page in enumerate(appendix.reader.pages):
            writer.insert_page(page, index=appendix.after + offset)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
