"""The builder's rows: one small Django form per kind of condition, each turning its fields
into a filter-language condition and back, and the menus' choices for the user."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.db.models import QuerySet

from ladder.activity.catalogue import ActivityType
from ladder.core.models import User
from ladder.people.models import CustomField, Tag
from ladder.people.selectors import groups_visible
from ladder.segments.filters.schema import (
    CUSTOM_OPS,
    DATE_FIELDS,
    DATE_OPS,
    NUMBER_STATS,
    TEXT_FIELDS,
    TEXT_OPS,
    TIME_STATS,
)
from ladder.segments.models import Segment
from ladder.segments.selectors import lists_visible, segments_visible

COMPARE_CHOICES = [("gte", "at least"), ("gt", "more than"), ("lte", "at most"),
                   ("lt", "less than"), ("eq", "exactly")]  # fmt: skip
STAT_LABELS = {
    "engagement_score": "Engagement score", "given_total": "Total given ($)",
    "given_365d": "Given in the last 365 days ($)", "given_largest": "Largest gift ($)",
    "gifts_count": "Number of gifts", "touches_30d": "Contacts in 30 days",
    "touches_90d": "Contacts in 90 days", "actions_total": "Actions taken",
    "events_attended": "Events attended", "shifts_done": "Shifts done",
    "calls_made": "Calls made (as volunteer)", "doors_knocked": "Doors knocked (as volunteer)",
    "recruits": "People recruited", "last_contact_at": "Last contact",
    "last_open_at": "Last email open", "last_click_at": "Last email click",
    "last_action_at": "Last action", "last_gift_at": "Last gift",
    "first_activity_at": "First activity",
}  # fmt: skip
STAT_OPS = [*COMPARE_CHOICES, ("within_days", "within the last … days"),
            ("not_within_days", "not within the last … days"), ("never", "never")]  # fmt: skip
ADDRESS_LABELS = {
    "region": "State / region", "locality": "City", "county": "County", "country": "Country",
    "congressional_district": "Congressional district",
    "state_upper_district": "State senate district",
    "state_lower_district": "State house district", "precinct": "Precinct",
}  # fmt: skip
FIELD_OP_LABELS = {
    "eq": "is", "ne": "is not", "in": "is one of (commas)", "contains": "contains",
    "starts_with": "starts with", "blank": "is blank", "present": "is filled in",
    "before": "is before (date)", "after": "is on or after (date)",
    "within_days": "within the last … days", "not_within_days": "not within the last … days",
    "gt": "more than", "gte": "at least", "lt": "less than", "lte": "at most",
}  # fmt: skip
MATCH_CHOICES = [("any", "any of"), ("all", "all of"), ("none", "none of")]


@dataclass
class Choices:
    """The things a builder's menus offer ``user``: one query each, made once per request."""

    tags: list[tuple[int, str]]
    groups: list[tuple[int, str]]
    segments: list[tuple[int, str]]
    lists: list[tuple[int, str]]
    custom_fields: dict[str, tuple[str, str]]  # key → (label, type)
    rungs: dict[int, tuple[int, str]]  # rung id → (ladder id, "Ladder: rung")

    @classmethod
    def for_user(cls, user: User, *, editing: Segment | None = None) -> Choices:
        from ladder.ladders.models import Rung

        segments: QuerySet[Segment] = segments_visible(user)
        if editing is not None:
            segments = segments.exclude(pk=editing.pk)
        return cls(
            tags=list(Tag.objects.order_by("name").values_list("id", "name")),
            groups=list(groups_visible(user).order_by("name").values_list("id", "name")),
            segments=list(segments.order_by("name").values_list("id", "name")),
            lists=list(lists_visible(user).order_by("name").values_list("id", "name")),
            custom_fields={
                key: (label, kind)
                for key, label, kind in CustomField.objects.order_by("label").values_list(
                    "key", "label", "type"
                )
            },
            rungs={
                pk: (ladder_id, f"{ladder}: {name}")
                for pk, ladder_id, ladder, name in Rung.objects.order_by(
                    "ladder__position", "ladder__name", "position"
                ).values_list("id", "ladder_id", "ladder__name", "name")
            },
        )


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n;]", text or "") if part.strip()]


