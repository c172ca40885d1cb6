"""Mailings: what is sent (a mailing and its variants), to whom (one delivery row per person,
the ledger that makes a send exactly-once), and what came back (tracking hits, bounces,
preferences).

* A **mailing** holds up to three subjects, three senders and three bodies. When it is sent
  it is frozen into **variants**, one per combination, so that what each person got can always
  be shown again.
* A **delivery** is one person's copy: unique per mailing and person, with a state. Workers
  claim queued deliveries in **send batches** and record how far they got before each hand-off
  to the mail server, so a killed worker leaves at most one message per batch in doubt (see
  `ladder.mailings.sending`).
* **Tracking hits** are the raw opens and clicks, written in bulk by the web process and folded
  into deliveries and the activity log by the worker.
* **Preferences** (topics a person does not want, a weekly cap) and **bounces** are keyed by a
  hash of the address, like the suppression list, so they survive deleting and re-importing it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ladder.people.models import Group, Person


class Topic(models.TextChoices):
    """What a mailing is about, so that a person can say no to one kind and keep the rest."""

    NEWS = "news", "News and updates"
    ACTIONS = "actions", "Action alerts"
    EVENTS = "events", "Event invitations"
    FUNDRAISING = "fundraising", "Fundraising"


class SenderIdentity(models.Model):
    """Who a mailing is from. Organization-wide when ``group`` is empty, else one group's."""

    from_name = models.CharField(max_length=120)
    from_email = models.EmailField()
    reply_to = models.EmailField(blank=True, default="")
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="sender_identities"
    )
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "sender identities"
        ordering = ["from_name"]

    def __str__(self) -> str:
        return f"{self.from_name} <{self.from_email}>"


class MailTemplate(models.Model):
    """A reusable starting point: a subject and a Markdown body."""

    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=300, blank=True, default="")
    body = models.TextField()
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Mailing(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        TESTING = "testing", "Testing variants"
        SENDING = "sending", "Sending"
        PAUSED = "paused", "Paused"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    class Metric(models.TextChoices):
        # Not opens: privacy features open mail for people who never read it.
        CLICKS = "clicks", "Clicks"
        ACTIONS = "actions", "Actions taken"
        GIFTS = "gifts", "Gifts"

    ACTIVE = (Status.SCHEDULED, Status.TESTING, Status.SENDING)

    name = models.CharField(max_length=200)
    topic = models.CharField(max_length=16, choices=Topic.choices, default=Topic.NEWS)
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="mailings"
    )
    # The audience is computed with this user's scope: a leader mails only their own people.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mailings"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)

    # Content: every combination of subject × sender × body becomes a variant when sent.
    subjects = models.JSONField(default=list)
    bodies = models.JSONField(default=list)
    senders = models.ManyToManyField(SenderIdentity, related_name="+", blank=True)
    preheader = models.CharField(max_length=200, blank=True, default="")

    # Audience.
    include_segments = models.ManyToManyField("segments.Segment", related_name="+", blank=True)
    include_lists = models.ManyToManyField("segments.StaticList", related_name="+", blank=True)
    exclude_segments = models.ManyToManyField("segments.Segment", related_name="+", blank=True)
    exclude_lists = models.ManyToManyField("segments.StaticList", related_name="+", blank=True)
    # No more than this many mailings to one person in the last seven days (empty: no cap).
    frequency_cap = models.PositiveSmallIntegerField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)

    # The variant test.
    test_share = models.PositiveSmallIntegerField(default=20)  # percent of the audience
    metric = models.CharField(max_length=8, choices=Metric.choices, default=Metric.CLICKS)
    test_hours = models.DecimalField(max_digits=6, decimal_places=2, default=4)
    confidence = models.FloatField(default=0.95)
    # The circuit breaker: pause when more than these shares of sent mail unsubscribe or
    # complain, once at least ``breaker_min_sent`` messages are out.
    breaker_unsubscribe_rate = models.FloatField(default=0.02)
    breaker_complaint_rate = models.FloatField(default=0.003)
    breaker_min_sent = models.PositiveIntegerField(default=200)

    winner = models.ForeignKey(
        "Variant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, default="")
    paused_reason = models.TextField(blank=True, default="")

    audience_count = models.IntegerField(null=True, blank=True)
    test_started_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status", "scheduled_at"], name="mailing_due")]

    def __str__(self) -> str:
        return self.name

    @property
    def combinations(self) -> int:
        return max(1, len(self.subjects)) * max(1, len(self.bodies)) * max(1, self._sender_n())

    def _sender_n(self) -> int:
        if self.pk is None:
            return 1
        return self.senders.count()

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED)


