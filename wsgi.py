"""Entry point for WSGI servers: `gunicorn wsgi:app`."""

import gc

from app import create_app

app = create_app()

# What the app built at start-up (models, routes, templates, catalogues) lives as long as the
# process: moved out of the collector's sight, each full collection no longer walks it. A
# request makes many short-lived objects, so collections are frequent on the hot paths.
gc.collect()
gc.freeze()
