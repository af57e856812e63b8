"""Rally: the application factory wires configuration, extensions, blueprints, CLI and errors."""

import logging
from pathlib import Path

from flask import Flask

from app.config import build_config, load_secret_key, normalise_database_url
from app.core import proxy
from app.core.rate_limits import limiter
from app.extensions import babel, csrf, db, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config_overrides: dict | None = None) -> Flask:
    """Build the app; `config_overrides` wins over the environment (tests use it)."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    configure(app, config_overrides or {})
    register_extensions(app)
    register_blueprints(app)
    register_favicon(app)
    register_jobs()
    register_cli(app)
    register_errors(app)
    return app


def configure(app: Flask, overrides: dict) -> None:
    """Environment settings, then overrides, then what follows from them."""
    app.config.update(build_config(app.instance_path))
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(
            app.instance_path, app.config["RALLY_ENV"] == "production"
        )
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    proxy.init_app(app)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def register_extensions(app: Flask) -> None:
    """Bind the extensions and the core mechanisms to this app."""
    # Every model must be imported so Alembic and create_all see the whole schema.
    from app.campaigns import models as _campaign_models  # noqa: F401
    from app.campaigns import tallies as _campaign_tallies  # noqa: F401
    from app.core import (
        audit,  # noqa: F401
        cache,
        database,
        headers,
        i18n,
        input_guard,
        jobs,
        outbox,
        recipient_quotas,  # noqa: F401 - its model must be registered
    )
    from app.exports import models as _export_models  # noqa: F401
    from app.organisers import access, alerts
    from app.organisers import models as _organiser_models  # noqa: F401
    from app.organisers.dashboard import services as dashboard
    from app.organisers.review import models as _review_models  # noqa: F401
    from app.signatures import models as _signature_models  # noqa: F401
    from app.signatures import word_list

    # First, so it reads the raw body before CSRFProtect parses the form.
    input_guard.init_app(app)
    db.init_app(app)
    database.init_app(app)
    cache.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    headers.init_app(app)
    outbox.init_app(app)
    jobs.init_app(app)
    access.init_app(app)
    dashboard.init_app(app)
    alerts.init_app(app)
    word_list.init_app(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per concept package; their `<int:…>` ids are bounded (core/urls.py)."""
    from app.campaigns.views import bp as campaigns_bp
    from app.core import urls
    from app.embed.oembed import bp as oembed_bp
    from app.embed.views import bp as embed_bp
    from app.exports.verification import bp as verification_bp
    from app.exports.views import bp as exports_bp
    from app.organisers.accounts.views import bp as accounts_bp
    from app.organisers.allies.views import bp as allies_bp
    from app.organisers.dashboard.views import bp as dashboard_bp

    # The editor's and the teams' routes are in two modules each: importing a module adds
    # its routes to the blueprint.
    from app.organisers.editor import lifecycle_views as _lifecycle_routes  # noqa: F401
    from app.organisers.editor import views as _editor_routes  # noqa: F401
    from app.organisers.editor.blueprint import bp as editor_bp
    from app.organisers.review.views import bp as review_bp
    from app.organisers.teams import invitation_views as _invitation_routes  # noqa: F401
    from app.organisers.teams import views as _team_routes  # noqa: F401
    from app.organisers.teams.blueprint import bp as teams_bp
    from app.signatures.views import bp as signatures_bp

    # Converters are looked up as each route is added: this must come first.
    urls.init_app(app)
    for blueprint in (
        campaigns_bp,
        signatures_bp,
        accounts_bp,
        teams_bp,
        editor_bp,
        dashboard_bp,
        review_bp,
        allies_bp,
        exports_bp,
        verification_bp,
        embed_bp,
        oembed_bp,
    ):
        app.register_blueprint(blueprint)


def register_favicon(app: Flask) -> None:
    """/favicon.ico: the site's SVG icon, for browsers and tools that ask there, not the page."""

    @app.get("/favicon.ico")
    def favicon():
        # Browsers ask for it whatever the page links: a 404 there fills every log.
        return app.send_static_file("favicon.svg")


def register_jobs() -> None:
    """Import every package's jobs, so a worker knows each task a request may queue."""
    from app.campaigns import jobs as _campaign_jobs  # noqa: F401
    from app.exports import jobs as _export_jobs  # noqa: F401
    from app.organisers.review import jobs as _review_jobs  # noqa: F401
    from app.signatures import jobs as _signature_jobs  # noqa: F401


def register_cli(app: Flask) -> None:
    """The `flask campaigns` and `flask outbox` commands."""
    from app.cli import register_cli as attach

    attach(app)


def register_errors(app: Flask) -> None:
    """Error pages."""
    from app.errors import register_error_handlers

    register_error_handlers(app)
