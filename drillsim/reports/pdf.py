"""The document model shared by the HTML briefings and their PDF twins, and the PDF writer.

A briefing or after-action report is built once as a :class:`Doc`: a list of blocks (headings,
paragraphs, tables, figures, boxes, fill-in fields). The Jinja2 templates render those blocks to
HTML and :func:`render_pdf` renders the same blocks with fpdf2, so the two files carry the same
content. The PDF is self-contained (fonts embedded from matplotlib's bundled DejaVu Sans, figures
embedded as PNG), works offline, carries the sensitivity marking in the header and footer of every
page, and is byte-for-byte reproducible for the same inputs (fixed creation date, content-derived id).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

from drillsim import __version__
from drillsim.reports.figures import SENSITIVE

#: Fixed creation date: the same inputs must give the same PDF bytes.
PDF_DATE = datetime(2000, 1, 1, tzinfo=UTC)
BANNER = f"{SENSITIVE} — handle and share per district policy"
_FONT = "DejaVu"
_RED = (127, 0, 0)
_FILL = {
    "flag": (253, 224, 221),
    "good": (220, 240, 222),
    "head": (230, 230, 230),
    "warn": (255, 243, 205),
    "info": (232, 240, 250),
    "drill": (255, 243, 205),
}


# -- document blocks ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Heading:
    """A section (level 2) or subsection (level 3) heading."""

    text: str
    level: int = 2
    anchor: str = ""


@dataclass(frozen=True)
class Para:
    """A paragraph of plain text; ``style`` is "", "note" (smaller, grey) or "lead" (larger).

    ``href`` makes the HTML paragraph a link (a file beside the page, e.g. the run player); the
    PDF shows the text only.
    """

    text: str
    style: str = ""
    href: str = ""


@dataclass(frozen=True)
class Bullets:
    """A bulleted list, or a checklist of empty boxes to tick on paper (``checkbox=True``)."""

    items: tuple[str, ...]
    checkbox: bool = False


@dataclass(frozen=True)
class Table:
    """A table of text cells.

    ``widths`` are relative column widths; ``align`` is one of "l", "r", "c" per column;
    ``row_styles`` is "" / "flag" / "good" / "warn" per row; ``key`` names the table (an HTML
    ``data-table`` attribute) and ``row_keys`` name the rows (``data-key``), for tests and scripts;
    ``blank_rows`` makes tall rows for handwriting (observer sheets).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] = ()
    align: tuple[str, ...] = ()
    row_styles: tuple[str, ...] = ()
    caption: str = ""
    key: str = ""
    row_keys: tuple[str, ...] = ()
    blank_rows: bool = False
    font_size: float = 8.5


@dataclass(frozen=True)
class Figure:
    """A PNG figure (bytes) with a caption and alternative text."""

    png: bytes
    caption: str
    alt: str
    width: float = 1.0  # share of the text width
    landscape: bool = False  # PDF: on its own landscape page (wide floorplans)


@dataclass(frozen=True)
class Fields:
    """Fill-in fields: a label and a blank line to write on."""

    labels: tuple[str, ...]


@dataclass(frozen=True)
class Box:
    """A framed box around other blocks; ``style`` is "info", "warn" or "drill"."""

    title: str
    blocks: tuple = ()
    style: str = "info"


@dataclass(frozen=True)
class PageBreak:
    """Start a new page (in print and in the PDF)."""


@dataclass
class Doc:
    """A whole document: title, subtitle, provenance line and blocks."""

    title: str
    subtitle: str
    kind: str  # "Drill briefing" / "After-action report"
    provenance: str
    blocks: list = field(default_factory=list)

    def add(self, *blocks: object) -> Doc:
        self.blocks.extend(blocks)
        return self


def block_kind(block: object) -> str:
    """Template dispatch name of a block ("heading", "para", ...)."""
    return type(block).__name__.lower()


# -- PDF rendering --------------------------------------------------------------------------------
def _font_path(name: str) -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name


