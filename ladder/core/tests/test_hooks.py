"""The inbound webhook layer (`ladder.core.hooks`): 503 while a hook is not configured, 401 with
a challenge for bad or missing credentials, 413 past the size limit, 400 for a body that cannot
be read, and one HookCall row for every call whatever the answer — through the real ActBlue and
email-service endpoints, and through a bare view for the cases they cannot show."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client, RequestFactory, override_settings

from ladder.core.hooks import inbound_hook
from ladder.core.models import HookCall

pytestmark = pytest.mark.django_db

ACTBLUE = "/hooks/actblue/"
POSTMARK = "/m/anymail/postmark/tracking/"


def basic(user: str, password: str) -> dict[str, Any]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def post(path: str, body: Any = None, raw: bytes | None = None, **headers: Any) -> Any:
    data = raw if raw is not None else json.dumps(body if body is not None else {})
    return Client().post(path, data, content_type="application/json", headers=headers)


@override_settings(LADDER_ACTBLUE_USER="", LADDER_ACTBLUE_PASSWORD="")
def test_a_hook_that_is_not_configured_answers_503_json_and_is_logged():
    response = post(ACTBLUE, {"donor": {}}, **basic("anyone", "at-all"))
    assert response.status_code == 503
    assert response.json() == {"error": "The ActBlue webhook is not configured."}
    call = HookCall.objects.get()
    assert (call.hook, call.status, call.remote_addr) == ("actblue", 503, "127.0.0.1")
    assert "not configured" in call.error


@override_settings(LADDER_ACTBLUE_USER="actblue", LADDER_ACTBLUE_PASSWORD="s3cret")
@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("actblue", "wrong"),
        basic("wrong", "s3cret"),
        basic("actblue", "s3cret-and-more"),
        {"Authorization": "Basic !!not-base64!!"},
        {"Authorization": "Bearer s3cret"},
        {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:x").decode()},
    ],
)
def test_bad_or_missing_credentials_are_a_401_with_a_challenge(headers):
    response = post(ACTBLUE, {"donor": {}}, **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic realm=")
    assert response.json() == {"error": "Authentication required."}
    assert list(HookCall.objects.values_list("hook", "status")) == [("actblue", 401)]


@override_settings(LADDER_ACTBLUE_USER="actblue", LADDER_ACTBLUE_PASSWORD="s3cret")
def test_a_body_past_the_limit_is_a_413_and_is_logged():
    huge = json.dumps({"pad": "x" * (300 * 1024)})
    response = post(ACTBLUE, raw=huge.encode(), **basic("actblue", "s3cret"))
    assert response.status_code == 413
    assert "too large" in response.json()["error"]
    assert HookCall.objects.get().status == 413


@override_settings(LADDER_ACTBLUE_USER="actblue", LADDER_ACTBLUE_PASSWORD="s3cret")
def test_each_call_is_logged_with_its_answer_size_and_time():
    ok = basic("actblue", "s3cret")
    body = b"not json"
    assert post(ACTBLUE, raw=body, **ok).status_code == 400  # the view's own answer
    assert post(ACTBLUE, {"x": 1}, **basic("actblue", "nope")).status_code == 401
    assert Client().get(ACTBLUE).status_code == 405
    calls = list(HookCall.objects.order_by("id"))
    assert [(c.hook, c.status) for c in calls] == [
        ("actblue", 400),
        ("actblue", 401),
        ("actblue", 405),
    ]
    assert calls[0].bytes == len(body) and calls[0].error == "The body is not JSON."
    assert all(c.duration_ms >= 0 and c.received_at is not None for c in calls)


def test_the_email_service_hooks_go_through_the_same_layer(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    assert post(POSTMARK, {"RecordType": "Bounce"}, **basic("pm", "pw")).status_code == 503
    settings.ANYMAIL = {"WEBHOOK_SECRET": "pm:pw"}
    assert post(POSTMARK, {"RecordType": "Bounce"}, **basic("pm", "bad")).status_code == 401
    assert post(POSTMARK, raw=b"{not json", **basic("pm", "pw")).status_code == 400
    # A rotation: either secret is accepted.
    settings.ANYMAIL = {"WEBHOOK_SECRET": ["old:one", "pm:pw"]}
    assert post(POSTMARK, {"RecordType": "Open", "Recipient": "x@example.org",
                           "MessageID": "m-1"}, **basic("pm", "pw")).status_code == 200  # fmt: skip
    calls = list(HookCall.objects.order_by("id").values_list("hook", "status"))
    assert calls == [("mail:postmark_tracking", s) for s in (503, 401, 400, 200)]
    assert "Unreadable webhook post" in HookCall.objects.order_by("id")[2].error


# ---- The layer on a bare view: what the real endpoints cannot show -------------------------


def _pair() -> tuple[str, str]:
    return ("hook", "pw")


@inbound_hook("test", credentials=_pair, max_bytes=64, unreadable=(ValueError,))
def echo(request: HttpRequest) -> HttpResponse:
    data = json.loads(request.body)  # ValueError: an unreadable post
    if data.get("boom"):
        raise RuntimeError("the view broke")
    return JsonResponse({"got": data})


class BrokenStream:
    """A client that went away mid-body."""

    def read(self, *args: Any) -> bytes:
        raise OSError("connection reset by peer")

    def readline(self, *args: Any) -> bytes:
        raise OSError("connection reset by peer")


_factory: Any = RequestFactory()  # extra WSGI keys (wsgi.input, REMOTE_ADDR) are untyped


def _basic_meta() -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": basic("hook", "pw")["Authorization"]}


def test_an_unreadable_body_is_a_400():
    broken = _factory.post("/x", b"{}", content_type="application/json",
                                   **_basic_meta(), **{"wsgi.input": BrokenStream()})  # fmt: skip
    response = echo(broken)
    assert response.status_code == 400
    assert "could not be read" in json.loads(response.content)["error"]
    bad_length = _factory.post("/x", b"{}", content_type="application/json",
                                       **_basic_meta(), CONTENT_LENGTH="lots")  # fmt: skip
    assert echo(bad_length).status_code == 400
    not_json = _factory.post("/x", b"{nope", content_type="application/json",
                                     **_basic_meta())  # fmt: skip
    response = echo(not_json)
    assert response.status_code == 400 and "Unreadable webhook post" in response.content.decode()
    assert list(HookCall.objects.values_list("status", flat=True)) == [400, 400, 400]


def test_the_size_limit_holds_and_a_good_post_reaches_the_view():
    big = _factory.post("/x", json.dumps({"p": "x" * 100}), content_type="application/json",
                                **_basic_meta())  # fmt: skip
    assert echo(big).status_code == 413
    good = _factory.post("/x", b'{"a": 1}', content_type="application/json",
                                 **_basic_meta(), REMOTE_ADDR="203.0.113.9")  # fmt: skip
    response = echo(good)
    assert response.status_code == 200 and json.loads(response.content) == {"got": {"a": 1}}
    last = HookCall.objects.order_by("-id").first()
    assert last is not None and (last.status, last.bytes, last.remote_addr) == (
        200,
        8,
        "203.0.113.9",
    )


def test_a_view_that_breaks_is_logged_as_500_and_still_raises():
    boom = _factory.post("/x", b'{"boom": true}', content_type="application/json",
                                 **_basic_meta())  # fmt: skip
    with pytest.raises(RuntimeError):
        echo(boom)
    call = HookCall.objects.get()
    assert call.status == 500 and "the view broke" in call.error


@override_settings(LADDER_PROXY_IP_HEADER="X-Forwarded-For")
def test_the_remote_address_is_the_proxy_s_client_when_configured():
    req = _factory.post("/x", b"{}", content_type="application/json", **_basic_meta(),
                                HTTP_X_FORWARDED_FOR="198.51.100.7, 10.0.0.1")  # fmt: skip
    assert echo(req).status_code == 200
    assert HookCall.objects.get().remote_addr == "198.51.100.7"
