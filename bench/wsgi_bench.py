"""The app as gunicorn serves it, plus a plaintext route on the same workers: the yardstick the
HTTP benchmark measures every page against (bench/http_bench.py); and the floor of a durable
write, which the workflow POST is measured against too. Never used outside bench/."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import request  # noqa: E402
from sqlalchemy import update  # noqa: E402

from kaohe_flow import create_app  # noqa: E402
from kaohe_flow.extensions import csrf, db  # noqa: E402
from kaohe_flow.org import service as org_service  # noqa: E402
from kaohe_flow.sheets.models import Sheet  # noqa: E402
from kaohe_flow.timeutil import utcnow  # noqa: E402

app = create_app()


@app.get("/_bench/plain")
def plain():
    return "Hello, World!", 200, {"Content-Type": "text/plain"}


@app.post("/_bench/write/<int:sheet_id>")
@csrf.exempt  # a bearer token, as the API
def write_floor(sheet_id):
    """The least any durable write through the app costs: the caller's token and user read as
    the API reads them, one row updated, one commit (which moves the data version, as every
    write does). No decision, no history, no answer."""
    user = org_service.user_for_token(request.headers.get("Authorization", "").partition(" ")[2].strip())
    if user is None:
        return "unauthorized", 401
    db.session.execute(update(Sheet).where(Sheet.id == sheet_id).values(updated_at=utcnow()))
    db.session.commit()
    return "ok", 200, {"Content-Type": "text/plain"}
