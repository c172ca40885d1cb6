"""Background work for ladders (thin: call the service)."""

from __future__ import annotations

from django.tasks import task

from ladder.ladders.placement import ladders_recompute


@task()
def ladders_recompute_task() -> None:
    """Every score from the log and everyone on every ladder: after the weights, the half-life
    or a ladder's rungs change, which can move anyone."""
    ladders_recompute()
