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
