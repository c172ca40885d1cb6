from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from ladder.core.models import Role, User


@transaction.atomic
def user_create(
    *, username: str, role: str, password: str, email: str = "", validate: bool = True
) -> User:
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    if User.objects.filter(username__iexact=username).exists():
        raise ValueError(f"A user called {username} already exists.")
    user = User(username=username, email=email, role=role)
    if validate:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValueError(" ".join(exc.messages)) from None
    user.set_password(password)
    # Admins may use Django's admin site; the others work in Ladder's own screens.
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.save()
    return user
