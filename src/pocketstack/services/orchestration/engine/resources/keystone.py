"""Keystone resource types: OS::Keystone::Project, User, Role, Group, Domain, UserRoleAssignment,
GroupRoleAssignment, Region, Service, Endpoint and the keystone.* constraints
(heat/engine/resources/openstack/keystone/*.py, engine/clients/os/keystone/*)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pocketstack.services.orchestration.engine.clients import ClientError, Clients
from pocketstack.services.orchestration.engine.properties import AllowedValues, Custom, Prop, ValidationError
from pocketstack.services.orchestration.engine.resource import Attr, Resource

# --- name resolution and constraints ------------------------------------------------------

_ENTITIES = {"project": "KeystoneProject", "user": "KeystoneUser", "role": "KeystoneRole",
             "group": "KeystoneGroup", "domain": "KeystoneDomain", "region": "KeystoneRegion",
             "service": "KeystoneService"}


def find_id(clients: Clients, kind: str, name_or_id: str) -> str:
    """An identity entity's id from its name or id (Heat's keystone client plugin get_<kind>_id)."""
    identity = clients("identity")
    try:
        if kind == "region":    # regions have no name: the id is all there is
            return str(identity.get(f"/regions/{quote(name_or_id, safe='')}")["region"]["id"])
        return str(identity.find(f"{kind}s", name_or_id, kind)["id"])
    except ClientError as exc:
        if exc.status in (404, 409):
            raise ClientError(404, f"The {_ENTITIES[kind]} ({name_or_id}) could not be found.") from None
        raise


def _check(kind: str) -> Any:
    def check(clients: Clients, value: Any) -> str | None:
        try:
            find_id(clients, kind, value)
        except ClientError as exc:
            return exc.message
        return None
    return check


CONSTRAINTS = {f"keystone.{kind}": _check(kind) for kind in _ENTITIES}


# --- a keystone entity with a create body and an update body -------------------------------


class _Entity(Resource):
    """Keystone entities share one shape: POST /<kind>s, PATCH and DELETE /<kind>s/{id}."""

    kind = ""
    named = True     # whether the entity takes `name` (defaulting to the physical name)

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls.entity = ("identity", f"/{cls.kind}s/{{id}}", cls.kind)

    def _body(self, props: dict[str, Any]) -> dict[str, Any]:
        """The API body for these (already changed) properties."""
        return {k: v for k, v in props.items() if k != "name"}

    def _name(self) -> str:
        return str(self.properties.get("name") or self.physical_resource_name())

    def handle_create(self) -> None:
        body = self._body(self.properties)
        if self.named:
            body["name"] = self._name()
        created = self.client("identity").post(f"/{self.kind}s", json={self.kind: body})[self.kind]
        self.resource_id_set(created["id"])
        self.after_create()

    def after_create(self) -> None:
        """Memberships and role grants that follow the create."""

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        body = self._body({k: self.properties[k] for k in prop_diff})
        if self.named and "name" in prop_diff:
            body["name"] = self._name()
        if body:
            self.client("identity").patch(self._path(), json={self.kind: body})
        self.after_update(prop_diff)

    def after_update(self, prop_diff: dict[str, Any]) -> None:
        """Memberships and role grants that follow the update."""

    def _path(self) -> str:
        # quirk: Heat url-quotes a region's id on create, so the id itself may hold "%"
        return f"/{self.kind}s/{quote(str(self.resource_id), safe='')}"

    def handle_delete(self) -> None:
        if self.resource_id is not None:
            self.client("identity").delete(self._path())

    def check_delete_complete(self) -> bool:
        return True

    def show(self) -> Any:
        if self.resource_id is None:
            return None
        try:
            return self.client("identity").get(self._path())[self.kind]
        except ClientError as exc:
            if exc.status == 404:
                return None
            raise

    def resolve_attribute(self, name: str) -> Any:
        if self.resource_id is None or name not in self.attributes_schema:
            return None
        return (self.show() or {}).get(name)


def _dropped(props: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in keys}


# --- role assignments (the mixin Heat adds to User and Group) -------------------------------

_ROLES = Prop("list", "List of role assignments.", update_allowed=True, schema=Prop(
    "map", "Map between role with either project or domain.", schema={
        "role": Prop("string", "Keystone role.", required=True, constraints=[Custom(name="keystone.role")]),
        "project": Prop("string", "Keystone project.", constraints=[Custom(name="keystone.project")]),
        "domain": Prop("string", "Keystone domain.", constraints=[Custom(name="keystone.domain")]),
    }))


class _RoleAssignments:
    """Grants for the `roles` property; applied grants are kept in data["grants"] so an update knows
    what the old property value granted."""

    properties: dict[str, Any]
    data: dict[str, Any]
    stack: Any

    def validate_roles(self) -> None:
        for item in self.properties.get("roles") or []:
            if item.get("project") is not None and item.get("domain") is not None:
                raise ValidationError("Cannot define the following properties at the same time: project, domain")
            if item.get("project") is None and item.get("domain") is None:
                raise ValidationError(f"Either project or domain must be specified for role {item.get('role')}")

    def _grants(self) -> list[list[str]]:
        out = []
        for item in self.properties.get("roles") or []:
            scope = "projects" if item.get("project") else "domains"
            target = find_id(self.stack.clients, scope[:-1], item.get("project") or item["domain"])
            out.append([scope, target, find_id(self.stack.clients, "role", item["role"])])
        return out

    def _grant(self, actor: str, grants: list[list[str]], method: str) -> None:
        identity = self.stack.clients("identity")
        for scope, target, role in grants:
            path = f"/{scope}/{target}/{actor}/roles/{role}"
            if method == "PUT":
                identity.put(path)
            else:
                identity.delete(path)

    def apply_roles(self, actor: str) -> None:
        """actor: 'users/<id>' or 'groups/<id>'."""
        old, new = self.data.get("grants") or [], self._grants()
        self._grant(actor, [g for g in old if g not in new], "DELETE")
        self._grant(actor, [g for g in new if g not in old], "PUT")
        self.data["grants"] = new

    def revoke_roles(self, actor: str) -> None:
        self._grant(actor, self.data.get("grants") or [], "DELETE")
        self.data["grants"] = []


# --- the types ---------------------------------------------------------------------------------


class Project(_Entity):
    type_name = "OS::Keystone::Project"
    description = "Heat Template Resource for Keystone Project."
    kind = "project"
    properties_schema = {
        "name": Prop("string", "Name of keystone project.", update_allowed=True),
        "domain": Prop("string", "Name or id of keystone domain.", default="default", update_allowed=True,
                       constraints=[Custom(name="keystone.domain")]),
        "description": Prop("string", "Description of keystone project.", default="", update_allowed=True),
        "enabled": Prop("boolean", "This project is enabled or disabled.", default=True, update_allowed=True),
        "parent": Prop("string", "The name or ID of parent of this keystone project in hierarchy.",
                       constraints=[Custom(name="keystone.project")]),
        "tags": Prop("list", "A list of tags for labeling and sorting projects.", default=[], update_allowed=True),
    }
    attributes_schema = {"name": Attr("Project name.", "string"), "parent_id": Attr("Parent project id.", "string"),
                         "domain_id": Attr("Domain id for project.", "string"),
                         "enabled": Attr("Flag of enable project.", "boolean"),
                         "is_domain": Attr("Indicates whether the project also acts as a domain.", "boolean")}

    def _body(self, props: dict[str, Any]) -> dict[str, Any]:
        body = _dropped(props, "name", "domain", "parent")
        if "domain" in props:
            body["domain_id"] = find_id(self.stack.clients, "domain", props["domain"])
        if props.get("parent"):
            body["parent_id"] = find_id(self.stack.clients, "project", props["parent"])
        return body

    def handle_delete(self) -> None:
        if self.resource_id is None:
            return
        network = self.client("network")
        # Neutron made a "default" security group for the project; Heat deletes it too
        groups = network.get("/security-groups", params={"project_id": self.resource_id, "name": "default"})
        for group in groups.get("security_groups", []):
            network.delete(f"/security-groups/{group['id']}")
        super().handle_delete()


class Domain(_Entity):
    type_name = "OS::Keystone::Domain"
    description = "Heat Template Resource for Keystone Domain."
    kind = "domain"
    properties_schema = {
        "name": Prop("string", "The name of the domain.", update_allowed=True),
        "description": Prop("string", "Description of keystone domain.", update_allowed=True),
        "enabled": Prop("boolean", "This domain is enabled or disabled.", default=True, update_allowed=True),
    }

    def handle_delete(self) -> None:
        if self.resource_id is not None:
            # keystone refuses to delete an enabled domain
            try:
                self.client("identity").patch(self._path(), json={"domain": {"enabled": False}})
            except ClientError as exc:
                if exc.status != 404:
                    raise
        super().handle_delete()


class Role(_Entity):
    type_name = "OS::Keystone::Role"
    description = "Heat Template Resource for Keystone Role."
    kind = "role"
    properties_schema = {
        "name": Prop("string", "Name of keystone role.", update_allowed=True),
        "domain": Prop("string", "Name or id of keystone domain.", constraints=[Custom(name="keystone.domain")]),
    }

    def _body(self, props: dict[str, Any]) -> dict[str, Any]:
        if props.get("domain"):
            return {"domain_id": find_id(self.stack.clients, "domain", props["domain"])}
        return {}


class Group(_Entity, _RoleAssignments):
    type_name = "OS::Keystone::Group"
    description = "Heat Template Resource for Keystone Group."
    kind = "group"
    properties_schema = {
        "name": Prop("string", "Name of keystone group.", update_allowed=True),
        "domain": Prop("string", "Name or id of keystone domain.", default="default", update_allowed=True,
                       constraints=[Custom(name="keystone.domain")]),
        "description": Prop("string", "Description of keystone group.", default="", update_allowed=True),
        "roles": _ROLES,
    }

    def validate(self) -> None:
        self.validate_roles()

    def _body(self, props: dict[str, Any]) -> dict[str, Any]:
        body = _dropped(props, "name", "domain", "roles")
        if "domain" in props:
            body["domain_id"] = find_id(self.stack.clients, "domain", props["domain"])
        return body

    def after_create(self) -> None:
        self.apply_roles(f"groups/{self.resource_id}")

    def after_update(self, prop_diff: dict[str, Any]) -> None:
        if "roles" in prop_diff:
            self.apply_roles(f"groups/{self.resource_id}")


class User(_Entity, _RoleAssignments):
    type_name = "OS::Keystone::User"
    description = "Heat Template Resource for Keystone User."
    kind = "user"
    properties_schema = {
        "name": Prop("string", "Name of keystone user.", update_allowed=True),
        "domain": Prop("string", "Name or ID of keystone domain.", default="default", update_allowed=True,
                       constraints=[Custom(name="keystone.domain")]),
        "description": Prop("string", "Description of keystone user.", default="", update_allowed=True),
        "enabled": Prop("boolean", "Keystone user is enabled or disabled.", default=True, update_allowed=True),
        "email": Prop("string", "Email address of keystone user.", update_allowed=True),
        "password": Prop("string", "Password of keystone user.", update_allowed=True),
        "default_project": Prop("string", "Name or ID of default project of keystone user.", update_allowed=True,
                                constraints=[Custom(name="keystone.project")]),
        "groups": Prop("list", "Keystone user groups.", update_allowed=True,
                       schema=Prop("string", "Keystone user group.", constraints=[Custom(name="keystone.group")])),
        "roles": _ROLES,
    }
    attributes_schema = {"name": Attr("User name.", "string"),
                         "default_project_id": Attr("Default project id for user.", "string"),
                         "domain_id": Attr("Domain id for user.", "string"),
                         "enabled": Attr("Flag of enable user.", "boolean"),
                         "password_expires_at": Attr("Show user password expiration time.", "string")}

    def validate(self) -> None:
        self.validate_roles()

    def _body(self, props: dict[str, Any]) -> dict[str, Any]:
        body = _dropped(props, "name", "domain", "default_project", "groups", "roles")
        body = {k: v for k, v in body.items() if v is not None}
        if "domain" in props:
            body["domain_id"] = find_id(self.stack.clients, "domain", props["domain"])
        if props.get("default_project"):
            body["default_project_id"] = find_id(self.stack.clients, "project", props["default_project"])
        return body

    def _apply_groups(self) -> None:
        identity = self.client("identity")
        old = set(self.data.get("groups") or [])
        new = [find_id(self.stack.clients, "group", g) for g in self.properties["groups"] or []]
        for group in old - set(new):
            identity.delete(f"/groups/{group}/users/{self.resource_id}")
        for group in set(new) - old:
            identity.put(f"/groups/{group}/users/{self.resource_id}")
        self.data["groups"] = new

    def after_create(self) -> None:
        self._apply_groups()
        self.apply_roles(f"users/{self.resource_id}")

    def after_update(self, prop_diff: dict[str, Any]) -> None:
        if "groups" in prop_diff:
            self._apply_groups()
        if "roles" in prop_diff:
            self.apply_roles(f"users/{self.resource_id}")


class _Assignment(Resource, _RoleAssignments):
    """User/GroupRoleAssignment: the roles of an actor the stack does not own."""

    actor = ""

    def validate(self) -> None:
        self.validate_roles()

    def _actor(self) -> str:
        return f"{self.actor}s/{find_id(self.stack.clients, self.actor, self.properties[self.actor])}"

    def handle_create(self) -> None:
        self.data["actor"] = self._actor()
        self.apply_roles(self.data["actor"])
        self.resource_id_set(self.stack.physical_name(self.name))

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        actor = self._actor()
        if actor != self.data.get("actor"):
            self.revoke_roles(self.data["actor"])
            self.data["actor"] = actor
        self.apply_roles(actor)

    def handle_delete(self) -> None:
        if self.data.get("actor"):
            try:
                self.revoke_roles(self.data["actor"])
            except ClientError as exc:
                if exc.status != 404:
                    raise


class UserRoleAssignment(_Assignment):
    type_name = "OS::Keystone::UserRoleAssignment"
    description = "Resource for granting roles to a user."
    actor = "user"
    properties_schema = {"user": Prop("string", "Name or id of keystone user.", required=True, update_allowed=True,
                                      constraints=[Custom(name="keystone.user")]),
                         "roles": _ROLES}


class GroupRoleAssignment(_Assignment):
    type_name = "OS::Keystone::GroupRoleAssignment"
    description = "Resource for granting roles to a group."
    actor = "group"
    properties_schema = {"group": Prop("string", "Name or id of keystone group.", required=True,
                                       update_allowed=True, constraints=[Custom(name="keystone.group")]),
                         "roles": _ROLES}


class Region(_Entity):
    type_name = "OS::Keystone::Region"
    description = "Heat Template Resource for Keystone Region."
    kind = "region"
    named = False
    properties_schema = {
        "id": Prop("string", "The user-defined region ID and should unique to the OpenStack deployment. While "
                   "creating the region, heat will url encode this ID."),
        "parent_region": Prop("string", "If the region is hierarchically a child of another region, set this "
                              "parameter to the ID of the parent region.", update_allowed=True,
                              constraints=[Custom(name="keystone.region")]),
        "description": Prop("string", "Description of keystone region.", update_allowed=True),
        "enabled": Prop("boolean", "This region is enabled or disabled.", default=True, update_allowed=True),
    }

    def _body(self, props: dict[str, Any]) -> dict[str, Any]:
        body = _dropped(props, "id", "parent_region")
        if props.get("id"):
            body["id"] = quote(props["id"])
        if "parent_region" in props:
            body["parent_region_id"] = props["parent_region"]
        return {k: v for k, v in body.items() if v is not None or k == "parent_region_id"}


class Service(_Entity):
    type_name = "OS::Keystone::Service"
    description = "Heat Template Resource for Keystone Service."
    kind = "service"
    properties_schema = {
        "name": Prop("string", "Name of keystone service.", update_allowed=True),
        "description": Prop("string", "Description of keystone service.", update_allowed=True),
        "type": Prop("string", "Type of keystone Service.", required=True, update_allowed=True),
        "enabled": Prop("boolean", "This service is enabled or disabled.", default=True, update_allowed=True),
    }

    def _body(self, props: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in props.items() if k != "name" and v is not None}


class Endpoint(_Entity):
    type_name = "OS::Keystone::Endpoint"
    description = "Heat Template Resource for Keystone Service Endpoint."
    kind = "endpoint"
    properties_schema = {
        "name": Prop("string", "Name of keystone endpoint.", update_allowed=True),
        "region": Prop("string", "Name or Id of keystone region.", update_allowed=True,
                       constraints=[Custom(name="keystone.region")]),
        "service": Prop("string", "Name or Id of keystone service.", required=True, update_allowed=True,
                        constraints=[Custom(name="keystone.service")]),
        "interface": Prop("string", "Interface type of keystone service endpoint.", required=True,
                          update_allowed=True, constraints=[AllowedValues(allowed=["public", "internal", "admin"])]),
        "url": Prop("string", "URL of keystone service endpoint.", required=True, update_allowed=True),
        "enabled": Prop("boolean", "This endpoint is enabled or disabled.", default=True, update_allowed=True),
    }

    def _body(self, props: dict[str, Any]) -> dict[str, Any]:
        body = _dropped(props, "name", "region", "service")
        if props.get("region"):
            body["region_id"] = find_id(self.stack.clients, "region", props["region"])
        if props.get("service"):
            body["service_id"] = find_id(self.stack.clients, "service", props["service"])
        return {k: v for k, v in body.items() if v is not None}


TYPES: list[type[Resource]] = [Project, User, Role, Group, Domain, UserRoleAssignment, GroupRoleAssignment,
                               Region, Service, Endpoint]
