"""Every start: the standard traits and resource classes of os-traits and os-resource-classes are in the
database (placement's deploy-time sync), so a new release of either list reaches an existing cloud."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from pocketstack.core import db
from pocketstack.services.placement import common


def startup(settings: Any) -> None:
    for attempt in (1, 2):
        try:
            with db.session() as conn:
                common.sync_standards(conn)
            return
        except IntegrityError:      # another worker (--workers N on PostgreSQL) inserted them first
            if attempt == 2:
                raise
