"""Admin and batch commands: `flask campaigns`, `outbox`, `jobs`, `signatures` and more."""

from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from app.campaigns.counts import confirmed_counts
from app.campaigns.dump import dump_campaign
from app.campaigns.models import Campaign
from app.campaigns.services import close_expired_campaigns, find_campaign, load_campaigns
from app.core import jobs
from app.core.outbox import run_worker, send_due_emails
from app.extensions import db
from app.organisers.cli import organisers_cli
from app.signatures.cli import signatures_cli, signing_lists_cli
from app.signatures.services import recount_campaign

campaigns_cli = click.Group("campaigns", help="Load and inspect campaigns.")
outbox_cli = click.Group("outbox", help="Deliver queued emails.")
jobs_cli = click.Group("jobs", help="Run background jobs (exports, deadlines, cleanup).")


def default_campaigns_path() -> Path:
    """CAMPAIGNS_PATH, else the campaigns/ folder of the checkout."""
    configured = current_app.config["CAMPAIGNS_PATH"]
    return Path(configured) if configured else Path(current_app.root_path).parent / "campaigns"


@campaigns_cli.command("load")
@click.argument(
    "path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option("--keep-missing", is_flag=True, help="Do not delete campaigns whose folder is gone.")
@click.option("--force", is_flag=True, help="Overwrite campaigns edited in the browser too.")
def load_command(path, keep_missing, force):
    """Upsert campaigns from PATH (default: campaigns/); one bad folder does not stop the rest."""
    report = load_campaigns(path or default_campaigns_path(), prune=not keep_missing, force=force)
    for label in ("created", "updated", "unchanged", "deleted"):
        for slug in getattr(report, label):
            click.echo(f"{label:9} {slug}")
    for slug in report.skipped:
        click.echo(f"skipped   {slug} (edited in the browser; use --force to overwrite)")
    for slug in report.kept:
        click.echo(f"kept      {slug} (folder gone, but it has signatures)")
    for error in report.errors:
        click.echo(f"error     {error.path}: {error.problem}", err=True)
    if report.errors:
        raise SystemExit(1)


@campaigns_cli.command("list")
def list_command():
    """Print slug, status and confirmed count of every campaign."""
    campaigns = db.session.execute(select(Campaign).order_by(Campaign.slug)).scalars().all()
    counts = confirmed_counts([c.id for c in campaigns])
    click.echo(f"{'slug':40} {'status':8} confirmed")
    for campaign in campaigns:
        click.echo(f"{campaign.slug:40} {campaign.status:8} {counts[campaign.id]}")


@campaigns_cli.command("dump")
@click.argument("slug")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def dump_command(slug, directory):
    """Write campaign SLUG to DIRECTORY/SLUG/ as a folder `flask campaigns load` reads back."""
    campaign = find_campaign(slug)
    if campaign is None:
        raise click.ClickException(f"no campaign {slug!r}")
    click.echo(f"wrote     {dump_campaign(campaign, directory)}")


@campaigns_cli.command("close-expired")
def close_expired_command():
    """Close the open campaigns whose deadline has passed."""
    for slug in close_expired_campaigns():
        click.echo(f"closed    {slug}")


@campaigns_cli.command("recount")
@click.argument("slug")
def recount_command(slug):
    """Rebuild a campaign's count from its confirmed signatures."""
    campaign = db.session.execute(
        select(Campaign).where(Campaign.slug == slug)
    ).scalar_one_or_none()
    if campaign is None:
        raise click.ClickException(f"no campaign {slug!r}")
    click.echo(f"{slug}: {recount_campaign(campaign)} confirmed")


@outbox_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="At most this many emails.")
def send_command(limit):
    """One pass: deliver the emails that are due."""
    report = send_due_emails(limit=limit)
    click.echo(
        f"sent {len(report.sent)}, retrying later {len(report.retrying)}, "
        f"failed {len(report.failed)}"
    )


@outbox_cli.command("worker")
@click.option("--interval", default=2.0, show_default=True, help="Seconds to sleep when idle.")
def worker_command(interval):
    """Deliver emails in a loop (run one or more beside the web server in production)."""
    click.echo("outbox worker started; Ctrl-C stops it")
    run_worker(interval=interval)


@jobs_cli.command("worker")
@click.option("--workers", type=int, default=None, help="Threads (default: JOBS_WORKERS).")
def jobs_worker_command(workers):
    """Run queued and periodic jobs until stopped (run one or more beside the web server)."""
    count = workers or current_app.config["JOBS_WORKERS"]
    click.echo(f"jobs worker started with {count} threads; Ctrl-C stops it")
    jobs.run_worker(count)


@jobs_cli.command("run")
def jobs_run_command():
    """One pass: run the jobs queued now, then stop (periodic jobs are not queued)."""
    click.echo(f"ran {jobs.run_queued_jobs()} jobs")


def register_cli(app: Flask) -> None:
    """Attach the command groups to `flask`."""
    app.cli.add_command(campaigns_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(organisers_cli)
    app.cli.add_command(signing_lists_cli)
    app.cli.add_command(signatures_cli)
