"""Parsing of submitted text into checked values; every refusal names its field.

Numbers are parsed here rather than by pydantic because pydantic's ``float`` accepts
"nan" and "inf"; nothing that is not a finite number gets past these functions.
"""

import math
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from app.errors import FieldError
from app.models import ThreePoint

StrEnumT = TypeVar("StrEnumT", bound=StrEnum)


def number(
    field: str,
    raw: str | None,
    *,
    minimum: float | None = None,
    above: float | None = None,
    below: float | None = None,
) -> float:
    text = (raw or "").strip().replace(",", "")
    if not text:
        raise FieldError(field, "is required")
    try:
        value = float(text)
    except ValueError:
        raise FieldError(field, f"{raw!r} is not a number") from None
    if not math.isfinite(value):
        raise FieldError(field, f"{raw!r} is not a finite number")
    if minimum is not None and value < minimum:
        raise FieldError(field, f"must be at least {minimum:g} (got {value:g})")
    if above is not None and value <= above:
        raise FieldError(field, f"must be greater than {above:g} (got {value:g})")
    if below is not None and value >= below:
        raise FieldError(field, f"must be less than {below:g} (got {value:g})")
    return value


def choice(field: str, raw: str | None, options: type[StrEnumT]) -> StrEnumT:
    try:
        return options((raw or "").strip())
    except ValueError:
        allowed = ", ".join(option.value for option in options)
        raise FieldError(field, f"{raw!r} is not one of: {allowed}") from None


def optional_number(field: str, raw: str | None, **bounds: float) -> float | None:
    return number(field, raw, **bounds) if (raw or "").strip() else None


def money(field: str, raw: str | None) -> Decimal:
    text = (raw or "").strip().replace(",", "").replace("¥", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FieldError(field, f"{raw!r} is not an amount of money") from None
    if not value.is_finite() or value < 0:
        raise FieldError(field, f"{raw!r} must be a non-negative amount")
    if value >= Decimal("1e14"):
        raise FieldError(field, "is too large")
    return value.quantize(Decimal("0.01"))


def optional_money(field: str, raw: str | None) -> Decimal | None:
    return money(field, raw) if (raw or "").strip() else None


def probability(field: str, raw: str | None) -> float:
    """Accepts 0.3 or 30% (a value above 1 without % is refused as ambiguous)."""
    cleaned = (raw or "").strip()
    percent = cleaned.endswith("%")
    value = number(field, cleaned.removesuffix("%"), minimum=0) / (100 if percent else 1)
    if value > 1:
        raise FieldError(field, f"{raw!r} is not a probability between 0 and 1 (or 0% and 100%)")
    return value


def triple(
    prefix: str, optimistic: str | None, most_likely: str | None, pessimistic: str | None
) -> ThreePoint:
    """A three-point estimate; the error names the field that breaks the order."""
    low = number(f"{prefix}optimistic", optimistic, minimum=0)
    mode = number(f"{prefix}most_likely", most_likely, minimum=0)
    high = number(f"{prefix}pessimistic", pessimistic, minimum=0)
    if low > mode:
        message = f"optimistic={low:g} is above most_likely={mode:g}"
        raise FieldError(f"{prefix}optimistic", message)
    if mode > high:
        raise FieldError(
            f"{prefix}pessimistic", f"pessimistic={high:g} is below most_likely={mode:g}"
        )
    return ThreePoint(optimistic=low, most_likely=mode, pessimistic=high)


def optional_date(field: str, raw: str | None) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(field, f"{raw!r} is not a date (YYYY-MM-DD)") from None


def integer(field: str, raw: str | None, *, minimum: int, maximum: int) -> int:
    text = (raw or "").strip().replace(",", "")
    if not text.isdigit():
        raise FieldError(field, f"{raw!r} is not a whole number")
    value = int(text)
    if not minimum <= value <= maximum:
        raise FieldError(field, f"must be between {minimum:,} and {maximum:,} (got {value:,})")
    return value


def text(field: str, raw: str | None, *, max_length: int, required: bool = False) -> str:
    value = (raw or "").strip()
    if required and not value:
        raise FieldError(field, "is required")
    if len(value) > max_length:
        raise FieldError(field, f"is longer than {max_length:,} characters")
    return value
