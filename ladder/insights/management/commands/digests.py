"""`ladder digests send`: email point persons and leaders what their people did (daily, cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ladder.insights.digests import digests_send


class Command(BaseCommand):
    help = (
        "Digests: `ladder digests send` emails each point person and leader who is due one "
        "the people within their reach who acted since their last digest (none when nobody did)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("send", help="send the digests that are due")

    def handle(self, *args: Any, **options: Any) -> None:
        sent = digests_send()
        self.stdout.write(f"{sent.messages} digests sent ({sent.users} due).")
