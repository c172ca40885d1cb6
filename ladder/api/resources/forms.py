"""``/forms`` and their ``submissions``, and ``/people/{id}/submissions``.

A form is a Ladder signup-form page; a submission is one person's answers on it (at most one
per person and form: submitting again answers 200 with the first). Answers to the form's
questions arrive as the person's ``custom_fields`` when the person is posted inline."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router

from ladder.actions.models import ActionPage, Submission
from ladder.api import hal
from ladder.api.action_writes import page_change, page_make, submission_take
from ladder.api.auth import writable
from ladder.api.resources.action_pages import (
    SUBMISSION_FILTERS,
    autoresponse_of,
    body_of,
    one_record,
    page_json,
    page_of,
    page_path,
    pages_of,
    pages_page,
    person_routes,
    record_person,
    records_page,
    status_of,
    submission_json,
    title_of,
    visible_pages,
)
from ladder.api.schemas import READ_ERRORS, WRITE_ERRORS, Collection
from ladder.api.schemas_actions import FormIn, FormOut, SubmissionIn, SubmissionOut

router = Router(tags=["forms"])


def form_json(request: HttpRequest, page: ActionPage) -> dict[str, Any]:
    data = page_json(request, "form", page)
    path = page_path("form", page.pk)
    data["total_submissions"] = page.actions_count
    data["_links"].update(
        {
            "osdi:submissions": hal.href(request, f"{path}/submissions"),
            "osdi:record_submission_helper": hal.href(request, f"{path}/submissions"),
        }
    )
    return data


def _response(request: HttpRequest, pk: int, status: int = 200) -> HttpResponse:
    return hal.resource(form_json(request, pages_of(request, "form").get(pk=pk)), status)


@router.get(
    "/forms",
    response={200: Collection, **READ_ERRORS},
    summary="List forms",
    description="Filter on created_date, modified_date and title.",
)
def forms_list(request: HttpRequest, filter: str | None = None) -> HttpResponse:
    return pages_page(request, "form", pages_of(request, "form"), lambda p: form_json(request, p))


@router.post(
    "/forms",
    response={201: FormOut, **WRITE_ERRORS},
    summary="Create a form",
    description="title is needed. Published unless status is draft.",
)
def form_create(request: HttpRequest, payload: FormIn | None = None) -> HttpResponse:
    token = writable(request)
    payload = body_of(request, payload, FormIn)
    page = page_make(
        actor=token.user, kind=ActionPage.Kind.FORM,
        title=title_of(payload.title, required=True) or "", status=status_of(payload.status),
        body=payload.description or "",
    )  # fmt: skip
    return _response(request, page.pk, status=201)


@router.get("/forms/{form_id}", response={200: FormOut, **READ_ERRORS}, summary="One form")
def form_get(request: HttpRequest, form_id: str) -> HttpResponse:
    return hal.resource(form_json(request, page_of(request, "form", form_id)))


@router.put(
    "/forms/{form_id}",
    response={200: FormOut, **WRITE_ERRORS},
    summary="Update a form",
    description="Fields given replace what is there.",
)
def form_put(request: HttpRequest, form_id: str, payload: FormIn) -> HttpResponse:
    token = writable(request)
    page = page_of(request, "form", form_id)
    fields: dict[str, Any] = {}
    title = title_of(payload.title, required=False)
    if title is not None:
        fields["title"] = title
    if payload.description is not None:
        fields["body"] = payload.description
    page_change(actor=token.user, page=page, status=status_of(payload.status), **fields)
    return _response(request, page.pk)


# ---- Submissions ----------------------------------------------------------------------------


def submission_out(request: HttpRequest, submission: Submission) -> dict[str, Any]:
    return submission_json(request, "form", "submission", submission)


def submissions_page(request: HttpRequest, rows: QuerySet[Submission], path: str) -> HttpResponse:
    return records_page(
        request, rows, plural="submissions", path=path,
        render=lambda s: submission_out(request, s), fields=SUBMISSION_FILTERS,
    )  # fmt: skip


@router.get(
    "/forms/{form_id}/submissions",
    response={200: Collection, **READ_ERRORS},
    summary="A form's submissions",
    description="Filter on created_date and modified_date.",
)
def submissions_list(request: HttpRequest, form_id: str, filter: str | None = None) -> HttpResponse:
    page = page_of(request, "form", form_id)
    return submissions_page(
        request, Submission.objects.filter(page=page), f"{page_path('form', page.pk)}/submissions"
    )


@router.post(
    "/forms/{form_id}/submissions",
    response={200: SubmissionOut, 201: SubmissionOut, **WRITE_ERRORS},
    summary="Submit a form (record submission helper)",
    description="The person by _links.osdi:person, or inline in person (matched as the "
    "person signup helper does). One submission per person: a repeat answers 200 with the "
    "first.",
)
def submission_create(
    request: HttpRequest, form_id: str, payload: SubmissionIn | None = None
) -> HttpResponse:
    token = writable(request)
    payload = body_of(request, payload, SubmissionIn)
    page = page_of(request, "form", form_id)
    with transaction.atomic():
        person, _ = record_person(request, token, payload)
        submission, new = submission_take(
            page=page, person=person, autoresponse=autoresponse_of(payload)
        )
    return hal.resource(submission_out(request, submission), status=201 if new else 200)


@router.get(
    "/forms/{form_id}/submissions/{submission_id}",
    response={200: SubmissionOut, **READ_ERRORS},
    summary="One submission",
)
def submission_get(request: HttpRequest, form_id: str, submission_id: str) -> HttpResponse:
    page = page_of(request, "form", form_id)
    return one_record(
        request, Submission.objects.filter(page=page), "submission", submission_id,
        lambda s: submission_out(request, s),
    )  # fmt: skip


def _persons(request: HttpRequest, pk: int) -> QuerySet[Submission]:
    return Submission.objects.filter(
        page__kind=ActionPage.Kind.FORM, person_id=pk, page__in=visible_pages(request)
    )


person_routes(
    router, kind="submission", out=SubmissionOut, rows=_persons, page=submissions_page,
    render=submission_out,
)  # fmt: skip
