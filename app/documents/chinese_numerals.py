"""Amounts in capital Chinese numerals (人民币大写), as quotes and contracts print them.

Rules of the People's Bank of China's 《支付结算办法》: 整 after 元 when there are no 角 and
分; none after 分; a zero between digits is written once as 零; 壹拾 keeps its 壹.
"""

from decimal import ROUND_HALF_UP, Decimal

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_SECTION_UNITS = ("", "万", "亿", "万亿")
_CENT = Decimal("0.01")


def _section(value: int) -> str:
    """0 < value < 10000 without leading 零."""
    text = ""
    zero_pending = False
    for position in range(3, -1, -1):
        digit = value // 10**position % 10
        if digit == 0:
            zero_pending = bool(text)
            continue
        if zero_pending:
            text += "零"
        text += _DIGITS[digit] + _SMALL_UNITS[position]
        zero_pending = False
    return text


def _integer(value: int) -> str:
    sections: list[int] = []
    while value:
        sections.append(value % 10_000)
        value //= 10_000
    if len(sections) > len(_SECTION_UNITS):
        raise ValueError(f"amount with {len(sections) * 4} digits is too large for 大写")
    text = ""
    zero_pending = False
    for index in range(len(sections) - 1, -1, -1):
        section = sections[index]
        if section == 0:
            zero_pending = bool(text)
            continue
        if text and (zero_pending or section < 1000):
            text += "零"
        text += _section(section) + _SECTION_UNITS[index]
        zero_pending = False
    return text


def rmb_upper(amount: Decimal | int | str) -> str:
    """The amount in 大写, rounded half-up to the 分.

    Examples
    --------
    >>> rmb_upper(100010)
    '壹拾万零壹拾元整'
    >>> rmb_upper("3.07")
    '叁元零柒分'
    """
    value = Decimal(str(amount)).quantize(_CENT, rounding=ROUND_HALF_UP)
    if value < 0:
        return "负" + rmb_upper(-value)
    cents = int(value * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if cents == 0:
        return "零元整"
    text = _integer(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return text + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    return text
