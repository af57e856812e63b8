"""The pages an emailed invitation link opens: anyone may read one, accepting needs a login."""

from flask import redirect, render_template, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from app.core.rate_limits import limiter
from app.organisers.access import organiser_required
from app.organisers.teams import invitations
from app.organisers.teams.blueprint import bp
from app.organisers.teams.invitations import InvitationResult


def optional_url(endpoint: str, **values) -> str | None:
    """A link to a page that may not exist in this deployment; None when it does not."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


INVITATION_STATUS = {
    InvitationResult.READY: 200,
    InvitationResult.INVALID: 400,
    InvitationResult.EXPIRED: 410,
    InvitationResult.OTHER_ADDRESS: 403,
}


def render_invitation(outcome, token: str):
    """The page for an invitation link: its details and Accept, or why it cannot be used."""
    if outcome.result in (InvitationResult.ALREADY_MEMBER, InvitationResult.ACCEPTED):
        return redirect(url_for(".organisation", org_slug=outcome.organisation.slug), code=303)
    if outcome.result in (InvitationResult.INVALID, InvitationResult.EXPIRED):
        return render_template("teams/invitation_invalid.html"), INVITATION_STATUS[outcome.result]
    here = url_for(".invitation", token=token)
    template = (
        "teams/invitation_other_address.html"
        if outcome.result == InvitationResult.OTHER_ADDRESS
        else "teams/invitation.html"
    )
    return render_template(
        template,
        invitation=outcome.invitation,
        organisation=outcome.organisation,
        token=token,
        login_url=url_for("accounts.login", next=here),
        signup_url=optional_url("accounts.signup", next=here),
    ), INVITATION_STATUS[outcome.result]


@bp.get("/invitations/<token>")
def invitation(token):
    """What the invitation offers, with an Accept button; no state change (mail scanners)."""
    organiser = current_user if current_user.is_authenticated else None
    return render_invitation(invitations.check_invitation(token, organiser), token)


@bp.post("/invitations/<token>")
@limiter.limit("30 per minute")
@organiser_required
def accept_invitation(token):
    """Accept: the logged-in organiser joins with the invited role, once."""
    return render_invitation(invitations.accept_invitation(token, current_user), token)
