"""Goals: a number the organization (or one group) means to reach by a day — doors knocked,
money raised, people on a rung — measured from the activity log's rollups as it moves."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ladder.activity.catalogue import ActivityType
from ladder.ladders.models import Rung
from ladder.people.models import Group


class Metric(models.TextChoices):
    NEW_SUPPORTERS = "new_supporters", "New supporters"
    MONEY_RAISED = "money_raised", "Money raised"
    DOORS_KNOCKED = "doors_knocked", "Doors knocked"
    CALLS_MADE = "calls_made", "Calls made"
    VOLUNTEERS_ACTIVE = "volunteers_active", "Volunteers active"
    LEADERS_DEVELOPED = "leaders_developed", "Leaders developed"
    ON_RUNG = "on_rung", "People on a rung"
    ACTIVITY_COUNT = "activity_count", "Count of an activity"
    ACTIVITY_SUM = "activity_sum", "Amount of an activity"


class Goal(models.Model):
    name = models.CharField(max_length=200)
    metric = models.CharField(max_length=24, choices=Metric.choices)
    # For the activity metrics: which activity. For people on a rung: which rung (or higher).
    activity_type = models.CharField(
        max_length=32, choices=ActivityType.choices, blank=True, default=""
    )
    rung = models.ForeignKey(
        Rung, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # No group: the whole organization. A group counts its teams too.
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="goals"
    )
    target = models.DecimalField(max_digits=14, decimal_places=2)
    starts_on = models.DateField()
    deadline = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deadline__gte=models.F("starts_on")), name="goal_dates_ordered"
            ),
            models.CheckConstraint(condition=models.Q(target__gt=0), name="goal_target_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_money(self) -> bool:
        return self.metric == Metric.MONEY_RAISED or self.metric == Metric.ACTIVITY_SUM


class Article(models.Model):
    """A knowledge-base article for volunteers and leaders, in Markdown."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    body = models.TextField()
    # Words that tie it to the places it helps ("canvass", "phone bank", "hosting").
    topics = models.CharField(max_length=200, blank=True, default="")
    published = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """A volunteer's question; staff answer it once, and the answer becomes an article."""

    text = models.TextField()
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    asked_at = models.DateTimeField()
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-asked_at", "-pk"]


__all__ = ["Article", "Goal", "Metric", "Question"]
