"""The segment builder's state: a definition as rows of ordinary form controls, and back.

The builder edits the common shape of a universe — the top level matches all (or any) of a list
of conditions, each of which may be negated ("minus") — with one small Django form per row,
prefixed ``c<key>-``; the order of the rows is the ``rows`` field (keys, comma-separated), so
adding or removing a row never renumbers the others. A definition the rows cannot hold (nesting
beyond one level, a kind the menu does not offer) is edited as JSON instead ("advanced").

Everything lives in the submitted form: the server keeps no draft. Each change posts the whole
form, and the server answers with the count, the description and a preview.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.db.models import QuerySet

from ladder.activity.catalogue import ActivityType
from ladder.core.models import User
from ladder.people.models import CustomField, Tag
from ladder.people.selectors import groups_visible
from ladder.segments.filters import FilterError
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
from ladder.segments.services import definition_check

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

# The one-click exclusions: a label, and the condition that is added negated.
EXCLUSIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "high_dollar": ("Minus high-dollar donors",
                    {"kind": "stat", "field": "given_365d", "op": "gt", "value": 1000}),
    "contacted_week": ("Minus people contacted this week",
                       {"kind": "stat", "field": "last_contact_at", "op": "within_days",
                        "value": 7}),
    "unsubscribed": ("Minus anyone unsubscribed", {"kind": "unsubscribed", "channel": "email"}),
}  # fmt: skip


class TopForm(forms.Form):
    """The builder's own fields around the rows."""

    match = forms.ChoiceField(
        choices=[("all", "all of these"), ("any", "any of these")], initial="all",
        widget=forms.RadioSelect, label="People who match",
    )  # fmt: skip
    rows = forms.CharField(required=False, widget=forms.HiddenInput)
    mode = forms.ChoiceField(choices=[("rows", "rows"), ("json", "json")], initial="rows",
                             widget=forms.HiddenInput)  # fmt: skip
    definition_json = forms.CharField(
        required=False, label="Definition (JSON)", max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "mono not-live"}),
    )  # fmt: skip
    sample_size = forms.IntegerField(
        required=False, min_value=1, max_value=10_000_000, label="Limit to a random",
    )  # fmt: skip
    sample_seed = forms.IntegerField(required=False, min_value=0, max_value=2**20 - 1,
                                     label="Seed", initial=0)  # fmt: skip


@dataclass
class Row:
    key: int
    form: ConditionForm
    error: str = ""
    new: bool = False

    @property
    def kind(self) -> str:
        return self.form.kind

    @property
    def messages(self) -> list[str]:
        """What is wrong with the row: its form's errors, then the definition's."""
        out: list[str] = []
        form = self.form
        if form.is_bound and not form.is_valid():
            out.extend(str(e) for e in form.non_field_errors())
            for name, errors in form.errors.items():
                if name != "__all__":
                    out.extend(f"{form.fields[name].label or name}: {e}" for e in errors)
        if self.error:
            out.append(self.error)
        return out


