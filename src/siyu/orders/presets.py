"""Import presets: how a platform's export maps to siyu's canonical order fields.

Built-in presets are YAML files beside this module; a user's own mapping is a YAML file
of the same schema (see docs/import-formats.md).
"""

from __future__ import annotations

from datetime import timedelta, timezone, tzinfo
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from siyu.imports.cells import clean_header
from siyu.kit.errors import SiyuError
from siyu.kit.field_errors import listing
from siyu.models.enums import OrderStatus, Platform

PRESET_DIR = Path(__file__).parent / "presets"

ORDER_FIELDS = (
    "order_id", "ordered_at", "paid_at", "completed_at", "status", "buyer_id", "email", "phone",
    "unionid", "receiver_name", "address", "province", "city", "order_amount", "shipping",
    "discount", "order_refund", "refunded_at", "shop_name", "currency",
)  # fmt: skip
LINE_FIELDS = (
    "line_id", "sku", "product_id", "product_name", "quantity", "unit_price", "line_amount",
    "line_refund", "line_refund_status",
)  # fmt: skip
CANONICAL_FIELDS = frozenset(ORDER_FIELDS + LINE_FIELDS)


class Preset(BaseModel):
    """A validated mapping from an export's headers to canonical fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    platform: Platform
    grain: Literal["order", "line"]
    order_fields_on_first_row_only: bool = False
    order_amount_from: Literal["column", "lines"] = "column"
    timezone: str = "+08:00"
    time_formats: tuple[str, ...] = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
    currency: str = Field(default="CNY", min_length=3, max_length=3)
    detect: tuple[str, ...] = ()
    required: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    status_map: dict[str, OrderStatus]
    refund_status_map: dict[str, Literal["full", "none"]] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        unknown = sorted(set(value) - CANONICAL_FIELDS)
        if unknown:
            raise ValueError(f"unknown canonical fields: {', '.join(unknown)}")
        seen: dict[str, str] = {}
        for canonical, aliases in value.items():
            if not aliases:
                raise ValueError(f"field {canonical} has no header alias")
            for alias in aliases:
                if alias in seen and seen[alias] != canonical:
                    raise ValueError(f"header {alias!r} mapped to {seen[alias]} and {canonical}")
                seen[alias] = canonical
        return value

    @field_validator("timezone")
    @classmethod
    def _offset(cls, value: str) -> str:
        _parse_offset(value)
        return value

    @model_validator(mode="after")
    def _required_mapped(self) -> Preset:
        missing = [f for f in self.required if f not in self.columns]
        if missing:
            raise ValueError(f"required fields without columns: {', '.join(missing)}")
        for must in ("order_id", "ordered_at"):
            if must not in self.required:
                raise ValueError(f"{must} must be required")
        return self

    def tz(self) -> tzinfo:
        """Return the offset applied to naive timestamps."""
        return _parse_offset(self.timezone)

    def resolve_headers(self, headers: list[str]) -> dict[str, int]:
        """Map each canonical field to the index of its first matching header."""
        position = {clean_header(h): i for i, h in reversed(list(enumerate(headers)))}
        found: dict[str, int] = {}
        for canonical, aliases in self.columns.items():
            for alias in aliases:
                if alias in position:
                    found[canonical] = position[alias]
                    break
        return found

    def missing_required(self, headers: list[str]) -> list[str]:
        """Return the required fields the headers lack, named by their first alias."""
        found = self.resolve_headers(headers)
        return [self.columns[f][0] for f in self.required if f not in found]


def _parse_offset(text: str) -> tzinfo:
    sign = -1 if text.startswith("-") else 1
    try:
        hours, minutes = text.lstrip("+-").split(":")
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    except ValueError as exc:
        raise ValueError(f"timezone must look like +08:00, got {text!r}") from exc


def builtin_names() -> list[str]:
    """Return the names of the built-in presets."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def _parse_yaml(path: Path) -> Preset:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("the file must hold a mapping")
        data.setdefault("name", path.stem)
        return Preset.model_validate(data)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError, ValidationError) as exc:
        raise SiyuError(
            "import.mapping_invalid", file=str(path), reason=_reason(exc, "en"),
            reason_zh=_reason(exc, "zh-CN"),
        ) from exc  # fmt: skip


def _reason(exc: Exception, locale: str) -> str:
    return listing(exc.errors(), locale) if isinstance(exc, ValidationError) else str(exc)


@cache
def _builtin(name: str) -> Preset:
    return _parse_yaml(PRESET_DIR / f"{name}.yaml")


def load_preset(name_or_path: str) -> Preset:
    """Load a built-in preset by name or a user's YAML mapping by path."""
    if name_or_path in builtin_names():
        return _builtin(name_or_path)
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return _parse_yaml(path)
    raise SiyuError("import.preset_unknown", name=name_or_path, known=", ".join(builtin_names()))


def detect_preset(headers: list[str]) -> Preset | None:
    """Return the one built-in preset whose detect headers are all present, if exactly one."""
    cleaned = {clean_header(h) for h in headers}
    matches = [
        preset
        for preset in map(_builtin, builtin_names())
        if preset.detect and set(preset.detect) <= cleaned
    ]
    return matches[0] if len(matches) == 1 else None
