"""The demo brand simulator: determinism, size, invariants and the statistical ground truth."""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from datetime import date

import numpy as np
import pytest

from siyu.demo.simulator import (
    CHANNELS,
    SERIES,
    DemoBrand,
    DemoSettings,
    PopulationParams,
    bgnbd_expected_repeat_purchases,
    exported_phones,
    hyp2f1,
    simulate_brand,
    simulate_purchases,
)
from siyu.models.enums import (
    Carrier,
    ChannelKind,
    Domain,
    LeftReason,
    OrderStatus,
    Platform,
    ProductRole,
)

TABLES = ("customers", "orders", "lines", "refunds", "contacts", "channel_costs", "consents")
MONEY_COLUMNS = {
    "orders": ("goods_fen", "shipping_fen", "discount_fen", "paid_fen"),
    "lines": ("unit_price_fen", "discount_fen", "amount_fen"),
    "refunds": ("amount_fen",),
    "channel_costs": ("amount_fen",),
}
UNPAID = ("pending_payment", "closed")


@pytest.fixture(scope="module")
def small() -> DemoBrand:
    return simulate_brand(orders=1_000, seed=3)


@pytest.fixture(scope="module")
def brand() -> DemoBrand:
    return simulate_brand(orders=50_000, seed=11)


@pytest.fixture(params=["small", "brand"])
def any_brand(request: pytest.FixtureRequest) -> DemoBrand:
    result: DemoBrand = request.getfixturevalue(request.param)
    return result


def _columns(brand: DemoBrand) -> dict[str, np.ndarray]:
    return {
        f"{table}.{column.name}": getattr(getattr(brand, table), column.name)
        for table in TABLES
        for column in dataclasses.fields(getattr(brand, table))
    }


def _first_rows(customer: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.concatenate([[True], customer[1:] != customer[:-1]]))


# --------------------------------------------------------------------------------------------
# Determinism and size
# --------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_output() -> None:
    first = _columns(simulate_brand(orders=3_000, seed=5))
    second = _columns(simulate_brand(orders=3_000, seed=5))
    assert first.keys() == second.keys()
    for name, values in first.items():
        assert values.dtype == second[name].dtype, name
        assert np.array_equal(values, second[name], equal_nan=values.dtype.kind in "fM"), name


def test_different_seeds_give_different_output() -> None:
    first = simulate_brand(orders=3_000, seed=5)
    second = simulate_brand(orders=3_000, seed=6)
    assert not np.array_equal(first.customers.phone[:100], second.customers.phone[:100])
    assert not np.array_equal(first.orders.ordered_at[:100], second.orders.ordered_at[:100])


@pytest.mark.parametrize("orders", [1_000, 7_500])
def test_order_count_is_within_ten_percent(orders: int) -> None:
    result = simulate_brand(orders=orders, seed=orders)
    assert abs(len(result.orders) - orders) <= 0.1 * orders


def test_order_count_is_within_ten_percent_at_50k(brand: DemoBrand) -> None:
    assert abs(len(brand.orders) - 50_000) <= 5_000


def test_window_ends_at_end_date_in_china_time() -> None:
    result = simulate_brand(orders=1_000, end=date(2025, 6, 30), years=1.0)
    assert result.end == date(2025, 6, 30)
    assert result.end_at == np.datetime64("2025-06-30T16:00:00")
    assert (result.end - result.start).days + 1 == 365
    assert result.orders.ordered_at.max() <= result.end_at


def test_summary_matches_the_tables(brand: DemoBrand) -> None:
    summary = brand.summary()
    for table in TABLES:
        key = "channel_cost_rows" if table == "channel_costs" else table
        assert summary[key] == len(getattr(brand, table))
    assert summary["gmv_fen"] == int(brand.orders.paid_fen.sum())
    assert summary["buyers"] + summary["potential_customers"] == summary["customers"]


# --------------------------------------------------------------------------------------------
# Setup
# --------------------------------------------------------------------------------------------


