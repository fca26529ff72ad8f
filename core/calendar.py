"""The days the system reasons about. Far from the ends of Python's calendar (year 1 and 9999), which code
stepping a day or a lifetime past a date would overflow: a date outside is refused as input, never a 500."""

from datetime import date

FIRST_DAY = date(2000, 1, 1)  # before the first receipt any chain could have here
LAST_DAY = date(2099, 12, 31)
FIRST_BIRTHDAY = date(1900, 1, 1)


def off_calendar(day: date) -> str | None:
    """Why `day` is refused as a day to report on or run a job as of, or None if it is fine."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return f"Choose a day from {FIRST_DAY} to {LAST_DAY}."


def off_birthdays(day: date, today: date) -> str | None:
    """Why `day` cannot be someone's birthday (before 1900 or in the future), or None."""
    if FIRST_BIRTHDAY <= day <= today:
        return None
    return f"A birthday is a day from {FIRST_BIRTHDAY} to today."
