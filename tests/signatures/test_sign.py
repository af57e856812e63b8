"""Signing: validation next to each field, one signature per person, no enumeration."""

import pytest
from sqlalchemy import func, select

from app.core.outbox import OutboxEmail, send_due_emails
from app.extensions import db
from app.signatures.models import CONFIRMED, PENDING, Signature
from tests.factories import (
    csrf_token,
    make_campaign,
    make_closed_campaign,
    make_signature,
    sign_form,
    submit_signature,
)
from tests.helpers import body_of, postgres_only
from tests.parallel import run_in_parallel


def rows(model=Signature) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_valid_submission_stores_pending_signature_and_queues_email(client):
    make_campaign(slug="c")
    response = submit_signature(client, "c", email="  Ada@Example.org ", name="Ada")
    assert response.status_code == 303
    signature = db.session.execute(select(Signature)).scalar_one()
    assert signature.state == PENDING
    assert signature.email == "Ada@example.org"  # trimmed, domain normalised, case of local kept
    assert signature.email_normalised == "ada@example.org"
    assert signature.token_nonce and len(signature.token_nonce) == 32
    [email] = db.session.execute(select(OutboxEmail)).scalars().all()
    assert email.to_address == "Ada@example.org" and email.status == "queued"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter your name."),
        ("name", "x" * 1_000_000, "Use at most 200 characters."),  # case 15: 1 MB name
        ("email", None, "Enter your email address."),  # case 15: missing email
        ("email", "not-an-email", "Enter a valid email address"),
        ("email", "a@b", "Enter a valid email address"),
        ("postcode", "", "Enter your postcode or town."),
        ("postcode", "9" * 300, "Use at most 30 characters."),  # case 15: 300-char postcode
        ("country", "XX", "Choose a country from the list."),  # case 15: country XX
        ("country", "", "Choose your country."),
        # A control character (a NUL never reaches the form: core/test_input_guard.py).
        ("name", "Ada\x07Lovelace", "characters we cannot read"),
        ("name", "Ada \ufffd", "characters we cannot read"),
    ],
)
def test_each_invalid_field_gets_its_error_next_to_it_and_nothing_is_stored(
    client, field, value, message
):
    make_campaign(slug="c")
    response = submit_signature(client, "c", **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error_at = html.index(f'id="{field}-error"')
    assert message in html[error_at : error_at + 300]
    assert f'aria-describedby="{field}-error"' in html or f"{field}-hint {field}-error" in html
    assert rows() == 0 and rows(OutboxEmail) == 0


def test_invalid_utf8_bytes_are_refused(client):
    """Case 15: bytes that are not UTF-8 get a form error, not a stored mojibake name."""
    make_campaign(slug="c")
    token = csrf_token(client, "/c/c")
    body = (
        b"csrf_token=" + token.encode() + b"&name=Ada%FF%FE&email=ada%40example.org"
        b"&postcode=N1&country=GB"
    )
    response = client.post("/c/c/sign", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "Please go back and try again" in response.get_data(as_text=True)
    assert rows() == 0


def test_optional_fields_may_be_left_empty_when_the_campaign_allows(client):
    make_campaign(slug="c", required=("name", "email"))
    response = submit_signature(client, "c", postcode="", country="")
    assert response.status_code == 303
    assert rows() == 1


def test_missing_csrf_token_is_a_400_and_stores_nothing(client):
    make_campaign(slug="c")
    response = client.post("/c/c/sign", data=sign_form(name="Overnight Olu"))
    assert response.status_code == 400
    # A form left open overnight comes back as typed, with a fresh token and a message.
    html = response.get_data(as_text=True)
    assert "This form had expired" in html and 'value="Overnight Olu"' in html
    assert 'name="csrf_token"' in html
    assert rows() == 0


def test_extra_fields_cannot_set_state_or_campaign(client):
    """Case 17: state=confirmed or campaign_id=... in the POST are ignored."""
    target = make_campaign(slug="c")
    other = make_campaign(slug="other")
    response = submit_signature(client, "c", state=CONFIRMED, campaign_id=str(other.id), id="99")
    assert response.status_code == 303
    signature = db.session.execute(select(Signature)).scalar_one()
    assert signature.state == PENDING and signature.campaign_id == target.id


def _inbox_page(response, client):
    return (
        response.status_code,
        response.headers["Location"],
        client.get(response.headers["Location"]).get_data(as_text=True),
    )


def test_new_pending_and_confirmed_signers_see_the_same_response(client, app):
    """Cases 1 and 25: the response does not reveal whether the address had signed."""
    campaign = make_campaign(slug="c")
    make_signature(campaign, state=PENDING, email="pending@example.org")
    make_signature(campaign, state=CONFIRMED, email="confirmed@example.org")
    answers = {
        address: _inbox_page(submit_signature(client, "c", email=address), client)
        for address in ("new@example.org", "pending@example.org", "confirmed@example.org")
    }
    assert len(set(answers.values())) == 1
    assert rows() == 3


def test_signing_again_while_pending_resends_at_most_once_a_minute(client, app, smtp):
    make_campaign(slug="c")
    submit_signature(client, "c", email="twice@example.org")
    submit_signature(client, "c", email="twice@example.org")
    assert rows() == 1 and rows(OutboxEmail) == 1  # second attempt within the minute: no mail

    signature = db.session.execute(select(Signature)).scalar_one()
    signature.last_emailed_at = signature.last_emailed_at - app.config["RESEND_INTERVAL"]
    db.session.commit()
    submit_signature(client, "c", email="twice@example.org")
    send_due_emails()
    emails = smtp.messages_to("twice@example.org")
    assert len(emails) == 2
    assert "/confirm/" in body_of(emails[1])  # a fresh confirmation, same signature
    assert rows() == 1


def test_signing_again_when_confirmed_sends_already_signed_note(client, smtp):
    campaign = make_campaign(slug="c")
    make_signature(campaign, state=CONFIRMED, email="done@example.org")
    submit_signature(client, "c", email="done@example.org")
    send_due_emails()
    [email] = smtp.messages_to("done@example.org")
    assert "already signed" in email["Subject"]
    assert "/confirm/" not in body_of(email)


def test_an_address_gets_at_most_max_emails_per_signature(client, app):
    """Case 23 (per signature): repeated submissions cannot mail-bomb the address."""
    make_campaign(slug="c")
    for _ in range(12):
        submit_signature(client, "c", email="victim@example.org")
        signature = db.session.execute(select(Signature)).scalar_one()
        signature.last_emailed_at = signature.last_emailed_at - app.config["RESEND_INTERVAL"]
        db.session.commit()
    assert rows(OutboxEmail) == app.config["MAX_EMAILS_PER_SIGNATURE"]


def test_gmail_variants_are_one_person_and_the_original_is_kept(client):
    """Case 2."""
    make_campaign(slug="c")
    submit_signature(client, "c", email="J.Doe+x@GoogleMail.com")
    submit_signature(client, "c", email="jdoe@gmail.com")
    signature = db.session.execute(select(Signature)).scalar_one()
    assert signature.email == "J.Doe+x@googlemail.com"
    assert signature.email_normalised == "jdoe@gmail.com"
    [email] = db.session.execute(select(OutboxEmail)).scalars().all()
    assert email.to_address == "J.Doe+x@googlemail.com"


def test_closed_campaign_shows_final_count_and_refuses_signatures(client):
    campaign = make_closed_campaign(slug="c")
    make_signature(campaign, state=CONFIRMED)
    page = client.get("/c/c").get_data(as_text=True)
    assert "This petition is closed" in page and "1 confirmed signature" in page
    assert 'action="/c/c/sign"' not in page
    make_campaign(slug="open")
    token = csrf_token(client, "/c/open")  # the session's token, valid for any form
    response = client.post("/c/c/sign", data={"csrf_token": token, **sign_form(name="Late Lu")})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This petition closed before your signature could be recorded" in html
    assert 'value="Late Lu"' in html
    assert rows() == 1


def test_campaign_past_its_deadline_takes_no_new_signatures(client):
    from datetime import timedelta

    from app.core.database import utcnow

    make_campaign(slug="c", deadline=utcnow() - timedelta(minutes=1))
    page = client.get("/c/c").get_data(as_text=True)
    assert 'action="/c/c/sign"' not in page and "Closed on" in page


def test_signing_an_unknown_campaign_is_a_404(client):
    make_campaign(slug="c")
    token = csrf_token(client, "/c/c")
    response = client.post("/c/nope/sign", data={"csrf_token": token, **sign_form()})
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def submit_in_parallel(app, threads: int) -> list[int]:
    """`threads` browsers submit the same email at the same moment; return their statuses."""
    statuses = []

    def submit():
        with app.test_client() as own_client:
            statuses.append(submit_signature(own_client, "c", email="dup@example.org").status_code)

    assert run_in_parallel(threads, submit) == []
    return statuses


def test_simultaneous_submissions_of_one_email_make_one_row(app):
    """Case 3 (double click, several threads): one row, no error page, at most K emails."""
    make_campaign(slug="c")
    assert submit_in_parallel(app, 8) == [303] * 8
    assert rows() == 1
    assert rows(OutboxEmail) == 1  # the repeats fall within RESEND_INTERVAL


@postgres_only
def test_twenty_parallel_posts_on_postgres_make_one_row(app):
    """Case 3 on PostgreSQL: 20 parallel POSTs with one email."""
    make_campaign(slug="c")
    assert submit_in_parallel(app, 20) == [303] * 20
    assert rows() == 1
    assert rows(OutboxEmail) == 1
