"""Names that cannot deceive, and bad input that never becomes a 500."""

import io

import pytest
from sqlalchemy import func, select

from app.core.outbox import OutboxEmail, send_due_emails
from app.core.tokens import CONFIRM_SIGNATURE, make_token
from app.extensions import db
from app.signatures.models import PENDING, ConsentRecord, Signature
from app.signatures.signing import confirmation_token
from tests.factories import (
    confirm_with_click,
    csrf_token,
    form_as_shown,
    make_campaign,
    make_signature,
    sign_form,
    submit_signature,
)

LINK_IN_NAME = "Enter your name without a web or email address."
LINK_IN_TOWN = "Enter your postcode or town without a web or email address."
# What the security probe typed: each lands as a link in the emails other people get.
LINK_LIKE = [
    "Go to evil-login.com now",  # a bare domain: Gmail, Outlook and Apple Mail link it
    "evil.example/login",  # a path makes any dotted name a link
    "phish@evil.example",
    "\uff48\uff54\uff54\uff50\uff53\uff1a\uff0f\uff0fevil.example",  # fullwidth https://
    "https:\\\\evil.example",  # backslashes, read as slashes by browsers
    "Win at https://evil.example",
    "visit www.evil.example",
    "Ada WWW.evil.example",
    "EVIL-LOGIN.COM",
    "evil-login\u3002com",  # the ideographic full stop is a dot to IDNA
    "evil-login\u200b.com",  # a zero-width space, removed before the check
    "Mr.Li",  # a real domain name: li is a top-level domain
]
# Real names with full stops, apostrophes, hyphens and other scripts: all still welcome.
REAL_NAMES = [
    "J. R. R. Tolkien",
    "J.R.R.Tolkien",
    "St. John Smith",
    "Dr.Smith",  # .smith is no top-level domain
    "Anne-Marie O'Neil",
    "Mr. Li",
    "J.Kim",  # .kim is a top-level domain, but one letter before it is an initial
    "Sr. D. José Pérez-López",
    "محمد بن عبد الله",
    "ليلى الأحمد",
    "李小龙",
    "Ada @ home",
]


def stored_names() -> list[str]:
    return list(db.session.execute(select(Signature.name)).scalars())


def rows(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def field_error(html: str, field: str) -> str:
    return html[html.index(f'id="{field}-error"') :][:400]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ada\u202eecalevol", "Adaecalevol"),  # right-to-left override
        ("\u2066Ada\u2069 Lovelace", "Ada Lovelace"),  # isolates
        ("A\u200bd\u200da\ufeff", "Ada"),  # zero-width space, joiner, BOM
        ("Ada\u00ad Love\u2060lace", "Ada Lovelace"),  # soft hyphen, word joiner
        ("ليلى\u200f", "ليلى"),  # right-to-left mark
    ],
)
def test_invisible_and_direction_characters_are_removed_from_names(client, typed, stored):
    make_campaign(slug="c")
    assert submit_signature(client, "c", name=typed, postcode=f"X{typed}").status_code == 303
    assert stored_names() == [stored]
    assert db.session.execute(select(Signature.postcode)).scalar_one() == f"X{stored}"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("\u200b\u200b", "Enter your name."),  # nothing left once invisible characters go
        ("\u3164\u3164", "Enter your name in letters."),  # Hangul fillers draw nothing
        ("12345", "Enter your name in letters."),
        ("--- ...", "Enter your name in letters."),
    ],
)
def test_names_without_a_visible_letter_are_refused(client, name, message):
    make_campaign(slug="c")
    response = submit_signature(client, "c", name=name)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in field_error(html, "name")
    assert stored_names() == []


@pytest.mark.parametrize("name", LINK_LIKE)
def test_names_a_mail_client_would_link_are_refused_and_nothing_is_queued(client, name):
    make_campaign(slug="c")
    response = submit_signature(client, "c", name=name)
    assert response.status_code == 400
    assert LINK_IN_NAME in field_error(response.get_data(as_text=True), "name")
    assert stored_names() == [] and rows(OutboxEmail) == 0


@pytest.mark.parametrize("town", LINK_LIKE)
def test_a_town_a_mail_client_would_link_is_refused(client, town):
    make_campaign(slug="c")
    response = submit_signature(client, "c", postcode=town[:30])
    assert response.status_code == 400
    assert LINK_IN_TOWN in field_error(response.get_data(as_text=True), "postcode")
    assert stored_names() == [] and rows(OutboxEmail) == 0


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_names_with_full_stops_and_other_scripts_are_still_accepted(client, name):
    make_campaign(slug="c")
    assert submit_signature(client, "c", name=name, postcode="St.Albans").status_code == 303
    assert stored_names() == [name]


