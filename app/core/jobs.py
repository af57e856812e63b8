"""Background jobs on Huey: one queue object, declared at import, pointed at storage by init_app.

Tasks are declared at import time with `task()` and `periodic_task()` below, on the one
module-level `huey`. Until `init_app` runs, its storage is Huey's base class, which refuses
to queue anything; `init_app` then picks the storage from the app's settings (a SQLite file
in instance/ by default, Redis when REDIS_URL is set) and replaces it. The code that queues
and runs jobs is the same for both. Every task runs inside an app context of the app that
called `init_app` (in a worker, the one `flask jobs worker` built), with its own database
session, as a request would.
"""

import functools
import logging
from pathlib import Path

from flask import Flask
from huey import Huey
from huey.api import PeriodicTask
from huey.storage import BaseStorage, RedisStorage, SqliteStorage

log = logging.getLogger("rally.jobs")

# Huey's own loggers: task runs (and their times), and the scheduler's queueing.
HUEY_LOGGERS = ("huey", "huey.consumer.Scheduler")

# Results are not kept: jobs record what they did in the database.
huey = Huey("rally", results=False, utc=True, storage_class=BaseStorage)

_configured: dict[str, Flask] = {}


class QuietPeriodicTasks(logging.Filter):
    """Drops Huey's routine lines about periodic tasks (queued, running, ran in 0.01 s).

    They come every minute whether the task had anything to do or not, and bury what
    matters in the terminal of `make run`; each periodic task logs what it did itself.
    Warnings and errors about them still show.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """False for an INFO (or quieter) line about a periodic task."""
        if record.levelno > logging.INFO or not isinstance(record.args, tuple):
            return True
        return not any(isinstance(arg, PeriodicTask) for arg in record.args)


def quiet_periodic_tasks() -> None:
    """Install QuietPeriodicTasks on Huey's loggers (once, however often called)."""
    for name in HUEY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietPeriodicTasks) for f in logger.filters):
            logger.addFilter(QuietPeriodicTasks())


def init_app(app: Flask) -> None:
    """Point the queue at this app's storage; tasks run in this app's context from now on."""
    quiet_periodic_tasks()
    config = app.config
    huey.name = config["JOBS_QUEUE"]
    if config["REDIS_URL"]:
        huey.storage_class = RedisStorage
        huey.storage_kwargs = {"url": config["REDIS_URL"]}
    else:
        path = Path(config["JOBS_SQLITE_PATH"] or Path(app.instance_path) / "jobs.sqlite3")
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": str(path)}
    previous = huey.storage
    huey.storage = huey.create_storage()
    if isinstance(previous, SqliteStorage):
        previous.close()  # this thread's connection to the file used before
    _configured["app"] = app


def configured_app() -> Flask:
    """The app whose context jobs run in."""
    try:
        return _configured["app"]
    except KeyError:
        raise RuntimeError("jobs.init_app(app) has not been called") from None


def _in_app_context(function):
    @functools.wraps(function)
    def run(*args, **kwargs):
        # A fresh context (and so a fresh database session) for each run, also when the
        # caller has one: a job never shares a session with whoever runs the queue.
        with configured_app().app_context():
            return function(*args, **kwargs)

    return run


def task(**options):
    """Declare a background job; calling it queues it (Huey's `task`, in an app context)."""

    def decorate(function):
        return huey.task(**options)(_in_app_context(function))

    return decorate


def periodic_task(schedule, **options):
    """Declare a job the worker queues on `schedule` (a huey.crontab)."""

    def decorate(function):
        return huey.periodic_task(schedule, **options)(_in_app_context(function))

    return decorate


def run_queued_jobs(limit: int = 1000) -> int:
    """Run the queued jobs in this process, one after another, until none is left.

    For tests and `flask jobs run`; a worker (`flask jobs worker`) does this continuously.
    Returns how many ran.
    """
    ran = 0
    while ran < limit:
        job = huey.dequeue()
        if job is None:
            break
        huey.execute(job)
        ran += 1
    return ran


def run_worker(workers: int) -> None:
    """Run Huey's consumer with `workers` threads and the periodic scheduler, until stopped."""
    consumer = huey.create_consumer(workers=workers, periodic=True, worker_type="thread")
    consumer.run()
