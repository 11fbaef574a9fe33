"""Charts of the one-page summary, drawn with ReportLab's graphics.

One drawing serves both outputs: placed in the PDF as vector graphics and embedded in the
HTML as inline SVG. Text uses the Adobe CID font STSong-Light, which PDF readers supply
for Chinese without a font file; in the SVG the browser's CSS picks a CJK font.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

from siyu.analytics.channels import ChannelFigures
from siyu.analytics.operating import OperatingFigures
from siyu.analytics.repurchase import RepurchaseFigures
from siyu.reports.schemas import Locale

FONT: Final = "STSong-Light"
PUBLIC: Final = colors.HexColor("#4C78A8")
PRIVATE: Final = colors.HexColor("#F58518")
ACCENT: Final = colors.HexColor("#54A24B")
GREY: Final = colors.HexColor("#9D9D9D")
MAX_LABELS: Final = 12


def register_font() -> str:
    """Register the CID font once; return its name."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _pick(locale: Locale, en: str, zh: str) -> str:
    return zh if locale == "zh-CN" else en


def short_number(value: float, locale: Locale) -> str:
    """Axis numbers: 12万 / 1.2亿 in Chinese, 120k / 1.2M in English."""
    size = abs(value)
    if locale == "zh-CN":
        for unit, word in ((1e8, "亿"), (1e4, "万")):
            if size >= unit:
                return f"{value / unit:.3g}{word}"
    else:
        for unit, word in ((1e6, "M"), (1e3, "k")):
            if size >= unit:
                return f"{value / unit:.3g}{word}"
    return f"{value:.3g}"


def _frame(width: float, height: float, title: str) -> Drawing:
    drawing = Drawing(width, height)
    drawing.add(String(4, height - 14, title, fontName=register_font(), fontSize=10))
    return drawing


def _thin(labels: Sequence[str]) -> list[str]:
    step = max(1, -(-len(labels) // MAX_LABELS))
    return [label if i % step == 0 else "" for i, label in enumerate(labels)]


def _style_axes(chart: Any, locale: Locale) -> None:
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labelTextFormat = lambda v: short_number(v, locale)


def _legend(x: float, y: float, items: list[tuple[colors.Color, str]]) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName, legend.fontSize = FONT, 7
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.dx = legend.dy = 6
    legend.colorNamePairs = items
    return legend


def _short_label(label: str) -> str:
    return label[5:] if len(label) == 10 else label  # days: MM-DD


def gmv_trend(
    trend: Sequence[OperatingFigures], locale: Locale, width: float = 360, height: float = 170
) -> Drawing:
    """Stacked bars of public and private GMV (yuan) per period."""
    drawing = _frame(width, height, _pick(locale, "GMV: public and private domain (yuan)",
                                          "GMV：公域与私域（元）"))  # fmt: skip
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 36, 30, width - 50, height - 64
    chart.data = [[f.gmv_public_fen / 100 for f in trend], [f.gmv_private_fen / 100 for f in trend]]
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.categoryNames = _thin([_short_label(f.period.label) for f in trend])
    chart.bars[0].fillColor, chart.bars[1].fillColor = PUBLIC, PRIVATE
    chart.bars.strokeColor = None
    chart.barSpacing = 1
    _style_axes(chart, locale)
    drawing.add(chart)
    drawing.add(_legend(width - 150, height - 14, [
        (PUBLIC, _pick(locale, "public", "公域")), (PRIVATE, _pick(locale, "private", "私域")),
    ]))  # fmt: skip
    return drawing


def pool_trend(
    trend: Sequence[OperatingFigures], locale: Locale, width: float = 360, height: float = 170
) -> Drawing:
    """Pool size at each period's end against the members who bought in it."""
    drawing = _frame(width, height, _pick(locale, "Pool size and pool members who bought",
                                          "私域池人数与池内购买人数"))  # fmt: skip
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 36, 30, width - 50, height - 64
    chart.data = [[float(f.pool_size) for f in trend], [float(f.pool_buyers) for f in trend]]
    chart.categoryAxis.categoryNames = _thin([_short_label(f.period.label) for f in trend])
    chart.lines[0].strokeColor, chart.lines[1].strokeColor = PUBLIC, ACCENT
    chart.lines.strokeWidth = 1.5
    _style_axes(chart, locale)
    drawing.add(chart)
    drawing.add(_legend(width - 150, height - 14, [
        (PUBLIC, _pick(locale, "in the pool", "池内人数")),
        (ACCENT, _pick(locale, "bought", "购买人数")),
    ]))  # fmt: skip
    return drawing


def funnel(
    figures: RepurchaseFigures, locale: Locale, width: float = 360, height: float = 170
) -> Drawing:
    """Customers reaching their 1st to 5th purchase, with the step conversion."""
    drawing = _frame(width, height, _pick(locale, "Customers reaching their n-th purchase",
                                          "第 n 次购买的客户数"))  # fmt: skip
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 36, 30, width - 50, height - 64
    chart.data = [[float(n) for n in figures.funnel]]
    chart.categoryAxis.categoryNames = [
        _pick(locale, f"#{k}", f"第{k}次") for k in range(1, len(figures.funnel) + 1)
    ]
    chart.bars[0].fillColor = PRIVATE
    chart.barLabels.fontName, chart.barLabels.fontSize = FONT, 6
    steps = ["" if s is None else f"{s:.0%}" for s in figures.step_conversion]
    chart.barLabelArray = [["", *steps]]
    chart.barLabelFormat = "values"
    chart.barLabels.nudge = 6
    _style_axes(chart, locale)
    drawing.add(chart)
    return drawing


def channel_value(
    channels: Sequence[tuple[str, ChannelFigures]],
    locale: Locale,
    width: float = 360,
    height: float = 170,
) -> Drawing:
    """LTV per joiner against CAC per channel (yuan), channels with joiners only."""
    drawing = _frame(width, height, _pick(locale, "LTV per joiner and CAC by channel (yuan)",
                                          "各渠道人均 LTV 与 CAC（元）"))  # fmt: skip
    shown = [(name, f) for name, f in channels if f.joiners][:10]
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 80, 24, width - 94, height - 58
    chart.data = [[(f.ltv_fen or 0) / 100 for _, f in shown] or [0.0],
                  [(f.cac_fen or 0) / 100 for _, f in shown] or [0.0]]  # fmt: skip
    chart.categoryAxis.categoryNames = [name[:18] for name, _ in shown] or [""]
    chart.categoryAxis.reverseDirection = True
    chart.categoryAxis.tickLeft = 0
    chart.bars[0].fillColor, chart.bars[1].fillColor = ACCENT, GREY
    chart.bars.strokeColor = None
    _style_axes(chart, locale)
    drawing.add(chart)
    drawing.add(_legend(width - 150, height - 14, [
        (ACCENT, _pick(locale, "LTV per joiner", "人均 LTV")), (GREY, "CAC"),
    ]))  # fmt: skip
    return drawing


def svg(drawing: Drawing) -> str:
    """The drawing as an inline ``<svg>`` element (no XML prologue)."""
    text: str = renderSVG.drawToString(drawing)
    # The page's CSS chooses a CJK font the browser has; the PDF font name means nothing there.
    return text[text.index("<svg") :].replace(f"font-family: {FONT};", "")
