"""QR codes (PNG, SVG) and the print-ready insert-card PDF."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pypdf
from PIL import Image

from siyu.channels.cards import BLEED, CARD_H, CARD_W, Card, CardDesign, cards_pdf
from siyu.channels.qr import landing_url, matrix, png, svg

URL = landing_url("https://siyu.example.cn/", "pkg_card_q3", order_token="a1b2c3d4e5f6")


def test_landing_url() -> None:
    assert URL == "https://siyu.example.cn/j/pkg_card_q3?o=a1b2c3d4e5f6"
    assert landing_url("https://x.cn", "c") == "https://x.cn/j/c"


def test_png_is_a_square_black_and_white_image() -> None:
    image = Image.open(io.BytesIO(png(URL, box_size=8)))
    assert image.format == "PNG"
    modules = len(matrix(URL))
    assert image.size == ((modules + 8) * 8, (modules + 8) * 8)  # 4-module quiet zone a side
    assert image.convert("L").getpixel((0, 0)) == 255  # the quiet zone is white
    assert image.convert("L").getpixel((4 * 8, 4 * 8)) == 0  # finder pattern corner is dark


def test_svg_is_one_path_with_the_same_modules() -> None:
    root = ET.fromstring(svg(URL))
    assert root.tag.endswith("svg")
    size = len(matrix(URL)) + 8
    assert root.get("viewBox") == f"0 0 {size} {size}"
    assert len([e for e in root.iter() if e.tag.endswith("path")]) == 1


def test_matrix_has_finder_patterns() -> None:
    m = matrix(URL)
    assert len(m) == len(m[0]) and len(m) >= 21 and (len(m) - 17) % 4 == 0
    assert all(m[0][:7]) and all(m[0][-7:]) and all(m[-1][:7])


def test_cards_pdf_one_a6_card_per_page_with_bleed() -> None:
    cards = [Card(landing_url("https://x.cn", "pkg", order_token=f"t{i}"), f"{i:05d}", f"{i:06d}")
             for i in range(1, 4)]  # fmt: skip
    design = CardDesign(
        "拾光茶事", "扫码领冲泡指南", "添加专属茶顾问，领取《冲泡指南》和新客 3 元券。"
    )
    reader = pypdf.PdfReader(io.BytesIO(cards_pdf(cards, design)))
    assert len(reader.pages) == 3
    page = reader.pages[1]
    assert abs(float(page.mediabox.width) - (CARD_W + 2 * BLEED)) < 0.01
    assert abs(float(page.trimbox.height) - CARD_H) < 0.01
    text = page.extract_text()
    assert "拾光茶事" in text and "扫码领冲泡指南" in text
    assert "No. 00002" in text and "000002" in text
