"""A browser tab on the live server with the app behind it, as the journeys drive it."""

from dataclasses import dataclass
from datetime import timedelta

import pyotp
from flask import Flask

from app.campaigns.models import Campaign
from app.core.database import utcnow
from app.exports.models import Export, ExportKind, ExportStatus
from app.extensions import db
from app.organisers.models import Role
from app.signatures.attribution import brought_link_token
from app.signatures.signing import confirmation_token
from tests.factories import (
    ORGANISER_PASSWORD,
    make_ally,
    make_campaign,
    make_invitation_link,
    make_member,
    make_organisation,
    make_organiser_with_password,
    make_organiser_with_two_factor,
    make_signature,
)


@dataclass
class Visit:
    """What a row of PAGES gets: a browser tab on the live server, and the app behind it."""

    tab: object  # playwright.sync_api.Page
    base_url: str
    app: Flask
    path: str = "/"

    def go(self, path: str) -> "Visit":
        self.path = path
        self.tab.goto(self.base_url + path)
        return self

    def again(self) -> "Visit":
        """Open the last address again, as a second click on an emailed link does."""
        return self.go(self.path)

    def submit(self, form: str = "main form") -> "Visit":
        """Press the form's submit button, with whatever the fields hold (nothing, so far)."""
        self.tab.locator(f"{form} button[type=submit]").click()
        return self

    def press(self, selector: str) -> "Visit":
        """Press one button (of a form that has several)."""
        self.tab.locator(selector).click()
        return self

    def fill(self, selector: str, value: str) -> "Visit":
        """Type `value` into a field, replacing what it held."""
        self.tab.fill(selector, value)
        return self

    def expect(self, selector: str) -> "Visit":
        """Check the page shows `selector`: a row that reaches the wrong state fails."""
        assert self.tab.locator(selector).first.is_visible(), f"no {selector} on {self.path}"
        return self

    def campaign(self, suffix: str = "", **kwargs) -> str:
        """A new campaign in English and Arabic; returns its page's path plus `suffix`."""
        campaign = make_campaign(languages=("en", "ar"), **kwargs)
        db.session.commit()  # the server reads this database from its own threads
        return f"/c/{campaign.slug}{suffix}"

    def widget(self, suffix: str = "", **kwargs) -> str:
        """A new campaign's embed widget (as another site frames it), plus `suffix`."""
        return self.campaign(suffix, **kwargs).replace("/c/", "/embed/", 1)

    def ally_widget(self) -> str:
        """A new campaign's widget through an ally's code, with the ally's contact question."""
        campaign = make_campaign(languages=("en", "ar"))
        make_ally(campaign, code="riverside", contact_question="May we email you about our work?")
        slug = campaign.slug
        # Reading the slug began a transaction, which on SQLite holds the write lock.
        db.session.commit()
        return f"/embed/{slug}?referrer=riverside"

    def ally_stats_link(self) -> str:
        """The path of an ally's stats page on a new campaign, with a few days of signatures."""
        campaign = make_campaign(languages=("en", "ar"))
        ally = make_ally(campaign, name=TEAM, code="riverside")
        for _ in range(3):
            make_signature(campaign, state="confirmed", referrer="riverside")
        key = ally.stats_key
        db.session.commit()
        return f"/allies/{key}"

    def confirm_link(self, expired: bool = False, **campaign) -> str:
        """The path of the link emailed for a new pending signature on a new campaign."""
        signature = make_signature(make_campaign(languages=("en", "ar"), **campaign))
        token = confirmation_token(signature)
        # Reading the signature began a transaction, which on SQLite holds the write lock.
        db.session.commit()
        if expired:
            self.app.config["CONFIRMATION_MAX_AGE"] = timedelta(seconds=-1)
        return f"/confirm/{token}"

    def brought_link(self) -> str:
        """The path of a confirmed signer's "people you brought" page on a new campaign."""
        signature = make_signature(make_campaign(languages=("en", "ar")), state="confirmed")
        with self.app.test_request_context():
            token = brought_link_token(signature.id)
        slug = db.session.get(Campaign, signature.campaign_id).slug
        db.session.commit()
        return f"/c/{slug}/brought/{token}"

    def delivery_document(self) -> str:
        """The verification page of a finished delivery PDF of a new campaign."""
        campaign = make_campaign(languages=("en", "ar"))
        export = Export(
            campaign_id=campaign.id,
            kind=ExportKind.PDF,
            status=ExportStatus.DONE,
            verification_code="Vq7Kp2Xw9m",
            sha256="0" * 64,
            confirmed_count=1204,
            period_start=utcnow(),
            period_end=utcnow(),
            finished_at=utcnow(),
        )
        db.session.add(export)
        db.session.commit()
        return "/v/Vq7Kp2Xw9m"

    def log_in(
        self, admin: bool = False, two_factor: bool = False, second_step: bool = True
    ) -> "Visit":
        """Log in through the form as the owner of a new TEAM; sets `campaign_id`.

        The team has an editor, a pending invitation and an open campaign with signatures.
        """
        make = make_organiser_with_two_factor if two_factor else make_organiser_with_password
        owner = make(admin=admin)
        organisation = make_organisation(owner=owner, slug="team", name=TEAM)
        make_member(organisation, role=Role.EDITOR)
        make_invitation_link(organisation, owner)
        campaign = make_campaign(organisation=organisation, languages=("en", "ar"))
        make_signature(campaign, state="confirmed", public=True)
        make_signature(campaign, name="ليلى", state="confirmed", postcode="Amman")
        held = make_signature(campaign, name="Held Name", state="confirmed", public=True)
        held.name_moderation = "held"  # as if it matched the word list: the review buttons
        make_ally(
            campaign,
            name="Hill Choir",
            code="choir",
            sites=["https://choir.example"],
            contact_question="May we email you about our concerts?",
        )
        # A finished delivery PDF: the exports table has a row, and its own page to show.
        export = Export(
            campaign_id=campaign.id,
            kind=ExportKind.PDF,
            status=ExportStatus.DONE,
            requested_by_id=owner.id,
            rows_done=2,
            rows_total=2,
            file_size=48_213,
            verification_code="Tm4Rb8Zc2k",
            sha256="0" * 64,
            finished_at=utcnow(),
        )
        db.session.add(export)
        db.session.flush()
        self.export_id = export.id
        # A draft: no delivery PDF to offer, no delivery to record.
        self.draft_id = make_campaign(
            organisation=organisation, languages=("en", "ar"), status="draft"
        ).id
        self.campaign_id, email, secret = campaign.id, owner.email, owner.totp_secret
        # Reading rows began a transaction, which on SQLite holds the write lock.
        db.session.commit()
        self.go("/login").fill("#email", email).fill("#password", ORGANISER_PASSWORD)
        self.submit("main form[action^='/login']")
        if two_factor and second_step:
            self.fill("#code", pyotp.TOTP(secret).now()).submit("main form[action^='/login']")
        return self

    def organiser_page(self, path: str, **login) -> "Visit":
        """Log in (see log_in), then open `path`, with {campaign} filled in."""
        self.log_in(**login)
        return self.go(
            path.format(campaign=self.campaign_id, export=self.export_id, draft=self.draft_id)
        )


TEAM = "Riverside Parents"
