"""Small htmx helpers shared by the pages that poll work running in the worker."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def progress_fragment(
    request: HttpRequest, template: str, context: dict[str, Any], *, finished: bool
) -> HttpResponse:
    """The polled progress fragment; once the work has finished, an htmx poll reloads the
    whole page instead, so its buttons and results match the new state."""
    response = render(request, template, context)
    if finished and request.headers.get("HX-Request") == "true":
        response["HX-Refresh"] = "true"
    return response


__all__ = ["progress_fragment"]
