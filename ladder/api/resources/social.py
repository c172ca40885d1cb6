"""``POST /social_engagements``: social engagement from a listening tool or a platform's
webhook, matched to people by handle or email (`ladder.identity.social`). Not an Action
Network collection. Matching reaches across the whole organization, so it takes a staff
token; each bad row comes back with its index and column, and the good ones are kept."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import Field

from ladder.api import hal
from ladder.api.auth import writable
from ladder.api.schemas import WRITE_ERRORS
from ladder.identity.social import social_rows_add

router = Router(tags=["social"])
MAX_ROWS = 5000


class EngagementsIn(Schema):
    # platform, handle and/or email, name, action, text, url, occurred_at, id
    engagements: list[dict[str, Any]] = Field(min_length=1)


class RowError(Schema):
    row: int
    column: str
    message: str


class EngagementsOut(Schema):
    added: int
    repeated: int
    matched: int
    waiting: int
    errors: list[RowError]


@router.post(
    "/social_engagements",
    response={201: EngagementsOut, **WRITE_ERRORS},
    summary="Add social engagement (matched to people by handle or email)",
)
def social_engagements_add(request: HttpRequest, payload: EngagementsIn) -> HttpResponse:
    token = writable(request)
    if not token.user.sees_everyone:
        raise hal.ApiError(403, "Social engagement is matched across everyone: use a staff token.")
    if len(payload.engagements) > MAX_ROWS:
        raise hal.ApiError(400, f"engagements: at most {MAX_ROWS:,} in one request.")
    result = social_rows_add(enumerate(payload.engagements), source=f"api: {token.name}"[:200])
    errors = [{"row": p.row, "column": p.column, "message": p.message} for p in result.problems]
    if errors and not result.added and not result.repeated:
        first = errors[0]
        return hal.Hal(
            {"error": f"engagements[{first['row']}].{first['column']}: {first['message']}",
             "errors": errors}, status=400,
        )  # fmt: skip
    body = {"added": result.added, "repeated": result.repeated, "matched": result.matched,
            "waiting": result.waiting, "errors": errors}  # fmt: skip
    return hal.Hal(body, status=201)
