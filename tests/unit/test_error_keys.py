"""Every refusal siyu raises names a catalogue key that reads in both languages."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import siyu
from siyu.kit.errors import SiyuError
from siyu.kit.i18n import MESSAGES

SOURCE = Path(siyu.__file__).parent
ERROR_NAMES = {
    cls.__name__
    for cls in (SiyuError, *SiyuError.__subclasses__())
    for cls in (cls, *cls.__subclasses__())
}


def _raised_errors() -> Iterator[tuple[str, ast.Call]]:
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                if isinstance(func, ast.Name) and func.id in ERROR_NAMES:
                    yield f"{path.relative_to(SOURCE)}:{node.lineno}", node.exc


def test_the_error_classes_are_found() -> None:
    assert {"ValidationError", "NotFoundError", "ConflictError"} <= ERROR_NAMES
    assert sum(1 for _ in _raised_errors()) > 100


def test_every_raised_key_is_in_the_catalogue_in_both_languages() -> None:
    unknown = [
        f"{where} {call.args[0].value}"
        for where, call in _raised_errors()
        if call.args and isinstance(call.args[0], ast.Constant)
        if call.args[0].value not in MESSAGES
    ]
    assert unknown == []
    assert all(set(entry) == {"en", "zh-CN"} for entry in MESSAGES.values())


def test_no_refusal_carries_english_written_into_the_code() -> None:
    """English typed as a `detail` or `what` reads as English to a zh-CN user: use a key."""
    english = [
        f"{where} {keyword.arg}="
        for where, call in _raised_errors()
        for keyword in call.keywords
        if keyword.arg in ("detail", "what")
        if isinstance(keyword.value, ast.Constant | ast.JoinedStr)
    ]
    assert english == []
