from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ladder.activity.rollups import rollups_rebuild, rollups_update
from ladder.core.progress import phase_bars


class Command(BaseCommand):
    help = (
        "Activity rollups: `ladder rollups rebuild` recomputes PersonStats and daily metrics "
        "from the whole log, then every engagement score and ladder placement (run it nightly "
        "to refresh 30/90/365-day windows, time-windowed rung criteria and step-downs); "
        "`ladder rollups update` folds in new activities until caught up."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rebuild", help="recompute everything from the activity log")
        update = sub.add_parser("update", help="fold new activities in, batch by batch")
        update.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "update":
            total = 0
            while folded := rollups_update(options["batch_size"]):
                total += folded
            self.stdout.write(f"Folded {total:,} activities into the rollups.")
            return

        # The rebuild re-inserts PersonStats rows with a zero engagement score; the ladders app
        # owns the score (and placements read it), so recompute both right after.
        from ladder.ladders.placement import ladders_recompute

        with phase_bars(self.stderr) as progress:
            result = rollups_rebuild(progress)
            ladders = ladders_recompute(progress=progress)
        self.stdout.write(
            f"Rebuilt rollups for {result.people:,} people from {result.activities:,} "
            f"activities (watermark {result.watermark}); recomputed engagement scores "
            f"({ladders.scores_changed:,} changed) and ladders ({ladders.moves:,} moves)."
        )
