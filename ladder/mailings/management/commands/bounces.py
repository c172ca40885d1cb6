"""`ladder bounces PATH...`: bounce messages (.eml files, or folders of them) into bounces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ladder.mailings.dsn import NotAReport, ingest


class Command(BaseCommand):
    help = (
        "Read bounce messages (RFC 3464 delivery status notifications and RFC 5965 abuse "
        "reports, one message per .eml file; a folder means every .eml in it) and record "
        "their bounces and complaints. A message read twice adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        files: list[Path] = []
        for path in options["paths"]:
            if path.is_dir():
                files += sorted(path.glob("*.eml"))
            elif path.exists():
                files.append(path)
            else:
                raise CommandError(f"{path}: no such file or folder")
        new = replays = skipped = 0
        for file in files:
            try:
                done = ingest(file.read_bytes())
            except OSError as exc:
                raise CommandError(f"Cannot read {file}: {exc}") from None
            except NotAReport as problem:
                self.stderr.write(f"{file}: skipped, {problem}")
                skipped += 1
                continue
            new += len(done.bounces)
            replays += done.replays
            for line in done.ignored:
                self.stdout.write(f"{file}: not a bounce: {line}")
        self.stdout.write(
            f"{len(files):,} messages: {new:,} new bounces, {replays:,} already recorded, "
            f"{skipped:,} not bounce messages."
        )
