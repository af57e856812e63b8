"""Flood benchmark: the sign endpoint under attack, against what the settings predict.

    .venv/bin/python bench/flood.py [--database-url URL] [--redis-url URL]

The app runs under `gunicorn -w 2` (RALLY_ENV=production) on a fresh database (SQLite in a
temporary folder unless --database-url names a PostgreSQL database to empty), with its rate
limits in Redis (a key prefix of its own, so nothing else is touched) and PROXY_COUNT=1, so
each simulated client's address is the X-Forwarded-For it sends: the bench stands in for the
trusted proxy.

Three phases on the demo campaign, each bounded in count and time:

  baseline   legitimate supporters alone: every 0.1 s one loads the page, and 3.2 s later
             signs (distinct addresses at gmail.com, each from its own network).
  one IP     the same supporters, for as long as a script on one IP floods the sign form
             with four connections, reusing one page (session, CSRF token, render stamp)
             fetched 3.2 s before, so only the limits and the velocity rules can stop it.
  many IPs   the same, while a script floods with each attempt from its own network, all
             addresses at one domain (flood.example).

Reported: per phase, attempts answered 303 (accepted), 429 (limited) and other, and from the
database how many accepted ones are held and by which rule, each beside the number the
settings predict; and the legitimate supporters' sign and page latency (p50, p99) without and
during each flood. Goals: predictions met exactly; supporters' p99 during a flood at most
twice its p99 without.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sign import ROOT, BenchError, Gunicorn, run_command  # noqa: E402

SLUG = "gender-neutral-restrooms"
MAX_ATTEMPTS = 20_000  # per flood; each also stops when its supporters' phase ends
SETTINGS = {
    "RATELIMIT_SIGN": "20 per minute; 200 per day",
    "RATELIMIT_SIGN_ATTEMPTS": "60 per minute; 600 per day",
    "RATELIMIT_SIGN_GLOBAL": "60 per hour; 300 per day",
    "FRAUD_SAME_IP": "10 per hour; 50 per day",
    "FRAUD_SAME_NETWORK": "30 per hour; 150 per day",
    "FRAUD_SAME_DOMAIN": "50 per hour; 300 per day",
    "FRAUD_SAME_NAME": "2 per day",
    "FRAUD_MIN_SECONDS_TO_SUBMIT": "3",
}


def log(message: str) -> None:
    """Progress on stderr, so stdout is only the report."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Client:
    """One HTTP/1.1 connection to the server, sending X-Forwarded-For as the proxy would."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method, path, ip, body=None, cookie="") -> tuple[int, str, dict, float]:
        """Send one request (reconnecting once if the server closed); status, body, headers, s."""
        headers = {"X-Forwarded-For": ip, "Accept": "text/html"}
        if cookie:
            headers["Cookie"] = cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        elapsed = time.perf_counter() - started
        return response.status, text, dict(response.getheaders()), elapsed


def load_page(client: Client, ip: str) -> tuple[dict, str, float]:
    """GET the campaign page; return its form fields, the session cookie, the latency."""
    status, html, headers, elapsed = client.request("GET", f"/c/{SLUG}", ip)
    if status != 200:
        raise BenchError(f"page answered {status}")
    fields = dict(
        re.findall(r'<input type="hidden" name="(csrf_token|rendered)" value="([^"]*)"', html)
    )
    cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
    if "csrf_token" not in fields or "rendered" not in fields or not cookie:
        raise BenchError("no sign form, render stamp or session cookie on the page")
    return fields, cookie, elapsed


def sign(client: Client, ip: str, page: tuple[dict, str], email: str, name: str):
    """POST the sign form with a page's tokens; return (status, latency)."""
    fields, cookie = page
    body = urlencode(
        {
            **fields,
            "name": name,
            "email": email,
            "postcode": "N1 9GU",
            "country": "GB",
            "website": "",
        }
    )
    status, _, _, elapsed = client.request("POST", f"/c/{SLUG}/sign", ip, body, cookie)
    return status, elapsed


