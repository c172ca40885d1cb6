"""`ladder actblue import FILE`: an ActBlue contributions CSV, gift by gift, once each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ladder.actions.actblue import BadLine, actblue_csv_import, rows_from_csv


class Command(BaseCommand):
    help = (
        "Import an ActBlue contributions CSV: each line item becomes one gift (matched by "
        "ActBlue's receipt ID and line item ID, so importing a file again adds nothing), with "
        "its refund and recurring cancellation when the file has them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imported = sub.add_parser("import", help="import an ActBlue CSV export")
        imported.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path} is not UTF-8 text (ActBlue exports are).") from None
        try:
            result = actblue_csv_import(rows_from_csv(text))
        except BadLine as problem:
            raise CommandError(problem.message) from None
        self.stdout.write(
            f"{result.rows:,} rows: {result.new_gifts:,} new gifts, {result.already_known:,} "
            f"already recorded, {result.refunds:,} refunds, {result.cancellations:,} "
            f"cancelled series, {len(result.problems):,} rows with problems."
        )
        for row in result.problems[:50]:
            self.stderr.write(f"  row {row.row}, column “{row.column}”: {row.message}")
        if result.problems:
            raise CommandError(f"{len(result.problems):,} rows could not be imported (above).")
