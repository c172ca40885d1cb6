from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the web server (granian, WSGI) on --host/--port."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("LADDER_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("LADDER_PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("LADDER_WEB_WORKERS", "1"))
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Ladder on http://{options['host']}:{options['port']}/")
        command = [
            sys.executable, "-m", "granian", "--interface", "wsgi",
            "--host", options["host"], "--port", str(options["port"]),
            "--workers", str(options["workers"]), "--blocking-threads", "4",
            "ladder.wsgi:application",
        ]  # fmt: skip
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ladder.settings"}
        self.stdout.flush()
        # Become granian rather than wait on it, so that a signal sent to `ladder web` (SIGINT or
        # SIGTERM from `ladder demo` or a supervisor) reaches the server itself and stops it.
        os.execve(sys.executable, command, env)
