"""A goal's trend as a plotly figure: the running total so far, the straight line from the start
to the target (the pace that reaches it), and the projection from today to the deadline."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ladder.insights.goals import Progress

ACTUAL, PACE, PROJECTION = "#1f5f8b", "#9aa5b1", "#2b7a4b"


def goal_figure(progress: Progress) -> dict[str, Any]:
    import plotly.graph_objects as go

    goal = progress.goal
    days = [d.isoformat() for d, _ in progress.series]
    totals = [float(v) for _, v in progress.series]
    start = float(progress.at_start)
    figure = go.Figure()
    figure.add_scatter(x=days, y=totals, mode="lines", name="So far",
                       line={"color": ACTUAL, "width": 3})  # fmt: skip
    figure.add_scatter(
        x=[goal.starts_on.isoformat(), goal.deadline.isoformat()], y=[start, float(goal.target)],
        mode="lines", name="Pace to the target", line={"color": PACE, "dash": "dash"},
    )  # fmt: skip
    if progress.series and progress.days_left > 0:
        last = progress.series[-1][0]
        figure.add_scatter(
            x=[last.isoformat(), goal.deadline.isoformat()],
            y=[float(progress.done), float(progress.projection)],
            mode="lines", name="Projection", line={"color": PROJECTION, "dash": "dot"},
        )  # fmt: skip
    figure.update_layout(
        margin={"l": 48, "r": 16, "t": 16, "b": 40}, height=280, hovermode="x unified",
        legend={"orientation": "h", "y": -0.2}, paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"range": [goal.starts_on.isoformat(),
                         (goal.deadline + dt.timedelta(days=1)).isoformat()]},
        yaxis={"rangemode": "tozero", "tickprefix": "$" if goal.is_money else ""},
    )  # fmt: skip
    return json.loads(figure.to_json())  # type: ignore[no-any-return]


__all__ = ["goal_figure"]
