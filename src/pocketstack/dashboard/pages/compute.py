"""Instances: list, launch (image, flavor, networks, key pair, security groups, user data),
start / stop / reboot / delete, console log, and key pairs."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from starlette.responses import Response
from starlette.routing import Route

from pocketstack.dashboard.api import error_message, find_message
from pocketstack.dashboard.web import ROOT, Page, redirect, view

BASE = ROOT + "/project/instances"
PAGE_SIZE = 50
TRANSITIONAL = {"BUILD", "REBOOT", "HARD_REBOOT", "RESIZE", "MIGRATING", "REBUILD"}
ACTIONS = {"start": {"os-start": None}, "stop": {"os-stop": None},
           "reboot": {"reboot": {"type": "SOFT"}}, "hard_reboot": {"reboot": {"type": "HARD"}}}


def server_row(server: dict[str, Any], flavors: dict[str, str], images: dict[str, str]) -> dict[str, Any]:
    addresses = [f"{a['addr']} ({net})" for net, addrs in (server.get("addresses") or {}).items() for a in addrs]
    image = server.get("image") or {}
    flavor = server.get("flavor") or {}
    return {"id": server["id"], "name": server.get("name", ""), "status": server.get("status", ""),
            "task": server.get("OS-EXT-STS:task_state") or "", "addresses": addresses,
            "power": server.get("OS-EXT-STS:power_state"),
            "image": images.get(image.get("id", ""), image.get("id", "")) if isinstance(image, dict) else "",
            "flavor": flavor.get("original_name") or flavors.get(flavor.get("id", ""), flavor.get("id", "")),
            "key_name": server.get("key_name") or "", "created": server.get("created", "")}


async def _rows(page: Page) -> tuple[list[dict[str, Any]], bool, str | None]:
    """One page of servers (Horizon's paging: a marker, one more than shown to know if there is a next)."""
    marker = page.request.query_params.get("marker")
    query = f"?limit={PAGE_SIZE + 1}" + (f"&marker={quote(marker)}" if marker else "")
    servers = (await page.api.get("compute", "/servers/detail" + query)).get("servers", [])
    images = {i["id"]: i.get("name", "") for i in
              (await page.api.try_get("image", "/images?limit=1000", {})).get("images", [])}
    rows = [server_row(s, {}, images) for s in servers[:PAGE_SIZE]]
    busy = any(r["status"] in TRANSITIONAL or r["task"] for r in rows)
    return rows, busy, rows[-1]["id"] if len(servers) > PAGE_SIZE else None


@view
async def list_instances(page: Page) -> Response:
    rows, busy, next_marker = await _rows(page)
    template = "instances_table.html" if page.request.headers.get("hx-request") else "instances.html"
    return await page.render(template, servers=rows, busy=busy, next_marker=next_marker,
                             marker=page.request.query_params.get("marker", ""))


@view
async def launch_form(page: Page) -> Response:
    api = page.api
    images = (await api.get("image", "/images?limit=1000")).get("images", [])
    flavors = (await api.get("compute", "/flavors/detail")).get("flavors", [])
    networks = (await api.get("network", "/networks")).get("networks", [])
    keypairs = [k["keypair"] for k in (await api.get("compute", "/os-keypairs")).get("keypairs", [])]
    groups = (await api.get("network", f"/security-groups?project_id={page.session['project_id']}"))
    return await page.render("launch.html", images=[i for i in images if i.get("status") == "active"],
                             flavors=sorted(flavors, key=lambda f: (f.get("ram", 0), f["name"])),
                             networks=[n for n in networks if not n.get("router:external")] or networks,
                             keypairs=keypairs, security_groups=groups.get("security_groups", []))


@view
async def launch(page: Page) -> Response:
    server: dict[str, Any] = {"name": page.field("name"), "imageRef": page.field("image"),
                              "flavorRef": page.field("flavor")}
    count = int(page.field("count", "1") or 1)
    if count > 1:
        server["min_count"] = server["max_count"] = count
    networks = page.fields("networks")
    server["networks"] = [{"uuid": n} for n in networks] if networks else "auto"
    if page.field("key_name"):
        server["key_name"] = page.field("key_name")
    groups = page.fields("security_groups")
    if groups:
        server["security_groups"] = [{"name": g} for g in groups]
    if page.field("user_data"):
        server["user_data"] = base64.b64encode(page.field("user_data").encode()).decode()
    await page.api.post("compute", "/servers", {"server": server})
    return redirect(BASE + "/", ("success", f"Launched instance \"{server['name']}\"."))


@view
async def server_action(page: Page) -> Response:
    server_id, action = page.params["server_id"], page.field("action")
    if action == "delete":
        await page.api.delete("compute", f"/servers/{server_id}")
    elif action in ACTIONS:
        await page.api.post("compute", f"/servers/{server_id}/action", ACTIONS[action])
    else:
        return redirect(BASE + "/", ("error", f"Unknown action {action!r}."))
    return redirect(BASE + "/", ("success", f"Requested {action.replace('_', ' ')} of the instance."))


@view
async def server_detail(page: Page) -> Response:
    server_id = page.params["server_id"]
    server = (await page.api.get("compute", f"/servers/{server_id}"))["server"]
    console = await page.api.request("POST", "compute", f"/servers/{server_id}/action",
                                     json={"os-getConsoleOutput": {"length": 200}}, ok=(400, 404, 409, 501))
    log = console.json().get("output") if console.status_code == 200 else None
    refusal = None if console.status_code == 200 else (console.json() if console.content else {})
    remote = await page.api.request("POST", "compute", f"/servers/{server_id}/remote-consoles",
                                    json={"remote_console": {"protocol": "vnc", "type": "novnc"}},
                                    ok=(400, 403, 404, 409, 501))
    remote_url = remote.json().get("remote_console", {}).get("url") if remote.status_code == 200 else None
    return await page.render("instance.html", server=server_row(server, {}, {}), raw=server, console=log,
                             console_error=find_message(refusal) if refusal is not None else None,
                             remote_url=remote_url, remote_error=None if remote_url else error_message(remote))


@view
async def list_keypairs(page: Page) -> Response:
    keypairs = [k["keypair"] for k in (await page.api.get("compute", "/os-keypairs")).get("keypairs", [])]
    return await page.render("keypairs.html", keypairs=keypairs)


@view
async def create_keypair(page: Page) -> Response:
    body: dict[str, Any] = {"name": page.field("name")}
    if page.field("public_key"):
        body["public_key"] = page.field("public_key")
    created = (await page.api.post("compute", "/os-keypairs", {"keypair": body}))["keypair"]
    return await page.render("keypairs.html", keypairs=[created], private_key=created.get("private_key"))


ROUTES = [
    Route(BASE + "/", list_instances),
    Route(BASE + "/launch", launch_form),
    Route(BASE + "/launch", launch, methods=["POST"]),
    Route(BASE + "/{server_id}/", server_detail),
    Route(BASE + "/{server_id}/action", server_action, methods=["POST"]),
    Route(ROOT + "/project/key_pairs/", list_keypairs),
    Route(ROOT + "/project/key_pairs/", create_keypair, methods=["POST"]),
]
