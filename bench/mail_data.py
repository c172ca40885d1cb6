"""People who can be mailed, in bulk, and a personalised mailing to all of them — the set-up
the mail fault test and the mail benchmark share. Rows are written with bulk inserts (the
services would take minutes at a million); what they write is what the services would: an
active, subscribed primary address per person."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def django_setup(db_url: str, data_dir: Path, **extra_env: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["LADDER_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ladder.settings")
    os.environ.update(extra_env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


TAGS = ("school funding", "rent", "transit", "water quality")
BODY = """Hi {{ first_name | friend }},

{% if tag: school funding %}
Our schools are short of money again, and the legislature votes next week.
{% else %}
The legislature votes next week on things that matter to all of us.
{% endif %}

[Sign the petition](/act/schools) and tell {{ city | your town }}'s representative.

Thank you,
Prairie Forward
"""


def people_create(count: int, *, chunk: int = 20_000) -> None:
    from ladder.people.models import Address, EmailAddress, Person, Tag, Tagging

    tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
    start = Person.objects.count()
    now = dt.datetime.now(dt.UTC)
    for low in range(start, start + count, chunk):
        high = min(low + chunk, start + count)
        people = Person.objects.bulk_create(
            Person(first_name=f"First{n}", last_name=f"Last{n}", sort_name=f"last{n} first{n}",
                   created_at=now, updated_at=now)
            for n in range(low, high)
        )  # fmt: skip
        EmailAddress.objects.bulk_create(
            EmailAddress(person=p, address=f"person{low + i}@example.org", is_primary=True,
                         subscription="subscribed", created_at=now)
            for i, p in enumerate(people)
        )  # fmt: skip
        Address.objects.bulk_create(
            Address(person=p, locality=("Ames", "Des Moines", "")[i % 3], region="IA",
                    is_primary=True)
            for i, p in enumerate(people)
        )  # fmt: skip
        Tagging.objects.bulk_create(
            Tagging(person=p, tag=tags[i % len(tags)], created_at=now) for i, p in enumerate(people)
        )


def admin() -> Any:
    from ladder.core.models import Role, User
    from ladder.core.services import user_create

    found = User.objects.filter(username="bench").first()
    return found or user_create(username="bench", role=Role.ADMIN, password="x", validate=False)


def mailing_start(name: str, *, subjects: list[str] | None = None) -> Any:
    """A mailing to everyone who can be mailed, launched (ledger written) and ready to send."""
    from ladder.mailings.models import SenderIdentity
    from ladder.mailings.services import mailing_create, mailing_launch, mailing_schedule
    from ladder.segments.models import Segment

    user = admin()
    segment, _ = Segment.objects.get_or_create(
        name="Everyone reachable by email",
        defaults={"definition": {"match": {"kind": "reachable", "channel": "email"}}},
    )
    sender, _ = SenderIdentity.objects.get_or_create(
        from_email="news@prairie.example", defaults={"from_name": "Prairie Forward"}
    )
    mailing = mailing_create(
        actor=user, name=name, subjects=subjects or ["{{ first_name | Friend }}, one minute?"],
        bodies=[BODY], senders=[sender], include_segments=[segment],
    )  # fmt: skip
    mailing_schedule(actor=user, mailing=mailing, when=None)
    mailing_launch(mailing)
    mailing.refresh_from_db()
    return mailing


def sender_process(env: dict[str, str], idle_exit: float = 1.0) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "ladder.cli", "mail", "send", "--idle-exit", str(idle_exit)]
    return subprocess.Popen(
        command,
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()
