"""Pydantic's refusals read in Chinese for the types people meet; English stays Pydantic's."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from siyu.kit.errors import invalid_fields
from siyu.kit.field_errors import describe


class _Form(BaseModel):
    code: str = Field(pattern=r"^[a-z_]+$", max_length=8)
    count: int = Field(ge=1, le=9)
    kind: Literal["card", "sms", "cs"]


def _refusal(data: dict[str, object]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        _Form.model_validate(data)
    return caught.value


def test_the_same_refusal_in_both_languages() -> None:
    error = invalid_fields(_refusal({"code": "包裹卡", "count": 0, "kind": "mail"}))
    assert error.message("en") == (
        "Some fields are not valid: code: String should match pattern '^[a-z_]+$'; "
        "count: Input should be greater than or equal to 1; "
        "kind: Input should be 'card', 'sms' or 'cs'"
    )
    assert error.message("zh-CN") == (
        "部分字段无效：code: 格式不符（^[a-z_]+$）; count: 须不小于 1; "
        "kind: 须为以下之一：'card', 'sms', 'cs'"
    )


def test_missing_fields_and_unknown_types() -> None:
    missing = invalid_fields(_refusal({})).message("zh-CN")
    assert missing == "部分字段无效：code: 必填; count: 必填; kind: 必填"
    unknown = {"loc": ("x",), "msg": "Value error, no", "type": "value_error", "ctx": {}}
    assert describe(unknown, "zh-CN") == "x: Value error, no"  # Pydantic's own words


def test_a_template_whose_context_is_missing_keeps_pydantics_text() -> None:
    odd = {"loc": ("n",), "msg": "Input should be less than 5", "type": "less_than", "ctx": {}}
    assert describe(odd, "zh-CN") == "n: Input should be less than 5"
