"""The API at ``/api/v2/``: Action Network's paths and HAL+JSON shapes, an OpenAPI schema at
``/api/v2/openapi.json`` and its browsable docs at ``/api/v2/docs``.

Every answer that is not a success is ``{"error": "…"}`` with the status that fits, never
Django's HTML pages."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from ladder.api import hal
from ladder.api.auth import OsdiToken
from ladder.api.parser import OsdiParser
from ladder.api.schemas import READ_ERRORS

log = logging.getLogger(__name__)


class HalRenderer(JSONRenderer):
    media_type = hal.MEDIA_TYPE


api = NinjaAPI(
    title="Ladder API (OSDI / Action Network v2)",
    version="2",
    description=(
        "Action Network's API v2 paths and HAL+JSON shapes. Authenticate with the "
        "`OSDI-API-Token` header (make one with `ladder token create USERNAME` or on the API "
        "page). Collections take `page`, `per_page` (at most 25) and an OData `filter`."
    ),
    auth=OsdiToken(),
    renderer=HalRenderer(),
    parser=OsdiParser(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> HttpResponse:
    return hal.Hal({"error": message}, status=status, headers=headers)


@api.exception_handler(hal.ApiError)
def _api_error(request: HttpRequest, exc: hal.ApiError) -> HttpResponse:
    return _error(exc.status, exc.message, exc.headers)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(401, "API Key Not Found: send a valid token in the OSDI-API-Token header.")


def _describe(errors: list[dict[str, Any]]) -> str:
    parts = []
    for problem in errors[:5]:
        where = ".".join(str(p) for p in problem.get("loc", ()) if p not in ("body", "payload"))
        parts.append(f"{where or 'body'}: {problem.get('msg', 'is not valid')}")
    return "; ".join(parts) or "The request is not valid."


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _error(400, _describe(list(exc.errors)))


@api.exception_handler(ValidationError)
def _django_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    else:
        message = " ".join(exc.messages)
    return _error(400, message)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(exc.status_code, str(exc))


@api.exception_handler(Http404)
def _missing(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(404, str(exc) or "Not found.")


@api.exception_handler(PermissionDenied)
def _denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(403, str(exc) or "This token may not do that.")


@api.exception_handler(Exception)
def _bug(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error on %s %s", request.method, request.path)
    return _error(500, "Something went wrong on our side; it has been logged.")


@api.get("/", response={200: dict[str, Any], **READ_ERRORS}, summary="API entry point")
def entry_point(request: HttpRequest) -> HttpResponse:
    from ladder.api.resources import COLLECTIONS

    links: dict[str, Any] = {"self": hal.href(request, "")}
    for plural in COLLECTIONS:
        links[f"osdi:{plural}"] = hal.href(request, plural)
    return hal.resource(
        {
            "motd": "Welcome to the Ladder API, compatible with Action Network's API v2.",
            "vendor_name": "Ladder",
            "product_name": "Ladder",
            "osdi_version": "1.1.1",
            "max_pagesize": hal.MAX_PER_PAGE,
            "_links": links,
        }
    )


def _register() -> None:
    from ladder.api.resources import ROUTERS

    for router in ROUTERS:
        api.add_router("/", router)


_register()
