"""What the dashboard, the CSV export and the open data show, composed from the selectors.

These are reads like the selectors (selectors.py computes each figure; this module puts them
together for one page or one file), so every function here is a bounded number of queries.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from torget.conversations.models import Channel
from torget.insights import charts, selectors
from torget.insights.forms import Scope, local_midnight
from torget.insights.selectors import (
    DEFAULT_HORIZON,
    ChannelFigures,
    DialogueMetrics,
    MonthFigures,
    PoliticianFigures,
    ThreadFigures,
    UnitFigures,
)
from torget.organisation.models import Municipality, Unit
from torget.organisation.workinghours import OSLO


@dataclass(frozen=True)
class UnitRow:
    unit_figures: UnitFigures
    bar: charts.GoalBar

    @property
    def unit(self) -> Unit:
        return self.unit_figures.unit

    @property
    def figures(self) -> ThreadFigures:
        return self.unit_figures.figures

    @property
    def politicians(self) -> PoliticianFigures:
        return self.unit_figures.politicians

    @property
    def goal_seconds(self) -> int:
        return int(self.unit_figures.unit.answer_goal_minutes) * 60


@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    metrics: DialogueMetrics
    units: list[UnitRow]
    channels: list[ChannelFigures]
    months: list[MonthFigures]
    trend: charts.Trend

    @property
    def horizon_days(self) -> int:
        return self.metrics.horizon.days

    @property
    def has_questions(self) -> bool:
        return self.metrics.threads.questions > 0


def channel_label(value: str) -> str:
    try:
        return str(Channel(value).label)
    except ValueError:
        return value


def month_label(month: datetime.date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def dashboard_get(
    *, municipality: Municipality, scope: Scope, now: datetime.datetime | None = None
) -> Dashboard:
    """Every figure of the dashboard for `scope`: the summary, goal against practice per unit,
    the channels and the monthly trend of the reply rate. About a dozen queries."""
    now = now or timezone.now()
    common: dict[str, Any] = {
        "municipality": municipality,
        "start": scope.start,
        "end": scope.end,
        "now": now,
    }
    metrics = selectors.metrics_for(
        unit=scope.unit,
        include_subunits=scope.include_subunits,
        channel=scope.channel,
        **common,
    )
    units = selectors.metrics_list_by_unit(unit=scope.unit, channel=scope.channel, **common)
    if scope.unit is not None and not scope.include_subunits:
        units = [row for row in units if row.unit.pk == scope.unit.pk]
    channels = (
        []
        if scope.channel
        else selectors.metrics_list_by_channel(
            unit=scope.unit, include_subunits=scope.include_subunits, **common
        )
    )
    months = selectors.metrics_list_by_month(
        unit=scope.unit,
        include_subunits=scope.include_subunits,
        channel=scope.channel,
        **common,
    )
    points = [
        (
            date_format(m.month, "SHORT_MONTH_FORMAT"),
            str(m.month.year) if i == 0 or m.month.month == 1 else "",
            m.figures.reply_rate,
        )
        for i, m in enumerate(months)
    ]
    return Dashboard(
        scope=scope,
        metrics=metrics,
        units=[
            UnitRow(
                unit_figures=row,
                bar=charts.goal_bar(row.figures.within_goal_share, row.unit.answer_goal_percent),
            )
            for row in units
        ],
        channels=channels,
        months=months,
        trend=charts.trend(points),
    )


# --- CSV ------------------------------------------------------------------------------------


def _csv_percent(share: float | None) -> str:
    # A decimal comma: the file is for Norwegian spreadsheets, which also expect the semicolon.
    return "" if share is None else f"{share * 100:.1f}".replace(".", ",")


def _csv_hours(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.1f}".replace(".", ",")


def _csv_row(
    name: str, goal: str, minutes: str, f: ThreadFigures, p: PoliticianFigures
) -> list[str]:
    return [
        name,
        goal,
        minutes,
        str(f.questions),
        str(f.no_answer_needed),
        str(f.judged),
        str(f.answered_in_time),
        str(f.pending),
        _csv_percent(f.reply_rate),
        str(f.within_goal),
        str(f.goal_judged),
        _csv_percent(f.within_goal_share),
        _csv_hours(f.answer_working_seconds.median),
        _csv_hours(f.answer_working_seconds.p90),
        _csv_hours(f.answer_seconds.median),
        _csv_hours(f.answer_seconds.p90),
        _csv_percent(f.two_way_share),
        str(p.answers),
        str(p.threads),
    ]


def units_csv(dashboard: Dashboard) -> str:
    """The goal-against-practice table as CSV text: one row per unit and a total row.

    Semicolon-separated with decimal commas, the form Excel opens directly in Norwegian; the
    caller writes it as UTF-8 with a byte-order mark so that Excel reads æ, ø and å.
    """
    days = dashboard.horizon_days
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Unit"),
            _("Goal (%)"),
            _("Goal (working minutes)"),
            _("Questions"),
            _("No answer needed"),
            _("Old enough to judge"),
            _("Answered within %(days)d days") % {"days": days},
            _("Pending"),
            _("Reply rate (%)"),
            _("Answered within goal"),
            _("Judged against goal"),
            _("Answered within goal (%)"),
            _("Median time to first answer (working hours)"),
            _("90th percentile (working hours)"),
            _("Median time to first answer (hours)"),
            _("90th percentile (hours)"),
            _("Two-way threads (%)"),
            _("Answers by politicians (not in the reply rate)"),
            _("Threads with an answer by a politician"),
        ]
    )
    for row in dashboard.units:
        writer.writerow(
            _csv_row(
                row.unit.name,
                str(row.unit.answer_goal_percent),
                str(row.unit.answer_goal_minutes),
                row.figures,
                row.politicians,
            )
        )
    total = dashboard.metrics
    writer.writerow(_csv_row(_("Total"), "", "", total.threads, total.politicians))
    return out.getvalue()


# --- open data ------------------------------------------------------------------------------


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def figures_json(f: ThreadFigures) -> dict[str, Any]:
    """ThreadFigures as plain JSON, with the names of docs/metrics.md."""
    return {
        "questions": f.questions,
        "no_answer_needed": f.no_answer_needed,
        "judged": f.judged,
        "answered_within_horizon": f.answered_in_time,
        "pending": f.pending,
        "reply_rate": _round(f.reply_rate, 4),
        "answered": f.answered,
        "two_way": f.two_way,
        "two_way_share": _round(f.two_way_share, 4),
        "answered_within_goal": f.within_goal,
        "judged_against_goal": f.goal_judged,
        "within_goal_share": _round(f.within_goal_share, 4),
        "first_answer_hours": {
            "median": _hours(f.answer_seconds.median),
            "p90": _hours(f.answer_seconds.p90),
        },
        "first_answer_working_hours": {
            "median": _hours(f.answer_working_seconds.median),
            "p90": _hours(f.answer_working_seconds.p90),
        },
    }


def politicians_json(p: PoliticianFigures) -> dict[str, Any]:
    """Politicians' answers as plain JSON: counted apart, never in the reply rate."""
    return {
        "politician_answers": {
            "answers": p.answers,
            "threads": p.threads,
            "politicians": p.politicians,
        }
    }


