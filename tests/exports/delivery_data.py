"""Signatures to deliver, an export of them, and the PDF made from it read back."""

from datetime import timedelta
from pathlib import Path

from pypdf import PdfReader

from app.core.database import utcnow
from app.exports.delivery import (
    write_delivery_pdf,
)
from app.exports.models import Export, ExportKind
from app.extensions import db
from app.signatures.models import CONFIRMED, Signature


def add_signatures(campaign, count, state=CONFIRMED, names=None, start=None, **extra):
    """`count` signatures inserted in one go (the factory commits one by one)."""
    start = start or utcnow() - timedelta(days=30)
    names = names or ["Zoë Ångström"]
    rows = []
    for i in range(count):
        email = f"signer{campaign.id}-{state}-{i}@example.org"
        rows.append(
            dict(
                campaign_id=campaign.id,
                state=state,
                name=names[i % len(names)],
                name_search="",
                email=email,
                email_normalised=email,
                postcode=extra.get("postcode", f"Town {i % 3}"),
                country=extra.get("country", ["GB", "FR", "EG"][i % 3]),
                language="en",
                confirmed_at=start + timedelta(minutes=i) if state == CONFIRMED else None,
            )
        )
    db.session.execute(db.insert(Signature), rows)
    db.session.commit()


def make_export(campaign, **options) -> Export:
    export = Export(
        campaign_id=campaign.id,
        kind=ExportKind.PDF,
        options=options,
        verification_code=f"code{campaign.id}x",
    )
    db.session.add(export)
    db.session.commit()
    return export


def render(export, tmp_path) -> tuple[Path, list]:
    progress = []
    path = tmp_path / "delivery.pdf"
    write_delivery_pdf(export, path, lambda done, total: progress.append((done, total)))
    return path, progress


def page_texts(path):
    return [page.extract_text() for page in PdfReader(path).pages]
