"""Webhooks from payment processors. ActBlue posts one JSON document per contribution line item,
with HTTP Basic auth (checked by `ladder.core.hooks.inbound_hook`), to /hooks/actblue/ (and
its refunds and cancellations to their own addresses). Every answer is JSON; a bad or replayed
post is refused or ignored with a log line, never a 500."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from ladder.actions.actblue import BadLine, actblue_apply, lines_from_webhook
from ladder.core.hooks import inbound_hook

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


def _credentials() -> tuple[str, str] | None:
    user, password = settings.LADDER_ACTBLUE_USER, settings.LADDER_ACTBLUE_PASSWORD
    return (user, password) if user and password else None


# The inbound layer (ladder.core.hooks) answers 405, 503 (not configured), 401 (bad
# credentials), 413 and 400 (unreadable body) and logs every call as a HookCall.
@inbound_hook("actblue", label="ActBlue", credentials=_credentials, max_bytes=MAX_BODY)
def actblue_hook(request: HttpRequest, kind: str = "") -> JsonResponse:
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        log.warning("ActBlue webhook refused: the body is not JSON")
        return JsonResponse({"error": "The body is not JSON."}, status=400)
    if not isinstance(payload, dict):
        log.warning("ActBlue webhook refused: the body is not a JSON object")
        return JsonResponse({"error": "The body is not a JSON object."}, status=400)
    try:
        lines = lines_from_webhook(payload, kind)
    except BadLine as problem:
        log.warning("ActBlue webhook refused: %s", problem)
        return JsonResponse({"error": str(problem), "field": problem.field}, status=400)
    applied = [actblue_apply(line) for line in lines]
    new = sum(1 for a in applied if a.new_gift)
    if new < len(applied):
        log.info("ActBlue webhook: %d of %d line items were already recorded (a replay)",
                 len(applied) - new, len(applied))  # fmt: skip
    return JsonResponse({
        "recorded": new,
        "already_recorded": len(applied) - new,
        "refunded": sum(1 for a in applied if a.refunded),
        "cancelled": sum(1 for a in applied if a.cancelled),
    })  # fmt: skip
