"""Email domains: throwaway services (their subdomains too), big webmail, plus-addressing."""

from app.signatures.fraud.email_domains import is_common_webmail, is_disposable, is_plus_addressed


def test_disposable_domains_and_their_subdomains_are_known():
    assert is_disposable("mailinator.com")
    assert is_disposable("abc.Mailinator.com")
    assert not is_disposable("ucl.ac.uk")
    assert not is_disposable("com")


def test_common_webmail_comes_from_the_setting(app):
    with app.app_context():
        assert is_common_webmail("Gmail.com")
        assert not is_common_webmail("ucl.ac.uk")
        app.config["FRAUD_COMMON_DOMAINS"] = "ucl.ac.uk, example.org"
        assert is_common_webmail("ucl.ac.uk") and not is_common_webmail("gmail.com")


def test_plus_addressing_is_in_the_local_part_only():
    assert is_plus_addressed("jo+petition@example.org")
    assert not is_plus_addressed("jo@ex+ample.org")
