"""`ladder check --deploy`: what is unsafe about running this configuration in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

EMBEDDED_KEY_PREFIX = "ladder-insecure-embedded-default"


@register(Tags.security, deploy=True)
def ladder_deploy_checks(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    warnings = []
    if settings.SECRET_KEY.startswith(EMBEDDED_KEY_PREFIX):
        warnings.append(
            Warning("LADDER_SECRET_KEY is not set: the embedded key is public.", id="ladder.W001")
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        warnings.append(
            Warning(
                "The database is SQLite: fine for one machine and a demo; production wants"
                " PostgreSQL in DATABASE_URL.",
                id="ladder.W002",
            )
        )
    if not settings.SESSION_COOKIE_SECURE:
        warnings.append(
            Warning("Set LADDER_SECURE_COOKIES=1 when serving over HTTPS.", id="ladder.W003")
        )
    return warnings
