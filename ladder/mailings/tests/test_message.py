"""The merge language, the message as built (headers, DKIM), and sending through an email
service's Django backend (django-anymail's test backend, which records what it was handed)."""

from __future__ import annotations

from typing import Any

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core import mail
from django.test import override_settings

from ladder.mailings import sending
from ladder.mailings.merge import MergeError, Recipient, compile_body, compile_subject
from ladder.mailings.message import CompiledVariant, build
from ladder.mailings.models import Delivery, Variant
from ladder.mailings.services import mailing_create, mailing_schedule, preview
from ladder.mailings.tests.testing import everyone_segment, sender, subscriber

ROSA = Recipient(first_name="Rosa", email="rosa@example.org", city="Ames",
                 tags=frozenset({"school funding"}), rungs=frozenset({"captain"}))  # fmt: skip


def test_fields_fall_back_and_blocks_follow_what_people_care_about():
    body = compile_body(
        "Hi {{ first_name | friend }} in {{ city | your town }}.\n\n"
        "{% if tag: School Funding %}\nSchools!\n{% else %}\nEveryone!\n{% endif %}\n\n"
        "{% if not rung: captain %}\nBecome a captain.\n{% endif %}\n"
    )
    rosa = body.text.render(ROSA)
    stranger = body.text.render(Recipient())
    assert "Hi Rosa in Ames." in rosa and "Schools!" in rosa and "Everyone!" not in rosa
    assert "Become a captain" not in rosa
    assert "Hi friend in your town." in stranger and "Everyone!" in stranger
    assert "Become a captain" in stranger


def test_merged_values_are_escaped_in_html_but_not_in_text():
    body = compile_body("Hi {{ first_name }}")
    who = Recipient(first_name="<b>Al</b> & Co")
    assert "Hi &lt;b&gt;Al&lt;/b&gt; &amp; Co" in body.html.render(who)
    assert body.text.render(who) == "Hi <b>Al</b> & Co"
    assert compile_subject("{{ first_name }}, hi").render(who) == "<b>Al</b> & Co, hi"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Line one\nHi {{ frist_name }}", "Line 2: there is no merge field “frist_name”"),
        ("{% if tag: rent %}\nopen", "is not closed"),
        ("{% endif %}", "without an"),
        ("{% if colour: red %}x{% endif %}", "write a test as"),
        ("{% for x %}", "unknown block"),
        ("[x](https://a.example/{{ first_name }})", "inside a link address"),
    ],
)
def test_bad_templates_are_caught_at_compose_time(source, message):
    with pytest.raises(MergeError, match=message):
        compile_body(source)


def test_links_are_numbered_once_each_and_mailto_is_left_alone():
    body = compile_body(
        "[a](https://x.example/a) [b](/act/b) [a again](https://x.example/a) [m](mailto:x@y.z)"
    )
    assert body.links == ["https://x.example/a", "/act/b"]
    html = body.html.render(ROSA, lambda i: f"TRACK{i}")
    assert html.count("TRACK0") == 2 and "TRACK1" in html and "mailto:x@y.z" in html


@pytest.mark.django_db
def test_preview_renders_as_a_person(staff_user):
    person = subscriber(1, tag="school funding", first_name="Rosa")
    shown = preview(None, subject="For {{ first_name }}", body="{% if tag: school funding %}"
                    "Schools{% endif %}", sender=None, person=person)  # fmt: skip
    assert shown.subject == "For Rosa" and "Schools" in shown.html


@pytest.mark.django_db
def test_dkim_signature_covers_both_unsubscribe_headers(tmp_path, staff_user):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )  # fmt: skip
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "dkim.pem").write_bytes(pem)
    import base64

    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    variant = Variant(pk=7, mailing_id=3, subject="Hi", body="Hello", sender=sender())
    keyed = {"LADDER_DKIM_KEY_FILE": str(tmp_path / "dkim.pem"), "LADDER_DKIM_SELECTOR": "s1",
             "LADDER_DKIM_DOMAIN": "prairie.example"}  # fmt: skip
    with override_settings(**keyed):
        built = build(CompiledVariant.of(variant), 42, "rosa@example.org", ROSA)
    assert built.data.startswith(b"DKIM-Signature:")
    signature = built.data.split(b"\r\n\r\n", 1)[0].decode()
    signed = signature.split(" h=", 1)[1].split(";", 1)[0].replace("\r\n", "").replace(" ", "")
    assert "list-unsubscribe:list-unsubscribe-post" in signed.lower()
    assert dkim.verify(built.data, dnsfunc=lambda name, timeout=5: record)
    tampered = built.data.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
                                  b"List-Unsubscribe-Post: nothing")  # fmt: skip
    assert not dkim.verify(tampered, dnsfunc=lambda name, timeout=5: record)


@pytest.mark.django_db
def test_sending_through_an_email_service_backend(staff_user):
    for i in range(3):
        subscriber(i)
    mailing = mailing_create(
        actor=staff_user, name="Via a service", subjects=["Hi {{ first_name }}"],
        bodies=["Hello [there](/act/x)"], senders=[sender()],
        include_segments=[everyone_segment(staff_user)],
    )  # fmt: skip
    mailing_schedule(actor=staff_user, mailing=mailing, when=None)
    service = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    with override_settings(MAILERS=service):
        sending.mailings_tick()
        tally = sending.send_available("test")
    assert tally.sent == 3
    assert sorted(m.to[0] for m in mail.outbox) == [f"p{i}@example.org" for i in range(3)]
    first: Any = mail.outbox[0]  # an EmailMultiAlternatives
    assert first.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first.extra_headers["Message-ID"].startswith(f"<m{mailing.pk}.d")
    assert "/m/c/" in first.alternatives[0][0]
    assert Delivery.objects.filter(mailing=mailing, state=Delivery.State.SENT).count() == 3
