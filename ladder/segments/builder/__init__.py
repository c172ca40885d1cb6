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
from typing import Any

from django import forms

from ladder.core.models import User
from ladder.segments.builder.conditions import (
    MENU_ORDER,
    ROW_FORMS,
    Choices,
    ConditionForm,
)
from ladder.segments.filters import FilterError
from ladder.segments.models import Segment
from ladder.segments.services import definition_check

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
