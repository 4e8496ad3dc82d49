"""人民币大写."""

from decimal import Decimal

import pytest

from app.documents.chinese_numerals import rmb_upper


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        # Ref: FIELD_NOTES.md, "Excel (.xlsx)" (examples checked against 《支付结算办法》).
        ("100010", "壹拾万零壹拾元整"),
        ("1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        ("3.07", "叁元零柒分"),
        # Ref: 《支付结算办法》附一 — zeros written once, 整 only after 元.
        ("0", "零元整"),
        ("101", "壹佰零壹元整"),
        ("1000", "壹仟元整"),
        ("100001000", "壹亿零壹仟元整"),
        ("20000010", "贰仟万零壹拾元整"),
        ("0.5", "伍角"),
        ("3.70", "叁元柒角"),
        ("-12", "负壹拾贰元整"),
    ],
)
def test_amounts_read_as_on_a_chinese_invoice(amount: str, words: str) -> None:
    assert rmb_upper(Decimal(amount)) == words


def test_amounts_are_rounded_half_up_to_the_fen_first() -> None:
    assert rmb_upper("0.005") == "壹分"
    assert rmb_upper(Decimal("2.675")) == "贰元陆角捌分"
