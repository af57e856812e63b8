"""Running the delivery PDF's parts, each in a child process with limits (process.py).

At most EXPORT_PDF_PROCESSES run at a time. A part over its memory or CPU limit, or one
that fails, raises PartFailed with a message for the organiser; the worker carries on.
"""

import logging
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext

from app.exports.pdf import process
from app.exports.pdf.process import EXIT_OUT_OF_MEMORY

log = logging.getLogger("rally.exports")

PART_SCRIPT = Path(process.__file__)
STYLESHEET = Path(__file__).resolve().parents[3] / "templates" / "pdf" / "delivery.css"


class PartFailed(Exception):
    """A part could not be made; the message is shown to the organiser."""


@dataclass
class Part:
    """A part made by a child process: `kind` "html" (WeasyPrint), "list" (fpdf2) or "fonts"."""

    kind: str
    source: str  # the HTML, or the job as JSON
    pdf_path: str
    rows: int = 0
    pages: int = 0
    process: subprocess.Popen | None = None
    started: float = 0.0

    def command(self, memory_mb: int, seconds: int) -> list[str]:
        """The child process's command line."""
        # -I: no user site, no script folder on the path.
        command = [sys.executable, "-I", str(PART_SCRIPT), self.kind, self.source]
        command += [self.pdf_path, str(memory_mb), str(seconds)]
        if self.kind == "html":
            command += [str(STYLESHEET), self.source + ".css"]
        return command


def run_parts(parts: list[Part], on_done: Callable[[Part], None]) -> None:
    """Make the parts, at most EXPORT_PDF_PROCESSES at a time, each within its limits."""
    config = current_app.config
    memory_mb = config["EXPORT_PDF_MEMORY_MB"]
    seconds = config["EXPORT_PDF_SECONDS"]
    parallel = max(1, config["EXPORT_PDF_PROCESSES"])
    waiting, running = list(parts), []
    try:
        while waiting or running:
            while waiting and len(running) < parallel:
                part = waiting.pop(0)
                part.process = subprocess.Popen(
                    part.command(memory_mb, seconds), stdin=subprocess.DEVNULL
                )
                part.started = time.monotonic()
                running.append(part)
            for part in list(running):
                # CPU time is capped by RLIMIT_CPU; wall time too, for a part stuck waiting.
                try:
                    code = part.process.wait(timeout=0.05)
                except subprocess.TimeoutExpired:
                    if time.monotonic() - part.started > seconds * 2 + 30:
                        raise PartFailed(too_slow()) from None
                    continue
                running.remove(part)
                check_exit(code)
                on_done(part)
    finally:
        for part in running:
            part.process.kill()
            part.process.wait()


def too_slow() -> str:
    """The message for a part over its time limit."""
    return gettext(
        "The PDF took longer to make than allowed. Try again later, or ask the site's "
        "administrators to raise the limit."
    )


def cannot_make() -> str:
    """The message for a part that failed for any other reason."""
    return gettext("The PDF could not be made. Nothing was sent to anyone.")


def check_exit(code: int) -> None:
    """Raise PartFailed with the message for a child's exit `code`, unless it is 0."""
    if code == 0:
        return
    if code == EXIT_OUT_OF_MEMORY or code == -9:
        raise PartFailed(gettext("The PDF needed more memory than allowed, so it was not made."))
    if code == -24:  # SIGXCPU: over RLIMIT_CPU
        raise PartFailed(too_slow())
    if code < 0:  # a crash: C libraries that cannot allocate under RLIMIT_AS abort
        raise PartFailed(
            gettext("The PDF needed more memory or time than allowed, so it was not made.")
        )
    log.warning("A delivery PDF part exited with %s", code)
    raise PartFailed(cannot_make())
