"""Settings read from environment variables, with defaults that run on SQLite."""

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def normalise_database_url(url: str) -> str:
    """Make the plain `postgresql://` (or `postgres://`) URLs hosts hand out use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_secret_key(instance_path: str, production: bool) -> str:
    """SECRET_KEY from the environment; in development, a key kept in the instance folder."""
    key = os.environ.get("SECRET_KEY", "")
    if key:
        if production and len(key) < 32:
            raise RuntimeError("SECRET_KEY must be at least 32 characters in production.")
        return key
    if production:
        raise RuntimeError(
            "SECRET_KEY is not set. Production mode (RALLY_ENV=production) refuses to start "
            "without one: generate it with "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Kept on disk so sessions and emailed links survive a restart of the dev server.
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def build_config(instance_path: str) -> dict:
    """Collect every setting from the environment into one dict for app.config."""
    env = os.environ
    production = env.get("RALLY_ENV", "development") == "production"
    default_db = "sqlite:///" + str(Path(instance_path) / "rally.sqlite3")
    smtp_host = env.get("SMTP_HOST", "")
    secure_cookies = _bool(env.get("SESSION_COOKIE_SECURE"), default=production)
    return {
        "RALLY_ENV": "production" if production else "development",
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(env.get("DATABASE_URL", default_db)),
        "BASE_URL": env.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "CAMPAIGNS_PATH": env.get("CAMPAIGNS_PATH", ""),
        # Mail
        "MAIL_FROM": env.get("MAIL_FROM", "Rally <no-reply@localhost>"),
        "SMTP_HOST": smtp_host,
        "SMTP_PORT": _int("SMTP_PORT", 587 if smtp_host else 25),
        "SMTP_USERNAME": env.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _bool(env.get("SMTP_STARTTLS"), default=False),
        "SMTP_SSL": _bool(env.get("SMTP_SSL"), default=False),
        "SMTP_TIMEOUT": _int("SMTP_TIMEOUT", 10),
        "OUTBOX_SEND_AFTER_REQUEST": _bool(env.get("OUTBOX_SEND_AFTER_REQUEST"), default=True),
        "OUTBOX_MAX_ATTEMPTS": _int("OUTBOX_MAX_ATTEMPTS", 8),
        "OUTBOX_BACKOFF_SECONDS": _int("OUTBOX_BACKOFF_SECONDS", 30),
        "OUTBOX_LEASE_SECONDS": _int("OUTBOX_LEASE_SECONDS", 120),
        # Emails any one mailbox gets from the platform in a UTC day, whoever submits it.
        "MAX_EMAILS_PER_ADDRESS_PER_DAY": _int("MAX_EMAILS_PER_ADDRESS_PER_DAY", 10),
        # Signatures
        "CONFIRMATION_MAX_AGE": timedelta(seconds=_int("CONFIRMATION_MAX_AGE", 7 * 24 * 3600)),
        "CONFIRMATION_GRACE": timedelta(seconds=_int("CONFIRMATION_GRACE", 24 * 3600)),
        # Unconfirmed signatures are deleted this many days after signing (at least the
        # confirmation link's life: a link must never outlive its signature).
        "PENDING_RETENTION_DAYS": _int("PENDING_RETENTION_DAYS", 30),
        "RESEND_INTERVAL": timedelta(seconds=_int("RESEND_INTERVAL", 60)),
        "MAX_EMAILS_PER_SIGNATURE": _int("MAX_EMAILS_PER_SIGNATURE", 5),
        # How long the embed widget's form stays good to sign with (its signed form token).
        "EMBED_FORM_TOKEN_MAX_AGE": timedelta(seconds=_int("EMBED_FORM_TOKEN_MAX_AGE", 2 * 3600)),
        # Word lists (one word or phrase a line) that hold a signer's name for review before
        # it appears in public lists, besides the built-in English and Arabic ones.
        "NAME_WORD_LIST_PATHS": tuple(
            path.strip() for path in env.get("NAME_WORD_LIST_PATHS", "").split(":") if path.strip()
        ),
        "COUNT_SHARDS": _int("COUNT_SHARDS", 8),
        "PAGE_CACHE_SECONDS": float(env.get("PAGE_CACHE_SECONDS", "2")),
        # Shared page cache (and rate-limit store) for several processes or machines.
        "REDIS_URL": env.get("REDIS_URL", ""),
        "PAGE_CACHE_PREFIX": env.get("PAGE_CACHE_PREFIX", "rally:page:"),
        # HTTP
        "SESSION_COOKIE_SECURE": secure_cookies,
        # Browsers send a __Host- cookie only over HTTPS, to this host, for every path; it
        # needs the Secure flag, so plain-HTTP development uses a plain name.
        "SESSION_COOKIE_NAME": "__Host-rally" if secure_cookies else "rally",
        # How long an emailed invitation to join an organisation stays valid.
        "INVITATION_MAX_AGE": timedelta(seconds=_int("INVITATION_MAX_AGE", 7 * 24 * 3600)),
        "ORGANISER_SESSION_IDLE": timedelta(seconds=_int("ORGANISER_SESSION_IDLE", 12 * 3600)),
        # Organiser accounts. Argon2id costs: about 70 ms per hash on a 2-core machine; raise
        # them on faster hardware (memory in KiB).
        "ARGON2_TIME_COST": _int("ARGON2_TIME_COST", 3),
        "ARGON2_MEMORY_COST": _int("ARGON2_MEMORY_COST", 32 * 1024),
        "ARGON2_PARALLELISM": _int("ARGON2_PARALLELISM", 1),
        "PASSWORD_MIN_LENGTH": _int("PASSWORD_MIN_LENGTH", 12),
        "ORGANISER_CONFIRM_MAX_AGE": timedelta(
            seconds=_int("ORGANISER_CONFIRM_MAX_AGE", 48 * 3600)
        ),
        "PASSWORD_RESET_MAX_AGE": timedelta(seconds=_int("PASSWORD_RESET_MAX_AGE", 3600)),
        # The link `flask organisers create` prints for a new account's first password.
        "SET_PASSWORD_MAX_AGE": timedelta(seconds=_int("SET_PASSWORD_MAX_AGE", 24 * 3600)),
        # Between a right password and the second step of a two-step login.
        "TWO_STEP_MAX_AGE": timedelta(seconds=_int("TWO_STEP_MAX_AGE", 5 * 60)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # Large enough that an oversized field reaches the form and gets a message next to it.
        "MAX_FORM_MEMORY_SIZE": 2 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": _int("WTF_CSRF_TIME_LIMIT", 12 * 3600),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), default=True),
        # Rate-limit counters: Redis shared by every process (app/core/rate_limits.py).
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI")
        or env.get("REDIS_URL")
        or "memory://",
        # Production refuses memory:// counters (one set per process) unless this is set.
        "RATELIMIT_ACCEPT_PER_PROCESS": _bool(env.get("RATELIMIT_ACCEPT_PER_PROCESS")),
        # Seconds to wait for Redis before counting in memory instead of stalling requests.
        "RATELIMIT_STORAGE_TIMEOUT": float(env.get("RATELIMIT_STORAGE_TIMEOUT", "0.2")),
        # A moving window: no burst of twice the limit across the edge of a fixed window.
        "RATELIMIT_STRATEGY": env.get("RATELIMIT_STRATEGY", "moving-window"),
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "rally"),
        # Signatures recorded per IP on one campaign; every submission, valid or not; and
        # signatures per IP across all campaigns (case 24).
        "RATELIMIT_SIGN": env.get("RATELIMIT_SIGN", "20 per minute; 200 per day"),
        "RATELIMIT_SIGN_ATTEMPTS": env.get("RATELIMIT_SIGN_ATTEMPTS", "60 per minute; 600 per day"),
        "RATELIMIT_SIGN_GLOBAL": env.get("RATELIMIT_SIGN_GLOBAL", "60 per hour; 300 per day"),
        # "Send the link again" per IP, and per address typed (from any IP).
        "RATELIMIT_RESEND": env.get("RATELIMIT_RESEND", "5 per hour"),
        "RATELIMIT_RESEND_ADDRESS": env.get("RATELIMIT_RESEND_ADDRESS", "5 per hour; 20 per day"),
        # Failed logins (and second steps) per IP and per account; windows pass, so the
        # owner is never locked out for good, and password reset is limited per IP only.
        "RATELIMIT_LOGIN_IP": env.get("RATELIMIT_LOGIN_IP", "10 per minute; 100 per hour"),
        "RATELIMIT_LOGIN_ACCOUNT": env.get("RATELIMIT_LOGIN_ACCOUNT", "5 per minute; 30 per hour"),
        "RATELIMIT_RESET": env.get("RATELIMIT_RESET", "10 per minute; 100 per hour"),
        "RATELIMIT_SIGNUP": env.get("RATELIMIT_SIGNUP", "10 per minute; 100 per hour"),
        # Invitations an organiser may send (counted per organiser, successful sends only).
        "RATELIMIT_INVITE": env.get("RATELIMIT_INVITE", "20 per hour"),
        # If Redis is unreachable, keep serving under per-process limits instead of a 500.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "PROXY_COUNT": _int("PROXY_COUNT", 0),
        # Fraud rules (app/signatures/fraud/). A rule that fires never rejects: the
        # signature is answered like any other but HELD, uncounted, until the team releases
        # it. Velocity rules count one campaign's signatures ("N per <period>"; the N+1th in
        # the window is held); shared IPs (offices, mobile networks) argue for generosity.
        "FRAUD_RULES_ENABLED": _bool(env.get("FRAUD_RULES_ENABLED"), default=True),
        "FRAUD_SAME_IP": env.get("FRAUD_SAME_IP", "10 per hour; 50 per day"),
        "FRAUD_SAME_NETWORK": env.get("FRAUD_SAME_NETWORK", "30 per hour; 150 per day"),
        "FRAUD_SAME_DOMAIN": env.get("FRAUD_SAME_DOMAIN", "50 per hour; 300 per day"),
        "FRAUD_SAME_NAME": env.get("FRAUD_SAME_NAME", "2 per day"),
        # Seconds from the sign page being rendered to the form being sent, below which a
        # person cannot have typed it; and how old that (signed) render stamp may be.
        "FRAUD_MIN_SECONDS_TO_SUBMIT": _int("FRAUD_MIN_SECONDS_TO_SUBMIT", 3),
        "FRAUD_RENDER_STAMP_MAX_AGE": _int("FRAUD_RENDER_STAMP_MAX_AGE", 24 * 3600),
        # Throwaway-address domains: "hold", "refuse" (the neutral answer, nothing stored)
        # or "off".
        "FRAUD_DISPOSABLE": env.get("FRAUD_DISPOSABLE", "hold"),
        # Big webmail providers, left out of the same-domain rule and of domain alerts.
        "FRAUD_COMMON_DOMAINS": env.get(
            "FRAUD_COMMON_DOMAINS",
            "gmail.com,googlemail.com,outlook.com,hotmail.com,hotmail.co.uk,live.com,msn.com,"
            "yahoo.com,yahoo.co.uk,yahoo.fr,icloud.com,me.com,mac.com,aol.com,proton.me,"
            "protonmail.com,gmx.de,gmx.net,web.de,orange.fr,free.fr,btinternet.com,mail.ru,"
            "yandex.ru,qq.com,163.com,naver.com,laposte.net,libero.it,t-online.de",
        ),
        # Alerts to the team when one IP, network or domain brings this many signatures to a
        # campaign; checked by a periodic job every FRAUD_ALERT_MINUTES, once per incident.
        "FRAUD_ALERT_IP": _int("FRAUD_ALERT_IP", 30),
        "FRAUD_ALERT_NETWORK": _int("FRAUD_ALERT_NETWORK", 100),
        "FRAUD_ALERT_DOMAIN": _int("FRAUD_ALERT_DOMAIN", 100),
        "FRAUD_ALERT_WINDOW_MINUTES": _int("FRAUD_ALERT_WINDOW_MINUTES", 60),
        "FRAUD_ALERT_MINUTES": _int("FRAUD_ALERT_MINUTES", 10),
        # Background jobs (Huey): a SQLite file by default, Redis when REDIS_URL is set.
        "JOBS_SQLITE_PATH": env.get("JOBS_SQLITE_PATH", str(Path(instance_path) / "jobs.sqlite3")),
        "JOBS_QUEUE": env.get("JOBS_QUEUE", "rally"),
        "JOBS_WORKERS": _int("JOBS_WORKERS", 2),
        # Exports: where finished files are kept, and for how long.
        "EXPORTS_PATH": env.get("EXPORTS_PATH", str(Path(instance_path) / "exports")),
        "EXPORT_KEEP_SECONDS": _int("EXPORT_KEEP_SECONDS", 7 * 24 * 3600),
        # An export still running this long after it started is taken to have lost its
        # worker and is queued again; set it above the longest export you expect.
        "EXPORT_LEASE_SECONDS": _int("EXPORT_LEASE_SECONDS", 3600),
        "EXPORT_MAX_ATTEMPTS": _int("EXPORT_MAX_ATTEMPTS", 3),
        # A download asks for the password again when the login is older than this.
        "EXPORT_REAUTH_SECONDS": _int("EXPORT_REAUTH_SECONDS", 15 * 60),
        "RATELIMIT_EXPORT": env.get("RATELIMIT_EXPORT", "10 per hour"),
        # The delivery PDF is rendered in chunks, each in a child process with these limits.
        "EXPORT_PDF_CHUNK_ROWS": _int("EXPORT_PDF_CHUNK_ROWS", 5000),
        "EXPORT_PDF_PROCESSES": _int("EXPORT_PDF_PROCESSES", 2),
        "EXPORT_PDF_MEMORY_MB": _int("EXPORT_PDF_MEMORY_MB", 1024),
        "EXPORT_PDF_SECONDS": _int("EXPORT_PDF_SECONDS", 300),
        # Share images of campaign pages (social cards), drawn once per count bucket.
        "SHARE_IMAGES_PATH": env.get(
            "SHARE_IMAGES_PATH", str(Path(instance_path) / "share-images")
        ),
        "RATELIMIT_VERIFY_CHECK": env.get("RATELIMIT_VERIFY_CHECK", "10 per hour"),
        # i18n
        "LANGUAGES": ("en", "ar"),
        "BABEL_DEFAULT_LOCALE": "en",
    }
