"""Public action pages and what people do on them.

* An **action page** is what the public sees at ``/act/<slug>/``: a petition, a signup form,
  an event or a donation page. Staff write it (title, rich text, the consent wording, the
  auto-response) and publish or close it; it may be embedded in other sites (``allowed
  origins``).
* A **submission** is one person's signature or form answers on one page: at most one per
  person and page, keyed also by the token of the form they were shown, so a double submit is
  one signature. Its activity (``petition_signature`` / ``form_submission``) is written with it.
* An **event** page has an `Event` (when, where, hosts) with **shifts**, each with a capacity;
  an `Rsvp` is one person on one shift — going, waitlisted (served in order when a place
  frees up) or cancelled — and whether they came.
* A **donation page** takes gifts through a processor (`ladder.actions.payments`); a
  **fundraising page** is a supporter's own page for it; a `Gift` is what a processor
  reported, once per its own order number and line item.
* A **referral code** belongs to one supporter; ``?ref=CODE`` on any page credits them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ladder.people.models import Group, Person


class ActionPage(models.Model):
    class Kind(models.TextChoices):
        PETITION = "petition", "Petition"
        FORM = "form", "Signup form"
        EVENT = "event", "Event"
        DONATION = "donation", "Donation page"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        CLOSED = "closed", "Closed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    # Staff-authored rich text, sanitised with an allow-list when saved (`actions.safety`).
    body = models.TextField(blank=True, default="")
    # Petitions: who the petition is addressed to ("Governor Reynolds").
    target = models.CharField(max_length=300, blank=True, default="")
    # Signatures for a petition, dollars for a donation page; none: no thermometer.
    goal = models.PositiveIntegerField(null=True, blank=True)
    # Keys of custom fields asked on the page, in order (reusing `people.CustomField`).
    questions = models.JSONField(default=list, blank=True)
    # A survey asked on the page (petitions and forms): the same questions callers and
    # canvassers ask, each answer an activity that can set a tag or a field.
    survey = models.ForeignKey(
        "organizing.Survey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ask_phone = models.BooleanField(default=False)
    ask_postal_code = models.BooleanField(default=True)
    # The words next to the email opt-in box, recorded verbatim in the consent ledger.
    consent_wording = models.CharField(max_length=500, blank=True, default="")
    thanks_text = models.TextField(blank=True, default="")
    autoresponse_subject = models.CharField(max_length=200, blank=True, default="")
    autoresponse_body = models.TextField(blank=True, default="")
    # Donation pages: the amounts offered (dollars), whether a gift may repeat monthly, who
    # takes the money ("offline": a pledge recorded here; "actblue": ActBlue's own form), and
    # whether supporters may start their own fundraising page from this one.
    suggested_amounts = models.JSONField(default=list, blank=True)
    allow_recurring = models.BooleanField(default=False)
    processor = models.CharField(max_length=20, blank=True, default="offline")
    processor_url = models.URLField(blank=True, default="")
    allow_fundraisers = models.BooleanField(default=False)
    # Show the campaign's top fundraisers on its public pages (else only staff see them).
    public_leaderboard = models.BooleanField(default=True)
    # Sites that may show the page in an iframe, one origin per line ("https://example.org").
    allowed_origins = models.TextField(blank=True, default="")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    # The chapter the page belongs to: its leaders see it and its results.
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_pages"
    )
    # Kept by the action services, so a page's count never needs a COUNT(*) over its actions:
    # actions taken, and for a donation page the dollars given (pledged or paid, net of
    # refunds), fundraising pages included.
    actions_count = models.PositiveIntegerField(default=0)
    amount_raised = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def origins(self) -> list[str]:
        return [line.strip() for line in self.allowed_origins.splitlines() if line.strip()]


class Submission(models.Model):
    page = models.ForeignKey(ActionPage, on_delete=models.CASCADE, related_name="submissions")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    # The token of the form the person was shown: the same form posted twice is one action.
    token = models.CharField(max_length=64)
    # Who sent them (``?ref=``), whether or not the person was new.
    referrer = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "person"], name="submission_once_per_person"),
            models.UniqueConstraint(fields=["page", "token"], name="submission_token"),
        ]
        indexes = [models.Index(fields=["page", "-created_at"], name="submission_recent")]


class ReferralCode(models.Model):
    """A supporter's own code for ``?ref=``: short, unguessable enough, never reused."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="referral_code")
    code = models.CharField(max_length=16, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.code


class Event(models.Model):
    """The event behind an event page: when, where, who hosts it."""

    class Approval(models.TextChoices):
        APPROVED = "approved", "Approved"
        PENDING = "pending", "Waiting for staff"
        DECLINED = "declined", "Declined"

    page = models.OneToOneField(ActionPage, on_delete=models.CASCADE, related_name="event")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64, default=settings.TIME_ZONE)
    is_online = models.BooleanField(default=False)
    venue = models.CharField(max_length=200, blank=True, default="")
    address = models.CharField(max_length=300, blank=True, default="")
    online_url = models.URLField(blank=True, default="")
    # A canvass or a phone bank: coming to a shift is a volunteer shift done, not only an
    # event attended (both feed the rollups and ladders).
    volunteer_shifts = models.BooleanField(default=False)
    hosts = models.ManyToManyField(Person, blank=True, related_name="hosted_events")
    # A supporter's own event (volunteer-hosted): who proposed it, and what staff said.
    proposed_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approval = models.CharField(max_length=10, choices=Approval.choices, default="approved")
    reminders_sent_at = models.DateTimeField(null=True, blank=True)
    followups_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["starts_at"], name="event_starts")]

    def __str__(self) -> str:
        return self.page.title