def test_setup_uses_the_shared_vocabularies(brand: DemoBrand) -> None:
    assert {s.platform for s in brand.shops} <= {p.value for p in Platform}
    assert all(s.domain in {d.value for d in Domain} for s in brand.shops)
    assert {s.code for s in brand.shops} >= {
        "tmall_flagship",
        "jd_store",
        "douyin_store",
        "pdd_store",
        "mini_program",
        "wecom_sales",
    }
    assert {p.role for p in brand.products} == {r.value for r in ProductRole}
    assert {c.kind for c in brand.channels} <= {k.value for k in ChannelKind}
    assert 20 <= len(brand.products) <= 40
    assert 5 <= len(brand.staff) <= 10
    assert len({p.sku for p in brand.products}) == len(brand.products)


def test_products_cost_less_than_price_and_profit_items_have_the_best_margin(
    brand: DemoBrand,
) -> None:
    margins: dict[str, list[float]] = {}
    for product in brand.products:
        assert 0 < product.unit_cost_fen < product.price_fen
        margin = 1 - product.unit_cost_fen / product.price_fen
        margins.setdefault(product.role, []).append(margin)
    mean = {role: float(np.mean(values)) for role, values in margins.items()}
    assert mean["profit"] > 0.6
    assert mean["traffic"] < 0.35 and mean["trial"] < 0.5
    assert max(mean.values()) == mean["profit"]


# --------------------------------------------------------------------------------------------
# Invariants
# --------------------------------------------------------------------------------------------


def test_money_columns_are_integers(any_brand: DemoBrand) -> None:
    for table, columns in MONEY_COLUMNS.items():
        for column in columns:
            assert getattr(getattr(any_brand, table), column).dtype == np.int64, column
    products = np.array(
        [p.price_fen for p in any_brand.products] + [p.unit_cost_fen for p in any_brand.products]
    )
    assert products.dtype == np.int64


def test_timestamps_are_utc_seconds(any_brand: DemoBrand) -> None:
    for name, values in _columns(any_brand).items():
        if values.dtype.kind == "M" and not name.startswith("channel_costs"):
            assert values.dtype == np.dtype("datetime64[s]"), name
    assert any_brand.channel_costs.day.dtype == np.dtype("datetime64[D]")


def test_orders_are_sorted_by_customer_then_time(any_brand: DemoBrand) -> None:
    orders = any_brand.orders
    step = np.diff(orders.customer)
    assert (step >= 0).all()
    same = step == 0
    assert (orders.ordered_at[1:][same] >= orders.ordered_at[:-1][same]).all()


def test_each_customers_first_order_is_at_acquisition(any_brand: DemoBrand) -> None:
    customers, orders = any_brand.customers, any_brand.orders
    first = _first_rows(orders.customer)
    buyers = orders.customer[first]
    assert np.array_equal(buyers, np.flatnonzero(customers.n_orders > 0))
    assert np.array_equal(orders.ordered_at[first], customers.acquired_at[buyers])
    assert (orders.status[first] != "closed").all()
    assert np.array_equal(
        np.bincount(orders.customer, minlength=len(customers)), customers.n_orders
    )
    real = orders.status != "closed"
    assert np.array_equal(
        np.bincount(orders.customer[real], minlength=len(customers)), customers.n_purchases
    )


def test_buyers_come_first_sorted_by_acquisition(any_brand: DemoBrand) -> None:
    customers = any_brand.customers
    buyers = int((customers.n_orders > 0).sum())
    assert (customers.n_orders[:buyers] > 0).all() and (customers.n_orders[buyers:] == 0).all()
    assert (np.diff(customers.acquired_at[:buyers]) >= np.timedelta64(0, "s")).all()
    assert np.isnat(customers.acquired_at[buyers:]).all()


def test_no_order_after_death_or_outside_the_window(any_brand: DemoBrand) -> None:
    customers, orders = any_brand.customers, any_brand.orders
    assert orders.ordered_at.min() >= any_brand.start_at
    assert orders.ordered_at.max() <= any_brand.end_at
    died = customers.died_at[orders.customer]
    dead = ~np.isnat(died)
    assert (orders.ordered_at[dead] <= died[dead]).all()
    # dropout happens right after a purchase: the last real order is at died_at
    last = np.concatenate([_first_rows(orders.customer)[1:], [len(orders)]]) - 1
    owner = orders.customer[last]
    gone = ~customers.alive_at_end[owner]
    assert np.array_equal(orders.ordered_at[last][gone], customers.died_at[owner][gone])
    assert np.isnat(customers.died_at[customers.alive_at_end]).all()


