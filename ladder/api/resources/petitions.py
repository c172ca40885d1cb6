"""``/petitions`` and their ``signatures``, and ``/people/{id}/signatures``.

A petition is a Ladder petition page; a signature is one person's submission on it (at most
one per person and petition: signing again answers 200 with the first signature). Ladder keeps
one rich text per page, so ``petition_text`` is kept at its end, after a rule, as a quote
(that is how the public page shows it), and read back from there; ``target`` names are kept
joined by "; "."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router

from ladder.actions.models import ActionPage, Submission
from ladder.actions.safety import sanitise_html
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
from ladder.api.schemas_actions import PetitionIn, PetitionOut, SignatureIn, SignatureOut, TargetIn

router = Router(tags=["petitions"])

TEXT_MARK = "<hr><blockquote>"
TARGET_JOIN = "; "


def split_body(body: str) -> tuple[str, str]:
    """(description, petition_text) of a petition page's body."""
    head, mark, tail = body.rpartition(TEXT_MARK)
    if mark and tail.endswith("</blockquote>"):
        return head, tail[: -len("</blockquote>")]
    return body, ""


def join_body(description: str, petition_text: str) -> str:
    text = sanitise_html(petition_text).strip()
    return f"{description}{TEXT_MARK}{text}</blockquote>" if text else description


def targets_of(given: str | list[TargetIn] | TargetIn | None) -> str | None:
    if given is None:
        return None
    if isinstance(given, str):
        names = [given]
    elif isinstance(given, TargetIn):
        names = [given.name]
    else:
        names = [t.name for t in given]
    text = TARGET_JOIN.join(" ".join(n.split()) for n in names if n and n.strip())
    if len(text) > 300:
        raise hal.ApiError(400, "target: the names come to more than 300 characters.")
    return text


def petition_json(request: HttpRequest, page: ActionPage) -> dict[str, Any]:
    data = page_json(request, "petition", page)
    description, text = split_body(page.body)
    path = page_path("petition", page.pk)
    data.update(
        {
            "description": description,
            "petition_text": text,
            "target": [{"name": n} for n in page.target.split(TARGET_JOIN) if n.strip()],
            "total_signatures": page.actions_count,
        }
    )
    if page.goal:
        data["action_network:signature_goal"] = page.goal
    data["_links"].update(
        {
            "osdi:signatures": hal.href(request, f"{path}/signatures"),
            "osdi:record_signature_helper": hal.href(request, f"{path}/signatures"),
        }
    )
    return data


def _response(request: HttpRequest, pk: int, status: int = 200) -> HttpResponse:
    return hal.resource(petition_json(request, pages_of(request, "petition").get(pk=pk)), status)


@router.get(
    "/petitions",
    response={200: Collection, **READ_ERRORS},
    summary="List petitions",
    description="Filter on created_date, modified_date and title.",
)
def petitions_list(request: HttpRequest, filter: str | None = None) -> HttpResponse:
    return pages_page(
        request, "petition", pages_of(request, "petition"), lambda p: petition_json(request, p)
    )


@router.post(
    "/petitions",
    response={201: PetitionOut, **WRITE_ERRORS},
    summary="Create a petition",
    description="title is needed; target as a name or [{name}]. Published unless status is draft.",
)
def petition_create(request: HttpRequest, payload: PetitionIn | None = None) -> HttpResponse:
    token = writable(request)
    payload = body_of(request, payload, PetitionIn)
    page = page_make(
        actor=token.user, kind=ActionPage.Kind.PETITION,
        title=title_of(payload.title, required=True) or "", status=status_of(payload.status),
        body=join_body(payload.description or "", payload.petition_text or ""),
        target=targets_of(payload.target) or "",
    )  # fmt: skip
    return _response(request, page.pk, status=201)


