"""Helpers for API tests: a token for a user and a client that sends it."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from ladder.api.tokens import token_create
from ladder.core.models import User


class ApiClient:
    """Django's test client speaking to /api/v2 with one token, JSON in and out."""

    def __init__(self, user: User, *, raw: str | None = None, **token_options: Any):
        if raw is None:
            token_options.setdefault("rate_per_minute", 100_000)
            self.token, raw = token_create(
                actor=None, user=user, name=f"tests {user.username}", **token_options
            )
        self.raw = raw
        self.client = Client()

    def _headers(self) -> dict[str, str]:
        return {"OSDI-API-Token": self.raw}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(_url(path), params, headers=self._headers())

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            _url(path), json.dumps(body), content_type="application/json", headers=self._headers()
        )

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(
            _url(path), json.dumps(body), content_type="application/json", headers=self._headers()
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(_url(path), headers=self._headers())


def _url(path: str) -> str:
    if path.startswith("http"):
        return path
    return "/api/v2/" + path.lstrip("/")


def embedded(response: Any) -> list[dict[str, Any]]:
    """The one list in a collection's ``_embedded``."""
    body = response.json()
    (items,) = body["_embedded"].values()
    return items  # type: ignore[no-any-return]


def uuid_of(resource: dict[str, Any]) -> str:
    return resource["identifiers"][0].split(":", 1)[1]  # type: ignore[no-any-return]
