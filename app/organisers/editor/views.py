"""Campaign editor pages: create, settings, texts per language, languages.

Every change goes through app.campaigns.services, which applies it the way a campaign
folder would be loaded, audits it and clears the page cache.
"""

from dataclasses import replace
from datetime import UTC, date, datetime, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.campaigns.dump import spec_from_campaign
from app.campaigns.loader import CampaignSpec, TranslationSpec, email_domain_patterns
from app.campaigns.models import DRAFT, OPEN, SIGN_FORM_FIELDS, required_sign_fields
from app.campaigns.services import (
    CampaignRuleError,
    add_language,
    available_slug,
    create_campaign,
    remove_language,
    save_campaign,
    save_translation,
    slug_is_taken,
)
from app.core.database import utcnow
from app.core.i18n import language_name, language_option
from app.core.text import render_markdown
from app.core.urls import absolute_url
from app.organisers.access import admin_required, campaign_role, organisation_role
from app.organisers.editor.blueprint import bp
from app.organisers.editor.forms import (
    AddLanguageForm,
    NewCampaignForm,
    SettingsForm,
    TextForm,
    language_choices,
)
from app.organisers.models import Role

END_OF_DAY = time(23, 59, 59)
SETTINGS = (
    "slug",
    "goal",
    "deadline",
    "target_email",
    "allowed_email_domains",
    "required_fields",
    "default_language",
)


@bp.route("/organisations/<org_slug>/campaigns/new", methods=["GET", "POST"])
@organisation_role(Role.EDITOR)
def new_campaign(organisation, role):
    """Start a draft campaign in this organisation."""
    return _new_campaign(organisation)


@bp.route("/dashboard/campaigns/new", methods=["GET", "POST"])
@admin_required
def new_site_campaign():
    """Start a draft campaign that belongs to the site admins."""
    return _new_campaign(None)


def _new_campaign(organisation):
    form = NewCampaignForm()
    if request.method == "GET":
        form.language.data = current_user.language
    elif form.validate():
        slug = form.slug.data
        if slug and slug_is_taken(slug):
            form.slug.errors.append(_("Another campaign already uses this web address."))
        else:
            text = TranslationSpec(
                language=form.language.data,
                title=form.title.data,
                summary=form.summary.data,
                body_markdown=form.body_markdown.data or "",
                target_name=form.target_name.data,
                target_role="",
                target_institution="",
            )
            spec = CampaignSpec(
                slug=slug or available_slug(form.title.data),
                status=DRAFT,
                goal=int(form.goal.data),
                deadline=None,
                default_language=text.language,
                required_fields=list(SIGN_FORM_FIELDS),
                translations=[text],
                organisation=organisation.slug if organisation else None,
            )
            campaign = create_campaign(spec, current_user.id)
            flash(_("Draft saved. Nobody else can see it until you publish it."))
            return redirect(url_for(".edit_campaign", campaign_id=campaign.id), code=303)
    status = 400 if request.method == "POST" else 200
    action = (
        url_for(".new_campaign", org_slug=organisation.slug)
        if organisation
        else url_for(".new_site_campaign")
    )
    return render_template(
        "editor/new.html", form=form, organisation=organisation, action=action
    ), status


def _settings_form(campaign) -> SettingsForm:
    form = SettingsForm() if request.method == "POST" else SettingsForm(formdata=None)
    form.default_language.choices = [language_option(code) for code in campaign.languages]
    return form


def _language_label(code: str) -> str:
    return f"{language_name(code)} ({code})"


def _fill_settings(form: SettingsForm, campaign) -> None:
    form.slug.data = campaign.slug
    form.goal.data = str(campaign.goal)
    form.deadline.data = campaign.deadline.date().isoformat() if campaign.deadline else ""
    form.target_email.data = campaign.target_email
    form.allowed_email_domains.data = campaign.allowed_email_domains
    form.require_postcode.data = "postcode" in campaign.required_fields
    form.require_country.data = "country" in campaign.required_fields
    form.default_language.data = campaign.default_language


def render_edit_page(campaign, role, settings=None, add_form=None, status=200):
    """The campaign's settings page, with its languages and lifecycle buttons."""
    if settings is None:
        settings = _settings_form(campaign)
        _fill_settings(settings, campaign)
    if add_form is None:
        add_form = AddLanguageForm(formdata=None)
        add_form.language.data = ""
    # Nothing is chosen until the editor chooses: a first language in the list would be
    # added by a press of the button.
    add_form.language.choices = [
        ("", _("Choose a language")),
        *language_choices(exclude=campaign.languages),
    ]
    return render_template(
        "editor/edit.html",
        campaign=campaign,
        role=role,
        form=settings,
        add_form=add_form,
        language_label=_language_label,
        public_url=url_for("signatures.sign_page", slug=campaign.slug),
        public_address=absolute_url("signatures.sign_page", slug=campaign.slug),
    ), status