class Shift(models.Model):
    """A time slot of an event with its own capacity (none: as many as come)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="shifts")
    name = models.CharField(max_length=120, blank=True, default="")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(null=True, blank=True)
    # Kept by the RSVP services under the shift's row lock: places taken and people waiting.
    confirmed_count = models.PositiveIntegerField(default=0)
    waitlist_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at", "pk"]

    def __str__(self) -> str:
        return self.name or f"{self.starts_at:%a %H:%M}"

    @property
    def places_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.confirmed_count, 0)


class Rsvp(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Going"
        WAITLISTED = "waitlisted", "On the waitlist"
        CANCELLED = "cancelled", "Cancelled"

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="rsvps")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices)
    # None until the host says: True came (checked in), False did not (a no-show).
    attended = models.BooleanField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    walk_in = models.BooleanField(default=False)
    referrer = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shift", "person"], name="rsvp_once")]
        # The waitlist is served in the order people joined it.
        indexes = [models.Index(fields=["shift", "status", "created_at"], name="rsvp_queue")]


class FundraisingPage(models.Model):
    """A supporter's own page for a donation campaign: their story, their goal, and the gifts
    that came through it (credited to them on leaderboards)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    campaign = models.ForeignKey(
        ActionPage, on_delete=models.CASCADE, related_name="fundraising_pages"
    )
    owner = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="fundraising_pages")
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    # Written by a supporter: shown as plain text (escaped, line breaks kept), never as HTML.
    story = models.TextField(blank=True, default="")
    goal = models.DecimalField(max_digits=12, decimal_places=2)
    # Kept by the gift services: what the page's thermometer and the leaderboard read.
    raised = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    donors = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "owner"], name="one_page_per_campaign")
        ]
        indexes = [models.Index(fields=["campaign", "-raised"], name="fundraiser_board")]

    def __str__(self) -> str:
        return self.title


class Gift(models.Model):
    """One gift (or one charge of a recurring series), as the processor reported it. Card data
    never comes here: the processor keeps it."""

    class Status(models.TextChoices):
        PLEDGED = "pledged", "Pledged"
        PAID = "paid", "Paid"
        REFUNDED = "refunded", "Refunded"
        CANCELLED = "cancelled", "Cancelled"

    # Counted on thermometers and leaderboards.
    LIVE = (Status.PLEDGED, Status.PAID)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    page = models.ForeignKey(
        ActionPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="gifts"
    )
    fundraiser = models.ForeignKey(
        FundraisingPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="gifts"
    )
    referrer = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices)
    processor = models.CharField(max_length=20)  # "offline", "actblue"
    # The processor's own identity of the gift: ActBlue's order number and line item. Unique
    # per processor, so a replayed webhook or a re-imported CSV is the same gift.
    order_number = models.CharField(max_length=80, blank=True, default="")
    line_item = models.CharField(max_length=80, blank=True, default="")
    recurring = models.BooleanField(default=False)
    series = models.CharField(max_length=80, blank=True, default="")  # the recurring series
    refcode = models.CharField(max_length=120, blank=True, default="")
    anonymous = models.BooleanField(default=False)  # left off honour rolls
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["processor", "order_number", "line_item"],
                condition=~models.Q(order_number=""),
                name="gift_processor_identity",
            )
        ]
        indexes = [
            models.Index(fields=["fundraiser", "-occurred_at"], name="gift_fundraiser"),
            models.Index(fields=["page", "-occurred_at"], name="gift_page"),
            models.Index(fields=["series"], name="gift_series"),
        ]


class PersonalGoal(models.Model):
    """A volunteer's own goal ("50 doors this week"), measured by `actions.leaderboards`."""

    class Metric(models.TextChoices):
        DOORS = "doors", "doors knocked"
        CALLS = "calls", "calls made"
        SHIFTS = "shifts", "volunteer shifts"
        HOURS = "hours", "volunteer hours"
        RECRUITS = "recruits", "people recruited"
        RAISED = "raised", "dollars raised"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="goals")
    metric = models.CharField(max_length=10, choices=Metric.choices)
    target = models.PositiveIntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ends_at", "-pk"]
        indexes = [models.Index(fields=["person", "-ends_at"], name="goal_person")]


__all__ = [
    "ActionPage",
    "Event",
    "FundraisingPage",
    "Gift",
    "PersonalGoal",
    "ReferralCode",
    "Rsvp",
    "Shift",
    "Submission",
]
