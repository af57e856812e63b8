"""Names that cannot deceive, and bad input that never becomes a 500."""

import io

import pytest
from sqlalchemy import select

from app.core.outbox import send_due_emails
from app.core.tokens import CONFIRM_SIGNATURE, make_token
from app.extensions import db
from app.signatures.models import Signature
from app.signatures.services import confirmation_token
from tests.factories import csrf_token, make_campaign, make_signature, sign_form, submit_signature


def stored_names() -> list[str]:
    return list(db.session.execute(select(Signature.name)).scalars())


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
        ("Win at https://evil.example", "Enter your name without a web address."),
        ("visit www.evil.example", "Enter your name without a web address."),
        ("Ada WWW.evil.example", "Enter your name without a web address."),
    ],
)
def test_names_without_a_visible_letter_or_with_a_web_address_are_refused(client, name, message):
    make_campaign(slug="c")
    response = submit_signature(client, "c", name=name)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html[html.index('id="name-error"') :][:300]
    assert stored_names() == []


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
