"""Small factories named by state: campaigns, signatures, and a browser-like sign helper."""

import re
from datetime import timedelta
from html.parser import HTMLParser

from app.campaigns.counts import add_to_confirmed_count
from app.campaigns.loader import CampaignSpec, TranslationSpec
from app.campaigns.models import OPEN, Ally, Campaign
from app.campaigns.services import apply_campaign_spec
from app.campaigns.tallies import tally_confirmed
from app.core.database import utcnow
from app.extensions import db
from app.organisers.models import Membership, Organisation, Organiser, OrganiserSession, Role
from app.signatures.models import CONFIRMED, HELD, PENDING, Signature
from app.signatures.signing import SignatureDetails, pending_signature_values

_counter = iter(range(1, 10**9))


def translation(language="en", title=None, body="The petition text.", summary=None):
    return TranslationSpec(
        language=language,
        title=title or f"Test campaign ({language})",
        summary=summary or f"Summary in {language}.",
        body_markdown=body,
        target_name=f"Target ({language})",
        target_role="Mayor",
        target_institution="City Hall",
    )


def make_campaign(
    slug=None,
    status=OPEN,
    goal=100,
    deadline=None,
    languages=("en",),
    body="The petition text.",
    required=("name", "email", "postcode", "country"),
    organisation=None,
) -> Campaign:
    """An open campaign (by default) with one translation per language.

    It belongs to `organisation`, or to the site admins when None.
    """
    slug = slug or f"campaign-{next(_counter)}"
    spec = CampaignSpec(
        slug=slug,
        status=status,
        goal=goal,
        deadline=deadline,
        default_language=languages[0],
        required_fields=list(required),
        translations=[translation(lang, body=body) for lang in languages],
    )
    apply_campaign_spec(spec)
    campaign = db.session.execute(db.select(Campaign).where(Campaign.slug == slug)).scalar_one()
    if organisation is not None:
        campaign.organisation_id = organisation.id
        db.session.commit()
    return campaign


def make_closed_campaign(**kwargs) -> Campaign:
    return make_campaign(status="closed", **kwargs)


def make_expired_campaign(**kwargs) -> Campaign:
    """Open, but its deadline has passed (beyond the confirmation grace period)."""
    return make_campaign(deadline=utcnow() - timedelta(days=30), **kwargs)


def make_signature(
    campaign,
    state=PENDING,
    email=None,
    name="Ada Lovelace",
    public=False,
    postcode="N1 9GU",
    language="en",
    referrer="",
    source="",
) -> Signature:
    """A signature in the given state; confirmed ones are added to the count and tallies.

    `referrer` is the code of the link that brought it (a signer's or an ally's), `source`
    its share channel.
    """
    email = email or f"supporter{next(_counter)}@example.org"
    now = utcnow() - timedelta(hours=1)  # signed a while ago: a repeat may be emailed now
    details = SignatureDetails(
        name=name, email=email, postcode=postcode, country="GB", public=public
    )
    values = pending_signature_values(
        campaign.id, details, language, {"referrer": referrer, "source": source}, now
    )
    signature = Signature(**values)
    signature.state = state
    if state == CONFIRMED:
        signature.token_nonce, signature.confirmed_at = None, now
    db.session.add(signature)
    db.session.flush()
    if state == CONFIRMED:
        add_to_confirmed_count(campaign.id, 1)
        tally_confirmed(
            campaign.id, now, "GB", postcode, was_pending=False, source=source, referrer=referrer
        )
    db.session.commit()
    return signature


def make_ally(campaign, name="Riverside Parents", code=None, sites=(), contact_question="") -> Ally:
    """An ally of `campaign` with its referrer code (made up if not given) and stats key."""
    from app.organisers.allies.services import new_stats_key

    ally = Ally(
        campaign_id=campaign.id,
        name=name,
        code=code or f"ally-{next(_counter)}",
        sites="\n".join(sites),
        contact_question=contact_question,
        stats_key=new_stats_key(),
    )
    db.session.add(ally)
    db.session.commit()
    return ally


def make_held_signature(campaign, rule="same_ip", **kwargs) -> Signature:
    """A signature a fraud rule set aside: its email checked, not counted."""
    signature = make_signature(campaign, state=HELD, **kwargs)
    signature.held_rule = rule
    signature.email_verified_at = utcnow() - timedelta(minutes=30)
    signature.token_nonce = None
    db.session.commit()
    return signature


OUR_SCRIPTS = ['<script src="/static/js/share.js" defer>']


def foreign_scripts(html: str) -> list[str]:
    """The <script> tags of a page other than our own deferred share buttons' script."""
    return [tag for tag in re.findall(r"<script[^>]*>", html) if tag not in OUR_SCRIPTS]


def csrf_token(client, path) -> str:
    """Load a page like a browser and read the CSRF token from its form."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in " + path
    return match.group(1)


def sign_form(**fields) -> dict:
    """A valid sign-form submission, with any field overridden."""
    data = {
        "name": "Ada Lovelace",
        "email": f"ada{next(_counter)}@example.org",
        "postcode": "N1 9GU",
        "country": "GB",
        "public": "y",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def submit_signature(client, slug, lang=None, **fields):
    """GET the campaign page, then POST the sign form with its CSRF token."""
    query = f"?lang={lang}" if lang else ""
    token = csrf_token(client, f"/c/{slug}{query}")
    return client.post(f"/c/{slug}/sign", data={"csrf_token": token, **sign_form(**fields)})


class FormReader(HTMLParser):
    """Read a page's POST form the way a browser would submit it as it stands."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._in_post_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_post_form = attrs.get("method") == "post"
        if not self._in_post_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.fields[name] = attrs.get("value") or "y"
            else:
                self.fields[name] = attrs.get("value") or ""
        elif tag == "select":
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._in_post_form = False


