"""Segment rules: a JSON rule tree (or a small text language compiled to it), validated against
a catalogue of fields and evaluated for every customer at once with NumPy.

A rule is a condition ``{"field": "stage", "op": "in", "value": ["silent", "dormant"]}`` or a
group ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": rule}``. A condition on a missing
value (no CLV yet, never contacted) is false; ``not`` negates the whole condition. The text
language says the same thing shorter::

    stage in [silent, dormant] and clv_fen >= 50000 and not tags has vip

Pure: no database, no clock (the caller passes the data and "now").
"""

from __future__ import annotations

import difflib
import json
import operator
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

from siyu.analytics import ladder, lifecycle, rfm
from siyu.kit.errors import ValidationError
from siyu.models.enums import Carrier, ConsentChannel

Kind = Literal["number", "integer", "ordinal", "enum", "bool", "set"]
Source = Literal["profile", "tags", "carriers", "consent", "touches", "pool", "channel"]
Mask = NDArray[np.bool_]

CONSENT_STATES: Final = ("unknown", "granted", "withdrawn")
"""Consent state codes: the latest marketing record of a channel (an opt-out of every
channel counts as withdrawn for each)."""

MAX_DEPTH: Final = 12
MAX_CONDITIONS: Final = 200
MAX_LIST: Final = 1000

