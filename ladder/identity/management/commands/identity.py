"""`ladder identity find`: score everyone for likely duplicates and refresh the review queue."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ladder.core.progress import phase_bars
from ladder.identity.finding import candidates_find


class Command(BaseCommand):
    help = (
        "Identity: `ladder identity find` scores every pair of records its blocking rules "
        "produce (splink on DuckDB, trained without labels) and keeps the likely duplicates "
        "for review; decided pairs are never proposed again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        find = sub.add_parser("find", help="find likely duplicates")
        find.add_argument("--threshold", type=float, default=0.5,
                          help="lowest match probability kept (0–1, default 0.5)")  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        threshold = options["threshold"]
        if not 0 < threshold < 1:
            self.stderr.write("--threshold is a probability between 0 and 1.")
            raise SystemExit(2)
        with phase_bars(self.stderr) as progress:
            found = candidates_find(threshold=threshold, progress=progress)
        self.stdout.write(
            f"Scored {found.people:,} people: {found.pairs:,} likely pairs, {found.new:,} new "
            f"for review, {found.merged:,} merged automatically."
        )
