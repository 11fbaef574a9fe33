"""RFM: recency, frequency and monetary quintile scores 1–5 and named segments.

Scores are rank-based quintiles among buyers: a buyer's score is ``1 + floor(5 * w / n)``
where ``w`` counts buyers with a strictly worse value and ``n`` counts buyers. Tied values
share the score of the lowest-ranked member of their tie, so the result does not depend on
row order, distinct values fill each quintile with 20 %, and a heavy tie (most buyers have
one order) sits at the score its lowest member earns instead of breaking the scale.
Customers with no purchase score 0 and fall in segment ``none``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from siyu.analytics.settings import DEFAULT_RFM, Locale, RfmSettings

Scores = NDArray[np.int8]

SEGMENTS: Final = (
    "none",
    "champions",
    "loyal",
    "potential_loyalists",
    "new_customers",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
)
"""Segment names; a segment's code is its index."""

SEGMENT_LABELS: Final[dict[Locale, tuple[str, ...]]] = {
    "zh-CN": (
        "未购",
        "冠军客户",
        "忠诚客户",
        "潜力忠诚客户",
        "新客户",
        "有潜力新客",
        "需要关注",
        "即将休眠",
        "有流失风险",
        "不能失去",
        "休眠客户",
        "已流失",
    ),
    "en": (
        "No purchase",
        "Champions",
        "Loyal customers",
        "Potential loyalists",
        "New customers",
        "Promising",
        "Need attention",
        "About to sleep",
        "At risk",
        "Can't lose them",
        "Hibernating",
        "Lost",
    ),
}

SEGMENT_ROWS: Final = (
    ("lost", "hibernating", "at_risk", "at_risk", "cant_lose"),
    ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),
    ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    ("promising", "potential_loyalists", "potential_loyalists", "loyal", "loyal"),
    ("new_customers", "potential_loyalists", "potential_loyalists", "champions", "champions"),
)
"""The segment grid: row R = 1..5 (recency score), column FM (or F) = 1..5."""

SEGMENT_GRID: Final = np.array(
    [[SEGMENTS.index(name) for name in row] for row in SEGMENT_ROWS], dtype=np.int8
)
"""Segment code by ``[R - 1, FM - 1]``: rows are recency scores, columns frequency(-monetary)."""


@dataclass(frozen=True, slots=True)
class RfmResult:
    """Per-customer R, F and M scores (1–5, 0 without purchase) and segment codes."""

    recency: Scores
    frequency: Scores
    monetary: Scores
    segment: Scores

    def cell(self) -> NDArray[np.int16]:
        """Return the three scores as one number, e.g. 545 for R=5, F=4, M=5."""
        r, f, m = (s.astype(np.int16) for s in (self.recency, self.frequency, self.monetary))
        return r * 100 + f * 10 + m


def quintile_scores(values: ArrayLike, *, higher_is_better: bool = True) -> Scores:
    """Return rank-based quintile scores 1–5; ties share the score of their lowest rank."""
    v = np.asarray(values)
    if v.dtype.kind in "ub":
        v = v.astype(np.int64)
    if v.size == 0:
        return np.zeros(0, dtype=np.int8)
    _, inverse, counts = np.unique(
        v if higher_is_better else -v, return_inverse=True, return_counts=True
    )
    worse = (np.cumsum(counts) - counts)[inverse]
    return (1 + 5 * worse // v.size).astype(np.int8)


def frequency_scores(frequency: ArrayLike, *, settings: RfmSettings = DEFAULT_RFM) -> Scores:
    """Return F scores 1–5 for buyers: rank quintiles, or fixed order-count edges if set."""
    f = np.asarray(frequency)
    if settings.frequency_edges is None:
        return quintile_scores(f)
    edges = np.asarray(settings.frequency_edges)
    return (1 + np.searchsorted(edges, f, side="right")).astype(np.int8)


def rfm_scores(
    recency_days: ArrayLike,
    frequency: ArrayLike,
    monetary_fen: ArrayLike,
    *,
    settings: RfmSettings = DEFAULT_RFM,
) -> RfmResult:
    """Score every customer and name their segment; ``frequency == 0`` means no purchase.

    ``monetary_fen`` is total or average paid per buyer in integer fen, as the caller
    chooses; recency is days since the last purchase (lower is better).
    """
    recency, freq, money = _inputs(recency_days, frequency, monetary_fen)
    bought = freq > 0
    r, f, m = (np.zeros(freq.size, dtype=np.int8) for _ in range(3))
    r[bought] = quintile_scores(recency[bought], higher_is_better=False)
    f[bought] = frequency_scores(freq[bought], settings=settings)
    m[bought] = quintile_scores(money[bought])
    segment = rfm_segments(r, f, m, settings=settings)
    return RfmResult(recency=r, frequency=f, monetary=m, segment=segment)


def rfm_segments(
    r: ArrayLike, f: ArrayLike, m: ArrayLike, *, settings: RfmSettings = DEFAULT_RFM
) -> Scores:
    """Return segment codes from R, F, M scores via ``SEGMENT_GRID`` (0 scores → ``none``).

    The grid's column is FM = floor((F + M) / 2), or F alone when the settings say so.
    """
    r_a, f_a, m_a = (np.asarray(s, dtype=np.intp) for s in (r, f, m))
    column = (f_a + m_a) // 2 if settings.segment_uses_monetary else f_a
    scored = r_a > 0
    segment = np.zeros(r_a.shape, dtype=np.int8)
    segment[scored] = SEGMENT_GRID[r_a[scored] - 1, column[scored] - 1]
    return segment


def segment_labels(codes: ArrayLike, locale: Locale = "zh-CN") -> NDArray[np.str_]:
    """Turn segment codes into labels in ``locale``."""
    return np.asarray(SEGMENT_LABELS[locale])[np.asarray(codes, dtype=np.intp)]


def _inputs(
    recency_days: ArrayLike, frequency: ArrayLike, monetary_fen: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    recency = np.asarray(recency_days, dtype=np.float64)
    freq = np.asarray(frequency, dtype=np.int64)
    money = np.asarray(monetary_fen, dtype=np.int64)
    if recency.ndim != 1 or recency.shape != freq.shape or recency.shape != money.shape:
        raise ValueError("recency_days, frequency and monetary_fen must be 1-D of one length")
    if np.any(freq < 0):
        raise ValueError("frequency must be >= 0")
    if np.any(np.isnan(recency[freq > 0])):
        raise ValueError("every buyer needs a recency")
    return recency, freq, money
