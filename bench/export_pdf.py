"""Delivery PDF benchmark: seed N confirmed signatures, make the PDF, report speed and memory.

    .venv/bin/python bench/export_pdf.py            # 10,000 and 100,000 rows
    .venv/bin/python bench/export_pdf.py --million  # and 1,000,000
    .venv/bin/python bench/export_pdf.py --sizes 2000
    .venv/bin/python bench/export_pdf.py --language ar   # the document in Arabic

Per size: wall time, pages, rows per second, peak RSS summed over this process and its
rendering children (sampled from /proc), and of this process alone (the jobs worker's share),
the file size. A yardstick first: 2,000 rows as a
plain <table> in one process, so the figures compare across machines.
"""

import argparse
import logging
import os
import random
import resource
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pikepdf  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from app import create_app  # noqa: E402
from app.campaigns.loader import CampaignSpec, TranslationSpec  # noqa: E402
from app.campaigns.models import Campaign  # noqa: E402
from app.campaigns.services import apply_campaign_spec  # noqa: E402
from app.core.database import utcnow  # noqa: E402
from app.exports.delivery import write_delivery_pdf  # noqa: E402
from app.exports.models import Export, ExportKind  # noqa: E402
from app.exports.pdf.render import render_pdf  # noqa: E402
from app.extensions import db  # noqa: E402
from app.signatures.models import Signature  # noqa: E402

FIRST = "Amira Ben Chloe Daniel Elif George Hannah Kwame Laura Nadia Oliver Priya Zoë".split()
LAST = "Smith Jones Okafor Nowak Haddad Murphy O'Brien Kowalczyk Fernandes Ångström".split()
ARABIC_FIRST = "أحمد محمد فاطمة عائشة يوسف مريم خالد ليلى عمر نور".split()
ARABIC_LAST = "العلي الحسن منصور السيد حداد خوري سالم ناصر".split()
CJK = "王小明 李华 張偉 田中太郎 佐藤花子 김민준 이서연 陈静".split()
TOWNS = "London Leeds Lyon Paris Berlin Cairo Amman Beirut Tunis Dublin Tokyo 北京".split()
COUNTRIES = ["GB"] * 8 + ["FR", "DE", "EG", "JO", "LB", "TN", "IE", "JP", "CN", "KR"]
BATCH = 10_000


def log(message: str) -> None:
    """Progress on stderr, so stdout is only the report."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rows(campaign_id: int, count: int, seed: int = 7):
    """Confirmed signatures in batches: 10 % Arabic names, 3 % CJK, the rest Latin."""
    rng = random.Random(seed)
    start = utcnow() - timedelta(days=60)
    batch = []
    for number in range(count):
        draw = rng.random()
        if draw < 0.10:
            name = f"{rng.choice(ARABIC_FIRST)} {rng.choice(ARABIC_LAST)}"
        elif draw < 0.13:
            name = rng.choice(CJK)
        else:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        email = f"s{campaign_id}-{number}@example.org"
        batch.append(
            dict(
                campaign_id=campaign_id,
                state="confirmed",
                name=name,
                name_search="",
                email=email,
                email_normalised=email,
                postcode=rng.choice(TOWNS),
                country=rng.choice(COUNTRIES),
                language="en",
                confirmed_at=start + timedelta(seconds=number * 60 * 86400 / count),
            )
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(size: int, language: str = "en") -> Campaign:
    """A campaign with `size` confirmed signatures, its texts in English and `language`."""
    slug = f"pdf-bench-{size}-{language}"
    # The texts are the English ones under the other language's code: the list, headings and
    # country names (what the benchmark measures) are in that language all the same.
    languages = ["en"] if language == "en" else ["en", language]
    apply_campaign_spec(
        CampaignSpec(
            slug=slug,
            status="open",
            goal=size,
            deadline=None,
            default_language="en",
            required_fields=["name", "email", "postcode", "country"],
            translations=[
                TranslationSpec(
                    language=code,
                    title=f"Delivery benchmark ({size:,} signatures)",
                    summary="Benchmark.",
                    body_markdown="Please act on this petition.",
                    target_name="The Minister",
                    target_role="Minister",
                    target_institution="The Ministry",
                )
                for code in languages
            ],
        )
    )
    campaign = db.session.execute(db.select(Campaign).where(Campaign.slug == slug)).scalar_one()
    for batch in rows(campaign.id, size):
        db.session.execute(insert(Signature), batch)
        db.session.commit()
    return campaign


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.append(child)
            queue.append(child)
    return found


class RssSampler(threading.Thread):
    """The largest sum of RSS over this process and its descendants, sampled every 0.1 s."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.own_peak_kb = 0  # this process alone: the jobs worker's share
        self.running = True

    def run(self):
        """Sample until stopped."""
        me = os.getpid()
        while self.running:
            own = _rss_kb(me)
            total = own + sum(_rss_kb(pid) for pid in _descendants(me))
            self.peak_kb = max(self.peak_kb, total)
            self.own_peak_kb = max(self.own_peak_kb, own)
            time.sleep(0.1)


