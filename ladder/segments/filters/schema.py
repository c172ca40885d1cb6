"""Validation of filter-language definitions: every error names the place it was found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

VERSION = 1
MAX_DEPTH = 8
MAX_SAMPLE_SEED = 2**20

TEXT_FIELDS = ("first_name", "middle_name", "last_name", "source", "languages", "employer",
               "occupation")  # fmt: skip
DATE_FIELDS = ("birthdate", "created_at")
TEXT_OPS = ("eq", "ne", "in", "contains", "starts_with", "blank", "present")
DATE_OPS = ("before", "after", "within_days", "not_within_days", "blank", "present")
CUSTOM_OPS = ("eq", "ne", "in", "contains", "gt", "gte", "lt", "lte", "blank", "present")
COMPARE_OPS = ("gte", "gt", "lte", "lt", "eq")
ADDRESS_FIELDS = ("region", "locality", "county", "country", "congressional_district",
                  "state_upper_district", "state_lower_district", "precinct")  # fmt: skip
NUMBER_STATS = ("given_total", "given_365d", "given_largest", "gifts_count", "touches_30d",
                "touches_90d", "actions_total", "events_attended", "shifts_done", "calls_made",
                "doors_knocked", "recruits", "engagement_score")  # fmt: skip
TIME_STATS = ("last_open_at", "last_click_at", "last_action_at", "last_contact_at",
              "last_gift_at", "first_activity_at")  # fmt: skip
TIME_STAT_OPS = ("within_days", "not_within_days", "never")
MEASURES = ("count", "sum", "min", "max")
CHANNELS = {"reachable": ("email", "sms", "phone"), "unsubscribed": ("email", "sms")}
MATCH_MODES = ("any", "all", "none")


class FilterError(ValueError):
    """A definition that cannot be used; ``path`` says where ("match.of[2].value")."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def _expect(condition: bool, path: str, message: str) -> None:
    if not condition:
        raise FilterError(path, message)


def _obj(value: object, path: str) -> dict[str, Any]:
    _expect(isinstance(value, dict), path, "must be an object")
    assert isinstance(value, dict)
    return value


def _choice(node: dict[str, Any], key: str, options: tuple[str, ...], path: str) -> str:
    value = node.get(key)
    _expect(value in options, f"{path}.{key}", f"must be one of {', '.join(options)}")
    return str(value)


