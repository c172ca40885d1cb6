"""Background work for actions (thin: look the row up, call the service)."""

from __future__ import annotations

from django.tasks import task

from ladder.actions.mail import autoresponse_send
from ladder.actions.models import Submission


@task()
def autoresponse_task(submission_id: int) -> None:
    submission = Submission.objects.select_related("page", "person").filter(pk=submission_id)
    found = submission.first()
    if found is not None:
        autoresponse_send(found)
