"""Background work for identity resolution (thin: call the service)."""

from __future__ import annotations

from django.tasks import task

from ladder.identity.finding import find_run_perform


@task()
def candidates_find_task(run_id: int) -> None:
    """Score everyone for likely duplicates and refresh the review queue, with progress."""
    find_run_perform(run_id)
