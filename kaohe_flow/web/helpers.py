"""What every page route shares: the form's version, and refusals shown as pages."""
from functools import wraps

from flask import flash, render_template, request

from ..errors import STALE_MESSAGE, ServiceError
from ..timeutil import parse_int


def form_version():
    """The version a form carries: an int, or the raw text (which the services refuse with 400)."""
    raw = request.form.get("version")
    value = parse_int(raw)
    return raw if value is None else value


def error_page(exc: ServiceError):
    """A refusal as the app's error page, with its status."""
    return render_template("error.html", status=exc.status, message=exc.message), exc.status


def refusals_as_pages(view):
    """A refusal (404 for a record one may not see, …) as the app's error page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ServiceError as exc:
            return error_page(exc)

    return wrapper


def flash_refusal(exc: ServiceError) -> None:
    """Say why on the page the user comes back to; a stale page keeps what was typed."""
    flash(f"{STALE_MESSAGE}（您填写的内容保留在下方）" if exc.code == "stale_version" else exc.message, "error")
