"""Account pages: sign-up, login (with its second step), logout, password reset, the account.

Public pages (sign-up, login, reset) work for anyone; the account, two-step set-up and site
settings are behind the access guards.
"""

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.core.form_failures import shows_form_again
from app.core.i18n import page_language
from app.core.rate_limits import configured_limit, limiter
from app.core.urls import local_path
from app.extensions import db
from app.organisers.access import (
    REQUIRE_TWO_FACTOR,
    admin_required,
    end_session,
    organiser_required,
    site_setting,
    start_session,
)
from app.organisers.accounts import services, two_factor
from app.organisers.accounts.forms import (
    ChangePasswordForm,
    DisableTwoFactorForm,
    EnableTwoFactorForm,
    LoginForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignupForm,
    SiteSettingsForm,
    TwoStepForm,
)
from app.organisers.accounts.links import LinkResult
from app.organisers.accounts.password_limits import (
    PENDING_LOGIN,
    failed,
    logged_in_account,
    pending_account,
    submitted_account,
)
from app.organisers.models import Organiser

bp = Blueprint("accounts", __name__)

# In the session between a right password and the second step: {"id", "at", "next"}.


@bp.after_request
def _not_cached(response):
    # Account pages show people's data or carry tokens in their address.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def after_login_path(target: str | None) -> str:
    """Where to go after logging in: a safe `next`, else the dashboard."""
    return local_path(target) or url_for("dashboard.home")


# Sign-up


def render_signup(form, status=200):
    """The sign-up page; a safe `next` (an invitation, say) is kept for the login after it."""
    next_path = local_path(request.args.get("next"))
    return render_template("accounts/signup.html", form=form, next_path=next_path), status


def show_signup_again(message: str, status: int):
    """The sign-up form with the address as typed (never the password) and `message`."""
    form = SignupForm()
    form.form_errors.append(message)
    return render_signup(form, status)


@bp.route("/signup", methods=["GET", "POST"])
@shows_form_again(show_signup_again)
@configured_limit("RATELIMIT_SIGNUP", methods=["POST"])
def signup():
    """Create an account; the answer is the same whether the address had one or not."""
    form = SignupForm()
    if request.method == "GET" or not form.validate():
        return render_signup(form, 400 if request.method == "POST" else 200)
    services.sign_up(form.email.data, form.new_password.data, page_language())
    return render_template(
        "accounts/signup_sent.html", next_path=local_path(request.args.get("next"))
    )


@bp.get("/signup/confirm/<token>")
def signup_confirm_page(token):
    """The page behind the emailed link: a button, so mail scanners confirm nothing."""
    return render_confirm(services.check_confirm_token(token), token)


@bp.post("/signup/confirm/<token>")
@limiter.limit("30 per minute")
def signup_confirm(token):
    """Confirm the address."""
    outcome = services.check_confirm_token(token)
    if outcome.result is LinkResult.VALID:
        services.confirm_email(token)
        return render_template("accounts/signup_confirmed.html"), 200, _no_referrer()
    return render_confirm(outcome, token)


def render_confirm(outcome, token):
    """The confirm button, or why the link does not work."""
    if outcome.result is LinkResult.VALID:
        return render_template("accounts/signup_confirm.html", token=token), 200, _no_referrer()
    if outcome.result is LinkResult.DONE:
        return render_template("accounts/signup_confirmed.html"), 200, _no_referrer()
    return render_link_problem(outcome.result, "confirm")


def render_link_problem(result: LinkResult, kind: str):
    """An expired, used or broken emailed link."""
    status = {LinkResult.EXPIRED: 410, LinkResult.DONE: 410}.get(result, 404)
    html = render_template("accounts/link_problem.html", result=result.value, kind=kind)
    return html, status, _no_referrer()


def _no_referrer():
    # The address carries a token: never send it on to another site.
    return {"Referrer-Policy": "no-referrer"}


# Login and logout


def render_login(form, status=200):
    """The login page."""
    return render_template("accounts/login.html", form=form), status


def show_login_again(message: str, status: int):
    """The login form with the address as typed (never the password) and `message`."""
    form = LoginForm()
    form.form_errors.append(message)
    return render_login(form, status)


@bp.route("/login", methods=["GET", "POST"])
@shows_form_again(show_login_again)
@configured_limit("RATELIMIT_LOGIN_IP", methods=["POST"], deduct_when=failed)
@configured_limit(
    "RATELIMIT_LOGIN_ACCOUNT", methods=["POST"], key_func=submitted_account, deduct_when=failed
)
def login():
    """Log in with email and password, then the second step if it is on."""
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(after_login_path(request.args.get("next")))
        return render_login(LoginForm(next=local_path(request.args.get("next")) or ""))
    form = LoginForm()
    if not form.validate():
        return render_login(form, 400)
    organiser = services.authenticate(form.email.data, form.password.data, request.remote_addr)
    if organiser is None:
        form.form_errors.append(_("The email address or password is not right."))
        return render_login(form, 400)
    if organiser.two_factor_enabled:
        session[PENDING_LOGIN] = {
            "id": organiser.id,
            "at": time.time(),
            "next": local_path(form.next.data) or "",
        }
        return redirect(url_for(".two_step"), code=303)
    log_in(organiser)
    return redirect(after_login_path(form.next.data), code=303)