_COMPARE: Final = ("=", "!=", "<", "<=", ">", ">=")
OPS: Final[dict[Kind, tuple[str, ...]]] = {
    "number": (*_COMPARE, "between", "is_null", "not_null"),
    "integer": (*_COMPARE, "between", "is_null", "not_null"),
    "ordinal": (*_COMPARE, "in", "not_in"),
    "enum": ("=", "!=", "in", "not_in", "is_null", "not_null"),
    "bool": ("=",),
    "set": ("has", "has_any", "has_all", "has_none"),
}
_NO_VALUE: Final = frozenset({"is_null", "not_null"})
_LIST_OPS: Final = frozenset({"in", "not_in", "has_any", "has_all", "has_none", "between"})


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field rules can test: its kind, where its data comes from and its closed vocabulary."""

    name: str
    kind: Kind
    source: Source
    en: str
    zh: str
    values: tuple[str, ...] | None = None


def _catalogue() -> dict[str, FieldSpec]:
    num: Kind = "number"
    integer: Kind = "integer"
    specs = [
        FieldSpec("tier", "ordinal", "profile", "ladder tier", "价值阶梯", ladder.TIERS),
        FieldSpec("stage", "ordinal", "profile", "lifecycle stage", "生命周期", lifecycle.STAGES),
        FieldSpec("rfm_segment", "enum", "profile", "RFM segment", "RFM 分群", rfm.SEGMENTS),
        FieldSpec("rfm_r", integer, "profile", "RFM recency score", "R 分"),
        FieldSpec("rfm_f", integer, "profile", "RFM frequency score", "F 分"),
        FieldSpec("rfm_m", integer, "profile", "RFM monetary score", "M 分"),
        FieldSpec("n_purchases", integer, "profile", "purchases", "购买次数"),
        FieldSpec("net_paid_fen", integer, "profile", "net paid (fen)", "净支付（分）"),
        FieldSpec("clv_fen", integer, "profile", "12-month CLV (fen)", "12 个月 CLV（分）"),
        FieldSpec(
            "expected_spend_fen",
            integer,
            "profile",
            "expected order value (fen)",
            "预计客单价（分）",
        ),
        FieldSpec("p_alive", num, "profile", "probability alive", "存活概率"),
        FieldSpec(
            "expected_purchases_365d",
            num,
            "profile",
            "expected purchases in 365 days",
            "未来 365 天预计购买次数",
        ),
        FieldSpec("cycle_days", num, "profile", "own purchase cycle (days)", "购买周期（天）"),
        FieldSpec(
            "days_since_purchase", num, "profile", "days since last purchase", "距上次购买天数"
        ),
        FieldSpec(
            "days_to_next_purchase",
            num,
            "profile",
            "days to expected next purchase",
            "距预计下次购买天数",
        ),
        FieldSpec(
            "days_to_due",
            num,
            "profile",
            "days until the next purchase by the customer's own cycle (negative: overdue)",
            "按自身购买周期距下次购买天数（负数为已超期）",
        ),
        FieldSpec("in_pool", "bool", "profile", "in the private pool", "在私域池中"),
        FieldSpec("entry_channel", "enum", "channel", "channel of entry", "入池渠道"),
        FieldSpec("tags", "set", "tags", "tags", "标签"),
        FieldSpec(
            "carriers",
            "set",
            "carriers",
            "active carriers",
            "当前所在载体",
            tuple(c.value for c in Carrier),
        ),
        FieldSpec(
            "days_since_left",
            num,
            "pool",
            "days since the customer last left a carrier",
            "距上次离开载体天数",
        ),
        FieldSpec(
            "touches_7d", integer, "touches", "contacts in the last 7 days", "近 7 天触达次数"
        ),
        FieldSpec(
            "touches_30d", integer, "touches", "contacts in the last 30 days", "近 30 天触达次数"
        ),
        FieldSpec(
            "promotions_30d",
            integer,
            "touches",
            "promotions in the last 30 days",
            "近 30 天促销触达次数",
        ),
        FieldSpec(
            "days_since_touch", num, "touches", "days since the last contact", "距上次触达天数"
        ),
    ]
    specs += [
        FieldSpec(
            f"consent.{c.value}",
            "enum",
            "consent",
            f"marketing consent on {c.value}",
            f"{c.value} 营销授权",
            CONSENT_STATES,
        )
        for c in ConsentChannel
    ]
    return {s.name: s for s in specs}


FIELDS: Final[dict[str, FieldSpec]] = _catalogue()


class RuleError(ValidationError):
    """A rule that cannot be used; the message names where in the rule and what is wrong."""

    key = "segment.rule_invalid"

    def details(self, locale: str = "en") -> list[dict[str, Any]] | None:
        """The bad part of the rule: a tree path ($.all[1].value) or a character (pos 17)."""
        where = self.params.get("path") or (f"pos {self.params['pos']}"
                                             if "pos" in self.params else "$")  # fmt: skip
        return [{"loc": ["body", "rule", str(where)], "msg": self.message(locale),
                 "type": self.key}]  # fmt: skip


def _choices(word: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, known, n=3, cutoff=0.6)
    return ", ".join(close or known[:40])


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True, slots=True)
class Cond:
    """One test on one field."""

    field: str
    op: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class Group:
    """All, any or not of its children."""

    kind: Literal["all", "any", "not"]
    children: tuple[Node, ...]


Node = Cond | Group


@dataclass
class _Budget:
    conditions: int = 0


def parse_rule(tree: Any, *, vocabularies: Mapping[str, Sequence[str]] | None = None) -> Node:
    """Validate a JSON rule tree and return it as nodes; raise RuleError saying where it fails.

    ``vocabularies`` closes open fields for this workspace (e.g. ``entry_channel`` codes).
    """
    return _node(tree, "$", 1, _Budget(), vocabularies or {})


def _node(
    tree: Any, path: str, depth: int, budget: _Budget, vocab: Mapping[str, Sequence[str]]
) -> Node:
    if depth > MAX_DEPTH:
        raise RuleError("segment.rule_too_deep", path=path, limit=MAX_DEPTH)
    if not isinstance(tree, dict):
        raise RuleError("segment.rule_shape", path=path)
    groups = [k for k in ("all", "any", "not") if k in tree]
    if groups:
        if len(tree) != 1:
            raise RuleError("segment.rule_shape", path=path)
        kind = groups[0]
        if kind == "not":
            return Group("not", (_node(tree["not"], f"{path}.not", depth + 1, budget, vocab),))
        items = tree[kind]
        if not isinstance(items, list) or not items:
            raise RuleError("segment.rule_empty_group", path=f"{path}.{kind}", group=kind)
        children = tuple(
            _node(item, f"{path}.{kind}[{i}]", depth + 1, budget, vocab)
            for i, item in enumerate(items)
        )
        return Group("all" if kind == "all" else "any", children)
    budget.conditions += 1
    if budget.conditions > MAX_CONDITIONS:
        raise RuleError("segment.rule_too_big", path=path, limit=MAX_CONDITIONS)
    return _condition(tree, path, vocab)


def _condition(tree: dict[str, Any], path: str, vocab: Mapping[str, Sequence[str]]) -> Cond:
    if set(tree) - {"field", "op", "value"} or "field" not in tree or "op" not in tree:
        raise RuleError("segment.rule_shape", path=path)
    name, op = tree["field"], tree["op"]
    if not isinstance(name, str) or name not in FIELDS:
        raise RuleError("segment.rule_unknown_field", path=f"{path}.field", field=str(name),
                        choices=_choices(str(name), list(FIELDS)))  # fmt: skip
    spec = FIELDS[name]
    op = "=" if op == "==" else op
    if op not in OPS[spec.kind]:
        raise RuleError("segment.rule_bad_op", path=f"{path}.op", field=name, op=str(op),
                        ops=", ".join(OPS[spec.kind]))  # fmt: skip
    if op in _NO_VALUE:
        if tree.get("value") is not None:
            raise RuleError("segment.rule_no_value", path=f"{path}.value", op=op)
        return Cond(name, op)
    if "value" not in tree:
        raise RuleError("segment.rule_missing_value", path=f"{path}.value", op=op)
    value = _value(spec, op, tree["value"], f"{path}.value", vocab)
    return Cond(name, op, value)


_EXPECT: Final[dict[str, tuple[str, str]]] = {
    "number": ("a number", "数字"),
    "integer": ("a whole number", "整数"),
    "bool": ("true or false", "true 或 false"),
    "text": ("a text value", "文本值"),
    "list": ("a list of values", "值列表"),
    "pair": ("a list of two numbers, low then high", "两个数字（先小后大）的列表"),
}


def _bad(path: str, field_name: str, value: Any, expected: str) -> RuleError:
    en, zh = _EXPECT[expected]
    shown = json.dumps(value, ensure_ascii=False)[:80]
    return RuleError("segment.rule_bad_value", path=path, field=field_name, value=shown,
                     expected_en=en, expected_zh=zh)  # fmt: skip


def _value(
    spec: FieldSpec, op: str, raw: Any, path: str, vocab: Mapping[str, Sequence[str]]
) -> Any:
    if op == "between":
        ok = isinstance(raw, list) and len(raw) == 2 and all(_is_number(v) for v in raw)
        if not ok or raw[0] > raw[1]:
            raise _bad(path, spec.name, raw, "pair")
        return (float(raw[0]), float(raw[1]))
    if op in _LIST_OPS:
        if not isinstance(raw, list) or not raw or len(raw) > MAX_LIST:
            raise _bad(path, spec.name, raw, "list")
        return tuple(_scalar(spec, v, f"{path}[{i}]", vocab) for i, v in enumerate(raw))
    return _scalar(spec, raw, path, vocab)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _scalar(spec: FieldSpec, raw: Any, path: str, vocab: Mapping[str, Sequence[str]]) -> Any:
    if spec.kind in ("number", "integer"):
        if not _is_number(raw) or (spec.kind == "integer" and raw != int(raw)):
            raise _bad(path, spec.name, raw, spec.kind)
        return float(raw)
    if spec.kind == "bool":
        if not isinstance(raw, bool):
            raise _bad(path, spec.name, raw, "bool")
        return raw
    if not isinstance(raw, str) or not raw.strip():
        raise _bad(path, spec.name, raw, "text")
    known = spec.values if spec.values is not None else vocab.get(spec.name)
    if known is not None and raw not in known:
        raise RuleError("segment.rule_unknown_value", path=path, field=spec.name, value=raw,
                        choices=_choices(raw, list(known)) or "-")  # fmt: skip
    return raw


def to_tree(node: Node) -> dict[str, Any]:
    """Return the canonical JSON tree of a parsed rule."""
    if isinstance(node, Group):
        if node.kind == "not":
            return {"not": to_tree(node.children[0])}
        return {node.kind: [to_tree(c) for c in node.children]}
    tree: dict[str, Any] = {"field": node.field, "op": node.op}
    if node.op in _NO_VALUE:
        return tree
    spec = FIELDS[node.field]

    def plain(v: Any) -> Any:
        return int(v) if spec.kind == "integer" or (isinstance(v, float) and v.is_integer()) else v

    value = node.value
    tree["value"] = [plain(v) for v in value] if isinstance(value, tuple) else plain(value)
    return tree


def conditions(node: Node) -> Iterator[Cond]:
    """Every condition of a rule, depth first."""
    if isinstance(node, Cond):
        yield node
        return
    for child in node.children:
        yield from conditions(child)


def sources(node: Node) -> set[str]:
    """The data sources a rule reads (so a loader fetches only those)."""
    return {FIELDS[c.field].source for c in conditions(node)}


# --------------------------------------------------------------------------- text language

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>-?\d+(?:\.\d+)?(?![\w.]))
      | (?P<str>'[^']*'|"[^"]*")
      | (?P<op><=|>=|!=|==|=|<|>)
      | (?P<punct>[()\[\],])
      | (?P<word>[^\s()\[\],'"<>=!]+)
    )""",
    re.VERBOSE,
)
_SET_OPS: Final = ("has", "has_any", "has_all", "has_none")


