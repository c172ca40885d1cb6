"""The ``OSDI-API-Token`` header: which token, and whether it is over its rate limit."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyHeader

from ladder.api.hal import ApiError
from ladder.api.models import ApiToken
from ladder.api.ratelimit import over_limit
from ladder.api.tokens import token_authenticate


class OsdiToken(APIKeyHeader):
    param_name = "OSDI-API-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiToken | None:
        token = token_authenticate(key or "")
        if token is None:
            return None
        wait = over_limit(token.digest[:24], token.rate_per_minute)
        if wait:
            raise ApiError(
                429,
                f"Too many requests with this token; try again in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        request.api_token = token  # type: ignore[attr-defined]
        return token


def token_of(request: HttpRequest) -> ApiToken:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def writable(request: HttpRequest) -> ApiToken:
    """The token, if it may write: partner tokens and volunteers' tokens only read."""
    token = token_of(request)
    if token.is_partner:
        raise ApiError(403, "A partner token can only read.")
    if not (token.user.sees_everyone or token.user.role == "leader"):
        raise ApiError(403, "This token's user may only read.")
    return token
