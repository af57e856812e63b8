"""Run a piece of work in many threads released at the same moment."""

import threading

from app.extensions import db


def run_in_parallel(count, work):
    """Run `work` in `count` threads at once; return the exceptions they raised."""
    db.session.commit()  # end the test's own transaction: it would hold SQLite's write lock
    barrier = threading.Barrier(count)
    errors = []

    def run():
        try:
            barrier.wait()
            work()
        except Exception as error:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def in_own_thread(work):
    """Run `work` in another thread, so its requests get app contexts of their own.

    As in production, they do not share the test's app context, where Flask-WTF caches
    one CSRF token.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()
