"""What the email owner confirms is what the email owner chose (and "I did not sign this")."""

from sqlalchemy import func, select

from app.campaigns.counts import confirmed_counts
from app.core.outbox import OutboxEmail, send_due_emails
from app.extensions import db
from app.signatures.models import (
    CONFIRMED,
    ConsentRecord,
    Signature,
    SigningSuppression,
)
from tests.factories import (
    confirm_with_click,
    csrf_token,
    form_as_shown,
    make_campaign,
    submit_signature,
)


def the_signature() -> Signature:
    db.session.expire_all()
    return db.session.execute(select(Signature)).scalar_one()


def rows(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_the_owners_later_submission_replaces_a_strangers_pending_details(client, smtp):
    make_campaign(slug="c")
    submit_signature(
        client,
        "c",
        email="victim@example.org",
        name="Stranger",
        postcode="Elsewhere",
        country="FR",
        public="y",
        contact_consent="y",
    )
    submit_signature(
        client,
        "c",
        email="Victim+petitions@example.org",
        name="Vic Owner",
        postcode="Leeds",
        country="GB",
        public=None,
        contact_consent=None,
        lang="ar",
    )
    signature = the_signature()
    assert rows(Signature) == 1
    assert (signature.name, signature.postcode, signature.country) == ("Vic Owner", "Leeds", "GB")
    assert (signature.public, signature.contact_consent, signature.language) == (False, False, "ar")
    assert signature.email == "victim@example.org"  # sent to the address first typed


def test_the_confirm_page_shows_the_details_and_records_what_the_post_carries(client, smtp):
    campaign = make_campaign(slug="c")
    submit_signature(
        client,
        "c",
        email="owner@example.org",
        name="Stranger",
        postcode="Elsewhere",
        public="y",
        contact_consent="y",
    )
    send_due_emails()
    link = smtp.confirm_link("owner@example.org")
    shown = form_as_shown(client.get(link).get_data(as_text=True))
    assert shown["name"] == "Stranger" and shown["postcode"] == "Elsewhere"

    response = confirm_with_click(client, link, name="Olu Owner", postcode="Hull")
    assert "your signature is confirmed" in response.get_data(as_text=True)
    signature = the_signature()
    assert signature.state == CONFIRMED
    assert (signature.name, signature.postcode, signature.public) == ("Olu Owner", "Hull", False)
    assert signature.contact_consent is False
    assert confirmed_counts([campaign.id]) == {campaign.id: 1}
    assert "Olu Owner" not in client.get("/c/c").get_data(as_text=True)  # not shown: unticked


def test_each_choice_is_recorded_with_when_and_the_words_shown(client, smtp):
    make_campaign(slug="c")
    submit_signature(client, "c", email="layla@example.org", lang="ar")
    send_due_emails()
    confirm_with_click(client, smtp.confirm_link("layla@example.org"), contact_consent="y")
    records = {r.choice: r for r in db.session.execute(select(ConsentRecord)).scalars()}
    assert set(records) == {"public", "contact_consent"}
    # Ticked on the sign form, not on the confirm page: not given.
    assert records["contact_consent"].given is True and records["public"].given is False
    # The Arabic wording the owner read on the page they confirmed from.
    assert records["contact_consent"].language == "ar"
    assert (
        records["contact_consent"].wording
        == "يمكن لمنظِّمي هذه الحملة مراسلتي عبر البريد الإلكتروني بشأنها"
    )
    assert records["contact_consent"].recorded_at is not None


def test_choices_ticked_when_signing_are_not_ticked_for_the_email_owner(client, smtp):
    """Someone signs with your address and ticks both boxes: that is not your consent."""
    make_campaign(slug="c")
    submit_signature(
        client, "c", email="owner@example.org", name="Stranger", public="y", contact_consent="y"
    )
    send_due_emails()
    link = smtp.confirm_link("owner@example.org")
    page = client.get(link).get_data(as_text=True)
    shown = form_as_shown(page)
    assert "public" not in shown and "contact_consent" not in shown  # both unticked
    assert 'name="public"' in page and 'name="contact_consent"' in page  # and asked
    assert shown["name"] == "Stranger" and shown["country"] == "GB"  # details, to check
    assert "nothing is ticked for you" in page

    response = confirm_with_click(client, link)  # the owner ticks nothing
    assert "your signature is confirmed" in response.get_data(as_text=True)
    signature = the_signature()
    assert signature.state == CONFIRMED
    assert (signature.public, signature.contact_consent) == (False, False)
    records = db.session.execute(select(ConsentRecord.choice, ConsentRecord.given)).all()
    assert sorted(records) == [("contact_consent", False), ("public", False)]
    assert "Stranger" not in client.get("/c/c").get_data(as_text=True)


def test_the_confirm_post_is_validated_like_the_sign_form(client, smtp):
    make_campaign(slug="c")
    submit_signature(client, "c", email="owner@example.org")
    send_due_emails()
    link = smtp.confirm_link("owner@example.org")
    response = confirm_with_click(client, link, name="", country="XX")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter your name." in html and "Choose a country from the list." in html
    assert the_signature().state == "pending"


def test_i_did_not_sign_this_removes_it_and_stops_emails_for_that_campaign(client, smtp):
    make_campaign(slug="c")
    make_campaign(slug="other")
    submit_signature(client, "c", email="victim@example.org", name="Stranger")
    send_due_emails()
    email = smtp.messages_to("victim@example.org")[-1]
    body = email.get_body(preferencelist=("plain",)).get_content()
    not_me = "/confirm/" + body.split("/confirm/")[-1].split()[0]
    assert not_me.split("?")[0].endswith("/not-me")

    page = client.get(not_me).get_data(as_text=True)
    assert "Stranger" not in page  # no details on the way out either
    token = csrf_token(client, not_me)
    response = client.post(not_me, data={"csrf_token": token})
    assert "The signature has been removed" in response.get_data(as_text=True)
    assert rows(Signature) == 0 and rows(SigningSuppression) == 1
    assert "victim" not in db.session.execute(select(SigningSuppression)).scalar_one().identity_hash

    # Whoever submits that mailbox again for this campaign: same answer, nothing stored or sent.
    queued = rows(OutboxEmail)
    response = submit_signature(client, "c", email="Victim+again@example.org")
    assert response.status_code == 303 and rows(Signature) == 0 and rows(OutboxEmail) == queued
    # Other campaigns are not affected.
    submit_signature(client, "other", email="victim@example.org")
    assert rows(Signature) == 1 and rows(OutboxEmail) == queued + 1


def test_without_the_token_no_page_shows_details(client):
    make_campaign(slug="c")
    submit_signature(client, "c", email="owner@example.org", name="Secret Sam")
    for path in ("/confirm/nonsense", "/confirm/nonsense/not-me"):
        response = client.get(path)
        assert response.status_code == 404 and "Secret Sam" not in response.get_data(as_text=True)


def test_plus_addresses_are_one_person_on_every_domain(client):
    make_campaign(slug="c")
    for address in ("victim+1@example.com", "victim+2@example.com", "VICTIM@example.com"):
        assert submit_signature(client, "c", email=address).status_code == 303
    assert rows(Signature) == 1 and rows(OutboxEmail) == 1
    assert the_signature().email == "victim+1@example.com"


def test_email_links_carry_the_language_the_email_was_written_in(client, smtp):
    make_campaign(slug="c", languages=("en", "ar"))
    submit_signature(client, "c", email="layla@example.org", lang="ar")
    send_due_emails()
    link = smtp.confirm_link("layla@example.org")
    assert link.endswith("?lang=ar")
    other_device = client.application.test_client()  # no cookie, no Accept-Language
    page = other_device.get(link).get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in page