def test_paid_amount_adds_up(any_brand: DemoBrand) -> None:
    orders = any_brand.orders
    paid = ~np.isin(orders.status, UNPAID)
    assert np.array_equal(
        orders.paid_fen[paid],
        orders.goods_fen[paid] - orders.discount_fen[paid] + orders.shipping_fen[paid],
    )
    assert (orders.paid_fen[paid] > 0).all()
    assert (orders.paid_fen[~paid] == 0).all()
    assert np.isnat(orders.paid_at[~paid]).all()
    assert (orders.paid_at[paid] >= orders.ordered_at[paid]).all()
    assert (orders.paid_at[paid] <= any_brand.end_at).all()
    shipping = orders.shipping_fen[orders.shipping_fen > 0]
    assert ((shipping >= 600) & (shipping <= 1_000)).all()
    assert (orders.discount_fen >= 0).all() and (orders.discount_fen < orders.goods_fen).all()


def test_lines_add_up_to_goods(any_brand: DemoBrand) -> None:
    orders, lines = any_brand.orders, any_brand.lines
    assert (orders.n_lines >= 1).all()
    assert np.array_equal(orders.first_line, np.cumsum(orders.n_lines) - orders.n_lines)
    assert orders.first_line[-1] + orders.n_lines[-1] == len(lines)
    assert np.array_equal(lines.order, np.repeat(np.arange(len(orders)), orders.n_lines))
    assert np.array_equal(np.add.reduceat(lines.amount_fen, orders.first_line), orders.goods_fen)
    prices = np.array([p.price_fen for p in any_brand.products])
    assert np.array_equal(lines.unit_price_fen, prices[lines.product])
    assert np.array_equal(
        lines.amount_fen, lines.unit_price_fen * lines.quantity - lines.discount_fen
    )
    assert (lines.quantity >= 1).all() and (lines.discount_fen >= 0).all()
    assert (lines.amount_fen > 0).all()


def test_refunds_are_bounded_and_after_the_order(any_brand: DemoBrand) -> None:
    orders, lines, refunds = any_brand.orders, any_brand.lines, any_brand.refunds
    order = refunds.order
    assert (np.diff(order) >= 0).all()
    assert (refunds.amount_fen > 0).all()
    assert (refunds.amount_fen <= orders.paid_fen[order]).all()
    assert (refunds.refunded_at > orders.ordered_at[order]).all()
    assert (refunds.refunded_at >= orders.paid_at[order]).all()
    assert (refunds.refunded_at <= any_brand.end_at).all()
    assert not np.isin(orders.status[order], UNPAID).any()
    on_line = refunds.line >= 0
    line = refunds.line[on_line]
    assert np.array_equal(lines.order[line], order[on_line])
    assert (refunds.amount_fen[on_line] <= lines.amount_fen[line]).all()
    whole = ~on_line
    assert np.array_equal(refunds.amount_fen[whole], orders.paid_fen[order[whole]])


def test_refund_and_status_shares(brand: DemoBrand) -> None:
    orders, refunds = brand.orders, brand.refunds
    assert 0.03 <= len(refunds) / len(orders) <= 0.06
    assert 0.2 < (refunds.line == -1).mean() < 0.6
    assert set(np.unique(orders.status).tolist()) == {s.value for s in OrderStatus}
    assert (orders.status == "completed").mean() > 0.9
    assert 0.005 < (orders.status == "closed").mean() < 0.03
    recent = orders.ordered_at > brand.end_at - np.timedelta64(2, "D")
    assert (orders.status[recent] != "completed").all()


