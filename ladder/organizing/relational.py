"""Relational organizing: a volunteer's own contacts, matched to the people Ladder knows.

A volunteer uploads their contacts — a CSV (name, email, phone, postal code columns, as
phones and mail programs export them) or a vCard file — or adds them one by one. Each contact
is matched by email, then phone (when exactly one person has it), then name and postal code;
a match becomes a `Relationship` (the volunteer knows them), and a contact Ladder has never
seen becomes a new person, known by the volunteer, with no consent recorded. A row with
nothing to match on (no email, no phone, no name with a postal code) is reported with its row
number and skipped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from ladder.activity.catalogue import ActivityType
from ladder.activity.services import activity_record
from ladder.core.models import User
from ladder.people.models import Address, Person, Relationship
from ladder.people.normalize import InvalidContact, normalise_email, normalise_phone
from ladder.people.selectors import person_match
from ladder.people.services import person_create

MAX_CONTACTS = 5000
HEADERS = {
    "first_name": ("first name", "first", "given name", "firstname", "first_name"),
    "last_name": ("last name", "last", "family name", "surname", "lastname", "last_name"),
    "name": ("name", "full name", "display name"),
    "email": ("email", "e-mail", "email address", "e-mail address", "e-mail 1 - value"),
    "phone": ("phone", "mobile", "mobile phone", "phone number", "cell", "phone 1 - value"),
    "postal_code": ("zip", "zip code", "postal code", "postcode", "postal_code"),
}


@dataclass
class Contact:
    row: int
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    postal_code: str = ""


@dataclass
class Uploaded:
    matched: list[Person] = field(default_factory=list)
    added: list[Person] = field(default_factory=list)
    unusable: list[int] = field(default_factory=list)  # row numbers

    @property
    def known(self) -> list[Person]:
        return self.matched + self.added


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = " ".join(name.split()).partition(" ")
    return first, last


def contacts_from_csv(text: str) -> list[Contact]:
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    columns = {
        name: next((i for i, h in enumerate(header) if h in aliases), None)
        for name, aliases in HEADERS.items()
    }
    if all(i is None for i in columns.values()):
        raise ValidationError(
            {"file": "No column to match on: the first row needs headers such as name, email, "
                     "phone or zip."}
        )  # fmt: skip
    found = []
    for row_number, row in enumerate(reader, start=2):

        def cell(name: str, row: list[str] = row) -> str:
            index = columns[name]
            return row[index].strip() if index is not None and index < len(row) else ""

        first, last = cell("first_name"), cell("last_name")
        if not first and not last and cell("name"):
            first, last = _split_name(cell("name"))
        found.append(Contact(row_number, first, last, cell("email"), cell("phone"),
                             cell("postal_code")))  # fmt: skip
    return found


def contacts_from_vcard(text: str) -> list[Contact]:
    """vCard 2.1–4.0: one contact per BEGIN:VCARD … END:VCARD, with N or FN, EMAIL, TEL and
    the postal code of ADR (its sixth part)."""
    found: list[Contact] = []
    current: Contact | None = None
    unfolded = text.replace("\r\n ", "").replace("\n ", "")
    for line_number, raw in enumerate(unfolded.splitlines(), start=1):
        name, _, value = raw.partition(":")
        key = name.split(";", 1)[0].strip().upper()
        if key == "BEGIN":
            current = Contact(line_number)
        elif key == "END" and current is not None:
            found.append(current)
            current = None
        elif current is None:
            continue
        elif key == "N" and not current.first_name:
            parts = value.split(";")
            current.last_name = parts[0].strip()
            current.first_name = parts[1].strip() if len(parts) > 1 else ""
        elif key == "FN" and not (current.first_name or current.last_name):
            current.first_name, current.last_name = _split_name(value)
        elif key == "EMAIL" and not current.email:
            current.email = value.strip()
        elif key == "TEL" and not current.phone:
            current.phone = value.strip().removeprefix("tel:")
        elif key == "ADR" and not current.postal_code:
            parts = value.split(";")
            current.postal_code = parts[5].strip() if len(parts) > 5 else ""
    return found


def contacts_parse(data: bytes, filename: str) -> list[Contact]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if filename.lower().endswith((".vcf", ".vcard")) or text.lstrip().upper().startswith(
        "BEGIN:VCARD"
    ):
        contacts = contacts_from_vcard(text)
    else:
        contacts = contacts_from_csv(text)
    if not contacts:
        raise ValidationError({"file": "The file holds no contacts."})
    if len(contacts) > MAX_CONTACTS:
        raise ValidationError({"file": f"At most {MAX_CONTACTS:,} contacts at a time."})
    return contacts


def _by_name(contact: Contact) -> Person | None:
    if not (contact.first_name and contact.last_name and contact.postal_code):
        return None
    people = list(
        Person.objects.filter(
            first_name__iexact=contact.first_name,
            last_name__iexact=contact.last_name,
            addresses__postal_code__startswith=contact.postal_code[:5],
            merged_into__isnull=True,
        ).distinct()[:2]
    )
    return people[0] if len(people) == 1 else None


def volunteer_person(user: User) -> Person:
    """The person record of a login, made when it has none (a volunteer's own profile)."""
    person = Person.objects.filter(user=user).first()
    if person is None:
        person = person_create(
            actor=user, first_name=user.first_name or user.username, last_name=user.last_name,
            source="login", user=user,
        )  # fmt: skip
    return person


@transaction.atomic
def contacts_add(*, actor: User, contacts: list[Contact], how: str = "contacts") -> Uploaded:
    knower = volunteer_person(actor)
    done = Uploaded()
    for contact in contacts:
        email = phone = ""
        try:
            email = normalise_email(contact.email) if contact.email else ""
        except InvalidContact:
            email = ""
        try:
            phone = normalise_phone(contact.phone) if contact.phone else ""
        except InvalidContact:
            phone = ""
        named = bool(contact.first_name or contact.last_name)
        if not email and not phone and not (named and contact.postal_code):
            done.unusable.append(contact.row)
            continue
        found = person_match(email=email, phone=phone) or _by_name(contact)
        if found is not None and found.pk == knower.pk:
            continue
        if found is None:
            found = person_create(
                actor=actor, first_name=contact.first_name[:100],
                last_name=contact.last_name[:100], email=email or None, phone=phone or None,
                source=f"relational: {actor.username}"[:200],
            )  # fmt: skip
            if contact.postal_code:  # what the next upload will know them by
                Address.objects.create(
                    person=found, postal_code=contact.postal_code[:20], is_primary=True
                )
            done.added.append(found)
        else:
            done.matched.append(found)
        Relationship.objects.get_or_create(knower=knower, person=found, defaults={"how": how})
    if not done.known and done.unusable:
        raise ValidationError(
            {"file": "No contact could be matched: each needs an email, a phone, or a name "
                     "with a postal code."}
        )  # fmt: skip
    return done


def relational_touch(*, actor: User, person: Person, note: str = "") -> None:
    """The volunteer talked with someone they know: a relational touch, by them."""
    activity_record(
        person=person, type=ActivityType.RELATIONAL_TOUCH, actor=actor,
        payload={"note": note.strip()} if note.strip() else {},
    )  # fmt: skip
