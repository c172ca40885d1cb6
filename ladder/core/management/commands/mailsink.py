from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ladder.core.mailsink import MailSink, mail_dir


class Command(BaseCommand):
    help = "Run the local SMTP sink: accept all mail on --host/--port and keep it under var/mail."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=1025)
        parser.add_argument(
            "--no-store", action="store_true", help="count messages without writing them"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sink = MailSink(options["host"], options["port"], store=not options["no_store"])
        try:
            sink.start()
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {exc.strerror or exc}"
            ) from None
        where = "counting only" if options["no_store"] else f"saving to {mail_dir()}"
        self.stdout.write(f"Mail sink on smtp://{sink.host}:{sink.port} ({where}); Ctrl-C stops.")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            sink.stop()
            self.stdout.write(f"Mail sink stopped after {sink.count} messages.")
