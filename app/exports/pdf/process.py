"""Make one part of the delivery PDF under memory and CPU limits, as a process of its own.

    python -I app/exports/pdf/process.py html HTML_PATH PDF_PATH MEMORY_MB SECONDS CSS_PATH...
    python -I app/exports/pdf/process.py list JOB_PATH PDF_PATH MEMORY_MB SECONDS
    python -I app/exports/pdf/process.py fonts JOB_PATH - MEMORY_MB SECONDS

`html` renders a page with WeasyPrint and the locked-down fetcher (render.py); `list` draws
list pages with fpdf2 (signature_list.py, a job written as JSON); `fonts` cuts the list's
fonts down to a document's characters (fonts.py). Run as a script, not
imported through the `app` package: importing the package would load Flask, SQLAlchemy and
every model into each process (about 40 MB more each), so the one module needed is loaded
by file path. The exit code says what happened (EXIT_*); a signal (SIGXCPU, SIGKILL) shows
as a negative code.
"""

import errno
import importlib.util
import os
import resource
import sys
from pathlib import Path

EXIT_OUT_OF_MEMORY = 3
EXIT_FAILED = 4
MODULES = {"html": "render.py", "list": "signature_list.py", "fonts": "fonts.py"}


def _load(kind: str):
    path = Path(__file__).resolve().with_name(MODULES[kind])
    spec = importlib.util.spec_from_file_location(f"rally_pdf_{kind}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _make(kind: str, module, source: str, pdf_path: str, css_paths) -> None:
    if kind == "html":
        html = Path(source).read_text("utf-8")
        sheets = tuple(Path(css).read_text("utf-8") for css in css_paths)
        pdf = module.render_pdf(html, sheets, fetcher=module.SafeFetching())
        Path(pdf_path).write_bytes(pdf)
    elif kind == "list":
        module.draw_list(module.ListJob.load(source), pdf_path)
    else:
        module.make_subsets(source)


def make_part(kind: str, source: str, pdf_path: str, memory_mb: int, seconds: int, css_paths):
    """Limit this process, make the part, and return the exit code to report."""
    # The libraries are loaded first: the limits are for the work.
    module = _load(kind)
    if kind == "list":
        import fpdf  # noqa: F401 - loaded before the limits, as WeasyPrint is
    elif kind == "fonts":
        import fontTools.subset  # noqa: F401

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    try:
        _make(kind, module, source, pdf_path, css_paths)
    except MemoryError:
        return EXIT_OUT_OF_MEMORY
    except OSError as error:
        return EXIT_OUT_OF_MEMORY if error.errno == errno.ENOMEM else EXIT_FAILED
    except Exception as error:  # noqa: BLE001 - any failure is this part's; the parent reports it
        # The type only: a message could quote a signer's name into the worker's log.
        print(f"PDF part failed: {type(error).__name__}", file=sys.stderr)
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    kind, source, pdf_path, memory_mb, seconds, *css_paths = sys.argv[1:]
    os._exit(make_part(kind, source, pdf_path, int(memory_mb), int(seconds), css_paths))
