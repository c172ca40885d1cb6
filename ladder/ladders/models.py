"""Ladders of engagement, the engagement score's configuration, and asks with capacity.

* A **ladder** is an ordered set of **rungs**; each rung has criteria in the filter language
  (`ladder.segments.filters`). A person stands on the highest rung whose criteria they meet
  (`RungPlacement`); every move is written to the activity log (type ``level_change``) and to
  `RungMove`, which the ladder screen reads for conversion and time-on-rung figures.
* The **engagement score** is a decayed, weighted sum of a person's activities, kept in
  `PersonStats` (see `ladder.ladders.scoring`); `EngagementConfig` holds its weights.
* A rung can carry a **responsibility** (host, caller, team leader): reaching it suggests the
  responsibility to the person's leaders, or grants it at once when the rung says so, with the
  permissions that go with it (`ladder.ladders.pathways`).
* An **ask** needs N people; Ladder offers it to the best-fit people in waves and stops at N
  accepted (`AskOffer` is one offer to one person and its answer).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ladder.people.models import Group, Person


class EngagementConfig(models.Model):
    """The one row of engagement-score settings (id = 1)."""

    half_life_days = models.PositiveIntegerField(
        default=90, help_text="An activity counts half as much after this many days."
    )
    # activity type -> points when it just happened; types not listed count 0.
    weights = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Engagement score (half-life {self.half_life_days} days)"


class Ladder(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    # When set, people who have taken no action for this many days step down to the rung
    # their criteria still meet; otherwise a rung, once reached, is kept.
    step_down_after_days = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ResponsibilityKind(models.TextChoices):
    HOST = "host", "Event host"
    CALLER = "caller", "Caller"
    TEAM_LEADER = "team_leader", "Team leader"


class Rung(models.Model):
    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="rungs")
    # 1 is the bottom rung; higher is more responsibility.
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=120)
    responsibilities = models.TextField(blank=True, default="")
    criteria = models.JSONField(help_text="Filter-language definition a person must meet.")
    # [{"text": "Host a house party", "channel": "events"}, ...]; channel is one of
    # events, calls, email, social, giving, any — matched against the person's habits.
    next_steps = models.JSONField(default=list, blank=True)
    # The responsibility reaching this rung brings; suggested to leaders unless granted at once.
    grants = models.CharField(
        max_length=16, choices=ResponsibilityKind.choices, blank=True, default=""
    )
    grants_automatically = models.BooleanField(
        default=False, help_text="Grant the responsibility on reaching the rung, not suggest it."
    )

    class Meta:
        ordering = ["ladder", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ladder", "position"], name="rung_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.ladder.name}: {self.name}"


class RungPlacement(models.Model):
    """Where a person stands on a ladder now. No row: not on the ladder yet."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="rung_placements")
    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="placements")
    rung = models.ForeignKey(Rung, on_delete=models.CASCADE, related_name="placements")
    since = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "ladder"], name="placement_unique")
        ]
        indexes = [models.Index(fields=["ladder", "rung"], name="placement_ladder_rung")]


class RungMove(models.Model):
    """One move on a ladder (also logged as a ``level_change`` activity)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="moves")
    from_rung = models.ForeignKey(
        Rung, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_rung = models.ForeignKey(
        Rung, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moved_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["ladder", "moved_at"], name="rung_move_ladder_time"),
            models.Index(fields=["person", "ladder"], name="rung_move_person"),
        ]


class Responsibility(models.Model):
    """A responsibility suggested to or held by one person (one row per person and kind)."""

    class Status(models.TextChoices):
        SUGGESTED = "suggested", "Suggested"
        GRANTED = "granted", "Granted"
        DECLINED = "declined", "Not now"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="responsibilities")
    kind = models.CharField(max_length=16, choices=ResponsibilityKind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUGGESTED)
    rung = models.ForeignKey(
        Rung, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Why a grant could not be carried out yet ("needs a login"), shown beside the suggestion.
    note = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "kind"], name="responsibility_once")
        ]
        indexes = [models.Index(fields=["status", "-suggested_at"], name="responsibility_waiting")]


class Ask(models.Model):
    """A specific request that needs exactly ``needed`` people ("10 phone-bank captains")."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        WAITING = "waiting", "Waiting for another ask to fill"
        OPEN = "open", "Open"
        FILLED = "filled", "Filled"
        CLOSED = "closed", "Closed"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    needed = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Who may be asked: the people of a segment, or of a rung (and above), or both.
    segment = models.ForeignKey(
        "segments.Segment", null=True, blank=True, on_delete=models.PROTECT, related_name="asks"
    )
    rung = models.ForeignKey(
        Rung, null=True, blank=True, on_delete=models.PROTECT, related_name="asks"
    )
    # Preferences rank people; they never exclude anyone.
    prefer_tags = models.ManyToManyField("people.Tag", blank=True, related_name="+")
    prefer_postal_prefix = models.CharField(max_length=10, blank=True, default="")
    # Opens automatically when this other ask fills ("captains first, then callers").
    opens_after = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="unlocks"
    )
    deadline = models.DateTimeField(null=True, blank=True)
    # Offers per wave = open places × this factor: not everyone says yes.
    wave_factor = models.PositiveIntegerField(default=2)
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="asks"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    filled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class AskOffer(models.Model):
    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        DROPPED = "dropped", "Dropped out"
        WITHDRAWN = "withdrawn", "Withdrawn (ask filled or closed)"

    ask = models.ForeignKey(Ask, on_delete=models.CASCADE, related_name="offers")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="ask_offers")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    wave = models.PositiveIntegerField(default=1)
    rank = models.FloatField(default=0, help_text="Fit score when offered; higher is better.")
    offered_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ask", "person"], name="ask_offer_unique")]
        indexes = [models.Index(fields=["ask", "status"], name="ask_offer_status")]


__all__ = [
    "Ask",
    "AskOffer",
    "EngagementConfig",
    "Ladder",
    "Responsibility",
    "ResponsibilityKind",
    "Rung",
    "RungMove",
    "RungPlacement",
]
