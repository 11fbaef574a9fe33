"""Chart specifications for Plotly (served by siyu from the plotly package): data and layout."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from siyu.groups.schemas import GroupDay
from siyu.orders.schemas import OrderRead
from siyu.overview.schemas import CountRead, TrendPointRead

Chart = dict[str, Any]
Gettext = Callable[[str], str]
PUBLIC, PRIVATE, ACCENT, MUTED, BAD = "#9aa5b8", "#12a37a", "#2f6fed", "#d5dae3", "#d64545"
STAGE_COLOURS = {
    "none": MUTED,
    "active": "#12a37a",
    "silent": "#f2b705",
    "dormant": "#f08a24",
    "churned": "#d64545",
}
FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"


def _layout(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "margin": {"l": 48, "r": 16, "t": 16, "b": 40},
        "font": {"family": FONT, "size": 13, "color": "#1f2a44"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
        "separators": ".,",
    }
    return base | extra


def ladder_funnel(rows: Sequence[CountRead], _: Gettext) -> Chart:
    """The value ladder as a funnel: customers who reached at least each rung."""
    reached, running = [], 0
    for row in reversed(rows):
        running += row.customers
        reached.append(running)
    reached.reverse()
    return {
        "data": [
            {
                "type": "funnel",
                "y": [r.label for r in rows],
                "x": reached,
                "customdata": [r.customers for r in rows],
                "texttemplate": "%{x:,}",
                "textposition": "inside",
                "hovertemplate": "%{y}: %{x:,} "
                + _("reached")
                + " · %{customdata:,} "
                + _("on this rung")
                + "<extra></extra>",
                "marker": {"color": [ACCENT, "#4d84f0", "#6b99f3", "#8aaef6", "#a9c3f8"]},
                "connector": {"fillcolor": "#eef2fb"},
            }
        ],
        "layout": _layout(margin={"l": 120, "r": 16, "t": 8, "b": 8}),
    }


def stages_bar(rows: Sequence[CountRead], _: Gettext) -> Chart:
    """Customers per lifecycle stage."""
    return {
        "data": [
            {
                "type": "bar",
                "x": [r.label for r in rows],
                "y": [r.customers for r in rows],
                "marker": {"color": [STAGE_COLOURS.get(r.key, ACCENT) for r in rows]},
                "texttemplate": "%{y:,}",
                "textposition": "outside",
                "hovertemplate": "%{x}: %{y:,}<extra></extra>",
            }
        ],
        "layout": _layout(yaxis={"title": {"text": _("Customers")}, "gridcolor": "#eef0f4"}),
    }


def pool_quality(pool_share: float | None, outside_share: float | None, _: Gettext) -> Chart:
    """Share of repeat buyers inside the pool next to outside it."""
    values = [round((pool_share or 0) * 100, 1), round((outside_share or 0) * 100, 1)]
    return {
        "data": [
            {
                "type": "bar",
                "x": [_("In the pool"), _("Outside the pool")],
                "y": values,
                "marker": {"color": [PRIVATE, PUBLIC]},
                "texttemplate": "%{y:.1f}%",
                "textposition": "outside",
                "hovertemplate": "%{x}: %{y:.1f}%<extra></extra>",
            }
        ],
        "layout": _layout(
            yaxis={"ticksuffix": "%", "gridcolor": "#eef0f4", "title": {"text": _("Repeat buyers")}}
        ),
    }


def gmv_split(public_fen: int, private_fen: int, _: Gettext) -> Chart:
    """GMV of the public domain next to the private domain."""
    return {
        "data": [
            {
                "type": "pie",
                "hole": 0.55,
                "sort": False,
                "labels": [_("Public domain"), _("Private domain")],
                "values": [public_fen / 100, private_fen / 100],
                "marker": {"colors": [PUBLIC, PRIVATE]},
                "textinfo": "percent",
                "hovertemplate": "%{label}: ¥%{value:,.0f}<extra></extra>",
            }
        ],
        "layout": _layout(
            showlegend=True,
            legend={"orientation": "h", "y": -0.1},
            margin={"l": 8, "r": 8, "t": 8, "b": 8},
        ),
    }


def trend(points: Sequence[TrendPointRead], _: Gettext) -> Chart:
    """GMV per period, public and private stacked, with orders as a line."""
    periods = [p.period for p in points]
    return {
        "data": [
            {
                "type": "bar",
                "name": _("Public domain"),
                "x": periods,
                "y": [p.public_fen / 100 for p in points],
                "marker": {"color": PUBLIC},
                "hovertemplate": "%{x} · " + _("Public domain") + ": ¥%{y:,.0f}<extra></extra>",
            },
            {
                "type": "bar",
                "name": _("Private domain"),
                "x": periods,
                "y": [p.private_fen / 100 for p in points],
                "marker": {"color": PRIVATE},
                "hovertemplate": "%{x} · " + _("Private domain") + ": ¥%{y:,.0f}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("Orders"),
                "x": periods,
                "y": [p.orders for p in points],
                "yaxis": "y2",
                "line": {"color": ACCENT},
                "hovertemplate": "%{x} · " + _("Orders") + ": %{y:,}<extra></extra>",
            },
        ],
        "layout": _layout(
            barmode="stack",
            showlegend=True,
            legend={"orientation": "h", "y": 1.12},
            xaxis={"type": "category", "tickangle": -45 if len(points) > 30 else 0},
            yaxis={"title": {"text": _("GMV")}, "tickprefix": "¥", "gridcolor": "#eef0f4"},
            yaxis2={
                "title": {"text": _("Orders")},
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
            },
            margin={"l": 64, "r": 56, "t": 32, "b": 56},
        ),
    }


def order_timeline(orders: Sequence[OrderRead], _: Gettext) -> Chart:
    """A customer's orders over time: when, how much, public or private."""
    colours = [PRIVATE if o.domain == "private" else PUBLIC for o in orders]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers+lines",
                "x": [o.ordered_at.isoformat() for o in orders],
                "y": [o.paid_fen / 100 for o in orders],
                "text": [f"{o.shop_code} · {o.platform_order_id}" for o in orders],
                "marker": {"color": colours, "size": 11},
                "line": {"color": MUTED, "width": 1},
                "hovertemplate": "%{x|%Y-%m-%d}<br>%{text}<br>¥%{y:,.2f}<extra></extra>",
            }
        ],
        "layout": _layout(
            yaxis={"tickprefix": "¥", "gridcolor": "#eef0f4", "title": {"text": _("Paid")}}
        ),
    }


