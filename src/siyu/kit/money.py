"""Money as integer fen (1 yuan = 100 fen); never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

FEN_PER_YUAN = 100
MAX_FEN = 10**12
"""The most one amount in a request may be (10 billion yuan): far below a 64-bit column."""


def yuan_to_fen(text: str) -> int:
    """Convert a clean decimal yuan string ('12.30', '-5') to integer fen, exactly.

    Raises ValueError when the text is not a number or has more than two decimals
    that are not zero (a fraction of a fen cannot be represented).
    """
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    fen = value * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise ValueError(f"more precise than a fen: {text!r}")
    return int(fen)


def typed_yuan(text: str) -> int | None:
    """An amount a person typed in yuan, as fen from 0 to MAX_FEN; None when it is not one."""
    try:
        fen = yuan_to_fen(text.strip())
    except ValueError:
        return None
    return fen if 0 <= fen <= MAX_FEN else None


def format_yuan(fen: int) -> str:
    """Format integer fen as a yuan string with two decimals ('¥1,234.50')."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}¥{whole:,}.{part:02d}"
