"""Digests over real SMTP: a leader and a point person each get one email listing their people
who acted — nobody else's — a second run the same day sends nothing, nobody acting sends
nothing, and "never" is honoured."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.rollups import rollups_update
from ladder.activity.services import activity_record
from ladder.core.mailsink import MailSink, captured_messages
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.insights.digests import digest_set, digests_send
from ladder.people.models import Person
from ladder.people.services import person_create
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def _fold() -> None:
    while rollups_update(now=timezone.now() + dt.timedelta(minutes=5)):
        pass


def test_one_digest_each_with_their_people_only(leader_a, person_in_a, person_in_b, tmp_path):
    leader_a.email = "lena@example.org"
    leader_a.save()
    caller = make_user("cal", Role.VOLUNTEER)
    caller.email = "cal@example.org"
    caller.save()
    assigned = person_create(actor=None, first_name="Ada", last_name="Assigned", email="ad@ex.org")
    Person.objects.filter(pk=assigned.pk).update(point_person=caller)
    for person in (person_in_a, person_in_b, assigned):
        activity_record(person=person, type=T.PETITION_SIGNATURE)
    _fold()
    with MailSink(port=0, directory=tmp_path) as sink:
        smtp = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                            "OPTIONS": {"host": "127.0.0.1", "port": sink.port}}}  # fmt: skip
        with override_settings(MAILERS=smtp):
            first = digests_send()
            again = digests_send()
    mails = {m.recipients[0]: m.path.read_text() for m in captured_messages(directory=tmp_path)}
    assert first.messages == 2 and again.messages == 0
    assert set(mails) == {"lena@example.org", "cal@example.org"}
    assert "Alma Avery" in mails["lena@example.org"] and "Bert" not in mails["lena@example.org"]
    assert "Ada Assigned" in mails["cal@example.org"] and "Alma" not in mails["cal@example.org"]
    assert (
        "signed petition" in mails["cal@example.org"]
        and "/insights/today/" in mails["cal@example.org"]
    )


def test_never_means_never_and_quiet_days_send_nothing(leader_a, person_in_a, tmp_path):
    leader_a.email = "lena@example.org"
    leader_a.save()
    with MailSink(port=0, directory=tmp_path) as sink:
        smtp = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                            "OPTIONS": {"host": "127.0.0.1", "port": sink.port}}}  # fmt: skip
        with override_settings(MAILERS=smtp):
            assert digests_send().messages == 0  # nobody acted
            activity_record(person=person_in_a, type=T.PETITION_SIGNATURE)
            _fold()
            digest_set(user=leader_a, frequency="never")
            later = timezone.now() + dt.timedelta(days=1)
            assert digests_send(now=later).messages == 0
    assert captured_messages(directory=tmp_path) == []
    client = logged_in(leader_a)
    assert client.post("/insights/today/", {"frequency": "weekly"}).status_code == 302
    assert client.post("/insights/today/", {"frequency": "hourly"}).status_code == 302
    leader_a.digest.refresh_from_db()
    assert leader_a.digest.frequency == "weekly"
