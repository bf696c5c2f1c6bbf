"""OS::Heat software config and deployment types (heat/engine/resources/openstack/heat/software_config.py,
structured_config.py, cloud_config.py, multi_part.py, software_component.py, software_deployment.py),
over this cloud's own /software_configs and /software_deployments REST API."""

from __future__ import annotations

import json
import os
import uuid
from email import message_from_string
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any
from urllib.parse import quote, urlsplit

import yaml

from pocketstack.services.orchestration.engine.clients import ApiClient, ClientError, is_not_found
from pocketstack.services.orchestration.engine.properties import AllowedValues, Length, Prop, ValidationError
from pocketstack.services.orchestration.engine.resource import Attr, Resource, ResourceError, UpdateReplace

ACTIONS = ["CREATE", "UPDATE", "DELETE", "SUSPEND", "RESUME"]
TRANSPORTS = ["CFN_SIGNAL", "TEMP_URL_SIGNAL", "HEAT_SIGNAL", "NO_SIGNAL", "ZAQAR_SIGNAL"]
DEFAULT_TRANSPORT = "CFN_SIGNAL"          # heat.conf default_deployment_signal_transport
OUTPUT_KEYS = ("deploy_stdout", "deploy_stderr", "deploy_status_code")
# the API checks each input/output (software_configs.input_config); properties have no "any" type
# for an input's default, so the items are plain maps here
IO_LIST = Prop("list", schema=Prop("map"))


def is_uuid_like(value: Any) -> bool:
    """oslo_utils.uuidutils.is_uuid_like."""
    try:
        return uuid.UUID(str(value)).hex == str(value).lower().replace("-", "").strip("{}").removeprefix("urn:uuid:")
    except (TypeError, ValueError, AttributeError):
        return False


# --- configs -----------------------------------------------------------------------
class SoftwareConfig(Resource):
    type_name = "OS::Heat::SoftwareConfig"
    description = "A resource for describing and storing software configuration."
    entity = ("orchestration", "/software_configs/{id}", "software_config")
    properties_schema = {
        "group": Prop("string", "Namespace to group this software config by when delivered to a server. This "
                                "may imply what configuration tool is going to perform the configuration.",
                      default="Heat::Ungrouped"),
        "config": Prop("string", "Configuration script or manifest which specifies what actual configuration "
                                 "is performed."),
        "options": Prop("map", "Map containing options specific to the configuration management tool used by "
                               "this resource."),
        "inputs": Prop("list", "Schema representing the inputs that this software config is expecting.",
                       schema=IO_LIST.schema),
        "outputs": Prop("list", "Schema representing the outputs that this software config will produce.",
                        schema=IO_LIST.schema),
    }
    attributes_schema = {"config": Attr("The config value of the software config.", "string")}

    def api(self) -> ApiClient:
        return self.client("orchestration")

    def config_body(self) -> dict[str, Any]:
        return {k: self.properties.get(k) for k in ("group", "config", "options", "inputs", "outputs")}

    def handle_create(self) -> None:
        body = {**self.config_body(), "name": self.physical_resource_name()}
        self.resource_id_set(self.api().post("/software_configs", body)["software_config"]["id"])

    def resolve_attribute(self, name: str) -> Any:
        if name == "config" and self.resource_id:
            return (self.show() or {}).get("config")
        return None


class StructuredConfig(SoftwareConfig):
    type_name = "OS::Heat::StructuredConfig"
    description = "A SoftwareConfig whose config is a map, serialized as JSON."
    properties_schema = {**SoftwareConfig.properties_schema, "config": Prop(
        "map", "Map representing the configuration data structure which will be serialized to JSON format.")}


class CloudConfig(SoftwareConfig):
    type_name = "OS::Heat::CloudConfig"
    description = "A configuration resource for representing cloud-init cloud-config."
    properties_schema = {"cloud_config": Prop(
        "map", "Map representing the cloud-config data structure which will be formatted as YAML.")}

    def config_body(self) -> dict[str, Any]:
        text = yaml.dump(self.properties.get("cloud_config"), Dumper=yaml.SafeDumper)
        return {"config": f"#cloud-config\n{text}", "group": "Heat::Ungrouped"}


