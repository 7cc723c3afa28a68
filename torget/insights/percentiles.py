"""Percentiles of durations, with the same code on SQLite and PostgreSQL.

SQLite has no percentile function and PostgreSQL's `percentile_cont` has no SQLite twin. The
database filters (with an index that covers the durations, see docs/metrics.md) and returns
only the integer columns wanted, plus the group key; Python sorts each group and interpolates.

Why not in SQL: a portable statement with window functions (`ROW_NUMBER() OVER (PARTITION BY
g ORDER BY v)` and `COUNT(*) OVER (PARTITION BY g)`, keeping only the rows around the wanted
ranks) returns just a few rows, but measured on 200,000 threads it was slower on both
databases, for one unit's year as for a whole municipality's: 1.3 to 2.4 times, and about 5
times when an index covers the durations, because it sorts once per window. `ORDER BY v
LIMIT 2 OFFSET k` needs a query per percentile and column. Fetching integers is cheap (a large
municipality has of the order of 10^5 answered questions a year).

The definition is linear interpolation between closest ranks, the one of PostgreSQL's
`percentile_cont`, numpy's default and Excel's PERCENTILE.INC: for n sorted values
x[0] ≤ … ≤ x[n-1] and a fraction p, let h = p·(n-1); the percentile is
x[⌊h⌋] + (h - ⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋]). The median of 1…10 is 5.5, the 90th percentile 9.1.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from django.db.models import QuerySet

PERCENTS = (50, 90)


def percentile(ordered: Sequence[float], percent: int) -> float:
    """The percentile `percent` (0–100) of the non-empty, ascending `ordered`."""
    if not ordered:
        raise ValueError("no values")
    # Integer arithmetic for ⌊h⌋ and its fraction, so that 0.9 · 9 is exactly 8.1.
    lower, remainder = divmod(percent * (len(ordered) - 1), 100)
    low = float(ordered[lower])
    if remainder == 0:
        return low
    return low + remainder / 100 * (float(ordered[lower + 1]) - low)


def grouped_percentiles(
    queryset: QuerySet[Any],
    columns: Sequence[str],
    *,
    group: str | None = None,
    percents: Sequence[int] = PERCENTS,
) -> dict[Hashable, dict[str, dict[int, float]]]:
    """Percentiles of each of `columns` over the rows of `queryset`, per value of `group`.

    Returns {group value: {column: {percent: value}}}; groups without rows are absent, and the
    caller filters out rows where a column is NULL. Without `group` the one group has the key
    None. One query, whatever the number of groups and columns.
    """
    if not columns:
        return {}
    if any(not 0 <= int(p) <= 100 for p in percents):
        raise ValueError("percents lie between 0 and 100")
    fields = [group, *columns] if group else list(columns)
    values: dict[Hashable, list[list[float]]] = {}
    for row in queryset.order_by().values_list(*fields):
        key = row[0] if group else None
        found = values.get(key)
        if found is None:
            found = values[key] = [[] for _ in columns]
        for i, value in enumerate(row[1:] if group else row):
            found[i].append(value)
    result: dict[Hashable, dict[str, dict[int, float]]] = {}
    for key, lists in values.items():
        result[key] = {}
        for column, numbers in zip(columns, lists, strict=True):
            numbers.sort()
            result[key][column] = {int(p): percentile(numbers, int(p)) for p in percents}
    return result
