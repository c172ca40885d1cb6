"""Every write of the actions app: pages (create, edit, publish, close) and the actions people
take on them.

An action is one transaction: the person is matched or created (`supporter_upsert`, the
import's rules), their answers land in their custom fields, the consent they gave is written to
the ledger in the page's exact words, the recruiter who sent them is credited, and the action
row and its activity are written together, keyed so that a replay is a no-op. The auto-response
goes out after the commit, from the worker.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from ladder.actions.models import ActionPage, PersonalGoal, ReferralCode, Submission
from ladder.actions.safety import sanitise_html
from ladder.activity.catalogue import ActivityType
from ladder.activity.services import activity_record
from ladder.core.models import User
from ladder.people.models import Channel, ConsentEvent, CustomField, Person
from ladder.people.selectors import groups_visible
from ladder.people.services import consent_record, custom_fields_set, supporter_upsert

ACTION_TYPES: dict[str, str] = {
    ActionPage.Kind.PETITION: ActivityType.PETITION_SIGNATURE,
    ActionPage.Kind.FORM: ActivityType.FORM_SUBMISSION,
}
ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$", re.IGNORECASE)
PAGE_FIELDS = (
    "title", "body", "target", "goal", "questions", "ask_phone", "ask_postal_code",
    "consent_wording", "thanks_text", "autoresponse_subject", "autoresponse_body",
    "allowed_origins", "group", "suggested_amounts", "allow_recurring", "processor",
    "processor_url", "allow_fundraisers", "public_leaderboard", "survey",
)  # fmt: skip


class PageError(ValidationError):
    """A page that cannot be saved as asked, with messages per field."""


# ---- Pages ------------------------------------------------------------------------------


def _clean_page(actor: User, fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean = dict(fields)
    if "title" in clean:
        clean["title"] = " ".join(str(clean["title"]).split())
        if not clean["title"]:
            errors["title"] = "A page needs a title."
    if "body" in clean:
        clean["body"] = sanitise_html(clean["body"])
    if "questions" in clean:
        keys = [k for k in clean["questions"] or [] if k]
        known = set(CustomField.objects.filter(key__in=keys).values_list("key", flat=True))
        unknown = [k for k in keys if k not in known]
        if unknown:
            errors["questions"] = f"No such custom field: {', '.join(unknown)}."
        clean["questions"] = list(dict.fromkeys(keys))
    if "allowed_origins" in clean:
        origins = [o.strip().rstrip("/") for o in str(clean["allowed_origins"]).splitlines()]
        bad = [o for o in origins if o and not ORIGIN.match(o)]
        if bad:
            errors["allowed_origins"] = (
                f"Not an origin: {bad[0]} (write it like https://example.org, one per line)."
            )
        clean["allowed_origins"] = "\n".join(o for o in origins if o)
    if "suggested_amounts" in clean:
        amounts = clean["suggested_amounts"] or []
        if not all(isinstance(a, int | float) and 1 <= a <= 1_000_000 for a in amounts):
            errors["suggested_amounts"] = "Amounts are whole dollars from 1 to 1,000,000."
        clean["suggested_amounts"] = sorted({int(a) for a in amounts if isinstance(a, int | float)})
    from ladder.actions.payments import PROCESSORS

    if "processor" in clean and clean["processor"] not in PROCESSORS:
        errors["processor"] = "Choose offline (pledges) or ActBlue."
    if clean.get("processor") == "actblue" and not str(clean.get("processor_url", "")).startswith(
        "https://secure.actblue.com/"
    ):
        errors["processor_url"] = "Give the ActBlue form's address (https://secure.actblue.com/…)."
    survey = clean.get("survey")
    if survey is not None:
        from ladder.organizing.selectors import surveys_visible

        if not surveys_visible(actor).filter(pk=survey.pk).exists():
            errors["survey"] = "Choose one of your surveys."
    group = clean.get("group")
    if group is not None and not groups_visible(actor).filter(pk=group.pk).exists():
        errors["group"] = "You do not lead that group."
    if "group" in clean and group is None and not actor.sees_everyone:
        errors["group"] = "Choose which of your groups the page belongs to."
    if errors:
        raise PageError(errors)
    return clean


def unique_slug(model: type[Any], text: str, *, fallback: str = "page", length: int = 60) -> str:
    """A slug of ``text`` no row of ``model`` has yet: "save-the-bus", "save-the-bus-2", …"""
    base = slugify(text)[:length] or fallback
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def page_create(*, actor: User, kind: str, title: str, **fields: Any) -> ActionPage:
    """A draft page. Leaders create pages for the groups they lead."""
    if kind not in ActionPage.Kind.values:
        raise PageError({"kind": "Choose what kind of page this is."})
    unknown = set(fields) - set(PAGE_FIELDS)
    if unknown:
        raise ValueError(f"not page fields: {', '.join(sorted(unknown))}")
    clean = _clean_page(actor, {"title": title, "group": fields.pop("group", None), **fields})
    return ActionPage.objects.create(
        kind=kind, slug=unique_slug(ActionPage, clean["title"]), created_by=actor, **clean
    )


@transaction.atomic
def page_update(*, actor: User, page: ActionPage, **fields: Any) -> ActionPage:
    unknown = set(fields) - set(PAGE_FIELDS)
    if unknown:
        raise ValueError(f"not page fields: {', '.join(sorted(unknown))}")
    for name, value in _clean_page(actor, fields).items():
        setattr(page, name, value)
    page.save()
    return page


@transaction.atomic
def page_publish(*, actor: User, page: ActionPage) -> ActionPage:
    page.status = ActionPage.Status.PUBLISHED
    page.published_at = page.published_at or timezone.now()
    page.closed_at = None
    page.save(update_fields=["status", "published_at", "closed_at"])
    return page


@transaction.atomic
def page_close(*, actor: User, page: ActionPage) -> ActionPage:
    page.status = ActionPage.Status.CLOSED
    page.closed_at = timezone.now()
    page.save(update_fields=["status", "closed_at"])
    return page


# ---- Referral codes -------------------------------------------------------------------------

# No 0/O, 1/l/I: codes are read aloud and typed from flyers.
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 7


def referral_code_for(person: Person) -> str:
    """The person's referral code, made the first time it is needed."""
    existing = ReferralCode.objects.filter(person=person).values_list("code", flat=True).first()
    if existing:
        return existing
    for _ in range(10):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(person=person, code=code).code
        except IntegrityError:
            again = ReferralCode.objects.filter(person=person).values_list("code", flat=True)
            if (found := again.first()) is not None:
                return found  # made by a concurrent request
    raise RuntimeError("could not find a free referral code")


