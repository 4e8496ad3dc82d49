"""UI text in Chinese and English, and locale-aware number, money and date formatting.

Templates call ``_("English text")``; Chinese comes from ``app.translations`` (one module per
area of the app). A missing translation shows the English text, and a test lists every
msgid the templates use that has none.
"""

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

from app import translations
from app.vocabulary import Language

BABEL_LOCALES = {Language.ZH: "zh_CN", Language.EN: "en_US"}

ZH: dict[str, str] = translations.zh_messages()


def translate(text: str, language: Language) -> str:
    if language == Language.ZH:
        return ZH.get(text, text)
    return text


def format_money(amount: Decimal | float | None, currency: str, language: Language) -> str:
    if amount is None:
        return "—"
    return str(format_currency(amount, currency, locale=BABEL_LOCALES[language]))


def format_number(value: float | Decimal | None, language: Language, *, digits: int = 1) -> str:
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, format=pattern, locale=BABEL_LOCALES[language]))


def format_ratio(value: float | None, language: Language) -> str:
    if value is None:
        return "—"
    return str(format_percent(value, format="#,##0.0%", locale=BABEL_LOCALES[language]))


def format_day(value: date | None, language: Language) -> str:
    if value is None:
        return "—"
    return str(format_date(value, format="medium", locale=BABEL_LOCALES[language]))
