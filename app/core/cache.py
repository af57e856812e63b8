"""A small in-process cache whose entries live for a moment, for data many page views share."""

import threading
import time
from collections.abc import Callable, Hashable


class MomentCache:
    """Keep computed values for `ttl` seconds; a ttl of 0 disables caching."""

    def __init__(self, max_entries: int = 1024):
        self._entries: dict[Hashable, tuple[float, object]] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def get_or_compute(self, key: Hashable, ttl: float, compute: Callable[[], object]):
        """Return the cached value for `key`, computing it when absent or stale."""
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = compute()
        if ttl > 0:
            with self._lock:
                if len(self._entries) >= self._max_entries:
                    self._entries.clear()
                self._entries[key] = (now + ttl, value)
        return value

    def clear(self) -> None:
        """Forget every entry (after a change this process made itself)."""
        with self._lock:
            self._entries.clear()
