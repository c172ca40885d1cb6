"""API tokens, what partner tokens read, and outbound webhooks.

* An **API token** belongs to a user and carries that user's scoping (`visible_people`). Only
  a SHA-256 digest is stored; the token itself is shown once, when it is made. A **partner
  token** is also limited to one static list or segment and to chosen person fields, is
  read-only, and every read it makes is logged (`ApiRead`).
* A **webhook subscription** posts chosen event types to a URL, signed with its secret. Each
  event becomes one `WebhookDelivery` per subscription (its idempotency key is unique there), and
  every try is a `WebhookAttempt`: the delivery log, replayable from the UI.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ladder.segments.models import Segment, StaticList


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The first characters of the token, to tell tokens apart in lists; never enough to use.
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    partner = models.CharField(
        max_length=200, blank=True, default="", help_text="The partner organization, if any."
    )
    static_list = models.ForeignKey(
        StaticList, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Person fields a partner token may read (API names); empty for an ordinary token.
    fields = models.JSONField(default=list, blank=True)
    rate_per_minute = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_partner(self) -> bool:
        return self.static_list_id is not None or self.segment_id is not None


class ApiRead(models.Model):
    """One request made with a partner token: what it asked for and whom it was shown."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="reads")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField()
    person_ids = models.JSONField(default=list, blank=True)


class EventType(models.TextChoices):
    PERSON_CREATED = "person_created", "Person created"
    PERSON_UPDATED = "person_updated", "Person updated"
    SIGNATURE = "signature", "Petition signature"
    SUBMISSION = "submission", "Form submission"
    ATTENDANCE = "attendance", "Event RSVP or attendance"
    DONATION = "donation", "Donation"
    UNSUBSCRIBE = "unsubscribe", "Unsubscribe"
    RUNG_CHANGE = "rung_change", "Ladder rung change"


class WebhookSubscription(models.Model):
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=64, help_text="Signs every post (HMAC-SHA256).")
    event_types = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    idempotency_key = models.CharField(max_length=120)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "idempotency_key"], name="webhook_delivery_once"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due")]


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True, default="")


class WebhookCursor(models.Model):
    """How far the fan-out has read: the activity log by id, people by (modified, id)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_id = models.BigIntegerField(default=0)
    last_stamp = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
