"""Random sequences of earn / redeem / expire / refund / top-up / spend keep every invariant.

A Hypothesis state machine drives the real use cases (each step one request: a savepoint
that a refused request rolls back) against a plain model of what each customer should
hold, and after every step checks the model and the ledger audit: every stored balance
equals the sum of its lines, every posting balances per unit, no account has the wrong
sign, points lots add up to points balances.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from siyu.kit.errors import SiyuError
from siyu.loyalty import service
from siyu.loyalty.rules import topup_refund
from siyu.loyalty.schemas import (
    EarnCreate,
    EarnRuleConfig,
    OrderEarnCreate,
    OrderReverseCreate,
    ProgramConfig,
    RedeemCreate,
    SpendCreate,
    SpendRefundCreate,
    TierConfig,
    TopupCreate,
    TopupRefundCreate,
    TopupRuleConfig,
)
from siyu.models import Order, Workspace
from tests.fixtures.loyalty import T0, customers, digest, order

EXAMPLES = itertools.count()
VALIDITY = 90
CONFIG = ProgramConfig(
    points_validity_days=VALIDITY,
    tiers=[TierConfig(code="member", name="member", rank=0)],
    earn_rules=[EarnRuleConfig(code="spend", kind="spend", points=1, per_fen=100)],
    topup_rules=[
        TopupRuleConfig(code="t500", min_topup_fen=50_000, bonus_fen=5_000),
        TopupRuleConfig(code="t1000", min_topup_fen=100_000, bonus_fen=15_000),
    ],
)


@dataclass
class Lot:
    """The model's points lot."""

    remaining: int
    expires_at: datetime
    source: str


@dataclass
class Holder:
    """What the model says a customer holds."""

    lots: list[Lot] = field(default_factory=list)
    owed: int = 0
    principal: int = 0
    bonus: int = 0

    def available(self, now: datetime) -> int:
        """Points that can be spent now."""
        return sum(lot.remaining for lot in self.lots if lot.expires_at > now)

    def take(self, amount: int, now: datetime, first: str | None = None) -> int:
        """Take points (the lot of `first` before the others, else soonest-expiring first)."""
        live = [lot for lot in self.lots if lot.expires_at > now]
        live.sort(key=lambda lot: (lot.source != first, lot.expires_at))
        left = amount
        for lot in live:
            got = min(lot.remaining, left)
            lot.remaining -= got
            left -= got
        return amount - left


@dataclass(frozen=True)
class Sent:
    """A request that posted, to retry or refund later."""

    call: Callable[[], Any]
    posting_id: int
    customer: int
    key: str
    amount: int


