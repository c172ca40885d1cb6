"""Identity resolution: merges that keep everything needed to undo them, and the pairs people
decided are not duplicates (never proposed again).

A **merge** folds one person (the *merged* record) into another (the *survivor*): the merged
record's row stays, with ``merged_into`` set, so its id keeps answering and leads to the
survivor; the rows that pointed at it (contact points, activities, tags, groups, …) are
re-pointed at the survivor, and their ids are kept here so an unmerge can point exactly those
rows back. Rows that would clash with one of the survivor's (the same tag, the same group) stay
where they are: the survivor already has that fact, and the unmerge finds them untouched.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ladder.people.models import Person


class Merge(models.Model):
    survivor = models.ForeignKey(
        Person, null=True, on_delete=models.SET_NULL, related_name="merges_kept"
    )
    merged = models.ForeignKey(
        Person, null=True, on_delete=models.SET_NULL, related_name="merges_folded"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(db_index=True)
    # Which record each person field was taken from: {"first_name": "merged", ...}.
    choices = models.JSONField(default=dict, blank=True)
    # Both person rows as they were: {"survivor": {field: value}, "merged": {field: value}}.
    snapshot = models.JSONField(default=dict)
    # Rows re-pointed at the survivor: {"app_label.Model.field": [pk, ...]}.
    moved = models.JSONField(default=dict)
    # Contact points whose consent the merge made stricter, and how each stood before:
    # [{"channel": "email", "point": "a@x.org", "event": 12, "suppressed": false}, ...].
    consent = models.JSONField(default=list, blank=True)
    score = models.FloatField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-merged_at", "-pk"]

    def __str__(self) -> str:
        return f"Merge #{self.pk}: {self.merged_id} into {self.survivor_id}"


class NotDuplicate(models.Model):
    """Two records a person said are different people: never proposed as a pair again.
    Stored with the smaller id first."""

    low = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    high = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["low", "high"], name="not_duplicate_once"),
            models.CheckConstraint(
                condition=models.Q(low__lt=models.F("high")), name="not_duplicate_ordered"
            ),
        ]


class Candidate(models.Model):
    """A pair the batch matcher thinks may be one person, waiting for a decision. Stored with the
    smaller id first; ``evidence`` is field → [the two values, the match weight it added]."""

    class Status(models.TextChoices):
        OPEN = "open", "To review"
        MERGED = "merged", "Merged"
        NOT_DUPLICATE = "not_duplicate", "Not a duplicate"
        SKIPPED = "skipped", "Skipped"

    low = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    high = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField()
    weight = models.FloatField()
    # How much getting this one right matters: actions, money and consent at stake.
    stakes = models.FloatField(default=0)
    evidence = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    found_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["low", "high"], name="candidate_once"),
        ]
        indexes = [
            models.Index(fields=["status", "-probability", "-stakes"], name="candidate_queue")
        ]


class FindRun(models.Model):
    """One search for duplicates in the worker, with its progress for the review screen."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Looking"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # The matcher's phase (reading people, training, scoring, saving) and how far it is.
    phase = models.CharField(max_length=32, blank=True, default="")
    done = models.IntegerField(default=0)
    total = models.IntegerField(default=0)
    people = models.IntegerField(default=0)
    pairs = models.IntegerField(default=0)
    new = models.IntegerField(default=0)
    merged = models.IntegerField(default=0)
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


class SocialEngagement(models.Model):
    """One thing someone did on a social platform that concerns the organization — a share, a
    reply, a mention — as imported, and the person it was matched to (through a handle the
    person is known by, or an email address), or nobody yet. A matched row is also an activity
    on that person's timeline (``activity_id``); an unmatched one waits until the handle is
    linked to someone, and every row with that handle then joins them."""

    class MatchedBy(models.TextChoices):
        HANDLE = "handle", "Their handle"
        EMAIL = "email", "Their email address"

    platform = models.CharField(max_length=40)
    # Lower-cased, without the leading "@" or the profile URL around it.
    handle = models.CharField(max_length=200, blank=True, default="")
    display_name = models.CharField(max_length=200, blank=True, default="")
    email = models.CharField(max_length=254, blank=True, default="")
    action = models.CharField(max_length=40)
    text = models.TextField(blank=True, default="")
    url = models.CharField(max_length=500, blank=True, default="")
    occurred_at = models.DateTimeField()
    # The platform's id for the engagement, or a hash of the row: a re-import adds nothing.
    key = models.CharField(max_length=200, unique=True)
    source = models.CharField(max_length=200, blank=True, default="")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="social_engagements",
    )  # fmt: skip
    matched_by = models.CharField(max_length=8, choices=MatchedBy.choices, blank=True, default="")
    activity_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["platform", "handle"], name="social_handle"),
            models.Index(fields=["person"], name="social_person"),
        ]


__all__ = ["Candidate", "FindRun", "Merge", "NotDuplicate", "SocialEngagement"]
