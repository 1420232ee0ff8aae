"""Sign-in throttling per username (OWASP ASVS 6.3): after LOGIN_MAX_FAILURES failed attempts
within LOGIN_FAILURE_WINDOW_SECONDS, every attempt for that username — right or wrong — is
refused with 429 until the oldest failure has left the window.

Counted with `limits` (the library under Flask-Limiter) in a moving window. Flask-Limiter's
decorators count requests; here only failures count and the key is the username typed, so the
limiter is used directly. Storage: Redis when REDIS_URL is set (shared by every app server),
the process's memory otherwise.
"""
import math
import time

from flask import current_app
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ..errors import ServiceError

_EXTENSION = "kaohe_throttle"


class TooManyAttempts(ServiceError):
    """429: this username is locked for `retry_after` more seconds."""

    status, code = 429, "too_many_attempts"

    def __init__(self, retry_after: int):
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(f"登录失败次数过多，该账号已暂时锁定，请 {minutes} 分钟后再试")
        self.retry_after = retry_after
        self.minutes = minutes


def _limiter(app=None) -> MovingWindowRateLimiter:
    """One limiter per app, its storage opened on first use (no Redis connection at start-up)."""
    app = app or current_app._get_current_object()
    limiter = app.extensions.get(_EXTENSION)
    if limiter is None:
        storage = storage_from_string(app.config.get("REDIS_URL") or "memory://")
        limiter = app.extensions[_EXTENSION] = MovingWindowRateLimiter(storage)
    return limiter


def _rule() -> RateLimitItemPerSecond:
    config = current_app.config
    return RateLimitItemPerSecond(config["LOGIN_MAX_FAILURES"], config["LOGIN_FAILURE_WINDOW_SECONDS"],
                                  namespace="kaohe-login-failures")


def key_for(username) -> str | None:
    """The name a count is kept under: as typed, trimmed and bounded; None for a non-text name."""
    if not isinstance(username, str):
        return None
    return username.strip()[:128]


def retry_after(key: str | None) -> int | None:
    """Seconds until `key` may try again, or None if it is not locked."""
    if key is None:
        return None
    limiter, rule = _limiter(), _rule()
    if limiter.test(rule, key):
        return None
    reset_at = limiter.get_window_stats(rule, key).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def refuse_if_locked(key: str | None) -> None:
    """429 while `key` is locked."""
    seconds = retry_after(key)
    if seconds is not None:
        raise TooManyAttempts(seconds)


def count_failure(key: str | None) -> bool:
    """Count one failed attempt; True when this failure locks the username."""
    if key is None:
        return False
    limiter, rule = _limiter(), _rule()
    limiter.hit(rule, key)
    return not limiter.test(rule, key)


def reset(app=None) -> None:
    """Forget every count (tests call this between tests, inside an app context or with `app`)."""
    app = app or current_app._get_current_object()
    limiter = app.extensions.get(_EXTENSION)
    if limiter is not None:
        limiter.storage.reset()
