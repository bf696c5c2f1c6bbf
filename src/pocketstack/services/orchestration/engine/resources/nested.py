"""Resources that are nested stacks: OS::Heat::Stack, provider templates, ResourceGroup,
ResourceChain, AutoScalingGroup and ScalingPolicy (heat/engine/resources/stack_resource.py,
template_resource.py, openstack/heat/resource_group.py, resource_chain.py, autoscaling_group.py)."""

from __future__ import annotations

import copy
from typing import Any

from pocketstack.services.orchestration.engine.properties import AllowedValues, Prop, Range
from pocketstack.services.orchestration.engine.resource import Attr, Resource, ResourceError


class NestedResource(Resource):
    """Creates, updates and deletes a child stack; completes when the child does."""

    def child(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, str], dict[str, Any]]:
        """(template, parameters, files, environment) of the child stack."""
        raise NotImplementedError

    def handle_create(self) -> None:
        template, params, files, env = self.child()
        self.resource_id_set(self.stack.create_nested(self, template, params, files, env))

    def _wait(self, action: str) -> bool:
        state = self.stack.nested_state(self.resource_id) if self.resource_id else None
        if state is None:
            return action == "DELETE"
        act, status, reason = state
        if status == "FAILED":
            raise ResourceError(reason if action == "DELETE" else f"{reason}")
        return act == action and status == "COMPLETE" or (action == "UPDATE" and act == "ROLLBACK"
                                                           and status == "COMPLETE" and False)

    def check_create_complete(self) -> bool:
        return self._wait("CREATE")

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        template, params, files, env = self.child()
        assert self.resource_id is not None
        self.stack.update_nested(self, self.resource_id, template, params, files, env)

    def check_update_complete(self) -> bool:
        return self._wait("UPDATE")

    def handle_delete(self) -> None:
        if self.resource_id:
            self.stack.delete_nested(self.resource_id)

    def check_delete_complete(self) -> bool:
        return self._wait("DELETE")

    def outputs(self) -> dict[str, Any]:
        return self.stack.nested_outputs(self.resource_id) if self.resource_id else {}

    def member_attr(self, name: str, attr: str | None, path: list[Any]) -> Any:
        return self.stack.nested_resource_attr(self.resource_id, name, attr, path) if self.resource_id else None


class StackResource(NestedResource):
    type_name = "OS::Heat::Stack"
    description = "A resource for managing a stack (in this region; other regions are not reachable here)."
    properties_schema = {
        "context": Prop("map", "Context for this stack.", schema={"region_name": Prop("string"),
                                                                 "ca_cert": Prop("string"),
                                                                 "insecure": Prop("boolean", default=False)}),
        "template": Prop("string", "Template that specifies the stack to be created as a resource.",
                         required=True, update_allowed=True),
        "timeout": Prop("integer", "Number of minutes to wait for this stack creation.", update_allowed=True),
        "parameters": Prop("map", "Set of parameters passed to this stack.", default={}, update_allowed=True),
    }
    attributes_schema = {"stack_name": Attr("Name of the stack.", "string"),
                         "outputs": Attr("A dict of key-value pairs output from the stack.", "map")}

    @classmethod
    def static_check(cls, props: dict[str, Any], files: dict[str, str]) -> None:
        """At stack validation, as Heat's remote-stack plugin: the region, then the template."""
        from pocketstack.core.errors import ApiError
        from pocketstack.services.orchestration.engine.properties import ValidationError
        from pocketstack.services.orchestration.engine.template import Template, parse
        context = props.get("context") if isinstance(props.get("context"), dict) else {}
        region = context.get("region_name")
        if isinstance(region, str) and region != "RegionOne":
            raise ValidationError(f'Cannot establish connection to Heat endpoint at region "{region}" due to '
                                  f'"publicURL endpoint for orchestration service in {region} region not found"')
        text = props.get("template")
        if isinstance(text, dict) and set(text) == {"get_file"}:
            text = files.get(text["get_file"])
        if isinstance(text, str):
            try:
                Template(parse(text))
            except ApiError as exc:
                raise ValidationError(f'Failed validating stack template using Heat endpoint at region '
                                      f'"{region or "RegionOne"}" due to "ERROR: {exc.message}"') from None

    def validate(self) -> None:
        region = (self.properties.get("context") or {}).get("region_name")
        if region and region != self.stack.region:
            raise ResourceError(f'Cannot establish connection to Heat endpoint at region "{region}" due to '
                                f'"publicURL endpoint for orchestration service in {region} region not found"')

    def child(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, str], dict[str, Any]]:
        from pocketstack.services.orchestration.engine.template import parse
        return parse(self.properties["template"]), dict(self.properties.get("parameters") or {}), {}, {}

    def resolve_attribute(self, name: str) -> Any:
        if name == "outputs":
            return self.outputs()
        if name == "stack_name":
            state = self.stack.nested_state(self.resource_id) if self.resource_id else None
            return state and self.resource_id
        return None


