"""Names kept off public lists are still delivered: the CSV and the PDF list every signer."""

import io

from app.exports.csv_export import CsvOptions, write_signatures_csv
from app.extensions import db
from app.signatures.models import CONFIRMED, NAME_HELD, NAME_HIDDEN
from tests.exports.delivery_data import make_export, page_texts, render
from tests.factories import make_campaign, make_signature


def campaign_with_hidden_and_held_names():
    campaign = make_campaign()
    hidden = make_signature(campaign, state=CONFIRMED, name="Hidden Person", public=True)
    hidden.name_moderation = NAME_HIDDEN
    held = make_signature(campaign, state=CONFIRMED, name="Fuck Off", public=True)
    assert held.name_moderation == NAME_HELD
    db.session.commit()
    return campaign


def test_the_csv_lists_hidden_and_held_names(app):
    campaign = campaign_with_hidden_and_held_names()
    stream = io.StringIO(newline="")
    write_signatures_csv(stream, campaign.id, CsvOptions(), lambda done, total: None)
    assert "Hidden Person" in stream.getvalue() and "Fuck Off" in stream.getvalue()


def test_the_delivery_pdf_counts_and_lists_hidden_and_held_names(app, tmp_path):
    campaign = campaign_with_hidden_and_held_names()
    export = make_export(campaign)
    path, _ = render(export, tmp_path)
    listing = "\n".join(page_texts(path)[1:])
    assert export.confirmed_count == 2
    assert "Hidden Person" in listing and "Fuck Off" in listing
