"""The rate-limit policy: client keys behind proxies, shared Redis, a Redis that dies or hangs."""

import os
import secrets
import shutil
import socket
import subprocess
import threading
import time

import pytest

from app import create_app
from app.core.rate_limits import (
    client_address,
    limiter,
    rate_limit_storage_down,
    rate_limit_storage_recovered,
)
from app.extensions import db
from tests.factories import make_campaign, submit_signature
from tests.helpers import app_config, free_port, workers_redis_url

LIMITED = {"RATELIMIT_ENABLED": True, "RATELIMIT_SIGN": "3 per minute"}


def redis_url() -> str | None:
    """TEST_REDIS_URL, else a Redis on 127.0.0.1:6379 if one answers; None without one."""
    import redis

    url = os.environ.get("TEST_REDIS_URL") or workers_redis_url("redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return None
    return url


REDIS_URL = redis_url()
needs_redis = pytest.mark.skipif(
    REDIS_URL is None, reason="needs Redis on 127.0.0.1:6379 (or set TEST_REDIS_URL)"
)
needs_redis_server = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs the redis-server binary"
)


def sign_many(client, slug, times, **environ):
    client.environ_base.update(environ)
    return [submit_signature(client, slug).status_code for _ in range(times)]


class Signals:
    """Counts the storage signals sent while it is connected."""

    def __init__(self):
        self.down, self.recovered = [], []

    def __enter__(self):
        rate_limit_storage_down.connect(self._down)
        rate_limit_storage_recovered.connect(self._recovered)
        return self

    def __exit__(self, *exc):
        rate_limit_storage_down.disconnect(self._down)
        rate_limit_storage_recovered.disconnect(self._recovered)

    def _down(self, sender):
        self.down.append(sender)

    def _recovered(self, sender):
        self.recovered.append(sender)


# Who the client is


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
    ],
)
def test_ipv6_clients_are_counted_by_their_slash_64(app, remote, expected):
    with app.test_request_context(environ_base={"REMOTE_ADDR": remote}):
        assert client_address() == expected


@pytest.mark.parametrize("config_overrides", [{**LIMITED, "PROXY_COUNT": 1}])
def test_a_forged_forwarded_for_cannot_move_the_key_behind_one_proxy(client):
    """Case 19: the key is the address the one trusted proxy appended, not what came before."""
    make_campaign(slug="a")
    forged = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.7"}
    assert sign_many(client, "a", 3, **forged) == [303] * 3
    forged["HTTP_X_FORWARDED_FOR"] = "5.6.7.8, 198.51.100.7"
    assert sign_many(client, "a", 1, **forged) == [429]
    # The proxy's own view of another client is another key.
    assert sign_many(client, "a", 1, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.8") == [303]


@pytest.mark.parametrize("config_overrides", [{**LIMITED, "PROXY_COUNT": 2}])
def test_requests_that_went_around_the_proxies_are_refused(client):
    """Case 19: fewer X-Forwarded-For hops than proxies means the app's port was hit directly."""
    make_campaign(slug="a")
    for hops in ("", "198.51.100.7"):
        direct = client.get("/c/a", environ_base={"HTTP_X_FORWARDED_FOR": hops})
        assert direct.status_code == 400
        assert direct.get_data(as_text=True) == "This site answers only through its proxy.\n"
    through = client.get("/c/a", environ_base={"HTTP_X_FORWARDED_FOR": "198.51.100.7, 10.0.0.2"})
    assert through.status_code == 200


@pytest.mark.parametrize("config_overrides", [{**LIMITED, "PROXY_COUNT": 0}])
def test_without_proxies_the_forwarded_for_header_is_ignored(client):
    make_campaign(slug="a")
    assert sign_many(client, "a", 3, HTTP_X_FORWARDED_FOR="198.51.100.1") == [303] * 3
    assert sign_many(client, "a", 1, HTTP_X_FORWARDED_FOR="198.51.100.2") == [429]
    assert sign_many(client, "a", 1, REMOTE_ADDR="198.51.100.3") == [303]


# Policy


@pytest.mark.parametrize(
    "config_overrides",
    [
        {
            **LIMITED,
            "RATELIMIT_SIGN_ATTEMPTS": "3 per minute",
            "RATELIMIT_SIGN_GLOBAL": "3 per minute",
        }
    ],
)
def test_two_limits_with_the_same_key_and_value_keep_their_own_counters(client):
    # Signing counts towards three limits, two of them keyed on IP and campaign: were their
    # counters shared, each signature would count two or three times.
    make_campaign(slug="a")
    assert sign_many(client, "a", 4) == [303] * 3 + [429]


@pytest.mark.parametrize("config_overrides", [LIMITED])
def test_limits_use_a_moving_window(app):
    assert app.config["RATELIMIT_STRATEGY"] == "moving-window"
    assert type(limiter.limiter).__name__ == "MovingWindowRateLimiter"


def production_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RALLY_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.sqlite3")
    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "RATELIMIT_ACCEPT_PER_PROCESS"):
        monkeypatch.delenv(name, raising=False)


def test_production_refuses_limits_kept_in_each_process(monkeypatch, tmp_path):
    production_environment(monkeypatch, tmp_path)
    with pytest.raises(RuntimeError, match="RATELIMIT_ACCEPT_PER_PROCESS=1"):
        create_app()
    monkeypatch.setenv("RATELIMIT_ACCEPT_PER_PROCESS", "1")
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_production_starts_with_shared_storage(monkeypatch, tmp_path):
    production_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:1/0")
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:1/0"


