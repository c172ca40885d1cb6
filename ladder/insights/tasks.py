"""Background work for insights (thin: call the service)."""

from __future__ import annotations

from django.tasks import task

from ladder.insights.listening import listening_perform


@task()
def listening_task(run_id: int) -> None:
    """Group what people said into themes."""
    listening_perform(run_id)
