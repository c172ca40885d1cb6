"""The report's chart, drawn on the server as SVG: one row of bars per series (sends, opens,
clicks), each on its own scale so that a hundred clicks still show beside ten thousand sends,
with its peak written beside it. Labels are HTML around the SVG so that they stay readable at
any width; the bars themselves stretch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import dateformat, timezone

from ladder.mailings.selectors import Timeline

SLOT = 10  # SVG units per bucket
HEIGHT = 60


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    total: int
    peak: int
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    unit: str
    width: int
    height: int
    series: list[Series]
    first: str
    middle: str
    last: str
    rows: list[tuple[str, int, int, int]]  # the same numbers as a table


def _label(moment: dt.datetime, unit: str) -> str:
    return dateformat.format(timezone.localtime(moment), "M j, g A" if unit == "hour" else "M j")


def timeline_chart(timeline: Timeline) -> Chart | None:
    buckets = timeline.buckets
    if not buckets:
        return None
    unit = timeline.unit
    series = []
    for key, label in (("sends", "Sent"), ("opens", "Opened"), ("clicks", "Clicked")):
        values = [getattr(b, key) for b in buckets]
        peak = max(values)
        bars = []
        for index, (bucket, value) in enumerate(zip(buckets, values, strict=True)):
            height = 0.0 if not peak else max(1.5, HEIGHT * value / peak) if value else 0.0
            bars.append(
                Bar(
                    x=index * SLOT + 1,
                    y=HEIGHT - height,
                    width=SLOT - 2,
                    height=height,
                    title=f"{_label(bucket.start, unit)}: {value} {label.lower()}",
                )
            )
        series.append(Series(key=key, label=label, total=sum(values), peak=peak, bars=bars))
    return Chart(
        unit=unit,
        width=len(buckets) * SLOT,
        height=HEIGHT,
        series=series,
        first=_label(buckets[0].start, unit),
        middle=_label(buckets[len(buckets) // 2].start, unit) if len(buckets) > 2 else "",
        last=_label(buckets[-1].start, unit),
        rows=[(_label(b.start, unit), b.sends, b.opens, b.clicks) for b in buckets],
    )
