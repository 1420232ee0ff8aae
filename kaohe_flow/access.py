"""Every access question outside the workflow's own table, answered in one place.

The workflow's question (may this user fire this action on this record now?) is
`workflow.permissions.decide`; everything else — who reads everything, who records or
corrects tracker entries and deduction records, who edits the calendar, who administers —
is asked here, so that pages, the API and the services give one answer.
403 never yours, 409 not now, 404 not yours to see.
"""


def sees_everything(user) -> bool:
    """Leaders, viewers and admins read every unit's records (DOMAIN.md "Who sees what")."""
    return user.has_role("viewer") or user.has_role("admin") or user.has_role("leader")


def is_admin(user) -> bool:
    return user.has_role("admin")
