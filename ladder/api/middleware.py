"""Two things every API request needs before and after Django routes it:

* a path with or without a trailing slash reaches the same operation, with no redirect (a
  redirect would turn a client's POST or PUT into a GET);
* a path no operation serves, or a method an operation does not take, answers
  ``{"error": …}`` like every other API error rather than Django's HTML page;
* each request made with a partner token is logged with the people it was shown.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PREFIX = "/api/v2"


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not path.startswith(PREFIX):
            return self.get_response(request)
        if path == PREFIX:
            request.path_info = request.path = PREFIX + "/"
        elif len(path) > len(PREFIX) + 1 and path.endswith("/"):
            request.path_info = path.rstrip("/")
            request.path = request.path.rstrip("/")
        response = self.get_response(request)
        if response.status_code in (404, 405) and "json" not in response.get("Content-Type", ""):
            response = _as_json(response)
        token = getattr(request, "api_token", None)
        if token is not None and token.is_partner:
            from ladder.api.models import ApiRead

            ApiRead.objects.create(
                token=token,
                method=request.method or "",
                path=request.get_full_path()[:500],
                status=response.status_code,
                person_ids=getattr(request, "api_people", []),
            )
        return response


def _as_json(response: HttpResponse) -> HttpResponse:
    from ladder.api.hal import Hal

    if response.status_code == 405:
        allowed = response.get("Allow", "")
        answer = Hal({"error": f"This path takes {allowed or 'other methods'}."}, status=405)
        if allowed:
            answer["Allow"] = allowed
        return answer
    return Hal({"error": "There is no such path in the API."}, status=404)