class SensitivePDF(FPDF):
    """A4 portrait document with the sensitivity banner in the header and footer of every page."""

    def __init__(self, doc: Doc):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc = doc
        self.need_portrait = False
        self.landscape_ready = False
        self.add_font(_FONT, "", str(_font_path("DejaVuSans.ttf")))
        self.add_font(_FONT, "B", str(_font_path("DejaVuSans-Bold.ttf")))
        self.add_font(_FONT, "I", str(_font_path("DejaVuSans-Oblique.ttf")))
        self.set_margins(14, 20, 14)
        self.set_auto_page_break(True, margin=18)
        self.set_creation_date(PDF_DATE)
        self.set_producer(f"drillsim {__version__} (fpdf2)")
        self.set_creator(f"drillsim {__version__}")
        self.set_title(f"{doc.kind}: {doc.title}")
        self.set_subject(SENSITIVE)
        self.alias_nb_pages()

    def header(self) -> None:
        self.set_y(6)
        self.set_font(_FONT, "B", 8.5)
        self.set_text_color(255, 255, 255)
        self.set_fill_color(*_RED)
        self.cell(0, 6, BANNER, align="C", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(_FONT, "", 7)
        self.set_text_color(90, 90, 90)
        self.cell(
            0,
            4,
            f"{self.doc.kind} — {self.doc.title}",
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.set_text_color(0, 0, 0)
        self.set_y(max(self.get_y() + 2, 20))

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(_FONT, "B", 7.5)
        self.set_text_color(*_RED)
        self.cell(0, 4, SENSITIVE, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(_FONT, "", 7)
        self.set_text_color(90, 90, 90)
        self.cell(0, 4, f"{self.doc.provenance} — page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def render_pdf(doc: Doc) -> bytes:
    """Render ``doc`` to PDF bytes (deterministic for the same document)."""
    pdf = SensitivePDF(doc)
    pdf.add_page()
    pdf.set_font(_FONT, "B", 9)
    pdf.set_text_color(*_RED)
    pdf.cell(0, 5, doc.kind.upper(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(_FONT, "B", 17)
    pdf.multi_cell(0, 8, doc.title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, "", 10.5)
    pdf.multi_cell(0, 5.5, doc.subtitle, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    blocks = list(doc.blocks)
    for i, block in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if isinstance(block, Heading) and isinstance(nxt, Figure) and nxt.landscape:
            pdf.need_portrait = False
            pdf.add_page(orientation="L")  # keep the heading with its landscape figure
            pdf.landscape_ready = True
        _block(pdf, block)
    # fpdf2 derives the file id from the content and the (fixed) creation date
    return bytes(pdf.output())


def _block(pdf: SensitivePDF, b: object, inner: bool = False) -> None:
    if pdf.need_portrait:
        pdf.need_portrait = False
        pdf.add_page(orientation="P")
        if isinstance(b, PageBreak):
            return
    if isinstance(b, Heading):
        size = 13 if b.level <= 2 else 10.5
        need = 30 if b.level <= 2 else 20
        if pdf.get_y() > pdf.h - pdf.b_margin - need and not pdf.landscape_ready:
            pdf.add_page()
        pdf.ln(3 if b.level <= 2 else 1.5)
        pdf.set_font(_FONT, "B", size)
        pdf.set_text_color(20, 40, 90)
        pdf.multi_cell(0, size * 0.5, b.text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
        if b.level <= 2:
            y = pdf.get_y() + 0.5
            pdf.set_draw_color(20, 40, 90)
            pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
            pdf.set_draw_color(0, 0, 0)
            pdf.ln(2)
        else:
            pdf.ln(0.8)
    elif isinstance(b, Para):
        size = {"note": 8, "lead": 10.5}.get(b.style, 9.2)
        pdf.set_font(_FONT, "I" if b.style == "note" else "", size)
        if b.style == "note":
            pdf.set_text_color(80, 80, 80)
        pdf.multi_cell(0, size * 0.52, b.text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1.5)
    elif isinstance(b, Bullets):
        pdf.set_font(_FONT, "", 9.2)
        mark = "☐" if b.checkbox else "•"
        for item in b.items:
            x = pdf.get_x()
            pdf.cell(6, 4.8, mark)
            pdf.multi_cell(0, 4.8, item, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_x(x)
        pdf.ln(1.5)
    elif isinstance(b, Table):
        _table(pdf, b)
    elif isinstance(b, Figure):
        _figure(pdf, b)
    elif isinstance(b, Fields):
        pdf.set_font(_FONT, "", 9.2)
        for label in b.labels:
            pdf.cell(62, 7.5, label)
            y = pdf.get_y() + 6.5
            pdf.line(pdf.get_x(), y, pdf.w - pdf.r_margin, y)
            pdf.ln(7.5)
        pdf.ln(1.5)
    elif isinstance(b, Box):
        _box(pdf, b)
    elif isinstance(b, PageBreak):
        pdf.add_page(orientation="P")
    else:  # pragma: no cover - programming error
        raise TypeError(f"unknown block {type(b).__name__}")


def _box(pdf: SensitivePDF, b: Box) -> None:
    """A shaded box: title bar, then the inner blocks with a left rule."""
    if pdf.get_y() > pdf.h - pdf.b_margin - 30:
        pdf.add_page()
    pdf.set_fill_color(*_FILL.get(b.style, _FILL["info"]))
    pdf.set_font(_FONT, "B", 10)
    pdf.multi_cell(
        0,
        6,
        b.title,
        fill=True,
        align="L",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
        padding=(0.5, 2, 0.5, 2),
    )
    top = pdf.get_y()
    page = pdf.page_no()
    pdf.set_fill_color(255, 255, 255)
    pdf.set_left_margin(pdf.l_margin + 4)
    pdf.set_x(pdf.l_margin)
    pdf.ln(1)
    for inner in b.blocks:
        _block(pdf, inner, inner=True)
    pdf.set_left_margin(pdf.l_margin - 4)
    if pdf.page_no() == page:
        pdf.set_draw_color(*_RED if b.style == "drill" else (120, 140, 180))
        pdf.set_line_width(0.8)
        pdf.line(pdf.l_margin + 1, top, pdf.l_margin + 1, pdf.get_y() - 1)
        pdf.set_line_width(0.2)
        pdf.set_draw_color(0, 0, 0)
    pdf.ln(2)


def _table(pdf: SensitivePDF, t: Table) -> None:
    n = len(t.columns)
    widths = t.widths or (1.0,) * n
    align = t.align or ("l",) * n
    amap = {"l": "LEFT", "r": "RIGHT", "c": "CENTER"}
    if pdf.get_y() > pdf.h - pdf.b_margin - 25:
        pdf.add_page()
    if t.caption:
        pdf.set_font(_FONT, "B", 8.5)
        pdf.multi_cell(0, 4.5, t.caption, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(0.5)
    pdf.set_font(_FONT, "", t.font_size)
    pdf.set_fill_color(255, 255, 255)
    head = FontFace(emphasis="BOLD", fill_color=_FILL["head"])
    with pdf.table(
        col_widths=widths,
        text_align=tuple(amap[a] for a in align),
        headings_style=head,
        line_height=t.font_size * 0.5,
        borders_layout=TableBordersLayout.ALL,
        repeat_headings=1,
        min_row_height=9 if t.blank_rows else None,
        width=pdf.epw,
        align="LEFT",
        padding=0.9,
    ) as table:
        row = table.row()
        for c in t.columns:
            row.cell(c)
        for i, cells in enumerate(t.rows):
            style = t.row_styles[i] if i < len(t.row_styles) else ""
            face = FontFace(fill_color=_FILL[style]) if style in _FILL else None
            row = table.row()
            for c in cells:
                row.cell(str(c), style=face)
    pdf.ln(3)


def _figure(pdf: SensitivePDF, f: Figure) -> None:
    with Image.open(io.BytesIO(f.png)) as im:
        px_w, px_h = im.size
    if f.landscape:
        if not pdf.landscape_ready:
            pdf.add_page(orientation="L")
        pdf.landscape_ready = False
        _place_figure(pdf, f, px_w, px_h)
        pdf.need_portrait = True
        return
    _place_figure(pdf, f, px_w, px_h)


def _place_figure(pdf: SensitivePDF, f: Figure, px_w: int, px_h: int) -> None:
    w = pdf.epw * f.width
    h = w * px_h / px_w
    room = pdf.h - pdf.b_margin - pdf.get_y() - 10
    full = pdf.h - pdf.b_margin - pdf.t_margin - 14
    if h > room and room < 0.7 * min(h, full):
        pdf.add_page(orientation=pdf.cur_orientation)
        room = pdf.h - pdf.b_margin - pdf.get_y() - 10
    if h > room:
        h = room
        w = h * px_w / px_h
    x = pdf.l_margin + (pdf.epw - w) / 2
    pdf.image(io.BytesIO(f.png), x=x, w=w, h=h, alt_text=f.alt)
    pdf.set_font(_FONT, "I", 8)
    pdf.set_text_color(70, 70, 70)
    pdf.multi_cell(0, 4, f.caption, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
