"""What an email domain says about a signature: throwaway (disposable) or a big webmail provider."""

from functools import lru_cache

from disposable_email_domains import blocklist
from flask import current_app


def is_disposable(domain: str) -> bool:
    """Whether `domain` (or a parent domain of it) is a known throwaway-address service.

    The list is the maintained `disposable-email-domains` package; subdomains count too,
    since such services hand out endless subdomains of one name.
    """
    return any(candidate in blocklist for candidate in _with_parents(domain))


def is_common_webmail(domain: str) -> bool:
    """Whether `domain` is a large provider many real supporters share (FRAUD_COMMON_DOMAINS).

    A burst from gmail.com is a popular campaign, not an attack; such domains are left out
    of the same-domain rule and of domain alerts.
    """
    return domain.lower() in _common_domains(current_app.config["FRAUD_COMMON_DOMAINS"])


def is_plus_addressed(email: str) -> bool:
    """Whether the address as typed has a +tag (one mailbox, many addresses)."""
    local, _, _ = email.rpartition("@")
    return "+" in local


@lru_cache(maxsize=4)
def _common_domains(setting: str) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in setting.split(",") if part.strip())


def _with_parents(domain: str) -> list[str]:
    labels = domain.lower().strip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]
