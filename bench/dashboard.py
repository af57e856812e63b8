"""Benchmark the organisers' dashboard pages on a campaign with many signatures.

Steps: a fresh database (a temporary SQLite file, or the PostgreSQL database named by
--database-url, dropped and created again), `flask db upgrade`, one campaign filled with
N signatures in batches (spread over 90 days, 10 % Arabic names, 70 % confirmed, the
rest pending), its count and tallies rebuilt by `recount_campaign` (the one scan, as
`flask campaigns recount` does), an organisation whose owner gets a login session row;
then the app under `gunicorn -w 2` on a free loopback port (bench/sign.py's Gunicorn),
and for each URL a sequential pass and a concurrent pass of GETs with that session's
cookie. Printed per URL: requests per second (concurrent pass), p50/p95/p99 latency over
both passes; then the server's peak memory, and the login form's p95 when /login has a
password form (else "login: skipped").

    .venv/bin/python bench/dashboard.py [--signatures 100000] [--database-url URL]
                                        [--sequential 200] [--concurrent 800] [--threads 8]
"""

import argparse
import http.client
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from app import create_app  # noqa: E402
from app.campaigns.loader import CampaignSpec, TranslationSpec  # noqa: E402
from app.campaigns.models import Campaign  # noqa: E402
from app.campaigns.services import apply_campaign_spec  # noqa: E402
from app.core.addresses import mailbox_identity  # noqa: E402
from app.core.database import utcnow  # noqa: E402
from app.extensions import db  # noqa: E402
from app.organisers.models import (  # noqa: E402
    Membership,
    Organisation,
    Organiser,
    OrganiserSession,
    Role,
)
from app.signatures.models import Signature, name_search_form  # noqa: E402
from app.signatures.services import recount_campaign
from bench.sign import (  # noqa: E402
    ROOT,
    BenchError,
    Gunicorn,
    RssSampler,
    app_env,
    recreate_postgres,
    run_command,
)

SLUG = "dashboard-bench"
BATCH = 10_000
P95_TARGET_MS = 200.0
FIRST_NAMES = (
    "Amira Ben Chloe Daniel Elif Fatima George Hannah Ibrahim Jessica Kwame Laura Mohammed "
    "Nadia Oliver Priya Rosa Samuel Tomasz Una Victoria William Yasmin Zoë"
).split()
LAST_NAMES = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Khan "
    "Patel Okafor Nowak Haddad Murphy O'Brien Kowalczyk Fernandes Nguyen Chowdhury Ali"
).split()
ARABIC_FIRST = "أحمد محمد فاطمة عائشة يوسف مريم خالد ليلى عمر نور".split()
ARABIC_LAST = "العلي الحسن منصور السيد حداد خوري سالم ناصر".split()
TOWNS = (
    "London Leeds Manchester Bristol Glasgow Cardiff Belfast Lyon Paris Berlin Cairo "
    "Amman Beirut Tunis Dublin Madrid"
).split()
COUNTRIES = ["GB"] * 12 + ["FR", "DE", "EG", "JO", "LB", "TN", "IE", "ES"]
SEARCH_NAME = "fatima kh"
PASSWORD = "correct horse battery staple"


