"""Object Storage: containers, pseudo-folders, upload (streamed), download (byte-exact), delete."""

from __future__ import annotations

from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from pocketstack.dashboard.pages.storage import chunks
from pocketstack.dashboard.web import ROOT, Page, redirect, view

C = ROOT + "/project/containers"


def q(name: str) -> str:
    return quote(name, safe="")


def qpath(name: str) -> str:
    return quote(name, safe="/")


@view
async def list_containers(page: Page) -> Response:
    containers = await page.api.get("object-store", "?format=json")
    return await page.render("containers.html", containers=containers or [])


@view
async def create_container(page: Page) -> Response:
    name = page.field("name")
    await page.api.put("object-store", f"/{q(name)}", headers={"Content-Length": "0"})
    return redirect(C + "/", ("success", f"Created container \"{name}\"."))


@view
async def list_objects(page: Page) -> Response:
    container = page.params["container"]
    prefix = page.request.query_params.get("prefix", "")
    listing = await page.api.get("object-store", f"/{q(container)}?format=json&delimiter=/&prefix={q(prefix)}")
    folders = [o["subdir"] for o in listing if "subdir" in o]
    objects = [o for o in listing if "name" in o and o["name"] != prefix]
    return await page.render("objects.html", container=container, prefix=prefix, folders=folders,
                             objects=objects, q=q, qpath=qpath)


@view
async def upload_object(page: Page) -> Response:
    assert page.form is not None
    container = page.params["container"]
    upload = page.form.get("file")
    prefix = page.field("prefix")
    if not isinstance(upload, UploadFile):
        return redirect(f"{C}/{q(container)}/", ("error", "Choose a file to upload."))
    name = prefix + (page.field("name") or upload.filename or "object")
    headers = {"Content-Type": upload.content_type or "application/octet-stream"}
    await page.api.request("PUT", "object-store", f"/{q(container)}/{qpath(name)}", content=chunks(upload),
                           headers=headers)
    return redirect(f"{C}/{q(container)}/?prefix={q(prefix)}", ("success", f"Uploaded \"{name}\"."))


@view
async def create_folder(page: Page) -> Response:
    """A pseudo-folder, as Horizon makes one: an empty object whose name ends with '/'."""
    container, prefix = page.params["container"], page.field("prefix")
    name = prefix + page.field("name").strip("/") + "/"
    await page.api.request("PUT", "object-store", f"/{q(container)}/{qpath(name)}", content=b"",
                           headers={"Content-Type": "application/directory"})
    return redirect(f"{C}/{q(container)}/?prefix={q(prefix)}", ("success", f"Created folder \"{name}\"."))


@view
async def download_object(page: Page) -> Response:
    container, name = page.params["container"], page.params["name"]
    resp = await page.api.request("GET", "object-store", f"/{q(container)}/{qpath(name)}")
    filename = name.rsplit("/", 1)[-1]
    return Response(resp.content, media_type=resp.headers.get("content-type", "application/octet-stream"),
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{q(filename)}",
                             "ETag": resp.headers.get("etag", "")})


@view
async def delete_object(page: Page) -> Response:
    container, name = page.params["container"], page.field("name")
    if name:
        await page.api.delete("object-store", f"/{q(container)}/{qpath(name)}")
        return redirect(f"{C}/{q(container)}/", ("success", f"Deleted \"{name}\"."))
    await page.api.delete("object-store", f"/{q(container)}")
    return redirect(C + "/", ("success", f"Deleted container \"{container}\"."))


ROUTES = [
    Route(C + "/", list_containers),
    Route(C + "/", create_container, methods=["POST"]),
    Route(C + "/{container}/", list_objects),
    Route(C + "/{container}/", upload_object, methods=["POST"]),
    Route(C + "/{container}/delete", delete_object, methods=["POST"]),
    Route(C + "/{container}/folder", create_folder, methods=["POST"]),
    Route(C + "/{container}/object/{name:path}", download_object),
]
