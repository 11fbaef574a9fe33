"""Segment rules: validation with clear errors, the text language, vectorised evaluation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.segments.rules import (
    FIELDS,
    Cond,
    Group,
    RuleError,
    SegmentData,
    SetColumn,
    evaluate,
    parse_rule,
    parse_text,
    read_rule,
    sources,
    to_tree,
)

STAGES = FIELDS["stage"].values or ()
TIERS = FIELDS["tier"].values or ()


def _error(rule: Any, **kw: Any) -> RuleError:
    with pytest.raises(RuleError) as caught:
        parse_rule(read_rule(rule) if isinstance(rule, str) else rule, **kw)
    return caught.value


def test_text_and_json_give_the_same_tree() -> None:
    text = "stage in [silent, dormant] and clv_fen >= 50000 and not tags has vip"
    tree = {"all": [
        {"field": "stage", "op": "in", "value": ["silent", "dormant"]},
        {"field": "clv_fen", "op": ">=", "value": 50000},
        {"not": {"field": "tags", "op": "has", "value": "vip"}},
    ]}  # fmt: skip
    assert to_tree(parse_rule(read_rule(text))) == tree
    assert to_tree(parse_rule(tree)) == tree
    assert sources(parse_rule(tree)) == {"profile", "tags"}


def test_text_language_precedence_and_forms() -> None:
    tree = parse_text(
        "tier >= repeat or consent.sms = granted and days_to_next_purchase between -3 and 3.5"
    )
    assert tree == {"any": [
        {"field": "tier", "op": ">=", "value": "repeat"},
        {"all": [{"field": "consent.sms", "op": "=", "value": "granted"},
                 {"field": "days_to_next_purchase", "op": "between", "value": [-3, 3.5]}]},
    ]}  # fmt: skip
    assert parse_text("(a = 1 or b = 2) and c is not null") == {"all": [
        {"any": [{"field": "a", "op": "=", "value": 1}, {"field": "b", "op": "=", "value": 2}]},
        {"field": "c", "op": "not_null"},
    ]}  # fmt: skip
    assert parse_text("tags has_any ('会员', \"新客 A\")") == {
        "field": "tags",
        "op": "has_any",
        "value": ["会员", "新客 A"],
    }
    assert parse_text("stage not in [churned]")["op"] == "not_in"
    assert parse_text("in_pool = true")["value"] is True


@pytest.mark.parametrize(
    ("rule", "key", "fragment"),
    [
        ("stgae = active", "segment.rule_unknown_field", "Try: stage"),
        ("stage = slient", "segment.rule_unknown_value", "Try: silent"),
        ("clv_fen >= lots", "segment.rule_bad_value", "a whole number"),
        ("n_purchases = 1.5", "segment.rule_bad_value", "a whole number"),
        ("p_alive between 0.9 and 0.1", "segment.rule_bad_value", "low then high"),
        ("tags > 3", "segment.rule_bad_op", "has, has_any"),
        ("stage in [silent", "segment.rule_syntax", "expected ']'"),
        ("stage", "segment.rule_syntax", "an operator"),
        ("stage = active and", "segment.rule_syntax", "a field name"),
        ('{"all": []}', "segment.rule_empty_group", "$.all"),
        ('{"field": "stage"}', "segment.rule_shape", "$"),
        ('{"field": "stage", "op": "in"', "segment.rule_json", "character"),
        ('{"field": "p_alive", "op": "is_null", "value": 3}', "segment.rule_no_value", "$.value"),
        ("in_pool = 1", "segment.rule_bad_value", "true or false"),
    ],
)
def test_bad_rules_say_where_and_what(rule: str, key: str, fragment: str) -> None:
    error = _error(rule)
    assert error.key == key
    assert fragment in error.message("en")
    assert error.message("zh-CN") != error.message("en")
    assert error.status_code == 422


def test_path_points_into_the_tree() -> None:
    error = _error({"all": [{"field": "stage", "op": "=", "value": "active"},
                            {"any": [{"field": "tier", "op": "=", "value": "vip"}]}]})  # fmt: skip
    assert "$.all[1].any[0].value" in error.message("en")


def test_workspace_vocabulary_closes_entry_channel() -> None:
    vocab = {"entry_channel": ["card", "live"]}
    assert parse_rule(parse_text("entry_channel = card"), vocabularies=vocab)
    assert _error("entry_channel = cart", vocabularies=vocab).key == "segment.rule_unknown_value"


def test_limits() -> None:
    deep: dict[str, Any] = {"field": "stage", "op": "=", "value": "active"}
    for _ in range(13):
        deep = {"not": deep}
    assert _error(deep).key == "segment.rule_too_deep"
    wide = {"any": [{"field": "n_purchases", "op": "=", "value": i} for i in range(201)]}
    assert _error(wide).key == "segment.rule_too_big"


def _data() -> SegmentData:
    ids = np.array([10, 20, 30, 40, 50], dtype=np.int64)
    return SegmentData(
        customer_ids=ids,
        columns={
            "stage": np.array([1, 2, 3, -1, 4]),
            "clv_fen": np.array([100.0, np.nan, 5000.0, 0.0, 300.0]),
            "in_pool": np.array([True, False, True, True, False]),
        },
        vocab={"stage": STAGES},
        sets={"tags": SetColumn(np.array([0, 0, 2, 4]), np.array([0, 1, 1, 0]), ("vip", "baby"))},
    )


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("stage >= silent", [20, 30, 50]),
        ("stage < dormant", [10, 20]),
        ("stage != active", [20, 30, 50]),
        ("stage in [active, churned]", [10, 50]),
        ("stage not in [active]", [20, 30, 50]),
        ("clv_fen > 50", [10, 30, 50]),
        ("clv_fen != 100", [30, 40, 50]),
        ("clv_fen is null", [20]),
        ("not clv_fen > 50", [20, 40]),
        ("in_pool = false", [20, 50]),
        ("tags has baby", [10, 30]),
        ("tags has_all [vip, baby]", [10]),
        ("tags has_all [vip, nobody]", []),
        ("tags has_none [vip]", [20, 30, 40]),
        ("tags has_any [vip, baby] and clv_fen between 100 and 300", [10, 50]),
    ],
)
def test_evaluation(rule: str, expected: list[int]) -> None:
    data = _data()
    assert data.take(evaluate(parse_rule(read_rule(rule)), data)).tolist() == expected


# A reference evaluator, one customer at a time, for random rules over random data.

NUMERIC = ("clv_fen", "p_alive")


def _row_value(data: SegmentData, name: str, i: int) -> Any:
    return data.columns[name][i]


def _reference(node: Any, data: SegmentData, i: int) -> bool:
    if isinstance(node, Group):
        results = [_reference(c, data, i) for c in node.children]
        return {"all": all, "any": any, "not": lambda r: not r[0]}[node.kind](results)
    assert isinstance(node, Cond)
    if node.field == "tags":
        column = data.sets["tags"]
        held = {column.names[c] for p, c in zip(column.positions, column.codes, strict=True)
                if p == i}  # fmt: skip
        wanted = {node.value} if node.op == "has" else set(node.value)
        return {"has": bool(held & wanted), "has_any": bool(held & wanted),
                "has_all": wanted <= held, "has_none": not held & wanted}[node.op]  # fmt: skip
    value = _row_value(data, node.field, i)
    if node.field == "stage":
        if value < 0:
            return False
        name = STAGES[value]
        ranks = {s: k for k, s in enumerate(STAGES)}
        ops = {
            "=": name == node.value,
            "!=": name != node.value,
            "<": value < ranks.get(node.value, -9),
            "<=": value <= ranks.get(node.value, -9),
            ">": value > ranks.get(node.value, 99),
            ">=": value >= ranks.get(node.value, 99),
        }
        if node.op in ops:
            return bool(ops[node.op])
        return (name in node.value) == (node.op == "in")  # fmt: skip
    if math.isnan(value):
        return node.op == "is_null"
    if node.op in ("is_null", "not_null"):
        return node.op == "not_null"
    if node.op == "between":
        return bool(node.value[0] <= value <= node.value[1])
    compare = {"=": float.__eq__, "!=": float.__ne__, "<": float.__lt__, "<=": float.__le__,
               ">": float.__gt__, ">=": float.__ge__}[node.op]  # fmt: skip
    return bool(compare(float(value), float(node.value)))


_cond = st.one_of(
    st.builds(lambda f, op, v: {"field": f, "op": op, "value": v}, st.sampled_from(NUMERIC),
              st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), st.integers(0, 4)),
    st.builds(lambda f, op: {"field": f, "op": op}, st.sampled_from(NUMERIC),
              st.sampled_from(["is_null", "not_null"])),
    st.builds(lambda lo, hi: {"field": "p_alive", "op": "between", "value": [lo, lo + hi]},
              st.integers(0, 3), st.integers(0, 2)),
    st.builds(lambda op, v: {"field": "stage", "op": op, "value": v},
              st.sampled_from(["=", "!=", "<", ">="]), st.sampled_from(STAGES)),
    st.builds(lambda op, v: {"field": "stage", "op": op, "value": v},
              st.sampled_from(["in", "not_in"]), st.lists(st.sampled_from(STAGES), min_size=1)),
    st.builds(lambda op, v: {"field": "tags", "op": op, "value": v},
              st.sampled_from(["has_any", "has_all", "has_none"]),
              st.lists(st.sampled_from(["a", "b", "c", "zz"]), min_size=1, max_size=3)),
)  # fmt: skip
_rule = st.recursive(
    _cond,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=8,
)


@st.composite
def _random_data(draw: st.DrawFn) -> SegmentData:
    n = draw(st.integers(1, 12))
    maybe = st.one_of(st.just(math.nan), st.integers(0, 4).map(float))
    tag_rows = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 2)), max_size=20))
    unique = sorted(set(tag_rows))
    return SegmentData(
        customer_ids=np.arange(1, n + 1, dtype=np.int64),
        columns={
            "clv_fen": np.array(draw(st.lists(maybe, min_size=n, max_size=n))),
            "p_alive": np.array(draw(st.lists(maybe, min_size=n, max_size=n))),
            "stage": np.array(draw(st.lists(st.integers(-1, 4), min_size=n, max_size=n))),
        },
        vocab={"stage": STAGES},
        sets={"tags": SetColumn(np.array([p for p, _ in unique], dtype=np.int64),
                                np.array([c for _, c in unique], dtype=np.int64),
                                ("a", "b", "c"))},
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_rule, _random_data())
def test_vectorised_evaluation_matches_row_by_row(tree: dict[str, Any], data: SegmentData) -> None:
    node = parse_rule(tree)
    mask = evaluate(node, data)
    expected = [_reference(node, data, i) for i in range(data.size)]
    assert mask.tolist() == expected
    assert to_tree(parse_rule(to_tree(node))) == to_tree(node)
