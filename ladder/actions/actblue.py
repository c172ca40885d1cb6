"""ActBlue: its webhook (one JSON post per contribution line item, Basic auth) and its CSV
export, both read into the same `Line` and applied by the same service, so that a gift told
twice — a replayed webhook, a CSV re-imported, the webhook then the CSV — is one gift.

A line is identified by ActBlue's order number and line item id. It carries the donor (matched
or created by the import's rules), the amount, when it was paid, its refcode (a fundraising
page's ``fundraiser-<slug>`` credits that page), whether it recurs, and, when ActBlue says so,
that it was refunded or that its recurring series was cancelled.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ladder.actions.gifts import gift_record, gift_refund, series_cancel
from ladder.actions.models import ActionPage, FundraisingPage, Gift
from ladder.people.normalize import InvalidContact, normalise_email, normalise_phone
from ladder.people.services import supporter_upsert

log = logging.getLogger(__name__)
PROCESSOR = "actblue"
FUNDRAISER_REFCODE = "fundraiser-"


class BadLine(ValueError):
    """A line that cannot be recorded: ``field`` names what is wrong (a CSV column, a JSON
    path) and the message says how."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Line:
    order_number: str
    line_item: str
    amount: Decimal
    paid_at: dt.datetime
    email: str
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    postal_code: str = ""
    refcode: str = ""
    form: str = ""  # ActBlue's contribution form: matched to a donation page
    recurring: bool = False
    refunded_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Applied:
    gift: Gift
    new_gift: bool
    refunded: bool
    cancelled: bool


