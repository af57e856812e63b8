"""The share image: a 1200×630 PNG per language and count bucket, drawn once, queued ahead."""

from io import BytesIO

import pytest
from flask import render_template_string
from huey.storage import BaseStorage
from PIL import Image, ImageStat

from app.campaigns.counts import confirmed_counts, set_confirmed_count
from app.campaigns.jobs import prerender_share_image_job
from app.campaigns.pages import build_campaign_page
from app.campaigns.share_image import count_bucket, share_image_url
from app.core.jobs import huey, run_queued_jobs
from app.extensions import db
from app.organisers.review.actions import release_signatures
from app.organisers.review.selection import ReviewFilter
from app.signatures.signing import confirmation_token
from tests.factories import (
    confirm_with_click,
    make_campaign,
    make_held_signature,
    make_organisation,
    make_organiser,
    make_signature,
)
from tests.helpers import BASE_URL


@pytest.fixture
def campaign(app):
    campaign = make_campaign(languages=("en", "ar"), goal=20000)
    campaign.translation("ar").title = "حماية الحدائق العامة في المدينة من البناء عليها"
    db.session.commit()
    set_confirmed_count(campaign.id, 12345)
    db.session.commit()
    return campaign


def image_path(slug, language="en", bucket=12000):
    return f"/c/{slug}/share-{language}-{bucket}.png"


def fetch(client, path):
    """The response, with its body read and its file closed (send_file streams it)."""
    with client.get(path) as response:
        response.get_data()
    return response


def cached_files(app):
    from pathlib import Path

    return sorted(Path(app.config["SHARE_IMAGES_PATH"]).rglob("*.png"))


@pytest.mark.parametrize(
    ("count", "bucket"),
    [(0, 0), (7, 7), (99, 99), (100, 100), (12345, 12000), (99999, 99000), (1_234_567, 1_200_000)],
)
def test_count_bucket_keeps_two_significant_figures(count, bucket):
    assert count_bucket(count) == bucket


def test_the_image_is_a_1200_by_630_png_cached_for_a_year(client, campaign):
    response = fetch(client, image_path(campaign.slug))

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Set-Cookie" not in response.headers
    image = Image.open(BytesIO(response.data))
    assert image.format == "PNG"
    assert image.size == (1200, 630)


def test_the_arabic_image_is_laid_out_right_to_left(client, campaign):
    english = fetch(client, image_path(campaign.slug, "en")).data
    arabic = fetch(client, image_path(campaign.slug, "ar")).data

    assert english != arabic

    def ink_per_half(data):
        image = Image.open(BytesIO(data)).convert("L")
        left = ImageStat.Stat(image.crop((0, 0, 600, 630))).mean[0]
        right = ImageStat.Stat(image.crop((600, 0, 1200, 630))).mean[0]
        return left, right

    english_left, english_right = ink_per_half(english)
    arabic_left, arabic_right = ink_per_half(arabic)
    # Text and the filled bar start on the left in English and on the right in Arabic: the
    # darker half swaps sides.
    assert english_left < english_right
    assert arabic_right < arabic_left


def test_a_second_request_serves_the_file_without_drawing_again(client, campaign, app):
    first = fetch(client, image_path(campaign.slug))
    [path] = cached_files(app)
    drawn_at = path.stat().st_mtime_ns

    second = fetch(client, image_path(campaign.slug))

    assert second.data == first.data
    assert cached_files(app) == [path]
    assert path.stat().st_mtime_ns == drawn_at


@pytest.mark.parametrize(
    ("language", "bucket"),
    [("en", 11000), ("en", 13000), ("en", 12345), ("fr", 12000), ("..", 12000)],
)
def test_any_other_bucket_or_language_is_not_found(client, campaign, app, language, bucket):
    response = fetch(client, image_path(campaign.slug, language, bucket))

    assert response.status_code == 404
    assert cached_files(app) == []


def test_an_image_drawn_for_an_earlier_bucket_is_still_served(client, campaign, app):
    assert fetch(client, image_path(campaign.slug, bucket=12000)).status_code == 200
    set_confirmed_count(campaign.id, 13050)
    db.session.commit()

    assert fetch(client, image_path(campaign.slug, bucket=12000)).status_code == 200
    assert fetch(client, image_path(campaign.slug, bucket=13000)).status_code == 200
    assert fetch(client, image_path(campaign.slug, bucket=11000)).status_code == 404


def test_drafts_have_no_image(client, app):
    draft = make_campaign(status="draft")

    assert fetch(client, image_path(draft.slug, bucket=0)).status_code == 404


def test_templates_get_the_url_of_the_current_bucket(app, campaign):
    page = build_campaign_page(campaign, "ar")

    with app.test_request_context():
        url = render_template_string("{{ share_image_url(page) }}", page=page)

    assert url == share_image_url(page) == BASE_URL + image_path(campaign.slug, "ar", 12000)


