"""The demo's year of email as mailings the staff screens can open: the history generator
(`ladder.demo.history.mail`) writes sends, opens, clicks, bounces and unsubscribes to the
activity log, keyed by a mailing number; this builds the Mailing, its variants and one ledger
row per send from those activities, so the list, the reports (the finished A/B test among
them) and each profile's Messages card show the same story as the timelines. It also leaves
one draft — the school-funding mailing of scenario 3 — ready to compose and send.

A bulk path, like the loader: rows are built in memory and written with bulk_create.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.core.models import Role, User
from ladder.mailings.models import Delivery, Mailing, MailTemplate, SenderIdentity, Topic, Variant
from ladder.people.models import EmailAddress
from ladder.segments.models import Segment

T = ActivityType
BODY = (
    "Hi {{ first_name | friend }},\n\n{% if tag: school funding %}\nOur schools are short "
    "again, and the legislature votes Tuesday.\n{% else %}\nThe legislature votes Tuesday on "
    "things that matter to all of us.\n{% endif %}\n\n[Add your name](/act/petition-1) and "
    "tell {{ city | your town }}'s representative.\n\nThank you,\nPrairie Forward"
)


@dataclass
class _Seen:
    subjects: dict[str, str] = field(default_factory=dict)  # variant label → subject
    sends: dict[int, tuple[dt.datetime, str]] = field(default_factory=dict)  # person → (when, v)
    opened: dict[int, dt.datetime] = field(default_factory=dict)
    clicked: dict[int, dt.datetime] = field(default_factory=dict)
    unsubscribed: dict[int, dt.datetime] = field(default_factory=dict)
    bounced: dict[int, dt.datetime] = field(default_factory=dict)
    url: str = ""


def _history() -> dict[int, _Seen]:
    seen: dict[int, _Seen] = defaultdict(_Seen)
    kinds = (T.EMAIL_SENT, T.EMAIL_OPENED, T.EMAIL_CLICKED, T.EMAIL_UNSUBSCRIBED, T.EMAIL_BOUNCED)
    rows = Activity.objects.filter(type__in=kinds, object_type="mailing").values_list(
        "object_id", "person_id", "type", "occurred_at", "payload"
    )
    for mailing, person, kind, when, payload in rows.iterator(chunk_size=5000):
        if mailing is None or person is None:
            continue
        item = seen[int(mailing)]
        payload = payload or {}
        if kind == T.EMAIL_SENT:
            label = {"B": "B"}.get(payload.get("variant", ""), "A")
            item.subjects.setdefault(label, payload.get("subject", ""))
            item.sends[person] = (when, payload.get("variant", ""))
        elif kind == T.EMAIL_OPENED:
            item.opened.setdefault(person, when)
        elif kind == T.EMAIL_CLICKED:
            item.clicked.setdefault(person, when)
            item.url = item.url or payload.get("url", "")
        elif kind == T.EMAIL_UNSUBSCRIBED:
            item.unsubscribed.setdefault(person, when)
        else:
            item.bounced.setdefault(person, when)
    return seen


def _addresses(people: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    rows = EmailAddress.objects.filter(person_id__in=people).order_by("person_id", "is_primary")
    for person, address in rows.values_list("person_id", "address"):
        out[person] = address  # the primary comes last and wins
    return out


@transaction.atomic
def demo_mailings() -> int:
    """Write the history's mailings to the ledger and a draft; returns the deliveries written."""
    author = User.objects.filter(role__in=[Role.ADMIN, Role.STAFF]).order_by("pk").first()
    if author is None:
        return 0
    sender, _ = SenderIdentity.objects.get_or_create(
        from_email="news@prairieforward.example",
        defaults={"from_name": "Prairie Forward", "reply_to": "team@prairieforward.example",
                  "is_default": True},
    )  # fmt: skip
    MailTemplate.objects.get_or_create(
        name="Petition ask", defaults={"subject": "Add your name, {{ first_name | friend }}",
                                       "body": BODY},
    )  # fmt: skip
    history = _history()
    addresses = _addresses({p for item in history.values() for p in item.sends})
    written = 0
    for number in sorted(history):
        written += _mailing(number, history[number], author, sender, addresses)
    _sequence_reset()  # the history's mailings kept their numbers; new ones follow them
    school = Segment.objects.filter(name__icontains="school").order_by("pk").first()
    draft = Mailing.objects.create(
        name="School funding: the vote is Tuesday",
        topic=Topic.ACTIONS,
        created_by=author,
        subjects=["Will you stand up for Iowa kids, {{ first_name | friend }}?",
                  "Our schools can't wait", "Tuesday's vote, in one minute"],
        bodies=[BODY, BODY.replace("Add your name", "Sign the petition")],
        metric=Mailing.Metric.ACTIONS,
        test_share=20,
        test_hours=4,
    )  # fmt: skip
    draft.senders.set([sender])
    if school is not None:
        draft.include_segments.set([school])
    return written


def _mailing(
    number: int, item: _Seen, author: User, sender: SenderIdentity, addresses: dict[int, str]
) -> int:
    if not item.sends:
        return 0
    times = [when for when, _ in item.sends.values()]
    first, last = min(times), max(times)
    tested = "B" in item.subjects
    subjects = [item.subjects.get("A", ""), *([item.subjects["B"]] if tested else [])]
    body = "Hi {{ first_name | friend }},\n\n[Read more and act](%s)\n" % (item.url or "/")
    mailing = Mailing.objects.create(
        pk=number,
        name=subjects[0] or f"Mailing {number}",
        topic=_topic(subjects[0]),
        created_by=author,
        status=Mailing.Status.SENT,
        subjects=subjects,
        bodies=[body],
        test_share=20 if tested else 100,
        audience_count=len(item.sends),
        started_at=first,
        test_started_at=first if tested else None,
        finished_at=last,
    )
    mailing.senders.set([sender])
    variants = {
        label: Variant.objects.create(mailing=mailing, label=label, subject=subject, body=body,
                                      sender=sender, links=[item.url or "/"])
        for label, subject in zip("AB", subjects, strict=False)
    }  # fmt: skip
    winner = variants["A"]
    if tested:
        mailing.winner, mailing.decided_at = winner, first + dt.timedelta(hours=4)
        mailing.decision_note = "Test time (4 h) is up; A led on clicks."
        mailing.save(update_fields=["winner", "decided_at", "decision_note"])
    rows = []
    for person, (when, label) in item.sends.items():
        clicked = item.clicked.get(person)
        rows.append(
            Delivery(
                mailing=mailing,
                person_id=person,
                email=addresses.get(person, ""),
                variant=variants.get(label, winner),
                in_test=label in ("A", "B"),
                state=Delivery.State.SENT,
                sent_at=when,
                opened_at=item.opened.get(person),
                opens=1 if person in item.opened else 0,
                clicked_at=clicked,
                clicks=1 if clicked else 0,
                unsubscribed_at=item.unsubscribed.get(person),
                bounced_at=item.bounced.get(person),
                bounce_kind="soft" if person in item.bounced else "",
            )
        )
    Delivery.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _sequence_reset() -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), [Mailing])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _topic(subject: str) -> Any:
    lowered = subject.lower()
    if "$" in subject or "gift" in lowered or "chip in" in lowered:
        return Topic.FUNDRAISING
    if "invited" in lowered:
        return Topic.EVENTS
    if "add your name" in lowered or "schools" in lowered or "kids" in lowered:
        return Topic.ACTIONS
    return Topic.NEWS