@dataclass
class _Token:
    kind: str
    text: str
    pos: int


@dataclass
class _Parser:
    text: str
    tokens: list[_Token] = field(default_factory=list)
    at: int = 0

    def peek(self, offset: int = 0) -> _Token | None:
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.text.lower() in words

    def punct(self, symbol: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "punct" and token.text == symbol

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise self.error("end")
        self.at += 1
        return token

    def expect_punct(self, symbol: str) -> None:
        if not self.punct(symbol):
            raise self.error("symbol", symbol)
        self.at += 1

    def error(self, expected: str, symbol: str = "") -> RuleError:
        token = self.peek()
        pos = token.pos + 1 if token else len(self.text) + 1
        en, zh = _SYNTAX[expected]
        return _syntax(pos, token.text if token else None, en.format(symbol), zh.format(symbol))


_SYNTAX: Final[dict[str, tuple[str, str]]] = {
    "end": ("more of the rule", "规则的其余部分"),
    "symbol": ("'{}'", "“{}”"),
    "field": ("a field name", "字段名"),
    "op": (
        "an operator (=, !=, <, <=, >, >=, in, not in, between, is null, has …)",
        "运算符（=、!=、<、<=、>、>=、in、not in、between、is null、has 等）",
    ),
    "value": ("a value", "值"),
    "and_or": ("'and', 'or' or the end", "“and”、“or”或结尾"),
    "null": ("'null'", "“null”"),
}


def _syntax(pos: int, found: str | None, expected_en: str, expected_zh: str) -> RuleError:
    return RuleError(
        "segment.rule_syntax", pos=pos, expected_en=expected_en, expected_zh=expected_zh,
        found_en=f"'{found}'" if found is not None else "the end of the rule",
        found_zh=f"“{found}”" if found is not None else "规则结尾",
    )  # fmt: skip


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            start = pos + len(text[pos:]) - len(text[pos:].lstrip())
            raise _syntax(start + 1, text[start : start + 10], "a value, a field or an operator",
                          "值、字段或运算符")  # fmt: skip
        kind = match.lastgroup or "word"
        found.append(_Token(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return found


def parse_text(text: str) -> dict[str, Any]:
    """Compile the text language to a JSON rule tree (validate it with ``parse_rule``)."""
    parser = _Parser(text, _tokens(text))
    if not parser.tokens:
        raise parser.error("field")
    tree = _or(parser)
    if parser.peek() is not None:
        raise parser.error("and_or")
    return tree


def _or(p: _Parser) -> dict[str, Any]:
    items = [_and(p)]
    while p.word("or"):
        p.take()
        items.append(_and(p))
    return items[0] if len(items) == 1 else {"any": items}


def _and(p: _Parser) -> dict[str, Any]:
    items = [_factor(p)]
    while p.word("and"):
        p.take()
        items.append(_factor(p))
    return items[0] if len(items) == 1 else {"all": items}


def _factor(p: _Parser) -> dict[str, Any]:
    if p.word("not"):
        p.take()
        return {"not": _factor(p)}
    if p.punct("("):
        p.take()
        inner = _or(p)
        p.expect_punct(")")
        return inner
    token = p.peek()
    if token is None or token.kind != "word":
        raise p.error("field")
    p.take()
    return _rest(p, token.text)


def _rest(p: _Parser, name: str) -> dict[str, Any]:
    token = p.peek()
    if token is not None and token.kind == "op":
        p.take()
        return {"field": name, "op": "=" if token.text == "==" else token.text, "value": _val(p)}
    if p.word("in"):
        p.take()
        return {"field": name, "op": "in", "value": _list(p)}
    if p.word("not") and (nxt := p.peek(1)) is not None and nxt.text.lower() == "in":
        p.take()
        p.take()
        return {"field": name, "op": "not_in", "value": _list(p)}
    if p.word("between"):
        p.take()
        low = _val(p)
        if not p.word("and"):
            raise p.error("symbol", "and")
        p.take()
        return {"field": name, "op": "between", "value": [low, _val(p)]}
    if p.word("is"):
        p.take()
        negated = p.word("not") and bool(p.take())
        if not p.word("null"):
            raise p.error("null")
        p.take()
        return {"field": name, "op": "not_null" if negated else "is_null"}
    if p.word("has"):
        p.take()
        return {"field": name, "op": "has", "value": _val(p)}
    if p.word(*_SET_OPS):
        op = p.take().text.lower()
        values = _list(p) if p.punct("[") or p.punct("(") else [_val(p)]
        return {"field": name, "op": op, "value": values}
    raise p.error("op")


def _list(p: _Parser) -> list[Any]:
    close = "]" if p.punct("[") else ")"
    if not (p.punct("[") or p.punct("(")):
        raise p.error("symbol", "[")
    p.take()
    values = [_val(p)]
    while p.punct(","):
        p.take()
        values.append(_val(p))
    p.expect_punct(close)
    return values


def _val(p: _Parser) -> Any:
    token = p.peek()
    if token is None or token.kind not in ("num", "str", "word"):
        raise p.error("value")
    p.take()
    if token.kind == "num":
        number = float(token.text)
        return int(number) if number.is_integer() and "." not in token.text else number
    if token.kind == "str":
        return token.text[1:-1]
    lowered = token.text.lower()
    return {"true": True, "false": False}.get(lowered, token.text)


def read_rule(text: str) -> dict[str, Any]:
    """Read a rule given as JSON (starts with '{') or in the text language, unvalidated."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            tree = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise RuleError("segment.rule_json", pos=exc.pos + 1, detail=exc.msg) from None
        if not isinstance(tree, dict):
            raise RuleError("segment.rule_shape", path="$")
        return tree
    return parse_text(stripped)


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True)
class SetColumn:
    """A many-valued field held sparsely: row positions and value codes, one pair per member."""

    positions: NDArray[np.int64]
    codes: NDArray[np.int64]
    names: tuple[str, ...]

    def mask(self, size: int, wanted: Sequence[str], *, every: bool = False) -> Mask:
        """Rows holding any (or, with ``every``, all) of the wanted values."""
        index = {name: code for code, name in enumerate(self.names)}
        codes = [index[w] for w in set(wanted) if w in index]
        if every and len(codes) < len(set(wanted)):
            return np.zeros(size, dtype=np.bool_)
        hit = np.isin(self.codes, np.asarray(codes, dtype=np.int64))
        if not every:
            out = np.zeros(size, dtype=np.bool_)
            out[self.positions[hit]] = True
            return out
        pairs = np.unique(self.positions[hit] * (len(self.names) + 1) + self.codes[hit])
        counts = np.bincount(pairs // (len(self.names) + 1), minlength=size)
        return np.asarray(counts[:size] >= len(codes), dtype=np.bool_)


@dataclass
class SegmentData:
    """Every customer's fields, column by column, aligned with ``customer_ids``.

    Numbers are float64 with NaN for missing; ordinal and enum fields are integer codes into
    ``vocab[name]`` with -1 for missing; bools are bool; sets are ``SetColumn``.
    """

    customer_ids: NDArray[np.int64]
    columns: dict[str, NDArray[Any]] = field(default_factory=dict)
    vocab: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sets: dict[str, SetColumn] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Number of customers."""
        return int(self.customer_ids.size)

    def take(self, mask: Mask) -> NDArray[np.int64]:
        """Ids of the customers the mask selects."""
        return self.customer_ids[mask]


def evaluate(node: Node, data: SegmentData) -> Mask:
    """Return the mask of customers the rule selects."""
    if isinstance(node, Group):
        masks = [evaluate(child, data) for child in node.children]
        if node.kind == "not":
            return ~masks[0]
        combined = masks[0].copy()
        for other in masks[1:]:
            if node.kind == "all":
                combined &= other
            else:
                combined |= other
        return combined
    spec = FIELDS[node.field]
    if spec.kind == "set":
        return _set_test(node, data)
    column = data.columns.get(node.field)
    if column is None:
        raise KeyError(f"the segment data lack the field {node.field}")
    if spec.kind in ("number", "integer"):
        return _number_test(node, column)
    if spec.kind == "bool":
        return np.asarray(column == node.value, dtype=np.bool_)
    return _code_test(node, column, data.vocab.get(node.field, spec.values or ()))


_COMPARATORS: Final = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _number_test(node: Cond, x: NDArray[Any]) -> Mask:
    present: Mask = ~np.isnan(x)
    op, v = node.op, node.value
    if op == "is_null":
        return ~present
    if op == "not_null":
        return present
    if op == "between":
        return np.asarray((x >= v[0]) & (x <= v[1]), dtype=np.bool_)
    with np.errstate(invalid="ignore"):
        return np.asarray(_COMPARATORS[op](x, v), dtype=np.bool_) & present


def _code_test(node: Cond, codes: NDArray[Any], names: Sequence[str]) -> Mask:
    index = {name: code for code, name in enumerate(names)}
    present: Mask = codes >= 0
    op = node.op
    if op == "is_null":
        return ~present
    if op == "not_null":
        return present
    if op in ("in", "not_in"):
        wanted = np.asarray([index[v] for v in node.value if v in index], dtype=np.int64)
        inside = np.isin(codes, wanted)
        return inside if op == "in" else (~inside & present)
    code = index.get(node.value, -2)
    return np.asarray(_COMPARATORS[op](codes, code), dtype=np.bool_) & present


def _set_test(node: Cond, data: SegmentData) -> Mask:
    column = data.sets.get(node.field)
    if column is None:
        raise KeyError(f"the segment data lack the field {node.field}")
    wanted: Sequence[str] = (node.value,) if node.op == "has" else node.value
    if node.op == "has_all":
        return column.mask(data.size, wanted, every=True)
    hit = column.mask(data.size, wanted)
    return ~hit if node.op == "has_none" else hit
