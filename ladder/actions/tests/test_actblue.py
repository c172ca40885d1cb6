"""ActBlue's webhook and CSV, and that they agree: the same contribution told twice — a replayed
post, a re-imported file, the webhook then the file — is one gift; refunds and cancelled series
once each; bad or unauthenticated posts are refused with a clear answer and a log line."""

from __future__ import annotations

import base64
import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from ladder.actions.gifts import fundraiser_create
from ladder.actions.models import FundraisingPage, Gift
from ladder.actions.tests.testing import make_campaign
from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity
from ladder.people.models import Person

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("actblue_credentials"),
]

POST: dict[str, Any] = {
    "donor": {"firstname": "Ann", "lastname": "Lee", "email": "ANN@example.org ",
              "phone": "515-555-0142", "zip": "50309"},
    "contribution": {"createdAt": "2026-11-30T19:04:11-06:00", "orderNumber": "AB998877",
                     "contributionForm": "prairie-forward", "refcodes": {"refcode": "email-nov"},
                     "recurringPeriod": "once"},
    "lineitems": [{"sequence": 1, "lineitemId": 5511, "amount": "35.00",
                   "paidAt": "2026-11-30T19:04:12-06:00"}],
}  # fmt: skip


@pytest.fixture
def actblue_credentials():  # type: ignore[no-untyped-def]
    with override_settings(LADDER_ACTBLUE_USER="actblue", LADDER_ACTBLUE_PASSWORD="s3cret"):
        yield


def auth(user: str = "actblue", password: str = "s3cret") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def hook(body: Any, path: str = "/hooks/actblue/", **headers: str):  # type: ignore[no-untyped-def]
    data = body if isinstance(body, str) else json.dumps(body)
    return Client().post(path, data, content_type="application/json",
                         headers=headers or auth())  # fmt: skip


def test_a_replayed_post_is_one_gift(staff_user):
    form = "https://secure.actblue.com/donate/prairie-forward"
    page = make_campaign(staff_user, processor="actblue", processor_url=form)
    first = hook(POST)
    assert first.status_code == 200 and first.json()["recorded"] == 1
    again = hook(POST)
    assert again.status_code == 200 and again.json() == {
        "recorded": 0, "already_recorded": 1, "refunded": 0, "cancelled": 0}  # fmt: skip
    gift = Gift.objects.get()
    assert (gift.order_number, gift.line_item, gift.amount) == ("AB998877", "5511",
                                                                Decimal("35.00"))  # fmt: skip
    assert gift.page == page and gift.refcode == "email-nov"
    person = Person.objects.get()
    assert person.emails.get().address == "ann@example.org"
    assert person.phones.get().number == "+15155550142"
    assert Activity.objects.filter(type=T.DONATION, person=person).count() == 1
    page.refresh_from_db()
    assert page.amount_raised == Decimal("35.00")


def test_refunds_and_cancellations_once_each(staff_user):
    hook(POST)
    refund = copy.deepcopy(POST)
    refund["lineitems"][0]["refundedAt"] = "2026-12-01T09:00:00-06:00"
    assert hook(refund, "/hooks/actblue/refunds/").json()["refunded"] == 1
    assert hook(refund, "/hooks/actblue/refunds/").json()["refunded"] == 0
    assert Gift.objects.get().status == "refunded"
    assert Activity.objects.filter(type=T.DONATION_REFUND).count() == 1
    monthly = copy.deepcopy(POST)
    monthly["contribution"] |= {"orderNumber": "AB1", "recurringPeriod": "monthly"}
    monthly["lineitems"][0]["lineitemId"] = 7
    hook(monthly)
    cancel = copy.deepcopy(monthly)
    cancel["contribution"]["cancelledAt"] = "2026-12-01T10:00:00-06:00"
    assert hook(cancel, "/hooks/actblue/cancellations/").json()["cancelled"] == 1
    assert hook(cancel, "/hooks/actblue/cancellations/").json()["cancelled"] == 0
    assert Activity.objects.filter(type=T.RECURRING_CANCELLED).count() == 1
    assert Gift.objects.count() == 2