def log(message: str) -> None:
    """Progress on stderr, so stdout is only the report."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# Filling the database -----------------------------------------------------------------


def locality(rng: random.Random) -> str:
    """A postcode district or a town, typed with varying case and spacing."""
    if rng.random() < 0.5:
        place = rng.choice(TOWNS)
    else:
        place = f"{rng.choice('NESWBMLG')}{rng.randrange(1, 30)} {rng.randrange(10)}"
    return rng.choice((place, place.upper(), place.lower(), " " + place))


def signature_rows(campaign_id: int, count: int, seed: int = 12):
    """`count` signature rows in batches: 90 days, 10 % Arabic names, 70 % confirmed."""
    rng = random.Random(seed)
    now = utcnow()
    batch = []
    for number in range(count):
        if rng.random() < 0.1:
            name = f"{rng.choice(ARABIC_FIRST)} {rng.choice(ARABIC_LAST)}"
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        email = f"signer{number}@example.org"
        # Oldest first, so ids grow with time as they do in production.
        created = now - timedelta(days=90) + timedelta(seconds=number * 90 * 86400 / count)
        confirmed = rng.random() < 0.7
        batch.append(
            dict(
                campaign_id=campaign_id,
                state="confirmed" if confirmed else "pending",
                name=name,
                name_search=name_search_form(name),
                email=email,
                email_normalised=mailbox_identity(email),
                postcode=locality(rng),
                country=rng.choice(COUNTRIES),
                public=rng.random() < 0.2,
                contact_consent=False,
                language="ar" if rng.random() < 0.1 else "en",
                ip_hash="0" * 32,
                token_nonce=None if confirmed else f"{rng.getrandbits(128):032x}",
                emails_sent=1,
                last_emailed_at=created,
                email_verified_at=created + timedelta(minutes=5) if confirmed else None,
                confirmed_at=created + timedelta(minutes=5) if confirmed else None,
                created_at=created,
            )
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def password_hash(password: str) -> str:
    """A hash the app's login accepts: the accounts package's hasher once it is there."""
    try:
        from app.organisers.accounts.passwords import hash_password
    except ImportError:
        return generate_password_hash(password)
    return hash_password(password)


def fill(signatures: int) -> dict:
    """Campaign, organisation, owner with a login session; N signatures; tallies rebuilt."""
    apply_campaign_spec(
        CampaignSpec(
            slug=SLUG,
            status="open",
            goal=max(1, signatures * 2),
            deadline=None,
            default_language="en",
            required_fields=["name", "email", "postcode", "country"],
            translations=[
                TranslationSpec(
                    language="en",
                    title="Dashboard benchmark",
                    summary="A campaign with many signatures.",
                    body_markdown="Benchmark.",
                    target_name="Target",
                    target_role="",
                    target_institution="",
                )
            ],
        )
    )
    campaign = db.session.execute(db.select(Campaign).where(Campaign.slug == SLUG)).scalar_one()
    campaign.created_at = utcnow() - timedelta(days=91)
    owner = Organiser(
        email="owner@example.org",
        email_confirmed_at=utcnow(),
        password_hash=password_hash(PASSWORD),
    )
    organisation = Organisation(slug="bench", name="Bench")
    db.session.add_all([owner, organisation])
    db.session.flush()
    campaign.organisation_id = organisation.id
    db.session.add(Membership(organisation=organisation, organiser=owner, role=Role.OWNER))
    session_id = f"bench-{random.getrandbits(128):032x}"
    db.session.add(OrganiserSession(id=session_id, organiser_id=owner.id))
    db.session.commit()
    started = time.monotonic()
    inserted = 0
    for batch in signature_rows(campaign.id, signatures):
        db.session.execute(insert(Signature), batch)
        db.session.commit()
        inserted += len(batch)
        if inserted % 100_000 == 0:
            log(f"  {inserted:,} signatures inserted")
    insert_seconds = time.monotonic() - started
    started = time.monotonic()
    confirmed = recount_campaign(campaign)
    recount_seconds = time.monotonic() - started
    analyze = "ANALYZE" if db.engine.dialect.name == "sqlite" else "ANALYZE signatures"
    db.session.execute(text(analyze))
    db.session.commit()
    oldest = db.session.execute(
        text("SELECT min(id) FROM signatures WHERE campaign_id = :c AND state = 'confirmed'"),
        {"c": campaign.id},
    ).scalar_one()
    return {
        "campaign_id": campaign.id,
        "session_id": session_id,
        "confirmed": confirmed,
        "oldest_id": oldest,
        "insert_seconds": insert_seconds,
        "recount_seconds": recount_seconds,
    }


# Measuring ----------------------------------------------------------------------------


def request(base_url: str, method: str, path: str, headers: dict, body: str | None = None):
    """One request on a new connection; (status, seconds, body)."""
    host, port = base_url.removeprefix("http://").split(":")
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, time.perf_counter() - started, data
    finally:
        connection.close()


def measure(base_url: str, path: str, headers: dict, sequential: int, concurrent: int, threads):
    """Sequential then concurrent GETs of `path`; rate (concurrent) and latency percentiles."""
    latencies: list[float] = []
    errors = []

    def get():
        status, seconds, _ = request(base_url, "GET", path, headers)
        if status != 200:
            errors.append(status)
        latencies.append(seconds)

    for _ in range(sequential):
        get()
    per_thread = max(1, concurrent // threads)
    barrier = threading.Barrier(threads)

    def worker():
        barrier.wait()
        for _ in range(per_thread):
            get()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise BenchError(f"{path}: unexpected statuses {sorted(set(errors))}")
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "rate": per_thread * threads / elapsed,
        "p50": cuts[49] * 1000,
        "p95": cuts[94] * 1000,
        "p99": cuts[98] * 1000,
        "requests": len(latencies),
    }


def measure_login(base_url: str, email: str, password: str, count: int) -> dict | None:
    """POST /login through its form `count` times: p95 and the statuses seen.

    None when /login has no password form (the accounts pages are not there yet).
    """
    status, _, body = request(base_url, "GET", "/login", {})
    if status != 200 or 'type="password"' not in body.decode("utf-8", "replace"):
        return None
    latencies, statuses = [], set()
    for _ in range(count):
        connection = http.client.HTTPConnection(*base_url.removeprefix("http://").split(":"))
        connection.request("GET", "/login")
        response = connection.getresponse()
        page = response.read().decode("utf-8", "replace")
        cookie = (response.getheader("Set-Cookie") or "").split(";")[0]
        connection.close()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        form = urlencode(
            {"csrf_token": token.group(1) if token else "", "email": email, "password": password}
        )
        status, seconds, _ = request(
            base_url,
            "POST",
            "/login",
            {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            form,
        )
        statuses.add(status)
        latencies.append(seconds)
    return {"p95": statistics.quantiles(latencies, n=100)[94] * 1000, "statuses": statuses}


def measure_in_app(app, urls, headers: dict, count: int) -> dict[str, float]:
    """p95 of each URL served in this process, one request at a time, without HTTP.

    The work a request costs the app and its database, apart from queueing behind other
    requests: on a busy machine this is the figure that compares sizes fairly.
    """
    client = app.test_client()
    name, _, value = headers["Cookie"].partition("=")
    client.set_cookie(name, value)
    p95 = {}
    # No app context around the requests: each request gets its own, and so its own
    # database session, as under gunicorn.
    for label, path in urls:
        latencies = []
        for _ in range(10 + count):
            started = time.perf_counter()
            response = client.get(path)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise BenchError(f"{path}: {response.status_code} in the app")
        p95[label] = statistics.quantiles(latencies[10:], n=100)[94] * 1000
    with app.app_context():
        db.engine.dispose()
    return p95


def session_cookie(app, session_id: str) -> str:
    """The signed Flask session cookie that a login on this app would set."""
    serializer = app.session_interface.get_signing_serializer(app)
    value = serializer.dumps({"_user_id": session_id, "_fresh": True})
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def main() -> int:
    """Fill, serve, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signatures", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--sequential", type=int, default=200)
    parser.add_argument("--concurrent", type=int, default=800)
    parser.add_argument("--threads", type=int, default=4)
    opts = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="rally-dashboard-bench-"))
    url = opts.database_url or f"sqlite:///{work}/bench.sqlite3"
    if url.startswith("postgres"):
        recreate_postgres(url)
    env = app_env(url)
    log(f"database {url.split('@')[-1]}: migrating")
    run_command([str(Path(sys.executable).parent / "flask"), "db", "upgrade"], env)
    # The same settings as the server, so the session cookie we sign is one it accepts.
    os.environ.update(env)
    app = create_app()
    log(f"filling {opts.signatures:,} signatures")
    with app.app_context():
        filled = fill(opts.signatures)
        cookie = session_cookie(app, filled["session_id"])
        db.engine.dispose()
    log(
        f"filled in {filled['insert_seconds']:.1f} s; tallies rebuilt in "
        f"{filled['recount_seconds']:.1f} s"
    )
    campaign = f"/dashboard/campaigns/{filled['campaign_id']}"
    urls = [
        ("home", "/dashboard"),
        ("campaign figures", campaign),
        ("signatures, first page", f"{campaign}/signatures"),
        ("signatures, deep page", f"{campaign}/signatures?before={filled['oldest_id'] + 60}"),
        ("search: name prefix", f"{campaign}/signatures?q={SEARCH_NAME.replace(' ', '+')}"),
        ("search: email", f"{campaign}/signatures?q=Signer{opts.signatures // 2}%40example.org"),
    ]
    headers = {"Cookie": cookie}
    results = []
    with Gunicorn("wsgi:app", env, ROOT, work / "gunicorn.log", workers=2) as server:
        server.wait_ready("/dashboard")
        with RssSampler(server) as memory:
            for label, path in urls:
                # Warm-up: each worker's first request loads templates and catalogues.
                for _ in range(10):
                    request(server.base_url, "GET", path, headers)
                log(f"measuring {label}")
                figures = measure(
                    server.base_url, path, headers, opts.sequential, opts.concurrent, opts.threads
                )
                results.append((label, path, figures))
            login = measure_login(server.base_url, "owner@example.org", PASSWORD, 50)
    # Last, on warm caches (right after a big insert, PostgreSQL is still setting hint
    # bits and autovacuum is analysing).
    in_app = measure_in_app(app, urls, headers, opts.sequential)
    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(
        f"\nDashboard benchmark: {database}, {opts.signatures:,} signatures "
        f"({filled['confirmed']:,} confirmed), gunicorn -w 2, {opts.threads} threads"
    )
    print(
        f"{'page':26} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  target p95"
        f"  {'in-app p95':>10}"
    )
    slow = 0
    for label, _, figures in results:
        verdict = "OK" if figures["p95"] < P95_TARGET_MS else "SLOW"
        slow += verdict == "SLOW"
        print(
            f"{label:26} {figures['rate']:8.0f} {figures['p50']:8.1f} {figures['p95']:8.1f} "
            f"{figures['p99']:8.1f}  {verdict:10}  {in_app[label]:10.1f}"
        )
    print(f"peak server memory (master + 2 workers): {memory.peak_mb:.0f} MB")
    # The machine may be shared: a load far above its CPU count explains slow figures.
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average at the end: {load} on {os.cpu_count()} CPUs")
    if login is None:
        print("login: skipped (no login form yet)")
    else:
        print(f"login p95: {login['p95']:.1f} ms (statuses {sorted(login['statuses'])})")
    print(
        f"fill: {filled['insert_seconds']:.1f} s insert, "
        f"{filled['recount_seconds']:.1f} s recount (tallies)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
