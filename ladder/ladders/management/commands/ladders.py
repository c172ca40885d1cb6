"""`ladder ladders recompute` / `ladder ladders update`: engagement scores and placements."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ladder.core.progress import phase_bars
from ladder.ladders.placement import ladders_recompute, ladders_update


class Command(BaseCommand):
    help = (
        "Ladders: `ladder ladders recompute` recomputes every engagement score from the log and "
        "re-places everyone on every ladder (run it nightly, after `ladder rollups rebuild`, so "
        "that time windows and step-downs catch up); `ladder ladders update` folds new "
        "activities in, as the worker does."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("recompute", help="scores from the whole log, then every placement")
        update = sub.add_parser("update", help="fold new activities in, batch by batch")
        update.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "update":
            total = 0
            while folded := ladders_update(batch_size=options["batch_size"]):
                total += folded
            self.stdout.write(f"Folded {total:,} activities into scores and ladders.")
            return

        with phase_bars(self.stderr) as progress:
            result = ladders_recompute(progress=progress)
        self.stdout.write(
            f"Recomputed engagement scores ({result.scores_changed:,} changed) and ladder "
            f"placements ({result.moves:,} moves)."
        )
