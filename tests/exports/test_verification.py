"""The public /v/<code> page: the document's figures and SHA-256, and the per-signature check."""

import hashlib
from datetime import timedelta

import pytest

from app.core.database import utcnow
from app.core.outbox import send_due_emails
from app.exports.delivery import write_delivery_pdf
from app.exports.models import ExportStatus
from app.extensions import db
from app.signatures.models import CONFIRMED
from tests.exports.delivery_data import add_signatures, make_export
from tests.factories import csrf_token, make_campaign, make_signature


def finished_export(campaign, tmp_path, status=ExportStatus.DONE):
    """An export made as the job runner makes it: the file written, its SHA-256 stored."""
    export = make_export(campaign)
    path = tmp_path / "delivery.pdf"
    write_delivery_pdf(export, path, lambda done, total: None)
    export.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    export.status = status
    export.finished_at = utcnow()
    db.session.commit()
    return export, path


@pytest.mark.parametrize("status", [ExportStatus.DONE, ExportStatus.EXPIRED])
def test_the_page_shows_the_files_sha256_and_the_figures(app, client, tmp_path, status):
    campaign = make_campaign()
    add_signatures(campaign, 4)
    export, path = finished_export(campaign, tmp_path, status)
    response = client.get(f"/v/{export.verification_code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert hashlib.sha256(path.read_bytes()).hexdigest() in html
    assert "Test campaign (en)" in html and ">4<" in html
    assert '<meta name="robots" content="noindex">' in html
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert "sha256sum" in html


def test_unknown_and_unfinished_codes_are_not_found(app, client, tmp_path):
    campaign = make_campaign()
    export = make_export(campaign)  # queued: no file, no fingerprint yet
    assert client.get("/v/nosuchcode").status_code == 404
    assert client.get(f"/v/{export.verification_code}").status_code == 404


def check(client, export, email):
    path = f"/v/{export.verification_code}"
    return client.post(path, data={"csrf_token": csrf_token(client, path), "email": email})


def test_the_check_answers_only_by_email_and_the_page_says_the_same(app, client, smtp, tmp_path):
    campaign = make_campaign()
    signer = make_signature(campaign, state=CONFIRMED, email="Signer@Example.org")
    export, _ = finished_export(campaign, tmp_path)
    later = make_signature(campaign, state=CONFIRMED, email="late@example.org")
    later.confirmed_at = utcnow() + timedelta(minutes=5)  # after the document was made
    db.session.commit()

    pages = [
        check(client, export, email)
        for email in ("signer+petitions@example.org", "nobody@example.org", "late@example.org")
    ]
    assert {page.status_code for page in pages} == {200}
    bodies = [page.get_data(as_text=True) for page in pages]
    assert "If that address signed, we" in bodies[0] and "emailed it" in bodies[0]
    assert bodies[0] == bodies[1] == bodies[2]  # the same page whoever the address is
    assert all(signer.name not in body for body in bodies)
    send_due_emails()
    answers = {m["To"]: m.get_body(preferencelist=("plain",)).get_content() for m in smtp.messages}
    assert "Yes:" in answers["signer+petitions@example.org"]
    assert "No:" in answers["nobody@example.org"]
    assert "No:" in answers["late@example.org"]  # confirmed after the document: not in it


def test_the_check_needs_a_csrf_token_and_a_valid_address(app, client, tmp_path):
    campaign = make_campaign()
    export, _ = finished_export(campaign, tmp_path)
    path = f"/v/{export.verification_code}"
    assert client.post(path, data={"email": "a@example.org"}).status_code == 400
    assert check(client, export, "not an address").status_code == 400


@pytest.mark.parametrize(
    "config_overrides", [{"RATELIMIT_ENABLED": True, "RATELIMIT_VERIFY_CHECK": "2 per hour"}]
)
def test_the_check_is_rate_limited_per_ip(app, client, tmp_path):
    campaign = make_campaign()
    export, _ = finished_export(campaign, tmp_path)
    codes = [check(client, export, f"n{i}@example.org").status_code for i in range(3)]
    assert codes == [200, 200, 429]