def recruiter_for(code: str) -> Person | None:
    code = (code or "").strip().lower()
    if not code or len(code) > 16:
        return None
    row = ReferralCode.objects.filter(code=code).select_related("person").first()
    return row.person if row is not None else None


def recruit_credit(
    *, recruiter: Person | None, person: Person, created: bool, where: str, when: dt.datetime
) -> Person | None:
    """Credit ``recruiter`` for bringing ``person`` to an action; returns the recruiter when
    credited. A new person becomes their recruit (``recruited_by``, a ``recruited`` activity
    for the recruiter, once per recruit); nobody recruits themself."""
    if recruiter is None or recruiter.pk == person.pk:
        return None
    if created and person.recruited_by_id is None:
        person.recruited_by = recruiter
        person.save(update_fields=["recruited_by", "updated_at"])
        activity_record(
            person=recruiter,
            type=ActivityType.RECRUITED,
            occurred_at=when,
            source=where,
            payload={"recruit": person.display_name, "recruit_id": person.pk, "via": where},
            idempotency_key=f"recruit:{person.pk}",
        )
    return recruiter


# ---- Taking an action -----------------------------------------------------------------------


@dataclass(frozen=True)
class Taken:
    submission: Submission
    person: Person
    new_action: bool  # False: this person (or this very form) had already acted on the page


def supporter_take(
    *,
    page: ActionPage,
    email: str,
    first_name: str,
    last_name: str,
    phone: str,
    postal_code: str,
    email_opt_in: bool,
    when: dt.datetime,
) -> tuple[Person, bool]:
    """The person acting on ``page`` (matched or created) and the consent they gave there, in
    the page's exact words; returns (person, created). The caller holds the transaction."""
    person, created = supporter_upsert(
        actor=None, email=email, phone=phone, first_name=first_name, last_name=last_name,
        postal_code=postal_code, source=f"{page.get_kind_display().lower()}: {page.title}",
    )  # fmt: skip
    if email_opt_in and page.consent_wording and email:
        consent_record(
            actor=None, person=person, channel=Channel.EMAIL, contact_point=email,
            status=ConsentEvent.Status.OPT_IN, source=f"page:{page.slug}",
            wording=page.consent_wording, by_person=True, occurred_at=when,
        )  # fmt: skip
    return person, created


def action_counted(page: ActionPage, person: Person, *, autoresponse: bool = True) -> None:
    """One more action on the page: its public count, and the auto-response after commit
    (events send their own confirmation instead)."""
    ActionPage.objects.filter(pk=page.pk).update(actions_count=F("actions_count") + 1)
    if autoresponse:
        from ladder.actions.tasks import autoresponse_task

        transaction.on_commit(lambda: autoresponse_task.enqueue(page.pk, person.pk))


