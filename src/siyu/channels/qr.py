"""QR codes of channel codes as PNG and SVG (the `qrcode` library; Pillow draws the PNG)."""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
import qrcode.image.svg

# M (15% recovery) survives a crumpled or smudged package card without a dense code
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M


def _qr(data: str, border: int = 4) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=border)
    code.add_data(data)
    code.make(fit=True)
    return code


def matrix(data: str) -> list[list[bool]]:
    """The QR modules of `data` without the quiet zone (True = dark), for drawing in PDFs."""
    return [list(row) for row in _qr(data, border=0).get_matrix()]


def png(data: str, *, box_size: int = 10) -> bytes:
    """A PNG of the QR code of `data` (box_size pixels per module, 4-module quiet zone)."""
    code = _qr(data)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()


def svg(data: str) -> bytes:
    """An SVG (one path) of the QR code of `data`; scales without loss for print."""
    buffer = io.BytesIO()
    _qr(data).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue()


def landing_url(public_base_url: str, code: str, *, order_token: str = "") -> str:
    """The URL a channel code's QR carries: <public url>/j/<code>[?o=<order token>]."""
    url = f"{public_base_url.rstrip('/')}/j/{code}"
    return f"{url}?o={order_token}" if order_token else url
