from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ladder.core.checks import ladder_deploy_checks
from ladder.core.models import Role, User

pytestmark = pytest.mark.django_db


def test_user_create_takes_password_from_environment(monkeypatch, capsys):
    monkeypatch.setenv("LADDER_PASSWORD", "a long enough passphrase 42")
    call_command("user", "create", "lena", "--role", "leader")
    user = User.objects.get(username="lena")
    assert user.role == Role.LEADER and user.check_password("a long enough passphrase 42")
    assert not user.is_superuser
    assert "Created lena" in capsys.readouterr().out


def test_user_create_refuses_duplicates_and_weak_passwords(monkeypatch):
    monkeypatch.setenv("LADDER_PASSWORD", "a long enough passphrase 42")
    call_command("user", "create", "ada", "--role", "admin")
    assert User.objects.get(username="ada").is_superuser
    with pytest.raises(CommandError, match="already exists"):
        call_command("user", "create", "ADA", "--role", "staff")
    monkeypatch.setenv("LADDER_PASSWORD", "short")
    with pytest.raises(CommandError, match="too short"):
        call_command("user", "create", "bo", "--role", "staff")


def test_deploy_checks_flag_the_embedded_key(settings):
    settings.SECRET_KEY = "ladder-insecure-embedded-default-xyz"
    assert "ladder.W001" in {w.id for w in ladder_deploy_checks()}
    settings.SECRET_KEY = "x" * 60
    assert "ladder.W001" not in {w.id for w in ladder_deploy_checks()}
