from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ladder.core.models import Role
from ladder.core.services import user_create


class Command(BaseCommand):
    help = "Manage logins: `ladder user create NAME --role ROLE` (password from LADDER_PASSWORD)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a login")
        create.add_argument("username")
        create.add_argument("--role", choices=Role.values, default=Role.STAFF)
        create.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("LADDER_PASSWORD")
        if not password:
            if not os.isatty(0):
                raise CommandError("Set LADDER_PASSWORD or run in a terminal to be prompted.")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Again: "):
                raise CommandError("The passwords differ.")
        try:
            user = user_create(
                username=options["username"],
                role=options["role"],
                password=password,
                email=options["email"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Created {user.username} ({user.get_role_display()}).")