def test_the_job_draws_the_current_image_ahead(client, campaign, app):
    prerender_share_image_job(campaign.slug, "ar")
    assert run_queued_jobs() == 1
    [path] = cached_files(app)
    drawn_at = path.stat().st_mtime_ns

    response = fetch(client, image_path(campaign.slug, "ar"))

    assert response.status_code == 200
    assert path.stat().st_mtime_ns == drawn_at


def test_a_long_title_is_cut_to_three_lines(app, campaign):
    from app.campaigns.share_image import _font, _font_file, _layout_engine, _wrap, _Writer

    writer = _Writer(None, "ltr", "en")
    font = _font(_font_file("x", "ltr"), 64, _layout_engine())
    lines = _wrap("word " * 200, font, writer, 1040, 3)

    assert len(lines) == 3
    assert lines[-1].endswith("…")
    assert all(writer.width(line, font) <= 1040 for line in lines)


def test_processes_asking_at_once_draw_one_file(app, campaign):
    from concurrent.futures import ThreadPoolExecutor

    from app.campaigns.share_image import share_image_file

    page = build_campaign_page(campaign, "en")

    def ask(_):
        with app.app_context():
            return share_image_file(page, 12000)

    with ThreadPoolExecutor(max_workers=4) as pool:
        paths = set(pool.map(ask, range(8)))

    assert paths == set(cached_files(app))
    assert len(paths) == 1
    assert not list(next(iter(paths)).parent.glob("*.tmp"))


def test_a_title_mixing_scripts_gets_a_font_with_every_letter():
    from app.campaigns.share_image import _characters, _font_file

    arabic_only = _font_file("حماية الحدائق", "rtl")
    mixed = _font_file("حماية الحدائق LGBTQ", "rtl")

    assert "NotoSansArabic" in arabic_only
    assert mixed != arabic_only
    assert {ord(c) for c in "حماية الحدائقLGBTQ"} <= _characters(mixed)


# Queued when the count moves into a new bucket -----------------------------------------


def confirm_one(client, campaign):
    """A supporter confirms a pending signature by the emailed link, as in a browser."""
    link = f"/confirm/{confirmation_token(make_signature(campaign))}"
    assert "notice--success" in confirm_with_click(client, link).get_data(as_text=True)


def drawn(app) -> list[str]:
    """The drawn images as "<language>-<bucket>"."""
    return ["-".join(path.name.split("-")[:2]) for path in cached_files(app)]


@pytest.mark.parametrize("config_overrides", [{"PAGE_CACHE_SECONDS": 60}])
def test_a_confirmation_into_a_new_bucket_queues_its_images_in_each_language(client, app):
    campaign = make_campaign(languages=("en", "ar"), goal=20000)
    set_confirmed_count(campaign.id, 1098)
    db.session.commit()
    # The page data is cached at 1,098: the job must not draw from that stale copy.
    assert "share-en-1000.png" in client.get(f"/c/{campaign.slug}").get_data(as_text=True)

    confirm_one(client, campaign)  # 1,099: still the 1,000 bucket
    assert run_queued_jobs() == 0

    confirm_one(client, campaign)  # 1,100
    assert run_queued_jobs() == 2
    assert drawn(app) == ["ar-1100", "en-1100"]
    # Served from the file the job drew, not drawn again.
    [english] = [path for path in cached_files(app) if path.name.startswith("en-")]
    drawn_at = english.stat().st_mtime_ns
    assert fetch(client, image_path(campaign.slug, "en", 1100)).status_code == 200
    assert english.stat().st_mtime_ns == drawn_at

    confirm_one(client, campaign)  # 1,101: same bucket, nothing queued, nothing drawn
    assert run_queued_jobs() == 0
    assert drawn(app) == ["ar-1100", "en-1100"]


def test_releasing_held_signatures_into_a_new_bucket_queues_its_images(app):
    owner = make_organiser()
    campaign = make_campaign(organisation=make_organisation(owner=owner), languages=("en", "ar"))
    for _ in range(3):
        make_held_signature(campaign)
    set_confirmed_count(campaign.id, 198)
    db.session.commit()

    release_signatures(campaign, ReviewFilter(held_rule="same_ip"), owner, "checked")

    assert run_queued_jobs() == 2
    assert drawn(app) == ["ar-200", "en-200"]


def test_a_queue_that_cannot_be_reached_does_not_undo_the_confirmation(
    client, app, monkeypatch, caplog
):
    campaign = make_campaign()
    # The queue's storage as before init_app: it refuses to queue anything.
    monkeypatch.setattr(huey, "storage", BaseStorage("refusing"))

    confirm_one(client, campaign)

    assert confirmed_counts([campaign.id])[campaign.id] == 1
    assert "could not queue the share images" in caplog.text
