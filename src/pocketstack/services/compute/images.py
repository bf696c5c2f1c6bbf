"""The image proxy: /images (api-ref: compute, Images (DEPRECATED)), the image service's images as nova shows them,
through its REST API with the caller's token; gone after microversion 2.35."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pocketstack.core import internal_client
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Forbidden, NotFound
from pocketstack.core.policy import ANY_USER
from pocketstack.core.routing import ApiRequest, route
from pocketstack.core.versions import V
from pocketstack.services.compute import common, paging

LAST = V("2.35", "the last version with the image proxy")
STATUS = {"queued": "SAVING", "saving": "SAVING", "active": "ACTIVE", "killed": "ERROR", "deleted": "DELETED",
          "pending_delete": "DELETED", "uploading": "SAVING", "importing": "SAVING", "deactivated": "ACTIVE"}
PROGRESS = {"queued": 25, "saving": 50, "active": 100}
CORE = {"id", "name", "status", "visibility", "protected", "checksum", "owner", "size", "virtual_size",
        "min_ram", "min_disk", "disk_format", "container_format", "created_at", "updated_at", "tags", "self",
        "file", "schema", "os_hash_algo", "os_hash_value", "os_hidden", "locations", "direct_url", "stores"}
G = "/image/v2/images"


def _metadata(image: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in image.items() if k not in CORE}


def render_image(ctx: Context, rq: ApiRequest, image: dict[str, Any], detail: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"id": image["id"], "name": image.get("name"),
                            "links": [*common.links(ctx, rq, "images", image["id"]),
                                      {"rel": "alternate", "type": "application/vnd.openstack.image",
                                       "href": f"{ctx.base_url}/image/images/{image['id']}"}]}
    if not detail:
        return body
    meta = _metadata(image)
    body.update({"minRam": image.get("min_ram") or 0, "minDisk": image.get("min_disk") or 0, "metadata": meta,
                 "created": (image.get("created_at") or "").replace("+00:00", "Z"),
                 "updated": (image.get("updated_at") or "").replace("+00:00", "Z"),
                 "status": STATUS.get(image["status"], "UNKNOWN"), "progress": PROGRESS.get(image["status"], 0),
                 "OS-EXT-IMG-SIZE:size": image.get("size")})
    if meta.get("instance_uuid"):
        body["server"] = {"id": meta["instance_uuid"], "links": common.links(ctx, rq, "servers", meta["instance_uuid"])}
    return body


def _get(ctx: Context, image_id: str) -> dict[str, Any]:
    r = internal_client.call("GET", f"{G}/{image_id}", token=ctx.token)
    if r.status_code != 200:
        raise NotFound("Image not found.")
    return dict(r.json())


def _list(ctx: Context, rq: ApiRequest, detail: bool) -> dict[str, Any]:
    limit, marker = paging.limit_and_marker(rq)
    query: dict[str, Any] = {"limit": limit}
    if marker:
        query["marker"] = marker
    for ours, theirs in (("name", "name"), ("status", "status")):
        if rq.query.get(ours):
            query[theirs] = rq.query[ours].lower() if ours == "status" else rq.query[ours]
    r = internal_client.call("GET", f"{G}?{urlencode(query)}", token=ctx.token)
    if r.status_code == 400:
        raise BadRequest(r.json().get("message", "Bad request") if r.headers.get("content-type", "").startswith(
            "application/json") else "Bad request")
    images = r.json().get("images", []) if r.status_code == 200 else []
    if rq.query.get("server"):
        server = rq.query["server"].rstrip("/").rsplit("/", 1)[-1]
        images = [i for i in images if i.get("instance_uuid") == server]
    if rq.query.get("type"):
        images = [i for i in images if (i.get("image_type") == "snapshot") == (rq.query["type"] == "snapshot")]
    for key, field in (("minRam", "min_ram"), ("minDisk", "min_disk")):
        if rq.query.get(key):
            try:
                images = [i for i in images if (i.get(field) or 0) >= int(rq.query[key])]
            except ValueError:
                raise BadRequest(f"Invalid {key} filter [{rq.query[key]}]") from None
    out: dict[str, Any] = {"images": [render_image(ctx, rq, i, detail) for i in images]}
    links = paging.collection_links(ctx, rq, "images/detail" if detail else "images", images, limit)
    if links:
        out["images_links"] = links
    return out


def list_images(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, False)


def list_images_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, True)


def show_image(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"image": render_image(ctx, rq, _get(ctx, rq.params["image_id"]), True)}


def delete_image(ctx: Context, rq: ApiRequest) -> None:
    r = internal_client.call("DELETE", f"{G}/{rq.params['image_id']}", token=ctx.token)
    if r.status_code == 404:
        raise NotFound("Image not found.")
    if r.status_code == 403:
        raise Forbidden("You are not allowed to delete the image.")


def list_image_metadata(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"metadata": _metadata(_get(ctx, rq.params["image_id"]))}


def show_image_metadata_item(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    meta = _metadata(_get(ctx, rq.params["image_id"]))
    if rq.params["key"] not in meta:
        raise NotFound("Image not found.")
    return {"meta": {rq.params["key"]: meta[rq.params["key"]]}}


PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}
META = {"type": "object", "required": ["metadata"], "additionalProperties": False, "properties": {
    "metadata": {"type": "object", "patternProperties": {"^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string",
                                                                                       "maxLength": 255}},
                 "additionalProperties": False}}}
META_ITEM = {"type": "object", "required": ["meta"], "additionalProperties": False, "properties": {
    "meta": {"type": "object", "minProperties": 1, "maxProperties": 1, "patternProperties": {
        "^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string", "maxLength": 255}}, "additionalProperties": False}}}
MAX_META = 128


def _patch(ctx: Context, image_id: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
    r = internal_client.call("PATCH", f"{G}/{image_id}", token=ctx.token, json=ops, headers=PATCH)
    if r.status_code == 404:
        raise NotFound("Image not found.")
    if r.status_code == 403:
        raise Forbidden("You are not allowed to update the image.")
    if r.status_code == 413:
        raise Forbidden("Quota exceeded for metadata_items")
    if r.status_code != 200:
        raise BadRequest(f"Image update failed: {r.text[:200]}")
    return dict(r.json())


def _set(ctx: Context, image_id: str, items: dict[str, str], replace: bool) -> dict[str, str]:
    current = _metadata(_get(ctx, image_id))
    merged = dict(items) if replace else {**current, **items}
    if len(merged) > MAX_META:
        raise Forbidden(f"Quota exceeded for metadata_items: Requested {len(merged)}, but already used 0 of "
                        f"{MAX_META} metadata_items")
    ops = [{"op": "remove", "path": f"/{k}"} for k in current if k not in merged]
    ops += [{"op": "add", "path": f"/{k}", "value": val} for k, val in merged.items() if current.get(k) != val]
    return _metadata(_patch(ctx, image_id, ops)) if ops else current


def create_image_metadata(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"metadata": _set(ctx, rq.params["image_id"], rq.body["metadata"], replace=False)}


def replace_image_metadata(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"metadata": _set(ctx, rq.params["image_id"], rq.body["metadata"], replace=True)}


def update_image_metadata_item(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if rq.params["key"] not in rq.body["meta"]:
        raise BadRequest("Request body and URI mismatch")
    meta = _set(ctx, rq.params["image_id"], rq.body["meta"], replace=False)
    return {"meta": {rq.params["key"]: meta[rq.params["key"]]}}


def delete_image_metadata_item(ctx: Context, rq: ApiRequest) -> None:
    current = _metadata(_get(ctx, rq.params["image_id"]))
    if rq.params["key"] not in current:
        raise NotFound(f"Image {rq.params['image_id']} has no metadata with key {rq.params['key']}")
    _patch(ctx, rq.params["image_id"], [{"op": "remove", "path": f"/{rq.params['key']}"}])


I = "/v2.1/images"
ROUTES = [
    route("GET", I, list_images, policy=ANY_USER, max_version=LAST),
    common.not_found_route("DELETE", I),
    route("GET", I + "/detail", list_images_detail, policy=ANY_USER, max_version=LAST),
    route("GET", I + "/{image_id}", show_image, policy=ANY_USER, max_version=LAST),
    route("DELETE", I + "/{image_id}", delete_image, policy=ANY_USER, max_version=LAST, status=204),
    route("GET", I + "/{image_id}/metadata", list_image_metadata, policy=ANY_USER, max_version=LAST),
    route("GET", I + "/{image_id}/metadata/{key}", show_image_metadata_item, policy=ANY_USER, max_version=LAST),
    route("POST", I + "/{image_id}/metadata", create_image_metadata, policy=ANY_USER, max_version=LAST, body=META),
    route("PUT", I + "/{image_id}/metadata", replace_image_metadata, policy=ANY_USER, max_version=LAST, body=META),
    route("PUT", I + "/{image_id}/metadata/{key}", update_image_metadata_item, policy=ANY_USER, max_version=LAST,
          body=META_ITEM),
    route("DELETE", I + "/{image_id}/metadata/{key}", delete_image_metadata_item, policy=ANY_USER, max_version=LAST,
          status=204),
]