def _money(raw: object, where: str) -> Decimal:
    try:
        amount = Decimal(str(raw).replace("$", "").replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise BadLine(where, f"not an amount: {raw!r}") from None
    if not amount.is_finite() or amount <= 0 or amount > Decimal("1000000"):
        raise BadLine(where, f"not an amount: {raw!r}")
    return amount.quantize(Decimal("0.01"))


def _moment(raw: object, where: str, *, required: bool = True) -> dt.datetime | None:
    text = str(raw or "").strip()
    if not text:
        if required:
            raise BadLine(where, "missing")
        return None
    moment = parse_datetime(text.replace(" ", "T", 1) if "T" not in text else text)
    if moment is None:
        try:
            day = dt.date.fromisoformat(text[:10])
        except ValueError:
            raise BadLine(where, f"not a date: {text!r}") from None
        moment = dt.datetime.combine(day, dt.time(12))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _email(raw: object, where: str) -> str:
    try:
        return normalise_email(str(raw or ""))
    except InvalidContact as exc:
        raise BadLine(where, str(exc)) from None


def _phone(raw: object) -> str:
    try:
        return normalise_phone(str(raw or "")) if str(raw or "").strip() else ""
    except InvalidContact:
        return ""  # a phone ActBlue passed on that we cannot read: keep the gift, drop it


# ---- The webhook ------------------------------------------------------------------------


def lines_from_webhook(payload: Mapping[str, Any], kind: str = "") -> list[Line]:
    """The lines of one webhook post. ``kind`` "refunds" or "cancellations" is the webhook's
    own type (ActBlue sends each to its own address); otherwise it is read from the post."""
    donor = payload.get("donor") or {}
    contribution = payload.get("contribution") or {}
    items = payload.get("lineitems") or []
    if not isinstance(donor, Mapping) or not isinstance(contribution, Mapping):
        raise BadLine("donor", "the post has no donor or contribution object")
    if not isinstance(items, list) or not items:
        raise BadLine("lineitems", "the post has no line items")
    order = str(contribution.get("orderNumber") or "").strip()
    if not order:
        raise BadLine("contribution.orderNumber", "missing")
    refcodes = contribution.get("refcodes") or {}
    refcode = str(
        (refcodes.get("refcode") if isinstance(refcodes, Mapping) else "")
        or contribution.get("refcode")
        or ""
    )
    period = str(contribution.get("recurringPeriod") or "once").lower()
    cancelled = contribution.get("cancelledAt") or (
        contribution.get("createdAt") if kind == "cancellations" else None
    )
    lines = []
    for n, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise BadLine(f"lineitems[{n}]", "not an object")
        line_id = str(item.get("lineitemId") or "").strip()
        if not line_id:
            raise BadLine(f"lineitems[{n}].lineitemId", "missing")
        refunded = item.get("refundedAt") or (
            item.get("paidAt") or contribution.get("createdAt") if kind == "refunds" else None
        )
        lines.append(
            Line(
                order_number=order,
                line_item=line_id,
                amount=_money(item.get("amount"), f"lineitems[{n}].amount"),
                paid_at=_moment(
                    item.get("paidAt") or contribution.get("createdAt"), f"lineitems[{n}].paidAt"
                )
                or timezone.now(),
                email=_email(donor.get("email"), "donor.email"),
                first_name=str(donor.get("firstname") or "")[:100],
                last_name=str(donor.get("lastname") or "")[:100],
                phone=_phone(donor.get("phone")),
                postal_code=str(donor.get("zip") or "")[:20],
                refcode=refcode[:120],
                form=str(contribution.get("contributionForm") or ""),
                recurring=period not in ("once", "", "none"),
                refunded_at=_moment(refunded, f"lineitems[{n}].refundedAt", required=False),
                cancelled_at=_moment(cancelled, "contribution.cancelledAt", required=False),
            )
        )
    return lines


# ---- The CSV ------------------------------------------------------------------------------

# ActBlue's column names, and what each becomes (the first present wins).
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "order_number": ("Receipt ID", "Order Number"),
    "line_item": ("Lineitem ID", "Line Item ID"),
    "amount": ("Amount",),
    "paid_at": ("Date", "Paid At"),
    "email": ("Donor Email",),
    "first_name": ("Donor First Name",),
    "last_name": ("Donor Last Name",),
    "phone": ("Donor Phone",),
    "postal_code": ("Donor ZIP",),
    "refcode": ("Reference Code",),
    "form": ("Fundraising Page",),
    "recurring_months": ("Recurring Total Months",),
    "refunded_at": ("Refund Date",),
    "cancelled_at": ("Recurring Cancel Date",),
}
REQUIRED = ("order_number", "line_item", "amount", "paid_at", "email")


@dataclass
class CsvProblem:
    row: int
    column: str
    message: str


def csv_columns(headers: list[str]) -> dict[str, str]:
    """Which CSV header each field is read from; BadLine when a required one is missing."""
    present = {h.strip().lower(): h for h in headers}
    found = {}
    for name, candidates in CSV_COLUMNS.items():
        for candidate in candidates:
            if candidate.lower() in present:
                found[name] = present[candidate.lower()]
                break
    missing = [CSV_COLUMNS[n][0] for n in REQUIRED if n not in found]
    if missing:
        raise BadLine(missing[0], f"the file has no “{missing[0]}” column (is it ActBlue's?)")
    return found


def line_from_row(row: Mapping[str, str], columns: dict[str, str]) -> Line:
    def get(name: str) -> str:
        return (row.get(columns[name]) or "").strip() if name in columns else ""

    months = get("recurring_months")
    return Line(
        order_number=get("order_number") or _missing(columns["order_number"]),
        line_item=get("line_item") or _missing(columns["line_item"]),
        amount=_money(get("amount"), columns["amount"]),
        paid_at=_moment(get("paid_at"), columns["paid_at"]) or timezone.now(),
        email=_email(get("email"), columns["email"]),
        first_name=get("first_name")[:100],
        last_name=get("last_name")[:100],
        phone=_phone(get("phone")),
        postal_code=get("postal_code")[:20],
        refcode=get("refcode")[:120],
        form=get("form"),
        recurring=months not in ("", "0", "1"),
        refunded_at=_moment(get("refunded_at"), columns.get("refunded_at", ""), required=False),
        cancelled_at=_moment(get("cancelled_at"), columns.get("cancelled_at", ""), required=False),
    )