def form_as_shown(html: str) -> dict[str, str]:
    """The first POST form's fields with the values the page shows (checked boxes only)."""
    reader = FormReader()
    reader.feed(html)
    return reader.fields


def confirm_with_click(client, confirm_path, **changes):
    """What a person does with the emailed link: open it, check, press the button.

    While checking the details it changes the fields in `changes` (None unticks a box).
    """
    page = client.get(confirm_path).get_data(as_text=True)
    data = form_as_shown(page)
    assert "csrf_token" in data, "no confirm form at " + confirm_path
    data.update(changes)
    return client.post(confirm_path, data={k: v for k, v in data.items() if v is not None})


def confirm_details(**changes) -> dict:
    """Valid details for a confirming POST made without loading the page first."""
    data = {"name": "Ada Lovelace", "postcode": "N1 9GU", "country": "GB"}
    data.update(changes)
    return data


def post_with_csrf(client, path, form_page, data=None):
    """POST to `path` with the session's CSRF token, read from another page's form.

    This is what a second tab, opened before the first one submitted, would do.
    """
    token = csrf_token(client, form_page)
    return client.post(path, data={"csrf_token": token, **(data or {})})


def make_organiser(email=None, confirmed=True, admin=False, password_hash=None) -> Organiser:
    """An organiser account, confirmed by default, with no organisation."""
    organiser = Organiser(
        email=email or f"organiser{next(_counter)}@example.org",
        password_hash=password_hash,
        email_confirmed_at=utcnow() if confirmed else None,
        is_admin=admin,
    )
    db.session.add(organiser)
    db.session.commit()
    return organiser


def make_organisation(owner=None, slug=None, name=None) -> Organisation:
    """An organisation, with `owner` as its owner when given."""
    slug = slug or f"organisation-{next(_counter)}"
    organisation = Organisation(slug=slug, name=name or slug.replace("-", " ").title())
    db.session.add(organisation)
    db.session.flush()
    if owner is not None:
        db.session.add(Membership(organisation=organisation, organiser=owner, role=Role.OWNER))
    db.session.commit()
    return organisation


def make_member(organisation, role=Role.EDITOR, **organiser_kwargs) -> Organiser:
    """A new organiser who is a member of `organisation` with `role`."""
    organiser = make_organiser(**organiser_kwargs)
    db.session.add(Membership(organisation=organisation, organiser=organiser, role=role))
    db.session.commit()
    return organiser


def make_campaign_team(campaign_slug="c", owner=None, name=None, **campaign_kwargs) -> dict:
    """An organisation ("friends") with an owner, an editor and a viewer, and its campaign."""
    owner = owner or make_organiser()
    organisation = make_organisation(owner=owner, slug="friends", name=name)
    campaign = make_campaign(slug=campaign_slug, organisation=organisation, **campaign_kwargs)
    return {
        "owner": owner,
        "organisation": organisation,
        "campaign": campaign,
        "editor": make_member(organisation, role=Role.EDITOR),
        "viewer": make_member(organisation, role=Role.VIEWER),
    }


def log_in_as(client, organiser) -> str:
    """Give `client` a live login session for `organiser` without the login form.

    Returns the session id. Tests of the login form itself go through the form.
    """
    row = OrganiserSession(id=f"test-session-{next(_counter)}", organiser_id=organiser.id)
    db.session.add(row)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = row.id
        session["_fresh"] = True
    return row.id


def make_invitation_link(organisation, inviter, email=None, role=Role.VIEWER) -> str:
    """Invite `email` to `organisation` (queuing the email); the path of the emailed link."""
    from app.core.tokens import make_token
    from app.organisers.teams.invitations import INVITATION_TOKEN, invite_member

    email = email or f"invited{next(_counter)}@example.org"
    invitation = invite_member(organisation, inviter, email, role)
    token = make_token(INVITATION_TOKEN, {"i": invitation.id, "n": invitation.token_nonce})
    return f"/invitations/{token}"


ORGANISER_PASSWORD = "correct horse battery staple"


def make_organiser_with_password(password=ORGANISER_PASSWORD, **kwargs) -> Organiser:
    """An organiser (see make_organiser) who can log in through the form with `password`."""
    from app.organisers.accounts.passwords import hash_password

    return make_organiser(password_hash=hash_password(password), **kwargs)


def make_organiser_with_two_factor(password=ORGANISER_PASSWORD, **kwargs) -> Organiser:
    """An organiser with two-step login on; `totp_secret` gives codes via pyotp.TOTP."""
    import pyotp

    organiser = make_organiser_with_password(password, **kwargs)
    organiser.totp_secret = pyotp.random_base32()
    organiser.totp_enabled_at = utcnow()
    db.session.commit()
    return organiser


def log_in_with_form(client, email, password=ORGANISER_PASSWORD, next_path=None):
    """Log in through the login form like a browser; returns the POST's response."""
    path = "/login" + (f"?next={next_path}" if next_path else "")
    data = form_as_shown(client.get(path).get_data(as_text=True))
    data.update(email=email, password=password)
    return client.post("/login", data=data)
