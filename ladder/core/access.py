"""Who may do what. Row-level scoping of people lives in `ladder.people.selectors.visible_people`;
every list, count, search, export and profile goes through it."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from ladder.core.models import Role, User


def current_user(request: HttpRequest) -> User:
    """The logged-in user, typed. Views call this behind ``login_required``."""
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        raise PermissionDenied
    return user


def is_staff_user(user: object) -> bool:
    return isinstance(user, User) and user.is_active and user.sees_everyone


def can_import(user: object) -> bool:
    """Imports write to the whole database, so only admins and staff run them."""
    return is_staff_user(user)


def require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied


def staff_user(request: HttpRequest) -> User:
    """The logged-in user if they are staff (pages that reach across every group); 403 else."""
    user = current_user(request)
    require(is_staff_user(user))
    return user


class StaffRequiredMixin(LoginRequiredMixin):
    """Pages that act on the whole organization: admins and staff only."""

    def dispatch(self, request: HttpRequest, *args, **kwargs):  # type: ignore[no-untyped-def]
        if request.user.is_authenticated and not is_staff_user(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


__all__ = [
    "Role",
    "StaffRequiredMixin",
    "can_import",
    "current_user",
    "is_staff_user",
    "require",
]
