from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    STAFF = "staff", "Staff"
    LEADER = "leader", "Leader"
    VOLUNTEER = "volunteer", "Volunteer"


class User(AbstractUser):
    """A login. What it may see is decided by `role` (see `ladder.core.access`)."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VOLUNTEER)

    @property
    def sees_everyone(self) -> bool:
        return self.is_superuser or self.role in (Role.ADMIN, Role.STAFF)


class HookCall(models.Model):
    """One post to an inbound webhook (ActBlue, an email service): who, when, what we answered.
    Every inbound endpoint goes through `ladder.core.hooks.inbound_hook`, which writes these."""

    hook = models.CharField(max_length=40)
    received_at = models.DateTimeField(db_index=True)
    remote_addr = models.CharField(max_length=64, blank=True, default="")
    status = models.PositiveSmallIntegerField()
    bytes = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["hook", "-received_at"], name="hookcall_recent")]
