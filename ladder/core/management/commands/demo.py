"""`ladder demo`: what `make demo` runs.

Migrates, loads the Prairie Forward demo once, makes sure there is an admin login and prints it,
then runs the local mail sink (in this process), a worker and the web server (as child
processes) until Ctrl-C, which stops all of them.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from ladder.core.mailsink import MailSink, mail_dir
from ladder.core.models import Role, User
from ladder.core.services import user_create

ADMIN = "admin"


def login_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-login.txt"


def _read_password() -> str | None:
    try:
        lines = login_file().read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() == "password" and value.strip():
            return value.strip()
    return None


def _write_password(password: str) -> None:
    path = login_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created 0600 (and tightened if it existed): it holds an admin password in clear text.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"username={ADMIN}\npassword={password}\n")
    os.chmod(path, 0o600)


class _Progress:
    """A tqdm bar per loading phase when stderr is a terminal; one line per phase otherwise."""

    def __init__(self, command: BaseCommand) -> None:
        self.command = command
        self.phase = ""
        self.bar: Any = None
        self.tty = sys.stderr.isatty()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            self.close()
            self.phase = phase
            if self.tty:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc=f"  {phase}", unit=" rows", leave=False)
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
        elif done >= total:
            self.command.stdout.write(f"  {phase}: {total:,}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.command.stdout.write(f"  {self.phase}: {self.bar.total:,}")
            self.bar = None


class Command(BaseCommand):
    help = "Run the demo: migrate, load Prairie Forward once, print a login, serve web + worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("LADDER_PORT", "8000")))
        parser.add_argument("--people", type=int, default=5000, help="distinct people to load")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--duplicates",
            type=float,
            default=0.02,
            help="share of people given a planted duplicate record",
        )
        parser.add_argument(
            "--ground-truth",
            type=Path,
            default=None,
            help="write the planted duplicate pairs to this JSON file",
        )
        parser.add_argument("--smtp-port", type=int, default=1025)
        parser.add_argument(
            "--no-serve", action="store_true", help="load and print the login, then exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["people"] < 1:
            raise CommandError("--people must be at least 1.")
        if not 0 <= options["duplicates"] <= 1:
            raise CommandError("--duplicates is a share between 0 and 1, e.g. 0.02.")
        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)
        password = self._admin()
        self._load(options, password)
        self._banner(options, password)
        if not options["no_serve"]:
            self._serve(options)

    def _admin(self) -> str | None:
        """The admin's password: created the first time, read back from the login file later."""
        if User.objects.filter(username__iexact=ADMIN).exists():
            return _read_password()
        password = secrets.token_urlsafe(12)
        user_create(
            username=ADMIN, role=Role.ADMIN, password=password, email="admin@prairieforward.example"
        )
        _write_password(password)
        return password

    def _load(self, options: dict[str, Any], password: str | None) -> None:
        from ladder.demo import demo_exists, generate_demo

        if demo_exists():
            self.stdout.write("Demo data is already loaded; not loading it again.")
            return
        self.stdout.write(f"Loading the demo organization ({options['people']:,} people)…")
        progress = _Progress(self)
        try:
            summary = generate_demo(
                seed=options["seed"],
                people=options["people"],
                duplicates=options["duplicates"],
                progress=progress,
                password=password,
                ground_truth=options["ground_truth"],
            )
        except IntegrityError as exc:
            # Nothing was written (one transaction); most likely a login name is taken.
            raise CommandError(
                "The demo could not be loaded into this database, which already holds some of "
                "its rows (chapter leaders are lead-<chapter>, volunteers vol-<chapter>-N); "
                f"load it into an empty database. ({exc})"
            ) from None
        finally:
            progress.close()
        s = summary.seconds
        self.stdout.write(
            f"Loaded {summary.records:,} people ({summary.duplicates:,} planted duplicates) and "
            f"{summary.activities:,} activities in {s['total']:.1f} s (plan {s['plan']:.1f} s, "
            f"database and the year replayed {s['load']:.1f} s, rollups {s['rollups']:.1f} s, "
            f"ladders, segments and asks {s['ladders']:.1f} s): "
            f"{summary.people_per_second:,.0f} people/s, "
            f"{summary.activities_per_second:,.0f} activities/s."
        )
        if summary.ground_truth:
            self.stdout.write(f"Planted duplicate pairs: {summary.ground_truth}")
        # The review queue and the listening themes fill in the background once the worker
        # starts (the Duplicates and Listening pages show how far they are).
        from ladder.identity.finding import find_run_start
        from ladder.insights.listening import listening_run_start

        find_run_start(actor=None)
        listening_run_start(actor=None)

    def _banner(self, options: dict[str, Any], password: str | None) -> None:
        leaders = list(
            User.objects.filter(role=Role.LEADER, username__startswith="lead-")
            .order_by("username")
            .values_list("username", flat=True)
        )
        shown = password or "(set earlier; change it with `ladder changepassword admin`)"
        rule = "─" * 72
        lines = [
            rule,
            "  Ladder demo — Prairie Forward",
            f"  Open       http://{options['host']}:{options['port']}/",
            f"  Username   {ADMIN}",
            f"  Password   {shown}",
        ]
        if leaders:
            lines.append(f"  Chapter leaders, same password: {', '.join(leaders)}")
        token = self._api_token()
        if token:
            lines.append(f"  API        http://{options['host']}:{options['port']}/api/v2/docs")
            lines.append(f"  API token  {token}  (header OSDI-API-Token)")
        if not options["no_serve"]:
            lines.append(f"  Mail sink  smtp://127.0.0.1:{options['smtp_port']} → {mail_dir()}")
        lines.append(f"  (login kept in {login_file()})")
        lines.append(rule)
        self.stdout.write("\n".join(lines))

    def _api_token(self) -> str:
        """A fresh API token for the admin at every start (the last one is revoked): only a
        digest is kept, so the one printed before cannot be printed again."""
        from django.utils import timezone

        from ladder.api.models import ApiToken
        from ladder.api.tokens import forget_tokens, token_create

        admin = User.objects.filter(username=ADMIN).first()
        if admin is None:
            return ""
        ApiToken.objects.filter(user=admin, name="demo", revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        forget_tokens()
        return token_create(actor=admin, user=admin, name="demo")[1]

    def _serve(self, options: dict[str, Any]) -> None:
        sink: MailSink | None
        try:
            sink = MailSink("127.0.0.1", options["smtp_port"]).start()
        except OSError as exc:
            self.stderr.write(f"Mail sink not started ({exc}); is another one running?")
            sink = None
        ladder = [sys.executable, "-m", "ladder.cli"]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ladder.settings"}
        children: dict[str, subprocess.Popen[bytes]] = {}
        # Ctrl-C and SIGTERM (from a supervisor) both stop everything, even when this process
        # was started with SIGINT ignored (as background jobs of a non-interactive shell are).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)
        # The children get sessions of their own, so that Ctrl-C in the terminal reaches only
        # this process, which then stops each child with one signal to its own pid. (Signalled
        # directly, granian's worker processes do not shut down; signalled through their
        # parent, they do.)
        try:
            children["worker"] = subprocess.Popen(
                [*ladder, "worker"], env=env, start_new_session=True
            )
            children["web"] = subprocess.Popen(
                [*ladder, "web", "--host", options["host"], "--port", str(options["port"])],
                env=env,
                start_new_session=True,
            )
            self.stdout.write("Running; Ctrl-C stops the web server, the worker and the mail sink.")
            while True:
                for name, child in children.items():
                    if child.poll() is not None:
                        raise CommandError(f"The {name} stopped (exit code {child.returncode}).")
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            _stop(children.values())
            if sink is not None:
                sink.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop(children: Any) -> None:
    """Ask each child to stop, then insist after ten seconds."""
    running = [c for c in children if c.poll() is None]
    for child in running:
        child.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 10
    for child in running:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
