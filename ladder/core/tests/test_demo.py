"""The demo generator, the benchmark CSV writer and `ladder demo`, on the real database."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import signal
import smtplib
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity, PersonStats
from ladder.core.models import Role, User
from ladder.demo import build_plan, generate_demo, write_people_csv
from ladder.demo.data import CHAPTERS, DORMANT_CHAPTER, DORMANT_DAYS, ORG_SLUG
from ladder.demo.identity import identity, identity_frame
from ladder.people.models import (
    ConsentEvent,
    EmailAddress,
    Group,
    Membership,
    Person,
    Phone,
    Subscription,
    Suppression,
)
from ladder.people.normalize import address_hash, normalise_email, normalise_phone
from ladder.people.selectors import visible_people

NOW = dt.datetime(2026, 10, 15, 17, 0, tzinfo=dt.UTC)


# --- the plan: deterministic, without the database -------------------------------------------


def _fingerprint(plan):  # type: ignore[no-untyped-def]
    people = [(p.first, p.last, [e.address for e in p.emails], p.phone) for p in plan.people]
    return people, plan.activities, plan.consents


def test_same_seed_gives_the_same_people_and_history():
    first = build_plan(seed=7, people=200, now=NOW)
    again = build_plan(seed=7, people=200, now=NOW)
    assert _fingerprint(first) == _fingerprint(again)


def test_different_seed_gives_different_people():
    seven = build_plan(seed=7, people=200, now=NOW)
    eight = build_plan(seed=8, people=200, now=NOW)
    emails_seven = {p.email for p in seven.people}
    emails_eight = {p.email for p in eight.people}
    assert len(emails_seven & emails_eight) < 5
    assert [p.last for p in seven.people] != [p.last for p in eight.people]


def test_identities_are_the_same_in_python_and_polars():
    """The demo database (row by row) and the CSV writer (vectorised) must agree on people."""
    frame = identity_frame(11, 1000, 1600)
    for row in frame.iter_rows(named=True):
        person = identity(11, row["index"])
        assert (
            person.first,
            person.last,
            person.email,
            person.phone,
            person.line1,
            person.line2,
            person.zip,
        ) == (
            row["first"],
            row["last"],
            row["email"],
            row["phone"],
            row["line1"],
            row["line2"],
            row["zip"],
        )


def test_plan_rejects_bad_sizes():
    with pytest.raises(ValueError, match="at least 1"):
        build_plan(seed=1, people=0, now=NOW)
    with pytest.raises(ValueError, match="share between 0 and 1"):
        build_plan(seed=1, people=10, duplicates=1.5, now=NOW)


# --- loading into the database ---------------------------------------------------------------


@pytest.fixture
def demo(db, tmp_path):  # type: ignore[no-untyped-def]
    truth = tmp_path / "truth.json"
    summary = generate_demo(seed=5, people=300, now=NOW, ground_truth=truth, password="pw-demo-1")
    return summary


def test_demo_loads_people_with_realistic_contact_points(demo):
    assert demo.people == 300
    assert Person.objects.count() == demo.records == 300 + demo.duplicates
    plan = build_plan(seed=5, people=300, now=NOW)
    loaded = set(EmailAddress.objects.values_list("address", flat=True))
    assert loaded == {e.address for p in plan.people for e in p.emails}
    for address in list(loaded)[:50]:
        assert normalise_email(address) == address
    for number in Phone.objects.values_list("number", flat=True)[:50]:
        assert normalise_phone(number) == number and number[2:5] in {
            "515",
            "319",
            "563",
            "641",
            "712",
        }
    assert EmailAddress.objects.filter(is_primary=False).exists()  # some people have two
    assert Phone.objects.filter(do_not_call=True).count() < Phone.objects.count() / 5


def test_demo_has_five_chapters_with_a_leader_each_and_consistent_counts(demo):
    org = Group.objects.get(slug=ORG_SLUG)
    chapters = Group.objects.filter(parent=org, kind=Group.Kind.CHAPTER)
    assert sorted(chapters.values_list("slug", flat=True)) == sorted(s for s, _ in CHAPTERS)
    for chapter in chapters:
        home = Person.objects.filter(home_group=chapter).count()
        assert home == demo.per_chapter[chapter.slug] > 0
        assert Membership.objects.filter(group=chapter).count() == home
        leaders = list(chapter.leaders.all())
        assert len(leaders) == 1 and leaders[0].role == Role.LEADER
        assert leaders[0].check_password("pw-demo-1")
        # The leader is also a person of their chapter, with a linked login.
        assert Person.objects.get(user=leaders[0]).home_group == chapter
    statewide = Person.objects.filter(home_group=org).count()
    assert statewide + sum(demo.per_chapter.values()) == demo.records


def test_demo_leader_sees_only_their_chapter(demo):
    leader = User.objects.get(username="lead-des-moines")
    visible = visible_people(leader)
    assert visible.exists()
    assert not visible.filter(home_group__slug="cedar-rapids").exists()
    other = User.objects.get(username="lead-cedar-rapids")
    assert not (
        set(visible.values_list("pk", flat=True))
        & set(visible_people(other).values_list("pk", flat=True))
    )


def test_every_activity_type_appears_with_unique_keys(demo):
    types = set(Activity.objects.values_list("type", flat=True).distinct())
    assert types == set(ActivityType.values)
    # The planned history is keyed by the seed; ladder moves and asks are written afterwards by
    # their own services, under their own keys.
    planned = Activity.objects.filter(idempotency_key__startswith="demo:5:")
    assert planned.count() == demo.activities
    # …and the public pages' actions and the imported social engagement, through theirs.
    later = Activity.objects.exclude(pk__in=planned.values("pk"))
    assert set(later.values_list("type", flat=True)) >= {
        ActivityType.LEVEL_CHANGE,
        ActivityType.ASK_OFFERED,
        ActivityType.ASK_ACCEPTED,
        ActivityType.ASK_DECLINED,
        ActivityType.ASK_DROPPED,
        ActivityType.PETITION_SIGNATURE,
        ActivityType.RSVP,
        ActivityType.ATTENDANCE,
        ActivityType.DONATION,
    }
    assert not planned.filter(type__startswith="ask_").exists()
    assert not later.exclude(idempotency_key__regex=r"^(level|ask-offer|action|rsvp|attended|"
                             r"shift|gift|recruit|social):").exists()  # fmt: skip
    calls = Activity.objects.filter(type=ActivityType.CALL)
    assert calls.exclude(result="").count() == calls.count()  # every attempt has a result code
    donation = Activity.objects.filter(type=ActivityType.DONATION).first()
    assert donation is not None and donation.amount is not None and donation.amount > 0
    assert "refcode" in donation.payload


def test_major_donors_and_recurring_gifts(demo):
    gifts = Activity.objects.filter(type=ActivityType.DONATION)
    assert gifts.filter(amount__gt=1000).exists()
    assert gifts.filter(payload__recurring=True).values("person").distinct().count() >= 1
    big = gifts.filter(amount__gt=1000).values_list("person", flat=True).first()
    assert big is not None
    assert Person.objects.get(pk=big).taggings.filter(tag__name="major donor").exists()


def test_dormant_chapter_is_quiet_for_45_days(demo):
    recent = NOW - dt.timedelta(days=DORMANT_DAYS)
    # Ladder placements are bookkeeping written when the demo's ladders are created (at NOW),
    # not something the chapter's people did.
    dormant = Activity.objects.filter(person__home_group__slug=DORMANT_CHAPTER).exclude(
        type=ActivityType.LEVEL_CHANGE
    )
    assert dormant.filter(occurred_at__lt=recent).exists()
    assert not dormant.filter(occurred_at__gte=recent).exists()
    for slug, _ in CHAPTERS:
        if slug != DORMANT_CHAPTER:
            assert Activity.objects.filter(
                person__home_group__slug=slug, occurred_at__gte=recent
            ).exists()
    assert not Activity.objects.filter(occurred_at__gt=NOW).exists()


def test_unsubscribes_are_opt_outs_in_the_ledger_with_suppression(demo):
    unsubscribes = Activity.objects.filter(type=ActivityType.EMAIL_UNSUBSCRIBED)
    assert unsubscribes.exists()
    for activity in unsubscribes:
        address = activity.payload["address"]
        assert ConsentEvent.objects.filter(
            channel="email", contact_point=address, status="opt_out", by_person=True
        ).exists()
        assert Suppression.objects.filter(
            channel="email", address_hash=address_hash("email", address)
        ).exists()
        assert EmailAddress.objects.get(address=address).subscription == Subscription.UNSUBSCRIBED
        assert not Activity.objects.filter(
            person=activity.person,
            type=ActivityType.EMAIL_SENT,
            occurred_at__gt=activity.occurred_at,
        ).exists()


def test_planted_duplicates_ground_truth_points_at_real_pairs(demo):
    truth = json.loads(demo.ground_truth.read_text())
    pairs = truth["pairs"]
    assert len(pairs) == demo.duplicates == round(300 * 0.02)
    for pair in pairs:
        original = Person.objects.get(pk=pair["original"])
        copy = Person.objects.get(pk=pair["duplicate"])
        assert original.pk != copy.pk and original.home_group_id == copy.home_group_id
        phones = set(original.phones.values_list("number", flat=True))
        shared_phone = bool(phones & set(copy.phones.values_list("number", flat=True)))
        assert (
            shared_phone
            or original.first_name == copy.first_name
            or (original.last_name == copy.last_name)
        )
        assert pair["variant"] in {"nickname", "typo", "email", "phone"}


def test_recruiters_and_rollups(demo):
    recruits = Person.objects.filter(recruited_by__isnull=False)
    assert recruits.exists()
    recruit = recruits.first()
    assert recruit is not None
    assert Activity.objects.filter(
        person=recruit.recruited_by, type=ActivityType.RECRUITED, payload__recruit_id=recruit.pk
    ).exists()
    assert PersonStats.objects.count() == Person.objects.count()
    assert PersonStats.objects.filter(gifts_count__gt=0).exists()


def test_second_load_is_refused(demo):
    with pytest.raises(ValueError, match="already loaded"):
        generate_demo(seed=5, people=10, now=NOW)


# --- the benchmark CSV writer ----------------------------------------------------------------


def _read(path, delimiter=","):  # type: ignore[no-untyped-def]
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


@pytest.mark.parametrize(
    ("style", "delimiter", "first_header", "email_column"),
    [
        ("ladder", ",", "first_name", 2),
        ("actionnetwork", ",", "first_name", 2),
        ("van", "\t", "VANID", 8),
    ],
)
def test_csv_writer_headers_and_rows(tmp_path, style, delimiter, first_header, email_column):
    path = tmp_path / f"{style}.csv"
    info = write_people_csv(path, rows=2500, seed=3, headers=style)
    rows = _read(path, delimiter)
    assert rows[0][0] == first_header and info.rows == 2500
    assert len(rows) == 2501 and all(len(r) == len(rows[0]) for r in rows)
    emails = [r[email_column] for r in rows[1:]]
    assert len(set(emails)) == 2500
    assert emails[0] == identity(3, 0).email  # row i is identity i
    for row in rows[1:200]:
        assert normalise_email(row[email_column]) == row[email_column]


def test_csv_phones_are_messy_but_normalise_to_the_identity(tmp_path):
    rows = _read(write_people_csv(tmp_path / "p.csv", rows=300, seed=4).path)
    shapes = set()
    for k, row in enumerate(rows[1:]):
        if row[3]:
            assert normalise_phone(row[3]) == identity(4, k).phone
            shapes.add(row[3][:1])
    assert {"(", "+", "1", "3", "5", "6", "7"} & shapes and len(shapes) >= 3


def test_csv_overlap_reuses_earlier_identities(tmp_path):
    first = write_people_csv(tmp_path / "a.csv", rows=1000, seed=9)
    second = write_people_csv(tmp_path / "b.csv", rows=500, seed=9, overlap_with=1000)
    assert (second.overlap_rows, second.first_new_identity) == (150, 1000)
    a = _read(first.path)[1:]
    b = _read(second.path)[1:]
    assert [r[2] for r in b[:150]] == [r[2] for r in a[:150]]  # same people, by email
    assert [r[:3] for r in b[:150]] == [r[:3] for r in a[:150]]
    assert not {r[2] for r in b[150:]} & {r[2] for r in a}
    assert b[150][2] == identity(9, 1000).email
    # The overlapping rows carry something new for a merge: one more issue tag.
    assert any(x[8] != y[8] for x, y in zip(a[:150], b[:150], strict=True))


def test_csv_writer_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="headers must be one of"):
        write_people_csv(tmp_path / "x.csv", rows=1, seed=1, headers="nationbuilder")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="zero or more"):
        write_people_csv(tmp_path / "x.csv", rows=-1, seed=1)


# --- `ladder demo` ---------------------------------------------------------------------------


def _login_from(output: str) -> tuple[str, str]:
    fields = dict(
        line.split(None, 1)
        for line in output.splitlines()
        if line.strip().startswith(("Username", "Password"))
    )
    return fields["Username"].strip(), fields["Password"].strip()


@pytest.mark.django_db
def test_demo_command_creates_admin_and_prints_login(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = io.StringIO()
    call_command("demo", "--no-serve", "--people", "300", stdout=out)
    text = out.getvalue()
    username, password = _login_from(text)
    assert username == "admin" and "http://127.0.0.1:8000/" in text
    admin = User.objects.get(username="admin")
    assert admin.role == Role.ADMIN and admin.check_password(password)
    login = tmp_path / "demo-login.txt"
    assert stat.S_IMODE(os.stat(login).st_mode) == 0o600
    assert f"password={password}" in login.read_text()
    assert Person.objects.filter(home_group__slug="des-moines").exists()
    assert "lead-des-moines" in text
    assert User.objects.get(username="lead-des-moines").check_password(password)


@pytest.mark.django_db
def test_demo_command_twice_loads_once_and_prints_the_same_login(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    first = io.StringIO()
    call_command("demo", "--no-serve", "--people", "120", "--port", "8123", stdout=first)
    people, activities = Person.objects.count(), Activity.objects.count()
    second = io.StringIO()
    call_command("demo", "--no-serve", "--people", "120", "--port", "8123", stdout=second)
    assert "already loaded" in second.getvalue()
    assert (Person.objects.count(), Activity.objects.count()) == (people, activities)
    assert _login_from(first.getvalue()) == _login_from(second.getvalue())
    assert "http://127.0.0.1:8123/" in second.getvalue()
    assert User.objects.filter(username="admin").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [(["--people", "0"], "at least 1"), (["--duplicates", "2"], "share between 0 and 1")],
)
def test_demo_command_rejects_bad_options(settings, tmp_path, args, message):
    settings.DATA_DIR = tmp_path
    with pytest.raises(CommandError, match=message):
        call_command("demo", "--no-serve", *args, stdout=io.StringIO())
    assert not Group.objects.filter(slug=ORG_SLUG).exists()


@pytest.mark.django_db
def test_demo_command_explains_a_clash_with_existing_rows(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    User.objects.create(username="lead-des-moines", role=Role.LEADER)
    with pytest.raises(CommandError, match="load it into an empty database"):
        call_command("demo", "--no-serve", "--people", "50", stdout=io.StringIO())
    assert not Group.objects.filter(slug=ORG_SLUG).exists()
    assert not Person.objects.exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_web(proc: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + 180  # a generous bound for a busy machine, not a timing check
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ladder demo exited early:\n{proc.stdout.read() if proc.stdout else ''}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # the server answered; its answer is the web tests' business
        except OSError:
            time.sleep(0.5)
    pytest.fail("the web server never answered")


def test_demo_serves_web_worker_and_mail_sink_and_ctrl_c_stops_them(tmp_path):
    web, smtp = _free_port(), _free_port()
    # Its own SQLite database under tmp_path, whatever database the suite runs on.
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["LADDER_DATA_DIR"] = str(tmp_path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ladder.cli",
            "demo",
            "--people",
            "40",
            "--port",
            str(web),
            "--smtp-port",
            str(smtp),
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[3],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_for_web(proc, f"http://127.0.0.1:{web}/healthz")
        with smtplib.SMTP("127.0.0.1", smtp, timeout=10) as client:
            client.sendmail(
                "ladder@localhost", ["someone@example.org"], b"Subject: demo check\r\n\r\nhello\r\n"
            )
        assert len(list((tmp_path / "mail").glob("*.eml"))) == 1
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, output
    assert "Username   admin" in output and "Stopping" in output
    for port in (web, smtp):  # nothing is left listening
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_demo_mail_history_is_in_the_ledger_with_a_finished_test_and_a_draft(demo):
    from ladder.activity.catalogue import ActivityType
    from ladder.activity.models import Activity
    from ladder.core.models import Role
    from ladder.core.testing import make_user
    from ladder.demo.mailings import demo_mailings
    from ladder.demo.segments import demo_segments
    from ladder.mailings.models import Delivery, Mailing

    # `ladder demo` creates its admin before loading; this fixture loads without one, so the
    # mail history (which needs an author) is written now.
    assert not Mailing.objects.exists()
    make_user("admin", Role.ADMIN)
    demo_segments()
    assert demo_mailings() > 0
    sent = Mailing.objects.filter(status=Mailing.Status.SENT)
    assert sent.count() >= 20
    sends = Activity.objects.filter(type=ActivityType.EMAIL_SENT, object_type="mailing").count()
    assert Delivery.objects.count() == sends  # one ledger row per send in the timelines
    tested = sent.exclude(winner=None).filter(variants__label="B").distinct().get()
    assert tested.winner is not None and tested.winner.label == "A"
    assert tested.deliveries.filter(in_test=True).exists()
    assert Delivery.objects.exclude(clicked_at=None).exists()
    assert Delivery.objects.exclude(unsubscribed_at=None).exists()
    assert Delivery.objects.exclude(bounced_at=None).exists()
    draft = Mailing.objects.get(status=Mailing.Status.DRAFT)
    assert len(draft.subjects) == 3 and draft.include_segments.exists()
    assert draft.pk > sent.order_by("-pk")[0].pk  # new mailings number after the history's


def test_demo_field_program_has_its_survey_script_and_chapter_lists(demo):
    from ladder.activity.catalogue import ActivityType
    from ladder.activity.models import Activity
    from ladder.demo.data import DORMANT_CHAPTER
    from ladder.ladders.models import Responsibility
    from ladder.organizing.models import ContactList, Survey

    survey = Survey.objects.get(name="Issues survey")
    keys = set(survey.questions.values_list("key", flat=True))
    assert keys == {"support_score", "top_issue", "on_your_mind"}
    answers = Activity.objects.filter(type=ActivityType.SURVEY_RESPONSE)
    assert answers.exists() and not answers.exclude(object_id=survey.pk).exists()
    assert set(answers.values_list("payload__question", flat=True)) <= keys
    lists = ContactList.objects.select_related("group", "script")
    chapters = {c.group.slug for c in lists if c.group}
    assert chapters and DORMANT_CHAPTER not in chapters
    assert all(c.script is not None and c.script.survey == survey for c in lists)
    assert {c.kind for c in lists} == {"call", "walk"}
    assert all(c.size == c.entries.count() for c in lists)
    # The pathway rungs suggested responsibilities to the leaders as the year was replayed.
    assert Responsibility.objects.filter(status="suggested").exists()
