"""A QR code as inline SVG (qrcode library): a patient link on the page staff hand over, an authenticator's key."""

import qrcode
import qrcode.image.svg


def qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")
