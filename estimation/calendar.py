"""Working-day calendars: weekends, public holidays and make-up working days (调休).

The engine never reads files. An application reads a holiday data file (for example
``data/holidays/cn.json``) and passes its *text* to :func:`parse_holiday_schedule`; the
resulting :class:`HolidaySchedule` becomes a :class:`WorkCalendar` with
:meth:`HolidaySchedule.to_calendar`.

Conventions
-----------
- Weekdays are numbered like :meth:`datetime.date.weekday`: Monday = 0 … Sunday = 6.
- A make-up working day (调休上班) is a working day even when it falls on a weekend; a
  public holiday is a day off even when it falls on a weekday.
- ``add_working_days(calendar, start, n)`` is the date on which ``n`` working days of work
  that start on ``start`` are complete: ``start`` itself counts when it is a working day.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from estimation.errors import EstimationInputError

__all__ = [
    "HolidayNotice",
    "HolidaySchedule",
    "WorkCalendar",
    "add_working_days",
    "is_working_day",
    "parse_holiday_schedule",
    "working_days_between",
]

_ONE_DAY = timedelta(days=1)
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days.

    Parameters
    ----------
    weekend_days
        Weekday numbers that are normally days off (Monday = 0 … Sunday = 6).
    holidays
        Dates that are days off.
    makeup_workdays
        Dates that are working days even on a weekend (调休上班).
    holiday_years
        Years whose holiday data is complete; when not empty, results warn about delivery
        dates that fall in other years.

    Examples
    --------
    >>> calendar = WorkCalendar(holidays=frozenset({date(2025, 1, 1)}))
    >>> is_working_day(calendar, date(2025, 1, 1))
    False
    """

    weekend_days: frozenset[int] = frozenset({5, 6})
    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    holiday_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        for name in ("weekend_days", "holidays", "makeup_workdays", "holiday_years"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        for day in self.weekend_days:
            if not isinstance(day, int) or not 0 <= day <= 6:
                raise EstimationInputError(f"calendar: weekend day {day!r} is not in 0..6")
        if len(self.weekend_days) == 7:
            raise EstimationInputError("calendar: weekend_days covers the whole week")
        for name in ("holidays", "makeup_workdays"):
            for day in getattr(self, name):
                if not isinstance(day, date):
                    raise EstimationInputError(f"calendar: {name} entry {day!r} is not a date")
        both = self.holidays & self.makeup_workdays
        if both:
            first = min(both)
            raise EstimationInputError(
                f"calendar: {first.isoformat()} is both a holiday and a make-up working day"
            )


def is_working_day(calendar: WorkCalendar, day: date) -> bool:
    """Whether ``day`` is a working day in ``calendar``.

    Examples
    --------
    >>> prc = WorkCalendar(makeup_workdays=frozenset({date(2025, 1, 26)}))
    >>> is_working_day(prc, date(2025, 1, 26))  # a Sunday worked for the Spring Festival
    True
    >>> is_working_day(prc, date(2025, 1, 25))  # an ordinary Saturday
    False
    """
    if day in calendar.makeup_workdays:
        return True
    if day in calendar.holidays:
        return False
    return day.weekday() not in calendar.weekend_days


def add_working_days(calendar: WorkCalendar, start: date, days: int) -> date:
    """The date on which ``days`` working days of work starting on ``start`` are complete.

    Parameters
    ----------
    calendar
        The working-day calendar.
    start
        First day of work; it counts when it is a working day.
    days
        Number of working days (≥ 0). Zero returns ``start``.

    Examples
    --------
    >>> add_working_days(WorkCalendar(), date(2025, 1, 6), 5)  # Monday + 5 days = Friday
    datetime.date(2025, 1, 10)
    """
    if not isinstance(days, int) or days < 0:
        raise EstimationInputError(f"calendar: days={days!r} must be a non-negative integer")
    if days == 0:
        return start
    return _working_dates(calendar, start, days)[-1]


def working_days_between(calendar: WorkCalendar, start: date, end: date) -> int:
    """Number of working days ``d`` with ``start <= d <= end`` (0 when ``end < start``).

    Examples
    --------
    >>> working_days_between(WorkCalendar(), date(2025, 1, 6), date(2025, 1, 12))
    5
    """
    if end < start:
        return 0
    span = (end - start).days + 1
    days = np.arange(np.datetime64(start), np.datetime64(start) + span)
    return int(np.count_nonzero(_working_mask(calendar, days)))


def working_dates_for(calendar: WorkCalendar, start: date, counts: Iterable[int]) -> list[date]:
    """Vectorised :func:`add_working_days` for many day counts (used for percentile dates).

    Examples
    --------
    >>> working_dates_for(WorkCalendar(), date(2025, 1, 6), [0, 1, 6])
    [datetime.date(2025, 1, 6), datetime.date(2025, 1, 6), datetime.date(2025, 1, 13)]
    """
    wanted = [int(count) for count in counts]
    if not wanted:
        return []
    if min(wanted) < 0:
        raise EstimationInputError(f"calendar: day count {min(wanted)} is negative")
    largest = max(wanted)
    dates = _working_dates(calendar, start, largest) if largest > 0 else []
    return [start if count == 0 else dates[count - 1] for count in wanted]


def _working_dates(calendar: WorkCalendar, start: date, count: int) -> list[date]:
    found: list[np.datetime64] = []
    cursor = np.datetime64(start)
    remaining = count
    while remaining > 0:
        # Weekends take at most 2/7 of days; holidays a few more: ask for enough in one go.
        span = max(64, math.ceil(remaining * 7 / max(1, 7 - len(calendar.weekend_days))) + 32)
        days = np.arange(cursor, cursor + span)
        chosen = days[_working_mask(calendar, days)][:remaining]
        found.extend(chosen.tolist())
        remaining -= len(chosen)
        cursor = cursor + span
    return [value if isinstance(value, date) else _to_date(value) for value in found]


def _to_date(value: Any) -> date:
    return date.fromisoformat(str(value)[:10])


def _working_mask(
    calendar: WorkCalendar, days: npt.NDArray[np.datetime64]
) -> npt.NDArray[np.bool_]:
    # 1970-01-01 was a Thursday (weekday 3).
    weekday = (days.astype(np.int64) + 3) % 7
    working = ~np.isin(weekday, np.fromiter(calendar.weekend_days, dtype=np.int64))
    if calendar.holidays:
        holidays = np.array(sorted(calendar.holidays), dtype="datetime64[D]")
        working &= ~np.isin(days, holidays)
    if calendar.makeup_workdays:
        makeup = np.array(sorted(calendar.makeup_workdays), dtype="datetime64[D]")
        working |= np.isin(days, makeup)
    return working


# --- Holiday data files ---------------------------------------------------------------------


@dataclass(frozen=True)
class HolidayNotice:
    """The official notice one year's schedule comes from."""

    year: int
    title: str
    number: str
    published: date | None
    url: str


@dataclass(frozen=True)
class HolidaySchedule:
    """Public holidays and make-up working days of one country, by year.

    Examples
    --------
    >>> text = '''{"format": "bidwright-holidays/1", "country": "CN", "years": [
    ...   {"year": 2025, "source": {"title": "t", "number": "n", "url": "u"},
    ...    "holidays": [{"name": "元旦", "from": "2025-01-01", "to": "2025-01-01"}],
    ...    "makeup_workdays": [{"date": "2025-01-26", "for": "春节"}]}]}'''
    >>> schedule = parse_holiday_schedule(text)
    >>> schedule.years
    (2025,)
    >>> is_working_day(schedule.to_calendar(), date(2025, 1, 26))
    True
    """

    country: str
    notices: tuple[HolidayNotice, ...]
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    holiday_names: dict[date, str] = field(default_factory=dict)

    @property
    def years(self) -> tuple[int, ...]:
        """Years covered by the schedule, ascending."""
        return tuple(sorted(notice.year for notice in self.notices))

    def to_calendar(self, *, weekend_days: frozenset[int] = frozenset({5, 6})) -> WorkCalendar:
        """A :class:`WorkCalendar` with this schedule's holidays and make-up working days."""
        return WorkCalendar(
            weekend_days=weekend_days,
            holidays=self.holidays,
            makeup_workdays=self.makeup_workdays,
            holiday_years=frozenset(self.years),
        )


def parse_holiday_schedule(text: str) -> HolidaySchedule:
    """Parse the text of a holiday data file (format ``bidwright-holidays/1``, JSON).

    Every problem raises :class:`EstimationInputError` naming the year, the entry, the
    field and the value. Make-up working days must fall on a Saturday or a Sunday, and no
    date may be both a holiday and a make-up day: both catch typical typing mistakes.

    Parameters
    ----------
    text
        The file's contents.

    Returns
    -------
    HolidaySchedule

    Examples
    --------
    >>> parse_holiday_schedule('{"format": "bidwright-holidays/1", "country": "CN", '
    ...                        '"years": []}').years
    ()
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise EstimationInputError(f"holiday data: not valid JSON ({error})") from error
    if not isinstance(document, dict) or document.get("format") != "bidwright-holidays/1":
        raise EstimationInputError("holiday data: format must be 'bidwright-holidays/1'")
    years = document.get("years")
    if not isinstance(years, list):
        raise EstimationInputError(f"holiday data: years={years!r} must be a list")
    notices: list[HolidayNotice] = []
    holidays: dict[date, str] = {}
    makeup: set[date] = set()
    for entry in years:
        notice, year_holidays, year_makeup = _parse_year(entry)
        if any(existing.year == notice.year for existing in notices):
            raise EstimationInputError(f"holiday data: year {notice.year} appears twice")
        notices.append(notice)
        holidays.update(year_holidays)
        makeup.update(year_makeup)
    clash = sorted(set(holidays) & makeup)
    if clash:
        raise EstimationInputError(
            f"holiday data: {clash[0].isoformat()} is both a holiday and a make-up working day"
        )
    return HolidaySchedule(
        country=str(document.get("country", "")),
        notices=tuple(sorted(notices, key=lambda notice: notice.year)),
        holidays=frozenset(holidays),
        makeup_workdays=frozenset(makeup),
        holiday_names=holidays,
    )


def _parse_year(entry: Any) -> tuple[HolidayNotice, dict[date, str], set[date]]:
    if not isinstance(entry, dict) or not isinstance(entry.get("year"), int):
        raise EstimationInputError(f"holiday data: year entry {entry!r} has no integer 'year'")
    year: int = entry["year"]
    where = f"holiday data year {year}"
    source = entry.get("source")
    if not isinstance(source, dict):
        raise EstimationInputError(f"{where}: source={source!r} must be an object")
    published = source.get("published")
    notice = HolidayNotice(
        year=year,
        title=str(source.get("title", "")),
        number=str(source.get("number", "")),
        published=_parse_date(published, f"{where} source", "published") if published else None,
        url=str(source.get("url", "")),
    )
    holidays: dict[date, str] = {}
    for index, item in enumerate(_list(entry, "holidays", where)):
        label = f"{where} holiday #{index + 1}"
        name = str(item.get("name", "")) if isinstance(item, dict) else ""
        first = _parse_date(_get(item, "from", label), label, "from")
        last = _parse_date(_get(item, "to", label), label, "to")
        if last < first or (last - first).days > 15:
            raise EstimationInputError(
                f"{label} ({name}): to={last.isoformat()} must be 0..15 days after "
                f"from={first.isoformat()}"
            )
        day = first
        while day <= last:
            holidays[day] = name
            day += _ONE_DAY
    makeup: set[date] = set()
    for index, item in enumerate(_list(entry, "makeup_workdays", where)):
        label = f"{where} make-up day #{index + 1}"
        day = _parse_date(_get(item, "date", label), label, "date")
        if day.weekday() < 5:
            raise EstimationInputError(
                f"{label}: date={day.isoformat()} is a {_WEEKDAY_NAMES[day.weekday()]}; "
                "make-up working days fall on weekends"
            )
        makeup.add(day)
    return notice, holidays, makeup


def _list(entry: dict[str, Any], key: str, where: str) -> list[Any]:
    value = entry.get(key, [])
    if not isinstance(value, list):
        raise EstimationInputError(f"{where}: {key}={value!r} must be a list")
    return value


def _get(item: Any, key: str, label: str) -> Any:
    if not isinstance(item, dict) or key not in item:
        raise EstimationInputError(f"{label}: missing field {key!r} in {item!r}")
    return item[key]


def _parse_date(value: Any, label: str, name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise EstimationInputError(f"{label}: {name}={value!r} is not a YYYY-MM-DD date") from error
