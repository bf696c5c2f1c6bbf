"""Volumes (list, create, attach, detach, delete) and Images (list, upload streamed, delete)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from pocketstack.dashboard.web import ROOT, Page, redirect, view

VOLUMES = ROOT + "/project/volumes"
IMAGES = ROOT + "/project/images"
CHUNK = 1024 * 1024
BUSY = {"creating", "attaching", "detaching", "deleting", "backing-up", "restoring", "extending"}


async def chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    """The uploaded file, read back in chunks: memory stays flat whatever its size."""
    while True:
        data = await upload.read(CHUNK)
        if not data:
            return
        yield data


@view
async def list_volumes(page: Page) -> Response:
    volumes = (await page.api.get("volume", "/volumes/detail")).get("volumes", [])
    servers = (await page.api.try_get("compute", "/servers", {})).get("servers", [])
    names = {s["id"]: s.get("name", "") for s in servers}
    for v in volumes:
        v["attached_to"] = [names.get(a.get("server_id"), a.get("server_id")) + f" on {a.get('device', '')}"
                            for a in v.get("attachments", [])]
    snapshots = (await page.api.try_get("volume", "/snapshots/detail", {})).get("snapshots", [])
    backups = (await page.api.try_get("volume", "/backups/detail", {})).get("backups", [])
    by_id = {v["id"]: v.get("name") or v["id"] for v in volumes}
    busy = any(x.get("status") in BUSY for x in [*volumes, *snapshots, *backups])
    return await page.render("volumes.html", volumes=volumes, servers=servers, snapshots=snapshots,
                             backups=backups, volume_names=by_id, busy=busy)


@view
async def create_volume(page: Page) -> Response:
    body: dict[str, Any] = {"name": page.field("name"), "size": int(page.field("size", "1") or 1)}
    if page.field("description"):
        body["description"] = page.field("description")
    if page.field("image"):
        body["imageRef"] = page.field("image")
    await page.api.post("volume", "/volumes", {"volume": body})
    return redirect(VOLUMES + "/", ("success", f"Creating volume \"{body['name']}\"."))


@view
async def volume_action(page: Page) -> Response:
    volume_id, action = page.params["volume_id"], page.field("action")
    if action == "attach":
        server_id = page.field("server")
        await page.api.post("compute", f"/servers/{server_id}/os-volume_attachments",
                            {"volumeAttachment": {"volumeId": volume_id}})
    elif action == "detach":
        await page.api.delete("compute", f"/servers/{page.field('server')}/os-volume_attachments/{volume_id}")
    elif action == "delete":
        await page.api.delete("volume", f"/volumes/{volume_id}")
    elif action == "snapshot":
        await page.api.post("volume", "/snapshots", {"snapshot": {
            "volume_id": volume_id, "name": page.field("name") or None, "force": True}})
    elif action == "backup":
        await page.api.post("volume", "/backups", {"backup": {
            "volume_id": volume_id, "name": page.field("name") or None, "incremental": False}})
    elif action == "delete_snapshot":
        await page.api.delete("volume", f"/snapshots/{page.field('id')}")
    elif action == "delete_backup":
        await page.api.delete("volume", f"/backups/{page.field('id')}")
    else:
        return redirect(VOLUMES + "/", ("error", f"Unknown action {action!r}."))
    return redirect(VOLUMES + "/", ("success", f"Requested {action} of the volume."))


@view
async def list_images(page: Page) -> Response:
    images = (await page.api.get("image", "/images?limit=1000")).get("images", [])
    return await page.render("images.html", images=images)


@view
async def upload_image(page: Page) -> Response:
    assert page.form is not None
    body = {"name": page.field("name"), "disk_format": page.field("disk_format", "raw") or "raw",
            "container_format": page.field("container_format", "bare") or "bare",
            "visibility": page.field("visibility", "private") or "private"}
    image = await page.api.post("image", "/images", body)
    upload = page.form.get("file")
    if isinstance(upload, UploadFile):
        await page.api.request("PUT", "image", f"/images/{image['id']}/file", content=chunks(upload),
                               headers={"Content-Type": "application/octet-stream"})
    return redirect(IMAGES + "/", ("success", f"Created image \"{body['name']}\"."))


@view
async def delete_image(page: Page) -> Response:
    await page.api.delete("image", f"/images/{page.params['image_id']}")
    return redirect(IMAGES + "/", ("success", "Deleted the image."))


ROUTES = [
    Route(VOLUMES + "/", list_volumes),
    Route(VOLUMES + "/", create_volume, methods=["POST"]),
    Route(VOLUMES + "/{volume_id}/action", volume_action, methods=["POST"]),
    Route(IMAGES + "/", list_images),
    Route(IMAGES + "/", upload_image, methods=["POST"]),
    Route(IMAGES + "/{image_id}/delete", delete_image, methods=["POST"]),
]
