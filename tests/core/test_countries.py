"""The country list: ISO 3166-1 codes only, named and ordered for the reader's language."""

import re

import pycountry
import pytest
from sqlalchemy import select

from app.core.countries import country_choices, country_codes, country_options_html
from app.extensions import db
from app.signatures.models import Signature
from tests.factories import make_campaign, submit_signature

ALEF_FORMS = ("آ", "أ", "إ", "ا")


def names(language):
    return [name for _code, name in country_choices(language)]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_codes_are_exactly_iso_3166_1(language):
    iso = {country.alpha_2 for country in pycountry.countries}
    codes = [code for code, _name in country_choices(language)]
    assert len(codes) == len(set(codes))
    assert set(codes) == iso == country_codes()


@pytest.mark.parametrize("grouping", ["EU", "EZ", "UN", "ZZ", "QO", "XA", "XB", "XK", "IC"])
def test_groupings_and_private_codes_are_not_countries(grouping):
    assert grouping not in country_codes()
    assert grouping not in dict(country_choices("en"))


def test_names_come_in_the_requested_language():
    assert dict(country_choices("en"))["JO"] == "Jordan"
    assert dict(country_choices("ar"))["JO"] == "الأردن"


def test_english_order_puts_aland_among_the_as():
    order = names("en")
    aland = order.index("Åland Islands")
    assert order.index("Afghanistan") < aland < order.index("Albania")
    assert order[aland - 1].startswith("A") and order[aland + 1].startswith("A")


def test_english_order_ignores_case_and_accents():
    order = names("en")
    assert order.index("Cook Islands") < order.index("Côte d’Ivoire") < order.index("Croatia")
    assert order.index("Curaçao") < order.index("Cyprus")


def test_arabic_names_starting_with_any_alef_form_stay_together():
    starts = [name[0] for name in names("ar")]
    alef = [i for i, first in enumerate(starts) if first in ALEF_FORMS]
    assert alef == list(range(alef[0], alef[-1] + 1))
    assert {starts[i] for i in alef} == set(ALEF_FORMS)


def test_arabic_alef_forms_interleave_by_the_rest_of_the_name():
    order = names("ar")
    # The hamza does not split the alefs: إثيوبيا (Ethiopia) comes before أذربيجان (Azerbaijan)
    # because ث comes before ذ.
    ethiopia = dict(country_choices("ar"))["ET"]
    azerbaijan = dict(country_choices("ar"))["AZ"]
    assert ethiopia.startswith("إ") and azerbaijan.startswith("أ")
    assert order.index(ethiopia) < order.index(azerbaijan)


def test_rendered_options_offer_every_code_once():
    html = country_options_html("en", "Choose your country")
    values = re.findall(r'<option value="([^"]*)"', html)
    assert values[0] == ""
    assert sorted(values[1:]) == sorted(country_codes())


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_code_on_the_page_is_accepted_by_the_form(client, lang):
    make_campaign(slug="c", languages=("en", "ar"))
    html = client.get(f"/c/c?lang={lang}").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="country".*?</select>', html, re.S).group(0)
    offered = set(re.findall(r'<option value="([A-Z]{2})"', select_html))
    assert offered == country_codes()


def test_aland_can_be_submitted(client):
    make_campaign(slug="c")
    response = submit_signature(client, "c", country="AX")
    assert response.status_code == 303
    assert db.session.execute(select(Signature.country)).scalar_one() == "AX"
