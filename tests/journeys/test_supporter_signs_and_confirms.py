"""Persona journey: a supporter signs, gets the email over real SMTP, confirms, is counted."""

from app.core.outbox import send_due_emails
from tests.factories import confirm_with_click, make_campaign, submit_signature


def test_sign_receive_email_confirm_and_see_count_rise(client, smtp):
    make_campaign(slug="restrooms", goal=10)
    assert "0 signatures" in client.get("/c/restrooms").get_data(as_text=True)

    response = submit_signature(client, "restrooms", name="Grace Hopper", email="grace@example.org")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/c/restrooms/check-inbox")
    assert "Check your inbox" in client.get(response.headers["Location"]).get_data(as_text=True)

    report = send_due_emails()
    assert len(report.sent) == 1
    [email] = smtp.messages_to("grace@example.org")
    assert "Please confirm your signature" in email["Subject"]
    link = smtp.confirm_link("grace@example.org")

    # Opening the link (as a mail scanner would) changes nothing.
    page = client.get(link)
    assert "Confirm my signature" in page.get_data(as_text=True)
    assert "0 signatures" in client.get("/c/restrooms").get_data(as_text=True)

    # Shown on the page only because the email's owner ticks it here (nothing is pre-ticked).
    confirmed = confirm_with_click(client, link, public="y")
    assert confirmed.status_code == 200
    assert "your signature is confirmed" in confirmed.get_data(as_text=True)
    shown = client.get("/c/restrooms").get_data(as_text=True)
    assert "1 signature" in shown and "Grace Hopper" in shown


def test_arabic_supporter_gets_arabic_pages_and_email(client, smtp):
    make_campaign(slug="restrooms", languages=("en", "ar"))
    response = submit_signature(
        client, "restrooms", lang="ar", email="layla@example.org", name="ليلى"
    )
    assert response.status_code == 303
    inbox = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in inbox

    send_due_emails()
    [email] = smtp.messages_to("layla@example.org")
    html = email.get_body(preferencelist=("html",)).get_content()
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert "Please confirm" not in text  # the email is in Arabic, not English
    assert "ليلى" in text

    confirmed = confirm_with_click(client, smtp.confirm_link("layla@example.org"))
    assert confirmed.status_code == 200
    assert 'dir="rtl"' in confirmed.get_data(as_text=True)