@dataclass
class Builder:
    """What the builder shows: the rows (or the JSON), and what is wrong where."""

    choices: Choices
    match: str = "all"
    mode: str = "rows"
    rows: list[Row] = field(default_factory=list)
    json_text: str = ""
    sample_size: int | None = None
    sample_seed: int = 0
    json_error: str = ""
    error: str = ""
    top_errors: list[str] = field(default_factory=list)
    top_form: TopForm | None = None
    skipped: int = 0  # rows left out of a live count because they are not filled in yet
    counted_rows: list[Row] = field(default_factory=list)

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def from_definition(cls, definition: dict[str, Any], choices: Choices) -> Builder:
        """Rows for a parsed definition when they can hold it, JSON otherwise."""
        builder = cls(choices=choices)
        sample = definition.get("sample") or {}
        builder.sample_size = sample.get("size")
        builder.sample_seed = sample.get("seed", 0)
        builder.json_text = json.dumps(definition, indent=2)
        rows = cls._rows_for(definition["match"], choices)
        if rows is None:
            builder.mode = "json"
            return builder
        builder.match, builder.rows = rows
        return builder

    @staticmethod
    def _rows_for(match: dict[str, Any], choices: Choices) -> tuple[str, list[Row]] | None:
        top, children = (match["kind"], match["of"]) if match["kind"] in ("all", "any") else (
            "all", [match])  # fmt: skip
        rows = []
        for key, child in enumerate(children):
            minus = child["kind"] == "not"
            node = child["of"] if minus else child
            form_class = ROW_FORMS.get(node["kind"])
            if form_class is None:
                return None
            initial = form_class.initial_for(node, choices)
            if initial is None:
                return None
            initial["minus"] = minus
            rows.append(Row(key, form_class(initial=initial, choices=choices, key=key)))
        return top, rows

    @classmethod
    def from_post(cls, data: Any, choices: Choices) -> Builder:
        top = TopForm(data)
        builder = cls(choices=choices, top_form=top)
        if not top.is_valid():
            builder.top_errors = [f"{top.fields[n].label}: {e}" for n, es in top.errors.items()
                                  for e in es]  # fmt: skip
            cleaned = {k: top.cleaned_data.get(k) for k in TopForm.base_fields}
        else:
            cleaned = top.cleaned_data
        builder.match = cleaned.get("match") or "all"
        builder.mode = cleaned.get("mode") or "rows"
        builder.json_text = cleaned.get("definition_json") or ""
        builder.sample_size = cleaned.get("sample_size")
        builder.sample_seed = cleaned.get("sample_seed") or 0
        for raw in (data.get("rows") or "").split(","):
            if not raw.strip().isdigit():
                continue
            key = int(raw)
            form_class = ROW_FORMS.get(data.get(f"c{key}-kind", ""))
            if form_class is not None:
                builder.rows.append(Row(key, form_class(data, choices=choices, key=key)))
        return builder

    def add(self, kind: str, initial: dict[str, Any] | None = None) -> Row | None:
        form_class = ROW_FORMS.get(kind)
        if form_class is None:
            return None
        key = max((r.key for r in self.rows), default=-1) + 1
        form = form_class(initial=initial or {}, choices=self.choices, key=key)
        first = next(name for name in form.fields if name != "minus")
        form.fields[first].widget.attrs["autofocus"] = True  # htmx focuses it after the swap
        row = Row(key, form, new=True)
        self.rows.append(row)
        return row

    def remove(self, key: int) -> None:
        self.rows = [r for r in self.rows if r.key != key]

    def exclude(self, name: str) -> None:
        if name not in EXCLUSIONS:
            return
        _, node = EXCLUSIONS[name]
        initial = ROW_FORMS[node["kind"]].initial_for(node, self.choices) or {}
        self.add(node["kind"], {**initial, "minus": True})

    # -- reading -------------------------------------------------------------------------------
    def _from_rows(self, *, strict: bool) -> dict[str, Any] | None:
        """The definition the rows make. Rows that are not filled in correctly carry their
        errors; unless ``strict`` (saving), they are left out so that the count stays live
        while someone is still filling a row in, and the builder says how many were left out."""
        conditions = []
        self.counted_rows = []
        skipped = 0
        for row in self.rows:
            form = row.form
            if not form.is_bound:
                # A row just added from its initial values: read those, show no errors yet.
                data = {form.add_prefix(k): v for k, v in form.initial.items()}
                form = type(form)(_as_data(data), choices=self.choices, key=row.key)
            if not form.is_valid():
                skipped += 1
                continue
            node = form.condition()
            conditions.append({"kind": "not", "of": node} if form.cleaned_data["minus"] else node)
            self.counted_rows.append(row)
        if skipped and strict:
            self.error = "Some conditions are not filled in correctly (see above)."
            return None
        if skipped:
            self.skipped = skipped
        definition: dict[str, Any] = {"version": 1,
                                      "match": {"kind": self.match, "of": conditions}}  # fmt: skip
        if self.sample_size:
            definition["sample"] = {"size": self.sample_size, "seed": self.sample_seed}
        return definition

    def definition(
        self, user: User, *, segment: Segment | None = None, strict: bool = True
    ) -> dict[str, Any] | None:
        """The parsed, checked definition; None (with errors set where they belong) if the
        form does not make one. ``strict=False`` leaves out rows still being filled in."""
        if self.top_errors:
            self.error = "; ".join(self.top_errors)
            return None
        if self.mode == "json":
            try:
                data = json.loads(self.json_text or "null")
            except json.JSONDecodeError as exc:
                self.json_error = (
                    f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
                )
                return None
        else:
            data = self._from_rows(strict=strict)
            if data is None:
                return None
        try:
            definition = definition_check(user, data, segment=segment)
        except FilterError as exc:
            self._place(exc)
            return None
        if self.mode == "rows":
            self.json_text = json.dumps(definition, indent=2)
        return definition

    def _place(self, exc: FilterError) -> None:
        """Put a FilterError next to the row (or the JSON) it is about."""
        if self.mode == "json":
            self.json_error = f"{exc.path}: {exc.message}" if exc.path else exc.message
            return
        found = re.match(r"match\.of\[(\d+)\](?:\.of)?\.?(.*)", exc.path or "")
        if found and int(found.group(1)) < len(self.counted_rows):
            where = found.group(2)
            row = self.counted_rows[int(found.group(1))]
            row.error = f"{where}: {exc.message}" if where else exc.message
        else:
            self.error = f"{exc.path}: {exc.message}" if exc.path else exc.message

    def apply_json(self, user: User) -> None:
        """The JSON edited in "advanced" becomes the builder's state: rows when they can hold
        it, otherwise JSON mode. A bad JSON leaves the rows alone and says what is wrong."""
        self.mode = "json"
        definition = self.definition(user)
        if definition is None:
            return
        fresh = Builder.from_definition(definition, self.choices)
        self.mode, self.match, self.rows = fresh.mode, fresh.match, fresh.rows
        self.sample_size, self.sample_seed = fresh.sample_size, fresh.sample_seed
        self.json_text = json.dumps(definition, indent=2)

    @property
    def row_keys(self) -> str:
        return ",".join(str(r.key) for r in self.rows)

    def menu(self) -> list[tuple[str, list[tuple[str, str]]]]:
        sections: dict[str, list[tuple[str, str]]] = {name: [] for name in MENU_ORDER}
        for kind, form_class in ROW_FORMS.items():
            if kind == "rung" and not self.choices.rungs:
                continue
            if kind == "segment" and not self.choices.segments:
                continue
            if kind == "list" and not self.choices.lists:
                continue
            if kind == "custom" and not self.choices.custom_fields:
                continue
            sections[form_class.menu].append((kind, form_class.title))
        return [(name, items) for name, items in sections.items() if items]

    def exclusions(self) -> list[tuple[str, str]]:
        return [(name, label) for name, (label, _) in EXCLUSIONS.items()]


def _as_data(values: dict[str, Any]) -> Any:
    """Initial values as submitted form data (lists stay lists, booleans become "on")."""
    from django.utils.datastructures import MultiValueDict

    data: MultiValueDict[str, str] = MultiValueDict()
    for key, value in values.items():
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data.setlist(key, [str(v) for v in value])
        elif value is not None:
            data[key] = str(value)
    return data


__all__ = ["EXCLUSIONS", "ROW_FORMS", "Builder", "Choices", "ConditionForm", "Row", "TopForm"]
