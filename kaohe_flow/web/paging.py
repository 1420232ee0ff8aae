"""Long lists on pages, a hundred lines at a time (issue 11: a district's lists are paginated).

The API answers stay whole (CONTRACT.md has no pages); a page of the bureau's 19 units is one
page and shows no pager at all. A page's links lead to its list's own GET address with the list's
arguments — also when a refused POST drew the page again at the POST's address.
"""
from dataclasses import dataclass, field

from flask import request, url_for

PAGE_SIZE = 100


@dataclass
class Page:
    items: list
    number: int  # 1-based
    pages: int
    total: int
    size: int = PAGE_SIZE
    endpoint: str | None = None  # the list's GET page (default: the request's own)
    args: dict = field(default_factory=dict)  # the list's arguments (default: the request's)

    @property
    def first_index(self) -> int:
        """The 0-based position of the page's first line in the whole list."""
        return (self.number - 1) * self.size

    def url(self, number: int) -> str:
        """The list's address at another page, its other arguments kept."""
        if self.endpoint is not None:
            args, view_args = dict(self.args), {}
        else:
            view_args = request.view_args or {}
            # Only the page's own arguments: url_for's keywords (endpoint, _external, _anchor, …)
            # and the route's are not the visitor's to set.
            args = {k: v for k, v in request.args.to_dict(flat=True).items()
                    if k != "endpoint" and not k.startswith("_") and k not in view_args}
        args.pop("page", None)
        if number > 1:
            args["page"] = number
        return url_for(self.endpoint or request.endpoint, **view_args, **args)


def _kept(args: dict | None) -> dict:
    return {k: v for k, v in (args or {}).items() if v not in (None, "")}


def _number(pages: int) -> int:
    """The page `?page=` asks for: the last one past the end, the first one for anything odd."""
    return min(max(request.args.get("page", type=int) or 1, 1), pages)


def paginate(items, size: int | None = None, endpoint: str | None = None, args: dict | None = None) -> Page:
    """A page of a list already in memory."""
    size = size or PAGE_SIZE
    items = list(items)
    pages = max(1, -(-len(items) // size))
    number = _number(pages)
    start = (number - 1) * size
    return Page(items=items[start:start + size], number=number, pages=pages, total=len(items), size=size,
                endpoint=endpoint, args=_kept(args))


def page_of(total: int, fetch, endpoint: str | None = None, args: dict | None = None,
            size: int | None = None) -> Page:
    """A page of a list the database counts (`total`) and reads a page at a time:
    `fetch(offset, limit)` answers the page's lines."""
    size = size or PAGE_SIZE
    pages = max(1, -(-total // size))
    number = _number(pages)
    items = list(fetch((number - 1) * size, size)) if total else []
    return Page(items=items, number=number, pages=pages, total=total, size=size,
                endpoint=endpoint, args=_kept(args))
