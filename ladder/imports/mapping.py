"""Which column of a file goes where: the import targets, header aliases and mapping checks.

Headers are compared in a compact form (lower case, letters and digits only, camelCase split
first) so that "Email Address", "email_address", "EmailAddress" and "E-mail address" are one
header. The alias table covers the exports organizers actually have: Action Network,
NationBuilder, VAN, ActBlue and Mobilize.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from ladder.activity.catalogue import ActivityType


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    group: str


def _targets(group: str, *pairs: tuple[str, str]) -> list[Target]:
    return [Target(key, label, group) for key, label in pairs]


PERSON_TARGETS: list[Target] = [
    Target("ignore", "Ignore this column", ""),
    *_targets(
        "Name",
        ("first_name", "First name"),
        ("middle_name", "Middle name"),
        ("last_name", "Last name"),
        ("suffix", "Suffix"),
        ("full_name", "Full name (split into parts)"),
    ),
    *_targets(
        "Contact",
        ("email", "Email address"),
        ("phone", "Phone"),
        ("mobile_phone", "Mobile phone"),
        ("home_phone", "Home phone"),
        ("work_phone", "Work phone"),
    ),
    *_targets(
        "Address",
        ("line1", "Address line 1"),
        ("line2", "Address line 2"),
        ("locality", "City"),
        ("region", "State / region"),
        ("postal_code", "ZIP / postal code"),
        ("country", "Country"),
        ("county", "County"),
        ("congressional_district", "Congressional district"),
        ("state_upper_district", "State senate district"),
        ("state_lower_district", "State house district"),
        ("precinct", "Precinct"),
    ),
    *_targets(
        "Details",
        ("birthdate", "Birthdate"),
        ("employer", "Employer"),
        ("occupation", "Occupation"),
        ("source", "Source"),
        ("group", "Group (slug or name)"),
        ("tags", "Tags (comma or semicolon separated)"),
    ),
    *_targets(
        "External ids",
        ("external:van", "VAN id"),
        ("external:voterfile", "Voter file id"),
        ("external:actblue", "ActBlue id"),
        ("external:actionnetwork", "Action Network id"),
        ("external:nationbuilder", "NationBuilder id"),
        ("external:mobilize", "Mobilize id"),
    ),
    *_targets(
        "Consent (only when chosen here)",
        ("email_consent", "Email consent (yes / no)"),
        ("sms_consent", "Text message consent (yes / no)"),
    ),
]

ACTIVITY_TARGETS: list[Target] = _targets(
    "Activity",
    ("occurred_at", "Date / time"),
    ("amount", "Amount"),
    ("reference", "Reference (receipt id, order number, line item…)"),
    ("refcode", "Refcode / source code"),
    ("result", "Result"),
)

# Every fixed target, in the order the mapping screen shows them.
TARGETS: list[Target] = [*PERSON_TARGETS, *ACTIVITY_TARGETS]
TARGET_KEYS = frozenset(t.key for t in TARGETS)
ACTIVITY_KEYS = frozenset(t.key for t in ACTIVITY_TARGETS)
PHONE_TARGETS = {
    "mobile_phone": "mobile",
    "phone": "other",
    "home_phone": "home",
    "work_phone": "work",
}
IDENTIFYING = frozenset({"email", *PHONE_TARGETS})
# Targets a file may map from several columns: their values are combined.
MULTI_TARGETS = frozenset({"ignore", "tags", "reference"})
# Consent is never proposed: it applies only when a person chooses it on the mapping screen.
NEVER_PROPOSED = frozenset({"email_consent", "sms_consent"})

_SYSTEM_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def compact(header: str) -> str:
    """One spelling per header: "Donor First Name", "donor_first_name" and "DonorFirstName"
    all become ``donorfirstname``."""
    split = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", header or "")
    return re.sub(r"[^0-9a-z]+", "", split.lower())


_ALIAS_TEXT: dict[str, Sequence[str]] = {
    "first_name": ["first name", "first", "given name", "fname", "donor first name", "first_name",
                   "name first", "contact first name", "supporter first name", "firstname"],
    "middle_name": ["middle name", "middle", "middle initial", "mi", "donor middle name"],
    "last_name": ["last name", "last", "surname", "family name", "lname", "donor last name",
                  "name last", "contact last name", "supporter last name", "lastname"],
    "suffix": ["suffix", "name suffix", "donor suffix"],
    "full_name": ["name", "full name", "display name", "donor name", "contact name",
                  "supporter name", "donor full name"],
    "email": ["email", "email address", "e-mail", "e-mail address", "donor email",
              "primary email", "email 1", "personal email", "user email", "contact email",
              "supporter email", "email1"],
    "phone": ["phone", "phone number", "telephone", "tel", "primary phone", "donor phone",
              "contact phone", "preferred phone", "phone 1", "phone1"],
    "mobile_phone": ["mobile phone", "cell phone", "cell", "cellphone", "mobile number",
                     "cell phone number", "mobile phone number", "sms phone", "cell number"],
    "home_phone": ["home phone", "landline", "home telephone", "home phone number"],
    "work_phone": ["work phone", "office phone", "business phone", "work phone number"],
    "line1": ["address", "address 1", "address line 1", "street address", "street",
              "mailing address", "addr1", "donor addr1", "home address", "primary address1",
              "address1", "mailing address 1", "street address 1"],
    "line2": ["address 2", "address line 2", "apt", "unit", "suite", "donor addr2", "addr2",
              "primary address2", "address2", "apartment"],
    "locality": ["city", "town", "locality", "donor city", "mailing city", "primary city"],
    "region": ["state", "state code", "province", "region", "st", "donor state", "mailing state",
               "primary state", "state abbreviation", "state province"],
    "postal_code": ["zip", "zip code", "zip5", "postal code", "postcode", "donor zip",
                    "zip postal code", "primary zip", "mailing zip", "zip 5", "postal"],
    "country": ["country", "country code", "donor country", "primary country"],
    "county": ["county", "county name"],
    "congressional_district": ["cd", "congressional district", "us house district",
                               "congressional district number"],
    "state_upper_district": ["sd", "state senate district", "senate district",
                             "state upper district", "upper district"],
    "state_lower_district": ["hd", "state house district", "house district", "ld",
                             "legislative district", "state lower district", "assembly district"],
    "precinct": ["precinct", "precinct name", "precinct code", "ward precinct"],
    "birthdate": ["dob", "birthdate", "birth date", "date of birth", "birthday"],
    "employer": ["employer", "donor employer", "employer name", "company"],
    "occupation": ["occupation", "donor occupation", "job title"],
    "source": ["source", "signup source", "lead source"],
    "group": ["group", "chapter", "team", "local group", "group slug"],
    "tags": ["tags", "tag list", "can2 user tags", "can2_user_tags", "tag_list", "user tags"],
    "external:van": ["vanid", "van id", "myc vanid", "mycampaign vanid", "my campaign vanid"],
    "external:voterfile": ["voter file vanid", "voterfile vanid", "state voter id", "voter id",
                           "state file id", "voterbase id", "statefileid"],
    "external:actblue": ["actblue id", "actblue donor id"],
    "external:actionnetwork": ["action network id", "action network uuid", "an id"],
    "external:nationbuilder": ["nationbuilder id", "nationbuilder_id", "nb id"],
    "external:mobilize": ["mobilize id", "mobilize user id"],
    "occurred_at": ["date", "timestamp", "created at", "created date", "donation date",
                    "date donated", "contribution date", "receipt date", "occurred at",
                    "date created", "timeslot start", "event date", "attended at", "datetime"],
    "amount": ["amount", "donation amount", "contribution amount", "gift amount", "total"],
    "reference": ["receipt id", "order number", "line item", "lineitem id", "line item id",
                  "transaction id", "donation id", "reference", "reference number",
                  "order id", "contribution id", "gift id", "timeslot id", "event id"],
    "refcode": ["refcode", "reference code", "source code", "ref code", "recurring refcode"],
    "result": ["result", "result code", "outcome", "disposition", "contact result"],
}  # fmt: skip

ALIASES: dict[str, str] = {
    compact(alias): target for target, aliases in _ALIAS_TEXT.items() for alias in aliases
}


def propose_mapping(
    headers: Iterable[str], *, kind: str = "people", custom_fields: dict[str, str] | None = None
) -> dict[str, str]:
    """A target for each header: aliases first, then existing custom fields, else ignore.

    ``custom_fields`` maps compact labels/keys to field keys; by default they are read from the
    database. A target is proposed for the first header that wants it; later ones are ignored.
    """
    if custom_fields is None:
        custom_fields = _custom_field_aliases()
    taken: set[str] = set()
    proposal: dict[str, str] = {}
    for header in headers:
        key = compact(header)
        target = ALIASES.get(key, "ignore")
        if target in ACTIVITY_KEYS and kind != "activities":
            target = "ignore"
        if target == "ignore" and key in custom_fields:
            target = f"custom:{custom_fields[key]}"
        if target in taken and target not in MULTI_TARGETS:
            target = "ignore"
        if target in NEVER_PROPOSED:
            target = "ignore"
        taken.add(target)
        proposal[header] = target
    return proposal


def _custom_field_aliases() -> dict[str, str]:
    from ladder.people.models import CustomField

    aliases: dict[str, str] = {}
    for key, label in CustomField.objects.values_list("key", "label"):
        aliases.setdefault(compact(label), key)
        aliases[compact(key)] = key
    return aliases


def targets_for(kind: str, mapping: dict[str, str] | None = None) -> list[Target]:
    """The choices for a mapping screen: the fixed targets for this kind of import, every custom
    field, and any ``tag:``/``external:`` targets the mapping already uses."""
    from ladder.people.models import CustomField

    targets = list(PERSON_TARGETS)
    if kind == "activities":
        targets += ACTIVITY_TARGETS
    known = {t.key for t in targets}
    for key, label in CustomField.objects.values_list("key", "label"):
        targets.append(Target(f"custom:{key}", label, "Custom fields"))
        known.add(f"custom:{key}")
    for value in (mapping or {}).values():
        if value not in known and value.startswith(("tag:", "external:")):
            prefix, _, rest = value.partition(":")
            label = f"Tag “{rest}” when yes" if prefix == "tag" else f"{rest} id"
            targets.append(Target(value, label, "Tags" if prefix == "tag" else "External ids"))
            known.add(value)
    return targets


def validate_mapping(
    mapping: dict[str, str], *, headers: Sequence[str], kind: str, custom_keys: set[str]
) -> dict[str, str]:
    """Check a mapping; return it complete (every header, unmapped ones ignored).

    Raises ValidationError with every problem found, in words a data manager understands.
    """
    errors: list[str] = []
    unknown_headers = [h for h in mapping if h not in headers]
    if unknown_headers:
        errors.append(f"The file has no column called {', '.join(map(repr, unknown_headers))}.")
    complete = {h: (mapping.get(h) or "ignore").strip() for h in headers}
    used: dict[str, str] = {}
    for header, target in complete.items():
        problem = _target_problem(target, kind=kind, custom_keys=custom_keys)
        if problem:
            errors.append(f"Column “{header}”: {problem}")
            continue
        if target in used and target not in MULTI_TARGETS and not target.startswith("tag:"):
            errors.append(
                f"Columns “{used[target]}” and “{header}” are both mapped to {target}; "
                "choose one of them."
            )
        used.setdefault(target, header)
    targets = set(complete.values())
    if not errors and not (
        targets & IDENTIFYING or any(t.startswith("external:") for t in targets)
    ):
        errors.append(
            "Map at least one column that identifies a person: an email address, a phone "
            "number or an external id such as a VAN id. A name alone is not enough."
        )
    if not errors and kind == "activities" and "occurred_at" not in targets:
        errors.append("Map the column that holds the date of each activity.")
    if errors:
        raise ValidationError(errors)
    return complete


def _target_problem(target: str, *, kind: str, custom_keys: set[str]) -> str:
    prefix, sep, rest = target.partition(":")
    if sep:
        rest = rest.strip()
        if prefix == "tag":
            if not rest or len(rest) > 100:
                return "a tag column needs a tag name of 1 to 100 characters."
            return ""
        if prefix == "custom":
            return "" if rest in custom_keys else f"there is no custom field “{rest}”."
        if prefix == "external":
            if _SYSTEM_RE.match(rest):
                return ""
            return "an external id system is a short name like van or actblue."
        return f"“{target}” is not something Ladder can import."
    if target not in TARGET_KEYS:
        return f"“{target}” is not something Ladder can import."
    if target in ACTIVITY_KEYS and kind != "activities":
        return f"{target} only applies to activity imports."
    return ""


def activity_type_problem(kind: str, activity_type: str | None) -> str:
    if kind not in ("people", "activities"):
        return f"Unknown kind of import “{kind}”: choose people or activities."
    if kind == "activities" and activity_type not in ActivityType.values:
        return f"Choose what the rows record; “{activity_type or ''}” is not an activity type."
    return ""
