"""Role rules: which owned products may be recommended again, and entry → main products.

Both are learned from the histories, so they hold for any catalogue with roles, without a
product-line field: the "line" of a trial product is whatever its buyers go on to buy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siyu.analytics.recommend.histories import FloatArray, HistoryMatrix, IntArray
from siyu.analytics.recommend.settings import DEFAULT_RECOMMEND, RecommendSettings

BoolArray = NDArray[np.bool_]


def role_mask(m: HistoryMatrix, roles: tuple[str, ...]) -> BoolArray:
    """Products whose role is one of ``roles``."""
    return np.isin(m.roles, np.asarray(roles, dtype=np.str_))


def _pair_rows(m: HistoryMatrix) -> tuple[IntArray, IntArray]:
    """Row (customer) and column (product) of every stored pair, in CSR order."""
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.days.indptr)).astype(np.int64)
    return rows, m.days.indices.astype(np.int64)


def repurchase_rates(
    m: HistoryMatrix, prior: float = DEFAULT_RECOMMEND.repurchase_prior
) -> FloatArray:
    """Share of each product's buyers who bought it again, among those who bought anything later.

    A buyer counts when the customer has a purchase on a later day than the product's first
    one; each product's own rate is shrunk to its role's pooled rate with ``prior`` buyers.
    """
    rows, cols = _pair_rows(m)
    first = np.floor(m.first.data)
    eligible = np.floor(m.last_day[rows]) > first
    repeated = m.days.data >= 2
    n = m.shape[1]
    eligible_n = np.bincount(cols, weights=eligible, minlength=n)
    repeated_n = np.bincount(cols, weights=repeated, minlength=n)
    _, role_of = np.unique(m.roles, return_inverse=True)
    role_eligible = np.bincount(role_of, weights=eligible_n)
    role_repeated = np.bincount(role_of, weights=repeated_n)
    with np.errstate(invalid="ignore", divide="ignore"):
        role_rate = np.where(role_eligible > 0, role_repeated / role_eligible, 0.0)[role_of]
        rate = (repeated_n + prior * role_rate) / (eligible_n + prior)
    return np.where(eligible_n + prior > 0, rate, 0.0)


def repurchasable(m: HistoryMatrix, settings: RecommendSettings = DEFAULT_RECOMMEND) -> BoolArray:
    """Products recommended again to their owners: not an entry product, rebought often enough."""
    rates = repurchase_rates(m, settings.repurchase_prior)
    return (rates >= settings.repurchase_threshold) & ~role_mask(m, settings.entry_roles)


@dataclass(frozen=True)
class EntryToMain:
    """Evidence of which main products buyers of each entry product go on to buy.

    ``pairs[e, m]``: customers who bought entry product ``e`` and main product ``m`` on a later
    day; ``converted[e]``: customers who bought ``e`` and any main product later;
    ``base[m]``: share of all such converted customers who bought ``m`` later.
    """

    pairs: sp.csr_matrix
    converted: FloatArray
    base: FloatArray

    def probabilities(self, owned_entries: sp.csr_matrix, prior: float) -> FloatArray:
        """P(main product bought later | the entry products owned), pooled and smoothed."""
        counts = np.asarray((owned_entries @ self.pairs).todense(), dtype=np.float64)
        converted = np.asarray(owned_entries @ self.converted, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = (counts + prior * self.base[None, :]) / (converted + prior)[:, None]
        return np.where(np.isfinite(p), p, 0.0)


def entry_to_main(m: HistoryMatrix, settings: RecommendSettings = DEFAULT_RECOMMEND) -> EntryToMain:
    """Count, per entry product, the main products its buyers bought on a later day."""
    rows, cols = _pair_rows(m)
    day = np.floor(m.first.data)
    entry = role_mask(m, settings.entry_roles)[cols]
    main = role_mask(m, settings.main_roles)[cols]
    e_row, e_col, e_day = rows[entry], cols[entry], day[entry]
    m_row, m_col, m_day = rows[main], cols[main], day[main]
    # each entry pair meets every main pair of the same customer (both sorted by customer)
    n_customers, n = m.shape
    m_start = np.searchsorted(m_row, np.arange(n_customers + 1))
    per_entry = (m_start[e_row + 1] - m_start[e_row]).astype(np.int64)
    which = np.repeat(np.arange(e_row.size), per_entry)
    offset = np.arange(which.size) - np.repeat(np.cumsum(per_entry) - per_entry, per_entry)
    main_at = m_start[e_row[which]] + offset
    later = m_day[main_at] > e_day[which]
    which, main_at = which[later], main_at[later]
    ones = np.ones(which.size)
    pairs = sp.csr_matrix((ones, (e_col[which], m_col[main_at])), shape=(n, n))
    converted_pairs = np.unique(which)
    converted = np.bincount(e_col[converted_pairs], minlength=n).astype(np.float64)
    customer_main = np.unique(m_row[main_at] * n + m_col[main_at])
    n_converted = np.unique(e_row[which]).size
    base = np.bincount(customer_main % n, minlength=n) / max(n_converted, 1)
    return EntryToMain(pairs=pairs, converted=converted, base=base.astype(np.float64))