def open_data_period(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The twelve whole calendar months (Norwegian time) before the month of `now`."""
    this_month = now.astimezone(OSLO).date().replace(day=1)
    first = this_month.replace(year=this_month.year - 1)
    return local_midnight(first), local_midnight(this_month)


def open_data_get(
    *, municipality: Municipality, definitions_url: str, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """The municipality's dialogue figures as open data: aggregates only, no personal data.

    The total, each unit's own threads and each channel over the last twelve whole months, and
    the total per month. About fifteen queries (computed at most once an hour).
    """
    now = now or timezone.now()
    start, end = open_data_period(now)
    common: dict[str, Any] = {"municipality": municipality, "start": start, "end": end, "now": now}
    total = selectors.metrics_for(**common)
    units = selectors.metrics_list_by_unit(**common)
    channels = selectors.metrics_list_by_channel(**common)
    months = selectors.metrics_list_by_month(**common)
    total_json = figures_json(total.threads)
    total_json.update(politicians_json(total.politicians))
    total_json.update(
        {
            "resident_messages": total.resident_messages,
            "unique_residents": total.unique_residents,
            "posts": total.posts,
            "dialogue_posts": total.dialogue_posts,
            "dialogue_post_share": _round(total.dialogue_post_share, 4),
        }
    )
    return {
        "municipality": {"number": municipality.number, "name": municipality.name},
        "generated_at": now.astimezone(OSLO).isoformat(timespec="seconds"),
        "definitions": definitions_url,
        "period": {
            "start": start.isoformat(timespec="seconds"),
            "end": end.isoformat(timespec="seconds"),
            "note": "start inclusive, end exclusive",
        },
        "horizon_days": DEFAULT_HORIZON.days,
        "now": {"waiting": total.waiting_now, "overdue": total.overdue_now},
        "total": total_json,
        "units": [
            {
                "slug": row.unit.slug,
                "name": row.unit.name,
                "parent": row.unit.parent.slug if row.unit.parent else None,
                "goal": {
                    "percent": row.unit.answer_goal_percent,
                    "working_minutes": row.unit.answer_goal_minutes,
                },
                **figures_json(row.figures),
                **politicians_json(row.politicians),
            }
            for row in units
        ],
        "channels": [
            {
                "channel": row.channel,
                **figures_json(row.figures),
                **politicians_json(row.politicians),
            }
            for row in channels
        ],
        "months": [
            {
                "month": m.month.strftime("%Y-%m"),
                **figures_json(m.figures),
                **politicians_json(m.politicians),
            }
            for m in months
        ],
    }
