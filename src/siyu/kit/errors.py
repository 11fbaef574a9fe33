"""Domain errors: one base class carrying an HTTP status and a bilingual message key."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError as PydanticError

from siyu.kit.field_errors import listing
from siyu.kit.i18n import translate


class SiyuError(Exception):
    """Base of every error siyu raises on purpose; carries a message key for both languages."""

    status_code = 400
    key = "error.generic"

    def __init__(self, key: str | None = None, /, **params: Any) -> None:
        self.key = key or self.key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, locale: str = "en") -> str:
        """Return the message in the given locale."""
        return translate(self.key, locale, **self.params)

    def details(self, locale: str = "en") -> list[dict[str, Any]] | None:
        """Where the input is wrong, as API error details (None: the message says it all)."""
        return None


class NotFoundError(SiyuError):
    """A record that does not exist (in this workspace)."""

    status_code = 404
    key = "error.not_found"


class ValidationError(SiyuError):
    """Input that fails validation."""

    status_code = 422
    key = "error.invalid"


class StoreNotReadyError(SiyuError):
    """The store is missing or its schema is behind the code."""

    status_code = 503
    key = "store.missing"


class ImportFileError(SiyuError):
    """A file that cannot be read at all; nothing was written."""

    status_code = 422
    key = "import.unreadable"


class AuthenticationError(SiyuError):
    """No valid session, API key or signature came with the request."""

    status_code = 401
    key = "auth.required"


class PermissionDeniedError(SiyuError):
    """The caller is known but its role or scopes do not allow this."""

    status_code = 403
    key = "auth.forbidden"


class ConflictError(SiyuError):
    """The request conflicts with what is stored (a name taken, a delivery already seen)."""

    status_code = 409
    key = "error.conflict"


def invalid_fields(exc: PydanticError) -> ValidationError:
    """A Pydantic refusal as one bilingual error naming each field and its reason."""
    errors = exc.errors()
    return ValidationError(
        "input.fields", detail=listing(errors, "en"), detail_zh=listing(errors, "zh-CN")
    )
