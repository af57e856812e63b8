"""Who is logged in, and what they may do: the one place organiser routes check roles.

A login creates an `OrganiserSession` row whose random id is what Flask-Login keeps in
the signed cookie. Deleting the row (logout, password change) ends that session even if
someone replays the old cookie.
"""

import logging
import secrets
from datetime import timedelta
from functools import wraps

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete, select

from app.campaigns.models import Campaign
from app.core.audit import record_event
from app.core.database import utcnow
from app.extensions import db, login_manager
from app.organisers.models import (
    Membership,
    Organisation,
    Organiser,
    OrganiserSession,
    Role,
    SiteSetting,
)

log = logging.getLogger("rally.access")

REQUIRE_TWO_FACTOR = "require_two_factor"  # site setting: "on" for everyone who sees signatures
# How often a session's last_seen_at is written: not on every request.
LAST_SEEN_GRANULARITY = timedelta(minutes=5)


def init_app(app: Flask) -> None:
    """Configure Flask-Login for organiser sessions."""
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    # "strong" would log out on every IP change (phones); our sessions are revocable rows.
    login_manager.session_protection = None

    @app.before_request
    def forget_user_of_earlier_request():
        # Flask-Login caches the user in `g`, which belongs to the app context; tests (and
        # CLI code) that keep one app context across requests must not inherit a login.
        g.pop("_login_user", None)
        # Nor the CSRF token Flask-WTF cached there for another (or a cleared) session.
        g.pop("csrf_token", None)


@login_manager.user_loader
def load_organiser(session_id: str) -> Organiser | None:
    """The organiser whose live session row has this id; None ends the session."""
    row = db.session.get(OrganiserSession, session_id)
    if row is None:
        return None
    now = utcnow()
    if now - row.last_seen_at > current_app.config["ORGANISER_SESSION_IDLE"]:
        db.session.delete(row)
        db.session.commit()
        return None
    if now - row.last_seen_at > LAST_SEEN_GRANULARITY:
        row.last_seen_at = now
        db.session.commit()
    organiser = row.organiser
    organiser.session_id = row.id
    organiser.authenticated_at = row.authenticated_at
    return organiser


def start_session(organiser: Organiser, user_agent: str = "") -> None:
    """Log `organiser` in with a new session id; the old cookie's contents are dropped."""
    session.clear()
    row = OrganiserSession(
        id=secrets.token_urlsafe(32), organiser_id=organiser.id, user_agent=user_agent[:200]
    )
    db.session.add(row)
    # Each organisation's log shows its members' logins: one row per organisation, so
    # reading a log stays one indexed range.
    for organisation_id in [m.organisation_id for m in organiser.memberships] or [None]:
        record_event(
            "organiser.login",
            "organiser",
            organiser.id,
            actor_id=organiser.id,
            organisation_id=organisation_id,
        )
    db.session.commit()
    organiser.session_id = row.id
    login_user(organiser)


def end_session() -> None:
    """Log out: the session row is deleted, so a copy of the cookie no longer works."""
    session_id = getattr(current_user, "session_id", None)
    if session_id:
        db.session.execute(delete(OrganiserSession).where(OrganiserSession.id == session_id))
        db.session.commit()
    logout_user()
    session.clear()


def end_other_sessions(organiser: Organiser, keep_session_id: str | None) -> int:
    """End every session of `organiser` except `keep_session_id` (in the caller's transaction)."""
    statement = delete(OrganiserSession).where(OrganiserSession.organiser_id == organiser.id)
    if keep_session_id:
        statement = statement.where(OrganiserSession.id != keep_session_id)
    return db.session.execute(statement).rowcount


def site_setting(key: str, default: str = "") -> str:
    """A setting site admins change in the browser."""
    row = db.session.get(SiteSetting, key)
    return row.value if row else default


def sees_signatures(organiser: Organiser) -> bool:
    """Site admins, and editors or owners of any organisation, can see who signed."""
    if organiser.is_admin:
        return True
    return any(Role(m.role).includes(Role.EDITOR) for m in organiser.memberships)


