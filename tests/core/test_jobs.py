"""Background jobs: Huey on SQLite by default or Redis, run by a real consumer; make run."""

import logging
import os
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest
from huey.consumer import Scheduler
from huey.storage import RedisStorage, SqliteStorage

from app.campaigns.jobs import close_expired_campaigns_job
from app.campaigns.models import CLOSED
from app.config import build_config
from app.core.jobs import huey, run_queued_jobs
from app.exports import services
from app.exports.jobs import start_export
from app.exports.models import Export, ExportStatus
from app.extensions import db
from tests.factories import make_expired_campaign, make_organiser, make_signature

PROJECT = Path(__file__).resolve().parents[2]
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


@pytest.fixture
def config_overrides(tmp_path):
    return {
        "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
        "EXPORTS_PATH": str(tmp_path / "exports"),
    }


def test_the_queue_is_a_sqlite_file_by_default(app, tmp_path):
    assert isinstance(huey.storage, SqliteStorage)
    assert huey.storage.filename == str(tmp_path / "jobs.sqlite3")
    assert (tmp_path / "jobs.sqlite3").exists()
    # Unset, it lives in the instance folder, beside the default database.
    defaults = build_config("/srv/rally/instance")
    assert defaults["JOBS_SQLITE_PATH"] == "/srv/rally/instance/jobs.sqlite3"
    assert defaults["EXPORTS_PATH"] == "/srv/rally/instance/exports"


def test_a_deadline_passes_and_the_periodic_job_closes_the_campaign(app):
    campaign = make_expired_campaign()
    # The consumer's scheduler queues periodic jobs at the minutes they are due.
    due = {task.name for task in huey.read_periodic(datetime(2026, 1, 1, 12, 10))}
    assert {
        "close_expired_campaigns_job",
        "requeue_stalled_exports_job",
        "remove_old_exports_job",
    } <= due
    assert "remove_old_exports_job" not in {
        task.name for task in huey.read_periodic(datetime(2026, 1, 1, 12, 11))
    }
    huey.enqueue(close_expired_campaigns_job.s())
    db.session.commit()
    assert run_queued_jobs() == 1
    db.session.expire_all()
    assert db.session.get(type(campaign), campaign.id).status == CLOSED


def test_idle_periodic_jobs_say_nothing_and_busy_ones_say_what_they_did(app, caplog):
    minute = datetime(2026, 1, 1, 12, 0)  # every periodic job is due at the hour
    scheduler = Scheduler(huey, interval=1, periodic=True)

    def run_due_jobs():
        caplog.clear()
        with caplog.at_level(logging.INFO):
            scheduler.enqueue_periodic_tasks(minute)  # as the consumer's scheduler does
            ran = run_queued_jobs()
        assert ran == len(huey.read_periodic(minute)) >= 4
        return [(r.name, r.levelname, r.getMessage()) for r in caplog.records]

    assert run_due_jobs() == []  # nothing to do: not a line in the terminal
    make_expired_campaign(slug="old-news")
    db.session.commit()
    assert run_due_jobs() == [
        ("rally.campaigns", "INFO", "closed campaigns past their deadline: old-news")
    ]


def test_a_real_consumer_runs_a_queued_export(app):
    campaign = make_expired_campaign()
    make_signature(campaign, state="confirmed", name="Consumed")
    export = start_export(campaign, make_organiser(), "csv", {"columns": ["name"]})
    export_id = export.id
    db.session.commit()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    consumer = huey.create_consumer(workers=2, periodic=False, worker_type="thread")
    consumer.start()
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.get(Export, export_id).status == ExportStatus.DONE:
                break
            db.session.commit()
            time.sleep(0.1)
    finally:
        consumer.stop(graceful=True)
        for number, handler in handlers.items():
            signal.signal(number, handler)
    export = db.session.get(Export, export_id)
    assert export.status == ExportStatus.DONE
    assert "Consumed" in services.export_file(export).read_text()


def test_flask_jobs_run_empties_the_queue(app, runner):
    campaign = make_expired_campaign()
    huey.enqueue(close_expired_campaigns_job.s())
    db.session.commit()
    result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0 and "ran 1 jobs" in result.output
    db.session.expire_all()
    assert db.session.get(type(campaign), campaign.id).status == CLOSED


@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs Redis: set TEST_REDIS_URL (CI does)")
@pytest.mark.parametrize(
    "config_overrides", [{"REDIS_URL": TEST_REDIS_URL, "JOBS_QUEUE": "rally-test-jobs"}]
)
def test_with_redis_url_the_queue_is_in_redis(app):
    assert isinstance(huey.storage, RedisStorage)
    huey.flush()
    campaign = make_expired_campaign()
    huey.enqueue(close_expired_campaigns_job.s())
    assert huey.pending_count() == 1
    db.session.commit()
    assert run_queued_jobs() == 1
    db.session.expire_all()
    assert db.session.get(type(campaign), campaign.id).status == CLOSED
    huey.flush()


def test_make_run_starts_web_and_worker_with_honcho():
    procfile = dict(
        line.split(":", 1) for line in (PROJECT / "Procfile").read_text().splitlines() if line
    )
    assert set(procfile) == {"web", "worker"}
    assert "flask --app wsgi run" in procfile["web"] and "${PORT" in procfile["web"]
    assert procfile["worker"].strip() == "flask --app wsgi jobs worker"
    dry_run = subprocess.run(
        ["make", "-n", "run", "worker"], cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout
    assert "honcho start" in dry_run and "flask jobs worker" in dry_run
    assert 'BASE_URL="${BASE_URL:-http://127.0.0.1:5000}"' in dry_run
