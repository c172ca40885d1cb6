"""Helpers for tests across apps (kept out of conftest.py so tests can import them by name)."""

from __future__ import annotations

from ladder.core.models import User
from ladder.core.services import user_create

PASSWORD = "correct horse battery staple"


def make_user(username: str, role: str) -> User:
    return user_create(username=username, role=role, password=PASSWORD, validate=False)
