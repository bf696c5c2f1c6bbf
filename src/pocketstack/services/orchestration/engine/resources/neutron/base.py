"""Shared machinery of the OS::Neutron::* plugins (heat/engine/resources/openstack/neutron/neutron.py
and the name-or-id finder of heat/engine/clients/os/neutron)."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from pocketstack.services.orchestration.engine.clients import ApiClient, ClientError
from pocketstack.services.orchestration.engine.properties import ValidationError
from pocketstack.services.orchestration.engine.resource import Resource, ResourceError, ResourceInError

# neutronclient's resource names (they appear in its messages) -> (URL collection, body key)
FINDERS = {
    "network": ("networks", "network"), "subnet": ("subnets", "subnet"), "port": ("ports", "port"),
    "router": ("routers", "router"), "security_group": ("security-groups", "security_group"),
    "subnetpool": ("subnetpools", "subnetpool"), "address_scope": ("address-scopes", "address_scope"),
    "policy": ("qos/policies", "policy"), "segment": ("segments", "segment"),
}


class HeatError(ResourceError):
    """One of Heat's named exceptions (EntityNotFound, PhysicalResourceExists ...): the engine prints
    type_name before the message as Heat prints the class name."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(message)
        self.type_name = type_name


def find(client: ApiClient, resource: str, name_or_id: str) -> dict[str, Any]:
    """The body of a neutron resource named by id or unique name, with neutronclient's messages."""
    collection, key = FINDERS[resource]
    try:
        return client.find(collection, str(name_or_id), key)
    except ClientError as exc:
        if exc.status == 404:
            raise ClientError(404, f"Unable to find {resource} with name or id '{name_or_id}'") from None
        if exc.status == 409:
            raise ClientError(409, f"Multiple {resource} matches found for name '{name_or_id}', use an ID "
                                   "to be more specific.") from None
        raise


def conflict(*props: str) -> ValidationError:
    return ValidationError(f"Cannot define the following properties at the same time: {', '.join(props)}.")


def unspecified(*props: str) -> ValidationError:
    return ValidationError(f"At least one of the following properties must be specified: {', '.join(props)}.")


class NeutronResource(Resource):
    """A resource that is one item of a /v2.0 collection."""

    collection: ClassVar[str] = ""        # URL collection under /v2.0, e.g. "networks", "qos/policies"
    body_key: ClassVar[str] = ""          # the request/response wrapper key, e.g. "network"
    aliases: ClassVar[dict[str, str]] = {}  # hidden deprecated property -> the property replacing it
    has_status: ClassVar[bool] = False    # create/update complete when status is ACTIVE or DOWN
    # quirk: only plugins that do not override validate() get Heat's value_specs check (the others
    # call super().validate() and drop the message it returns)
    check_value_specs: ClassVar[bool] = False

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.collection and "entity" not in cls.__dict__:
            cls.entity = ("network", f"/{cls.collection}/{{id}}", cls.body_key)

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.properties = self.translate(dict(self.properties))

    def translate(self, props: dict[str, Any]) -> dict[str, Any]:
        """Heat's REPLACE translation rules (old property names) and the resource description as the
        default of an updatable description property."""
        for old, new in self.aliases.items():
            value = props.pop(old, None)
            if props.get(new) is None and value is not None:
                props[new] = value
        desc = self.properties_schema.get("description")
        if desc is not None and desc.update_allowed and props.get("description") is None:
            text = self.definition.get("description")
            if isinstance(text, str):
                props["description"] = text
        return props

    # --- helpers ---------------------------------------------------------------------------
    @property
    def neutron(self) -> ApiClient:
        return self.client("network")

    def find_id(self, resource: str, name_or_id: Any) -> str | None:
        if name_or_id in (None, ""):
            return None
        return str(find(self.neutron, resource, name_or_id)["id"])

    def item_path(self) -> str:
        return f"/{self.collection}/{self.resource_id}"

    def prepare(self) -> dict[str, Any]:
        """Heat's prepare_properties: the non-null properties, name defaulted, value_specs merged."""
        body = {k: copy.deepcopy(v) for k, v in self.properties.items() if v is not None}
        if "name" in self.properties_schema:
            body.setdefault("name", self.physical_resource_name())
        body.update(body.pop("value_specs", None) or {})
        return body

    def prepare_update(self, prop_diff: dict[str, Any]) -> dict[str, Any]:
        """Heat's prepare_update_properties: value_specs merged, a removed name back to the default."""
        diff = copy.deepcopy(dict(prop_diff))
        for old, new in self.aliases.items():
            if old in diff:
                diff.setdefault(new, self.properties.get(new))
                del diff[old]
        if "value_specs" in diff:
            diff.update(diff.pop("value_specs") or {})
        if "name" in diff and diff["name"] is None:
            diff["name"] = self.physical_resource_name()
        if "description" in diff and diff["description"] is None:
            diff["description"] = ""    # neutron refuses a null description; Heat would fail the update here
        return diff

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        made: dict[str, Any] = self.neutron.post(f"/{self.collection}", json={self.body_key: body})[self.body_key]
        self.resource_id_set(made["id"])
        return made

    def update(self, body: dict[str, Any]) -> None:
        if body:
            self.neutron.put(self.item_path(), json={self.body_key: body})

    def set_tags(self, tags: list[str] | None) -> None:
        self.neutron.put(f"{self.item_path()}/tags", json={"tags": tags or []})

    def live(self) -> dict[str, Any]:
        body: dict[str, Any] = self.neutron.get(self.item_path())[self.body_key]
        return body

    def is_built(self) -> bool:
        status = self.live().get("status")
        if status == "BUILD":
            return False
        if status in ("ACTIVE", "DOWN"):
            return True
        if status in ("ERROR", "DEGRADED"):
            raise ResourceInError(str(status))
        raise HeatError("ResourceUnknownStatus",
                        f'Resource is not built - Unknown status {status} due to "Unknown"')

    # --- the step protocol -------------------------------------------------------------------
    def validate(self) -> None:
        specs = self.properties.get("value_specs")
        if self.check_value_specs and specs:
            found = sorted({"shared", "tenant_id", *self.properties_schema} & set(specs))
            if found:
                raise ValidationError(f"{', '.join(found)} not allowed in value_specs")

    def check_create_complete(self) -> bool:
        return self.is_built() if self.has_status else True

    def check_update_complete(self) -> bool:
        return self.is_built() if self.has_status else True

    def handle_delete(self) -> None:
        if self.resource_id is not None:
            self.neutron.delete(self.item_path())

    def check_delete_complete(self) -> bool:
        return self.resource_id is None or self.show() is None

    def handle_check(self) -> None:
        if self.resource_id is not None:
            self.live()

    def show(self) -> Any:
        if self.resource_id is None:
            return None
        try:
            return self.live()
        except ClientError as exc:
            if exc.status == 404:
                return None
            raise

    def resolve_attribute(self, name: str) -> Any:
        body = self.show()
        return body.get(name) if isinstance(body, dict) else None
