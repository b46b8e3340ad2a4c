"""A QR code of a patient link, as inline SVG for the staff page that prints it (qrcode library)."""

import qrcode
import qrcode.image.svg


def qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")