class TemplateResource(NestedResource):
    """A resource whose type is a template (a provider template through the resource registry)."""
    type_name = "OS::Heat::TemplateResource"

    def _provider(self) -> dict[str, Any]:
        from pocketstack.services.orchestration.engine.template import parse
        impl = (self.definition or {}).get("impl") or ""
        if impl not in self.stack.files:
            raise ResourceError(f"Could not fetch remote template \"{impl}\": Invalid URL scheme")
        return parse(self.stack.files[impl])

    @classmethod
    def schema_for(cls, scope: Any, impl: str) -> dict[str, Prop]:
        from pocketstack.services.orchestration.engine.template import Template, parse
        if impl not in scope.files:
            raise ResourceError(f"Could not fetch remote template \"{impl}\": Invalid URL scheme")
        tmpl = Template(parse(scope.files[impl]), scope.files)
        # a parameter's own type; lists and json take their text form too, as parameters do
        kinds = {"string": "string", "number": "number", "boolean": "boolean"}
        return {n: Prop(kinds.get(p.schema.type, "any"), update_allowed=True, required=p.default is None)
                for n, p in tmpl.param_defs().items()}

    def child(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, str], dict[str, Any]]:
        params = {k: v for k, v in self.properties.items() if v is not None}
        return self._provider(), params, {}, {}

    def get_reference_id(self) -> Any:
        outs = self.outputs() if self.resource_id else {}
        ref = outs.get("OS::stack_id")
        return ref if ref is not None and not isinstance(ref, Exception) else self.resource_id or self.name

    def get_attribute(self, name: str) -> Any:
        if name == "show":
            return None
        if name.startswith("resource."):
            member, _, attr = name[len("resource."):].partition(".")
            return self.member_attr(member, attr or None, [])
        value = self.outputs().get(name)
        if isinstance(value, Exception):
            raise ResourceError(f"Error in {self.name} output {name}: {value}")
        return value


