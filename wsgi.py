"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""
from kaohe_flow import create_app

app = create_app()
