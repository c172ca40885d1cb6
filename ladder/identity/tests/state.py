"""Everything Ladder holds about a person, as plain data, for comparing before a merge and after
its undoing: their row, every row that points at them (found the way the merge finds them),
and the consent of their contact points."""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from ladder.activity.catalogue import ActivityType
from ladder.identity.merging import _json_value, person_links
from ladder.people.models import ConsentEvent, Person

# Written by the merge and its undoing themselves, or derived and recomputed.
IGNORED_ROW_FIELDS = {"updated_at"}


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    # Full precision (microseconds included): comparing at milliseconds would hide a restore
    # that drops them.
    return json.loads(json.dumps(row, default=_json_value))  # type: ignore[no-any-return]


def rows_of(model: type[models.Model], **where: Any) -> list[dict[str, Any]]:
    names = [f.attname for f in model._meta.concrete_fields]
    rows = model._default_manager.filter(**where).order_by("pk").values(*names)
    return [_plain(dict(r)) for r in rows]


def person_state(pk: int) -> dict[str, Any]:
    person = rows_of(Person, pk=pk)[0]
    for name in IGNORED_ROW_FIELDS:
        person.pop(name, None)
    linked: dict[str, list[dict[str, Any]]] = {}
    for model, field in person_links():
        rows = rows_of(model, **{field.attname: pk})
        if model._meta.label == "activity.Activity":
            rows = [r for r in rows if r["type"] != ActivityType.MERGE]
        if model is Person:
            rows = [{k: v for k, v in r.items() if k not in IGNORED_ROW_FIELDS} for r in rows]
        if rows:
            linked[f"{model._meta.label}.{field.name}"] = rows
    return {"person": person, "linked": linked}


def ledger() -> list[dict[str, Any]]:
    return rows_of(ConsentEvent)


__all__ = ["ledger", "person_state", "rows_of"]