def table_yardstick(count: int = 2000) -> float:
    """Rows per second of a plain <table> rendered in this process."""
    body = "".join(
        f"<tr><td>{i}</td><td>Name {i}</td><td>Town</td><td>GB</td><td>2026-01-01</td></tr>"
        for i in range(count)
    )
    started = time.monotonic()
    render_pdf(f"<table>{body}</table>")
    return count / (time.monotonic() - started)


def measure(app, size: int, out_dir: Path, language: str = "en") -> dict:
    """Seed, render and measure one size."""
    with app.app_context():
        log(f"seeding {size:,} signatures")
        campaign = seed(size, language)
        export = Export(
            campaign_id=campaign.id,
            kind=ExportKind.PDF,
            options={"language": language},
            verification_code=f"b{size}{language}",
        )
        db.session.add(export)
        db.session.commit()
        path = out_dir / f"delivery-{size}.pdf"
        log(f"rendering {size:,} rows")
        sampler = RssSampler()
        sampler.start()
        started = time.monotonic()
        write_delivery_pdf(export, path, lambda done, total: None)
        seconds = time.monotonic() - started
        sampler.running = False
        sampler.join()
        with pikepdf.open(path) as pdf:
            pages = len(pdf.pages)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "rows": size,
        "seconds": seconds,
        "pages": pages,
        "rows_per_second": size / seconds,
        "peak_rss_mb": sampler.peak_kb / 1024,
        "own_peak_mb": sampler.own_peak_kb / 1024,
        "largest_child_mb": children / 1024,
        "file_mb": path.stat().st_size / 1e6,
    }


def main() -> int:
    """Run the sizes asked for and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 rows")
    parser.add_argument("--sizes", type=int, nargs="*", help="sizes instead of the defaults")
    parser.add_argument("--keep", type=Path, help="keep the PDFs in this directory")
    parser.add_argument(
        "--language", default="en", help="the document's language (default en; ar: right to left)"
    )
    args = parser.parse_args()
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    sizes = args.sizes or [10_000, 100_000] + ([1_000_000] if args.million else [])
    with tempfile.TemporaryDirectory(prefix="rally-pdf-bench-") as work:
        out_dir = args.keep or Path(work)
        out_dir.mkdir(parents=True, exist_ok=True)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work}/bench.db",
                "BASE_URL": "https://rally.example",
            }
        )
        with app.app_context():
            db.create_all()
        print(
            "rows       seconds  pages   rows/s  peak RSS (sum)  this process  largest child  file"
        )
        for size in sizes:
            r = measure(app, size, out_dir, args.language)
            print(
                f"{r['rows']:>9,}  {r['seconds']:>7.1f}  {r['pages']:>5,}"
                f"  {r['rows_per_second']:>7,.0f}"
                f"  {r['peak_rss_mb']:>11,.0f} MB  {r['own_peak_mb']:>9,.0f} MB"
                f"  {r['largest_child_mb']:>10,.0f} MB"
                f"  {r['file_mb']:>6.1f} MB",
                flush=True,
            )
        # Last, so its memory (it renders in this process) is not counted in the peaks above.
        log("yardstick: 2,000 rows as a plain <table>")
        print(f"yardstick: plain <table>, 2,000 rows: {table_yardstick():,.0f} rows/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
