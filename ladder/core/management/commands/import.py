"""`ladder import people FILE` and `ladder import activities FILE --type TYPE`.

The same pipeline as the import screens: stage and check (the dry run), then apply in
idempotent batches, with a progress bar on stderr and the summary on stdout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ladder.activity.catalogue import ActivityType
from ladder.imports import services
from ladder.imports.models import ImportJob
from ladder.imports.selectors import import_progress


class Command(BaseCommand):
    help = "Import people, or activity history, from a CSV or XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["people", "activities"])
        parser.add_argument("file", type=Path)
        parser.add_argument("--type", dest="activity_type", choices=ActivityType.values)
        parser.add_argument(
            "--mapping",
            default="",
            help='JSON of header → target overriding the automatic mapping, e.g. {"Cell": "phone"}',
        )
        parser.add_argument("--tag", default=None, help="a tag to add to everyone in the file")
        parser.add_argument("--dry-run", action="store_true", help="check only; change nothing")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if options["kind"] == "activities" and not options["activity_type"]:
            raise CommandError("Activity imports need --type (donation, attendance, …).")
        try:
            overrides = json.loads(options["mapping"]) if options["mapping"] else {}
        except json.JSONDecodeError as exc:
            raise CommandError(f"--mapping is not JSON: {exc}") from None
        if not isinstance(overrides, dict):
            raise CommandError("--mapping must be a JSON object of header → target.")
        try:
            job = services.import_create(
                actor=None,
                path_or_file=path,
                original_name=path.name,
                kind=options["kind"],
                activity_type=options["activity_type"],
            )
            unknown = set(overrides) - set(job.headers)
            if unknown:
                raise CommandError(f"--mapping names columns the file lacks: {sorted(unknown)}")
            services.import_set_mapping(
                actor=None, job=job, mapping={**job.mapping, **overrides}, extra_tag=options["tag"]
            )
            self._mapping(job)
            self._run(job, "Checking", services.import_stage, options["no_progress"])
            self._summary(job, "Dry run" if options["dry_run"] else "Checked")
            if options["dry_run"]:
                return
            self._run(job, "Applying", services.import_apply, options["no_progress"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self._summary(job, f"Import #{job.pk} done")

    def _mapping(self, job: ImportJob) -> None:
        for header, target in job.mapping.items():
            if target != "ignore":
                self.stdout.write(f"  {header!r:>30} → {target}")

    def _run(self, job: ImportJob, label: str, step: Any, quiet: bool) -> None:
        with tqdm(total=job.rows_total or None, desc=label, unit="row", disable=quiet) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            step(job=job, progress=progress)

    def _summary(self, job: ImportJob, title: str) -> None:
        counts = import_progress(job)["counts"]
        figures = ", ".join(f"{counts.get(k, 0):,} {k}" for k in ("new", "updated", "unchanged"))
        self.stdout.write(f"{title}: {figures}, {counts.get('rejected', 0):,} rejected.")
        for reason, n in (counts.get("rejected_reasons") or {}).items():
            self.stdout.write(f"  rejected, {reason}: {n:,}")
