"""Pages a process keeps between requests while nothing behind them has changed (issue 11).

The busiest pages at the end of December — a sheet, the inbox, the ranking, the lists and the
trackers' reports — are read far more often than anything in the year changes, and each costs a
dozen statements and a template to draw; the bureau's OA system polls the API's lists the same
way. An answer drawn for one reader is kept here, in the process, and given again to the same
reader (a page's browser session, an API caller's token) for the same address while:

- the data version (`kaohe_flow.dataversion`) is the one it was drawn under: any committed write to
  any record, by any process, moves it on — so a page is never older than the database;
- it is the same span of `PAGE_CACHE_SECONDS` (10) on the clock: deadlines, 逾期 and the OA
  report "as of now" read the clock (a minute is as fine as they go), and a write made outside the
  app (psql, another program: no engine of ours sees it) shows within that span;
- for a page, the session is the same one (the page's forms carry its CSRF token), and it has no
  message waiting to be shown (a flash is shown once, by a page drawn for it).

Only whole 200 HTML or JSON answers to GET are kept; a refusal, a redirect, a download, anything else is
drawn every time. The store is per process and bounded (least recently used first out), so memory
stays flat. `PAGE_CACHE = False` turns it off (the benchmarks measure both).
"""
import hashlib
from collections import OrderedDict
from functools import wraps
from threading import Lock

from flask import Response, current_app, g, make_response, request, session
from flask_login import current_user

from . import dataversion
from .timeutil import utcnow

#: Pages kept per process, their bytes in all, and the largest page kept.
MAX_PAGES = 1000
MAX_TOTAL = 64 * 1024 * 1024
MAX_BYTES = 2 * 1024 * 1024
_EXT = "kaohe_page_cache"
#: What is kept: a page, or an API answer (a download never is).
KEPT_TYPES = ("text/html", "application/json")
_lock = Lock()


class _Store:
    """The kept pages of one data version and span of the clock (older ones can never be shown again, so
    they are dropped as soon as a newer request is seen), least recently used first."""

    def __init__(self):
        self.epoch = None
        self.pages: OrderedDict = OrderedDict()
        self.size = 0

    def clear(self, epoch=None):
        self.epoch, self.size = epoch, 0
        self.pages.clear()

    def get(self, key, epoch):
        if epoch != self.epoch:
            return None
        held = self.pages.get(key)
        if held is not None:
            self.pages.move_to_end(key)
        return held

    def put(self, key, epoch, body: bytes, headers: list):
        if self.epoch is None or epoch > self.epoch:
            self.clear(epoch)
        elif epoch < self.epoch:
            return  # drawn from what was already older when it finished
        old = self.pages.pop(key, None)
        if old is not None:
            self.size -= len(old[0])
        self.pages[key] = (body, headers)
        self.size += len(body)
        while len(self.pages) > MAX_PAGES or self.size > MAX_TOTAL:
            self.size -= len(self.pages.popitem(last=False)[1][0])


def _store() -> _Store:
    return current_app.extensions.setdefault(_EXT, _Store())


def forget_all() -> None:
    """Drop every kept page (tests restore a database under an older version)."""
    try:
        with _lock:
            _store().clear()
    except RuntimeError:  # outside an app
        pass


def _wanted() -> bool:
    """Whether this request is a GET of a kept page, with keeping on."""
    if request.method != "GET" or not current_app.config.get("PAGE_CACHE", True):
        return False
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "kept_page", False))  # functools.wraps carries it up the decorators


def note_epoch() -> None:
    """First thing in a request for a kept page (before the user is loaded): the data version and
    the span of the clock. Everything the page is then drawn from is at least as new, so a page is
    never kept under a version newer than what it shows (a write committed while it is drawn)."""
    # Every request asks the versions afresh, even one made inside an application context that
    # outlives it (tests, a script's loop): what the last request read there is not this one's.
    from .org.snapshot import forget_request as forget_charts
    from .scheme.snapshot import VERSIONS_KEY

    for key in ("kept_page_epoch", VERSIONS_KEY, "_scheme_views"):
        g.pop(key, None)
    forget_charts()
    if _wanted():
        span = max(1, int(current_app.config.get("PAGE_CACHE_SECONDS", 10)))
        g.kept_page_epoch = (dataversion.current(), int(utcnow().timestamp()) // span)


def init_app(app) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, note_epoch)


def _reader():
    """The reader's part of the key, or None when this request must be drawn afresh: the API's
    caller by their token, a page's by their browser session."""
    api_user = g.get("api_user")
    if api_user is not None:  # the API (CONTRACT.md): a bearer token, no forms, no messages
        token = hashlib.sha256((g.get("api_token") or "").encode()).hexdigest()
        return request.endpoint, request.full_path, str(api_user.id), token
    if not current_user.is_authenticated or "_flashes" in session:
        return None
    csrf = session.get("csrf_token")
    sid = session.get("sid")
    if not csrf or not sid:
        return None  # not yet: the page's forms start the session's token as they are drawn
    browser = hashlib.sha256(f"{sid}\0{csrf}".encode()).hexdigest()
    return request.endpoint, request.full_path, current_user.get_id(), browser


def kept(view):
    """Decorate a GET view (a page's inside `login_required`; an API view, whose caller the
    blueprint has found by their token): keep and give back its answer."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        epoch = g.get("kept_page_epoch")
        if epoch is None or not _wanted():
            return view(*args, **kwargs)
        flashed = "_flashes" in session  # a page drawn for a message shows it once: never kept
        key = _reader()
        if key is not None:
            with _lock:
                held = _store().get(key, epoch)
            if held is not None:
                return Response(held[0], status=200, headers=held[1])
        response = make_response(view(*args, **kwargs))
        # The reader's key again (the first page of a session starts its CSRF token while it is
        # drawn); the epoch stays the one read before anything else.
        key = _reader()
        if (key is not None and not flashed and response.status_code == 200 and response.mimetype in KEPT_TYPES
                and not response.direct_passthrough):
            body = response.get_data()
            if len(body) <= MAX_BYTES:
                with _lock:
                    _store().put(key, epoch, body, list(response.headers.items()))
        return response

    wrapper.kept_page = True
    return wrapper
