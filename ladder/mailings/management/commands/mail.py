"""`ladder mail send` — only the sender: tick and send until there is nothing left to do.

The worker runs the same steps in a thread; this command exists so that sending can be run,
killed and restarted on its own (the fault test does exactly that) and so that a large send
can be given a process of its own.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ladder.mailings.sending import mailings_tick, send_until_done


class Command(BaseCommand):
    help = "Send queued mailings: 'send' until idle, or 'tick' once (launch, decide, recover)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["send", "tick"])
        parser.add_argument(
            "--idle-exit",
            type=float,
            default=2.0,
            help="With 'send': stop after this many seconds with nothing to send.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "tick":
            mailings_tick()
            return
        tally = send_until_done(idle_exit=options["idle_exit"])
        self.stdout.write(
            f"sent {tally.sent}, failed {tally.failed}, skipped {tally.skipped}, "
            f"retried {tally.retried}, in doubt {tally.in_doubt}, batches {tally.batches}"
        )
