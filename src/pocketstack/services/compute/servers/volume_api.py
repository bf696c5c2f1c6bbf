"""Nova's cinder client: the block storage service's REST API through the in-process client, with the caller's
token (nova/volume/cinder.py: get, attachment_create, attachment_complete, attachment_delete, create, delete)."""

from __future__ import annotations

import time
from typing import Any

from pocketstack.core import hosts, internal_client
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest
from pocketstack.core.internal_client import Auth
from pocketstack.services.compute import versions as v

HEADERS = {"OpenStack-API-Version": "volume 3.44"}
CONNECTOR = {"platform": "x86_64", "os_type": "linux", "ip": "127.0.0.1", "host": "pocketstack",
             "multipath": False, "initiator": "iqn.2004-10.com.ubuntu:01:pocketstack", "do_local_attach": False}


def connector(host: str | None, device: str) -> dict[str, Any]:
    """os-brick's connector of the compute host that runs the server (nova's CONF.host: the
    attachment's host_name), else this process's host."""
    return {**CONNECTOR, "host": host or hosts.NAME, "mountpoint": device}


class VolumeError(Exception):
    """The block storage service refused a call an attach or build needed."""


def _url(project_id: str, path: str) -> str:
    return f"/volume/v3/{project_id}{path}"


def _message(r: Any) -> str:
    try:
        body = r.json()
        return str(next(iter(body.values())).get("message", r.text))
    except (ValueError, AttributeError, StopIteration):
        return r.text


def get(token: Auth | None, project_id: str, volume_id: str) -> dict[str, Any] | None:
    r = internal_client.call("GET", _url(project_id, f"/volumes/{volume_id}"), token=token, headers=HEADERS)
    return r.json()["volume"] if r.status_code == 200 else None


def check_multiattach(ctx: Context) -> None:
    """nova's MultiattachNotSupportedOldMicroversion: a multiattach volume needs compute 2.60."""
    if ctx.version < v.MULTIATTACH:
        raise BadRequest("Multiattach volumes are only supported starting with compute API version 2.60.")


def attach(token: Auth | None, project_id: str, volume_id: str, server_id: str, device: str,
           host: str | None = None) -> str:
    """attachment_create with the connector of `host` (the server's), then os-complete: the volume
    ends in-use."""
    body = {"attachment": {"volume_uuid": volume_id, "instance_uuid": server_id,
                           "connector": connector(host, device)}}
    r = internal_client.call("POST", _url(project_id, "/attachments"), token=token, headers=HEADERS, json=body)
    if r.status_code != 200:
        raise VolumeError(_message(r))
    attachment_id = str(r.json()["attachment"]["id"])
    r = internal_client.call("POST", _url(project_id, f"/attachments/{attachment_id}/action"), token=token,
                             headers=HEADERS, json={"os-complete": None})
    if r.status_code >= 400:
        raise VolumeError(_message(r))
    return attachment_id


def reserve(token: Auth | None, project_id: str, volume_id: str, server_id: str) -> str:
    """attachment_create without a connector: the volume is reserved for the server (nova's rebuild
    reserves the root volume it is already attached to, which cinder allows the same server)."""
    body = {"attachment": {"volume_uuid": volume_id, "instance_uuid": server_id}}
    r = internal_client.call("POST", _url(project_id, "/attachments"), token=token, headers=HEADERS, json=body)
    if r.status_code != 200:
        raise VolumeError(_message(r))
    return str(r.json()["attachment"]["id"])


def connect(token: Auth | None, project_id: str, attachment_id: str, device: str, host: str | None = None) -> None:
    """attachment_update with the connector of `host`, then os-complete: a reserved volume ends in-use."""
    update_attachment(token, project_id, attachment_id, device, host)
    complete(token, project_id, attachment_id)


def update_attachment(token: Auth | None, project_id: str, attachment_id: str, device: str,
                      host: str | None = None) -> dict[str, Any]:
    """attachment_update with the connector of `host`: the connection info the host needs."""
    r = internal_client.call("PUT", _url(project_id, f"/attachments/{attachment_id}"), token=token, headers=HEADERS,
                             json={"attachment": {"connector": connector(host, device)}})
    if r.status_code != 200:
        raise VolumeError(_message(r))
    return dict(r.json()["attachment"].get("connection_info") or {})


