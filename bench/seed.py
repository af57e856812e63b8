"""Fill a campaign with confirmed signatures in one INSERT ... SELECT, for bench/sign.py.

The rows look like real ones where that can matter to a query plan or a page: names,
emails and postcodes of usual lengths, unique emails (already in their normalised form),
confirmation times spread evenly over the year before `now`, and an exact, evenly spread
share of them public, so "the latest public signers" are as far apart as the share says.
Generated inside the database (PostgreSQL's generate_series, a recursive CTE on SQLite):
a million rows take seconds, not the minutes a round trip per batch of rows would.
"""

from datetime import datetime

from sqlalchemy import text

FIRST_NAMES = (
    "Amira Ben Chloe Daniel Elif Fatima George Hannah Ibrahim Jessica Kwame Laura "
    "Mohammed Nadia Oliver Priya Rosa Samuel Tomasz Una Victoria William Yasmin Zoe "
    "Aleksandra Christopher Mei Noor Olusegun Siobhan Joe Li"
).split()
LAST_NAMES = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Khan "
    "Patel Okafor Nowak Haddad Murphy O'Brien Kowalczyk Fernandes Nguyen Chowdhury Ali "
    "Mensah Papadopoulos Campbell Stewart MacDonald Lewis Walker Green Hughes"
).split()
POSTCODE_AREAS = "N E SW SE W NW EC WC M B LS G EH CF BS L NG S OX CB".split()
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
EMAIL_DOMAINS = "example.org example.net example.com mail.example.org".split()
SPREAD_SECONDS = 365 * 24 * 3600  # confirmations spread over the year before `now`


def packed(words: list[str]) -> tuple[str, int, int]:
    """The words padded to one width and joined, so SQL can pick word k with substr()."""
    width = max(map(len, words))
    return "".join(word.ljust(width) for word in words), width, len(words)


def pick(packed_param: str, width: int, count: int, index_sql: str) -> str:
    """SQL for word number (index_sql mod count) of a packed parameter, spaces trimmed."""
    start = f"CAST((({index_sql}) % {count}) * {width} + 1 AS INTEGER)"
    return f"rtrim(substr(:{packed_param}, {start}, {width}))"


def row_select(dialect: str) -> str:
    """The SELECT list of one signature row for sequence number i (1..:n)."""
    first, first_width, first_count = packed(FIRST_NAMES)
    last, last_width, last_count = packed(LAST_NAMES)
    area, area_width, area_count = packed(POSTCODE_AREAS)
    domain, domain_width, domain_count = packed(EMAIL_DOMAINS)
    first_name = pick("first", first_width, first_count, "i")
    # Mixed with i / count so first and last names do not pair up the same way forever.
    last_name = pick("last", last_width, last_count, f"i / {first_count} + i * 7")
    email = (
        f"lower({first_name}) || '.' || replace(lower({last_name}), '''', '') || '.' "
        f"|| CAST(i AS TEXT) || '@' || {pick('domain', domain_width, domain_count, 'i / 3')}"
    )
    letters = len(POSTCODE_LETTERS)
    postcode = (
        f"{pick('area', area_width, area_count, 'i * 13')} || CAST(i % 20 + 1 AS TEXT) || ' ' "
        f"|| CAST(i / 20 % 10 AS TEXT) "
        f"|| substr(:letters, CAST(i / 7 % {letters} + 1 AS INTEGER), 1) "
        f"|| substr(:letters, CAST(i / 11 % {letters} + 1 AS INTEGER), 1)"
    )
    if dialect == "postgresql":
        confirmed = "CAST(:now AS timestamptz) - (:n - i) * :step * interval '1 second'"
        created = f"{confirmed} - (i % 240 + 1) * interval '1 minute'"
    else:
        # The text form SQLAlchemy writes for DateTime on SQLite, microseconds included,
        # so these rows sort and read back like the ones the app inserts.
        def sqlite_time(seconds: str) -> str:
            return f"strftime('%Y-%m-%d %H:%M:%S', {seconds}, 'unixepoch') || '.000000'"

        confirmed = sqlite_time(":now_epoch - (:n - i) * :step")
        created = sqlite_time(":now_epoch - (:n - i) * :step - (i % 240 + 1) * 60")
    return f"""
        :campaign_id, 'confirmed', {first_name} || ' ' || {last_name}, {email}, {email},
        {postcode}, 'GB',
        -- Exactly floor(n * share) public rows, evenly spread: row i is public when
        -- floor(i * share) steps up at i.
        (i * :public_ppm / 1000000) <> ((i - 1) * :public_ppm / 1000000),
        (i % 3 = 0),
        CASE WHEN i % 10 = 7 THEN 'ar' ELSE 'en' END,
        'seeded-ip-' || CAST(i % 65536 AS TEXT),
        NULL, 1, {created}, {confirmed}, {confirmed}, {created}
    """


COLUMNS = (
    "campaign_id, state, name, email, email_normalised, postcode, country, public, "
    "contact_consent, language, ip_hash, token_nonce, emails_sent, last_emailed_at, "
    "email_verified_at, confirmed_at, created_at"
)


def insert_statement(dialect: str) -> str:
    """INSERT of :n generated confirmed signatures, for PostgreSQL or SQLite."""
    if dialect == "postgresql":
        return (
            f"INSERT INTO signatures ({COLUMNS}) SELECT {row_select(dialect)} "
            "FROM generate_series(CAST(1 AS bigint), CAST(:n AS bigint)) AS s(i)"
        )
    return (
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "
        f"INSERT INTO signatures ({COLUMNS}) SELECT {row_select(dialect)} FROM s"
    )


def seed_confirmed_signatures(
    session, campaign_id: int, count: int, public_share: float, now: datetime
) -> dict:
    """Insert `count` confirmed signatures (a `public_share` of them public), then ANALYZE.

    Commits. Returns the rows inserted and how many of them are public.
    """
    dialect = session.get_bind().dialect.name
    public_ppm = round(public_share * 1_000_000)
    first, _, _ = packed(FIRST_NAMES)
    last, _, _ = packed(LAST_NAMES)
    area, _, _ = packed(POSTCODE_AREAS)
    domain, _, _ = packed(EMAIL_DOMAINS)
    params = dict(
        campaign_id=campaign_id,
        n=count,
        step=SPREAD_SECONDS / max(count, 1),
        now=now,
        now_epoch=int(now.timestamp()),
        public_ppm=public_ppm,
        first=first,
        last=last,
        area=area,
        domain=domain,
        letters=POSTCODE_LETTERS,
    )
    if dialect == "sqlite":
        # A page cache big enough for the indexes being filled keeps SQLite off the disk.
        session.execute(text("PRAGMA cache_size = -262144"))
    confirmed = text(
        "SELECT count(*) FROM signatures WHERE campaign_id = :id AND state = 'confirmed'"
    )
    before = session.execute(confirmed, {"id": campaign_id}).scalar_one()
    session.execute(text(insert_statement(dialect)), params)
    # Counted, because sqlite3 reports no rowcount for a statement that starts with WITH.
    inserted = session.execute(confirmed, {"id": campaign_id}).scalar_one() - before
    session.commit()
    # Fresh planner statistics, as a database that grew to this size would have.
    session.execute(text("ANALYZE signatures" if dialect == "postgresql" else "ANALYZE"))
    session.commit()
    return {"inserted": inserted, "public": count * public_ppm // 1_000_000}
