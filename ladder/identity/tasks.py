"""Background work for identity resolution (thin: call the service)."""

from __future__ import annotations

from django.tasks import task

from ladder.identity.finding import candidates_find


@task()
def candidates_find_task() -> None:
    """Score everyone for likely duplicates and refresh the review queue."""
    candidates_find()
