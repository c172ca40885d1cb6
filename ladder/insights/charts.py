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


def bar_figure(labels: list[str], values: list[float], *, horizontal: bool = False,
               money: bool = False, height: int = 220) -> dict[str, Any]:  # fmt: skip
    """A small bar chart for a dashboard tile (days along the bottom, or labels down the side)."""
    import plotly.graph_objects as go

    bars = (go.Bar(y=labels, x=values, orientation="h", marker_color=ACTUAL) if horizontal
            else go.Bar(x=labels, y=values, marker_color=ACTUAL))  # fmt: skip
    figure = go.Figure(bars)
    axis = {"tickprefix": "$" if money else "", "rangemode": "tozero"}
    figure.update_layout(
        margin={"l": 8, "r": 8, "t": 8, "b": 24}, height=height, showlegend=False,
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis=axis if horizontal else {}, yaxis={"autorange": "reversed", "automargin": True}
        if horizontal else axis,
    )  # fmt: skip
    return json.loads(figure.to_json())  # type: ignore[no-any-return]


def dashboard_figures(board: Any) -> dict[str, dict[str, Any]]:
    """The dashboard's charts, by tile."""
    tiles = board.tiles
    actions, money = tiles["actions"], tiles["money"]
    figures = {
        "actions": bar_figure([d for d, _ in actions["days"]], [v for _, v in actions["days"]]),
        "money": bar_figure([d for d, _ in money["days"]], [v for _, v in money["days"]],
                            money=True),
        "sources": bar_figure([s for s, _ in tiles["new_people"]["sources"]],
                              [n for _, n in tiles["new_people"]["sources"]], horizontal=True),
    }  # fmt: skip
    if tiles["funnel"]["rungs"]:
        rungs = tiles["funnel"]["rungs"]
        figures["funnel"] = bar_figure([r for r, _ in rungs], [n for _, n in rungs],
                                       horizontal=True)  # fmt: skip
    return figures


__all__ = ["bar_figure", "dashboard_figures", "goal_figure"]
