"""Legal deadlines of data subject requests and of withdrawals, on the Vietnamese calendar.

Every deadline is an aware UTC :class:`~datetime.datetime`: the last instant (23:59:59.999999)
of a day in Asia/Ho_Chi_Minh, the service's home time zone. Days are counted on Vietnamese
local dates even for GDPR and US requests: Vietnam's day ends before any European or American
one does, so a deadline kept here is kept there too.

Sources (read through secondary sources; the decree's own article text could not be retrieved
for this work, so no article number of it is cited here):

* Decree 356/2025/ND-CP (in force 1 January 2026, replacing Decree 13/2023/ND-CP), on the
  rights of data subjects under the Law on Personal Data Protection 91/2025/QH15: the controller
  (or controller-processor) answers a request within **2 working days** ("02 ngày làm việc") of
  receiving it, completes it within **15 days**, or **20 days** when a processor or a third
  party must also stop processing, and may extend **once, by at most 15 days**, stating why
  (summaries: Frasers Law Company, "Chương mới của bảo vệ dữ liệu cá nhân", 19 January 2026;
  CDLAF, "Rights of personal data subjects … under Decree No. 356/2025/ND-CP").
* Calendar or working days: the decree says "ngày làm việc" (working days) for the answer and
  plain "ngày" (days) for completion, so completion is counted in calendar days. Periods follow
  the Civil Code 91/2015/QH13: a period in days starts the day after the event (Art. 147(2)),
  ends at the end of its last day (Art. 148(1), (6)), and when that day is a weekend day or a
  public holiday it ends at the end of the next working day (Art. 148(5)).
* Working days: Monday to Friday except Vietnamese public holidays, the lunar ones (Tết, Hùng
  Kings) included, and with the Saturdays the government swaps in as working days, from the
  ``holidays`` package (``holidays.country_holidays("VN")``).
* GDPR Art. 12(3): one month from receipt, extendable by two further months (the month ends
  on the same date of the next month, or the month's last day; Regulation 1182/71 Art. 3).
* US (e.g. California, CCPA, Civil Code §1798.130(a)(2)): 45 days, extendable once by 45 more.
  The 10 business days the CCPA regulations allow for confirming receipt (11 CCR §7021(a)) are
  longer than the 2 Vietnamese working days used here for every law.
"""

from __future__ import annotations

import functools
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
LAW_VN = "vn"
LAW_GDPR = "gdpr"
LAW_US = "us"
LAWS = (LAW_VN, LAW_GDPR, LAW_US)
# Decree 356/2025/ND-CP: answer within 2 working days; complete within 15 days, 20 when
# processors or third parties must act; one extension of at most 15 days.
ACKNOWLEDGE_WORKING_DAYS = 2
VN_DAYS = 15
VN_DAYS_WITH_PROCESSORS = 20
VN_EXTENSION_DAYS = 15
# CCPA, Civil Code §1798.130(a)(2): 45 days, once more 45.
US_DAYS = 45
US_EXTENSION_DAYS = 45
# GDPR Art. 12(3): one month, two more.
GDPR_MONTHS = 1
GDPR_EXTENSION_MONTHS = 2
# A request is "due soon" with this many Vietnamese working days left, or fewer.
DUE_SOON_WORKING_DAYS = 2


@functools.cache
def _vietnam_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a Vietnamese working day: not a weekend day (unless the government
    swapped it in as one), not a public holiday (Tết and the other lunar ones included)."""
    return bool(_vietnam_holidays(day.year).is_working_day(day))


def next_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself is never counted)."""
    found = 0
    while found < count:
        day += timedelta(days=1)
        found += is_working_day(day)
    return day


def working_days_between(start: date, end: date) -> int:
    """How many working days lie after ``start`` up to and including ``end`` (0 if none)."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def local_date(moment: datetime) -> date:
    """The date in Vietnam at an aware ``moment``."""
    return moment.astimezone(ZONE).date()


def end_of_day(day: date) -> datetime:
    """The last instant of ``day`` in Vietnam, as an aware UTC datetime (Civil Code Art. 148(6):
    a period ends at midnight of its last day)."""
    return datetime.combine(day, time.max, ZONE).astimezone(UTC)


def _add_months(day: date, months: int) -> date:
    """The same date ``months`` later, or that month's last day when it has no such date."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def law_for_region(region: str | None) -> str:
    """Which deadlines apply to a request filed from ``region`` (``VN``, ``US-CA``, ``DE``, None).

    ``vn`` for Vietnam; ``us`` for the United States and its states; ``gdpr`` for any other
    known region; ``vn`` when the region is unknown, its deadlines being the strictest.
    """
    if not region:
        return LAW_VN
    country = region.split("-", 1)[0].upper()
    if country == "VN":
        return LAW_VN
    if country == "US":
        return LAW_US
    return LAW_GDPR


