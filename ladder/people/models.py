"""The supporter profile: a Person and their contact points, tags, fields, ids, groups and consent.

Contact points are rows of their own so that one person can have many, each with its own
status. Columns named ``import_job_id`` record which import added a row, so that an import can
be undone with set-based deletes; they are plain integers because `people` must not depend on
`imports`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Group(models.Model):
    """A chapter or team. Groups nest; a leader of a group sees its sub-groups too."""

    class Kind(models.TextChoices):
        CHAPTER = "chapter", "Chapter"
        TEAM = "team", "Team"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CHAPTER)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    leaders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="led_groups"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    first_name = models.CharField(max_length=100, blank=True, default="")
    middle_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100, blank=True, default="")
    suffix = models.CharField(max_length=20, blank=True, default="")
    # Lower-cased "last first": an indexed prefix range serves name search at a million rows.
    sort_name = models.CharField(max_length=210, blank=True, default="", db_index=True)
    birthdate = models.DateField(null=True, blank=True)
    languages = models.CharField(max_length=100, blank=True, default="")
    employer = models.CharField(max_length=200, blank=True, default="")
    occupation = models.CharField(max_length=200, blank=True, default="")
    custom_fields = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=200, blank=True, default="")
    point_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="point_for",
    )
    home_group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recruited_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="recruits"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
        help_text="The login of this person, when they are also a leader or volunteer.",
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    groups = models.ManyToManyField(Group, through="Membership", related_name="people")
    import_job_id = models.BigIntegerField(null=True, blank=True)
    # Which staged row created this person: lets set-based import SQL find the ids it inserted.
    import_row = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["import_job_id", "import_row"], name="person_import_row"),
            # Webhooks' person events and the API's modified_date filter read by it.
            models.Index(fields=["updated_at", "id"], name="person_updated"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or f"Person {self.pk}"


def make_sort_name(first_name: str, last_name: str) -> str:
    return f"{last_name} {first_name}".strip().lower()


class ContactStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    BOUNCING = "bouncing", "Bouncing"
    INVALID = "invalid", "Invalid"
    INACTIVE = "inactive", "Inactive"


class Subscription(models.TextChoices):
    """Current consent on a contact point, derived from the consent ledger."""

    UNKNOWN = "unknown", "No consent recorded"
    SUBSCRIBED = "subscribed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class EmailAddress(models.Model):
    # Indexed by "email_person" below; the FK's own index would be a duplicate.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="emails", db_index=False
    )
    # Normalised (lower-cased, validated); unique so that an email identifies one person.
    address = models.CharField(max_length=254, unique=True)
    is_primary = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=ContactStatus.choices, default="active")
    # A cache of the ledger's latest word, written only by `consent_record`.
    subscription = models.CharField(
        max_length=16, choices=Subscription.choices, default=Subscription.UNKNOWN
    )
    import_job_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["person"], name="email_person")]

    def __str__(self) -> str:
        return self.address


class Phone(models.Model):
    class Kind(models.TextChoices):
        MOBILE = "mobile", "Mobile"
        HOME = "home", "Home"
        WORK = "work", "Work"
        OTHER = "other", "Other"

    # The unique (person, number) constraint serves lookups by person.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="phones", db_index=False
    )
    number = models.CharField(max_length=20, db_index=True, help_text="E.164")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OTHER)
    do_not_call = models.BooleanField(default=False)
    is_primary = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=ContactStatus.choices, default="active")
    sms_subscription = models.CharField(
        max_length=16, choices=Subscription.choices, default=Subscription.UNKNOWN
    )
    import_job_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "number"], name="phone_unique_per_person")
        ]

    def __str__(self) -> str:
        return self.number


class Address(models.Model):
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="addresses", db_index=False
    )
    line1 = models.CharField(max_length=200, blank=True, default="")
    line2 = models.CharField(max_length=200, blank=True, default="")
    locality = models.CharField(max_length=100, blank=True, default="")
    region = models.CharField(max_length=50, blank=True, default="")
    postal_code = models.CharField(max_length=20, blank=True, default="", db_index=True)
    country = models.CharField(max_length=2, blank=True, default="US")
    county = models.CharField(max_length=100, blank=True, default="")
    congressional_district = models.CharField(max_length=10, blank=True, default="")
    state_upper_district = models.CharField(max_length=10, blank=True, default="")
    state_lower_district = models.CharField(max_length=10, blank=True, default="")
    precinct = models.CharField(max_length=50, blank=True, default="")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    is_primary = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=ContactStatus.choices, default="active")
    import_job_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["person"], name="address_person")]
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return ", ".join(p for p in (self.line1, self.locality, self.region, self.postal_code) if p)


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tagging(models.Model):
    # Served by the unique (person, tag) and the (tag, person) index: no single-column ones.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="taggings", db_index=False
    )
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="taggings", db_index=False)
    import_job_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "tag"], name="tagging_unique")]
        indexes = [models.Index(fields=["tag", "person"], name="tagging_tag_person")]


class CustomField(models.Model):
    """A staff-defined field; values live in ``Person.custom_fields`` under ``key``."""

    class Type(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        CHOICE = "choice", "Choice"
        BOOLEAN = "boolean", "Yes / no"

    key = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=120)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class ExternalId(models.Model):
    """An id for this person in another system (VAN, a voter file, ActBlue…)."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="external_ids", db_index=False
    )
    system = models.CharField(max_length=40)
    value = models.CharField(max_length=100)
    import_job_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "value"], name="external_id_unique")
        ]
        indexes = [models.Index(fields=["person"], name="external_id_person")]


