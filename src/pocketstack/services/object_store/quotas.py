"""Container quotas (X-Container-Meta-Quota-Bytes/-Count) and account quotas
(X-Account-Meta-Quota-Bytes/-Count, set by a reseller admin): 413 when a write would exceed them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from pocketstack.core.errors import PayloadTooLarge
from pocketstack.services.object_store import state


def check(conn: Connection, account: str, container: dict[str, Any], add_bytes: int, add_objects: int) -> None:
    meta = container["meta"]
    quota = meta.get("x-container-meta-quota-bytes")
    if quota and quota.isdigit() and container["bytes_used"] + add_bytes > int(quota):
        raise PayloadTooLarge("Upload exceeds quota.", plain=True)
    quota = meta.get("x-container-meta-quota-count")
    if quota and quota.isdigit() and container["object_count"] + add_objects > int(quota):
        raise PayloadTooLarge("Upload exceeds quota.", plain=True)
    account_row = state.get_account(conn, account)
    if account_row is None:
        return
    for key, used, add in (("x-account-meta-quota-bytes", "bytes_used", add_bytes),
                           ("x-account-quota-bytes", "bytes_used", add_bytes),
                           ("x-account-meta-quota-count", "object_count", add_objects),
                           ("x-account-quota-count", "object_count", add_objects)):
        quota = account_row["meta"].get(key)
        if quota and quota.isdigit() and account_row[used] + add > int(quota):
            raise PayloadTooLarge("Upload exceeds quota.", plain=True)
