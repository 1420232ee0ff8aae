"""Safe on the network: sign-in throttling, server-side sessions, response headers, security
events and the SQLite file's permissions. `init_app` binds the parts that hook into requests."""
import logging

from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app) -> None:
    from . import dbfile, events, headers

    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        # Trust exactly the configured proxies, so that the client's address and scheme are
        # the ones the proxy saw (never a header the client sent itself).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    dbfile.protect_sqlite_file(app)
    headers.init_app(app)
    events.init_app(app)
    _log_security_events_somewhere()


def _log_security_events_somewhere() -> None:
    """Security events reach stderr (gunicorn's error log) unless logging is configured already."""
    logger = logging.getLogger("kaohe_flow.security")
    logger.setLevel(logging.INFO)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        logger.addHandler(handler)