def test_contacts_are_consistent(any_brand: DemoBrand) -> None:
    customers, contacts = any_brand.customers, any_brand.contacts
    assert ((contacts.customer >= 0) & (contacts.customer < len(customers))).all()
    step = np.diff(contacts.customer)
    assert (step >= 0).all()
    assert (contacts.joined_at[1:][step == 0] >= contacts.joined_at[:-1][step == 0]).all()
    left = ~np.isnat(contacts.left_at)
    assert (contacts.joined_at[left] <= contacts.left_at[left]).all()
    assert (contacts.left_at[left] <= any_brand.end_at).all()
    assert (contacts.joined_at <= any_brand.end_at).all()
    assert np.array_equal(left, contacts.left_reason != "")
    assert set(np.unique(contacts.carrier).tolist()) <= {c.value for c in Carrier}
    reasons = set(np.unique(contacts.left_reason[left]).tolist())
    assert reasons <= {r.value for r in LeftReason}
    wecom = contacts.carrier == "wecom"
    assert ((contacts.staff[wecom] >= 0) & (contacts.staff[wecom] < len(any_brand.staff))).all()
    assert (contacts.staff[contacts.carrier == "official_account"] == -1).all()
    member = customers.channel[contacts.customer]
    assert (member >= 0).all()
    assert np.array_equal(contacts.channel, member)


def test_pool_members_and_potential_customers(any_brand: DemoBrand) -> None:
    customers, contacts = any_brand.customers, any_brand.contacts
    in_pool = customers.channel >= 0
    assert np.array_equal(in_pool, ~np.isnat(customers.joined_pool_at))
    assert np.array_equal(np.isin(np.arange(len(customers)), contacts.customer), in_pool)
    potential = in_pool & (customers.n_orders == 0)
    assert potential.sum() > 0
    assert np.isnan(customers.lam[potential]).all()
    assert (customers.expected_purchases_next_365d[potential] == 0).all()
    # every customer who bought but never joined has no contact and no private order
    private = np.array([s.domain == "private" for s in any_brand.shops])[any_brand.orders.shop]
    assert in_pool[any_brand.orders.customer[private]].all()
    joined = customers.joined_pool_at[any_brand.orders.customer[private]]
    assert (any_brand.orders.ordered_at[private] >= joined).all()


def test_identifiers_have_their_formats(any_brand: DemoBrand) -> None:
    customers, orders, contacts = any_brand.customers, any_brand.orders, any_brand.contacts
    phones = customers.phone.tolist()
    assert len(set(phones)) == len(phones)
    assert all(re.fullmatch(r"19[89]\d{8}", p) for p in phones)
    in_pool = customers.channel >= 0
    assert all(re.fullmatch(r"oU[A-Za-z0-9_-]{26}", u) for u in customers.unionid[in_pool].tolist())
    assert (customers.unionid[~in_pool] == "").all()
    wecom = np.zeros(len(customers), dtype=bool)
    wecom[contacts.customer[contacts.carrier == "wecom"]] = True
    assert all(
        re.fullmatch(r"wm[A-Za-z0-9_-]{30}", e) for e in customers.external_userid[wecom].tolist()
    )
    assert (customers.external_userid[~wecom] == "").all()
    emails = customers.email[customers.email != ""].tolist()
    assert all(re.fullmatch(r"\d{9}@[a-z0-9.]+", e) for e in emails)
    assert 0.08 < len(emails) / len(customers) < 0.16
    assert all(2 <= len(n) <= 3 for n in customers.name[:500].tolist())
    numbers = orders.order_no.tolist()
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"\d{16,19}", n) for n in numbers)


def test_buyer_ids_follow_the_platform(any_brand: DemoBrand) -> None:
    orders = any_brand.orders
    prefixes = {"tmall": "tb_", "jd": "jd_", "douyin": "dy_", "pdd": "pdd_"}
    for index, shop in enumerate(any_brand.shops):
        ids = orders.buyer_id[orders.shop == index].tolist()
        if shop.domain == "private":
            assert set(ids) <= {""}
        else:
            assert all(
                re.fullmatch(re.escape(prefixes[shop.platform]) + r"\d{9,12}", i) for i in ids
            )
    public = orders.buyer_id != ""
    owners: dict[str, set[int]] = {}
    for buyer, customer in zip(
        orders.buyer_id[public].tolist(), orders.customer[public].tolist(), strict=True
    ):
        owners.setdefault(buyer, set()).add(customer)
    assert all(len(who) == 1 for who in owners.values())


