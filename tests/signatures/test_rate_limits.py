"""Rate limits on signing: per IP and campaign, 429 with Retry-After, Redis or in-memory."""

import os

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.signatures.models import Signature
from tests.factories import csrf_token, make_campaign, sign_form, submit_signature
from tests.parallel import run_in_parallel

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
LIMITED = {"RATELIMIT_ENABLED": True, "RATELIMIT_SIGN": "3 per minute"}


def sign_many(client, slug, times):
    return [submit_signature(client, slug).status_code for _ in range(times)]


@pytest.mark.parametrize("config_overrides", [LIMITED])
def test_signing_beyond_the_limit_gets_429_with_retry_after(client):
    make_campaign(slug="a")
    make_campaign(slug="b")
    assert sign_many(client, "a", 3) == [303] * 3
    response = submit_signature(client, "a", name="Kept Kim")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    # The form again, with what was typed and why it was not sent.
    assert "Too many attempts" in html and 'value="Kept Kim"' in html
    assert html.index('class="error-summary"') < html.index('action="/c/a/sign"')
    # Case 24: a flood on one campaign does not throttle another.
    assert sign_many(client, "b", 1) == [303]
    assert db.session.execute(select(func.count()).select_from(Signature)).scalar_one() == 4


@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs Redis: set TEST_REDIS_URL (CI does)")
@pytest.mark.parametrize(
    "config_overrides",
    [{**LIMITED, "RATELIMIT_STORAGE_URI": TEST_REDIS_URL, "RATELIMIT_KEY_PREFIX": "rally-test"}],
)
def test_limits_are_kept_in_redis_for_all_workers(client):
    import redis

    store = redis.Redis.from_url(TEST_REDIS_URL)
    for key in store.scan_iter("*rally-test*"):
        store.delete(key)
    make_campaign(slug="a")
    assert sign_many(client, "a", 3) == [303] * 3
    assert submit_signature(client, "a").status_code == 429
    # The counters live in Redis, where every gunicorn worker reads the same ones.
    assert any(b"rally-test/127.0.0.1:a/" in key for key in store.scan_iter("*rally-test*"))
    for key in store.scan_iter("*rally-test*"):
        store.delete(key)


@pytest.mark.parametrize(
    "config_overrides", [{**LIMITED, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}]
)
def test_signing_still_works_when_the_limit_store_is_down(client):
    """Case 20 (part): Redis unreachable → in-memory fallback limits, no 500."""
    make_campaign(slug="a")
    assert sign_many(client, "a", 3) == [303] * 3
    assert submit_signature(client, "a").status_code == 429


@pytest.mark.parametrize(
    "config_overrides", [{**LIMITED, "RATELIMIT_SIGN_ATTEMPTS": "8 per minute"}]
)
def test_invalid_submissions_use_only_the_higher_attempt_limit(client):
    make_campaign(slug="a")
    # Five typos corrected one after another do not use up the signing limit...
    assert [submit_signature(client, "a", name="").status_code for _ in range(5)] == [400] * 5
    assert sign_many(client, "a", 3) == [303] * 3
    # ...but every submission counts towards the attempt limit.
    assert submit_signature(client, "a", name="").status_code == 429


@pytest.mark.parametrize(
    "config_overrides",
    [{**LIMITED, "RATELIMIT_SIGN": "5 per minute", "RATELIMIT_SIGN_GLOBAL": "4 per minute"}],
)
def test_one_ip_signing_many_campaigns_meets_the_global_cap(client):
    """Case 24: campaigns do not throttle each other, but one IP has a cap across them."""
    for slug in "abc":
        make_campaign(slug=slug)
    # Refused forms count towards neither signing limit.
    assert [submit_signature(client, "a", name="").status_code for _ in range(3)] == [400] * 3
    assert sign_many(client, "a", 2) + sign_many(client, "b", 2) == [303] * 4
    response = submit_signature(client, "c")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    client.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    assert sign_many(client, "c", 1) == [303]


def resend(client, email, ip):
    client.environ_base["REMOTE_ADDR"] = ip
    token = csrf_token(client, "/c/c/resend")
    return client.post("/c/c/resend", data={"csrf_token": token, "email": email}).status_code


@pytest.mark.parametrize(
    "config_overrides",
    [
        {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_RESEND": "2 per hour",
            "RATELIMIT_RESEND_ADDRESS": "50 per hour",
        }
    ],
)
def test_resend_is_limited_per_ip_by_its_setting(client):
    make_campaign(slug="c")
    codes = [resend(client, f"p{i}@example.org", "10.1.1.1") for i in range(3)]
    assert codes == [303, 303, 429]
    assert resend(client, "p9@example.org", "10.1.1.2") == 303


@pytest.mark.parametrize(
    "config_overrides",
    [
        {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_RESEND": "50 per hour",
            "RATELIMIT_RESEND_ADDRESS": "2 per hour",
        }
    ],
)
def test_resend_is_limited_per_address_from_any_ip_without_keeping_the_address(client):
    """Case 23: one address asked for from many IPs, however it is spelled."""
    from app.core.rate_limits import limiter

    make_campaign(slug="c")
    spellings = ["victim@example.org", "Victim+x@EXAMPLE.org", " victim@example.org "]
    codes = [resend(client, spelling, f"10.2.0.{i}") for i, spelling in enumerate(spellings)]
    assert codes == [303, 303, 429]
    assert resend(client, "someone.else@example.org", "10.2.0.9") == 303
    # The counters are keyed on a keyed hash of the mailbox, never on the address typed.
    keys = " ".join(limiter.storage.events) + " ".join(limiter.storage.storage)
    assert "resend-address:" in keys and "victim" not in keys.lower()


@pytest.mark.parametrize("config_overrides", [LIMITED])
def test_concurrent_signatures_cannot_overshoot_the_limit(app):
    """Counted before the view in one step: eight at once, and exactly three get through."""
    make_campaign(slug="a")
    statuses = []
    prepared = []
    for number in range(8):
        browser = app.test_client()
        token = csrf_token(browser, "/c/a")
        prepared.append((browser, token, number))

    def sign():
        browser, token, number = prepared.pop()
        data = {"csrf_token": token, **sign_form(email=f"signer{number}@example.org")}
        statuses.append(browser.post("/c/a/sign", data=data).status_code)

    assert run_in_parallel(8, sign) == []
    assert sorted(statuses) == [303] * 3 + [429] * 5


@pytest.mark.parametrize("config_overrides", [LIMITED])
@pytest.mark.parametrize("name", ["Valid Val", ""], ids=["valid", "invalid"])
def test_a_sign_post_validates_its_form_once_for_the_limits_and_the_view(client, monkeypatch, name):
    from app.signatures.forms import SignForm

    validations = []
    real_validate = SignForm.validate
    monkeypatch.setattr(
        SignForm, "validate", lambda form, **kw: validations.append(1) or real_validate(form, **kw)
    )
    make_campaign(slug="a")

    response = submit_signature(client, "a", name=name)

    assert response.status_code == (303 if name else 400)
    assert len(validations) == 1
