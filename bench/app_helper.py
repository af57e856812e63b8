"""Database-side helpers for bench/sign.py, run inside Rally's app context.

Run with the same environment as the benchmarked server (DATABASE_URL, SECRET_KEY ...):

    python bench/app_helper.py stats
        JSON: signature rows by state, the sum of the count shards, outbox rows.
    python bench/app_helper.py tokens --out FILE [--limit N] [--min-pending N]
        Write one confirmation token per pending signature to FILE, one a line (at most
        N). With --min-pending, first add pending signatures (straight into the table,
        shaped as sign_campaign makes them, without their emails) until there are that
        many, so a confirmation run cannot run out of tokens.
"""

import argparse
import json
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.campaigns.models import Campaign, CampaignCountShard  # noqa: E402
from app.core.database import utcnow  # noqa: E402
from app.core.outbox import OutboxEmail  # noqa: E402
from app.extensions import db  # noqa: E402
from app.signatures.models import PENDING, Signature  # noqa: E402
from app.signatures.services import confirmation_token  # noqa: E402


def stats() -> dict:
    """Signature rows per state, the shard sum per campaign, and outbox rows."""
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
    }


def seed_pending(count: int) -> None:
    """Insert `count` pending signatures on the (first) campaign in one transaction."""
    campaign_id = db.session.execute(select(Campaign.id).order_by(Campaign.id)).scalars().first()
    now = utcnow()
    tag = secrets.token_hex(4)
    rows = [
        dict(
            campaign_id=campaign_id,
            state=PENDING,
            name="Bench Seed",
            email=f"seed-{tag}-{i}@example.org",
            email_normalised=f"seed-{tag}-{i}@example.org",
            postcode="N1 9GU",
            country="GB",
            public=True,
            contact_consent=False,
            language="en",
            ip_address="127.0.0.1",
            token_nonce=secrets.token_hex(16),
            emails_sent=1,
            last_emailed_at=now,
            created_at=now,
        )
        for i in range(count)
    ]
    db.session.execute(insert(Signature), rows)
    db.session.commit()


def write_tokens(out: Path, limit: int | None, min_pending: int) -> dict:
    """Seed up to `min_pending` pending signatures if needed, then write their tokens."""
    pending = stats()["pending_rows"]
    seeded = max(0, min_pending - pending)
    if seeded:
        seed_pending(seeded)
    query = select(Signature).where(Signature.state == PENDING).order_by(Signature.id)
    if limit:
        query = query.limit(limit)
    written = 0
    with out.open("w") as file:
        for signature in db.session.execute(query).scalars():
            file.write(confirmation_token(signature) + "\n")
            written += 1
    return {"written": written, "seeded": seeded}


def main() -> None:
    """Parse the command line and print the result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("stats")
    tokens = commands.add_parser("tokens")
    tokens.add_argument("--out", type=Path, required=True)
    tokens.add_argument("--limit", type=int)
    tokens.add_argument("--min-pending", type=int, default=0)
    args = parser.parse_args()
    with create_app().app_context():
        if args.command == "stats":
            result = stats()
        else:
            result = write_tokens(args.out, args.limit, args.min_pending)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
