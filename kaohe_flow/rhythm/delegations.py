"""Delegations (CONTRACT.md "The year's rhythm"). STUB of the interface; the lead fills it in."""
from datetime import date


def principals_of(user, day: date | None = None) -> list:
    """The users who have handed `user` their capacities for `day` (today by default)."""
    return []


def delegates_of(principal_ids, day: date | None = None) -> dict[int, list]:
    """principal user id → the users acting for them on `day`."""
    return {}
