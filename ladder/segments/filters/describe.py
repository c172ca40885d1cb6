"""A definition in plain words: "In region IA, tagged education, and not: gave more than
$1,000 in the last 365 days". Shown on segments, lists, rungs and asks."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from ladder.activity.catalogue import ActivityType
from ladder.segments.filters.schema import parse

_OPS = {"gte": "at least", "gt": "more than", "lte": "at most", "lt": "less than", "eq": "exactly"}
_STAT_LABELS = {
    "given_total": "total given", "given_365d": "given in the last 365 days",
    "given_largest": "largest gift", "gifts_count": "number of gifts",
    "touches_30d": "contacts in 30 days", "touches_90d": "contacts in 90 days",
    "actions_total": "actions taken", "events_attended": "events attended",
    "shifts_done": "shifts done", "calls_made": "calls made as a volunteer",
    "doors_knocked": "doors knocked as a volunteer", "recruits": "people recruited",
    "engagement_score": "engagement score", "last_open_at": "last email open",
    "last_click_at": "last email click", "last_action_at": "last action",
    "last_contact_at": "last contact", "last_gift_at": "last gift",
    "first_activity_at": "first activity",
}  # fmt: skip
_MONEY = {"given_total", "given_365d", "given_largest"}
_REACH = {"email": "email (subscribed)", "sms": "text (subscribed mobile)", "phone": "phone"}


class _Names:
    """Looks up the names of tags, groups, users, ladders, rungs, segments and lists."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, int], str] = {}

    def __call__(self, model: str, pk: int) -> str:
        key = (model, pk)
        if key not in self.cache:
            app, name = model.split(".")
            row = apps.get_model(app, name).objects.filter(pk=pk).first()
            self.cache[key] = str(row) if row is not None else f"#{pk} (missing)"
        return self.cache[key]

    def many(self, model: str, ids: list[int]) -> str:
        return _join([self(model, pk) for pk in ids], "or")


def _join(items: list[str], word: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _number(value: float, money: bool = False) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    return f"${text}" if money else text


def _activity(node: dict[str, Any]) -> str:
    labels = [ActivityType(t).label.lower() for t in node["types"]] or ["any activity"]
    what = _join(labels, "or")
    measure, op, value = node["measure"], node["op"], node["value"]
    if measure == "count":
        if (op, value) in (("eq", 0), ("lt", 1), ("lte", 0)):
            text = f"no {what}"
        elif (op, value) in (("gte", 1), ("gt", 0)):
            text = f"any {what}"
        else:
            text = f"{what} {_OPS[op]} {_number(value)} times"
    else:
        amount = {"sum": "in total", "min": "smallest", "max": "largest"}[measure]
        text = f"{what} {amount} {_OPS[op]} {_number(value, money=True)}"
    if "days" in node:
        text += f" in the last {node['days']} days"
    elif "from" in node or "to" in node:
        text += f" between {node.get('from', 'the start')} and {node.get('to', 'today')}"
    if "object" in node:
        text += f" for {node['object']['type']} #{node['object']['id']}"
    if "results" in node:
        text += f" with result {_join(node['results'], 'or')}"
    return text


def _condition(node: dict[str, Any], names: _Names) -> str:
    kind = node["kind"]
    if kind == "all":
        # Organizers say "education people, minus donors": negated parts read as exclusions.
        kept = [_condition(c, names) for c in node["of"] if c["kind"] != "not"]
        minus = [_condition(c["of"], names) for c in node["of"] if c["kind"] == "not"]
        text = ", ".join(kept) or "everyone"
        return text + "".join(f", minus {part}" for part in minus)
    if kind == "any":
        if not node["of"]:
            return "no one"
        return "(either " + _join([_condition(c, names) for c in node["of"]], "or") + ")"
    if kind == "not":
        return f"not ({_condition(node['of'], names)})"
    if kind == "field":
        return _field(node)
    if kind == "custom":
        return _field({**node, "field": f"custom field {node['key']}"})
    if kind == "tags":
        tags = [names("people.Tag", pk) for pk in node["tags"]]
        word = {"any": "or", "all": "and", "none": "or"}[node["match"]]
        return ("not tagged " if node["match"] == "none" else "tagged ") + _join(tags, word)
    if kind == "groups":
        groups = [names("people.Group", pk) for pk in node["groups"]]
        word = {"any": "or", "all": "and", "none": "or"}[node["match"]]
        prefix = "not in " if node["match"] == "none" else "in "
        return prefix + _join(groups, word)
    if kind == "point_person":
        if not node["users"]:
            return "with no point person"
        return f"whose point person is {names.many('core.User', node['users'])}"
    if kind == "known_by":
        if not node["groups"]:
            return "known by a volunteer"
        return f"known by a volunteer in {names.many('people.Group', node['groups'])}"
    if kind == "postal_code":
        parts = list(node["codes"]) + [f"{p}…" for p in node["prefixes"]]
        return f"in postal code {_join(parts, 'or')}"
    if kind == "address":
        label = node["field"].replace("_", " ")
        return f"in {label} {_join(node['values'], 'or')}"
    if kind == "near":
        return f"within {_number(node['km'])} km of {node['lat']}, {node['lon']}"
    if kind == "reachable":
        return f"reachable by {_REACH[node['channel']]}"
    if kind == "unsubscribed":
        return f"unsubscribed from {'email' if node['channel'] == 'email' else 'texts'}"
    if kind == "activity":
        return _activity(node)
    if kind == "stat":
        return _stat(node)
    if kind == "rung":
        ladder = names("ladders.Ladder", node["ladder"])
        if "at_least" in node:
            return f"at {names('ladders.Rung', node['at_least'])} or higher on {ladder}"
        return f"on {names.many('ladders.Rung', node['rungs'])} ({ladder})"
    if kind == "segment":
        return f"in segment “{names('segments.Segment', node['id'])}”"
    if kind == "list":
        return f"on list “{names('segments.StaticList', node['id'])}”"
    if kind == "sample":
        return f"a {_number(node['percent'])}% sample (seed {node['seed']})"
    return kind


def _field(node: dict[str, Any]) -> str:
    label = node["field"].replace("_", " ")
    op = node["op"]
    value: Any = node.get("value")
    if op == "blank":
        return f"with no {label}"
    if op == "present":
        return f"with a {label}"
    words = {
        "eq": "is", "ne": "is not", "contains": "contains", "starts_with": "starts with",
        "gt": "is more than", "gte": "is at least", "lt": "is less than", "lte": "is at most",
        "before": "is before", "after": "is on or after",
    }  # fmt: skip
    if op == "in":
        return f"{label} is {_join([str(v) for v in value], 'or')}"
    if op == "within_days":
        return f"{label} in the last {value} days"
    if op == "not_within_days":
        return f"{label} more than {value} days ago"
    return f"{label} {words[op]} {value}"


def _stat(node: dict[str, Any]) -> str:
    field, op = node["field"], node["op"]
    label = _STAT_LABELS[field]
    if op == "never":
        return f"no {label} ever"
    if op == "within_days":
        return f"{label} in the last {node['value']} days"
    if op == "not_within_days":
        return f"no {label} in the last {node['value']} days"
    return f"{label} {_OPS[op]} {_number(node['value'], money=field in _MONEY)}"


def describe(definition: dict[str, Any]) -> str:
    """The definition in words, starting with a capital letter."""
    parsed = parse(definition)
    text = _condition(parsed["match"], _Names())
    if parsed.get("sample"):
        sample = parsed["sample"]
        text += f"; a sample of {sample['size']:,} (seed {sample['seed']})"
    return text[:1].upper() + text[1:]
