"""Long lists on pages, a hundred lines at a time (issue 11: a district's lists are paginated).

The API answers stay whole (CONTRACT.md has no pages); a page of the bureau's 19 units is one
page and shows no pager at all.
"""
from dataclasses import dataclass

from flask import request, url_for

PAGE_SIZE = 100


@dataclass
class Page:
    items: list
    number: int  # 1-based
    pages: int
    total: int
    size: int = PAGE_SIZE

    @property
    def first_index(self) -> int:
        """The 0-based position of the page's first line in the whole list."""
        return (self.number - 1) * self.size

    def url(self, number: int) -> str:
        """This page's address with another page number, every other argument kept."""
        view_args = request.view_args or {}
        # Only the page's own arguments: url_for's keywords (endpoint, _external, _anchor, …)
        # and the route's are not the visitor's to set.
        args = {k: v for k, v in request.args.to_dict(flat=True).items()
                if k != "page" and k != "endpoint" and not k.startswith("_") and k not in view_args}
        if number > 1:
            args["page"] = number
        return url_for(request.endpoint, **view_args, **args)


def paginate(items, size: int | None = None) -> Page:
    """The page `?page=` asks for (the last one past the end, the first one for anything odd)."""
    size = size or PAGE_SIZE
    items = list(items)
    pages = max(1, -(-len(items) // size))
    number = request.args.get("page", type=int) or 1
    number = min(max(number, 1), pages)
    start = (number - 1) * size
    return Page(items=items[start:start + size], number=number, pages=pages, total=len(items), size=size)
