"""The import pipeline's tables: the job, its staged rows and the batches already applied.

A file is read once into the staging tables (``ImportRow`` plus its external ids and issues);
matching, the dry run, apply and undo are set-based SQL over them. Staging tables point at their
job without a database constraint: COPY of a million rows should not pay a foreign-key
check per row, and they are deleted with their job by the ORM anyway.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        PEOPLE = "people", "People"
        ACTIVITIES = "activities", "Activity history"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded — check the column matching"
        STAGING = "staging", "Checking"
        STAGED = "staged", "Checked (dry run)"
        APPLYING = "applying", "Applying"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        UNDOING = "undoing", "Undoing"
        UNDONE = "undone", "Undone"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PEOPLE)
    activity_type = models.CharField(max_length=32, blank=True, default="")
    original_name = models.CharField(max_length=255)
    # Relative to settings.DATA_DIR, so a moved data directory still finds its uploads.
    file_path = models.CharField(max_length=500, blank=True, default="")
    file_format = models.CharField(max_length=8, default="csv")  # csv | xlsx
    file_size = models.BigIntegerField(default=0)
    encoding = models.CharField(max_length=40, blank=True, default="")
    delimiter = models.CharField(max_length=4, blank=True, default="")
    headers = models.JSONField(default=list, blank=True)
    sample = models.JSONField(default=list, blank=True, help_text="The first rows, as read.")
    mapping = models.JSONField(default=dict, blank=True)
    # A tag added to everyone the import touches (`ladder import people FILE --tag NAME`).
    extra_tag = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    # What the job is doing right now, for progress displays: queued, reading, staging,
    # matching, staged, applying, done, failed, undoing, undone.
    phase = models.CharField(max_length=16, blank=True, default="uploaded")
    rows_total = models.IntegerField(default=0)
    rows_done = models.IntegerField(default=0)
    # Fixed when the file is staged so that a resumed apply cuts the same batches.
    batch_size = models.IntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    staged_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import #{self.pk} {self.original_name}"

    @property
    def source_label(self) -> str:
        """How consent lines and activities name this import."""
        return f"import #{self.pk}"

    @property
    def batches_total(self) -> int:
        if not self.batch_size:
            return 0
        return (self.rows_total + self.batch_size - 1) // self.batch_size


class ImportBatch(models.Model):
    """A batch of staged rows that has been applied. Written in the same transaction as the
    batch's changes, so a killed process either committed the whole batch and this row, or
    neither."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="batches")
    number = models.IntegerField()
    first_row = models.IntegerField()
    last_row = models.IntegerField()
    created = models.IntegerField(default=0)
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="import_batch_unique")
        ]


class RowStatus(models.TextChoices):
    PENDING = "ok", "Staged"
    REJECTED = "rejected", "Rejected"
    NEW = "new", "New person"
    DUPLICATE = "duplicate", "Same person as an earlier row"
    UPDATE = "update", "Updates a person"
    UNCHANGED = "unchanged", "Adds nothing new"


def _job_fk() -> models.ForeignKey:
    return models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )


class ImportRow(models.Model):
    """One data row of the file, normalised. Text columns are unbounded here: values were
    already cut to their target's length (with a warning) while normalising."""

    job = _job_fk()
    # The spreadsheet row number: the header is row 1, so data starts at 2.
    row_number = models.IntegerField()
    status = models.CharField(max_length=10, choices=RowStatus.choices, default=RowStatus.PENDING)
    # The first row of the file that is the same person (itself when it is the first).
    canonical_row = models.IntegerField()
    person_id = models.BigIntegerField(null=True, blank=True)

    first_name = models.TextField(null=True, blank=True)
    middle_name = models.TextField(null=True, blank=True)
    last_name = models.TextField(null=True, blank=True)
    suffix = models.TextField(null=True, blank=True)
    sort_name = models.TextField(null=True, blank=True)
    birthdate = models.DateField(null=True, blank=True)
    employer = models.TextField(null=True, blank=True)
    occupation = models.TextField(null=True, blank=True)
    source = models.TextField(null=True, blank=True)
    email = models.TextField(null=True, blank=True)
    phone_mobile = models.TextField(null=True, blank=True)
    phone_home = models.TextField(null=True, blank=True)
    phone_work = models.TextField(null=True, blank=True)
    phone_other = models.TextField(null=True, blank=True)
    # The first of the row's phones: the one used to find the person.
    match_phone = models.TextField(null=True, blank=True)
    line1 = models.TextField(null=True, blank=True)
    line2 = models.TextField(null=True, blank=True)
    locality = models.TextField(null=True, blank=True)
    region = models.TextField(null=True, blank=True)
    postal_code = models.TextField(null=True, blank=True)
    country = models.TextField(null=True, blank=True)
    county = models.TextField(null=True, blank=True)
    congressional_district = models.TextField(null=True, blank=True)
    state_upper_district = models.TextField(null=True, blank=True)
    state_lower_district = models.TextField(null=True, blank=True)
    precinct = models.TextField(null=True, blank=True)
    group_id = models.BigIntegerField(null=True, blank=True)
    custom = models.TextField(null=True, blank=True, help_text="JSON object of custom fields")
    # JSON array of tag names, spelled like the existing tag when there is one.
    tags = models.TextField(null=True, blank=True)
    email_consent = models.CharField(max_length=8, null=True, blank=True)
    sms_consent = models.CharField(max_length=8, null=True, blank=True)

    # Activity imports.
    occurred_at = models.DateTimeField(null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    activity_source = models.TextField(null=True, blank=True)
    result = models.TextField(null=True, blank=True)
    payload = models.TextField(null=True, blank=True, help_text="JSON object")
    activity_key = models.TextField(null=True, blank=True)

    # What apply overwrote on an existing person, for undo. NULL means "not changed";
    # prev_birthdate '' means it was empty.
    prev_first_name = models.TextField(null=True, blank=True)
    prev_middle_name = models.TextField(null=True, blank=True)
    prev_last_name = models.TextField(null=True, blank=True)
    prev_suffix = models.TextField(null=True, blank=True)
    prev_birthdate = models.TextField(null=True, blank=True)
    prev_employer = models.TextField(null=True, blank=True)
    prev_occupation = models.TextField(null=True, blank=True)
    prev_source = models.TextField(null=True, blank=True)
    prev_custom = models.TextField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "row_number"], name="import_row_unique")
        ]


class ImportExternalId(models.Model):
    job = _job_fk()
    row_number = models.IntegerField()
    system = models.CharField(max_length=40)
    value = models.TextField()

    class Meta:
        indexes = [
            models.Index(fields=["job", "row_number"], name="import_ext_row"),
            models.Index(fields=["job", "system", "value"], name="import_ext_value"),
        ]


class ImportIssue(models.Model):
    """A problem with one cell: the row was rejected, or the value was dropped with a warning."""

    job = _job_fk()
    row_number = models.IntegerField()
    column = models.TextField(blank=True, default="")
    value = models.TextField(blank=True, default="")
    code = models.CharField(max_length=20)
    reason = models.TextField()
    rejected = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["job", "row_number"], name="import_issue_row")]


__all__ = [
    "ImportBatch",
    "ImportExternalId",
    "ImportIssue",
    "ImportJob",
    "ImportRow",
    "RowStatus",
]
