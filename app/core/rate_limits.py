"""The rate-limit policy: where counters live, who a client is, and what happens when Redis fails.

Flask-Limiter counts. This module decides the rest: a moving window (no burst of twice the
limit across a window edge), counters in Redis shared by every process, short Redis timeouts
so a dead or hung Redis never stalls a request, per-process memory counters while Redis is
down (with a warning and the `rate_limit_storage_down` signal, once per outage), a client
key that a forged X-Forwarded-For cannot move, and one counter per limit setting.
"""

import ipaddress
import logging
import time
from collections.abc import Callable

from blinker import Namespace
from flask import Flask, current_app, has_app_context, request
from flask_limiter import Limiter

log = logging.getLogger("rally.rate_limits")

_signals = Namespace()
#: Sent (with the app) when the shared limit store stops answering and each process falls
#: back to its own memory counters; once per outage.
rate_limit_storage_down = _signals.signal("rate-limit-storage-down")
#: Sent (with the app) when the shared store answers again and counts there once more.
rate_limit_storage_recovered = _signals.signal("rate-limit-storage-recovered")

ACCEPT_PER_PROCESS = "RATELIMIT_ACCEPT_PER_PROCESS"


def client_address() -> str:
    """The client as rate limits count it: an IPv4 address, or an IPv6 address's /64.

    `request.remote_addr` is the address ProxyFix took from exactly PROXY_COUNT trusted
    X-Forwarded-For hops, so a forged header cannot move it. One IPv6 subscriber usually
    holds a whole /64, so counting single IPv6 addresses would let one person be millions.
    """
    raw = request.remote_addr or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw or "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def storage_options(uri: str, timeout: float) -> dict:
    """Options for the limit store: for Redis, short timeouts and no retries with backoff."""
    if not uri.startswith(("redis://", "rediss://", "redis+unix://", "unix://")):
        return {}
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # redis-py retries three times with up to seconds of backoff by default: with Redis
    # down, that would hold every request. One immediate retry still replaces a pooled
    # connection that a Redis restart broke.
    return {
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "retry": Retry(NoBackoff(), 1),
    }


def refuse_per_process_limits_in_production(config) -> None:
    """Production with limits in each process's memory multiplies every limit by the workers."""
    if config["RALLY_ENV"] != "production" or not config["RATELIMIT_ENABLED"]:
        return
    if not config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        return
    if config.get(ACCEPT_PER_PROCESS):
        return
    raise RuntimeError(
        "Rate limits have no shared storage: set REDIS_URL (or RATELIMIT_STORAGE_URI) so "
        "every process counts against the same limits. With several processes, limits kept "
        "in each one's memory let a client make that many times more requests. To run this "
        f"way anyway (one process, say), set {ACCEPT_PER_PROCESS}=1."
    )


class RallyLimiter(Limiter):
    """Flask-Limiter taking every setting from the app it is bound to, and reporting outages."""

    @property
    def _storage_dead(self) -> bool:
        return self.__dict__.get("_rally_storage_dead", False)

    @_storage_dead.setter
    def _storage_dead(self, dead: bool) -> None:
        # Flask-Limiter flips this flag when a call to the store fails (it then counts in
        # memory) and when its periodic health check succeeds again.
        was_dead = self._storage_dead
        self.__dict__["_rally_storage_dead"] = dead
        if dead and not was_dead:
            _storage_went_down()
        elif was_dead and not dead:
            _storage_came_back()

    def init_app(self, app: Flask) -> None:
        """Bind to `app`, with its policy settings and none left from an app bound earlier."""
        config = app.config
        refuse_per_process_limits_in_production(config)
        config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS",
            storage_options(config["RATELIMIT_STORAGE_URI"], config["RATELIMIT_STORAGE_TIMEOUT"]),
        )
        # One limiter object serves every app made in a process (tests make many), and
        # Flask-Limiter keeps the first value it saw of these: start from this app's.
        self._key_prefix = config.get("RATELIMIT_KEY_PREFIX", "")
        self._strategy = config["RATELIMIT_STRATEGY"]
        self._storage_options = {}
        self.__dict__["_rally_storage_dead"] = False
        # Flask-Limiter's own (name-mangled) schedule of health checks of a dead store.
        self._Limiter__check_backend_count = 0
        self._Limiter__last_check_backend = time.time()
        super().init_app(app)


def _sender():
    return current_app._get_current_object() if has_app_context() else None


def _storage_went_down() -> None:
    log.warning(
        "Rate-limit storage unreachable: each process now counts limits in its own memory "
        "until it answers again"
    )
    rate_limit_storage_down.send(_sender())


def _storage_came_back() -> None:
    log.warning("Rate-limit storage answers again: limits are shared across processes again")
    rate_limit_storage_recovered.send(_sender())


limiter = RallyLimiter(client_address)


def configured_limit(setting: str, shared: bool = False, **options):
    """A limit whose value is the setting `setting`, read per request, with its own counters.

    The setting's name is the limit's scope, so two limits on one view never share a
    counter; `shared` counts it across every view it decorates (same key, same counter).
    """

    def value() -> str:
        return current_app.config[setting]

    scope = setting.lower()
    if shared:
        return limiter.shared_limit(value, scope=scope, **options)
    return limiter.limit(value, scope=scope, **options)


def never_raises(check: Callable[[], bool], default: bool) -> Callable[[], bool]:
    """`check` for an `exempt_when`, answering `default` if it raises.

    Flask-Limiter takes any exception while it evaluates limits for a storage failure and
    falls back to memory counters: a 404 raised there must not look like Redis dying.
    """

    def safe() -> bool:
        try:
            return check()
        except Exception:
            return default

    return safe
