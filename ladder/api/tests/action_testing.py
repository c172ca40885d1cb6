"""What the action resources' tests share: shape checks and a partner token."""

from __future__ import annotations

from typing import Any

from ladder.api import ids
from ladder.api.tests.testing import ApiClient
from ladder.api.tokens import token_create
from ladder.core.models import User
from ladder.segments.models import StaticList

ROOT = "http://testserver/api/v2/"


def assert_resource(item: dict[str, Any], plural: str) -> str:
    """An Action Network resource: our identifier first, dates, an absolute self link under
    ``plural`` with no trailing slash; returns the self link."""
    assert item["identifiers"][0].startswith("action_network:")
    assert item["created_date"].endswith("Z") and item["modified_date"].endswith("Z")
    link = item["_links"]["self"]["href"]
    assert link.startswith(ROOT + plural + "/") or link.startswith(ROOT + "people/")
    assert not link.endswith("/")
    assert link.rsplit("/", 1)[-1] == item["identifiers"][0].split(":", 1)[1]
    return str(link)


def partner_client(user: User) -> ApiClient:
    shared = StaticList.objects.create(name="Shared with a partner")
    return ApiClient(user, partner="Coalition partner", static_list=shared)


def person_href(person_uuid: str) -> dict[str, Any]:
    """A body naming a person by link, as Parsons sends it (Action Network's host)."""
    return {
        "_links": {
            "osdi:person": {"href": f"https://actionnetwork.org/api/v2/people/{person_uuid}"}
        }
    }


def pk_of(kind: str, resource: dict[str, Any]) -> int:
    """The primary key behind a resource's id (which must be of ``kind``)."""
    pk = ids.decode(kind, resource["identifiers"][0].split(":", 1)[1])
    assert pk is not None
    return pk


def parsons(live_server: Any, monkeypatch: Any, user: User) -> Any:
    """Parsons' ActionNetwork connector, unchanged, talking to the live server with a token
    of ``user`` (Parsons builds every URL from its module's ``API_URL``)."""
    from parsons.action_network import action_network as module

    monkeypatch.setattr(module, "API_URL", live_server.url + "/api/v2")
    _, raw = token_create(actor=None, user=user, name="parsons", rate_per_minute=100_000)
    return module.ActionNetwork(api_token=raw)


def an_id(record: dict[str, Any]) -> str:
    return str(record["identifiers"][0].split(":", 1)[1])