def test_masked_phones_and_duplicate_buyer_ids_match_their_settings(brand: DemoBrand) -> None:
    orders = brand.orders
    assert abs(orders.phone_masked.mean() - 0.02) < 0.004
    shown = exported_phones(brand)
    masked = shown[orders.phone_masked].tolist()
    assert all(re.fullmatch(r"19[89]\*{4}\d{4}", p) for p in masked)
    full = ~orders.phone_masked
    assert np.array_equal(shown[full], brand.customers.phone[orders.customer[full]])

    public = np.flatnonzero(orders.buyer_id != "")
    ids: dict[tuple[int, int], set[str]] = {}
    for customer, shop, buyer in zip(
        orders.customer[public].tolist(),
        orders.shop[public].tolist(),
        orders.buyer_id[public].tolist(),
        strict=True,
    ):
        ids.setdefault((customer, shop), set()).add(buyer)
    assert max(len(v) for v in ids.values()) == 2
    duplicated = len({customer for (customer, _), v in ids.items() if len(v) == 2})
    buyers = int((brand.customers.n_orders > 0).sum())
    assert abs(duplicated / buyers - 0.005) < 0.002


def test_settings_change_the_identifier_noise() -> None:
    settings = DemoSettings(masked_phone_share=0.2, duplicate_buyer_id_share=0.0)
    result = simulate_brand(orders=5_000, seed=2, settings=settings)
    assert abs(result.orders.phone_masked.mean() - 0.2) < 0.03


def test_channel_costs_are_joiners_times_cost(any_brand: DemoBrand) -> None:
    customers, costs = any_brand.customers, any_brand.channel_costs
    assert (costs.amount_fen > 0).all()
    assert (costs.day >= np.datetime64(any_brand.start, "D")).all()
    assert (costs.day <= np.datetime64(any_brand.end, "D")).all()
    joiners = np.bincount(customers.channel[customers.channel >= 0], minlength=len(CHANNELS))
    spent = np.bincount(costs.channel, weights=costs.amount_fen, minlength=len(CHANNELS))
    expected = joiners * np.array([c.cost_per_joiner_fen for c in any_brand.channels])
    assert np.array_equal(spent.astype(np.int64), expected)
    keys = costs.channel * 100_000 + (costs.day - costs.day.min()).astype(np.int64)
    assert len(np.unique(keys)) == len(costs)


def test_consents(brand: DemoBrand) -> None:
    customers, consents = brand.customers, brand.consents
    assert (np.diff(consents.customer) >= 0).all()
    same = np.diff(consents.customer) == 0
    assert (consents.recorded_at[1:][same] >= consents.recorded_at[:-1][same]).all()
    assert set(np.unique(consents.channel).tolist()) == {"wecom", "sms", "email"}
    assert (customers.channel[consents.customer] >= 0).all()
    assert (consents.recorded_at <= brand.end_at).all()
    members = int((customers.channel >= 0).sum())
    sms_out = (consents.channel == "sms") & ~consents.granted
    assert (consents.source[sms_out] == "opt_out_reply").all()
    assert 0.05 <= sms_out.sum() / members <= 0.1
    granted_sms = (consents.channel == "sms") & consents.granted
    assert granted_sms.sum() == members
    assert {"join", "import"} <= set(np.unique(consents.source[consents.granted]).tolist())


# --------------------------------------------------------------------------------------------
# Statistical truth
# --------------------------------------------------------------------------------------------


def test_hyp2f1_series_matches_closed_forms() -> None:
    z = 0.6
    assert hyp2f1(1, 1, 2, z) == pytest.approx(-np.log(1 - z) / z, rel=1e-12)
    assert hyp2f1(0.5, 1, 1, z) == pytest.approx((1 - z) ** -0.5, rel=1e-12)