class Supporters(threading.Thread):
    """Legitimate supporters: one page load every 0.1 s, each signing 3.2 s after its page."""

    def __init__(self, port: int, label: str, seconds: float, first: int):
        super().__init__(daemon=True)
        self.port, self.label, self.seconds, self.next = port, label, seconds, first
        self.page_latency: list[float] = []
        self.sign_latency: list[float] = []
        self.statuses: Counter = Counter()
        self.stop_early = threading.Event()

    def run(self):
        """Load pages and sign until the phase ends and every page loaded has been signed."""
        pages: list[tuple[float, tuple[dict, str], str, int]] = []
        page_client, sign_client = Client(self.port), Client(self.port)
        end = time.monotonic() + self.seconds
        tick = time.monotonic()
        while True:
            now = time.monotonic()
            if now < end and not self.stop_early.is_set():
                n = self.next
                self.next += 1
                ip = f"100.{64 + n // 250 % 60}.{n % 250}.7"  # its own /24
                fields, cookie, elapsed = load_page(page_client, ip)
                self.page_latency.append(elapsed)
                # From when the page arrived: the stamp was made while it was being served.
                pages.append((time.monotonic(), (fields, cookie), ip, n))
            while pages and time.monotonic() - pages[0][0] >= 3.2:
                _, page, ip, n = pages.pop(0)
                status, elapsed = sign(
                    sign_client, ip, page, f"supporter{n}@gmail.com", f"Supporter {n}"
                )
                self.statuses[status] += 1
                self.sign_latency.append(elapsed)
            if now >= end and not pages:
                return
            tick += 0.1
            time.sleep(max(0.0, tick - time.monotonic()))


class Flood(threading.Thread):
    """A script sending sign POSTs as fast as `connections` allow, until stopped.

    Bounded: at most `max_attempts`, and no longer than `max_seconds`. It loads one page,
    waits 3.2 s as a person might once, then reuses that page's tokens for every attempt;
    `posting` is set when the first attempt goes out.
    """

    def __init__(self, port, ip_for, email_for, max_attempts, max_seconds, connections=4):
        super().__init__(daemon=True)
        self.port, self.ip_for, self.email_for = port, ip_for, email_for
        self.max_attempts, self.max_seconds, self.connections = (
            max_attempts, max_seconds, connections
        )  # fmt: skip
        self.statuses: Counter = Counter()
        self.posting, self.stop = threading.Event(), threading.Event()
        self.seconds = 0.0

    @property
    def attempts(self) -> int:
        """Attempts answered so far."""
        return sum(self.statuses.values())

    def run(self):
        """Load the page, wait, then flood until stopped or a bound is reached."""
        fields, cookie, _ = load_page(Client(self.port), self.ip_for(0))
        time.sleep(3.2)
        lock = threading.Lock()
        counter = iter(range(self.max_attempts))
        started = time.monotonic()
        deadline = started + self.max_seconds

        def worker():
            client = Client(self.port)
            while not self.stop.is_set() and time.monotonic() < deadline:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                page = (fields, cookie)
                status, _ = sign(client, self.ip_for(n), page, self.email_for(n), f"Flood {n}")
                with lock:
                    self.statuses[status] += 1

        threads = [threading.Thread(target=worker) for _ in range(self.connections)]
        self.posting.set()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.seconds = time.monotonic() - started


def flood_while_supporters_sign(port, label, first, seconds, ip_for, email_for, max_attempts):
    """Run a flood and, for as long as it floods, the supporters; return both."""
    log(label)
    flood = Flood(port, ip_for, email_for, max_attempts, max_seconds=seconds + 30)
    flood.start()
    flood.posting.wait()
    supporters = Supporters(port, label, seconds, first=first)
    supporters.start()
    supporters.join()
    flood.stop.set()
    flood.join()
    return supporters, flood


def held_by_rule(database_url: str, sqlite_path: Path | None, like: str) -> dict:
    """Accepted signatures whose address matches `like`, counted by held rule ("" for none)."""
    query = "SELECT COALESCE(held_rule, ''), count(*) FROM signatures WHERE email LIKE ? GROUP BY 1"
    if sqlite_path is not None:
        with sqlite3.connect(sqlite_path) as connection:
            return dict(connection.execute(query, (like,)).fetchall())
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql")) as connection:
        return dict(connection.execute(query.replace("?", "%s"), (like,)).fetchall())


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100) of `values`, in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index] * 1000


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (emptied first)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--seconds", type=float, default=20.0, help="supporters per phase")
    opts = parser.parse_args()
    if not 5 <= opts.seconds <= 50:
        parser.error("--seconds: 5 to 50 (the predictions are for a flood shorter than a minute)")
    return opts


