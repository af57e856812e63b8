"""Database-side helpers for bench/sign.py, run inside Rally's app context.

Run with the same environment as the benchmarked server (DATABASE_URL, SECRET_KEY ...):

    python bench/app_helper.py stats
        JSON: signature rows by state, the sum of the count shards, outbox rows, and the
        app's PAGE_CACHE_SECONDS.
    python bench/app_helper.py seed --slug SLUG --count N [--public-share F]
        Insert N confirmed signatures on the campaign (bench/seed.py) and ANALYZE. The
        maintained count is not touched: run `flask campaigns recount SLUG` afterwards.
    python bench/app_helper.py tokens --slug SLUG --out FILE [--limit N] [--min-pending N]
        Write one confirmation token per pending signature to FILE, one a line (at most
        N). With --min-pending, first sign the campaign through sign_campaign (as the
        sign form does, confirmation emails queued) until there are that many pending
        signatures, so a confirmation run cannot run out of tokens.
"""

import argparse
import json
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import current_app  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.campaigns.models import CampaignCountShard  # noqa: E402
from app.campaigns.pages import get_campaign_page  # noqa: E402
from app.core.database import utcnow  # noqa: E402
from app.core.outbox import OutboxEmail  # noqa: E402
from app.extensions import db  # noqa: E402
from app.signatures.models import PENDING, Signature  # noqa: E402
from app.signatures.signing import (  # noqa: E402
    SignatureDetails,
    confirmation_token,
    sign_campaign,
)
from bench.seed import seed_confirmed_signatures  # noqa: E402


def stats() -> dict:
    """Signature rows per state, the shard sum, outbox rows and the page cache setting."""
    by_state = dict(
        db.session.execute(select(Signature.state, func.count()).group_by(Signature.state)).all()
    )
    shard_sum = db.session.execute(select(func.coalesce(func.sum(CampaignCountShard.count), 0)))
    outbox = db.session.execute(select(func.count()).select_from(OutboxEmail))
    return {
        "signatures_by_state": by_state,
        "confirmed_rows": by_state.get("confirmed", 0),
        "pending_rows": by_state.get(PENDING, 0),
        "shard_sum": int(shard_sum.scalar_one()),
        "outbox_rows": outbox.scalar_one(),
        "page_cache_seconds": current_app.config["PAGE_CACHE_SECONDS"],
    }


def campaign_page(slug: str):
    """The campaign's page data in its default language, as the sign view gets it."""
    page = get_campaign_page(slug, lambda available, default: default)
    if page is None:
        raise SystemExit(f"no public campaign {slug!r}")
    return page


def seed(slug: str, count: int, public_share: float) -> dict:
    """Insert `count` confirmed signatures on the campaign; report rows and seconds taken."""
    started = time.monotonic()
    result = seed_confirmed_signatures(
        db.session, campaign_page(slug).id, count, public_share, utcnow()
    )
    return {**result, "seconds": round(time.monotonic() - started, 1)}


def sign_pending(slug: str, count: int) -> None:
    """Sign the campaign `count` times with new addresses, through the app's own service."""
    page = campaign_page(slug)
    if db.engine.dialect.name == "postgresql":
        # sign_campaign commits once per signature; without waiting for each WAL flush
        # this is several times faster, and a lost tail after a crash would not matter here.
        db.session.execute(text("SET synchronous_commit TO off"))
        db.session.commit()
    tag = secrets.token_hex(4)
    for i in range(count):
        details = SignatureDetails(
            name="Bench Pending",
            email=f"pending-{tag}-{i}@example.org",
            postcode="N1 9GU",
            country="GB",
            public=True,
        )
        sign_campaign(page, details, "en", ip_address="127.0.0.1")


def write_tokens(slug: str, out: Path, limit: int | None, min_pending: int) -> dict:
    """Sign up to `min_pending` pending signatures if needed, then write their tokens."""
    pending = stats()["pending_rows"]
    topped_up = max(0, min_pending - pending)
    if topped_up:
        sign_pending(slug, topped_up)
    query = select(Signature).where(Signature.state == PENDING).order_by(Signature.id)
    if limit:
        query = query.limit(limit)
    written = 0
    with out.open("w") as file:
        for signature in db.session.execute(query).scalars():
            file.write(confirmation_token(signature) + "\n")
            written += 1
    return {"written": written, "topped_up": topped_up}


def main() -> None:
    """Parse the command line and print the result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("stats")
    seeding = commands.add_parser("seed")
    seeding.add_argument("--slug", required=True)
    seeding.add_argument("--count", type=int, required=True)
    seeding.add_argument("--public-share", type=float, default=0.0)
    tokens = commands.add_parser("tokens")
    tokens.add_argument("--slug", required=True)
    tokens.add_argument("--out", type=Path, required=True)
    tokens.add_argument("--limit", type=int)
    tokens.add_argument("--min-pending", type=int, default=0)
    args = parser.parse_args()
    with create_app().app_context():
        if args.command == "stats":
            result = stats()
        elif args.command == "seed":
            result = seed(args.slug, args.count, args.public_share)
        else:
            result = write_tokens(args.slug, args.out, args.limit, args.min_pending)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
