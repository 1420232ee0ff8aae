"""Settings read from the environment, with safe defaults for the embedded demo."""
import os
import secrets
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
        # 附件5: working time runs in office hours only; the bureau sets its own.
        "OA_OFFICE_HOURS": os.environ.get("OA_OFFICE_HOURS", "08:30-12:00,13:30-17:30"),
        "CURRENT_YEAR": int(os.environ.get("KAOHE_YEAR", "2018")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
    }
