"""Render one HTML file to one PDF file under memory and CPU limits, as its own process.

    python -I app/exports/pdf/process.py HTML_PATH PDF_PATH MEMORY_MB SECONDS CSS_PATH...

Run as a script, not imported through the `app` package: importing the package would load
Flask, SQLAlchemy and every model into each rendering process (about 40 MB more each), when
all it needs is WeasyPrint and the locked-down fetcher in render.py, loaded here by file path.
The exit code says what happened (EXIT_*); a signal (SIGXCPU, SIGKILL) shows as a negative code.
"""

import errno
import importlib.util
import os
import resource
import sys
from pathlib import Path

EXIT_OUT_OF_MEMORY = 3
EXIT_FAILED = 4


def _load_pdf_module():
    path = Path(__file__).resolve().with_name("render.py")
    spec = importlib.util.spec_from_file_location("rally_pdf", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render_file(html_path: str, pdf_path: str, memory_mb: int, seconds: int, css_paths) -> int:
    """Limit this process, render, and return the exit code to report."""
    # WeasyPrint and its libraries are loaded first: the limits are for the rendering.
    pdf = _load_pdf_module()
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    try:
        html = Path(html_path).read_text("utf-8")
        sheets = tuple(Path(css).read_text("utf-8") for css in css_paths)
        Path(pdf_path).write_bytes(pdf.render_pdf(html, sheets, fetcher=pdf.SafeFetching()))
    except MemoryError:
        return EXIT_OUT_OF_MEMORY
    except OSError as error:
        return EXIT_OUT_OF_MEMORY if error.errno == errno.ENOMEM else EXIT_FAILED
    except Exception:  # noqa: BLE001 - any failure is this document's; the parent reports it
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    html_path, pdf_path, memory_mb, seconds, *css_paths = sys.argv[1:]
    os._exit(render_file(html_path, pdf_path, int(memory_mb), int(seconds), css_paths))
