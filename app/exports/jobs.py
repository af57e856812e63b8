"""The export jobs: make a file, and the periodic housekeeping of stalled and old exports."""

import logging

from huey import crontab

from app.core.jobs import periodic_task, task
from app.exports import services

log = logging.getLogger("rally.exports")


@task()
def run_export_job(export_id: int) -> None:
    """Make the file of one export (queued by request_export and by the requeue job)."""
    services.run_export(export_id)


@periodic_task(crontab(minute="*"))
def requeue_stalled_exports_job() -> None:
    """Every minute: queue again the exports whose worker died while making them."""
    services.requeue_stalled_exports()


@periodic_task(crontab(minute="*/10"))
def remove_old_exports_job() -> None:
    """Every ten minutes: delete files older than EXPORT_KEEP_SECONDS (the rows stay)."""
    removed = services.remove_old_exports()
    if removed:
        log.info("removed %d old export files", removed)