class MultipartMime(SoftwareConfig):
    type_name = "OS::Heat::MultipartMime"
    description = "Assembles a collection of software configurations as a multi-part mime."
    properties_schema = {
        "group": SoftwareConfig.properties_schema["group"],
        "parts": Prop("list", "Parts belonging to this message.", default=[], schema=Prop("map", schema={
            "config": Prop("string", "Content of part to attach, either inline or by referencing the ID of "
                                     "another software config resource.", required=True),
            "filename": Prop("string", "Optional filename to associate with part."),
            "type": Prop("string", "Whether the part content is text or multipart.", default="text",
                         constraints=[AllowedValues(allowed=["text", "multipart"])]),
            "subtype": Prop("string", "Optional subtype to specify with the type."),
        })),
    }

    def config_body(self) -> dict[str, Any]:
        return {"config": self.message(), "group": self.properties.get("group")}

    def message(self) -> str:
        subparts: list[MIMEText] = []
        for item in self.properties.get("parts") or []:
            part = item.get("config")
            if is_uuid_like(part):
                try:
                    part = self.api().get(f"/software_configs/{part}")["software_config"]["config"]
                except ClientError as exc:
                    if not is_not_found(exc):
                        raise
            if item.get("type") == "multipart":
                parsed = message_from_string(part or "")
                if parsed.is_multipart():
                    for sub in parsed.get_payload():
                        subparts.append(_mime_part(sub.get_payload(), sub.get_content_subtype(),
                                                   sub.get_filename()))
            else:
                subparts.append(_mime_part(part, item.get("subtype") or "", item.get("filename") or ""))
        return MIMEMultipart(_subparts=subparts).as_string()


def _mime_part(part: str, subtype: str | None, filename: str | None) -> MIMEText:
    """MultipartMime._append_part / _create_message."""
    if not subtype and filename:
        subtype = os.path.splitext(filename)[0]
    charset = "us-ascii" if part.isascii() else "utf-8"
    msg = MIMEText(part, _subtype=subtype, _charset=charset) if subtype else MIMEText(part, _charset=charset)
    if filename:
        msg.add_header("Content-Disposition", "attachment", filename=filename)
    return msg


class SoftwareComponent(SoftwareConfig):
    type_name = "OS::Heat::SoftwareComponent"
    description = "A software component: one config per lifecycle action."
    properties_schema = {
        "configs": Prop("list", "The list of configurations for the different lifecycle actions of the "
                                "represented software component.", required=True, constraints=[Length(min=1)],
                        schema=Prop("map", schema={
                            "actions": Prop("list", "Lifecycle actions to which the configuration applies.",
                                            default=["CREATE", "UPDATE"], schema=Prop("string"),
                                            constraints=[Length(min=1)]),
                            "config": SoftwareConfig.properties_schema["config"],
                            "tool": Prop("string", "The configuration tool used to actually apply the "
                                                   "configuration on a server.", required=True)})),
        "inputs": SoftwareConfig.properties_schema["inputs"],
        "outputs": SoftwareConfig.properties_schema["outputs"],
        "options": SoftwareConfig.properties_schema["options"],
    }
    attributes_schema = {"configs": Attr("The list of configurations for the different lifecycle actions of "
                                         "the represented software component.", "list")}

    def config_body(self) -> dict[str, Any]:
        return {"config": {"configs": self.properties.get("configs")}, "group": "component",
                **{k: self.properties.get(k) for k in ("inputs", "outputs", "options")}}

    def validate(self) -> None:
        seen: set[str] = set()
        for config in self.properties.get("configs") or []:
            actions = config.get("actions") or []
            if any(a in seen for a in actions):
                raise ValidationError(f'Defining more than one configuration for the same action in '
                                      f'SoftwareComponent "{self.name}" is not allowed.')
            seen.update(actions)

    def resolve_attribute(self, name: str) -> Any:
        if name == "configs" and self.resource_id:
            return ((self.show() or {}).get("config") or {}).get("configs")
        return None