def _member_def(resource_def: dict[str, Any], index: int, index_var: str) -> dict[str, Any]:
    def subst(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(index_var, str(index))
        if isinstance(value, list):
            return [subst(v) for v in value]
        if isinstance(value, dict):
            return {k: subst(v) for k, v in value.items()}
        return value
    out = {"type": resource_def["type"], "properties": subst(copy.deepcopy(resource_def.get("properties") or {}))}
    if resource_def.get("metadata"):
        out["metadata"] = resource_def["metadata"]
    return out


class _MemberAttributes(dict):  # type: ignore[type-arg]
    """The "attributes" attribute of a group: indexed by an attribute name, every member's value."""

    def __init__(self, lookup: Any) -> None:
        super().__init__()
        self.lookup = lookup

    def __getitem__(self, key: str) -> Any:
        return self.lookup(key)


class ResourceGroup(NestedResource):
    type_name = "OS::Heat::ResourceGroup"
    description = "Creates one or more identically configured nested resources."
    properties_schema = {
        "count": Prop("integer", "The number of resources to create.", default=1, update_allowed=True,
                      constraints=[Range(None, 0, None)]),
        "index_var": Prop("string", "A variable that this resource will use to replace with the current index "
                          "of a given resource in the group.", default="%index%", update_allowed=True),
        "resource_def": Prop("map", "Resource definition for the resources in the group.", required=True,
                             update_allowed=True, schema={
                                 "type": Prop("string", required=True), "properties": Prop("map", default={}),
                                 "metadata": Prop("map")}),
        "removal_policies": Prop("list", "Policies for removal of resources on update.", default=[],
                                 update_allowed=True, schema=Prop("map", schema={
                                     "resource_list": Prop("list", default=[])})),
        "removal_policies_mode": Prop("string", "How to handle changes to removal_policies on update.",
                                      default="append", update_allowed=True,
                                      constraints=[AllowedValues(None, ["append", "update"])]),
    }
    attributes_schema = {
        "refs": Attr("A list of resource IDs for the resources in the group.", "list"),
        "refs_map": Attr("A map of resource names to IDs for the resources in the group.", "map"),
        "attributes": Attr("A map of resource names to the specified attribute of each individual resource.",
                           "map"),
        "removed_rsrc_list": Attr("A list of removed resource names.", "list"),
    }

    def names(self) -> list[str]:
        removed = set(self.data.get("removed") or [])
        for policy in self.properties.get("removal_policies") or []:
            removed.update(str(x) for x in policy.get("resource_list") or [])
        names, i = [], 0
        while len(names) < self.properties["count"]:
            if str(i) not in removed:
                names.append(str(i))
            i += 1
        self.data["removed"] = sorted(removed)
        return names

    def child(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, str], dict[str, Any]]:
        rdef, var = self.properties["resource_def"], self.properties["index_var"]
        resources = {n: _member_def(rdef, int(n), var) for n in self.names()}
        return {"heat_template_version": "2015-04-30", "resources": resources}, {}, {}, {}

    def get_attribute(self, name: str) -> Any:
        if name == "show":
            return None
        refs = self.stack.nested_resource_refs(self.resource_id) if self.resource_id else {}
        order = sorted(refs, key=lambda n: int(n) if n.isdigit() else n)
        if name == "refs":
            return [refs[n] for n in order]
        if name == "refs_map":
            return {n: refs[n] for n in order}
        if name == "removed_rsrc_list":
            return list(self.data.get("removed") or [])
        if name.startswith("resource."):
            member, _, attr = name[len("resource."):].partition(".")
            return self.member_attr(member, attr or None, []) if attr else refs.get(member)
        if name == "attributes":     # get_attr: [group, attributes, <attr>] -> {member: value}
            return _MemberAttributes(lambda attr: {n: self.member_attr(n, attr, []) for n in order})
        return [self.member_attr(n, name, []) for n in order]


class ResourceChain(NestedResource):
    type_name = "OS::Heat::ResourceChain"
    description = "Creates one or more resources of different types, each depending on the one before."
    properties_schema = {
        "resources": Prop("list", "The list of resource types to create.", required=True, update_allowed=True,
                          schema=Prop("string")),
        "concurrent": Prop("boolean", "If true, the resources in the chain will be created concurrently.",
                           default=False),
        "resource_properties": Prop("map", "Properties to pass to each resource being created in the chain.",
                                    default={}, update_allowed=True),
    }
    attributes_schema = {"refs": Attr("A list of resource IDs for the resources in the chain.", "list"),
                         "attributes": Attr("A map of resource names to the specified attribute of each "
                                            "individual resource.", "map")}

    def child(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, str], dict[str, Any]]:
        resources: dict[str, Any] = {}
        for i, rtype in enumerate(self.properties["resources"]):
            res: dict[str, Any] = {"type": rtype, "properties": dict(self.properties.get("resource_properties") or {})}
            if i and not self.properties.get("concurrent"):
                res["depends_on"] = [str(i - 1)]
            resources[str(i)] = res
        return {"heat_template_version": "2015-04-30", "resources": resources}, {}, {}, {}

    def get_attribute(self, name: str) -> Any:
        refs = self.stack.nested_resource_refs(self.resource_id) if self.resource_id else {}
        order = sorted(refs, key=lambda n: int(n) if n.isdigit() else n)
        if name == "refs":
            return [refs[n] for n in order]
        if name.startswith("resource."):
            member, _, attr = name[len("resource."):].partition(".")
            return self.member_attr(member, attr or None, []) if attr else refs.get(member)
        return [self.member_attr(n, name, []) for n in order] if name != "show" else None


