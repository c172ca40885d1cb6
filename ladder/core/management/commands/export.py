from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ladder.core.models import Role, User
from ladder.people.export import (
    DEFAULT_COLUMNS,
    EXPORT_COLUMNS,
    ExportError,
    people_export_csv,
    people_export_queryset,
)
from ladder.people.models import Group, Tag


class Command(BaseCommand):
    help = (
        "Export people to CSV: `ladder export people [--columns a,b,c] [--query Q] [--tag NAME] "
        "[--group SLUG] [--output FILE] [--as-user USERNAME]`. Writes to stdout unless --output "
        f"is given. Columns: {', '.join(EXPORT_COLUMNS)}, custom:<key>, external:<system>."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        people = sub.add_parser("people", help="export people (everyone, or what a user sees)")
        people.add_argument("--columns", default=",".join(DEFAULT_COLUMNS))
        people.add_argument("--query", default="", help="name, email or phone, as in search")
        people.add_argument("--tag", default="", help="only people with this tag (name)")
        people.add_argument("--group", default="", help="only members of this group (slug)")
        people.add_argument("--output", "-o", default="", help="file to write (default stdout)")
        people.add_argument(
            "--as-user", default="", help="export only what this login may see (default: all)"
        )
        people.add_argument("--bom", action="store_true", help="start with a UTF-8 BOM (Excel)")
        people.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._user(options["as_user"])
        tag_id = self._tag(options["tag"])
        group_id = self._group(options["group"])
        filters = {"query": options["query"], "tag_id": tag_id, "group_id": group_id}
        total = people_export_queryset(user, **filters).count()
        err = getattr(self.stderr, "_out", sys.stderr)  # tqdm needs the raw stream
        bar = tqdm(
            total=total, unit=" people", file=err, disable=options["no_progress"], desc="export"
        )
        try:
            pieces = people_export_csv(
                user,
                columns=options["columns"].split(","),
                bom=options["bom"],
                progress=bar.update,
                **filters,
            )
        except ExportError as exc:
            bar.close()
            raise CommandError(str(exc)) from None
        try:
            if options["output"]:
                with open(options["output"], "w", encoding="utf-8", newline="") as out:
                    out.writelines(pieces)
            else:
                stream = getattr(self.stdout, "_out", sys.stdout)
                stream.writelines(pieces)
                stream.flush()
        except OSError as exc:
            raise CommandError(f"Cannot write {options['output'] or 'stdout'}: {exc}") from None
        finally:
            bar.close()
        if options["output"]:
            self.stderr.write(f"Wrote {total:,} people to {options['output']}.")

    def _user(self, username: str) -> User:
        if not username:
            # The operator at the console exports what an admin would see: everyone.
            return User(username="console", role=Role.ADMIN, is_superuser=True, is_active=True)
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user called {username}.")
        return user

    def _tag(self, name: str) -> int | None:
        if not name:
            return None
        tag = Tag.objects.filter(name__iexact=name.strip()).first()
        if tag is None:
            raise CommandError(f"There is no tag called “{name}”.")
        return tag.pk

    def _group(self, slug: str) -> int | None:
        if not slug:
            return None
        group = Group.objects.filter(slug=slug.strip()).first()
        if group is None:
            raise CommandError(f"There is no group with the slug “{slug}”.")
        return group.pk