@router.get(
    "/petitions/{petition_id}", response={200: PetitionOut, **READ_ERRORS}, summary="One petition"
)
def petition_get(request: HttpRequest, petition_id: str) -> HttpResponse:
    return hal.resource(petition_json(request, page_of(request, "petition", petition_id)))


@router.put(
    "/petitions/{petition_id}",
    response={200: PetitionOut, **WRITE_ERRORS},
    summary="Update a petition",
    description="Fields given replace what is there.",
)
def petition_put(request: HttpRequest, petition_id: str, payload: PetitionIn) -> HttpResponse:
    token = writable(request)
    page = page_of(request, "petition", petition_id)
    fields: dict[str, Any] = {}
    title = title_of(payload.title, required=False)
    if title is not None:
        fields["title"] = title
    if payload.description is not None or payload.petition_text is not None:
        description, text = split_body(page.body)
        fields["body"] = join_body(
            description if payload.description is None else payload.description,
            text if payload.petition_text is None else payload.petition_text,
        )
    target = targets_of(payload.target)
    if target is not None:
        fields["target"] = target
    page_change(actor=token.user, page=page, status=status_of(payload.status), **fields)
    return _response(request, page.pk)


# ---- Signatures -----------------------------------------------------------------------------


def signature_json(request: HttpRequest, submission: Submission) -> dict[str, Any]:
    return submission_json(request, "petition", "signature", submission)


def signatures_page(request: HttpRequest, rows: QuerySet[Submission], path: str) -> HttpResponse:
    return records_page(
        request, rows, plural="signatures", path=path,
        render=lambda s: signature_json(request, s), fields=SUBMISSION_FILTERS,
    )  # fmt: skip


def petition_signatures() -> QuerySet[Submission]:
    return Submission.objects.filter(page__kind=ActionPage.Kind.PETITION)


@router.get(
    "/petitions/{petition_id}/signatures",
    response={200: Collection, **READ_ERRORS},
    summary="A petition's signatures",
    description="Filter on created_date and modified_date.",
)
def signatures_list(
    request: HttpRequest, petition_id: str, filter: str | None = None
) -> HttpResponse:
    page = page_of(request, "petition", petition_id)
    return signatures_page(
        request, Submission.objects.filter(page=page),
        f"{page_path('petition', page.pk)}/signatures",
    )  # fmt: skip


@router.post(
    "/petitions/{petition_id}/signatures",
    response={200: SignatureOut, 201: SignatureOut, **WRITE_ERRORS},
    summary="Sign a petition (record signature helper)",
    description="The person by _links.osdi:person, or inline in person (matched as the "
    "person signup helper does). One signature per person: a repeat answers 200 with the "
    "first.",
)
def signature_create(
    request: HttpRequest, petition_id: str, payload: SignatureIn | None = None
) -> HttpResponse:
    token = writable(request)
    payload = body_of(request, payload, SignatureIn)
    page = page_of(request, "petition", petition_id)
    with transaction.atomic():
        person, _ = record_person(request, token, payload)
        submission, new = submission_take(
            page=page, person=person, comments=payload.comments or "",
            autoresponse=autoresponse_of(payload),
        )  # fmt: skip
    return hal.resource(signature_json(request, submission), status=201 if new else 200)


@router.get(
    "/petitions/{petition_id}/signatures/{signature_id}",
    response={200: SignatureOut, **READ_ERRORS},
    summary="One signature",
)
def signature_get(request: HttpRequest, petition_id: str, signature_id: str) -> HttpResponse:
    page = page_of(request, "petition", petition_id)
    return one_record(
        request, Submission.objects.filter(page=page), "signature", signature_id,
        lambda s: signature_json(request, s),
    )  # fmt: skip


def _persons(request: HttpRequest, pk: int) -> QuerySet[Submission]:
    return petition_signatures().filter(person_id=pk, page__in=visible_pages(request))


person_routes(
    router, kind="signature", out=SignatureOut, rows=_persons, page=signatures_page,
    render=signature_json,
)  # fmt: skip
