"""QR codes of a campaign's link for organisers to print: the link with ?source=qr."""

from io import BytesIO

import segno

from app.campaigns.models import Campaign
from app.core.urls import absolute_url

QR_SOURCE = "qr"
# Medium error correction survives a smudge on a poster and keeps the code small.
ERROR_CORRECTION = "m"
PNG_SCALE = 12  # pixels per module: about 450 px across for a typical campaign link


def campaign_qr_url(campaign: Campaign) -> str:
    """The public campaign link a QR code leads to, marked as coming from a QR code."""
    return absolute_url("signatures.sign_page", slug=campaign.slug, source=QR_SOURCE)


def make_qr(url: str) -> segno.QRCode:
    """The QR code of `url`, as every download of it is drawn."""
    return segno.make(url, error=ERROR_CORRECTION, micro=False)


def qr_svg(url: str) -> bytes:
    """The QR code of `url` as an SVG document (scales to any print size)."""
    output = BytesIO()
    make_qr(url).save(output, kind="svg", scale=PNG_SCALE // 2, xmldecl=True)
    return output.getvalue()


def qr_png(url: str) -> bytes:
    """The QR code of `url` as a PNG image."""
    output = BytesIO()
    make_qr(url).save(output, kind="png", scale=PNG_SCALE)
    return output.getvalue()
