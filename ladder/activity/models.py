"""The activity log: one append-only table of everything between the organization and a person,
and the rollups that make reading it fast."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ladder.activity.catalogue import ActivityChannel, ActivityType, Direction
from ladder.people.models import Group, Person


class Activity(models.Model):
    """Written only by `ladder.activity.services` (or set-based import SQL); never updated."""

    # No index of its own: the two composite indexes below lead with person.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="activities", db_index=False
    )
    type = models.CharField(max_length=32, choices=ActivityType.choices)
    occurred_at = models.DateTimeField()
    channel = models.CharField(max_length=16, choices=ActivityChannel.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=200, blank=True, default="")
    object_type = models.CharField(max_length=40, blank=True, default="")
    object_id = models.BigIntegerField(null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    result = models.CharField(max_length=20, blank=True, default="")
    payload = models.JSONField(default=dict, blank=True)
    # Replays with the same key are ignored, so retries and re-imports never double-count.
    # Unique through a constraint (Meta), not unique=True: on PostgreSQL that would add a
    # second, LIKE-pattern index on the key, which nothing searches and every insert pays for.
    idempotency_key = models.CharField(max_length=120)
    import_job_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["person", "-occurred_at"], name="activity_person_time"),
            # "Did this person do one of these things lately?" as an index-only probe: what the
            # worker asks of the few people who just acted (segment rungs, ladders), and what
            # a per-person EXISTS over types and a window reads anywhere.
            models.Index(
                fields=["person", "type", "occurred_at"], name="activity_person_type_time"
            ),
            models.Index(fields=["type", "occurred_at"], name="activity_type_time"),
            models.Index(fields=["import_job_id"], name="activity_import"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="activity_idempotency_key")
        ]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.get_type_display()} — {self.occurred_at:%Y-%m-%d}"


class PersonStats(models.Model):
    """One rollup row per person, recomputed from the log (see `ladder.activity.rollups`)."""

    person = models.OneToOneField(
        Person, primary_key=True, on_delete=models.CASCADE, related_name="stats"
    )
    first_activity_at = models.DateTimeField(null=True, blank=True)
    last_open_at = models.DateTimeField(null=True, blank=True)
    last_click_at = models.DateTimeField(null=True, blank=True)
    last_action_at = models.DateTimeField(null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    touches_30d = models.IntegerField(default=0)
    touches_90d = models.IntegerField(default=0)
    actions_total = models.IntegerField(default=0)
    given_total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    given_365d = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    given_largest = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    gifts_count = models.IntegerField(default=0)
    last_gift_at = models.DateTimeField(null=True, blank=True)
    events_attended = models.IntegerField(default=0)
    shifts_done = models.IntegerField(default=0)
    calls_made = models.IntegerField(default=0)
    doors_knocked = models.IntegerField(default=0)
    recruits = models.IntegerField(default=0)
    # The engagement score belongs to `ladder.ladders.scoring`, not to the rollups: the rollup
    # SQL writes 0 for new rows and never touches these two columns afterwards.
    # engagement_raw is Σ weight · 2^((occurred_at − EPOCH) / half-life), so new activities *add*
    # to it and the score at any moment is raw · 2^(−(now − EPOCH) / half-life); ordering by
    # raw is ordering by the score at any moment. engagement_score is that score, rounded, at
    # the time the row's raw value was last written (for display and sorting).
    # Not indexed: filters and rankings read engagement_raw; this column is for display.
    engagement_score = models.IntegerField(default=0)
    engagement_raw = models.FloatField(default=0.0, db_index=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "person stats"


class DailyMetric(models.Model):
    """Count and amount of activities per day × type × the person's home group (0 = none)."""

    day = models.DateField()
    type = models.CharField(max_length=32, choices=ActivityType.choices)
    group_id = models.BigIntegerField(default=0)
    count = models.BigIntegerField(default=0)
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "type", "group_id"], name="daily_metric_key")
        ]


class RollupWatermark(models.Model):
    """The highest activity id already folded into the rollups."""

    name = models.CharField(max_length=40, primary_key=True)
    last_activity_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)


__all__ = ["Activity", "DailyMetric", "Group", "PersonStats", "RollupWatermark"]
