"""PDF from a print template with WeasyPrint: A4, Noto CJK, Chinese as real, selectable text."""
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask import current_app, render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher


class StaticOnlyFetcher(URLFetcher):
    """Resources come from the app's static folder (or data: URLs), never the network or
    elsewhere on disk: a filled-in form must not be able to pull anything else in."""

    def __init__(self, root: Path):
        super().__init__(allowed_protocols=("file", "data"))
        self.root = root.resolve()

    def fetch(self, url, headers=None):
        if url.lower().startswith("file:"):
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if not path.is_relative_to(self.root):
                raise ValueError(f"outside the static folder: {url}")
        return super().fetch(url, headers)


def render_pdf(template_name: str, **context) -> bytes:
    """Render `template_name` (which carries its own `@page { size: A4 }`) to PDF bytes."""
    html = render_template(template_name, **context)
    static = Path(current_app.static_folder)
    return HTML(string=html, base_url=static.as_uri() + "/", url_fetcher=StaticOnlyFetcher(static)).write_pdf()