def _answers(page: ActionPage, values: dict[str, Any]) -> dict[str, Any]:
    return {key: values[key] for key in page.questions if values.get(key) not in (None, "")}


def _survey_checked(page: ActionPage, raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(questions by key, cleaned answers) of the page's survey; ValidationError on a bad one."""
    if not raw or page.survey is None:
        return {}, {}
    from ladder.organizing.surveys import answer_clean

    questions = {q.key: q for q in page.survey.questions.all()}
    unknown = sorted(set(raw) - set(questions))
    if unknown:
        raise ValidationError({"survey": f"Not questions of this page's survey: {unknown}."})
    return questions, {key: answer_clean(questions[key], value) for key, value in raw.items()}


@transaction.atomic
def action_take(
    *,
    page: ActionPage,
    token: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    postal_code: str = "",
    answers: dict[str, Any] | None = None,
    survey_answers: dict[str, Any] | None = None,
    email_opt_in: bool = False,
    referral_code: str = "",
    now: dt.datetime | None = None,
) -> Taken:
    """Sign a petition or send a form (``email`` and ``phone`` normalised by the caller).
    ``survey_answers`` answer the page's survey (question key → raw value); a bad one raises
    ValidationError keyed by the question before anything is written."""
    if page.kind not in ACTION_TYPES:
        raise ValueError(f"{page.kind} pages take RSVPs or gifts, not submissions")
    when = now or timezone.now()
    questions, surveyed = _survey_checked(page, survey_answers or {})
    repeat = Submission.objects.filter(page=page, token=token).select_related("person").first()
    if repeat is not None:
        return Taken(repeat, repeat.person, new_action=False)
    person, created = supporter_take(
        page=page, email=email, first_name=first_name, last_name=last_name, phone=phone,
        postal_code=postal_code, email_opt_in=email_opt_in, when=when,
    )  # fmt: skip
    given = _answers(page, answers or {})
    if given:
        custom_fields_set(actor=None, person=person, values=given)
    if surveyed and page.survey is not None:
        from ladder.organizing.surveys import survey_answers_record

        # Keyed by page and person: the same answers sent again (a new form, a double tap)
        # are written once.
        survey_answers_record(
            actor=None, person=person, survey=page.survey, questions=questions,
            answers=surveyed, when=when, source=f"page:{page.slug}", channel="web",
            key=f"page:{page.pk}:{person.pk}",
        )  # fmt: skip
    earlier = Submission.objects.filter(page=page, person=person).first()
    if earlier is not None:
        if given:
            earlier.answers = {**earlier.answers, **given}
            earlier.save(update_fields=["answers"])
        return Taken(earlier, person, new_action=False)
    referrer = recruit_credit(
        recruiter=recruiter_for(referral_code), person=person, created=created,
        where=f"page:{page.slug}", when=when,
    )  # fmt: skip
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                page=page, person=person, token=token, referrer=referrer, answers=given
            )
    except IntegrityError:  # the same person or form, a moment ago in another request
        submission = Submission.objects.get(page=page, person=person)
        return Taken(submission, person, new_action=False)
    noun = "petition" if page.kind == ActionPage.Kind.PETITION else "form"
    payload: dict[str, Any] = {noun: page.title}
    if referrer is not None:
        payload["referred_by"] = referrer.display_name
    activity_record(
        person=person, type=ACTION_TYPES[page.kind], occurred_at=when,
        source=f"page:{page.slug}", object_type="action_page", object_id=page.pk,
        payload=payload, idempotency_key=f"action:{page.pk}:{person.pk}",
    )  # fmt: skip
    action_counted(page, person)
    return Taken(submission, person, new_action=True)


@transaction.atomic
def goal_set(
    *, person: Person, metric: str, target: int, days: int, now: dt.datetime | None = None
) -> PersonalGoal:
    """A volunteer's goal for the next ``days`` days, starting now."""
    errors: dict[str, str] = {}
    if metric not in PersonalGoal.Metric.values:
        errors["metric"] = "Choose what the goal counts."
    if not 1 <= target <= 1_000_000:
        errors["target"] = "Aim for between 1 and 1,000,000."
    if not 1 <= days <= 366:
        errors["days"] = "A goal runs for a day to a year."
    if errors:
        raise PageError(errors)
    start = now or timezone.now()
    return PersonalGoal.objects.create(
        person=person, metric=metric, target=target, starts_at=start,
        ends_at=start + dt.timedelta(days=days),
    )  # fmt: skip


__all__ = [
    "PageError",
    "Taken",
    "action_counted",
    "action_take",
    "goal_set",
    "page_close",
    "page_create",
    "page_publish",
    "page_update",
    "recruit_credit",
    "recruiter_for",
    "referral_code_for",
    "supporter_take",
    "unique_slug",
]
