from __future__ import annotations

import threading
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections


class Command(BaseCommand):
    help = (
        "Run a worker: queued tasks (imports, exports) and the incremental rollup loop "
        "(rollups, then engagement scores and ladder placements), and mail: launching, "
        "sending and folding in opens, clicks and attributed actions; outbound webhooks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rollup-interval", type=float, default=5.0)

    def handle(self, *args: Any, **options: Any) -> None:
        from ladder.activity.rollups import rollups_update
        from ladder.ladders.placement import ladders_update

        interval = options["rollup_interval"]

        def rollup_loop() -> None:
            while True:
                try:
                    rollups_update()
                    # Scores and ladder placements follow the rollups (never ahead of them).
                    ladders_update()
                except Exception as exc:  # keep the loop alive; the next pass retries
                    self.stderr.write(f"rollups: {exc}")
                finally:
                    close_old_connections()
                time.sleep(interval)

        threading.Thread(target=rollup_loop, name="rollups", daemon=True).start()

        def asks_loop() -> None:
            from ladder.actions.events import events_sweep
            from ladder.ladders.asks import asks_sweep

            while True:
                try:
                    asks_sweep()  # close asks past their deadline, top up open asks' waves
                    events_sweep()  # event reminders and follow-ups
                except Exception as exc:
                    self.stderr.write(f"sweep: {exc}")
                finally:
                    close_old_connections()
                time.sleep(60)

        threading.Thread(target=asks_loop, name="asks", daemon=True).start()

        def mail_loop() -> None:
            from ladder.mailings.fold import mail_fold
            from ladder.mailings.sending import mailings_tick, send_available

            while True:
                try:
                    mailings_tick()  # launch due mailings, decide tests, recover dead batches
                    sent = send_available()
                    mail_fold()  # opens, clicks and attributed actions into the ledger
                except Exception as exc:
                    self.stderr.write(f"mail: {exc}")
                    sent = None
                finally:
                    close_old_connections()
                if not (sent and sent.batches):
                    time.sleep(1.0)

        threading.Thread(target=mail_loop, name="mail", daemon=True).start()

        def webhooks_loop() -> None:
            from ladder.api.webhooks.delivery import webhooks_tick

            while True:
                try:
                    # New activities and changed people into deliveries, then one batch of
                    # signed posts (due retries included).
                    _, posted = webhooks_tick()
                except Exception as exc:
                    self.stderr.write(f"webhooks: {exc}")
                    posted = 0
                finally:
                    close_old_connections()
                if not posted:
                    time.sleep(1.0)

        threading.Thread(target=webhooks_loop, name="webhooks", daemon=True).start()
        call_command("db_worker", "--interval", "0.5")