class AutoScalingGroup(NestedResource):
    type_name = "OS::Heat::AutoScalingGroup"
    description = "An autoscaling group that can scale arbitrary resources."
    properties_schema = {
        "resource": Prop("map", "Resource definition for the resources in the group, in HOT format.",
                         required=True, update_allowed=True),
        "max_size": Prop("integer", "Maximum number of resources in the group.", required=True,
                         update_allowed=True, constraints=[Range(None, 0, None)]),
        "min_size": Prop("integer", "Minimum number of resources in the group.", required=True,
                         update_allowed=True, constraints=[Range(None, 0, None)]),
        "cooldown": Prop("integer", "Cooldown period, in seconds.", update_allowed=True),
        "desired_capacity": Prop("integer", "Desired initial number of resources.", update_allowed=True),
        "rolling_updates": Prop("map", "Policy for rolling updates for this scaling group.", update_allowed=True),
    }
    attributes_schema = {
        "outputs": Attr("A map of resource names to the specified attribute of each individual resource.", "map"),
        "outputs_list": Attr("A list of the specified attribute of each individual resource.", "list"),
        "current_size": Attr("The current size of AutoscalingResourceGroup.", "integer"),
        "refs": Attr("A list of resource IDs for the resources in the group.", "list"),
        "refs_map": Attr("A map of resource names to IDs for the resources in the group.", "map"),
    }

    def validate(self) -> None:
        if self.properties["min_size"] > self.properties["max_size"]:
            raise ResourceError("MinSize can not be greater than MaxSize")

    def size(self) -> int:
        size = self.data.get("size")
        if size is None:
            size = self.properties.get("desired_capacity")
            size = self.properties["min_size"] if size is None else size
        return max(self.properties["min_size"], min(self.properties["max_size"], int(size)))

    def child(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, str], dict[str, Any]]:
        self.data["size"] = self.size()
        names = self.data.setdefault("names", [])
        while len(names) < self.data["size"]:
            names.append(self.random_string(12).lower())
        del names[self.data["size"]:]
        return {"heat_template_version": "2015-04-30",
                "resources": {n: copy.deepcopy(self.properties["resource"]) for n in names}}, {}, {}, {}

    def handle_signal(self, details: Any) -> None:
        """A scaling policy's adjustment (heat/scaling/scalingutil.py calculate_new_capacity)."""
        details = details if isinstance(details, dict) else {}
        adjust = float(details.get("adjustment", 1))
        kind = details.get("adjustment_type") or "change_in_capacity"
        current = self.size()
        if kind == "exact_capacity":
            new = int(adjust)
        elif kind == "percent_change_in_capacity":
            delta = current * adjust / 100.0
            step = int(details.get("min_adjustment_step") or 0)
            delta = max(abs(delta), step) * (1 if delta >= 0 else -1) if step else delta
            new = current + (int(delta) if abs(delta) >= 1 else (1 if delta > 0 else -1 if delta < 0 else 0))
        else:
            new = current + int(adjust)
        self.data["size"] = max(self.properties["min_size"], min(self.properties["max_size"], new))
        self.handle_update({})

    def get_attribute(self, name: str) -> Any:
        refs = self.stack.nested_resource_refs(self.resource_id) if self.resource_id else {}
        if name == "current_size":
            return len(refs)
        if name == "refs":
            return list(refs.values())
        if name == "refs_map":
            return refs
        return None


TYPES: list[type[Resource]] = [StackResource, TemplateResource, ResourceGroup, ResourceChain, AutoScalingGroup]