def tier_members(tiers: Sequence[tuple[str, int]], _: Gettext) -> Chart:
    """Members per loyalty tier, lowest rank first."""
    return {
        "data": [
            {
                "type": "bar",
                "x": [name for name, _n in tiers],
                "y": [n for _name, n in tiers],
                "marker": {"color": ACCENT},
                "texttemplate": "%{y:,}",
                "textposition": "outside",
                "hovertemplate": "%{x}: %{y:,}<extra></extra>",
            }
        ],
        "layout": _layout(yaxis={"title": {"text": _("Members")}, "gridcolor": "#eef0f4"}),
    }


def group_messages(days: Sequence[GroupDay], _: Gettext) -> Chart:
    """Messages per day in the groups: the owner and staff against the members, stacked."""
    x = [d.day.isoformat() for d in days]
    series = (
        (_("Owner and staff"), [d.owner_messages + d.staff_messages for d in days], PUBLIC),
        (_("Members"), [d.member_messages for d in days], PRIVATE),
    )
    return {
        "data": [
            {"type": "bar", "name": name, "x": x, "y": y, "marker": {"color": colour},
             "hovertemplate": "%{x} · " + name + ": %{y:,}<extra></extra>"}
            for name, y, colour in series
        ],
        "layout": _layout(barmode="stack", showlegend=True,
                          legend={"orientation": "h", "y": -0.2}),
    }  # fmt: skip


