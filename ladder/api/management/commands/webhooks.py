"""``ladder webhooks send``: fan new events out to subscriptions and post what is due, until
nothing is (``--once``: one pass). The worker does the same every second; this is for cron-less
setups, tests and catching up by hand. ``ladder webhooks replay ID`` sends a delivery again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ladder.api.models import WebhookDelivery
from ladder.api.webhooks.delivery import deliver_due
from ladder.api.webhooks.fanout import webhooks_fanout
from ladder.api.webhooks.services import delivery_replay

S = WebhookDelivery.Status


class Command(BaseCommand):
    help = "Outbound webhooks: send what is due (fan-out, then signed posts), or replay one."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        send = sub.add_parser("send", help="fan out and post until nothing is due")
        send.add_argument("--once", action="store_true", help="one pass only")
        replay = sub.add_parser("replay", help="send delivery ID again (same idempotency key)")
        replay.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "replay":
            delivery = WebhookDelivery.objects.filter(pk=options["id"]).first()
            if delivery is None:
                raise CommandError(f"No delivery {options['id']}.")
            delivery_replay(actor=None, delivery=delivery)
            self.stdout.write(f"delivery {delivery.pk} is due again")
            return
        started = timezone.now()
        events = tried = 0
        while True:
            now = timezone.now()
            events += webhooks_fanout(now=now)
            batch = deliver_due(now=now)
            tried += batch
            if options["once"] or not batch:
                break
        touched = WebhookDelivery.objects.filter(tries__at__gte=started).distinct()
        delivered = touched.filter(status=S.DELIVERED).count()
        waiting = touched.filter(status=S.PENDING).count()
        failed = touched.filter(status=S.FAILED).count()
        self.stdout.write(
            f"{events} events fanned out; {tried} posts: delivered {delivered}, "
            f"to retry {waiting}, given up {failed}"
        )
