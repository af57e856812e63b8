"""The page cache: data many page views share, kept for a moment, per app.

In one process it is a dictionary. With `REDIS_URL` set, every process and machine shares
one copy through Redis, so visitors see the same page whichever worker answers.
"""

import logging
import pickle
import threading
import time
from collections.abc import Callable, Hashable

import redis
from flask import Flask, current_app

log = logging.getLogger("rally.cache")
EXTENSION_KEY = "rally.page_cache"


class LocalCache:
    """Keep computed values in this process for `ttl` seconds; a ttl of 0 disables caching."""

    def __init__(self, max_entries: int = 1024):
        self._entries: dict[Hashable, tuple[float, object]] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def get(self, key: Hashable):
        """The live value for `key`, or None."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    def set(self, key: Hashable, value, ttl: float) -> None:
        """Keep `value` for `ttl` seconds."""
        if ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + ttl, value)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()


class RedisCache:
    """The same interface, shared by every process through Redis (values are pickled).

    Redis errors are logged and treated as a miss: the page is then built from the
    database, slower but correct.
    """

    def __init__(self, url: str, prefix: str = "rally:page:"):
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._prefix = prefix

    def _key(self, key: Hashable) -> str:
        return self._prefix + repr(key)

    def get(self, key: Hashable):
        """The shared value for `key`, or None."""
        try:
            raw = self._redis.get(self._key(key))
        except redis.RedisError:
            log.warning("Page cache: Redis unreachable, building the page from the database")
            return None
        # Only this app writes under the prefix, so unpickling is safe.
        return pickle.loads(raw) if raw is not None else None

    def set(self, key: Hashable, value, ttl: float) -> None:
        """Share `value` for `ttl` seconds."""
        if ttl <= 0:
            return
        try:
            self._redis.set(self._key(key), pickle.dumps(value), px=max(1, int(ttl * 1000)))
        except redis.RedisError:
            log.warning("Page cache: Redis unreachable, not sharing this page")

    def clear(self) -> None:
        """Forget every entry under the prefix."""
        for key in self._redis.scan_iter(self._prefix + "*"):
            self._redis.delete(key)


class PageCache:
    """A local or Redis store whose entries live PAGE_CACHE_SECONDS."""

    def __init__(self, store):
        self.store = store

    def get_or_compute(self, key: Hashable, compute: Callable[[], object]):
        """The cached value for `key`, computing (and caching) it when absent or stale."""
        value = self.store.get(key)
        if value is None:
            value = self.refresh(key, compute)
        return value

    def refresh(self, key: Hashable, compute: Callable[[], object]):
        """Compute the value now and cache it, replacing what was there."""
        value = compute()
        if value is not None:
            self.store.set(key, value, current_app.config["PAGE_CACHE_SECONDS"])
        return value

    def clear(self) -> None:
        """Forget every entry (after loading campaigns, recounting, in tests)."""
        self.store.clear()


def init_app(app: Flask) -> None:
    """Give the app its page cache: Redis when REDIS_URL is set, else this process's memory."""
    url = app.config["REDIS_URL"]
    store = RedisCache(url, prefix=app.config["PAGE_CACHE_PREFIX"]) if url else LocalCache()
    app.extensions[EXTENSION_KEY] = PageCache(store)


def page_cache() -> PageCache:
    """The current app's page cache."""
    return current_app.extensions[EXTENSION_KEY]
