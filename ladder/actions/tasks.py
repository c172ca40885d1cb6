"""Background work for actions (thin: look the rows up, call the service)."""

from __future__ import annotations

from django.tasks import task

from ladder.actions.mail import autoresponse_send, rsvp_mail_send
from ladder.actions.models import ActionPage, Rsvp
from ladder.people.models import Person


@task()
def autoresponse_task(page_id: int, person_id: int) -> None:
    page = ActionPage.objects.filter(pk=page_id).first()
    person = Person.objects.filter(pk=person_id).first()
    if page is not None and person is not None:
        autoresponse_send(page, person)


@task()
def rsvp_mail_task(kind: str, rsvp_id: int) -> None:
    rsvp = Rsvp.objects.select_related("person", "shift__event__page").filter(pk=rsvp_id).first()
    if rsvp is not None:
        rsvp_mail_send(kind, rsvp)
