"""Webhooks from payment processors. ActBlue posts one JSON document per contribution line item,
with HTTP Basic auth, to /hooks/actblue/ (and its refunds and cancellations to their own
addresses). Every answer is JSON; a bad or replayed post is refused or ignored with a log line,
never a 500."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ladder.actions.actblue import BadLine, actblue_apply, lines_from_webhook

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


def _authorised(request: HttpRequest) -> bool:
    user, password = settings.LADDER_ACTBLUE_USER, settings.LADDER_ACTBLUE_PASSWORD
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return False
    try:
        given_user, _, given_password = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(given_user, user) & hmac.compare_digest(given_password, password)


@csrf_exempt  # a server-to-server post, authenticated by Basic auth instead
@require_POST
def actblue_hook(request: HttpRequest, kind: str = "") -> JsonResponse:
    if not settings.LADDER_ACTBLUE_USER or not settings.LADDER_ACTBLUE_PASSWORD:
        log.error("ActBlue webhook refused: LADDER_ACTBLUE_USER/PASSWORD are not set")
        return JsonResponse({"error": "The ActBlue webhook is not configured."}, status=503)
    if not _authorised(request):
        log.warning("ActBlue webhook refused: bad credentials from %s", request.META.get(
            "REMOTE_ADDR"))  # fmt: skip
        response = JsonResponse({"error": "Authentication required."}, status=401)
        response["WWW-Authenticate"] = 'Basic realm="ladder-actblue"'
        return response
    if len(request.body) > MAX_BODY:
        return JsonResponse({"error": "The post is too large."}, status=413)
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
