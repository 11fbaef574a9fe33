"""Languages of the console and API: gettext catalogues (Babel) and locale-aware formatting."""

from __future__ import annotations

import gettext
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Final

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal, format_currency, format_decimal, format_percent
from babel.support import Translations

from siyu.kit.clock import CHINA_TZ

SUPPORTED: Final = ("zh-CN", "en")
BABEL_NAMES: Final = {"zh-CN": "zh_CN", "en": "en"}
LANGUAGE_NAMES: Final = {"zh-CN": "中文", "en": "English"}
LOCALE_DIR: Final = Path(__file__).parent.parent / "console" / "locale"
DOMAIN: Final = "messages"


def N_(message: str) -> str:  # noqa: N802  (the gettext convention for "mark, do not translate")
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def normalise(value: str | None) -> str | None:
    """Map 'zh', 'zh_CN', 'zh-Hans-CN', 'en-US' … to a supported locale, else None."""
    if not value:
        return None
    text = value.strip().lower().replace("_", "-")
    if text.startswith("zh"):
        return "zh-CN"
    if text.startswith("en"):
        return "en"
    return None


def negotiate(accept_language: str | None) -> str | None:
    """Pick the supported locale an Accept-Language header prefers most, or None."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        found = normalise(tag)
        if found is not None and quality > 0:
            ranked.append((-quality, position, found))
    return min(ranked)[2] if ranked else None


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The gettext catalogue of a locale, compiled from its .po file in memory (cached)."""
    po = LOCALE_DIR / BABEL_NAMES.get(locale, "en") / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=BABEL_NAMES[locale], domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


class Formatter:
    """Numbers, money (integer fen shown in yuan), percentages and dates in one locale."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.babel = Locale.parse(BABEL_NAMES.get(locale, "en"))

    def number(self, value: float | int | None, digits: int = 0) -> str:
        """A grouped number with a fixed count of decimals."""
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.babel)

    def compact(self, value: float | int | None) -> str:
        """A short number: 12,345 -> 1.2万 / 12K."""
        if value is None:
            return "—"
        return format_compact_decimal(value, fraction_digits=1, locale=self.babel)

    def money(self, fen: int | None, *, cents: bool = True) -> str:
        """Integer fen as yuan with the locale's currency sign."""
        if fen is None:
            return "—"
        amount = Decimal(fen) / 100
        pattern = None if cents else "¤#,##0"
        return format_currency(
            amount, "CNY", format=pattern, locale=self.babel, currency_digits=cents
        )

    def percent(self, value: float | None, digits: int = 1) -> str:
        """A share as a percentage."""
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return format_percent(value, format=pattern, locale=self.babel)

    def date(self, value: date | datetime | None) -> str:
        """A day (datetimes are shown in China time)."""
        if value is None:
            return "—"
        if isinstance(value, datetime):
            value = value.astimezone(CHINA_TZ).date()
        return format_date(value, format="medium", locale=self.babel)

    def datetime(self, value: datetime | None) -> str:
        """A moment in China time."""
        if value is None:
            return "—"
        return format_datetime(
            value.astimezone(CHINA_TZ).replace(tzinfo=None), format="medium", locale=self.babel
        )