# --- deployments ------------------------------------------------------------------------
DEPLOYMENT_PROPS = {
    "config": Prop("string", "ID of software configuration resource to execute when applying to the server.",
                   update_allowed=True),
    "server": Prop("string", "ID of resource to apply configuration to. Normally this should be a Nova server "
                             "ID.", required=True),
    "input_values": Prop("map", "Input values to apply to the software configuration on this server.",
                         update_allowed=True),
    "actions": Prop("list", "Which lifecycle actions of the deployment resource will result in this "
                            "deployment being triggered.", update_allowed=True, default=["CREATE", "UPDATE"],
                    constraints=[AllowedValues(allowed=ACTIONS)]),
    "name": Prop("string", "Name of the derived config associated with this deployment. This is used to apply "
                           "a sort order to the list of configurations currently deployed to a server.",
                 update_allowed=True),
    "signal_transport": Prop("string", "How the server should signal to heat with the deployment output "
                                       "values.", default=DEFAULT_TRANSPORT,
                             constraints=[AllowedValues(allowed=TRANSPORTS)]),
}


def _input(name: str, value: Any, description: str) -> dict[str, Any]:
    return {"name": name, "description": description, "type": "String", "value": value}


class SoftwareDeployment(Resource):
    type_name = "OS::Heat::SoftwareDeployment"
    description = "This resource associates a server with some configuration."
    entity = ("orchestration", "/software_deployments/{id}", "software_deployment")
    properties_schema = DEPLOYMENT_PROPS
    attributes_schema = {
        "deploy_stdout": Attr("Captured stdout from the configuration execution.", "string"),
        "deploy_stderr": Attr("Captured stderr from the configuration execution.", "string"),
        "deploy_status_code": Attr("Returned status code from the configuration execution.", "string"),
    }
    dynamic_attributes = True     # any output of the config is an attribute too

    def api(self) -> ApiClient:
        return self.client("orchestration")

    @property
    def transport(self) -> str:
        return str(self.properties.get("signal_transport") or DEFAULT_TRANSPORT)

    def deployment(self) -> dict[str, Any]:
        return self.api().get(f"/software_deployments/{self.resource_id}")["software_deployment"]

    def load_config(self, config_id: str | None = None) -> dict[str, Any]:
        config_id = config_id or self.properties.get("config")
        config = self.api().get(f"/software_configs/{config_id}")["software_config"] if config_id else {}
        return {**config, "inputs": config.get("inputs") or [], "outputs": config.get("outputs") or []}

    # --- the derived config --------------------------------------------------------------
    def derived_inputs(self, action: str, source: dict[str, Any]) -> list[dict[str, Any]]:
        values = dict(self.properties.get("input_values") or {})
        out = [{**i, "value": values.pop(i["name"], i.get("default"))} for i in source["inputs"]]
        out += [{"name": k, "type": "String", "value": v} for k, v in values.items()]
        out += [_input("deploy_server_id", self.properties.get("server"), "ID of the server being deployed to"),
                _input("deploy_action", action, "Name of the current action being deployed"),
                _input("deploy_stack_id", f"{self.stack.name}/{self.stack.id}",
                       "ID of the stack this deployment belongs to"),
                _input("deploy_resource_name", self.name, "Name of this deployment resource in the stack"),
                _input("deploy_signal_transport", self.transport,
                       "How the server should signal to heat with the deployment output values.")]
        return out + self.signal_inputs()

    def signal_url(self) -> str:
        return self.stack.signal_url(self)

    def signal_inputs(self) -> list[dict[str, Any]]:
        signal_id = "ID of signal to use for signaling output values"
        verb = "HTTP verb to use for signaling output values"
        if self.transport == "CFN_SIGNAL":
            return [_input("deploy_signal_id", self.signal_url(), signal_id),
                    _input("deploy_signal_verb", "POST", verb)]
        if self.transport == "TEMP_URL_SIGNAL":
            return [_input("deploy_signal_id", self.swift_signal_url(), signal_id),
                    _input("deploy_signal_verb", "PUT", verb)]
        if self.transport == "HEAT_SIGNAL":
            url = urlsplit(self.signal_url())
            # no stack-domain users here: the server signals with credentials of its own
            return [_input("deploy_auth_url", f"{url.scheme}://{url.netloc}/identity/v3",
                           "URL for API authentication"),
                    _input("deploy_project_id", self.stack.project_id, "ID of project for API authentication"),
                    _input("deploy_region_name", self.stack.region, "Region name for API authentication")]
        if self.transport == "ZAQAR_SIGNAL":
            raise ResourceError("The client (zaqar) is not available.")
        return []

    def derived_config(self, action: str, source: dict[str, Any], inputs: list[dict[str, Any]]) -> Any:
        return source.get("config")

    def empty_config(self) -> Any:
        return ""

    def create_derived_config(self, action: str, source: dict[str, Any]) -> str:
        inputs = self.derived_inputs(action, source)
        body = {"group": source.get("group") or "Heat::Ungrouped",
                "config": self.derived_config(action, source, inputs) or self.empty_config(),
                "options": source.get("options"), "inputs": inputs, "outputs": source["outputs"],
                "name": self.properties.get("name") or source.get("name") or self.physical_resource_name()}
        return str(self.api().post("/software_configs", body)["software_config"]["id"])

    # --- one action ------------------------------------------------------------------------
    def triggers(self, action: str, config: dict[str, Any]) -> bool:
        if config.get("group") == "component":
            return any(action in c.get("actions", []) for c in (config.get("config") or {}).get("configs", []))
        return action in (self.properties.get("actions") or [])

    def handle_action(self, action: str, config: dict[str, Any] | None = None,
                      prev_derived: str | None = None) -> None:
        self.data["waiting"] = False
        config = config if config is not None else self.load_config()
        if not self.triggers(action, config) or (self.resource_id is None and action == "DELETE"):
            return
        waiting = self.transport != "NO_SIGNAL"
        body = {"config_id": self.create_derived_config(action, config), "action": action,
                "input_values": self.properties.get("input_values"),
                "status": "IN_PROGRESS" if waiting else "COMPLETE",
                "status_reason": "Deploy data available" if waiting else "Not waiting for outputs signal"}
        if self.resource_id is None:
            body.update(server_id=self.properties.get("server"),
                        stack_user_project_id=getattr(self.stack, "stack_user_project_id", None))
            sd = self.api().post("/software_deployments", body)["software_deployment"]
            self.resource_id_set(sd["id"])
        else:
            prev_derived = prev_derived or self.deployment()["config_id"]
            self.api().put(f"/software_deployments/{self.resource_id}", body)
            if prev_derived:
                self.api().delete(f"/software_configs/{prev_derived}")
        self.data["waiting"] = waiting

    def check_complete(self) -> bool:
        if not self.data.get("waiting"):
            return True
        if self.transport == "TEMP_URL_SIGNAL":
            self.poll_swift_signal()
        sd = self.deployment()
        if sd["status"] == "COMPLETE":
            return True
        if sd["status"] == "FAILED":
            raise ResourceError(f"Deployment to server failed: {sd['status_reason']}")
        return False

    def handle_create(self) -> None:
        self.handle_action("CREATE")

    def check_create_complete(self) -> bool:
        return self.check_complete()

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        prev_derived, old_inputs = None, {}
        if self.resource_id is not None:
            prev_derived = self.deployment()["config_id"]
            old_inputs = {i["name"]: i for i in self.load_config(prev_derived)["inputs"]}
        config = self.load_config()
        for new in self.derived_inputs("UPDATE", config):
            old = old_inputs.get(new["name"])
            if new.get("replace_on_change") and old is not None and old.get("value") != new.get("value"):
                raise UpdateReplace()
        self.handle_action("UPDATE", config, prev_derived)

    def check_update_complete(self) -> bool:
        return self.check_complete()

    def handle_suspend(self) -> None:
        self.handle_action("SUSPEND")

    def handle_resume(self) -> None:
        self.handle_action("RESUME")

    def handle_delete(self) -> None:
        try:
            self.handle_action("DELETE")
        except ClientError as exc:
            if not is_not_found(exc):
                raise
            self.data["waiting"] = False

    def check_delete_complete(self) -> bool:
        if self.data.get("waiting") and self.server_exists() and not self.check_complete():
            return False
        self.delete_all()
        return True

    def server_exists(self) -> bool:
        try:
            self.client("compute").get(f"/servers/{self.properties.get('server')}")
            return True
        except ClientError as exc:
            if is_not_found(exc):
                return False
            raise

    def delete_all(self) -> None:
        derived = None
        if self.resource_id is not None:
            try:
                derived = self.deployment()["config_id"]
            except ClientError as exc:
                if not is_not_found(exc):
                    raise
            self.api().delete(f"/software_deployments/{self.resource_id}")
        if derived:
            self.api().delete(f"/software_configs/{derived}")
        if self.transport == "TEMP_URL_SIGNAL":
            container, obj = self.swift_names()
            self.client("object-store").delete(f"/{container}/{obj}")
            self.client("object-store").delete(f"/{container}")

    # --- signals ---------------------------------------------------------------------------
    def handle_signal(self, details: Any) -> str | None:
        """signal_software_deployment: the outputs a server sends decide COMPLETE or FAILED."""
        sd = self.deployment()
        if sd["status"] != "IN_PROGRESS":
            return None
        details = details if isinstance(details, dict) else {}
        outputs = self.load_config(sd["config_id"])["outputs"]
        ov, reasons, failed = dict(sd.get("output_values") or {}), {}, False
        code = details.get("deploy_status_code")
        event = f"deployment {self.resource_id} succeeded"
        if code and str(code) != "0":
            failed, reasons["deploy_status_code"] = True, f"Deployment exited with non-zero status code: {code}"
            event = f"deployment {self.resource_id} failed ({code})"
        for output in outputs:
            if output["name"] in details:
                ov[output["name"]] = details[output["name"]]
                if output.get("error_output"):
                    failed, reasons[output["name"]] = True, details[output["name"]]
                    event = f"deployment {self.resource_id} failed"
        ov.update({k: details.get(k) for k in OUTPUT_KEYS})
        reason = ", ".join(f"{k} : {v}" for k, v in reasons.items()) if failed else "Outputs received"
        self.api().put(f"/software_deployments/{self.resource_id}", {
            "output_values": ov, "status": "FAILED" if failed else "COMPLETE", "status_reason": reason})
        return event

    def handle_create_cancel(self) -> None:
        """The operation failed or timed out while the deployment was waiting: it is FAILED
        (heat software_deployment.py _handle_cancel)."""
        if self.resource_id is None:
            return
        try:
            sd = self.deployment()
        except Exception:  # noqa: BLE001 - a deployment already gone has nothing to cancel
            return
        if sd.get("status") == "IN_PROGRESS":
            self.api().put(f"/software_deployments/{self.resource_id}",
                           {"status": "FAILED", "status_reason": "Deployment cancelled."})

    handle_update_cancel = handle_create_cancel

    def swift_names(self) -> tuple[str, str]:
        return self.stack.id, self.physical_resource_name()

    def swift_signal_url(self) -> str:
        """The object the server PUTs its outputs to (a plain object URL: no temp URL keys here)."""
        container, obj = self.swift_names()
        store = self.client("object-store")
        store.put(f"/{container}", content=b"")
        url = urlsplit(self.signal_url())
        return f"{url.scheme}://{url.netloc}{store.base}/{quote(container)}/{quote(obj)}"

    def poll_swift_signal(self) -> None:
        container, obj = self.swift_names()
        try:
            body = self.client("object-store").get(f"/{container}/{obj}")
        except ClientError as exc:
            if is_not_found(exc):
                return
            raise
        if isinstance(body, (bytes, bytearray)):
            body = json.loads(body or b"{}")
        if body is not None:
            self.handle_signal(body)

    # --- attributes ----------------------------------------------------------------------
    def get_attribute(self, name: str) -> Any:
        if name == "show":
            return self.show()
        return self.resolve_attribute(name)

    def resolve_attribute(self, name: str) -> Any:
        if self.resource_id is None:
            return None
        try:
            return (self.deployment().get("output_values") or {}).get(name)
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise


class SoftwareDeploymentGroup(Resource):
    """One deployment per server of `servers`, kept directly (upstream uses a nested stack).
    self.data["members"] maps each server key to its deployment id, self.data["member_data"] their data."""

    type_name = "OS::Heat::SoftwareDeploymentGroup"
    description = "This resource associates a group of servers with some configuration."
    member_type: type[SoftwareDeployment] = SoftwareDeployment
    properties_schema = {
        "servers": Prop("map", "A map of names and server IDs to apply configuration to. The name is arbitrary "
                               "and is used as the Heat resource name for the corresponding deployment.",
                        required=True, update_allowed=True),
        **{k: v for k, v in DEPLOYMENT_PROPS.items() if k != "server"},
    }
    attributes_schema = {
        "deploy_stdouts": Attr("A map of Nova names and captured stdouts from the configuration execution to "
                               "each server.", "map"),
        "deploy_stderrs": Attr("A map of Nova names and captured stderrs from the configuration execution to "
                               "each server.", "map"),
        "deploy_status_codes": Attr("A map of Nova names and returned status code from the configuration "
                                    "execution.", "map"),
    }
    dynamic_attributes = True
    MEMBER_ATTRS = {"deploy_stdouts": "deploy_stdout", "deploy_stderrs": "deploy_stderr",
                    "deploy_status_codes": "deploy_status_code"}

    def member(self, key: str, server: Any = None) -> SoftwareDeployment:
        props = {k: v for k, v in self.properties.items() if k != "servers"}
        props["server"] = server if server is not None else (self.properties.get("servers") or {}).get(key)
        m = self.member_type(key, self.stack, props, resource_id=self.data.get("members", {}).get(key),
                             data=self.data.get("member_data", {}).get(key))
        m.signal_url = lambda: self.stack.signal_url(self)    # type: ignore[method-assign]
        return m

    def keep(self, key: str, m: SoftwareDeployment | None) -> None:
        members, data = dict(self.data.get("members", {})), dict(self.data.get("member_data", {}))
        if m is None or m.resource_id is None:
            members.pop(key, None)
            data.pop(key, None)
        else:
            members[key], data[key] = m.resource_id, m.data
        self.data["members"], self.data["member_data"] = members, data

    def handle_create(self) -> None:
        self.resource_id_set(self.stack.physical_name(self.name))
        for key in self.properties.get("servers") or {}:
            m = self.member(key)
            try:
                m.handle_create()
            finally:
                self.keep(key, m)

    def check_members(self) -> bool:
        done = True
        for key in list(self.data.get("members", {})):
            m = self.member(key)
            done = m.check_complete() and done
            self.keep(key, m)
        return done

    def check_create_complete(self) -> bool:
        return self.check_members()

    def handle_create_cancel(self) -> None:
        for key in list(self.data.get("members", {})):
            self.member(key).handle_create_cancel()

    handle_update_cancel = handle_create_cancel

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        servers = self.properties.get("servers") or {}
        for key in [k for k in self.data.get("members", {}) if k not in servers]:
            m = self.member(key)
            m.delete_all()
            self.keep(key, None)
        for key in servers:
            m = self.member(key)
            try:
                m.handle_update(prop_diff) if m.resource_id else m.handle_create()
            finally:
                self.keep(key, m)

    def check_update_complete(self) -> bool:
        return self.check_members()

    def handle_delete(self) -> None:
        for key in list(self.data.get("members", {})):
            m = self.member(key)
            m.handle_delete()
            self.keep(key, m)

    def check_delete_complete(self) -> bool:
        for key in list(self.data.get("members", {})):
            m = self.member(key)
            if not m.check_delete_complete():
                self.keep(key, m)
                return False
            self.keep(key, None)
        return True

    def handle_signal(self, details: Any) -> str | None:
        """Members share the group's signal URL: the one IN_PROGRESS (or the one named) takes it."""
        members = self.data.get("members", {})
        named = details.get("deployment_id") if isinstance(details, dict) else None
        keys = [k for k, v in members.items() if v == named] if named else [
            k for k in members if self.member(k).deployment()["status"] == "IN_PROGRESS"]
        if len(keys) != 1:
            raise ResourceError("Signal does not name one deployment of the group.")
        return self.member(keys[0]).handle_signal(details)

    def get_attribute(self, name: str) -> Any:
        if name == "show":
            return None
        attr = self.MEMBER_ATTRS.get(name, name)
        return {key: self.member(key).resolve_attribute(attr) for key in self.data.get("members", {})}


