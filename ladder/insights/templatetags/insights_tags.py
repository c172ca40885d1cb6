from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


@register.filter
def goal_amount(value: Decimal | float | None, goal: Any) -> str:
    """A goal's number as people read it: "$1,250" for money, "1,250" (or "2.5" a day) else."""
    if value is None:
        return "—"
    number = Decimal(value)
    whole = number == number.to_integral_value() or abs(number) >= 10
    text = intcomma(int(number.quantize(Decimal(1)))) if whole else f"{number:.1f}"
    return f"${text}" if goal.is_money else text


@register.inclusion_tag("insights/_group_goals.html")
def group_goals(group: Any) -> dict[str, Any]:
    """The goals set for ``group``, with their progress (for the group's page)."""
    from ladder.insights.goals import goal_progress
    from ladder.insights.models import Goal

    goals = Goal.objects.filter(group=group, archived=False).select_related("group", "rung")
    return {"progress": [goal_progress(goal) for goal in goals], "group": group}


@register.inclusion_tag("insights/_help_links.html")
def help_links(topics: str) -> dict[str, Any]:
    """Links to the published articles on any of ``topics`` ("canvass, phone bank")."""
    from django.db.models import Q

    from ladder.insights.models import Article

    words = [t.strip().lower() for t in topics.split(",") if t.strip()]
    condition = Q()
    for word in words:
        condition |= Q(topics__icontains=word)
    articles = Article.objects.filter(condition, published=True)[:5] if words else []
    return {"articles": articles}
