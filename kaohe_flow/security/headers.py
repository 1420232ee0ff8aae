"""Security headers on every response, pages and API alike (CONTRACT.md "Safe on the network").

The pages carry no script at all; the policy says so, and no page can be framed (the one-click
签字 form must not be clickjacked). Styles may be inline: the templates and the printable
sheets keep their small <style> blocks, and a style cannot run code.
"""
from flask import request, session

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

STATIC_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _signed_in() -> bool:
    """The request carries a page session or a bearer token (valid or not: no store either way)."""
    return bool(request.headers.get("Authorization")) or "_user_id" in session


def init_app(app) -> None:
    production = app.config.get("KAOHE_ENV") == "production"
    hsts = f"max-age={int(app.config.get('HSTS_MAX_AGE', 31536000))}; includeSubDomains"

    @app.after_request
    def _security_headers(response):
        for name, value in STATIC_HEADERS.items():
            response.headers.setdefault(name, value)
        if production:
            response.headers.setdefault("Strict-Transport-Security", hsts)
        if request.endpoint != "static" and _signed_in():
            # A signed-in answer is someone's data: no browser or proxy cache keeps it.
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        return response