def _cells(table: dict[str, Any], key: str) -> list[Any]:
    index = [c["key"] for c in table["columns"]].index(key)
    return [row[index] for row in table["rows"]]


def channel_effect(table: dict[str, Any], _: Gettext) -> Chart:
    """Joiners against LTV/CAC per channel (log scale): the red-envelope effect at a glance.

    Bubbles grow with cost; channels where many delete us within 7 days are red.
    """
    rows = [i for i, v in enumerate(_cells(table, "ltv_cac")) if v is not None and v > 0]
    names, joiners = _cells(table, "name"), _cells(table, "joiners")
    ratio, lost, cost = _cells(table, "ltv_cac"), _cells(table, "lost_7"), _cells(table, "cost")
    biggest = max((cost[i] or 0 for i in rows), default=0) or 1
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers+text",
                "x": [joiners[i] for i in rows],
                "y": [ratio[i] for i in rows],
                "text": [names[i] or _cells(table, "code")[i] for i in rows],
                "textposition": "top center",
                "customdata": [round((lost[i] or 0) * 100, 1) for i in rows],
                "marker": {
                    "size": [14 + 36 * (cost[i] or 0) / biggest for i in rows],
                    "color": [BAD if (lost[i] or 0) >= 0.3 else PRIVATE for i in rows],
                    "opacity": 0.75,
                },
                "hovertemplate": "%{text}<br>" + _("Joiners") + ": %{x:,}<br>LTV / CAC: "
                "%{y:,.1f}<br>" + _("Deleted us within 7 days") + ": %{customdata}%"
                "<extra></extra>",
            }
        ],
        "layout": _layout(
            xaxis={"title": {"text": _("Joiners")}, "gridcolor": "#eef0f4", "rangemode": "tozero"},
            yaxis={"title": {"text": "LTV / CAC"}, "type": "log", "gridcolor": "#eef0f4"},
            margin={"l": 64, "r": 24, "t": 24, "b": 48},
        ),
    }


def cohort_heatmap(table: dict[str, Any], _: Gettext) -> Chart:
    """A cohort table as a heat map: cohorts down, months since the start across."""
    months = [c for c in table["columns"] if c["key"].startswith("m")]
    share = months[0]["kind"] == "share" if months else True
    start = len(table["columns"]) - len(months)
    z = [[None if v is None else (v * 100 if share else v / 100) for v in row[start:]]
         for row in table["rows"]]  # fmt: skip
    shown = "{:.0f}%" if share else "¥{:,.0f}"
    text = [["" if v is None else shown.format(v) for v in row] for row in z]
    return {
        "data": [
            {
                "type": "heatmap",
                "x": [c["label"] for c in months],
                "y": [row[0] for row in table["rows"]],
                "z": z,
                "text": text,
                "colorscale": [[0, "#f4f7fe"], [0.5, "#6b99f3"], [1, "#12306f"]],
                "texttemplate": "%{text}",
                "hovertemplate": "%{y} · %{x}: "
                + ("%{z:.1f}%" if share else "¥%{z:,.0f}")
                + "<extra></extra>",
                "zmin": 0,
                "zmax": 100 if share else None,
            }
        ],
        "layout": _layout(
            yaxis={"autorange": "reversed", "type": "category"},
            xaxis={"side": "top"},
            margin={"l": 72, "r": 16, "t": 40, "b": 16},
        ),
    }


def purchase_funnel(table: dict[str, Any], _: Gettext) -> Chart:
    """Customers reaching their 1st … 5th purchase."""
    labels = [_("Purchase %(n)s") % {"n": n} for n in _cells(table, "purchase")]
    return {
        "data": [
            {
                "type": "funnel",
                "y": labels,
                "x": _cells(table, "customers"),
                "textinfo": "value+percent initial",
                "marker": {"color": [ACCENT, "#4d84f0", "#6b99f3", "#8aaef6", "#a9c3f8"]},
                "hovertemplate": "%{y}: %{x:,}<extra></extra>",
            }
        ],
        "layout": _layout(margin={"l": 96, "r": 16, "t": 8, "b": 8}),
    }


