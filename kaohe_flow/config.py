"""Settings read from the environment, with safe defaults for the embedded demo."""
import os
import secrets
from datetime import timedelta
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config(instance_path: Path) -> dict:
    """The settings of a running instance."""
    default_db = "sqlite:///" + str(instance_path / "kaohe.db")
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", default_db),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # An API token lives this many hours unless revoked earlier.
        "TOKEN_TTL_HOURS": int(os.environ.get("TOKEN_TTL_HOURS", "720")),
        # One uploaded file may be this large (10 MB by default); a request a little more, for
        # the multipart envelope and the form's other fields.
        "UPLOAD_LIMIT_BYTES": int(os.environ.get("UPLOAD_LIMIT_BYTES", str(10 * 1024 * 1024))),
        "MAX_CONTENT_LENGTH": int(os.environ.get("UPLOAD_LIMIT_BYTES", str(10 * 1024 * 1024))) + 256 * 1024,
        # Certificates of one application, evidence of one deduction record: at most this many files.
        "MAX_FILES_PER_RECORD": int(os.environ.get("MAX_FILES_PER_RECORD", "20")),
        "CURRENT_YEAR": int(os.environ.get("KAOHE_YEAR", "2018")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        # `production` means served over TLS: Secure cookies and HSTS (see finish_config).
        "KAOHE_ENV": os.environ.get("KAOHE_ENV", "development"),
        "HSTS_MAX_AGE": int(os.environ.get("HSTS_MAX_AGE", str(365 * 24 * 3600))),
        # Behind a reverse proxy that sets X-Forwarded-For/-Proto: how many proxies to trust
        # (0: none), so that security events record the client's address, not the proxy's.
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS", "0")),
        # Sign-in throttling: this many failures for one username within the window lock it
        # until the window has passed (OWASP ASVS 6.3). Counted in Redis when REDIS_URL is set,
        # so that every app server shares the count; in the process's memory otherwise.
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_FAILURE_WINDOW_SECONDS": int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", str(15 * 60))),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # Server-side page sessions end after this long without a request, and this long in all.
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "30")),
        "SESSION_ABSOLUTE_HOURS": int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12")),
        # E-mail of the daily digest (`flask --app wsgi notify`): off unless SMTP_HOST is set.
        # PUBLIC_URL (e.g. https://kaohe.example.gov.cn) makes the e-mails' links absolute.
        "SMTP_HOST": os.environ.get("SMTP_HOST") or None,
        "SMTP_PORT": int(os.environ.get("SMTP_PORT") or "25"),
        "SMTP_FROM": os.environ.get("SMTP_FROM") or None,
        "SMTP_USER": os.environ.get("SMTP_USER") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "").lower() in ("1", "true", "yes", "on"),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL") or None,
        # Background jobs (kaohe_flow/jobs): RQ on REDIS_URL; without it the web process runs them.
        "JOB_QUEUE": os.environ.get("JOB_QUEUE") or "kaohe",
        "JOB_TIMEOUT": int(os.environ.get("JOB_TIMEOUT") or "1800"),
        "JOB_RETRIES": int(os.environ.get("JOB_RETRIES") or "3"),
        "JOB_INLINE_WAIT": int(os.environ.get("JOB_INLINE_WAIT") or "5"),  # seconds
        # Busy pages kept per process while the data version stands (kaohe_flow/pagecache.py).
        "PAGE_CACHE": os.environ.get("PAGE_CACHE", "on").lower() not in ("0", "false", "no", "off"),
        # ...and for at most this many seconds (the clock, and writes made outside the app).
        "PAGE_CACHE_SECONDS": int(os.environ.get("PAGE_CACHE_SECONDS") or "10"),
    }


def finish_config(config) -> None:
    """Settings that follow from others, applied after a test's or an instance's overrides."""
    # A signed cookie is not accepted longer than the server-side session it carries may last.
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=config["SESSION_ABSOLUTE_HOURS"])
    if config.get("KAOHE_ENV") == "production":
        # Only ever sent over TLS (a proxy terminating TLS in front of gunicorn is enough).
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