class Variant(models.Model):
    """One frozen combination of subject, sender and body, as sent."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(max_length=4)  # "A", "B", …
    subject = models.CharField(max_length=300)
    body = models.TextField()  # Markdown with merge fields, as written
    sender = models.ForeignKey(SenderIdentity, on_delete=models.PROTECT, related_name="+")
    # The links of the body, in order; a click token names a link by its index here.
    links = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailing", "label"], name="variant_label")]
        ordering = ["mailing", "label"]

    def __str__(self) -> str:
        return f"{self.mailing.name} · {self.label}"


class SendBatch(models.Model):
    """A worker's claim on some deliveries, and its journal.

    Before each hand-off the worker records ``done_upto`` (every delivery of the batch up to
    this id was accepted by the server) and ``inflight_upto`` (the deliveries after it, up to
    this id, may be on the wire). A batch whose worker died is recovered from these two
    numbers: at or below ``done_upto`` sent, up to ``inflight_upto`` in doubt, the rest queued
    again. Nothing is guessed, so nothing is sent twice or skipped silently.
    """

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="batches")
    worker = models.CharField(max_length=120)  # host:pid
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()
    done_upto = models.BigIntegerField(default=0)
    inflight_upto = models.BigIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    recovered = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(
                fields=["heartbeat_at"],
                condition=models.Q(finished_at__isnull=True),
                name="batch_open",
            )
        ]


class Delivery(models.Model):
    """One person's copy of one mailing: the send ledger."""

    class State(models.TextChoices):
        HELD = "held", "Waiting for the test's winner"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        IN_DOUBT = "in_doubt", "In doubt"

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="deliveries")
    # "delivery_person" (person, sent_at) serves the profile and the frequency cap.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    email = models.CharField(max_length=254)
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    in_test = models.BooleanField(default=False)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    batch = models.ForeignKey(
        SendBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False,
    )  # fmt: skip
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)  # back-off after a refusal
    error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    # What the person did with it (first time each), folded in from tracking and intake.
    opened_at = models.DateTimeField(null=True, blank=True)
    machine_open = models.BooleanField(default=False)  # only privacy proxies opened it
    opens = models.PositiveIntegerField(default=0)
    clicked_at = models.DateTimeField(null=True, blank=True)
    clicks = models.PositiveIntegerField(default=0)
    acted_at = models.DateTimeField(null=True, blank=True)
    actions = models.PositiveIntegerField(default=0)
    gift_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    gifts = models.PositiveIntegerField(default=0)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_kind = models.CharField(max_length=10, blank=True, default="")
    complained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["mailing", "person"], name="delivery_once")]
        indexes = [
            models.Index(fields=["mailing", "state", "id"], name="delivery_claim"),
            models.Index(fields=["person", "sent_at"], name="delivery_person"),
            models.Index(fields=["batch"], name="delivery_batch"),
        ]


class TrackingHit(models.Model):
    """A raw open or click, buffered by the web process and written in bulk. The worker folds
    hits into deliveries and the activity log, then deletes them."""

    class Kind(models.TextChoices):
        OPEN = "open", "Open"
        CLICK = "click", "Click"

    kind = models.CharField(max_length=5, choices=Kind.choices)
    delivery_id = models.BigIntegerField()
    link = models.SmallIntegerField(null=True, blank=True)
    machine = models.BooleanField(default=False)  # a privacy proxy or a link scanner
    occurred_at = models.DateTimeField()


class MailPreference(models.Model):
    """What one address wants: topics it does not want, and at most so many mails a week."""

    address_hash = models.CharField(max_length=64, unique=True)
    # Comma-delimited with a comma at each end (",fundraising,news,"), so that "does this
    # address refuse this topic" is a plain LIKE that SQLite and PostgreSQL both index-free
    # answer inside the audience query.
    topics_off = models.CharField(max_length=200, blank=True, default="")
    weekly_cap = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class Bounce(models.Model):
    """A bounce or complaint as reported by an email service or a bounce message (DSN)."""

    class Kind(models.TextChoices):
        HARD = "hard", "Hard bounce"
        SOFT = "soft", "Soft bounce"
        COMPLAINT = "complaint", "Complaint"

    address_hash = models.CharField(max_length=64, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=60)  # "anymail:postmark", "dsn"
    detail = models.TextField(blank=True, default="")
    # The service's own event id, so that a replayed webhook is one bounce.
    event_id = models.CharField(max_length=200, blank=True, default="")
    occurred_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "event_id"],
                condition=~models.Q(event_id=""),
                name="bounce_event_once",
            )
        ]