def acknowledge_by(received_at: datetime) -> datetime:
    """The end of the 2nd Vietnamese working day after the day of receipt (Decree
    356/2025/ND-CP: an answer within 2 working days), for every law (see the module)."""
    return end_of_day(add_working_days(local_date(received_at), ACKNOWLEDGE_WORKING_DAYS))


def _calendar_days(received_at: datetime, days: int) -> datetime:
    """Civil Code Arts. 147-148: ``days`` days after the day of receipt, moved to the next
    working day when the last one is a weekend day or a holiday; its end."""
    return end_of_day(next_working_day(local_date(received_at) + timedelta(days=days)))


def due_by(received_at: datetime, law: str, *, processors_involved: bool = False) -> datetime:
    """When a request must be completed, from when it was received.

    ``vn``: 15 calendar days, 20 with processors involved (Decree 356/2025/ND-CP), ending on a
    working day (Civil Code Art. 148(5)); ``gdpr``: one month (GDPR Art. 12(3)); ``us``: 45 days
    (CCPA §1798.130(a)(2)). Raises :class:`ValueError` for an unknown law.
    """
    if law == LAW_VN:
        return _calendar_days(
            received_at, VN_DAYS_WITH_PROCESSORS if processors_involved else VN_DAYS
        )
    if law == LAW_GDPR:
        return end_of_day(_add_months(local_date(received_at), GDPR_MONTHS))
    if law == LAW_US:
        return end_of_day(local_date(received_at) + timedelta(days=US_DAYS))
    raise ValueError(f"unknown law {law!r}: one of {', '.join(LAWS)}")


def withdrawal_act_by(withdrawn_at: datetime, *, processors_involved: bool = False) -> datetime:
    """When processors must have stopped after a withdrawal of consent: 15 days, or 20 when
    processors are involved (Decree 356/2025/ND-CP), counted as :func:`due_by` counts them."""
    return due_by(withdrawn_at, LAW_VN, processors_involved=processors_involved)


@dataclass(frozen=True)
class ExtensionLimit:
    """How far one extension may go: at most ``days`` days (or ``months`` months) more."""

    days: int | None
    months: int | None


EXTENSION_LIMITS = {
    LAW_VN: ExtensionLimit(VN_EXTENSION_DAYS, None),
    LAW_US: ExtensionLimit(US_EXTENSION_DAYS, None),
    LAW_GDPR: ExtensionLimit(None, GDPR_EXTENSION_MONTHS),
}


def max_extension_days(due: datetime, law: str) -> int:
    """The most days one extension may add to the deadline ``due``: 15 (vn), 45 (us), or the
    days up to the same date two months later (gdpr)."""
    limit = EXTENSION_LIMITS[law]
    if limit.days is not None:
        return limit.days
    start = local_date(due)
    return (_add_months(start, limit.months or 0) - start).days


def extended_due(due: datetime, days: int, law: str) -> datetime:
    """The deadline after extending ``due`` by ``days`` calendar days; under ``vn`` it ends on
    a working day (Civil Code Art. 148(5)). Raises :class:`ValueError` beyond the law's limit."""
    if not 1 <= days <= max_extension_days(due, law):
        raise ValueError(f"an extension is 1 to {max_extension_days(due, law)} days")
    day = local_date(due) + timedelta(days=days)
    return end_of_day(next_working_day(day) if law == LAW_VN else day)


def working_days_left(deadline: datetime, now: datetime) -> int:
    """Vietnamese working days from today (not counted) to the deadline's day (counted)."""
    return working_days_between(local_date(now), local_date(deadline))


def deadline_flag(deadlines: list[datetime], now: datetime) -> str | None:
    """``overdue`` when a deadline has passed, ``due_soon`` when one has 2 working days left or
    fewer, else ``None``."""
    if any(now > deadline for deadline in deadlines):
        return "overdue"
    if any(working_days_left(deadline, now) <= DUE_SOON_WORKING_DAYS for deadline in deadlines):
        return "due_soon"
    return None