def _missing(column: str) -> str:
    raise BadLine(column, "missing")


def rows_from_csv(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, row) of an ActBlue CSV; the header is row 1."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    for n, row in enumerate(reader, start=2):
        if any((v or "").strip() for v in row.values()):
            yield n, {k.strip(): (v or "") for k, v in row.items() if k is not None}


# ---- Applying a line ----------------------------------------------------------------------


def _page_for(form: str) -> ActionPage | None:
    if not form:
        return None
    return (
        ActionPage.objects.filter(
            kind=ActionPage.Kind.DONATION,
            processor=PROCESSOR,
            processor_url__endswith=f"/donate/{form}",
        )
        .order_by("pk")
        .first()
    )


def _fundraiser_for(refcode: str) -> FundraisingPage | None:
    if not refcode.startswith(FUNDRAISER_REFCODE):
        return None
    return (
        FundraisingPage.objects.select_related("campaign")
        .filter(slug=refcode.removeprefix(FUNDRAISER_REFCODE))
        .first()
    )


@transaction.atomic
def actblue_apply(line: Line) -> Applied:
    """Record a line (once), then its refund and its series' cancellation (once each)."""
    person, _ = supporter_upsert(
        actor=None, email=line.email, phone=line.phone, first_name=line.first_name,
        last_name=line.last_name, postal_code=line.postal_code, source="actblue",
    )  # fmt: skip
    fundraiser = _fundraiser_for(line.refcode)
    page = fundraiser.campaign if fundraiser else _page_for(line.form)
    recorded = gift_record(
        person=person, amount=line.amount, processor=PROCESSOR, status=Gift.Status.PAID,
        occurred_at=line.paid_at, page=page, fundraiser=fundraiser,
        referrer=fundraiser.owner if fundraiser and fundraiser.owner_id != person.pk else None,
        order_number=line.order_number, line_item=line.line_item, recurring=line.recurring,
        series=line.order_number if line.recurring else "", refcode=line.refcode,
    )  # fmt: skip
    refunded = bool(line.refunded_at) and gift_refund(
        gift=recorded.gift, occurred_at=line.refunded_at, reason="ActBlue refund"
    )
    cancelled = bool(line.cancelled_at) and series_cancel(
        person=person, processor=PROCESSOR, series=line.order_number,
        occurred_at=line.cancelled_at,
    )  # fmt: skip
    return Applied(recorded.gift, recorded.new, refunded, cancelled)


@dataclass
class CsvResult:
    rows: int = 0
    new_gifts: int = 0
    already_known: int = 0
    refunds: int = 0
    cancellations: int = 0
    problems: list[CsvProblem] = field(default_factory=list)


def actblue_csv_import(rows: Iterable[tuple[int, dict[str, str]]]) -> CsvResult:
    """Apply every row of an ActBlue CSV, each in its own transaction. A bad row is reported
    with its row and column and skipped; the others are recorded."""
    result = CsvResult()
    columns: dict[str, str] | None = None
    for number, row in rows:
        if columns is None:
            columns = csv_columns(list(row))
        result.rows += 1
        try:
            applied = actblue_apply(line_from_row(row, columns))
        except BadLine as problem:
            result.problems.append(CsvProblem(number, problem.field, problem.message))
            continue
        if applied.new_gift:
            result.new_gifts += 1
        else:
            result.already_known += 1
        result.refunds += int(applied.refunded)
        result.cancellations += int(applied.cancelled)
    return result


__all__ = [
    "Applied",
    "BadLine",
    "CsvProblem",
    "CsvResult",
    "Line",
    "actblue_apply",
    "actblue_csv_import",
    "csv_columns",
    "line_from_row",
    "lines_from_webhook",
    "rows_from_csv",
]
