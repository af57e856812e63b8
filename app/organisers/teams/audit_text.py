"""The audit log in words: a name for each action and a sentence for what it changed."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.core.display_text import ltr
from app.organisers.teams.audit_log import audit_campaign_id
from app.organisers.teams.forms import role_name

AUDIT_LABELS = {
    "organisation.created": _l("Organisation created"),
    "organisation.renamed": _l("Organisation renamed"),
    "organisation.deleted": _l("Organisation deleted"),
    "invitation.created": _l("Invitation sent"),
    "invitation.withdrawn": _l("Invitation withdrawn"),
    "invitation.accepted": _l("Invitation accepted"),
    "invitation.other_address": _l("Invitation opened from another account"),
    "member.role_changed": _l("Role changed"),
    "member.removed": _l("Member removed"),
    "campaign.created": _l("Campaign created"),
    "campaign.edited": _l("Campaign edited"),
    "campaign.published": _l("Campaign published"),
    "campaign.unpublished": _l("Campaign unpublished"),
    "campaign.closed": _l("Campaign closed"),
    "campaign.deleted": _l("Campaign deleted"),
    "campaign.reopened": _l("Campaign reopened"),
    "campaign.republished": _l("Campaign published again"),
    "campaign.language_added": _l("Language added"),
    "campaign.language_removed": _l("Language removed"),
    "organiser.login": _l("Logged in"),
    "campaign.delivered": _l("Delivery recorded"),
    "organiser.reauthentication_failed": _l("Wrong password when asked again"),
    "signatures.exported": _l("Signatures exported"),
    "export.requested": _l("Export started"),
    "export.downloaded": _l("Export downloaded"),
    "access.denied": _l("Access refused"),
    "signature.name_hidden": _l("Signer's name hidden from public lists"),
    "signature.name_shown": _l("Signer's name shown in public lists again"),
    "signature.name_approved": _l("Signer's name allowed after review"),
}


def audit_label(action: str) -> str:
    """A readable name for an action, or the action itself when it has none yet."""
    label = AUDIT_LABELS.get(action)
    return str(label) if label is not None else action


def audit_details(event, campaign_titles=None) -> Markup:
    """What the event changed, as HTML: a sentence where its action has one; else its fields.

    An event about a campaign names it by its title (from `campaign_titles`, by id). Every
    value is escaped; addresses and paths are isolated left to right (`ltr`), which an
    Arabic sentence would otherwise reorder ("/team" as "team/"), and names are in <bdi>.
    """
    campaign_id = audit_campaign_id(event)
    if campaign_id is not None:
        title = (campaign_titles or {}).get(campaign_id)
        named = (
            _("Campaign “%(title)s”", title=Markup("<bdi>{}</bdi>").format(title))
            if title is not None
            else escape(_("A campaign that is no longer in this organisation"))
        )
        others = sorted((k, v) for k, v in (event.detail or {}).items() if k != "campaign_id")
        return Markup("; ").join([Markup(named), *(ltr(f"{k}: {v}") for k, v in others)])
    detail = {key: _isolated(key, value) for key, value in (event.detail or {}).items()}
    sentence = _audit_sentence(event.action, detail)
    if sentence is None:  # no sentence for this action yet: its fields, as recorded
        fields = sorted((event.detail or {}).items())
        return ltr("; ".join(f"{key}: {value}" for key, value in fields))
    # The values are escaped, and the sentences around them are the catalogue's own.
    return Markup(sentence)


def _isolated(key: str, value) -> Markup:
    if key.endswith("email"):
        return ltr(value)
    if key == "slug":  # shown as the organisation's path
        return ltr(f"/{value}")
    if key.endswith("role"):  # named by role_name, in the interface's language
        return escape(value)
    return Markup("<bdi>{}</bdi>").format(value)


def _audit_sentence(action: str, detail: dict) -> str | None:
    """The sentence of audit_details, from values already escaped; None for other actions."""
    if action == "organisation.created":
        return _("“%(name)s” at %(path)s", name=detail.get("name"), path=detail.get("slug"))
    if action == "organisation.renamed":
        return _(
            "From “%(old)s” to “%(new)s”", old=detail.get("old_name"), new=detail.get("new_name")
        )
    if action in ("invitation.created", "invitation.withdrawn"):
        return _(
            "%(email)s as %(role)s", email=detail.get("email"), role=role_name(detail.get("role"))
        )
    if action == "invitation.accepted":
        return _(
            "Sent to %(email)s, accepted by %(account)s as %(role)s",
            email=detail.get("email"),
            account=detail.get("accepting_email"),
            role=role_name(detail.get("role")),
        )
    if action == "invitation.other_address":
        return _(
            "Sent to %(email)s, opened by %(account)s; not accepted",
            email=detail.get("email"),
            account=detail.get("accepting_email"),
        )
    if action == "member.role_changed":
        return _(
            "%(email)s: from %(old)s to %(new)s",
            email=detail.get("email"),
            old=role_name(detail.get("old_role")),
            new=role_name(detail.get("new_role")),
        )
    if action == "member.removed":
        return _(
            "%(email)s (was %(role)s)",
            email=detail.get("email"),
            role=role_name(detail.get("role")),
        )
    return None