def pending_organiser() -> tuple[Organiser | None, dict]:
    """The organiser whose password was right a moment ago, if it was recent enough."""
    pending = session.get(PENDING_LOGIN) or {}
    max_age = current_app.config["TWO_STEP_MAX_AGE"].total_seconds()
    if not pending or time.time() - float(pending.get("at", 0)) > max_age:
        return None, {}
    organiser = db.session.get(Organiser, pending.get("id"))
    if organiser is None or not organiser.two_factor_enabled:
        return None, {}
    return organiser, pending


def show_two_step_again(message: str, status: int):
    """The second-step form with `message`."""
    form = TwoStepForm()
    form.code.data = ""
    form.form_errors.append(message)
    return render_template("accounts/two_step.html", form=form), status


@bp.route("/login/two-step", methods=["GET", "POST"])
@shows_form_again(show_two_step_again)
@configured_limit("RATELIMIT_LOGIN_IP", methods=["POST"], deduct_when=failed)
@configured_limit(
    "RATELIMIT_LOGIN_ACCOUNT", methods=["POST"], key_func=pending_account, deduct_when=failed
)
def two_step():
    """The second step: a code from the authenticator app, or a recovery code."""
    organiser, pending = pending_organiser()
    if organiser is None:
        session.pop(PENDING_LOGIN, None)
        flash(_("Your login took too long. Please log in again."))
        return redirect(url_for(".login"), code=303)
    form = TwoStepForm()
    if request.method == "GET" or not form.validate():
        status = 400 if request.method == "POST" else 200
        return render_template("accounts/two_step.html", form=form), status
    if not services.check_second_step(organiser, form.code.data, request.remote_addr):
        form.code.errors = [_("This code is not right, or it has been used already.")]
        form.code.data = ""
        return render_template("accounts/two_step.html", form=form), 400
    # The session is cleared (the pending login with it) and gets a new id.
    log_in(organiser)
    return redirect(after_login_path(pending.get("next")), code=303)


def log_in(organiser: Organiser) -> None:
    """Start a new login session (a new id; the old session's contents are dropped)."""
    start_session(organiser, request.user_agent.string or "")


@bp.post("/logout")
def logout():
    """End this session."""
    end_session()
    return redirect(url_for("campaigns.index"), code=303)


# Password reset


def show_reset_request_again(message: str, status: int):
    """The reset form with the address as typed and `message`."""
    form = ResetRequestForm()
    form.form_errors.append(message)
    return render_template("accounts/reset_request.html", form=form), status


@bp.route("/reset", methods=["GET", "POST"])
@shows_form_again(show_reset_request_again)
@configured_limit("RATELIMIT_RESET", methods=["POST"])
def reset_request():
    """Ask for a reset link; the answer never says whether the address has an account."""
    form = ResetRequestForm()
    if request.method == "GET" or not form.validate():
        status = 400 if request.method == "POST" else 200
        return render_template("accounts/reset_request.html", form=form), status
    services.request_password_reset(form.email.data)
    return render_template("accounts/reset_sent.html")


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def reset_password(token):
    """Choose a new password through an emailed (or command-line) link."""
    outcome = services.check_reset_token(token)
    if outcome.result is not LinkResult.VALID:
        return render_link_problem(outcome.result, "reset")
    form = ResetPasswordForm(email=outcome.organiser.email)
    if request.method == "POST" and form.validate():
        services.reset_password(token, form.new_password.data)
        # Every session ended, this browser's included: log in afresh with the new password.
        if current_user.is_authenticated:
            end_session()
        return render_template("accounts/reset_done.html"), 200, _no_referrer()
    status = 400 if request.method == "POST" else 200
    html = render_template(
        "accounts/reset_password.html",
        form=form,
        token=token,
        first=outcome.setting_first_password,
        email=outcome.organiser.email,
    )
    return html, status, _no_referrer()


# The organiser's own account


def render_account(form=None, status=200):
    """The account page: password, sessions, two-step login."""
    rows = services.sessions_of(current_user)
    sessions = [
        {
            "handle": services.session_handle(row.id),
            "current": row.id == current_user.session_id,
            "user_agent": row.user_agent,
            "created_at": row.created_at,
            "last_seen_at": row.last_seen_at,
        }
        for row in rows
    ]
    html = render_template(
        "accounts/account.html",
        form=form or ChangePasswordForm(email=current_user.email),
        sessions=sessions,
        other_sessions=sum(1 for s in sessions if not s["current"]),
    )
    return html, status


