"""Organisation pages: create one, its members and roles, invitations, settings, the audit log.

Every route is behind an access guard from app.organisers.access. The pages an emailed
invitation link opens are in invitation_views.py.
"""

from functools import partial

from flask import (
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.form_failures import shows_form_again
from app.core.i18n import page_language
from app.core.rate_limits import configured_limit, never_raises
from app.organisers.access import membership_role, organisation_role, organiser_required
from app.organisers.models import Role
from app.organisers.teams import audit_log, invitations, membership, organisations
from app.organisers.teams.audit_text import audit_details, audit_label
from app.organisers.teams.blueprint import bp
from app.organisers.teams.errors import (
    AlreadyMember,
    HasCampaigns,
    InvitationNotSent,
    LastOwner,
    MemberNotFound,
    SlugTaken,
)
from app.organisers.teams.forms import (
    ROLE_DESCRIPTIONS,
    DeleteForm,
    InviteForm,
    OrganisationForm,
    RenameForm,
    RoleForm,
)

AUDIT_PAGE_SIZE = 50


# Creating an organisation


@bp.route("/organisations/new", methods=["GET", "POST"])
@organiser_required
def new_organisation():
    """Create an organisation; whoever creates it is its first owner."""
    form = OrganisationForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("teams/new.html", form=form), status
    try:
        organisation = organisations.create_organisation(
            current_user, form.name.data, form.slug.data
        )
    except SlugTaken:
        form.slug.errors.append(_("This web address is taken. Choose another."))
        return render_template("teams/new.html", form=form), 400
    return redirect(url_for(".organisation", org_slug=organisation.slug), code=303)


# The organisation's page, for every member


@bp.get("/organisations/<org_slug>")
@organisation_role(Role.VIEWER)
def organisation(organisation, role):
    """The organisation's name and members; owners also see pending invitations."""
    pending = invitations.pending_invitations(organisation) if role == Role.OWNER else []
    return render_template(
        "teams/organisation.html",
        organisation=organisation,
        role=role,
        members=membership.members_of(organisation),
        invitations=pending,
    )


# Members and invitations, for owners


def render_members(organisation, invite_form=None, problem=None, status=200):
    """The members page, optionally with the invite form as submitted or a refusal."""
    return (
        render_template(
            "teams/members.html",
            organisation=organisation,
            members=membership.members_of(organisation),
            invitations=invitations.pending_invitations(organisation),
            form=invite_form or InviteForm(formdata=None),
            role_form=RoleForm(formdata=None),
            role_descriptions={str(role): text for role, text in ROLE_DESCRIPTIONS.items()},
            problem=problem,
        ),
        status,
    )


@bp.get("/organisations/<org_slug>/members")
@organisation_role(Role.OWNER)
def members(organisation, role):
    """Members with their roles, pending invitations and the invite form."""
    return render_members(organisation)


def inviting_organiser() -> str:
    """Rate-limit key: the organiser, whichever organisation or connection they invite from."""
    if current_user.is_authenticated:
        return f"invite:{current_user.id}"
    return f"invite:{request.remote_addr}"


def show_invite_form_again(message: str, status: int):
    """The members page with the invite form as submitted and `message` (a refused POST)."""
    organisation = organisations.organisation_by_slug(request.view_args["org_slug"])
    if organisation is None or not current_user.is_authenticated:
        return None
    if membership_role(current_user, organisation.id) != Role.OWNER:
        return None
    form = InviteForm()
    form.form_errors.append(message)
    return render_members(organisation, invite_form=form, status=status)


@bp.post("/organisations/<org_slug>/invitations")
@shows_form_again(show_invite_form_again)
@organisation_role(Role.OWNER)
# A form refused (a mistyped address, corrected) does not use up the limit; deciding so
# before the view counts in one atomic step that concurrent requests cannot overshoot.
@configured_limit(
    "RATELIMIT_INVITE",
    key_func=inviting_organiser,
    exempt_when=never_raises(lambda: not InviteForm().validate(), default=True),
)
def invite(organisation, role):
    """Invite someone by email with a role."""
    form = InviteForm()
    if not form.validate():
        return render_members(organisation, invite_form=form, status=400)
    try:
        invitations.invite_member(
            organisation,
            current_user,
            form.email.data,
            Role(form.role.data),
            language=page_language(),
        )
    except AlreadyMember:
        form.email.errors.append(_("This address belongs to a member of the organisation."))
        return render_members(organisation, invite_form=form, status=400)
    except InvitationNotSent:
        form.email.errors.append(
            _("This address has had as many emails as we send in a day. Try again tomorrow.")
        )
        return render_members(organisation, invite_form=form, status=429)
    return redirect(url_for(".members", org_slug=organisation.slug, invited=1), code=303)


@bp.post("/organisations/<org_slug>/invitations/<int:invitation_id>/withdraw")
@organisation_role(Role.OWNER)
def withdraw_invitation(organisation, role, invitation_id):
    """Withdraw a pending invitation; its link stops working."""
    try:
        invitations.withdraw_invitation(organisation, current_user, invitation_id)
    except MemberNotFound:
        return render_members(
            organisation, problem=_("This invitation was already used or withdrawn."), status=409
        )
    return redirect(url_for(".members", org_slug=organisation.slug), code=303)


LAST_OWNER = _l(
    "An organisation needs at least one owner. Make another member an owner first, "
    "or delete the organisation."
)


@bp.post("/organisations/<org_slug>/members/<int:membership_id>/role")
@organisation_role(Role.OWNER)
def change_role(organisation, role, membership_id):
    """Give a member another role."""
    form = RoleForm()
    if not form.validate():
        return render_members(organisation, problem=form.role.errors[0], status=400)
    try:
        changed = membership.change_member_role(
            organisation, current_user, membership_id, Role(form.role.data)
        )
    except LastOwner:
        return render_members(organisation, problem=str(LAST_OWNER), status=409)
    except MemberNotFound:
        return render_members(
            organisation, problem=_("This person is no longer a member."), status=409
        )
    if changed.organiser_id == current_user.id and changed.role != Role.OWNER:
        # They are no longer an owner: the members page is not theirs any more.
        return redirect(url_for(".organisation", org_slug=organisation.slug), code=303)
    return redirect(url_for(".members", org_slug=organisation.slug), code=303)


@bp.post("/organisations/<org_slug>/members/<int:membership_id>/remove")
@organisation_role(Role.OWNER)
def remove_member(organisation, role, membership_id):
    """Take a member out of the organisation (an owner may leave if another owner stays)."""
    own_membership = any(
        m.id == membership_id and m.organisation_id == organisation.id
        for m in current_user.memberships
    )
    try:
        membership.remove_member(organisation, current_user, membership_id)
    except LastOwner:
        return render_members(organisation, problem=str(LAST_OWNER), status=409)
    except MemberNotFound:
        return render_members(
            organisation, problem=_("This person is no longer a member."), status=409
        )
    if own_membership:
        return redirect(url_for("dashboard.home"), code=303)
    return redirect(url_for(".members", org_slug=organisation.slug), code=303)


# Settings: rename and delete, for owners


def render_settings(organisation, rename_form=None, delete_form=None, problem=None, status=200):
    """The settings page with both forms (as submitted when given)."""
    return (
        render_template(
            "teams/settings.html",
            organisation=organisation,
            rename_form=rename_form or RenameForm(formdata=None, obj=organisation),
            delete_form=delete_form or DeleteForm(formdata=None, slug=organisation.slug),
            problem=problem,
        ),
        status,
    )


@bp.get("/organisations/<org_slug>/settings")
@organisation_role(Role.OWNER)
def settings(organisation, role):
    """Rename or delete the organisation."""
    return render_settings(organisation)


@bp.post("/organisations/<org_slug>/rename")
@organisation_role(Role.OWNER)
def rename(organisation, role):
    """Give the organisation a new name."""
    form = RenameForm()
    if not form.validate():
        return render_settings(organisation, rename_form=form, status=400)
    organisations.rename_organisation(organisation, current_user, form.name.data)
    return redirect(url_for(".organisation", org_slug=organisation.slug), code=303)


@bp.post("/organisations/<org_slug>/delete")
@organisation_role(Role.OWNER)
def delete(organisation, role):
    """Delete the organisation, once its web address is typed, if it has no campaigns."""
    form = DeleteForm(slug=organisation.slug)
    if not form.validate():
        return render_settings(organisation, delete_form=form, status=400)
    try:
        organisations.delete_organisation(organisation, current_user)
    except HasCampaigns:
        return render_settings(
            organisation,
            delete_form=form,
            problem=_(
                "This organisation still has campaigns, so it cannot be deleted. "
                "Delete its campaigns or move them to another organisation first."
            ),
            status=409,
        )
    return redirect(url_for("dashboard.home"), code=303)


# The audit log, for owners


@bp.get("/organisations/<org_slug>/audit")
@organisation_role(Role.OWNER)
def audit(organisation, role):
    """The organisation's audit log, newest first, 50 events a page."""
    before = request.args.get("before", "")
    before_id = int(before) if before.isdigit() and len(before) < 12 else None
    page = audit_log.organisation_audit_page(
        organisation, before_id, AUDIT_PAGE_SIZE, str(get_locale() or "en")
    )
    return render_template(
        "teams/audit.html",
        organisation=organisation,
        page=page,
        first_page=before_id is None,
        audit_label=audit_label,
        audit_details=partial(audit_details, campaign_titles=page.campaign_titles),
    )