def must_set_up_two_factor(organiser: Organiser) -> bool:
    """The site requires two-step login of people who see signatures, and this one has none."""
    return (
        not organiser.two_factor_enabled
        and site_setting(REQUIRE_TWO_FACTOR) == "on"
        and sees_signatures(organiser)
    )


def membership_role(organiser: Organiser, organisation_id: int) -> Role | None:
    """The organiser's own role in an organisation, or None when not a member."""
    for membership in organiser.memberships:
        if membership.organisation_id == organisation_id:
            return Role(membership.role)
    return None


def role_in_organisation(organiser: Organiser, organisation_id: int | None) -> Role | None:
    """The organiser's role in an organisation (None: not a member).

    Campaigns without an organisation belong to the site admins, who own them. In other
    organisations a site admin sees figures only (and may unpublish): being an admin is
    no reason to see who signed another team's petition.
    """
    if organisation_id is None:
        return Role.OWNER if organiser.is_admin else None
    role = membership_role(organiser, organisation_id)
    if role is None and organiser.is_admin:
        return Role.VIEWER
    return role


def _deny_as_missing(kind: str, key) -> None:
    """404 for someone outside the team, with a trace: they learn nothing, we learn who tried."""
    log.warning(
        "organiser %s asked for %s %s outside their organisations", current_user.id, kind, key
    )
    record_event(
        "access.denied",
        kind,
        key if isinstance(key, int) else None,
        actor_id=current_user.id,
        path=request.path[:200],
    )
    db.session.commit()
    abort(404)


def _logged_in_guard():
    """Redirect to login, or to two-step setup when the site requires it; None to go on."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if must_set_up_two_factor(current_user) and request.endpoint != "accounts.two_factor":
        flash(_l("This site asks everyone who can see signatures to turn on two-step login."))
        return redirect(url_for("accounts.two_factor"))
    return None


def organiser_required(view):
    """Any logged-in organiser (with two-step login set up if the site requires it)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        return _logged_in_guard() or view(*args, **kwargs)

    return wrapped


def admin_required(view):
    """Site admins only; others get 404, as if the page did not exist."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        guard = _logged_in_guard()
        if guard is not None:
            return guard
        if not current_user.is_admin:
            _deny_as_missing("admin_page", request.path)
        return view(*args, **kwargs)

    return wrapped


def organisation_role(minimum: Role):
    """For routes with `<org_slug>`: pass `organisation` and `role` to the view.

    Outsiders get 404 (and are logged); members below `minimum` get 403.
    """

    def decorate(view):
        @wraps(view)
        def wrapped(org_slug: str, **kwargs):
            guard = _logged_in_guard()
            if guard is not None:
                return guard
            organisation = db.session.execute(
                select(Organisation).where(Organisation.slug == org_slug)
            ).scalar_one_or_none()
            # Organisation pages (members, invitations, log) are for members only, admins
            # included: oversight of other teams happens campaign by campaign.
            role = membership_role(current_user, organisation.id) if organisation else None
            if role is None:
                _deny_as_missing("organisation", org_slug)
            if not role.includes(minimum):
                abort(403)
            return view(organisation=organisation, role=role, **kwargs)

        return wrapped

    return decorate


def campaign_role(minimum: Role):
    """For routes with `<int:campaign_id>`: pass `campaign` and `role` to the view.

    Outsiders (including members of other organisations) get 404 and are logged; members
    below `minimum` get 403.
    """

    def decorate(view):
        @wraps(view)
        def wrapped(campaign_id: int, **kwargs):
            guard = _logged_in_guard()
            if guard is not None:
                return guard
            campaign = db.session.get(Campaign, campaign_id)
            role = None
            if campaign is not None:
                role = role_in_organisation(current_user, campaign.organisation_id)
            if role is None:
                _deny_as_missing("campaign", campaign_id)
            if not role.includes(minimum):
                abort(403)
            return view(campaign=campaign, role=role, **kwargs)

        return wrapped

    return decorate


def organisations_of(organiser: Organiser) -> list[tuple[Organisation, Role]]:
    """The organisations the organiser belongs to, with their role, by name."""
    rows = db.session.execute(
        select(Organisation, Membership.role)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.organiser_id == organiser.id)
        .order_by(Organisation.name)
    )
    return [(organisation, Role(role)) for organisation, role in rows]