def operating_lines(table: dict[str, Any], _: Gettext) -> Chart:
    """Buyers, new customers and repeat buyers per period, repurchase rate on the right."""
    periods = _cells(table, "period")
    lines = (("buyers", _("Active customers"), ACCENT), ("new_buyers", _("New customers"),
             PUBLIC), ("repeat_buyers", _("Repeat buyers"), PRIVATE))  # fmt: skip
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines+markers", "name": name, "x": periods,
         "y": _cells(table, key), "line": {"color": colour},
         "hovertemplate": "%{x} · " + name + ": %{y:,}<extra></extra>"}
        for key, name, colour in lines
    ]  # fmt: skip
    rate = [None if v is None else round(v * 100, 1) for v in _cells(table, "repurchase_rate")]
    data.append({
        "type": "scatter", "mode": "lines", "name": _("Repurchase rate"), "x": periods, "y": rate,
        "yaxis": "y2", "line": {"color": "#f08a24", "dash": "dot"},
        "hovertemplate": "%{x} · " + _("Repurchase rate") + ": %{y:.1f}%<extra></extra>",
    })  # fmt: skip
    return {
        "data": data,
        "layout": _layout(
            showlegend=True, legend={"orientation": "h", "y": 1.14},
            xaxis={"type": "category"},
            yaxis={"title": {"text": _("Customers")}, "gridcolor": "#eef0f4"},
            yaxis2={"title": {"text": _("Repurchase rate")}, "overlaying": "y", "side": "right",
                    "ticksuffix": "%", "showgrid": False, "rangemode": "tozero"},
            margin={"l": 64, "r": 64, "t": 32, "b": 48},
        ),
    }  # fmt: skip


def revenue_by_arm(arms: Sequence[tuple[str, int, int]], _: Gettext) -> Chart:
    """Revenue per customer of each campaign arm (label, customers, revenue in fen)."""
    colours = {_("treatment"): ACCENT, _("control"): PUBLIC, _("holdout"): MUTED}
    per = [
        round(revenue / customers / 100, 2) if customers else 0 for _l, customers, revenue in arms
    ]
    return {
        "data": [
            {
                "type": "bar",
                "x": [a[0] for a in arms],
                "y": per,
                "marker": {"color": [colours.get(a[0], ACCENT) for a in arms]},
                "texttemplate": "¥%{y:,.2f}",
                "textposition": "outside",
                "hovertemplate": "%{x}: ¥%{y:,.2f}<extra></extra>",
            }
        ],
        "layout": _layout(
            yaxis={"tickprefix": "¥", "gridcolor": "#eef0f4",
                   "title": {"text": _("Revenue per customer")}},
        ),
    }  # fmt: skip


def uplift(rows: Sequence[tuple[str, float, float, float]], _: Gettext) -> Chart:
    """Each comparison's difference with its confidence interval (label, difference, low,
    high), in percentage points of conversion."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "x": [round(r[1] * 100, 2) for r in rows],
                "y": [r[0] for r in rows],
                "error_x": {
                    "type": "data", "symmetric": False,
                    "array": [round((r[3] - r[1]) * 100, 2) for r in rows],
                    "arrayminus": [round((r[1] - r[2]) * 100, 2) for r in rows],
                    "color": ACCENT,
                },
                "marker": {"color": ACCENT, "size": 10},
                "hovertemplate": "%{y}: %{x:+.2f} pp<extra></extra>",
            }
        ],
        "layout": _layout(
            xaxis={"ticksuffix": " pp", "zeroline": True, "zerolinecolor": "#d64545",
                   "title": {"text": _("Uplift in conversion over the baseline")}},
            margin={"l": 200, "r": 16, "t": 16, "b": 48},
        ),
    }  # fmt: skip
