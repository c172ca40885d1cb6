"""Background tasks for the activity app: thin wrappers around the rollup services."""

from __future__ import annotations

from django.tasks import task

from ladder.activity.rollups import rollups_rebuild, rollups_update


@task
def rollups_update_task(batch_size: int | None = None) -> int:
    """Fold whatever has settled; the worker also runs this in its own loop."""
    return rollups_update(batch_size)


@task
def rollups_rebuild_task() -> int:
    """Recompute the rollups from the whole log (after a large import or an undo)."""
    return rollups_rebuild().people