def complete(token: Auth | None, project_id: str, attachment_id: str) -> None:
    r = internal_client.call("POST", _url(project_id, f"/attachments/{attachment_id}/action"), token=token,
                             headers=HEADERS, json={"os-complete": None})
    if r.status_code >= 400:
        raise VolumeError(_message(r))


def connection_info(token: Auth | None, project_id: str, attachment_id: str) -> dict[str, Any]:
    r = internal_client.call("GET", _url(project_id, f"/attachments/{attachment_id}"), token=token, headers=HEADERS)
    return dict(r.json()["attachment"].get("connection_info") or {}) if r.status_code == 200 else {}


def volume_action(token: Auth | None, project_id: str, volume_id: str, action: str, args: Any = None) -> Any:
    """POST /volumes/{id}/action: os-begin_detaching, os-roll_detaching, os-migrate_volume_completion."""
    r = internal_client.call("POST", _url(project_id, f"/volumes/{volume_id}/action"), token=token, headers=HEADERS,
                             json={action: args})
    if r.status_code >= 400:
        raise VolumeError(_message(r))
    return r.json() if r.content else None


def reimage(token: Auth | None, project_id: str, volume_id: str, image_id: str, timeout: float) -> None:
    """os-reimage of a volume reserved for the server (volume 3.68), waited for as nova waits for cinder's
    `volume-reimaged` event (reimage_timeout_per_gb)."""
    r = internal_client.call("POST", _url(project_id, f"/volumes/{volume_id}/action"), token=token,
                             headers={"OpenStack-API-Version": "volume 3.68"},
                             json={"os-reimage": {"image_id": image_id, "reimage_reserved": True}})
    if r.status_code != 202:
        raise VolumeError(_message(r))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        vol = get(token, project_id, volume_id)
        if vol is None or vol["status"] == "error":
            raise VolumeError(f"Volume {volume_id} could not be reimaged with image {image_id}.")
        if vol["status"] != "downloading":
            return
        time.sleep(0.5)
    raise VolumeError(f"Volume {volume_id} was not reimaged within {timeout:.0f} seconds.")


def detach(token: Auth | None, project_id: str, attachment_id: str | None) -> None:
    if attachment_id:
        internal_client.call("DELETE", _url(project_id, f"/attachments/{attachment_id}"), token=token,
                             headers=HEADERS)


def delete(token: Auth | None, project_id: str, volume_id: str) -> None:
    internal_client.call("DELETE", _url(project_id, f"/volumes/{volume_id}"), token=token, headers=HEADERS)


def create(token: Auth | None, project_id: str, volume: dict[str, Any], timeout: float = 120) -> str:
    """A volume (blank, from an image or a snapshot), waited for until available."""
    r = internal_client.call("POST", _url(project_id, "/volumes"), token=token, headers=HEADERS,
                             json={"volume": {k: val for k, val in volume.items() if val is not None}})
    if r.status_code != 202:
        raise VolumeError(_message(r))
    volume_id = str(r.json()["volume"]["id"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        vol = get(token, project_id, volume_id)
        if vol and vol["status"] == "available":
            return volume_id
        if vol is None or vol["status"] == "error":
            raise VolumeError(f"Volume {volume_id} did not finish being created even after we waited.")
        time.sleep(0.2)
    raise VolumeError(f"Volume {volume_id} did not finish being created even after we waited {timeout} seconds.")


def get_snapshot(token: str | None, project_id: str, snapshot_id: str) -> dict[str, Any] | None:
    r = internal_client.call("GET", _url(project_id, f"/snapshots/{snapshot_id}"), token=token,
                             headers=HEADERS)
    return r.json()["snapshot"] if r.status_code == 200 else None


def create_snapshot_force(token: str | None, project_id: str, volume_id: str, name: str,
                          description: str | None) -> dict[str, Any]:
    """A snapshot of a volume that may be in use (nova's create_snapshot_force, for createImage of a
    volume-backed server)."""
    body = {"snapshot": {"volume_id": volume_id, "force": True, "name": name, "description": description}}
    r = internal_client.call("POST", _url(project_id, "/snapshots"), token=token, headers=HEADERS, json=body)
    if r.status_code != 202:
        raise VolumeError(_message(r))
    return dict(r.json()["snapshot"])
