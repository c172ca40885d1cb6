"""How the API reads a request body: JSON, as OSDI says — and, when a body is not JSON but a
form-encoded one, that. Parsons' ``update_event``, ``update_form`` and
``update_fundraising_page`` hand `requests` a dict as ``data=``, which sends
``title=…&description=…`` under the connector's ``Content-Type: application/json``; reading
it as the form it is lets the unchanged connector work. Anything that is neither is still a
400."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from django.http import HttpRequest
from ninja.parser import Parser


class OsdiParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            return json.loads(request.body)  # type: ignore[no-any-return]
        except ValueError:
            pass
        try:
            text = request.body.decode()
            fields = parse_qs(text, keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise ValueError("the body is neither JSON nor a form") from None
        if not fields:
            raise ValueError("the body is neither JSON nor a form")
        return {key: values[0] if len(values) == 1 else values for key, values in fields.items()}
