"""Goals: a number the organization (or one group) means to reach by a day — doors knocked,
money raised, people on a rung — measured from the activity log's rollups as it moves."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ladder.activity.catalogue import ActivityType
from ladder.ladders.models import Rung
from ladder.people.models import Group, Person


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


class ListeningRun(models.Model):
    """One grouping of what people said into themes, done in the worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Reading"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    since = models.DateField()
    texts = models.IntegerField(default=0)
    seconds = models.FloatField(default=0)
    error = models.TextField(blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class Theme(models.Model):
    run = models.ForeignKey(ListeningRun, on_delete=models.CASCADE, related_name="themes")
    position = models.PositiveIntegerField()
    words = models.JSONField(default=list)  # the top words, most telling first
    size = models.IntegerField(default=0)
    people = models.IntegerField(default=0)
    examples = models.JSONField(default=list)  # [{"text": ..., "person": id}, ...]
    weekly = models.JSONField(default=dict)  # {"2026-11-23": 14, ...} (weeks start on Monday)

    class Meta:
        ordering = ["run", "-size", "position"]

    @property
    def label(self) -> str:
        """Up to four of the top words, skipping any whose words an earlier one already said
        ("school funding", then not "funding" or "school")."""
        seen: set[str] = set()
        shown: list[str] = []
        for term in self.words:
            parts = set(term.split())
            if parts <= seen:
                continue
            seen |= parts
            shown.append(term)
            if len(shown) == 4:
                break
        return ", ".join(shown)


class ThemeText(models.Model):
    """One thing someone said, in the theme it was grouped into."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="texts")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    activity_id = models.BigIntegerField()
    said_at = models.DateTimeField()
    text = models.TextField()
    # How close it sits to the theme's centre (its examples are the closest).
    score = models.FloatField(default=0)

    class Meta:
        ordering = ["theme", "-score"]


class Digest(models.Model):
    """How often a login hears about their people acting (one email, never a flood)."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Every morning"
        WEEKLY = "weekly", "Every Monday"
        NEVER = "never", "Never"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest"
    )
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default="daily")
    last_sent_at = models.DateTimeField(null=True, blank=True)


__all__ = [
    "Article",
    "Digest",
    "Goal",
    "ListeningRun",
    "Metric",
    "Question",
    "Theme",
    "ThemeText",
]
