"""The one-page summary: headline figures, four charts, channels, cohorts and roles.

HTML: one self-contained file (inline CSS and SVG charts; nothing fetched at run time).
PDF: one A4 landscape page drawn by ReportLab with the same charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Final

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from siyu.analytics.channels import ChannelFigures
from siyu.reports import charts
from siyu.reports.rules import format_cell, format_change
from siyu.reports.schemas import Cell, Kind, Locale, Report, Section

KPIS: Final = (
    ("overview", "gmv"), ("overview", "private_share"), ("overview", "buyers"),
    ("overview", "aov"), ("overview", "repurchase_rate"), ("overview", "conversion"),
    ("overview", "pool_size"), ("pool", "recent_share"), ("pool", "clv_per_member"),
)  # fmt: skip
CHANNEL_KEYS: Final = ("code", "joiners", "cac", "bought_90", "repurchase_rate", "ltv",
                       "ltv_cac", "payback", "lost_7")  # fmt: skip
ROLE_KEYS: Final = ("role", "first_share", "return_rate", "to_main_rate", "repeat_buyers",
                    "repurchase_rate")  # fmt: skip


class Kpi:
    """One headline figure with its change against the previous period and a year earlier."""

    def __init__(self, report: Report, section_key: str, key: str, locale: Locale) -> None:
        section = report.section(section_key)
        column = next(c for c in section.columns if c.key == key)
        values = section.column_values(key)
        self.label = column.label(locale)
        self.value = format_cell(values[0], column.kind)
        headline = section_key == "overview"
        self.change = format_change(values[0], values[1], column.kind) if headline else ""
        self.yoy = format_change(values[0], values[2], column.kind) if headline else ""


def _pick(locale: Locale, en: str, zh: str) -> str:
    return zh if locale == "zh-CN" else en


def _named_channels(report: Report) -> list[tuple[str, ChannelFigures]]:
    section = report.section("channels")
    codes = section.column_values("code")
    ordered = sorted(report.figures.channels, key=lambda f: (f.channel_id is None, -f.joiners))
    return [(str(code), f) for code, f in zip(codes, ordered, strict=True)]


def _subset(
    section: Section, keys: Sequence[str]
) -> tuple[list[str], list[Kind], list[list[Cell]]]:
    index = [[c.key for c in section.columns].index(k) for k in keys]
    kinds = [section.columns[i].kind for i in index]
    return (
        [section.columns[i].key for i in index],
        kinds,
        [[r[i] for i in index] for r in section.rows],
    )


def _labels(section: Section, keys: Sequence[str], locale: Locale) -> list[str]:
    by_key = {c.key: c for c in section.columns}
    return [by_key[k].label(locale) for k in keys]


# ------------------------------------------------------------------------------------ HTML

CSS: Final = """
body{font-family:"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",
"Source Han Sans SC",system-ui,sans-serif;margin:24px;color:#222;max-width:1180px}
h1{font-size:22px;margin:0}h2{font-size:15px;margin:18px 0 6px}.sub{color:#666;font-size:12px}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(120px,1fr));gap:8px;margin:14px 0}
.kpi{border:1px solid #ddd;border-radius:6px;padding:8px}.kpi b{display:block;font-size:18px}
.kpi small{color:#666;font-size:11px}.kpi i{font-style:normal;font-size:11px;color:#555}
.charts{display:grid;grid-template-columns:repeat(2,1fr);gap:10px}
.charts svg{width:100%;height:auto}svg text{font-family:inherit}
table{border-collapse:collapse;font-size:12px;width:100%}th,td{padding:3px 6px;
border-bottom:1px solid #eee;text-align:right}th:first-child,td:first-child{text-align:left}
th{background:#f6f6f6}.note{color:#777;font-size:11px}
@media print{body{margin:8mm}.charts{grid-template-columns:repeat(4,1fr)}}
"""


def _html_table(section: Section, keys: Sequence[str], locale: Locale) -> str:
    _, kinds, rows = _subset(section, keys)
    head = "".join(f"<th>{escape(label)}</th>" for label in _labels(section, keys, locale))
    body = "".join(
        "<tr>"
        + "".join(f"<td>{escape(format_cell(v, k))}</td>" for v, k in zip(row, kinds, strict=True))
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _heat(share: Cell) -> str:
    if not isinstance(share, int | float):
        return ""
    alpha = min(1.0, max(0.0, float(share))) ** 0.5
    return f' style="background:rgba(245,133,24,{alpha:.2f})"'


def _html_cohorts(section: Section, locale: Locale) -> str:
    head = "".join(f"<th>{escape(c.label(locale))}</th>" for c in section.columns)
    rows = []
    for row in section.rows:
        cells = [f"<td>{escape(str(row[0]))}</td>", f"<td>{format_cell(row[1], 'count')}</td>"]
        cells += [f"<td{_heat(v)}>{escape(format_cell(v, 'share'))}</td>" for v in row[2:]]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def html_summary(report: Report, locale: Locale, title: str) -> str:
    """The one-page summary as a self-contained HTML document."""
    fig = report.figures
    kpis = [Kpi(report, s, k, locale) for s, k in KPIS]
    vs = _pick(locale, "vs previous", "环比")
    yoy = _pick(locale, "vs a year earlier", "同比")
    cards = "".join(
        f'<div class="kpi"><small>{escape(k.label)}</small><b>{escape(k.value)}</b>'
        + (f"<i>{vs} {escape(k.change)} · {yoy} {escape(k.yoy)}</i>" if k.change else "")
        + "</div>"
        for k in kpis
    )
    drawings = (
        charts.gmv_trend(fig.trend, locale),
        charts.pool_trend(fig.trend, locale),
        charts.funnel(fig.repurchase, locale),
        charts.channel_value(_named_channels(report), locale),
    )
    svgs = "".join(charts.svg(d) for d in drawings)
    channels, cohorts, roles = (
        report.section(k) for k in ("channels", "cohorts_purchase", "product_roles")
    )
    subtitle = _pick(
        locale,
        f"{report.period.label} · generated {report.generated_at:%Y-%m-%d %H:%M} UTC",
        f"{report.period.label} · 生成于 {report.generated_at:%Y-%m-%d %H:%M} UTC",
    )
    return f"""<!doctype html>
<html lang="{locale}"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{CSS}</style></head><body>
<h1>{escape(title)}</h1><p class="sub">{escape(subtitle)}</p>
<div class="kpis">{cards}</div>
<div class="charts">{svgs}</div>
<h2>{escape(channels.title(locale))}</h2>{_html_table(channels, CHANNEL_KEYS, locale)}
<p class="note">{escape(channels.note(locale))}</p>
<h2>{escape(cohorts.title(locale))}</h2>{_html_cohorts(cohorts, locale)}
<p class="note">{escape(cohorts.note(locale))}</p>
<h2>{escape(roles.title(locale))}</h2>{_html_table(roles, ROLE_KEYS, locale)}
<p class="note">{escape(roles.note(locale))}</p>
</body></html>
"""


def write_html(report: Report, path: Path, locale: Locale, title: str) -> Path:
    """Write the HTML summary."""
    path.write_text(html_summary(report, locale, title), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------- PDF

GRID: Final = TableStyle([
    ("FONTNAME", (0, 0), (-1, -1), charts.FONT), ("FONTSIZE", (0, 0), (-1, -1), 7),
    ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
    ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
])  # fmt: skip


def _pdf_table(section: Section, keys: Sequence[str], locale: Locale, rows: int) -> PdfTable:
    _, kinds, values = _subset(section, keys)
    body = [[format_cell(v, k) for v, k in zip(row, kinds, strict=True)] for row in values[:rows]]
    table = PdfTable([_labels(section, keys, locale), *body], hAlign="LEFT")
    table.setStyle(GRID)
    return table


def _kpi_table(report: Report, locale: Locale) -> PdfTable:
    kpis = [Kpi(report, s, k, locale) for s, k in KPIS]
    changes = [f"{k.change} / {k.yoy}" if k.change else "" for k in kpis]
    table = PdfTable([[k.label for k in kpis], [k.value for k in kpis], changes], hAlign="LEFT")
    table.setStyle(GRID)
    table.setStyle(
        TableStyle([("FONTSIZE", (0, 1), (-1, 1), 11), ("ALIGN", (0, 0), (-1, -1), "CENTER")])
    )
    return table


def write_pdf(report: Report, path: Path, locale: Locale, title: str) -> Path:
    """Write the one-page PDF summary (A4 landscape)."""
    font = charts.register_font()
    fig = report.figures
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), leftMargin=10 * mm,
                            rightMargin=10 * mm, topMargin=8 * mm, bottomMargin=8 * mm,
                            title=title)  # fmt: skip
    heading = ParagraphStyle("h", fontName=font, fontSize=14, leading=18)
    small = ParagraphStyle("s", fontName=font, fontSize=7, leading=9, textColor=colors.grey)
    trio = [
        charts.gmv_trend(fig.trend, locale, 265, 150),
        charts.pool_trend(fig.trend, locale, 265, 150),
        charts.funnel(fig.repurchase, locale, 265, 150),
    ]
    row_charts = PdfTable([trio], hAlign="LEFT")
    channels = report.section("channels")
    value_chart = charts.channel_value(_named_channels(report), locale, 265, 190)
    channel_table = _pdf_table(channels, CHANNEL_KEYS, locale, 12)
    bottom = PdfTable([[value_chart, channel_table]], hAlign="LEFT")
    bottom.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    doc.build([
        Paragraph(escape(title), heading),
        Paragraph(escape(f"{report.period.label} · {report.generated_at:%Y-%m-%d %H:%M} UTC"),
                  small),
        Spacer(1, 4), _kpi_table(report, locale), Spacer(1, 4), row_charts, bottom,
        Paragraph(escape(channels.note(locale)), small),
    ])  # fmt: skip
    return path
