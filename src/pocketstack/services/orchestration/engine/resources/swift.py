"""Swift resource type: OS::Swift::Container (heat/engine/resources/openstack/swift/container.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlparse

from pocketstack.core import internal_client
from pocketstack.services.orchestration.engine.clients import ClientError
from pocketstack.services.orchestration.engine.properties import Prop
from pocketstack.services.orchestration.engine.resource import Attr, Resource, ResourceError


class ResourceActionNotSupported(ResourceError):
    type_name = "ResourceActionNotSupported"

    def __init__(self, action: str) -> None:
        super().__init__(f"{action} is not supported for resource.")


def _meta_headers(kind: str, meta: dict[str, Any] | None) -> dict[str, str]:
    """Each key gets the X-<Kind>-Meta- prefix (Heat's _build_meta_headers)."""
    return {f"X-{kind.title()}-Meta-{k}": str(v) for k, v in (meta or {}).items()}


class Container(Resource):
    type_name = "OS::Swift::Container"
    description = "A resource for managing Swift containers."
    properties_schema = {
        "name": Prop("string", "Name for the container. If not specified, a unique name will be generated."),
        "X-Container-Read": Prop("string", "Specify the ACL permissions on who can read objects in the "
                                 "container."),
        "X-Container-Write": Prop("string", "Specify the ACL permissions on who can write objects to the "
                                  "container."),
        "X-Container-Meta": Prop("map", "A map of user-defined meta data to associate with the container. Each "
                                 "key in the map will set the header X-Container-Meta-{key} with the "
                                 "corresponding value.", default={}),
        "X-Account-Meta": Prop("map", "A map of user-defined meta data to associate with the account. Each key in "
                               "the map will set the header X-Account-Meta-{key} with the corresponding value.",
                               default={}),
        "PurgeOnDelete": Prop("boolean", "If True, delete any objects in the container when the container is "
                              "deleted. Otherwise, deleting a non-empty container will result in an error.",
                              default=False),
    }
    attributes_schema = {
        "DomainName": Attr("The host from the container URL.", "string"),
        "WebsiteURL": Attr("The URL of the container.", "string"),
        "RootURL": Attr("The parent URL of the container.", "string"),
        "ObjectCount": Attr("The number of objects stored in the container.", "integer"),
        "BytesUsed": Attr("The number of bytes stored in the container.", "integer"),
        "HeadContainer": Attr("A map containing all headers for the container.", "map"),
    }

    def physical_resource_name(self, max_length: int | None = None) -> str:
        return str(self.properties["name"] or super().physical_resource_name(max_length))

    def _path(self, obj: str | None = None) -> str:
        path = "/" + quote(str(self.resource_id), safe="")
        return path + "/" + quote(obj, safe="") if obj else path

    def handle_create(self) -> None:
        name = self.physical_resource_name()
        headers = _meta_headers("container", self.properties["X-Container-Meta"])
        for key in ("X-Container-Read", "X-Container-Write"):
            if self.properties[key] is not None:
                headers[key] = self.properties[key]
        swift = self.client("object-store")
        swift.put("/" + quote(name, safe=""), headers=headers)
        account = _meta_headers("account", self.properties["X-Account-Meta"])
        if account:
            swift.post("", headers=account)
        self.resource_id_set(name)

    def _objects(self) -> list[dict[str, Any]] | None:
        """The container's objects, None when the container is gone."""
        try:
            return list(self.client("object-store").get(self._path(), params={"format": "json"}) or [])
        except ClientError as exc:
            if exc.status == 404:
                return None
            raise

    def handle_delete(self) -> None:
        if self.resource_id is None:
            return
        objects = self._objects()
        if objects and not self.properties["PurgeOnDelete"]:
            raise ResourceActionNotSupported(f"Deleting non-empty container ({self.resource_id}) when "
                                             "PurgeOnDelete is False")

    def check_delete_complete(self) -> bool:
        """Delete one object per check, then the container (Heat deletes them the same way)."""
        if self.resource_id is None:
            return True
        objects = self._objects()
        if objects is None:
            return True
        swift = self.client("object-store")
        if objects:
            swift.delete(self._path(objects[-1]["name"]))
            return len(objects) == 1 and self._delete_container()
        return self._delete_container()

    def _delete_container(self) -> bool:
        self.client("object-store").delete(self._path())
        return True

    def handle_check(self) -> None:
        self.client("object-store").get(self._path(), params={"format": "json"})

    def get_reference_id(self) -> Any:
        return str(self.resource_id) if self.resource_id is not None else self.name

    def _storage_url(self) -> str:
        """The account URL from the catalog, as swiftclient's `url`."""
        catalog = self.client("identity").get("/auth/catalog")["catalog"]
        for service in catalog:
            if service["type"] != "object-store":
                continue
            ends = [e for e in service["endpoints"] if e["interface"] == "public"] or service["endpoints"]
            in_region = [e for e in ends if e.get("region_id", e.get("region")) == self.stack.region] or ends
            if in_region:
                return str(in_region[0]["url"]).rstrip("/")
        raise ResourceError("No object-store endpoint in the service catalog")

    def _head(self) -> dict[str, str] | None:
        swift = self.client("object-store")
        r = internal_client.call("HEAD", swift.base + self._path(), token=swift.token_source(),
                                 headers=dict(swift.headers))
        if r.status_code >= 400:
            return None     # Heat logs a warning and gives no value
        return {k.lower(): v for k, v in r.headers.items()}

    def resolve_attribute(self, name: str) -> Any:
        if name in ("DomainName", "WebsiteURL", "RootURL"):
            url = urlparse(self._storage_url())
            if name == "DomainName":
                return url.netloc.split(":")[0]
            root = f"{url.scheme}://{url.netloc}{url.path}"
            return root if name == "RootURL" else f"{root}/{self.resource_id}"
        if self.resource_id is None or name not in ("ObjectCount", "BytesUsed", "HeadContainer"):
            return None
        headers = self._head()
        if headers is None:
            return None
        if name == "ObjectCount":
            return headers.get("x-container-object-count")
        if name == "BytesUsed":
            return headers.get("x-container-bytes-used")
        return headers

    def show(self) -> Any:
        return self._head() if self.resource_id is not None else None


TYPES: list[type[Resource]] = [Container]
CONSTRAINTS: dict[str, Any] = {}
