"""Real little files for upload tests: the app parses what it is given (pypdf, Pillow), so a
bare signature followed by zeros no longer passes for a certificate."""
from functools import cache
from io import BytesIO

from PIL import Image
from pypdf import PdfWriter


@cache
def tiny_pdf() -> bytes:
    """A valid one-page PDF (A4, blank)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _image(fmt: str) -> bytes:
    out = BytesIO()
    Image.new("RGB", (1, 1), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


@cache
def tiny_png() -> bytes:
    """A valid 1×1 PNG."""
    return _image("PNG")


@cache
def tiny_jpeg() -> bytes:
    """A valid 1×1 JPEG."""
    return _image("JPEG")
