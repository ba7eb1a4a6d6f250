"""Wrong sign-ins for names no account has: counted and "locked" like a real account's.

Without this, five wrong passwords lock a real account (the page says "locked") while an
unknown name answers "wrong password" for ever, and the difference tells a guesser which
names exist. So a name nobody has is counted too, and after the same number of failures
gets the same locked page for the same time.

The counts live in the rate-limit storage (the portal's database by default, Redis where
configured), under a keyed hash of the name as typed (never the name itself), and expire
by themselves, so guessing many names cannot make them grow without end.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from flask import current_app

from portal.extensions import limiter

#: Failures for one unknown name are forgotten this long after the first of them.
COUNT_SECONDS = 24 * 3600


def _key(kind: str, identifier: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(secret, identifier.strip().lower().encode(), hashlib.sha256).hexdigest()
    return f"{current_app.config['RATELIMIT_KEY_PREFIX']}/unknown-sign-in/{kind}/{digest[:40]}"


def count_failure(identifier: str) -> datetime | None:
    """Count a failed sign-in for a name no account has; the time it is "locked" until,
    when it is (or this failure makes it so), else None."""
    storage = limiter.storage
    try:
        return _count(storage, identifier)
    except storage.base_exceptions as error:
        # The storage is down (Redis restarting): answer "wrong" rather than fail sign-in.
        current_app.logger.warning("Could not count a failed sign-in for an unknown name: %s",
                                   type(error).__name__)
        return None


def _count(storage, identifier: str) -> datetime | None:
    config = current_app.config
    lock_key = _key("lock", identifier)
    if storage.get(lock_key):
        return datetime.fromtimestamp(storage.get_expiry(lock_key), UTC)
    count_key = _key("count", identifier)
    if storage.incr(count_key, COUNT_SECONDS) < config["LOCKOUT_THRESHOLD"]:
        return None
    storage.clear(count_key)
    storage.incr(lock_key, config["LOCKOUT_MINUTES"] * 60)
    return datetime.fromtimestamp(storage.get_expiry(lock_key), UTC)
