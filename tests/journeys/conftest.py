"""Fixtures for the browser journeys: the app over real HTTP and one headless Chromium."""

import shutil
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from tests.helpers import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# Debian's chromium, never a browser Playwright would download: the machines have no
# internet but the package registries.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on 127.0.0.1, in a thread."""
    port = free_port()
    app.config["BASE_URL"] = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, app, threaded=True)
    # shutdown() waits for the loop's next poll: a short interval saves ~0.25 s a test.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield app.config["BASE_URL"]
    server.shutdown()


@contextmanager
def headless_chromium(extra_args=()):
    """Debian's Chromium driven by Playwright; the test is skipped if either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (make test)")
    if not CHROMIUM:
        pytest.skip("needs Debian's chromium (make test)")
    with sync_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args]
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module; tests open their own contexts in it."""
    with headless_chromium() as chromium:
        yield chromium
