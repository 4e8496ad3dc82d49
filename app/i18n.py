"""UI text in Chinese and English, and locale-aware number, money and date formatting.

Templates call ``_("English text")``; Chinese comes from ``app.translations`` (one module per
area of the app). A missing translation shows the English text, and a test lists every
msgid the templates use that has none.
"""

from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import get_currency_symbol

from app import translations
from app.vocabulary import Language

BABEL_LOCALES = {Language.ZH: "zh_CN", Language.EN: "en_US"}

ZH: dict[str, str] = translations.zh_messages()


def translate(text: str, language: Language) -> str:
    if language == Language.ZH:
        return ZH.get(text, text)
    return text


@lru_cache(maxsize=64)
def _locale(language: Language) -> Locale:
    return Locale.parse(BABEL_LOCALES[language])


@lru_cache(maxsize=64)
def _currency_symbol(currency: str, language: Language) -> str:
    return str(get_currency_symbol(currency, locale=_locale(language)))


# Both UI locales group thousands with "," and use "." for decimals, so numbers are formatted
# with Python's own (fast) formatting; Babel supplies currency symbols and date patterns. A
# page with a 200-line estimate formats thousands of numbers: Babel per value took 0.4 s.


def format_money(amount: Decimal | float | None, currency: str, language: Language) -> str:
    if amount is None:
        return "—"
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}{_currency_symbol(currency, language)}{abs(value):,.2f}"


def format_number(value: float | Decimal | None, language: Language, *, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def number_format(language: Language, *, digits: int = 1) -> Callable[[float | Decimal], str]:
    """``format_number`` for many values that are never None, as one bound ``str.format``:
    view-models of long tables pre-format their numbers with it instead of calling the
    template's ``number()`` per value."""
    return f"{{:,.{digits}f}}".format


def format_ratio(value: float | None, language: Language) -> str:
    if value is None:
        return "—"
    return f"{value * 100:,.1f}%"


def format_day(value: date | None, language: Language) -> str:
    if value is None:
        return "—"
    return str(format_date(value, format="medium", locale=_locale(language)))
