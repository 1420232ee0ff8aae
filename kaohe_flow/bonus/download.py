"""Serving a certificate: always as the type its bytes are, never sniffed, never scripted."""
from io import BytesIO

from flask import send_file

from ..attachments import content_disposition


def attachment_response(attachment, inline: bool = False):
    """The file with its original (Chinese) name; images may be shown inline for a preview."""
    inline = inline and attachment.content_type.startswith("image/")
    response = send_file(
        BytesIO(attachment.data), mimetype=attachment.content_type, as_attachment=not inline,
        download_name=attachment.filename, max_age=0, etag=attachment.sha256,
    )
    response.headers["Content-Disposition"] = content_disposition(attachment.filename, inline)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
