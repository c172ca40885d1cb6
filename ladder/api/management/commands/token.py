"""``ladder token create USERNAME`` prints a new API token once; ``list`` and ``revoke``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ladder.api.models import ApiToken
from ladder.api.tokens import token_create
from ladder.core.models import User


class Command(BaseCommand):
    help = "API tokens: create one for a user (printed once), list them, revoke one."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a token for USERNAME and print it once")
        create.add_argument("username")
        create.add_argument("--name", default="", help="what will use it (default: command line)")
        create.add_argument("--rate", type=int, default=None, help="requests per minute")
        sub.add_parser("list", help="every token: id, user, name, prefix, last used, revoked")
        revoke = sub.add_parser("revoke", help="revoke the token with this id")
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            user = User.objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"No user called {options['username']!r}.")
            try:
                _, raw = token_create(
                    actor=None, user=user, name=options["name"] or "command line",
                    rate_per_minute=options["rate"],
                )  # fmt: skip
            except ValidationError as problem:
                raise CommandError("; ".join(problem.messages)) from None
            self.stdout.write(raw)
            self.stderr.write("Keep it safe: it is shown only this once.")
        elif action == "list":
            for token in ApiToken.objects.select_related("user").order_by("id"):
                used = (
                    token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "-"
                )
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
                self.stdout.write(
                    f"{token.pk}\t{token.user.username}\t{token.name}\t{token.prefix}…\t{used}\t{state}"
                )
        else:
            updated = ApiToken.objects.filter(pk=options["id"], revoked_at__isnull=True)
            from django.utils import timezone

            if not updated.update(revoked_at=timezone.now()):
                raise CommandError(f"No live token with id {options['id']}.")
            self.stdout.write(f"Revoked token {options['id']}.")