def test_the_refusal_is_in_arabic_on_an_arabic_page(client):
    make_campaign(slug="c", languages=("en", "ar"))
    response = submit_signature(client, "c", lang="ar", name="evil-login.com")
    assert response.status_code == 400
    assert "دون عنوان موقع أو بريد إلكتروني" in field_error(response.get_data(True), "name")


def test_the_widget_refuses_a_link_like_name_next_to_the_field(app):
    make_campaign(slug="c")
    cookieless = app.test_client(use_cookies=False)
    fields = form_as_shown(cookieless.get("/embed/c").get_data(as_text=True))
    data = {**fields, **sign_form(name="phish@evil.example", postcode="evil.example/x")}
    response = cookieless.post("/embed/c/sign", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert LINK_IN_NAME in field_error(html, "name")
    assert LINK_IN_TOWN in field_error(html, "postcode")
    assert stored_names() == [] and rows(OutboxEmail) == 0


def test_the_confirm_form_refuses_a_link_like_name_and_confirms_nothing(client):
    campaign = make_campaign(slug="c")
    link = f"/confirm/{confirmation_token(make_signature(campaign, name='Ada'))}"
    response = confirm_with_click(client, link, name="Go to evil-login.com now")
    assert response.status_code == 400
    assert LINK_IN_NAME in field_error(response.get_data(as_text=True), "name")
    db.session.expire_all()
    assert db.session.execute(select(Signature.state, Signature.name)).one() == (PENDING, "Ada")
    assert rows(ConsentRecord) == 0 and rows(OutboxEmail) == 0


def test_names_stay_bidi_isolated_in_emails(client, smtp):
    make_campaign(slug="c")
    submit_signature(client, "c", name="ليلى <b>", email="layla@example.org")
    send_due_emails()
    [email] = smtp.messages_to("layla@example.org")
    text = email.get_body(preferencelist=("plain",)).get_content()
    html = email.get_body(preferencelist=("html",)).get_content()
    assert "\u2068ليلى <b>\u2069" in text
    assert "<bdi>ليلى &lt;b&gt;</bdi>" in html


@pytest.mark.parametrize("field", ["name", "email", "postcode", "country", "public"])
def test_a_text_field_sent_as_a_file_part_is_a_form_error(client, field):
    make_campaign(slug="c")
    data = {"csrf_token": csrf_token(client, "/c/c"), **sign_form()}
    data[field] = (io.BytesIO(b"Ada"), "name.txt")
    response = client.post("/c/c/sign", data=data, content_type="multipart/form-data")
    if field == "public":  # a box sent as a file counts as unticked
        assert response.status_code == 303
        assert db.session.execute(select(Signature.public)).scalar_one() is False
    else:
        assert response.status_code == 400 and f'id="{field}-error"' in response.get_data(True)
        assert stored_names() == []


def test_a_file_part_on_the_confirm_and_resend_forms_is_a_form_error(client):
    campaign = make_campaign(slug="c")
    link = f"/confirm/{confirmation_token(make_signature(campaign))}"
    for path, field in ((link, "name"), ("/c/c/resend", "email")):
        data = {"csrf_token": csrf_token(client, path), field: (io.BytesIO(b"x"), "x.txt")}
        response = client.post(path, data=data, content_type="multipart/form-data")
        assert response.status_code == 400 and f'id="{field}-error"' in response.get_data(True)


@pytest.mark.parametrize(
    "payload",
    [
        {"s": 10**30, "n": "a" * 32},  # beyond any row id (PostgreSQL would overflow)
        {"s": 2**31, "n": "a" * 32},
        {"s": -1, "n": "a" * 32},
        {"s": 1.5, "n": "a" * 32},
        {"s": [1], "n": "a" * 32},
        {"s": 1, "n": "ä" * 32},  # a non-ASCII nonce: compare_digest would raise
        {"s": 1, "n": 12},
        {"s": 1},
    ],
)
def test_forged_tokens_with_malformed_values_get_the_invalid_link_page(client, payload):
    make_signature(make_campaign(slug="c"))
    token = make_token(CONFIRM_SIGNATURE, payload)
    for path in (f"/confirm/{token}", f"/confirm/{token}/not-me"):
        response = client.get(path)
        assert response.status_code == 404
        assert "This link does not work" in response.get_data(as_text=True)


def test_lang_remembers_only_languages_the_site_serves(client):
    make_campaign(slug="c")
    assert "lang=ar" in client.get("/?lang=ar").headers.get("Set-Cookie", "")
    for unserved in ("fr", "zz", "de-DE", "x" * 12):
        assert "lang=" not in client.get(f"/?lang={unserved}").headers.get("Set-Cookie", "")
