"""Rendering: one page template per screen, its ``{% block %}`` regions rendered alone for htmx.

``render()`` decides page or fragment: a fragment when ``HX-Request`` is set and
``HX-History-Restore-Request`` is not (the back button must get a full page), and it always
sends ``Vary: HX-Request`` so caches keep the two apart.
"""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from app import i18n
from app.config import Environment as Deployment
from app.config import get_settings
from app.vocabulary import Language

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
templates = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    # Checking every template file's time on each render cost ~3% of the estimate page;
    # templates change only with a new release (a restart), except while developing.
    auto_reload=get_settings().environment == Deployment.DEVELOPMENT,
)


async def text_fields(request: Request) -> dict[str, str]:
    """All text fields of a posted form, for forms whose field names are data (role ids,
    row numbers); uploaded files are left out."""
    return {key: value for key, value in (await request.form()).items() if isinstance(value, str)}


def wants_fragment(request: Request) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def language_of(request: Request) -> Language:
    user = getattr(request.state, "user", None)
    if user is not None:
        return Language(user.language)
    cookie = request.cookies.get("bw_lang")
    if cookie in {language.value for language in Language}:
        return Language(cookie)
    accept = request.headers.get("Accept-Language", "").lower()
    return Language.EN if accept.startswith("en") else Language.ZH


def template_context(request: Request, context: dict[str, Any]) -> dict[str, Any]:
    language = language_of(request)
    return {
        "request": request,
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "language": language.value,
        "_": lambda text: i18n.translate(text, language),
        "money": lambda amount, currency="CNY": i18n.format_money(amount, currency, language),
        "number": lambda value, digits=1: i18n.format_number(value, language, digits=digits),
        "ratio": lambda value: i18n.format_ratio(value, language),
        "day": lambda value: i18n.format_day(value, language),
        "status": lambda value: _status_badge(value, language),
        **context,
    }


def _status_badge(value: str, language: Language) -> Markup:
    code = str(getattr(value, "value", value))
    return Markup('<span class="status status-{}">{}</span>').format(
        code, i18n.translate(code, language)
    )


def render(
    request: Request,
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render the page, or only ``block`` when htmx asks for a fragment."""
    template = templates.get_template(template_name)
    full_context = template_context(request, context or {})
    if block is not None and wants_fragment(request):
        block_context = template.new_context(full_context)
        body = "".join(template.blocks[block](block_context))
    else:
        body = template.render(full_context)
    response = HTMLResponse(body, status_code=status_code, headers=headers)
    response.headers["Vary"] = "HX-Request"
    return response
