"""Project overview: quota usage of compute, volumes and network, as bars."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from pocketstack.dashboard.web import ROOT, Page, view

COMPUTE = [("instances", "Instances"), ("cores", "VCPUs"), ("ram", "RAM (MB)"), ("key_pairs", "Key pairs")]
VOLUME = [("volumes", "Volumes"), ("gigabytes", "Volume storage (GB)"), ("snapshots", "Volume snapshots")]
NETWORK = [("network", "Networks"), ("subnet", "Subnets"), ("port", "Ports"), ("router", "Routers"),
           ("floatingip", "Floating IPs"), ("security_group", "Security groups")]


def usage(label: str, used: Any, limit: Any) -> dict[str, Any]:
    used, limit = int(used or 0), int(limit if limit is not None else -1)
    percent = 0 if limit <= 0 else min(100, round(100 * used / limit))
    return {"label": label, "used": used, "limit": "No limit" if limit < 0 else limit, "percent": percent,
            "level": "high" if percent >= 90 else "mid" if percent >= 60 else "low"}


def bars(quota: dict[str, Any], wanted: list[tuple[str, str]], used_key: str) -> list[dict[str, Any]]:
    out = []
    for key, label in wanted:
        entry = quota.get(key)
        if isinstance(entry, dict):
            out.append(usage(label, entry.get(used_key), entry.get("limit")))
    return out


@view
async def overview(page: Page) -> Response:
    pid = page.session["project_id"]
    compute = await page.api.try_get("compute", f"/os-quota-sets/{pid}/detail", {})
    volume = await page.api.try_get("volume", f"/os-quota-sets/{pid}?usage=true", {})
    network = await page.api.try_get("network", f"/quotas/{pid}/details", {})
    groups = [("Compute", bars(compute.get("quota_set", {}), COMPUTE, "in_use")),
              ("Volume", bars(volume.get("quota_set", {}), VOLUME, "in_use")),
              ("Network", bars(network.get("quota", {}), NETWORK, "used"))]
    return await page.render("overview.html", groups=groups)


ROUTES = [Route(ROOT + "/project/", overview)]
