"""The embedded SQLite database holds password hashes and every record: readable by its owner
only (0600), never by whoever else has an account on the machine."""
import os

from sqlalchemy.engine import make_url


def sqlite_path(app) -> str | None:
    """The file behind a SQLite URI, resolved as Flask-SQLAlchemy does; None for other databases."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:") or url.query.get("uri"):
        return None
    if not os.path.isabs(database):  # Flask-SQLAlchemy puts a relative path in the instance folder
        database = os.path.join(app.instance_path, database)
    return database


def protect_sqlite_file(app) -> None:
    """Create the file 0600 before SQLite first opens it (SQLite would follow the umask, and its
    journal files take the database file's mode); tighten an existing one."""
    path = sqlite_path(app)
    if path is None:
        return
    parent = os.path.dirname(path)
    if parent and not os.path.isdir(parent):
        os.makedirs(parent, mode=0o700, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        try:
            os.chmod(path, 0o600)
        except PermissionError:  # another account owns it: say so, the app still runs
            app.logger.warning("could not restrict %s to mode 0600 (not its owner)", path)