@pytest.mark.parametrize("dropout_at_first", [False, True])
def test_cohort_purchases_match_the_bgnbd_closed_form(dropout_at_first: bool) -> None:
    params = PopulationParams(dropout_at_first=dropout_at_first)
    rng = np.random.default_rng(2024)
    n = 200_000
    lam = rng.gamma(params.r, 1 / params.alpha, n)
    p = rng.beta(params.a, params.b, n)
    horizon = 730.0
    history = simulate_purchases(
        lam, p, np.zeros(n), horizon, rng, dropout_at_first=dropout_at_first
    )
    for t in (90.0, 365.0, 730.0):
        repeat = np.bincount(history.customer[(history.day > 0) & (history.day <= t)], minlength=n)
        expected = bgnbd_expected_repeat_purchases(params, t)
        assert repeat.mean() == pytest.approx(expected, rel=0.03), t


@pytest.mark.parametrize("dropout_at_first", [False, True])
def test_closed_form_matches_numerical_integration(dropout_at_first: bool) -> None:
    params = PopulationParams(a=1.6, b=2.4, dropout_at_first=dropout_at_first)
    t = 200.0
    # given p, integrating lam out of (1/p)(1 - exp(-lam p t)) gives (1 - (alpha/(alpha+pt))^r)/p
    edges = np.linspace(0.0, 1.0, 400_001)
    p = (edges[1:] + edges[:-1]) / 2
    log_beta = math.lgamma(params.a + params.b) - math.lgamma(params.a) - math.lgamma(params.b)
    density = np.exp(log_beta + (params.a - 1) * np.log(p) + (params.b - 1) * np.log1p(-p))
    per_p = (1 - (params.alpha / (params.alpha + p * t)) ** params.r) / p
    if dropout_at_first:
        per_p *= 1 - p
    integral = float(np.sum(per_p * density) / p.size)
    assert bgnbd_expected_repeat_purchases(params, t) == pytest.approx(integral, rel=1e-4)


def test_expected_purchases_ground_truth_matches_a_continued_simulation(brand: DemoBrand) -> None:
    customers = brand.customers
    alive = np.flatnonzero(customers.alive_at_end)
    assert (customers.prob_alive_true[alive] == 1).all()
    assert (
        customers.expected_purchases_next_365d[customers.n_orders > 0][
            ~customers.alive_at_end[customers.n_orders > 0]
        ]
        == 0
    ).all()
    rng = np.random.default_rng(99)
    # an alive customer made no purchase at the end instant, so no dropout happens there
    future = simulate_purchases(
        customers.lam[alive],
        customers.p[alive],
        np.zeros(alive.size),
        365.0,
        rng,
        dropout_at_first=False,
    )
    realised = (future.count - 1).mean()
    assert realised == pytest.approx(customers.expected_purchases_next_365d[alive].mean(), rel=0.05)


def test_population_shares_look_like_a_consumer_brand(brand: DemoBrand) -> None:
    customers = brand.customers
    buyers = customers.n_orders > 0
    repeat_share = (customers.n_purchases[buyers] >= 2).mean()
    assert 0.2 <= repeat_share <= 0.35
    assert 1.4 < customers.n_orders[buyers].mean() < 2.2
    assert 0.2 < (customers.channel[buyers] >= 0).mean() < 0.45
    assert 0.05 < (customers.n_orders == 0).mean() < 0.2


def test_channel_quality_shows_in_outcomes(brand: DemoBrand) -> None:
    customers, contacts = brand.customers, brand.contacts
    codes = [c.code for c in brand.channels]
    red, cs = codes.index("red_envelope_card"), codes.index("cs_invite")
    assert brand.channels[red].lambda_multiplier < 1 < brand.channels[cs].lambda_multiplier
    assert brand.channels[red].dropout_multiplier > 1 > brand.channels[cs].dropout_multiplier
    buyers = customers.n_orders > 0
    red_orders = customers.n_purchases[buyers & (customers.channel == red)].mean()
    cs_orders = customers.n_purchases[buyers & (customers.channel == cs)].mean()
    assert red_orders < 0.75 * cs_orders
    assert (customers.channel == red).sum() > 2 * (customers.channel == cs).sum()

    first = np.concatenate([[True], contacts.customer[1:] != contacts.customer[:-1]])
    week = np.timedelta64(7, "D")
    quick = ~np.isnat(contacts.left_at) & (contacts.left_at - contacts.joined_at <= week)

    def quick_share(channel: int) -> float:
        rows = first & (contacts.channel == channel)
        return float(quick[rows].mean())

    assert quick_share(red) > 0.4
    assert quick_share(red) > 5 * quick_share(cs)


