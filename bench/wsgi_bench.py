"""The app as gunicorn serves it, plus a plaintext route on the same workers: the yardstick the
HTTP benchmark measures every page against (bench/http_bench.py). Never used outside bench/."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kaohe_flow import create_app  # noqa: E402

app = create_app()


@app.get("/_bench/plain")
def plain():
    return "Hello, World!", 200, {"Content-Type": "text/plain"}