def main() -> int:
    """Run the three phases and print the report; non-zero if a prediction is missed."""
    opts = parse_args()
    work = Path(tempfile.mkdtemp(prefix="rally-flood-"))
    sqlite_path = None if opts.database_url else work / "flood.sqlite3"
    database_url = opts.database_url or f"sqlite:///{sqlite_path}"
    env = dict(os.environ)
    env.update(
        FLASK_APP="wsgi.py",
        RALLY_ENV="production",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(32),
        RATELIMIT_STORAGE_URI=opts.redis_url,
        RATELIMIT_KEY_PREFIX=f"rally-flood-{secrets.token_hex(4)}",
        PROXY_COUNT="1",
        OUTBOX_SEND_AFTER_REQUEST="0",
        SMTP_HOST="",
        **SETTINGS,
    )
    env.pop("REDIS_URL", None)  # the page cache and jobs stay in-process; only limits in Redis
    if opts.database_url:
        from bench.sign import recreate_postgres

        recreate_postgres(opts.database_url)
    run_command([sys.executable, "-m", "flask", "db", "upgrade"], env)
    run_command([sys.executable, "-m", "flask", "campaigns", "load"], env)
    results = {}
    with Gunicorn("wsgi:app", env, ROOT, work / "gunicorn.log", workers=2) as server:
        server.wait_ready(f"/c/{SLUG}")
        log("baseline: supporters alone")
        baseline = Supporters(server.port, "baseline", opts.seconds, first=0)
        baseline.start()
        baseline.join()
        results["baseline"] = (baseline, None)

        one_ip = flood_while_supporters_sign(
            server.port,
            "one IP: a flood from 203.0.113.66 while supporters sign",
            10_000,
            opts.seconds,
            lambda n: "203.0.113.66",
            lambda n: f"a{n}@x{n}.example",
            MAX_ATTEMPTS,
        )
        results["one IP"] = one_ip
        many_ips = flood_while_supporters_sign(
            server.port,
            "many IPs: a flood, each attempt from its own network, one email domain",
            20_000,
            opts.seconds,
            lambda n: f"10.{n // 250}.{n % 250}.1",
            lambda n: f"m{n}@flood.example",
            MAX_ATTEMPTS,
        )
        results["many IPs"] = many_ips

    held_one = held_by_rule(database_url, sqlite_path, "a%@x%.example")
    held_many = held_by_rule(database_url, sqlite_path, "m%@flood.example")
    held_supporters = held_by_rule(database_url, sqlite_path, "supporter%@gmail.com")
    one, many = results["one IP"][1], results["many IPs"][1]
    # What the settings say, for a phase shorter than a minute: on one IP, 60 attempts get
    # past RATELIMIT_SIGN_ATTEMPTS and 20 of those past RATELIMIT_SIGN; FRAUD_SAME_IP holds
    # all but the first 10 of the 20. From many IPs no limit applies, and FRAUD_SAME_DOMAIN
    # holds all but the first 50.
    predicted = {
        "one IP": {"303": 20, "429": one.attempts - 20, "clean": 10, "same_ip": 10},
        "many IPs": {
            "303": many.attempts,
            "429": 0,
            "clean": 50,
            "same_domain": many.attempts - 50,
        },
    }
    held = {"one IP": held_one, "many IPs": held_many}
    measured = {
        name: {
            "303": flood.statuses[303],
            "429": flood.statuses[429],
            **{
                rule: held[name].get("" if rule == "clean" else rule, 0)
                for rule in list(predicted[name])[2:]
            },
        }
        for name, flood in (("one IP", one), ("many IPs", many))
    }
    print(
        f"Flood benchmark ({'PostgreSQL' if opts.database_url else 'SQLite'}, gunicorn -w 2, "
        "limits in Redis)"
    )
    print()
    print("flood      attempts   seconds  outcome            predicted  measured")
    ok = True
    for name, flood in (("one IP", one), ("many IPs", many)):
        others = flood.attempts - measured[name]["303"] - measured[name]["429"]
        for outcome, expected in predicted[name].items():
            got = measured[name][outcome]
            ok &= got == expected
            label = {"303": "accepted (303)", "429": "limited (429)", "clean": "  not held"}.get(
                outcome, f"  held: {outcome}"
            )
            print(
                f"{name:9}  {flood.attempts:>8}  {flood.seconds:>8.1f}  {label:18} {expected:>8}"
                f"  {got:>8}{'' if got == expected else '  MISSED'}"
            )
        if others:
            ok = False
            print(f"{name:9}  other answers: {others}  MISSED")
    supporters_held = sum(n for rule, n in held_supporters.items() if rule)
    print(f"supporters held by a rule: {supporters_held} (predicted 0)")
    ok &= supporters_held == 0
    print()
    print("supporters   signings  sign p50  sign p99  page p50  page p99  statuses")
    base_p99 = percentile(baseline.sign_latency, 99)
    for name in ("baseline", "one IP", "many IPs"):
        group = results[name][0]
        p99 = percentile(group.sign_latency, 99)
        print(
            f"{name:11}  {len(group.sign_latency):>8}"
            f"  {percentile(group.sign_latency, 50):>6.1f} ms"
            f"  {p99:>6.1f} ms  {percentile(group.page_latency, 50):>6.1f} ms"
            f"  {percentile(group.page_latency, 99):>6.1f} ms  {dict(group.statuses)}"
            + ("" if name == "baseline" else f"  p99 ×{p99 / base_p99:.2f} (goal ≤ 2)")
        )
    json_path = work / "flood.json"
    json_path.write_text(json.dumps({"predicted": predicted, "measured": measured}, indent=2))
    log(f"details in {work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