def _number(value: object, path: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FilterError(path, "must be a number")
    _expect(value == value and abs(value) < 1e15, path, "must be a number")
    return value


def _whole(value: object, path: str, *, low: int = 0, high: int = 100_000) -> int:
    message = f"must be a whole number from {low} to {high}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise FilterError(path, message)
    _expect(low <= value <= high, path, message)
    return value


def _ids(value: object, path: str, *, allow_empty: bool = False) -> list[int]:
    _expect(isinstance(value, list), path, "must be a list of ids")
    assert isinstance(value, list)
    _expect(allow_empty or bool(value), path, "must not be empty")
    for i, item in enumerate(value):
        _whole(item, f"{path}[{i}]", low=1, high=2**62)
    return sorted(set(value))


def _strings(value: object, path: str, *, allow_empty: bool = False) -> list[str]:
    _expect(isinstance(value, list), path, "must be a list of text values")
    assert isinstance(value, list)
    _expect(allow_empty or bool(value), path, "must not be empty")
    out = []
    for i, item in enumerate(value):
        _expect(isinstance(item, str) and len(item) <= 200, f"{path}[{i}]", "must be text")
        out.append(item.strip())
    return out


def _date(value: object, path: str) -> str:
    _expect(isinstance(value, str), path, "must be a date like 2026-03-31")
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise FilterError(path, "must be a date like 2026-03-31") from None


def _text_value(value: object, path: str) -> str:
    _expect(isinstance(value, str) and len(value) <= 500, path, "must be text")
    return str(value)


def _field(node: dict[str, Any], path: str) -> dict[str, Any]:
    field = _choice(node, "field", TEXT_FIELDS + DATE_FIELDS, path)
    if field in TEXT_FIELDS:
        op = _choice(node, "op", TEXT_OPS, path)
        out: dict[str, Any] = {"kind": "field", "field": field, "op": op}
        if op == "in":
            out["value"] = _strings(node.get("value"), f"{path}.value")
        elif op not in ("blank", "present"):
            out["value"] = _text_value(node.get("value"), f"{path}.value")
        return out
    op = _choice(node, "op", DATE_OPS, path)
    out = {"kind": "field", "field": field, "op": op}
    if op in ("before", "after"):
        out["value"] = _date(node.get("value"), f"{path}.value")
    elif op in ("within_days", "not_within_days"):
        out["value"] = _whole(node.get("value"), f"{path}.value", high=36_500)
    return out


def _custom(node: dict[str, Any], path: str) -> dict[str, Any]:
    key = node.get("key")
    _expect(
        isinstance(key, str) and key.replace("_", "").replace("-", "").isalnum(),
        f"{path}.key",
        "must be a custom field key (letters, digits, - and _)",
    )
    op = _choice(node, "op", CUSTOM_OPS, path)
    out: dict[str, Any] = {"kind": "custom", "key": key, "op": op}
    value = node.get("value")
    if op == "in":
        out["value"] = _strings(value, f"{path}.value")
    elif op in ("gt", "gte", "lt", "lte"):
        out["value"] = _number(value, f"{path}.value")
    elif op in ("eq", "ne"):
        ok = isinstance(value, str | int | float | bool) and value is not None
        _expect(ok, f"{path}.value", "must be text, a number or true/false")
        out["value"] = value
    elif op == "contains":
        out["value"] = _text_value(value, f"{path}.value")
    return out


def _activity(node: dict[str, Any], path: str) -> dict[str, Any]:
    from ladder.activity.catalogue import ActivityType

    known = set(ActivityType.values)
    types = _strings(node.get("types", []), f"{path}.types", allow_empty=True)
    for i, name in enumerate(types):
        _expect(name in known, f"{path}.types[{i}]", f"unknown activity type {name!r}")
    out: dict[str, Any] = {"kind": "activity", "types": sorted(set(types))}
    if "days" in node and node["days"] is not None:
        _expect("from" not in node and "to" not in node, path, "use days or from/to, not both")
        out["days"] = _whole(node["days"], f"{path}.days", low=1, high=36_500)
    else:
        for key in ("from", "to"):
            if node.get(key) is not None:
                out[key] = _date(node[key], f"{path}.{key}")
        if "from" in out and "to" in out:
            _expect(out["from"] <= out["to"], f"{path}.to", "must not be before from")
    if node.get("object") is not None:
        obj = _obj(node["object"], f"{path}.object")
        kind = obj.get("type")
        _expect(isinstance(kind, str) and 0 < len(kind) <= 40, f"{path}.object.type", "required")
        out["object"] = {"type": kind, "id": _whole(obj.get("id"), f"{path}.object.id", low=1,
                                                      high=2**62)}  # fmt: skip
    if node.get("results"):
        out["results"] = sorted(set(_strings(node["results"], f"{path}.results")))
    out["measure"] = _choice({"measure": node.get("measure", "count")}, "measure", MEASURES, path)
    out["op"] = _choice({"op": node.get("op", "gte")}, "op", COMPARE_OPS, path)
    out["value"] = _number(node.get("value", 1), f"{path}.value")
    return out


def _stat(node: dict[str, Any], path: str) -> dict[str, Any]:
    field = _choice(node, "field", NUMBER_STATS + TIME_STATS, path)
    if field in NUMBER_STATS:
        op = _choice(node, "op", COMPARE_OPS, path)
        return {"kind": "stat", "field": field, "op": op,
                "value": _number(node.get("value"), f"{path}.value")}  # fmt: skip
    op = _choice(node, "op", TIME_STAT_OPS, path)
    out: dict[str, Any] = {"kind": "stat", "field": field, "op": op}
    if op != "never":
        out["value"] = _whole(node.get("value"), f"{path}.value", high=36_500)
    return out


def _rung(node: dict[str, Any], path: str) -> dict[str, Any]:
    ladder = _whole(node.get("ladder"), f"{path}.ladder", low=1, high=2**62)
    if "at_least" in node:
        floor = _whole(node["at_least"], f"{path}.at_least", low=1, high=2**62)
        return {"kind": "rung", "ladder": ladder, "at_least": floor}
    return {"kind": "rung", "ladder": ladder, "rungs": _ids(node.get("rungs"), f"{path}.rungs")}


def _geo_near(node: dict[str, Any], path: str) -> dict[str, Any]:
    lat = _number(node.get("lat"), f"{path}.lat")
    lon = _number(node.get("lon"), f"{path}.lon")
    km = _number(node.get("km"), f"{path}.km")
    _expect(-90 <= lat <= 90, f"{path}.lat", "must be between -90 and 90")
    _expect(-180 <= lon <= 180, f"{path}.lon", "must be between -180 and 180")
    _expect(0 < km <= 5000, f"{path}.km", "must be more than 0 and at most 5000")
    return {"kind": "near", "lat": lat, "lon": lon, "km": km}


def _condition(node: object, path: str, depth: int) -> dict[str, Any]:
    _expect(depth <= MAX_DEPTH, path, f"nested more than {MAX_DEPTH} levels deep")
    item = _obj(node, path)
    kind = item.get("kind")
    parse = _KINDS.get(kind) if isinstance(kind, str) else None
    _expect(parse is not None, f"{path}.kind", f"unknown kind {kind!r}")
    assert parse is not None
    return parse(item, path, depth)


def _logic(item: dict[str, Any], path: str, depth: int) -> dict[str, Any]:
    kind = item["kind"]
    if kind == "not":
        return {"kind": "not", "of": _condition(item.get("of"), f"{path}.of", depth + 1)}
    children = item.get("of")
    _expect(isinstance(children, list), f"{path}.of", "must be a list of conditions")
    assert isinstance(children, list)
    _expect(len(children) <= 200, f"{path}.of", "has more than 200 conditions")
    return {
        "kind": kind,
        "of": [_condition(c, f"{path}.of[{i}]", depth + 1) for i, c in enumerate(children)],
    }


def _membership(item: dict[str, Any], path: str, _depth: int) -> dict[str, Any]:
    kind = item["kind"]
    return {
        "kind": kind,
        "match": _choice(item, "match", MATCH_MODES, path),
        kind: _ids(item.get(kind), f"{path}.{kind}"),
    }


_Parser = Callable[[dict[str, Any], str, int], dict[str, Any]]
_KINDS: dict[str, _Parser] = {
    "all": _logic,
    "any": _logic,
    "not": _logic,
    "field": lambda n, p, d: _field(n, p),
    "custom": lambda n, p, d: _custom(n, p),
    "tags": _membership,
    "groups": _membership,
    "point_person": lambda n, p, d: {
        "kind": "point_person",
        "users": _ids(n.get("users", []), f"{p}.users", allow_empty=True),
    },
    "known_by": lambda n, p, d: {
        "kind": "known_by",
        "groups": _ids(n.get("groups", []), f"{p}.groups", allow_empty=True),
    },
    "postal_code": lambda n, p, d: _postal(n, p),
    "address": lambda n, p, d: {
        "kind": "address",
        "field": _choice(n, "field", ADDRESS_FIELDS, p),
        "values": _strings(n.get("values"), f"{p}.values"),
    },
    "near": lambda n, p, d: _geo_near(n, p),
    "reachable": lambda n, p, d: {
        "kind": "reachable",
        "channel": _choice(n, "channel", CHANNELS["reachable"], p),
    },
    "unsubscribed": lambda n, p, d: {
        "kind": "unsubscribed",
        "channel": _choice(n, "channel", CHANNELS["unsubscribed"], p),
    },
    "activity": lambda n, p, d: _activity(n, p),
    "stat": lambda n, p, d: _stat(n, p),
    "rung": lambda n, p, d: _rung(n, p),
    "segment": lambda n, p, d: {
        "kind": "segment",
        "id": _whole(n.get("id"), f"{p}.id", low=1, high=2**62),
    },
    "list": lambda n, p, d: {
        "kind": "list",
        "id": _whole(n.get("id"), f"{p}.id", low=1, high=2**62),
    },
    "sample": lambda n, p, d: {
        "kind": "sample",
        "percent": _percent(n.get("percent"), f"{p}.percent"),
        "seed": _whole(n.get("seed", 0), f"{p}.seed", high=MAX_SAMPLE_SEED - 1),
    },
}


def _postal(node: dict[str, Any], path: str) -> dict[str, Any]:
    codes = _strings(node.get("codes", []), f"{path}.codes", allow_empty=True)
    prefixes = _strings(node.get("prefixes", []), f"{path}.prefixes", allow_empty=True)
    _expect(bool(codes or prefixes), path, "give at least one postal code or prefix")
    for i, prefix in enumerate(prefixes):
        _expect(bool(prefix), f"{path}.prefixes[{i}]", "must not be empty")
    return {"kind": "postal_code", "codes": codes, "prefixes": prefixes}


def _percent(value: object, path: str) -> float | int:
    number = _number(value, path)
    _expect(0 <= number <= 100, path, "must be from 0 to 100")
    return number


def parse(data: object) -> dict[str, Any]:
    """A validated, normalised copy of ``data`` (defaults filled in); FilterError otherwise."""
    root = _obj(data, "")
    version = root.get("version", VERSION)
    _expect(version == VERSION, "version", f"unsupported version {version!r} (expected {VERSION})")
    out: dict[str, Any] = {"version": VERSION, "match": _condition(root.get("match"), "match", 1)}
    if root.get("sample") is not None:
        sample = _obj(root["sample"], "sample")
        out["sample"] = {
            "size": _whole(sample.get("size"), "sample.size", low=1, high=10_000_000),
            "seed": _whole(sample.get("seed", 0), "sample.seed", high=MAX_SAMPLE_SEED - 1),
        }
    return out


EVERYONE: dict[str, Any] = {"version": VERSION, "match": {"kind": "all", "of": []}}
