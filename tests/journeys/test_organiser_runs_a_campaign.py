"""Persona journey: an organiser signs up, forms a team, writes a bilingual campaign, runs it."""

import re

from app.core.outbox import send_due_emails
from tests.factories import (
    ORGANISER_PASSWORD,
    confirm_with_click,
    csrf_token,
    log_in_with_form,
    make_organiser_with_password,
    submit_signature,
)


def emailed_path(smtp, address: str, pattern: str) -> str:
    """The path of the first link matching `pattern` in the latest email to `address`."""
    send_due_emails()
    body = smtp.messages_to(address)[-1].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://[^/\s]+(" + pattern + r")", body)
    assert link, body
    return link.group(1)


def post_form(client, path, form_page=None, **data):
    """Submit a form the way a browser does: with the CSRF token of the page it is on."""
    token = csrf_token(client, form_page or path)
    return client.post(path, data={"csrf_token": token, **data})


def test_from_sign_up_to_a_closed_campaign(app, client, smtp):
    # Sign up, and confirm the address from the emailed link (a button, not the GET).
    signed_up = post_form(
        client,
        "/signup",
        email="amina@example.org",
        new_password=ORGANISER_PASSWORD,
        confirm_password=ORGANISER_PASSWORD,
    )
    assert signed_up.status_code in (200, 303)
    confirm = emailed_path(smtp, "amina@example.org", r"/signup/confirm/\S+")
    assert post_form(client, confirm).status_code in (200, 303)

    assert log_in_with_form(client, "amina@example.org").status_code == 303

    # A team, and a second organiser invited into it as an editor.
    created = post_form(client, "/organisations/new", name="Riverside Parents")
    assert created.status_code == 303
    assert client.get("/organisations/riverside-parents").status_code == 200
    invited = post_form(
        client,
        "/organisations/riverside-parents/invitations",
        "/organisations/riverside-parents/members",
        email="bo@example.org",
        role="editor",
    )
    assert invited.status_code == 303
    invitation = emailed_path(smtp, "bo@example.org", r"/invitations/\S+")

    colleague = app.test_client()
    make_organiser_with_password(email="bo@example.org")
    assert log_in_with_form(colleague, "bo@example.org").status_code == 303
    assert post_form(colleague, invitation).status_code == 303
    members = client.get("/organisations/riverside-parents/members").get_data(as_text=True)
    assert "bo@example.org" in members

    # The colleague writes the campaign in English, then adds Arabic.
    new = post_form(
        colleague,
        "/organisations/riverside-parents/campaigns/new",
        language="en",
        title="Safe crossings by every school",
        slug="",
        summary="Ask the council for crossings.",
        body_markdown="Children cross **four lanes** of traffic.",
        target_name="Riverside City Council",
        goal="500",
    )
    assert new.status_code == 303
    campaign_id = int(re.search(r"/dashboard/campaigns/(\d+)/", new.headers["Location"]).group(1))
    base = f"/dashboard/campaigns/{campaign_id}"
    assert (
        post_form(colleague, f"{base}/languages", f"{base}/edit", language="ar").status_code == 303
    )
    saved = post_form(
        colleague,
        f"{base}/text/ar",
        title="معابر آمنة عند كل مدرسة",
        summary="اطلبوا من المجلس إنشاء معابر.",
        body_markdown="يعبر الأطفال **أربعة مسارات** من السيارات.",
        thank_you_markdown="شكراً لكم!",
        target_name="مجلس مدينة ريفرسايد",
        target_role="",
        target_institution="",
    )
    assert saved.status_code == 303

    # The preview shows the Arabic page right to left; the public page does not exist yet.
    preview = colleague.get(f"{base}/preview?lang=ar").get_data(as_text=True)
    assert "معابر آمنة عند كل مدرسة" in preview and 'dir="rtl"' in preview
    assert "<strong>أربعة مسارات</strong>" in preview
    slug = "safe-crossings-by-every-school"
    assert client.get(f"/c/{slug}").status_code == 404

    assert post_form(colleague, f"{base}/publish", f"{base}/edit").status_code == 303
    assert "Safe crossings by every school" in client.get("/?lang=en").get_data(as_text=True)

    # A supporter signs and confirms; the dashboard counts one confirmed signature.
    supporter = app.test_client()
    assert submit_signature(supporter, slug, email="sam@example.org").status_code == 303
    send_due_emails()
    assert confirm_with_click(supporter, smtp.confirm_link("sam@example.org")).status_code == 200
    figures = client.get(base).get_data(as_text=True)
    assert re.search(r"Confirmed[^0-9]*1\b", re.sub(r"<[^>]+>", " ", figures))

    # Closed by hand: the public page keeps the text and loses the form.
    assert post_form(client, f"{base}/close", f"{base}/edit").status_code == 303
    closed = supporter.get(f"/c/{slug}").get_data(as_text=True)
    assert "Safe crossings by every school" in closed and 'action="/c/' not in closed
