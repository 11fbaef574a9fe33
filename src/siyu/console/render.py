"""Rendering pages: Jinja templates with gettext, locale formatting and the navigation."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from siyu import __version__
from siyu.accounts.rules import Permission, Principal
from siyu.console.nav import visible
from siyu.console.vocabulary import ROLE_NAMES
from siyu.web.deps import request_locale
from siyu.web.locale import LANGUAGE_NAMES, Formatter, translations


@pass_context
def _gettext(context: Context, message: str) -> str:
    return str(context["translations"].gettext(message))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return str(context["translations"].ngettext(singular, plural, n))


ENV = Environment(
    loader=PackageLoader("siyu.console", "templates"),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
ENV.globals.update(
    version=__version__, P=Permission, languages=LANGUAGE_NAMES, role_names=ROLE_NAMES
)


@cache
def formatter(locale: str) -> Formatter:
    """The formatter of a locale (cached: Babel's locale data is loaded once)."""
    return Formatter(locale)


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render a console page in the user's language."""
    locale = request_locale(request, principal)
    html = ENV.get_template(template).render(
        request=request,
        principal=principal,
        locale=locale,
        translations=translations(locale),
        fmt=formatter(locale),
        nav=visible(principal),
        csrf_token=principal.csrf_token if principal is not None else None,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    """A page saying what went wrong, inside the layout when the user is logged in."""
    principal = getattr(request.state, "principal", None)
    if principal is not None and principal.api_key_id is not None:
        principal = None
    return render(
        request, "error.html", principal, status_code=status_code, status=status_code,
        message=message,
    )  # fmt: skip
