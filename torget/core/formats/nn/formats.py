"""Nynorsk writes dates and times as Bokmål does (see torget.core.formats)."""

from torget.core.formats.nb.formats import (  # noqa: F401 — read by Django by name
    ABBR_DATE_FORMAT,
    ABBR_DATETIME_FORMAT,
    ABBR_DAY_TIME_FORMAT,
    DATE_FORMAT,
    DATETIME_FORMAT,
    DAY_TIME_FORMAT,
    MONTH_DAY_FORMAT,
    SHORT_DATE_FORMAT,
    SHORT_DATETIME_FORMAT,
    SHORT_MONTH_FORMAT,
    TIME_FORMAT,
    YEAR_MONTH_FORMAT,
)