class Relationship(models.Model):
    """One person knows another — a volunteer's friends, neighbours, co-workers — so that a
    campaign can reach people through someone they already answer (relational organizing)."""

    knower = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="knows")
    # The unique (person, knower) serves "who knows this person?".
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="known_by", db_index=False
    )
    how = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "knower"], name="relationship_once")
        ]


class Membership(models.Model):
    # Served by the unique (person, group) and the (group, person) index.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    import_job_id = models.BigIntegerField(null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "group"], name="membership_unique")
        ]
        indexes = [models.Index(fields=["group", "person"], name="membership_group_person")]


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    PHONE = "phone", "Phone call"
    MAIL = "mail", "Postal mail"


class ConsentEvent(models.Model):
    """One line of the append-only consent ledger. Never updated, never deleted by Ladder."""

    class Status(models.TextChoices):
        OPT_IN = "opt_in", "Opted in"
        OPT_OUT = "opt_out", "Opted out"
        # Written only when a merge is undone: the opt-out the merge wrote is void, and the
        # contact point had no word before it (see `consent_merge_revert`).
        CLEARED = "cleared", "No consent recorded (a merge undone)"

    person = models.ForeignKey(
        Person,
        null=True,
        on_delete=models.SET_NULL,
        related_name="consent_events",
        db_index=False,  # "consent_person" (person, occurred_at) serves it
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # The normalised address or E.164 number the consent is about.
    contact_point = models.CharField(max_length=254)
    status = models.CharField(max_length=8, choices=Status.choices)
    source = models.CharField(max_length=200, help_text="import #12, petition page, staff…")
    wording = models.TextField(blank=True, default="", help_text="The words agreed to.")
    # True when the person themself asked (a form, an unsubscribe link), which is the only
    # kind of opt-in allowed to override an earlier opt-out.
    by_person = models.BooleanField(default=False)
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    import_job_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["channel", "contact_point", "occurred_at"], name="consent_point"),
            models.Index(fields=["person", "occurred_at"], name="consent_person"),
        ]


class Suppression(models.Model):
    """An address that must never be contacted on a channel, kept by hash so it outlives the
    person's deletion and catches the same address when it is imported again."""

    channel = models.CharField(max_length=8, choices=Channel.choices)
    address_hash = models.CharField(max_length=64)
    reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "address_hash"], name="suppression_unique")
        ]


__all__ = [
    "Address",
    "Channel",
    "ConsentEvent",
    "ContactStatus",
    "CustomField",
    "EmailAddress",
    "ExternalId",
    "Group",
    "Membership",
    "Person",
    "Phone",
    "Subscription",
    "Suppression",
    "Tag",
    "Tagging",
]