def _number(value: Decimal | float | int) -> int | float:
    """JSON numbers: whole values as ints ("1000", not "1000.0")."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _ids(choices: list[tuple[int, str]]) -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in choices]


class ConditionForm(forms.Form):
    """One row of the builder. Subclasses say which ``kind`` they build and how."""

    kind: ClassVar[str]
    title: ClassVar[str]
    menu: ClassVar[str]  # the section of the add menu
    minus = forms.BooleanField(required=False, label="Minus")

    def __init__(self, *args: Any, choices: Choices, key: int, **kwargs: Any) -> None:
        kwargs.update(prefix=f"c{key}", label_suffix="")
        super().__init__(*args, **kwargs)
        self.choices = choices
        self.row_key = key
        self.setup()
        for name, bound in self.fields.items():
            if name != "minus":
                bound.widget.attrs.setdefault("class", f"f-{name}")

    def setup(self) -> None:
        """Fill in choices that depend on the user."""

    def condition(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        """The form's initial values for a parsed condition, or None if the row can't hold it."""
        raise NotImplementedError

    def field_list(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != "minus"]


class TagsForm(ConditionForm):
    kind, title, menu = "tags", "Tag", "Who"
    match = forms.ChoiceField(choices=MATCH_CHOICES, label="Tagged")
    tags = forms.MultipleChoiceField(label="Tags")

    def setup(self) -> None:
        self.fields["tags"].choices = _ids(self.choices.tags)  # type: ignore[attr-defined]

    def condition(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"kind": "tags", "match": d["match"], "tags": [int(t) for t in d["tags"]]}

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        return {"match": node["match"], "tags": [str(t) for t in node["tags"]]}


class GroupsForm(ConditionForm):
    kind, title, menu = "groups", "Group", "Who"
    match = forms.ChoiceField(choices=MATCH_CHOICES, label="Member of")
    groups = forms.MultipleChoiceField(label="Groups")

    def setup(self) -> None:
        self.fields["groups"].choices = _ids(self.choices.groups)  # type: ignore[attr-defined]

    def condition(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"kind": "groups", "match": d["match"], "groups": [int(g) for g in d["groups"]]}

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        return {"match": node["match"], "groups": [str(g) for g in node["groups"]]}


class KnownByForm(ConditionForm):
    kind, title, menu = "known_by", "Known by a volunteer", "Who"
    groups = forms.MultipleChoiceField(
        label="In groups", required=False, help_text="None chosen: any volunteer."
    )

    def setup(self) -> None:
        self.fields["groups"].choices = _ids(self.choices.groups)  # type: ignore[attr-defined]

    def condition(self) -> dict[str, Any]:
        return {"kind": "known_by", "groups": [int(g) for g in self.cleaned_data["groups"]]}

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        return {"groups": [str(g) for g in node["groups"]]}


class AddressForm(ConditionForm):
    kind, title, menu = "address", "Region, city or district", "Where"
    field = forms.ChoiceField(choices=list(ADDRESS_LABELS.items()), label="Lives in")
    values = forms.CharField(
        label="Values", help_text="Separate several with commas.", max_length=2000
    )

    def condition(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"kind": "address", "field": d["field"], "values": _split(d["values"])}

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        return {"field": node["field"], "values": ", ".join(node["values"])}


class PostalForm(ConditionForm):
    kind, title, menu = "postal_code", "Postal codes", "Where"
    codes = forms.CharField(label="Postal codes", required=False, max_length=5000,
                            help_text="Exact codes, separated by commas.")  # fmt: skip
    prefixes = forms.CharField(label="Starting with", required=False, max_length=2000,
                               help_text="e.g. 503, 504")  # fmt: skip

    def condition(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"kind": "postal_code", "codes": _split(d["codes"]),
                "prefixes": _split(d["prefixes"])}  # fmt: skip

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        return {"codes": ", ".join(node["codes"]), "prefixes": ", ".join(node["prefixes"])}


class NearForm(ConditionForm):
    kind, title, menu = "near", "Near a point", "Where"
    km = forms.FloatField(label="Within km", min_value=0.01, max_value=5000)
    lat = forms.FloatField(label="Latitude", min_value=-90, max_value=90)
    lon = forms.FloatField(label="Longitude", min_value=-180, max_value=180)

    def condition(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"kind": "near", "lat": d["lat"], "lon": d["lon"], "km": d["km"]}

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        return {"lat": node["lat"], "lon": node["lon"], "km": node["km"]}


class ReachableForm(ConditionForm):
    kind, title, menu = "reachable", "Reachable by", "Reach"
    channel = forms.ChoiceField(
        choices=[("email", "email (subscribed)"), ("sms", "text (subscribed mobile)"),
                 ("phone", "phone (callable)")], label="Reachable by")  # fmt: skip

    def condition(self) -> dict[str, Any]:
        return {"kind": "reachable", "channel": self.cleaned_data["channel"]}

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        return {"channel": node["channel"]}


class UnsubscribedForm(ConditionForm):
    kind, title, menu = "unsubscribed", "Unsubscribed", "Reach"
    channel = forms.ChoiceField(choices=[("email", "email"), ("sms", "texts")],
                                label="Unsubscribed from")  # fmt: skip

    def condition(self) -> dict[str, Any]:
        return {"kind": "unsubscribed", "channel": self.cleaned_data["channel"]}

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        return {"channel": node["channel"]}


class ActivityForm(ConditionForm):
    kind, title, menu = "activity", "Activity", "Did"
    types = forms.MultipleChoiceField(
        choices=ActivityType.choices, required=False, label="Activity",
        help_text="None chosen: any activity.",
    )  # fmt: skip
    measure = forms.ChoiceField(
        choices=[("count", "number of them"), ("sum", "total amount ($)"),
                 ("min", "smallest amount ($)"), ("max", "largest amount ($)")],
        label="Measure",
    )  # fmt: skip
    op = forms.ChoiceField(choices=COMPARE_CHOICES, label="is")
    value = forms.DecimalField(label="Value", initial=1, max_digits=14, decimal_places=2)
    days = forms.IntegerField(
        label="In the last … days", required=False, min_value=1, max_value=36_500,
        help_text="Blank: ever, or use the dates.",
    )  # fmt: skip
    date_from = forms.DateField(label="From", required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    date_to = forms.DateField(label="To", required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    object_type = forms.CharField(label="For object", required=False, max_length=40,
                                  help_text="event, mailing, petition…")  # fmt: skip
    object_id = forms.IntegerField(label="Object id", required=False, min_value=1)
    results = forms.CharField(label="Results", required=False, max_length=500,
                              help_text="talked, not_home…")  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("days") and (data.get("date_from") or data.get("date_to")):
            raise forms.ValidationError("Use “in the last … days” or the dates, not both.")
        if bool(data.get("object_type")) != bool(data.get("object_id")):
            raise forms.ValidationError("An object needs both its type and its id.")
        return data

    def condition(self) -> dict[str, Any]:
        d = self.cleaned_data
        out: dict[str, Any] = {"kind": "activity", "types": list(d["types"]),
                               "measure": d["measure"], "op": d["op"],
                               "value": _number(d["value"])}  # fmt: skip
        if d.get("days"):
            out["days"] = d["days"]
        if d.get("date_from"):
            out["from"] = d["date_from"].isoformat()
        if d.get("date_to"):
            out["to"] = d["date_to"].isoformat()
        if d.get("object_type"):
            out["object"] = {"type": d["object_type"].strip(), "id": d["object_id"]}
        if d.get("results"):
            out["results"] = _split(d["results"])
        return out

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        obj = node.get("object") or {}
        return {
            "types": node["types"], "measure": node["measure"], "op": node["op"],
            "value": node["value"], "days": node.get("days"), "date_from": node.get("from"),
            "date_to": node.get("to"), "object_type": obj.get("type", ""),
            "object_id": obj.get("id"), "results": ", ".join(node.get("results", [])),
        }  # fmt: skip


class StatForm(ConditionForm):
    kind, title, menu = "stat", "Rollup stat", "Did"
    field = forms.ChoiceField(
        choices=[("Numbers", [(f, STAT_LABELS[f]) for f in NUMBER_STATS]),
                 ("Times", [(f, STAT_LABELS[f]) for f in TIME_STATS])],
        label="Stat",
    )  # fmt: skip
    op = forms.ChoiceField(choices=STAT_OPS, label="is")
    value = forms.DecimalField(label="Value", required=False, max_digits=14, decimal_places=2)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("op") != "never" and data.get("value") is None and "value" not in self.errors:
            self.add_error("value", "Give a value.")
        return data

    def condition(self) -> dict[str, Any]:
        d = self.cleaned_data
        out: dict[str, Any] = {"kind": "stat", "field": d["field"], "op": d["op"]}
        if d["op"] != "never":
            out["value"] = _number(d["value"])
        return out

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        return {"field": node["field"], "op": node["op"], "value": node.get("value")}


class RungForm(ConditionForm):
    kind, title, menu = "rung", "Ladder rung", "Did"
    rungs = forms.MultipleChoiceField(label="On rung")
    or_higher = forms.BooleanField(required=False, label="or higher (choose one rung)")

    def setup(self) -> None:
        self.fields["rungs"].choices = [  # type: ignore[attr-defined]
            (str(pk), label) for pk, (_, label) in self.choices.rungs.items()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = [int(r) for r in data.get("rungs", [])]
        ladders = {self.choices.rungs[r][0] for r in chosen if r in self.choices.rungs}
        if len(ladders) > 1:
            raise forms.ValidationError("Choose rungs of one ladder.")
        if data.get("or_higher") and len(chosen) != 1:
            raise forms.ValidationError("“Or higher” needs exactly one rung.")
        return data

    def condition(self) -> dict[str, Any]:
        chosen = [int(r) for r in self.cleaned_data["rungs"]]
        ladder = self.choices.rungs[chosen[0]][0]
        if self.cleaned_data["or_higher"]:
            return {"kind": "rung", "ladder": ladder, "at_least": chosen[0]}
        return {"kind": "rung", "ladder": ladder, "rungs": chosen}

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        if "at_least" in node:
            return {"rungs": [str(node["at_least"])], "or_higher": True}
        return {"rungs": [str(r) for r in node["rungs"]], "or_higher": False}


class SegmentForm(ConditionForm):
    kind, title, menu = "segment", "Other segment", "Universes"
    segment = forms.ChoiceField(label="In segment")

    def setup(self) -> None:
        self.fields["segment"].choices = _ids(self.choices.segments)  # type: ignore[attr-defined]

    def condition(self) -> dict[str, Any]:
        return {"kind": "segment", "id": int(self.cleaned_data["segment"])}

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        return {"segment": str(node["id"])}


class ListForm(ConditionForm):
    kind, title, menu = "list", "List", "Universes"
    static_list = forms.ChoiceField(label="On list")

    def setup(self) -> None:
        self.fields["static_list"].choices = _ids(self.choices.lists)  # type: ignore[attr-defined]

    def condition(self) -> dict[str, Any]:
        return {"kind": "list", "id": int(self.cleaned_data["static_list"])}

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        return {"static_list": str(node["id"])}


def _typed(text: str, kind: str) -> Any:
    """A custom field value typed like the field, so that 5 finds the number 5."""
    text = text.strip()
    if kind == CustomField.Type.NUMBER:
        try:
            return _number(Decimal(text))
        except ArithmeticError:
            return text
    if kind == CustomField.Type.BOOLEAN and text.lower() in ("yes", "no", "true", "false"):
        return text.lower() in ("yes", "true")
    return text


class CustomForm(ConditionForm):
    kind, title, menu = "custom", "Custom field", "Who"
    key = forms.ChoiceField(label="Field")  # type: ignore[assignment]  # a field, not the row key
    op = forms.ChoiceField(choices=[(o, FIELD_OP_LABELS[o]) for o in CUSTOM_OPS], label="")
    value = forms.CharField(label="Value", required=False, max_length=500)

    def setup(self) -> None:
        self.fields["key"].choices = [  # type: ignore[attr-defined]
            (key, label) for key, (label, _) in self.choices.custom_fields.items()
        ]

    def condition(self) -> dict[str, Any]:
        d = self.cleaned_data
        out: dict[str, Any] = {"kind": "custom", "key": d["key"], "op": d["op"]}
        kind = self.choices.custom_fields.get(d["key"], ("", "text"))[1]
        if d["op"] == "in":
            out["value"] = _split(d["value"])
        elif d["op"] in ("gt", "gte", "lt", "lte"):
            out["value"] = _typed(d["value"], CustomField.Type.NUMBER)
        elif d["op"] in ("eq", "ne"):
            out["value"] = _typed(d["value"], kind)
        elif d["op"] == "contains":
            out["value"] = d["value"]
        return out

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        value = node.get("value", "")
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        return {"key": node["key"], "op": node["op"], "value": str(value)}


class PersonFieldForm(ConditionForm):
    kind, title, menu = "field", "Person field", "Who"
    field = forms.ChoiceField(
        choices=[(f, f.replace("_", " ").capitalize()) for f in TEXT_FIELDS + DATE_FIELDS],
        label="Field",
    )
    op = forms.ChoiceField(
        choices=[(o, FIELD_OP_LABELS[o]) for o in dict.fromkeys(TEXT_OPS + DATE_OPS)], label=""
    )
    value = forms.CharField(label="Value", required=False, max_length=500)

    def condition(self) -> dict[str, Any]:
        d = self.cleaned_data
        out: dict[str, Any] = {"kind": "field", "field": d["field"], "op": d["op"]}
        value = d["value"].strip()
        if d["op"] == "in":
            out["value"] = _split(value)
        elif d["op"] in ("within_days", "not_within_days"):
            out["value"] = int(value) if value.isdigit() else value
        elif d["op"] not in ("blank", "present"):
            out["value"] = value
        return out

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        value = node.get("value", "")
        if isinstance(value, list):
            value = ", ".join(value)
        return {"field": node["field"], "op": node["op"], "value": str(value)}


class SampleForm(ConditionForm):
    kind, title, menu = "sample", "Random sample", "Universes"
    percent = forms.DecimalField(label="Percent of people", min_value=0, max_value=100,
                                 max_digits=6, decimal_places=3, initial=10)  # fmt: skip
    seed = forms.IntegerField(label="Seed", min_value=0, max_value=2**20 - 1, initial=1,
                              help_text="The same seed picks the same people.")  # fmt: skip

    def condition(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"kind": "sample", "percent": _number(d["percent"]), "seed": d["seed"]}

    @classmethod
    def initial_for(cls, node: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
        return {"percent": node["percent"], "seed": node["seed"]}


ROW_FORMS: dict[str, type[ConditionForm]] = {
    cls.kind: cls
    for cls in (
        TagsForm,
        GroupsForm,
        KnownByForm,
        CustomForm,
        PersonFieldForm,
        AddressForm,
        PostalForm,
        NearForm,
        ReachableForm,
        UnsubscribedForm,
        ActivityForm,
        StatForm,
        RungForm,
        SegmentForm,
        ListForm,
        SampleForm,
    )
}
MENU_ORDER = ["Who", "Where", "Reach", "Did", "Universes"]
