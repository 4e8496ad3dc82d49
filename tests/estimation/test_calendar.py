"""Working-day arithmetic with PRC holidays and make-up working days (调休)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from estimation import (
    EstimationInputError,
    HolidaySchedule,
    WorkCalendar,
    add_working_days,
    is_working_day,
    parse_holiday_schedule,
    simulate,
    working_dates_for,
    working_days_between,
)

from .factories import item, model, role

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "holidays" / "cn.json"


@pytest.fixture(scope="module")
def schedule() -> HolidaySchedule:
    return parse_holiday_schedule(DATA_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def prc(schedule: HolidaySchedule) -> WorkCalendar:
    return schedule.to_calendar()


def test_the_shipped_file_cites_an_official_notice_for_every_year(
    schedule: HolidaySchedule,
) -> None:
    assert schedule.country == "CN"
    assert schedule.years == (2024, 2025, 2026)
    for notice in schedule.notices:
        assert notice.title == f"国务院办公厅关于{notice.year}年部分节假日安排的通知"
        assert notice.url.startswith("https://www.gov.cn/")
        assert notice.number.startswith("国办发明电")


@pytest.mark.parametrize(("year", "working_days"), [(2024, 251), (2025, 248), (2026, 248)])
def test_a_prc_year_has_the_statutory_number_of_working_days(
    prc: WorkCalendar, year: int, working_days: int
) -> None:
    # Ref: days − 104 weekend days − statutory holidays (11 in 2024; 13 from 2025 after the
    # 2024 revision of 全国年节及纪念日放假办法); make-up days only move weekend days.
    assert working_days_between(prc, date(year, 1, 1), date(year, 12, 31)) == working_days


def test_spring_festival_2025_is_off_and_its_make_up_sunday_is_worked(prc: WorkCalendar) -> None:
    # Ref: 国办发明电〔2024〕12号 — 1月28日至2月4日放假调休，1月26日（周日）、2月8日（周六）上班
    assert is_working_day(prc, date(2025, 1, 26))
    assert not is_working_day(prc, date(2025, 1, 28))
    assert not is_working_day(prc, date(2025, 2, 4))
    assert is_working_day(prc, date(2025, 2, 8))
    # Fri 24 Jan (1), Sun 26 Jan make-up (2), Mon 27 Jan (3), then the festival, Wed 5 Feb (4)
    assert add_working_days(prc, date(2025, 1, 24), 3) == date(2025, 1, 27)
    assert add_working_days(prc, date(2025, 1, 24), 4) == date(2025, 2, 5)


def test_national_day_2024_with_its_two_make_up_days(prc: WorkCalendar) -> None:
    # Ref: 国办发明电〔2023〕7号 — 10月1日至7日放假调休，9月29日（星期日）、10月12日（星期六）上班
    assert working_days_between(prc, date(2024, 9, 28), date(2024, 10, 13)) == 7
    assert working_dates_for(prc, date(2024, 9, 28), [1, 2]) == [
        date(2024, 9, 29),
        date(2024, 9, 30),
    ]


def test_a_plain_calendar_only_skips_weekends() -> None:
    plain = WorkCalendar()
    assert add_working_days(plain, date(2025, 1, 4), 1) == date(2025, 1, 6)  # Sat → Mon
    assert add_working_days(plain, date(2025, 1, 6), 0) == date(2025, 1, 6)
    assert working_days_between(plain, date(2025, 1, 10), date(2025, 1, 6)) == 0


def test_a_custom_weekend_is_respected() -> None:
    friday_saturday = WorkCalendar(weekend_days=frozenset({4, 5}))
    assert is_working_day(friday_saturday, date(2025, 1, 5))  # a Sunday
    assert not is_working_day(friday_saturday, date(2025, 1, 3))  # a Friday


def test_delivery_dates_use_the_prc_calendar(prc: WorkCalendar) -> None:
    estimate = model(
        [item("B", 20, 20, 20)], roles=[role(fte=1.0)], start_date=date(2025, 1, 20), calendar=prc
    )
    outcome = simulate(estimate, iterations=1_000, seed=1).unmitigated
    assert outcome.delivery_dates is not None
    # 20 working days from Mon 20 Jan 2025: 20–24 (5), 26–27 (7), 5–7 Feb (10), 8 Feb (11),
    # 10–14 (16), 17–20 (20)
    assert outcome.delivery_dates["P50"] == date(2025, 2, 20)


def test_dates_beyond_the_holiday_data_carry_a_warning(prc: WorkCalendar) -> None:
    estimate = model(
        [item("B", 200, 200, 200)], roles=[role(fte=1.0)], start_date=date(2026, 6, 1), calendar=prc
    )
    result = simulate(estimate, iterations=1_000, seed=1)
    assert any("no holiday data for 2027" in warning for warning in result.warnings)


def _document(**year: object) -> str:
    entry = {
        "year": 2030,
        "source": {"title": "t", "number": "n", "url": "u"},
        "holidays": [],
        "makeup_workdays": [],
        **year,
    }
    return json.dumps({"format": "bidwright-holidays/1", "country": "CN", "years": [entry]})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "holiday data: not valid JSON"),
        ('{"format": "other"}', "holiday data: format must be 'bidwright-holidays/1'"),
        (
            _document(makeup_workdays=[{"date": "2030-01-02"}]),
            "holiday data year 2030 make-up day #1: date=2030-01-02 is a Wednesday",
        ),
        (
            _document(holidays=[{"name": "x", "from": "2030-02-30", "to": "2030-03-01"}]),
            "holiday data year 2030 holiday #1: from='2030-02-30' is not a YYYY-MM-DD date",
        ),
        (
            _document(holidays=[{"name": "x", "from": "2030-03-05", "to": "2030-03-01"}]),
            "holiday data year 2030 holiday #1 (x): to=2030-03-01 must be 0..15 days after",
        ),
        (
            _document(
                holidays=[{"name": "x", "from": "2030-01-05", "to": "2030-01-05"}],
                makeup_workdays=[{"date": "2030-01-05"}],
            ),
            "holiday data: 2030-01-05 is both a holiday and a make-up working day",
        ),
        (_document(holidays=[{"name": "x"}]), "holiday data year 2030 holiday #1: missing field"),
    ],
)
def test_bad_holiday_data_is_refused_with_year_entry_field_and_value(
    text: str, message: str
) -> None:
    with pytest.raises(EstimationInputError, match=re.escape(message)):
        parse_holiday_schedule(text)