def _machine(session: Session) -> type[RuleBasedStateMachine]:
    class Ledger(RuleBasedStateMachine):
        orders = Bundle("orders")
        spends = Bundle("spends")
        topups = Bundle("topups")
        sent = Bundle("sent")

        @initialize()
        def start(self) -> None:
            self.serial = 0
            self.now = T0
            self.example = session.begin_nested()  # rolled back in teardown: examples stay apart
            workspace = Workspace(slug=f"sm-{next(EXAMPLES)}", name="sm")
            session.add(workspace)
            session.flush()
            self.ws = workspace.id
            service.apply_program(session, self.ws, CONFIG)
            self.people = customers(session, self.ws, 2)
            self.model = {c: Holder() for c in self.people}

        def teardown(self) -> None:
            if hasattr(self, "example") and self.example.is_active:
                self.example.rollback()

        # --- helpers -----------------------------------------------------------------------

        def key(self) -> str:
            self.serial += 1
            return f"k{self.serial}"

        def request(self, call: Callable[[], Any]) -> Any:
            """One request: a savepoint the request's error rolls back."""
            with session.begin_nested():
                return call()

        def refused(self, call: Callable[[], Any], key: str) -> None:
            before = digest(session, self.ws)
            try:
                self.request(call)
            except SiyuError as error:
                assert error.key == key, error.key
            else:
                raise AssertionError(f"expected {key}")
            session.expire_all()
            assert digest(session, self.ws) == before

        def earned(self, holder: Holder, points: int, source: str) -> None:
            repay = min(points, holder.owed)
            holder.owed -= repay
            if points - repay:
                expires = self.now + timedelta(days=VALIDITY)
                holder.lots.append(Lot(points - repay, expires, source))

        # --- points ------------------------------------------------------------------------

        @rule(target=sent, who=st.integers(0, 1), points=st.integers(1, 400))
        def earn(self, who: int, points: int) -> Sent:
            c, key = self.people[who], self.key()
            body = EarnCreate(customer_id=c, points=points, key=key)
            call = lambda: service.earn(session, self.ws, body, at=self.now)  # noqa: E731
            posted = self.request(call)
            self.earned(self.model[c], points, posted.key)
            return Sent(call, posted.id, c, key, points)

        @rule(target=orders, who=st.integers(0, 1), paid=st.integers(100, 60_000))
        def buy(self, who: int, paid: int) -> tuple[int, int, int]:
            c = self.people[who]
            placed = order(session, self.ws, c, paid_fen=paid, at=self.now)
            body = OrderEarnCreate(order_id=placed.id)
            posted = self.request(lambda: service.earn_order(session, self.ws, body, at=self.now))
            self.earned(self.model[c], paid // 100, posted.key)
            return placed.id, c, paid // 100

        @rule(bought=consumes(orders))
        def refund_order(self, bought: tuple[int, int, int]) -> None:
            order_id, c, points = bought
            session.execute(
                update(Order).where(Order.id == order_id).values(refunded_fen=Order.paid_fen)
            )
            body = OrderReverseCreate(order_id=order_id)
            posted = self.request(
                lambda: service.reverse_order(session, self.ws, body, at=self.now)
            )
            assert (posted is None) == (points == 0)
            holder = self.model[c]
            taken = holder.take(points, self.now, first=f"order:{order_id}:earn")
            holder.owed += points - taken
            again = self.request(lambda: service.reverse_order(session, self.ws, body, at=self.now))
            assert again is None or again.replayed

        @rule(who=st.integers(0, 1), paid=st.integers(100, 60_000))
        def refund_after_spending(self, who: int, paid: int) -> None:
            """Buy, spend every point, then the order is refunded: the points become owed."""
            bought = self.buy(who, paid)
            self.redeem_everything(who)
            self.refund_order(bought)

        @rule(who=st.integers(0, 1), points=st.integers(1, 600))
        def redeem(self, who: int, points: int) -> None:
            c, holder = self.people[who], self.model[self.people[who]]
            body = RedeemCreate(customer_id=c, points=points, key=self.key())
            call = lambda: service.redeem(session, self.ws, body, at=self.now)  # noqa: E731
            if points > holder.available(self.now):
                self.refused(call, "loyalty.insufficient_points")
                return
            self.request(call)
            holder.take(points, self.now)

        @rule(who=st.integers(0, 1))
        def redeem_everything(self, who: int) -> None:
            c, holder = self.people[who], self.model[self.people[who]]
            points = holder.available(self.now)
            if points:
                body = RedeemCreate(customer_id=c, points=points, key=self.key())
                self.request(lambda: service.redeem(session, self.ws, body, at=self.now))
                holder.take(points, self.now)

        @rule(days=st.integers(1, 60))
        def time_passes(self, days: int) -> None:
            self.now += timedelta(days=days)

        @rule()
        def expire(self) -> None:
            self.request(lambda: service.expire_points(session, self.ws, at=self.now))

        # --- stored value ------------------------------------------------------------------

        @rule(target=topups, who=st.integers(0, 1), amount=st.integers(1, 150_000))
        def top_up(self, who: int, amount: int) -> Sent:
            c, key = self.people[who], self.key()
            body = TopupCreate(customer_id=c, amount_fen=amount, key=key)
            call = lambda: service.topup(session, self.ws, body, at=self.now)  # noqa: E731
            posted = self.request(call)
            bonus = 15_000 if amount >= 100_000 else 5_000 if amount >= 50_000 else 0
            self.model[c].principal += amount
            self.model[c].bonus += bonus
            return Sent(call, posted.id, c, key, amount)

        @rule(target=spends, who=st.integers(0, 1), amount=st.integers(1, 120_000))
        def spend(self, who: int, amount: int) -> Sent:
            c, key = self.people[who], self.key()
            holder = self.model[c]
            body = SpendCreate(customer_id=c, amount_fen=amount, key=key)
            call = lambda: service.spend(session, self.ws, body, at=self.now)  # noqa: E731
            if amount > holder.principal + holder.bonus:
                self.refused(call, "loyalty.insufficient_balance")
                return Sent(call, 0, c, key, 0)
            posted = self.request(call)
            from_bonus = min(holder.bonus, amount)
            holder.bonus -= from_bonus
            holder.principal -= amount - from_bonus
            self.spent = getattr(self, "spent", {})
            self.spent[key] = [amount - from_bonus, from_bonus]
            return Sent(call, posted.id, c, key, amount)

        @rule(spent=spends, amount=st.integers(1, 50_000))
        def refund_spend(self, spent: Sent, amount: int) -> None:
            body = SpendRefundCreate(spend_key=spent.key, amount_fen=amount, key=self.key())
            call = lambda: service.refund_spend(session, self.ws, body, at=self.now)  # noqa: E731
            if spent.posting_id == 0:
                self.refused(call, "loyalty.posting_unknown")
                return
            left = self.spent[spent.key]
            if amount > sum(left):
                self.refused(call, "loyalty.refund_too_large")
                return
            self.request(call)
            to_principal = min(amount, left[0])
            left[0] -= to_principal
            left[1] -= amount - to_principal
            self.model[spent.customer].principal += to_principal
            self.model[spent.customer].bonus += amount - to_principal

        @rule(topped=topups, amount=st.none() | st.integers(1, 100_000))
        def refund_topup(self, topped: Sent, amount: int | None) -> None:
            holder = self.model[topped.customer]
            self.refunds = getattr(self, "refunds", {})
            done = self.refunds.get(topped.key, (0, 0))
            bonus = 15_000 if topped.amount >= 100_000 else 5_000 if topped.amount >= 50_000 else 0
            body = TopupRefundCreate(topup_key=topped.key, amount_fen=amount, key=self.key())
            call = lambda: service.refund_topup(session, self.ws, body, at=self.now)  # noqa: E731
            try:
                plan = topup_refund(
                    requested=amount, topup=(topped.amount, bonus), done=done,
                    balances=(holder.principal, holder.bonus),
                )  # fmt: skip
            except SiyuError as error:
                self.refused(call, error.key)
                return
            self.request(call)
            holder.principal -= plan.principal
            holder.bonus -= plan.bonus_clawed
            self.refunds[topped.key] = (
                done[0] + plan.principal,
                done[1] + plan.bonus_clawed + plan.shortfall,
            )

        # --- retries and bad input ---------------------------------------------------------

        @rule(earlier=st.one_of(spends, topups, sent))
        def retry(self, earlier: Sent) -> None:
            if earlier.posting_id == 0:
                return
            before = digest(session, self.ws)
            again = self.request(earlier.call)
            assert again.replayed and again.id == earlier.posting_id
            assert digest(session, self.ws) == before

        @rule(who=st.integers(0, 1), bad=st.sampled_from([0, -1, -500, 2.5, "7", True]))
        def bad_amount(self, who: int, bad: object) -> None:
            c = self.people[who]
            body = SpendCreate.model_construct(
                customer_id=c, amount_fen=bad, key=self.key(), reference=""
            )
            before = digest(session, self.ws)
            try:
                self.request(lambda: service.spend(session, self.ws, body, at=self.now))
            except SiyuError as error:
                assert error.key.startswith("loyalty.amount_")
            else:
                raise AssertionError("a bad amount was accepted")
            assert digest(session, self.ws) == before

        # --- invariants --------------------------------------------------------------------

        @invariant()
        def books_balance(self) -> None:
            report = service.audit(session, self.ws)
            assert report.issues == [], report.issues

        @invariant()
        def model_agrees(self) -> None:
            for c, holder in self.model.items():
                shown = service.balance(session, self.ws, c, at=self.now)
                expected = (holder.available(self.now), holder.owed, holder.principal, holder.bonus)
                assert (
                    shown.points,
                    shown.points_owed,
                    shown.principal_fen,
                    shown.bonus_fen,
                ) == expected
                assert min(expected) >= 0

    return Ledger


def test_random_sequences_keep_every_invariant(session: Session, engine: Engine) -> None:
    examples = 40 if engine.dialect.name == "sqlite" else 12
    run_state_machine_as_test(
        _machine(session),
        settings=settings(
            max_examples=examples, stateful_step_count=40, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )  # fmt: skip
