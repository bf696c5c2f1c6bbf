"""The clock: the only place the time is read, so tests and jobs agree on it."""

from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc


def utcnow() -> dt.datetime:
    """Naive UTC now, microsecond precision (what the database stores)."""
    return dt.datetime.now(UTC).replace(tzinfo=None)


def isotime(value: dt.datetime | None, *, subsecond: bool = False, suffix: str = "Z") -> str | None:
    """ISO 8601 as OpenStack prints it: 2024-01-01T00:00:00Z (or .000000Z with subsecond)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    # isoformat is strftime's "%Y-%m-%dT%H:%M:%S[.%f]" at a fraction of the cost (a list renders thousands)
    return value.isoformat(timespec="microseconds" if subsecond else "seconds") + suffix


def parse_isotime(text: str) -> dt.datetime:
    """Parse an ISO 8601 time into naive UTC; raises ValueError."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value