@bp.route("/account", methods=["GET", "POST"])
@organiser_required
# Someone at an unlocked screen cannot guess the password here faster than at the login.
@configured_limit(
    "RATELIMIT_LOGIN_ACCOUNT", methods=["POST"], key_func=logged_in_account, deduct_when=failed
)
def account():
    """The organiser's own settings; POST changes the password."""
    if request.method == "GET":
        return render_account()
    form = ChangePasswordForm(email=current_user.email)
    if not form.validate():
        return render_account(form, 400)
    changed = services.change_password(
        current_user,
        form.current_password.data,
        form.new_password.data,
        current_user.session_id,
    )
    if not changed:
        form.current_password.errors = [_("Your current password is not right.")]
        return render_account(form, 400)
    flash(_("Your password has been changed. You were logged out everywhere else."))
    return redirect(url_for(".account"), code=303)


@bp.post("/account/confirm-email")
@organiser_required
@limiter.limit("5 per hour", key_func=logged_in_account)
def resend_confirmation():
    """Send the email-confirmation link again."""
    if services.resend_confirmation(current_user):
        flash(_("We have sent you a new confirmation link."))
    return redirect(url_for(".account"), code=303)


@bp.post("/account/sessions")
@organiser_required
def end_sessions():
    """End one other session, or all of them."""
    handle = request.form.get("session") or None
    services.end_sessions(current_user, handle, current_user.session_id)
    flash(_("Done: those sessions are logged out."))
    return redirect(url_for(".account"), code=303)


# The endpoint is accounts.two_factor (the module of that name is imported here too).
@bp.route("/account/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@organiser_required
@configured_limit(
    "RATELIMIT_LOGIN_ACCOUNT", methods=["POST"], key_func=logged_in_account, deduct_when=failed
)
def two_factor_page():
    """Turn two-step login on (secret, QR code, a code to confirm) or off."""
    organiser = current_user
    required = services.two_factor_required_for(organiser)
    if organiser.two_factor_enabled:
        form = DisableTwoFactorForm()
        if request.method == "POST" and not required and form.validate():
            if services.disable_two_factor(organiser, form.password.data, form.code.data):
                flash(_("Two-step login is off."))
                return redirect(url_for(".account"), code=303)
            form.form_errors.append(_("The password or the code is not right."))
        status = 400 if request.method == "POST" else 200
        html = render_template(
            "accounts/two_factor_on.html",
            form=form,
            renew_form=DisableTwoFactorForm(formdata=None, prefix="renew"),
            required=required,
            codes_left=services.unused_recovery_codes(organiser),
        )
        return html, status
    secret = services.prepare_two_factor(organiser)
    form = EnableTwoFactorForm()
    if request.method == "POST" and form.validate():
        codes = services.enable_two_factor(organiser, form.code.data)
        if codes is not None:
            return render_template("accounts/recovery_codes.html", codes=codes)
        form.code.errors = [
            _("This code is not right. Check the time on your phone and try again.")
        ]
    form.code.data = ""
    status = 400 if request.method == "POST" else 200
    html = render_template(
        "accounts/two_factor_setup.html",
        form=form,
        required=required,
        secret=two_factor.grouped(secret),
        qr_code=two_factor.qr_code_data_uri(secret, organiser.email),
    )
    return html, status


@bp.post("/account/two-factor/recovery-codes")
@organiser_required
@configured_limit(
    "RATELIMIT_LOGIN_ACCOUNT", methods=["POST"], key_func=logged_in_account, deduct_when=failed
)
def renew_recovery_codes():
    """Replace the recovery codes (password and a code first); the new ones are shown once."""
    form = DisableTwoFactorForm(prefix="renew")
    if current_user.two_factor_enabled and form.validate():
        codes = services.renew_recovery_codes(current_user, form.password.data, form.code.data)
        if codes is not None:
            return render_template("accounts/recovery_codes.html", codes=codes)
        form.form_errors.append(_("The password or the code is not right."))
    elif not current_user.two_factor_enabled:
        return redirect(url_for(".two_factor"), code=303)
    html = render_template(
        "accounts/two_factor_on.html",
        form=DisableTwoFactorForm(formdata=None),
        renew_form=form,
        required=services.two_factor_required_for(current_user),
        codes_left=services.unused_recovery_codes(current_user),
    )
    return html, 400


@bp.route("/admin/settings", methods=["GET", "POST"])
@admin_required
def site_settings():
    """Site-wide settings for admins."""
    form = SiteSettingsForm()
    if request.method == "POST" and form.validate():
        value = "on" if form.require_two_factor.data else "off"
        if services.set_site_setting(REQUIRE_TWO_FACTOR, value, current_user):
            flash(_("The settings are saved."))
        return redirect(url_for(".site_settings"), code=303)
    if request.method == "GET":
        form.require_two_factor.data = site_setting(REQUIRE_TWO_FACTOR) == "on"
    return render_template("accounts/site_settings.html", form=form)