def test_a_fundraising_refcode_credits_the_page(staff_user):
    campaign = make_campaign(staff_user, processor="actblue",
                             processor_url="https://secure.actblue.com/donate/pf")  # fmt: skip
    mine, _ = fundraiser_create(campaign=campaign, email="rosa@example.org", first_name="Rosa",
                                goal=Decimal("100"))  # fmt: skip
    post = copy.deepcopy(POST)
    post["contribution"]["refcodes"] = {"refcode": f"fundraiser-{mine.slug}"}
    hook(post)
    mine = FundraisingPage.objects.get(pk=mine.pk)
    assert (mine.raised, mine.donors) == (Decimal("35.00"), 1)
    assert Gift.objects.get().referrer == mine.owner


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("not json", 400, "The body is not JSON."),
        ([1, 2], 400, "not a JSON object"),
        ({"donor": {}, "contribution": {}, "lineitems": []}, 400, "no line items"),
        ({**POST, "contribution": {**POST["contribution"], "orderNumber": ""}}, 400,
         "contribution.orderNumber: missing"),
        ({**POST, "donor": {**POST["donor"], "email": "nope"}}, 400, "donor.email"),
        ({**POST, "lineitems": [{"lineitemId": 1, "amount": "lots"}]}, 400,
         "lineitems[0].amount: not an amount"),
    ],
)  # fmt: skip
def test_bad_posts_are_refused_with_the_reason(body, status, message, caplog):
    response = hook(body)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert "ActBlue webhook refused" in caplog.text
    assert not Gift.objects.exists()


def test_credentials_are_required(caplog):
    assert hook(POST, **auth(password="wrong")).status_code == 401
    response = Client().post("/hooks/actblue/", json.dumps(POST), content_type="application/json")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic")
    assert Client().get("/hooks/actblue/").status_code == 405
    assert "bad credentials" in caplog.text and not Gift.objects.exists()
    with override_settings(LADDER_ACTBLUE_PASSWORD=""):
        assert hook(POST).status_code == 503


CSV = (
    "Receipt ID,Date,Amount,Recurring Total Months,Donor First Name,Donor Last Name,"
    "Donor Email,Donor Phone,Donor ZIP,Reference Code,Fundraising Page,Lineitem ID,Refund Date\n"
    "AB998877,2026-11-30 19:04:12,35.00,,Ann,Lee,ann@example.org,5155550142,50309,email-nov,"
    "prairie-forward,5511,\n"
    "AB1000,2026-11-29 08:00:00,10.00,12,June,Olsen,june@example.org,,50310,monthly,"
    "prairie-forward,6001,\n"
    "AB1001,2026-11-28 08:00:00,20.00,,Kim,Ng,kim@example.org,,,,prairie-forward,6002,"
    "2026-11-29 10:00:00\n"
    "AB1002,2026-11-28 08:00:00,twenty,,Bo,Rex,bo@example.org,,,,prairie-forward,6003,\n"
    "AB1003,not a date,5.00,,Al,Ek,al@example.org,,,,prairie-forward,6004,\n"
)


def test_the_csv_agrees_with_the_webhook_and_reports_bad_rows(tmp_path: Path):
    hook(POST)  # the first line came by webhook last night
    path = tmp_path / "actblue.csv"
    path.write_text(CSV, encoding="utf-8")
    with pytest.raises(CommandError, match="2 rows could not be imported"):
        call_command("actblue", "import", str(path))
    assert Gift.objects.count() == 3  # the webhook's line is not recorded twice
    assert Gift.objects.get(order_number="AB1001").status == "refunded"
    assert Gift.objects.get(order_number="AB1000").recurring
    # Importing the same file again adds nothing.
    with pytest.raises(CommandError):
        call_command("actblue", "import", str(path))
    assert Gift.objects.count() == 3
    assert Activity.objects.filter(type=T.DONATION).count() == 3
    assert Activity.objects.filter(type=T.DONATION_REFUND).count() == 1


def test_the_csv_problems_name_row_and_column(tmp_path: Path, capsys):
    path = tmp_path / "actblue.csv"
    path.write_text(CSV, encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("actblue", "import", str(path))
    err = capsys.readouterr().err
    assert "row 5, column “Amount”: not an amount: 'twenty'" in err
    assert "row 6, column “Date”: not a date: 'not a date'" in err
    wrong = tmp_path / "other.csv"
    wrong.write_text("Name,Email\nAnn,ann@example.org\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no “Receipt ID” column"):
        call_command("actblue", "import", str(wrong))