class SoftwareDeployments(SoftwareDeploymentGroup):
    type_name = "OS::Heat::SoftwareDeployments"
    support_status = "HIDDEN"


class StructuredDeployment(SoftwareDeployment):
    """Substitutes {get_input: name} in a StructuredConfig's map with the deployment's input values."""

    type_name = "OS::Heat::StructuredDeployment"
    properties_schema = {**DEPLOYMENT_PROPS,
                         "input_key": Prop("string", "Name of key to use for substituting inputs during "
                                                     "deployment.", default="get_input"),
                         "input_values_validate": Prop("string", "Perform a check on the input values passed "
                                                                 "to verify that each required input has a "
                                                                 "corresponding value.", default="LAX",
                                                       constraints=[AllowedValues(allowed=["LAX", "STRICT"])])}

    def empty_config(self) -> Any:
        return {}

    def derived_config(self, action: str, source: dict[str, Any], inputs: list[dict[str, Any]]) -> Any:
        values = {i["name"]: i.get("value") for i in inputs}
        key, strict = self.properties.get("input_key"), self.properties.get("input_values_validate") == "STRICT"

        def parse(snippet: Any) -> Any:
            if isinstance(snippet, dict):
                if len(snippet) == 1 and key in snippet and isinstance(snippet[key], str):
                    if strict and snippet[key] not in values:
                        raise ResourceError(f"The Parameter ({snippet[key]}) was not provided.")
                    return values.get(snippet[key])
                return {k: parse(v) for k, v in snippet.items()}
            if isinstance(snippet, list):
                return [parse(v) for v in snippet]
            return snippet
        return parse(source.get("config"))


class StructuredDeploymentGroup(SoftwareDeploymentGroup):
    type_name = "OS::Heat::StructuredDeploymentGroup"
    member_type = StructuredDeployment
    properties_schema = {**SoftwareDeploymentGroup.properties_schema,
                         "input_key": StructuredDeployment.properties_schema["input_key"],
                         "input_values_validate": StructuredDeployment.properties_schema["input_values_validate"]}


class StructuredDeployments(StructuredDeploymentGroup):
    type_name = "OS::Heat::StructuredDeployments"
    support_status = "HIDDEN"


TYPES: list[type[Resource]] = [
    SoftwareConfig, StructuredConfig, CloudConfig, MultipartMime, SoftwareComponent, SoftwareDeployment,
    SoftwareDeploymentGroup, SoftwareDeployments, StructuredDeployment, StructuredDeploymentGroup,
    StructuredDeployments]
CONSTRAINTS: dict[str, Any] = {}