@pytest.mark.parametrize("config_overrides", [{**LIMITED, "RATELIMIT_SIGN": "1 per minute"}])
def test_clients_that_ask_for_json_get_json(client):
    make_campaign(slug="a")
    assert sign_many(client, "a", 1) == [303]
    refused = client.post("/c/a/sign", data={}, headers={"Accept": "application/json"})
    # Refused before any limit (no CSRF token), as JSON all the same.
    assert refused.status_code == 400 and refused.is_json
    client.environ_base["HTTP_ACCEPT"] = "application/json"
    response = submit_signature(client, "a")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert response.get_json() == {"error": "Please wait a little and try again."}
    del client.environ_base["HTTP_ACCEPT"]
    assert client.get("/api/nothing-here").get_json()["error"]


# Storage shared by every process, and storage failures


@needs_redis
def test_two_processes_with_one_redis_share_one_limit(app, tmp_path):
    """Another app made with the same settings starts from the counts in Redis.

    Apps made in one Python process share Flask-Limiter's object, which the newest app
    binds to its own storage; the second app stands in for a second gunicorn process
    because binding it starts a fresh connection and fresh memory counters. The memory://
    run shows the test can tell the difference.
    """
    import redis

    prefix = f"rally-test-{secrets.token_hex(4)}"
    store = redis.Redis.from_url(REDIS_URL)
    make_campaign(slug="a")
    db.session.remove()  # the other apps write to the same SQLite file
    try:
        for storage, fourth in ((REDIS_URL, 429), ("memory://", 303)):
            shared = {**LIMITED, "RATELIMIT_STORAGE_URI": storage, "RATELIMIT_KEY_PREFIX": prefix}
            first = create_app(app_config(tmp_path, **shared))
            assert sign_many(first.test_client(), "a", 2) == [303, 303]
            second = create_app(app_config(tmp_path, **shared))
            assert sign_many(second.test_client(), "a", 2) == [303, fourth], storage
            for key in store.scan_iter(f"*{prefix}*"):
                store.delete(key)
            with first.app_context():
                db.engine.dispose()
            with second.app_context():
                db.engine.dispose()
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)


class SilentServer:
    """A TCP port that accepts connections and never answers: a hung Redis.

    It drops every connection after `hold` seconds, so a client without a timeout fails
    the test by being slow instead of hanging it.
    """

    def __init__(self, hold: float = 5.0):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hold = hold
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        held = []
        self.sock.settimeout(0.1)
        while self.running:
            try:
                connection, _ = self.sock.accept()
                held.append((time.monotonic(), connection))
            except TimeoutError:
                pass
            for started, connection in list(held):
                if time.monotonic() - started > self.hold:
                    connection.close()
                    held.remove((started, connection))
        for _, connection in held:
            connection.close()

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def own_database(tmp_path) -> dict:
    """A SQLite file of the test's own, for an app made outside the `app` fixture.

    Nothing cleans up after such an app: on PostgreSQL its rows would meet the next test's.
    """
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/own.sqlite3"}


def test_a_hung_redis_does_not_stall_signing(tmp_path):
    """Case 20: Redis accepts connections but never answers → signing still works, quickly."""
    silent = SilentServer()
    try:
        config = app_config(
            tmp_path,
            **LIMITED,
            **own_database(tmp_path),
            RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{silent.port}/0",
        )
        hung = create_app(config)
        with hung.app_context(), Signals() as signals:
            db.create_all()
            make_campaign(slug="a")
            client = hung.test_client()
            durations = []
            for _ in range(4):
                started = time.monotonic()
                durations.append(submit_signature(client, "a").status_code)
                durations[-1] = (durations[-1], time.monotonic() - started)
            assert [status for status, _ in durations] == [303, 303, 303, 429]
            # Two tries of 0.2 s at most, not redis-py's default retries with backoff.
            assert max(seconds for _, seconds in durations) < 2
            assert len(signals.down) == 1 and signals.down[0] is hung
            db.engine.dispose()
    finally:
        silent.close()


class RedisServer:
    """A redis-server of the test's own, on a free port, that can be killed and restarted."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        import redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return client
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self):
        if self.process:
            self.process.kill()
            self.process.wait()
            self.process = None


@needs_redis_server
def test_redis_dies_and_comes_back(tmp_path):
    """Case 20: signing goes on under memory limits, one alert, then Redis counts again."""
    server = RedisServer()
    store = server.start()
    app = create_app(
        app_config(tmp_path, **LIMITED, **own_database(tmp_path), RATELIMIT_STORAGE_URI=server.url)
    )
    try:
        with app.app_context(), Signals() as signals:
            db.create_all()
            make_campaign(slug="a")
            client = app.test_client()
            assert sign_many(client, "a", 1) == [303]
            assert store.keys("*"), "the counter is kept in Redis"

            server.kill()
            # The site still serves and signs, counting in this process's memory.
            assert client.get("/c/a").status_code == 200
            assert sign_many(client, "a", 2) == [303, 303]
            assert len(signals.down) == 1 and signals.down[0] is app

            store = server.start()  # an empty Redis on the same port
            deadline = time.monotonic() + 30
            while not signals.recovered and time.monotonic() < deadline:
                # Any page lets Flask-Limiter check the store (at growing intervals).
                client.get("/c/a")
                time.sleep(0.2)
            assert len(signals.recovered) == 1 and len(signals.down) == 1

            # Counted in Redis again: its three places, then a refusal that Redis remembers.
            assert sign_many(client, "a", 4) == [303, 303, 303, 429]
            assert store.keys("*")
            store.flushdb()
            assert sign_many(client, "a", 1) == [303]
            db.engine.dispose()
    finally:
        server.kill()
