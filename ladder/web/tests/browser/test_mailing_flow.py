"""Scenario 3, the digital director's Tuesday, end to end in a real browser and over real SMTP.

Staff compose a mailing to "everyone who cares about schools" with two subjects and two bodies
in Chromium (with the content security policy enforced, so the live count and preview work
the way they will in production), a bad merge field is refused next to its body, and the mail
goes out through the worker's steps, run here in-process, to an SMTP sink on a free port. Half
the audience gets the four variants; the rest is held. One supporter's message is read back
from the sink's .eml file, its tracked link followed in the browser to the school-funding
petition, which she signs. Folding the hits and attributing the action, the report shows the
click and the action, and so does her profile. When the test's time is up the winner goes to
the rest: everyone in the segment got exactly one message, nobody outside it got any, and
everyone held back got the winner's subject.

Screenshots of every screen (1366 px; the report at 390 px too) go to /tmp/mailing-shots/.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, cast

import pytest
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from ladder.actions.tests.testing import make_page
from ladder.core.mailsink import MailSink
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.mailings import merge, sending
from ladder.mailings.fold import MACHINE_SECONDS, attribution_fold, tracking_fold
from ladder.mailings.message_ids import delivery_from_message_id
from ladder.mailings.models import Delivery, Mailing
from ladder.mailings.tests.testing import sender, smtp_to, subscriber
from ladder.mailings.tracking import flush
from ladder.people.models import Person, Tag
from ladder.segments.models import Segment
from ladder.web.tests.browser.test_import_flow import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/mailing-shots")
# Not "HeadlessChrome": link scanners say that, and their clicks count for nothing.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
NAMES = ["Rosa", "June", "Dev", "Kim", "Ada", "Bo", "Cy", "Di", "Eve", "Fay", "Gus", "Hal"]
SUBJECT_1 = "{{ first_name | Friend }}, our schools need you"
SUBJECT_2 = "Sign for school funding by Friday"
BODY_1 = (
    "Hi {{ first_name | friend }},\n\n"
    "{% if tag: school funding %}You told us schools matter to you.{% endif %}\n\n"
    "[Sign the school-funding petition]({url})"
)
BODY_2 = "{{ first_name | Friend }}: the legislature votes Friday. [Add your name]({url})."


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.wheel(0, -100_000)  # from the top, so that sticky panels sit where they start
    page.wait_for_timeout(150)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def captured(folder: Path) -> list[EmailMessage]:
    """The mailing's messages the sink caught (not, say, the petition's thank-you): those
    whose Message-ID names one of our deliveries."""
    messages = [
        cast(EmailMessage, message_from_bytes(p.read_bytes(), policy=default_policy))
        for p in sorted(folder.glob("*.eml"))
    ]
    return [m for m in messages if delivery_from_message_id(str(m["Message-ID"])) is not None]


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(cast(Any, part).get_content())


def test_compose_send_click_and_the_winner_goes_to_the_rest(browser, live_server, tmp_path):
    staff = make_user("dana", Role.STAFF)
    staff.email = "dana@prairie.example"
    staff.save()
    petition = make_page(staff, title="Fully fund our schools")
    people = [subscriber(n, tag="school funding", first_name=name) for n, name in enumerate(NAMES)]
    outsiders = [subscriber(100 + n, tag="rent") for n in range(3)]
    schools = Tag.objects.get(name="school funding")
    segment = Segment.objects.create(
        name="Cares about schools", owner=staff,
        definition={"match": {"kind": "tags", "match": "any", "tags": [schools.pk]}},
    )  # fmt: skip
    identity = sender()
    url = f"/act/{petition.slug}/"
    folder = tmp_path / "mail"

    with (
        MailSink(port=0, directory=folder) as sink,
        override_settings(
            MAILERS=smtp_to(sink.port), DATA_DIR=tmp_path, LADDER_PUBLIC_URL=live_server.url
        ),
    ):
        context = browser.new_context(
            viewport={"width": 1366, "height": 900}, base_url=live_server.url,
            user_agent=USER_AGENT,
        )  # fmt: skip
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        login(page, "dana")

        # Compose: two subjects, two bodies, one sender, the segment, half of it in the test.
        page.goto("/mailings/")
        page.get_by_role("link", name="New mailing").click()
        page.wait_for_url("**/mailings/new")
        page.fill("[name=name]", "Schools: sign by Friday")
        page.check(f"input[name=senders][value='{identity.pk}']")
        page.fill("[name=subject_1]", SUBJECT_1)
        page.fill("[name=subject_2]", SUBJECT_2)
        page.fill("[name=body_1]", BODY_1.replace("{url}", url))
        page.locator("#wrap-body_2 summary").click()
        page.fill("[name=body_2]", "Hello {{ frist_name }}")
        page.check(f"input[name=include_segments][value='{segment.pk}']")
        page.fill("[name=test_share]", "50")
        page.fill("[name=preview_as]", "Rosa")

        # The live parts, under the real content security policy.
        expect(page.locator("#audience-count")).to_have_attribute("data-count", "12")
        expect(page.locator("#combinations")).to_contain_text(
            "2 subjects × 2 bodies × 1 sender = 4 variants"
        )
        expect(page.locator("#preview-subject-text")).to_have_text("Rosa, our schools need you")
        frame = page.frame_locator("iframe.preview-frame")
        expect(frame.locator("body")).to_contain_text("You told us schools matter to you.")
        expect(frame.get_by_role("link", name="Sign the school-funding petition")).to_be_visible()

        # A misspelt field: refused next to body 2, and nothing saved.
        page.get_by_role("button", name="Send now").click()
        body_2 = page.locator("#wrap-body_2")
        expect(body_2.locator(".errorlist")).to_contain_text("no merge field “frist_name”")
        assert Mailing.objects.count() == 0
        shot(page, "1-compose-error")
        page.fill("[name=body_2]", BODY_2.replace("{url}", url))
        page.select_option("#preview-body", "2")
        expect(frame.locator("body")).to_contain_text("Rosa: the legislature votes Friday.")
        expect(page.locator("#audience-count")).to_have_attribute("data-count", "12")
        shot(page, "2-compose")
        page.get_by_role("button", name="Send now").click()
        page.wait_for_url(re.compile(r"/mailings/\d+/$"))
        mailing = Mailing.objects.get()
        assert mailing.status == Mailing.Status.SCHEDULED

        # The worker: launch the test, send it.
        sending.mailings_tick()
        sending.send_available("test")
        mailing.refresh_from_db()
        assert mailing.status == Mailing.Status.TESTING
        tested = list(mailing.deliveries.filter(in_test=True).select_related("person"))
        held = mailing.deliveries.filter(state=Delivery.State.HELD).count()
        assert len(tested) == 6 and held == 6
        assert len(captured(folder)) == 6
        page.reload()
        expect(page.locator("#t-sent")).to_have_text("6")
        expect(page.locator("#t-queued")).to_contain_text("0")
        expect(page.locator(".tile-note").first).to_contain_text("6 held for the winner")
        assert page.locator(".variant-table tbody tr").count() == 4

        # Read one supporter's message from the sink and follow its tracked link.
        messages = captured(folder)
        reader = messages[0]
        address = re.search(r"p\d+@example\.org", str(reader["To"]))
        assert address is not None
        person = Person.objects.get(emails__address=address.group(0))
        links = re.findall(r'href="([^"]*/m/c/[^"]+)"', html_of(reader))
        assert links and links[0].startswith(live_server.url)
        sent_at = mailing.deliveries.get(person=person).sent_at
        assert sent_at is not None
        wait = MACHINE_SECONDS + 0.5 - (timezone.now() - sent_at).total_seconds()
        if wait > 0:  # a click in the first seconds is taken for a link scanner's
            time.sleep(wait)
        page.goto(links[0])
        page.wait_for_url(f"**{url}?mt=*")
        page.fill("[name=first_name]", person.first_name)
        page.fill("[name=last_name]", person.last_name)
        page.fill("[name=email]", address.group(0))
        page.fill("[name=postal_code]", "50309")
        page.wait_for_timeout(1600)  # people take a moment to fill a form in
        page.get_by_role("button", name="Sign the petition").click()
        page.wait_for_url("**/thanks/**")

        # The worker folds the click and credits the signature to the mailing.
        flush()
        assert tracking_fold() >= 1
        attribution_fold(now=timezone.now() + dt.timedelta(seconds=30))
        delivery = mailing.deliveries.get(person=person)
        assert delivery.clicked_at is not None and delivery.acted_at is not None

        page.goto(f"/mailings/{mailing.pk}/")
        expect(page.locator("#t-clicked")).to_have_text("1")
        expect(page.locator("#t-acted")).to_have_text("1")
        expect(page.locator(".mchart-svg").first).to_be_visible()
        shot(page, "3-report-testing")
        phone = browser.new_context(
            viewport={"width": 390, "height": 844}, base_url=live_server.url, is_mobile=True,
            has_touch=True, device_scale_factor=2, user_agent=USER_AGENT,
        )  # fmt: skip
        small = phone.new_page()
        login(small, "dana")
        small.goto(f"/mailings/{mailing.pk}/")
        expect(small.locator("#t-clicked")).to_have_text("1")
        shot(small, "4-report-phone")
        assert small.evaluate("document.documentElement.scrollWidth") <= 390

        # Her profile: the click on the timeline and the message in the Messages card.
        page.goto(f"/people/{person.pk}/")
        expect(page.locator("#timeline-items")).to_contain_text("Email link clicked")
        expect(page.locator("#timeline-items")).to_contain_text("Signed petition")
        row = page.locator(f"#messages tr[data-mailing='{mailing.pk}']")
        expect(row).to_contain_text("Schools: sign by Friday")
        expect(row).to_contain_text("clicked")
        expect(row).to_contain_text("acted")
        shot(page, "5-profile")

        # Time is up: the winner goes to the rest.
        later = timezone.now() + dt.timedelta(hours=float(mailing.test_hours) + 1)
        sending.mailings_tick(now=later)
        mailing.refresh_from_db()
        winner = mailing.winner
        assert winner is not None and winner.pk == delivery.variant_id
        sending.send_available("test")
        sending.mailings_tick(now=later)
        mailing.refresh_from_db()
        assert mailing.status == Mailing.Status.SENT

        page.goto(f"/mailings/{mailing.pk}/")
        expect(page.locator("tr.winner")).to_have_attribute("data-variant", winner.label)
        expect(page.locator("#decision-note")).to_contain_text(winner.label)
        expect(page.locator("#t-sent")).to_have_text("12")
        shot(page, "6-report-sent")
        phone_page = small
        phone_page.goto(f"/mailings/{mailing.pk}/")
        shot(phone_page, "7-report-sent-phone")

        page.goto("/mailings/")
        expect(page.locator(".mailing-table")).to_contain_text("Schools: sign by Friday")
        shot(page, "8-list")
        page.goto("/mailings/outbox/")
        page.locator(".outbox-table tbody a").first.click()
        expect(page.locator(".headers")).to_contain_text("List-Unsubscribe-Post")
        expect(page.frame_locator("iframe.preview-frame").locator("body")).to_contain_text(
            "legislature" if winner.body.startswith("{{ first_name | Friend }}:") else "schools"
        )
        shot(page, "9-outbox-message")
        page.goto("/mailings/outbox/")
        shot(page, "10-outbox")
        phone.close()
        context.close()
        assert not [e for e in errors if "Content Security Policy" in e], errors

    # Every person in the segment got exactly one message; nobody outside it got any; the
    # people held back got the winner's subject, with their own name in it.
    final = captured(folder)
    per_address = Counter(str(m["X-Ladder-Rcpt-To"]) for m in final)
    assert per_address == Counter({f"p{n}@example.org": 1 for n in range(len(NAMES))})
    assert not any(f"p{100 + n}@example.org" in per_address for n in range(len(outsiders)))
    subjects = {str(m["X-Ladder-Rcpt-To"]): str(m["Subject"]) for m in final}
    rest = mailing.deliveries.filter(in_test=False).select_related("person")
    assert rest.count() == 6
    compiled = merge.compile_subject(winner.subject)
    for d in rest:
        assert d.variant_id == winner.pk and d.state == Delivery.State.SENT
        want = compiled.render(merge.Recipient(first_name=d.person.first_name))
        assert subjects[d.email] == want
    assert {d.person_id for d in mailing.deliveries.all()} == {p.pk for p in people}
