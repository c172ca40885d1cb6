"""Field organizing: surveys, scripts, call and walk lists, and the contact-frequency policy.

* A **survey** is a list of questions (single or multiple choice, a scale, free text) reused by
  calls, doors and forms. An answer is an activity, and a choice can set a tag or a custom
  field ("cares about: education"), so segments can use it.
* A **script** is what a caller or canvasser reads (text with merge fields), the survey they
  ask, and the result codes they may set.
* A **contact list** is a call list or a walk list built from a segment or a static list: one
  `ListEntry` per person, in serving order (walk lists by street, side and house number), with
  a household key so that people who share a phone or a door are served together. An entry is
  *waiting*, *served* to one volunteer (nobody else gets it), or *done* with its result.
* The **contact policy** (one row) keeps people from being worn out: at most one call or door
  knock in ``same_channel_days``, none within ``other_channel_days`` of a contact in another
  channel. It applies when a list is built and again when the next person is served.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ladder.activity.catalogue import ContactResult
from ladder.people.models import Group, Person
from ladder.segments.models import Segment, StaticList


class Survey(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "One choice"
        MULTI = "multi", "Several choices"
        SCALE = "scale", "A scale"
        TEXT = "text", "Free text"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    key = models.SlugField(max_length=60)
    prompt = models.CharField(max_length=500)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    choices = models.JSONField(default=list, blank=True)
    scale_min = models.IntegerField(default=1)
    scale_max = models.IntegerField(default=5)
    # What a choice sets on the person: {"Education": {"tag": "cares: education"},
    # "Yes": {"field": ["wants_to_volunteer", "yes"]}}.
    effects = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="question_key_per_survey")
        ]

    def __str__(self) -> str:
        return self.prompt


class Script(models.Model):
    name = models.CharField(max_length=200)
    body = models.TextField(help_text="What to say, with merge fields: {{ first_name }}.")
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.SET_NULL)
    result_codes = models.JSONField(default=list, blank=True)
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def results(self) -> list[str]:
        return [r for r in self.result_codes if r in ContactResult.values] or list(
            ContactResult.values
        )


class ContactList(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", "Call list"
        WALK = "walk", "Walk list"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    script = models.ForeignKey(Script, null=True, blank=True, on_delete=models.SET_NULL)
    segment = models.ForeignKey(Segment, null=True, blank=True, on_delete=models.SET_NULL)
    static_list = models.ForeignKey(
        StaticList, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL)
    volunteers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="contact_lists"
    )
    # Open to every volunteer of the list's group, not only those assigned.
    open_to_group = models.BooleanField(default=False)
    size = models.PositiveIntegerField(default=0)
    left_out = models.PositiveIntegerField(
        default=0, help_text="People of the universe the policy or do-not-call kept off."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class ListEntry(models.Model):
    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        SERVED = "served", "With a volunteer"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped (contacted elsewhere lately)"

    contact_list = models.ForeignKey(ContactList, on_delete=models.CASCADE, related_name="entries")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    household = models.CharField(max_length=200, blank=True, default="")
    state = models.CharField(max_length=8, choices=State.choices, default=State.WAITING)
    served_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    served_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=20, blank=True, default="")
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact_list", "person"], name="entry_once_per_list")
        ]
        indexes = [
            models.Index(fields=["contact_list", "state", "position"], name="entry_next"),
            models.Index(fields=["contact_list", "household"], name="entry_household"),
        ]


class ContactPolicy(models.Model):
    """One row: how often the organization may reach out to one person."""

    same_channel_days = models.PositiveIntegerField(
        default=7, help_text="At most one call or door knock in this many days."
    )
    other_channel_days = models.PositiveIntegerField(
        default=2, help_text="No call or knock within this many days of another contact."
    )
    updated_at = models.DateTimeField(auto_now=True)
