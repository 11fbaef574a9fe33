"""Print-ready package insert cards: one A6 card per page with 3 mm bleed (reportlab).

The QR code is drawn as vector squares from the QR matrix, so it stays sharp at any press
resolution. Chinese text needs a CJK font: the one named by SIYU_CARD_FONT, else a known
system font, embedded (subset) so the print shop needs nothing; without one, reportlab's
built-in STSong-Light is used, which PDF readers supply but which is not embedded.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.colors import HexColor, white
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from siyu.channels.qr import matrix

log = logging.getLogger(__name__)

CARD_W, CARD_H = 105 * mm, 148 * mm  # A6
BLEED = 3 * mm
SAFE = 6 * mm  # keep text this far inside the trim line
QR_SIDE = 42 * mm
ACCENT = HexColor("#2f5d50")
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)


@dataclass(frozen=True, slots=True)
class Card:
    """One card: what its QR carries and the small print that identifies it."""

    url: str
    serial: str
    order_ref: str = ""


@dataclass(frozen=True, slots=True)
class CardDesign:
    """The words on every card of a batch."""

    brand: str
    headline: str
    body: str
    caption: str = "微信扫码 · 添加专属顾问"


def register_font(path: Path | None) -> tuple[str, bool]:
    """Register a CJK font; return its name and whether it is embedded."""
    for candidate in ([path] if path else []) + [Path(p) for p in FONT_CANDIDATES]:
        if candidate is not None and candidate.exists():
            name = f"siyu-{candidate.stem}"
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, str(candidate), subfontIndex=0))
            return name, True
    log.warning("no CJK TrueType font found: cards use STSong-Light (not embedded)")
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light", False


def _draw_qr(canvas: Canvas, data: str, x: float, y: float, side: float) -> None:
    modules = matrix(data)
    size = side / len(modules)
    canvas.setFillColor(white)
    canvas.rect(x - 4 * size, y - 4 * size, side + 8 * size, side + 8 * size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for r, row in enumerate(modules):
        for c, dark in enumerate(row):
            if dark:  # rows run top-down; PDF y runs bottom-up
                path.rect(x + c * size, y + side - (r + 1) * size, size, size)
    canvas.drawPath(path, stroke=0, fill=1)


NO_LINE_START = "，。、；：？！）》」』”’,.;:?!)"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for char in paragraph:
            too_wide = pdfmetrics.stringWidth(line + char, font, size) > width
            if too_wide and line and char not in NO_LINE_START:
                lines.append(line)
                line = ""
            line += char
        lines.append(line)
    return lines


def _card(canvas: Canvas, card: Card, design: CardDesign, font: str) -> None:
    left, bottom = BLEED, BLEED
    centre = left + CARD_W / 2
    canvas.setFillColor(ACCENT)  # the band runs into the bleed so trimming leaves no edge
    canvas.rect(0, bottom + CARD_H - 30 * mm, CARD_W + 2 * BLEED, 30 * mm + BLEED, stroke=0, fill=1)
    canvas.setFillColor(white)
    canvas.setFont(font, 11)
    canvas.drawCentredString(centre, bottom + CARD_H - 12 * mm, design.brand)
    canvas.setFont(font, 17)
    canvas.drawCentredString(centre, bottom + CARD_H - 23 * mm, design.headline)
    canvas.setFillColorRGB(0.15, 0.15, 0.15)
    canvas.setFont(font, 9.5)
    y = bottom + CARD_H - 40 * mm
    for line in _wrap(design.body, font, 9.5, CARD_W - 2 * SAFE)[:5]:
        canvas.drawCentredString(centre, y, line)
        y -= 5 * mm
    qr_y = bottom + 34 * mm
    _draw_qr(canvas, card.url, centre - QR_SIDE / 2, qr_y, QR_SIDE)
    canvas.setFont(font, 10)
    canvas.drawCentredString(centre, qr_y - 8 * mm, design.caption)
    canvas.setFont(font, 7)
    canvas.setFillColorRGB(0.45, 0.45, 0.45)
    small = f"No. {card.serial}" + (f" · 订单尾号 {card.order_ref}" if card.order_ref else "")
    canvas.drawCentredString(centre, bottom + SAFE, small)


def cards_pdf(cards: Sequence[Card], design: CardDesign, *, font_path: Path | None = None) -> bytes:
    """A PDF with one card per page (A6 trim, 3 mm bleed, trim and bleed boxes set)."""
    font, _embedded = register_font(font_path)
    buffer = io.BytesIO()
    page = (CARD_W + 2 * BLEED, CARD_H + 2 * BLEED)
    canvas = Canvas(buffer, pagesize=page, pageCompression=1)
    canvas.setTitle(f"{design.brand} · {design.headline}")
    canvas.setCreator("siyu")
    for card in cards:
        canvas.setTrimBox((BLEED, BLEED, BLEED + CARD_W, BLEED + CARD_H))
        canvas.setBleedBox((0, 0, *page))
        _card(canvas, card, design, font)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
