"""Saved segments (live universes) and static lists (a universe frozen at a moment).

A segment stores a definition in the filter language (`ladder.segments.filters`) and is
evaluated whenever it is used, so it always reflects the data as it is now. A list stores its
members, so it stays what it was when it was made: the call list handed to a captain on Monday is
still that list on Saturday.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ladder.people.models import Group, Person


class Segment(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    definition = models.JSONField(help_text="The filter language, see ladder.segments.filters.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The group a leader built it for; leaders see the segments of the groups they lead.
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="segments"
    )
    last_count = models.IntegerField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    is_archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaticList(models.Model):
    """A list: a fixed set of people, from a segment or an uploaded file of ids/emails/phones."""

    class Origin(models.TextChoices):
        SEGMENT = "segment", "Frozen from a segment"
        UPLOAD = "upload", "Uploaded"
        MANUAL = "manual", "Built by hand"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.MANUAL)
    source_segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="lists"
    )
    # The definition the list was frozen from, kept so that "how was this made" has an answer
    # after the segment changes or is deleted.
    definition = models.JSONField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="lists"
    )
    size = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "list"

    def __str__(self) -> str:
        return self.name


class ListMember(models.Model):
    static_list = models.ForeignKey(StaticList, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["static_list", "person"], name="list_member_unique")
        ]
        indexes = [models.Index(fields=["person"], name="list_member_person")]


__all__ = ["ListMember", "Segment", "StaticList"]