@bp.route("/dashboard/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@campaign_role(Role.EDITOR)
def edit_campaign(campaign, role):
    """Settings: web address (drafts only), goal, deadline, target email, form, default language."""
    if request.method == "GET":
        return render_edit_page(campaign, role)
    form = _settings_form(campaign)
    if campaign.status != DRAFT:
        # The web address is fixed once published: links to it are out in the world.
        form.slug.data = campaign.slug
    if not form.validate():
        return render_edit_page(campaign, role, settings=form, status=400)
    if form.slug.data != campaign.slug and slug_is_taken(form.slug.data, campaign.id):
        form.slug.errors.append(_("Another campaign already uses this web address."))
        return render_edit_page(campaign, role, settings=form, status=400)
    deadline = _deadline(form.deadline.data, campaign.deadline)
    if campaign.status == OPEN and deadline is not None and deadline <= utcnow():
        form.deadline.errors.append(
            _("The deadline must be in the future while the petition is open.")
        )
        return render_edit_page(campaign, role, settings=form, status=400)
    required = ["name", "email"]
    required += ["postcode"] if form.require_postcode.data else []
    required += ["country"] if form.require_country.data else []
    before = spec_from_campaign(campaign)
    spec = replace(
        before,
        slug=form.slug.data,
        goal=int(form.goal.data),
        deadline=deadline,
        target_email=form.target_email.data or "",
        allowed_email_domains=email_domain_patterns(form.allowed_email_domains.data or ""),
        required_fields=required_sign_fields(required),
        default_language=form.default_language.data,
    )
    changed = [name for name in SETTINGS if getattr(before, name) != getattr(spec, name)]
    save_campaign(campaign, spec, current_user.id, fields=changed)
    flash(_("Settings saved."))
    return redirect(url_for(".edit_campaign", campaign_id=campaign.id), code=303)


def _deadline(typed: str, current: datetime | None) -> datetime | None:
    """The end of the typed day (UTC); an unchanged day keeps the exact time it had."""
    if not typed:
        return None
    day = date.fromisoformat(typed)
    if current is not None and current.astimezone(UTC).date() == day:
        return current
    return datetime.combine(day, END_OF_DAY, tzinfo=UTC)


@bp.route("/dashboard/campaigns/<int:campaign_id>/text/<language>", methods=["GET", "POST"])
@campaign_role(Role.EDITOR)
def edit_text(campaign, role, language):
    """One language's texts, with a preview of the HTML the public page will show."""
    if language not in campaign.languages:
        abort(404)
    translation = campaign.translation(language)
    if request.method == "GET":
        form = TextForm(formdata=None, obj=translation)
        return _render_text_page(
            campaign, language, form, translation.body_html, translation.thank_you_html
        )
    form = TextForm()
    valid = form.validate()
    if request.form.get("action") == "preview" or not valid:
        # Shown, not saved: the preview renders exactly as saving would.
        return _render_text_page(
            campaign,
            language,
            form,
            render_markdown(form.body_markdown.data or ""),
            render_markdown(form.thank_you_markdown.data or ""),
            previewing=True,
            status=200 if valid else 400,
        )
    save_translation(
        campaign,
        TranslationSpec(
            language=language,
            title=form.title.data,
            summary=form.summary.data,
            body_markdown=form.body_markdown.data or "",
            target_name=form.target_name.data,
            target_role=form.target_role.data or "",
            target_institution=form.target_institution.data or "",
            thank_you_markdown=form.thank_you_markdown.data or "",
        ),
        current_user.id,
    )
    flash(_("Text saved."))
    return redirect(url_for(".edit_text", campaign_id=campaign.id, language=language), code=303)


def _render_text_page(
    campaign, language, form, body_html, thank_you_html, previewing=False, status=200
):
    return render_template(
        "editor/text.html",
        campaign=campaign,
        language=language,
        language_label=_language_label(language),
        form=form,
        body_html=body_html,
        thank_you_html=thank_you_html,
        previewing=previewing,
    ), status


@bp.post("/dashboard/campaigns/<int:campaign_id>/languages")
@campaign_role(Role.EDITOR)
def add_campaign_language(campaign, role):
    """Add a language, starting from a copy of the default language's texts."""
    form = AddLanguageForm()
    if form.validate():
        try:
            add_language(campaign, form.language.data, current_user.id)
        except CampaignRuleError as error:
            form.language.errors.append(str(error.message))
        else:
            flash(_("Language added. Translate the copied texts below."))
            return redirect(
                url_for(".edit_text", campaign_id=campaign.id, language=form.language.data),
                code=303,
            )
    return render_edit_page(campaign, role, add_form=form, status=400)


@bp.post("/dashboard/campaigns/<int:campaign_id>/languages/<language>/remove")
@campaign_role(Role.EDITOR)
def remove_campaign_language(campaign, role, language):
    """Remove one language's texts (never the default language)."""
    if language not in campaign.languages:
        abort(404)
    try:
        remove_language(campaign, language, current_user.id)
    except CampaignRuleError as error:
        flash(str(error.message))
    else:
        flash(_("Language removed."))
    return redirect(url_for(".edit_campaign", campaign_id=campaign.id), code=303)