def test_first_orders_lean_to_trial_and_later_ones_to_profit(brand: DemoBrand) -> None:
    orders, lines = brand.orders, brand.lines
    is_first = np.zeros(len(orders), dtype=bool)
    is_first[_first_rows(orders.customer)] = True
    roles = np.array([p.role for p in brand.products])[lines.product]
    first_line = is_first[lines.order]
    entry = np.isin(roles, ["traffic", "trial"])
    main = np.isin(roles, ["profit", "expansion"])
    assert entry[first_line].mean() > 2 * entry[~first_line].mean()
    assert main[~first_line].mean() > 1.5 * main[first_line].mean()


def test_realised_spend_follows_the_gamma_gamma_truth(brand: DemoBrand) -> None:
    customers, orders = brand.customers, brand.orders
    paid = orders.paid_fen > 0
    n = len(customers)
    count = np.bincount(orders.customer[paid], minlength=n)
    total = np.bincount(orders.customer[paid], weights=orders.paid_fen[paid], minlength=n)
    has = count > 0
    realised, truth = total[has] / count[has], customers.spend_mean_fen[has]
    assert 0.85 < realised.sum() / truth.sum() < 1.2
    edges = np.quantile(truth, [0.2, 0.4, 0.6, 0.8])
    bins = np.digitize(truth, edges)
    means = [realised[bins == b].mean() for b in range(5)]
    assert all(a < b for a, b in itertools.pairwise(means))


def test_pool_members_shift_to_private_shops(brand: DemoBrand) -> None:
    orders, customers = brand.orders, brand.customers
    private = np.array([s.domain == "private" for s in brand.shops])[orders.shop]
    is_first = np.zeros(len(orders), dtype=bool)
    is_first[_first_rows(orders.customer)] = True
    assert private[is_first].mean() < 0.1
    later = ~is_first & (orders.ordered_at > customers.joined_pool_at[orders.customer])
    assert private[later].mean() > 0.3


def test_buyers_lean_to_their_favourite_series(brand: DemoBrand) -> None:
    customers, lines = brand.customers, brand.lines
    series = np.array([p.series for p in brand.products])[lines.product]
    favourite = np.array(SERIES)[customers.favourite_series[brand.orders.customer[lines.order]]]
    in_series = series != ""
    assert (customers.favourite_series[customers.n_orders == 0] == -1).all()
    # uniform favourites and no affinity would match about one line in six
    assert (series[in_series] == favourite[in_series]).mean() > 0.35


def test_trial_buyers_come_back_for_the_main_product_of_their_series(brand: DemoBrand) -> None:
    orders, lines = brand.orders, brand.lines
    roles = np.array([p.role for p in brand.products])[lines.product]
    series = np.array([p.series for p in brand.products])[lines.product]
    customer = orders.customer[lines.order]
    trial = (roles == "trial") & (series != "")
    main = (roles == "profit") & (series != "")
    trial_at = np.flatnonzero(trial)
    who, first = np.unique(customer[trial_at], return_index=True)
    first_trial = np.full(len(brand.customers), -1)
    first_trial[who] = trial_at[first]
    main_at = np.flatnonzero(main)
    since = first_trial[customer[main_at]]
    later = main_at[(since >= 0) & (main_at > since)]
    matched = series[later] == series[first_trial[customer[later]]]
    assert matched.size > 500
    assert np.mean(matched) > 0.25  # 0.10 without the affinity (prices differ by series)


def test_owners_do_not_buy_the_same_durable_product_again(brand: DemoBrand) -> None:
    lines = brand.lines
    durable = np.array([p.durable for p in brand.products])
    assert durable.any()
    rows = durable[lines.product]
    pair = brand.orders.customer[lines.order][rows] * len(brand.products) + lines.product[rows]
    _, counts = np.unique(pair, return_counts=True)
    assert (counts > 1).mean() < 0.01
