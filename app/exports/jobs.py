"""The export jobs: make a file, and the periodic housekeeping of stalled and old exports."""

import logging

from huey import crontab

from app.core.jobs import periodic_task, task
from app.exports import services

log = logging.getLogger("rally.exports")


@task()
def run_export_job(export_id: int) -> None:
    """Make the file of one export (queued by start_export and by the requeue job)."""
    services.run_export(export_id)


def start_export(campaign, organiser, kind: str, options: dict):
    """Record an export request and queue its job; returns the Export."""
    export = services.request_export(campaign, organiser, kind, options)
    # Queued after the request's commit, so a worker never looks for a row it cannot see.
    run_export_job(export.id)
    return export


@periodic_task(crontab(minute="*"))
def requeue_stalled_exports_job() -> None:
    """Every minute: queue again the exports whose worker died while making them."""
    requeued = services.requeue_stalled_exports()
    for export_id in requeued:
        run_export_job(export_id)
    if requeued:
        log.info("queued again the stalled exports %s", ", ".join(map(str, requeued)))


@periodic_task(crontab(minute="*/10"))
def remove_old_exports_job() -> None:
    """Every ten minutes: delete files older than EXPORT_KEEP_SECONDS (the rows stay)."""
    removed = services.remove_old_exports()
    if removed:
        log.info("removed %d old export files", removed)
