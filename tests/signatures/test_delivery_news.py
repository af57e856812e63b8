"""The delivery news: only confirmed signers who agreed to be contacted, once each, in batches."""

from datetime import date

from app.core.outbox import send_due_emails
from app.extensions import db
from app.signatures.models import CONFIRMED, PENDING
from app.signatures.services import tell_signers_of_delivery
from tests.factories import make_campaign, make_signature


def signer(campaign, email, state=CONFIRMED, consent=True, **kwargs):
    signature = make_signature(campaign, state=state, email=email, **kwargs)
    signature.contact_consent = consent
    db.session.commit()
    return signature


def test_the_news_reaches_each_consenting_confirmed_signer_once_in_their_language(app, smtp):
    campaign = make_campaign(slug="c", languages=("en", "ar"))
    campaign.delivered_on, campaign.delivered_to = date(2026, 11, 20), "Riverside City Council"
    db.session.commit()
    for n in range(3):
        signer(campaign, f"yes{n}@example.org")
    signer(campaign, "layla@example.org", name="ليلى", language="ar")
    signer(campaign, "no@example.org", consent=False)
    signer(campaign, "pending@example.org", state=PENDING)

    after, batches = 0, 0
    while after is not None:
        after = tell_signers_of_delivery(campaign, after_id=after, batch=2)
        batches += 1
    assert batches == 3  # 2 + 2 + none left

    send_due_emails()
    recipients = sorted(message["To"] for message in smtp.messages)
    assert recipients == sorted(
        ["yes0@example.org", "yes1@example.org", "yes2@example.org", "layla@example.org"]
    )
    [english] = smtp.messages_to("yes0@example.org")
    text = english.get_body(preferencelist=("plain",)).get_content()
    assert "delivered to Riverside City Council" in text and "/c/c?lang=en" in text
    [arabic] = smtp.messages_to("layla@example.org")
    assert 'dir="rtl"' in arabic.get_body(preferencelist=("html",)).get_content()
    assert "delivered to" not in arabic.get_body(preferencelist=("plain",)).get_content()
