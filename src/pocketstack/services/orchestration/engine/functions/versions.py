"""Template versions Heat 24 knows, their function sets and sections, and version detection."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pocketstack.services.orchestration.engine.functions import logic, refs, strings, structures, urls, yaql_fn
from pocketstack.services.orchestration.engine.functions.base import Kind
from pocketstack.services.orchestration.engine.functions.errors import TemplateError, invalid_version

KINDS: dict[str, Kind] = {
    **refs.KINDS, **strings.KINDS, **structures.KINDS, **urls.KINDS, **logic.KINDS, **yaql_fn.KINDS}

HOT, CFN, HEAT_CFN = "heat_template_version", "AWSTemplateFormatVersion", "HeatTemplateFormatVersion"


@dataclass(frozen=True)
class TemplateVersion:
    """One template format version: what it may contain and which functions it offers.

    `functions` / `condition_functions` map names to the description GET /template_versions/{v}/functions
    shows (removed functions are not listed). `kinds` / `condition_kinds` map every name the parser
    recognises, removed ones included, to the implementation used (internal).
    """

    key: str
    date: str
    type: str
    functions: Mapping[str, str]
    condition_functions: Mapping[str, str]
    sections: frozenset[str]
    aliases: tuple[str, ...] = ()
    kinds: Mapping[str, str] = field(default_factory=dict, repr=False)
    condition_kinds: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return f"{self.key}.{self.date}"

    @property
    def has_conditions(self) -> bool:
        return bool(self.condition_functions)


_CFN_IN_HOT = ("Fn::GetAZs", "Fn::Join", "Fn::Split", "Fn::Replace", "Fn::Base64", "Fn::MemberListToMap",
               "Fn::ResourceFacade", "Ref")

# Each HOT version as the changes from the one before (name -> implementation kind).
_HOT_STEPS: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("2013-05-23", {
        "Fn::GetAZs": "Fn::GetAZs", "get_param": "get_param", "get_resource": "get_resource", "Ref": "Ref",
        "get_attr": "get_attr_then_select", "Fn::Select": "Fn::Select", "Fn::Join": "list_join",
        "list_join": "list_join", "Fn::Split": "Fn::Split", "str_replace": "str_replace",
        "Fn::Replace": "Fn::Replace", "Fn::Base64": "Fn::Base64", "Fn::MemberListToMap": "Fn::MemberListToMap",
        "resource_facade": "resource_facade", "Fn::ResourceFacade": "Fn::ResourceFacade", "get_file": "get_file",
    }, {}),
    ("2014-10-16", {"get_attr": "get_attr", **{n: "removed" for n in _CFN_IN_HOT}}, {}),
    ("2015-04-30", {"repeat": "repeat", "digest": "digest"}, {}),
    ("2015-10-15", {"get_attr": "get_attr_all", "list_join": "list_join_multi", "str_replace": "str_replace_json",
                    "str_split": "str_split", "Fn::Select": "removed"}, {}),
    ("2016-04-08", {"map_merge": "map_merge"}, {}),
    ("2016-10-14", {"repeat": "repeat_map", "yaql": "yaql", "map_replace": "map_replace", "if": "if"},
     {"get_param": "get_param", "equals": "equals", "not": "not", "and": "and", "or": "or"}),
    ("2017-02-24", {"filter": "filter", "str_replace_strict": "str_replace_strict"}, {}),
    ("2017-09-01", {"repeat": "repeat_nested", "make_url": "make_url", "list_concat": "list_concat",
                    "str_replace_vstrict": "str_replace_vstrict", "list_concat_unique": "list_concat_unique",
                    "contains": "contains"}, {"yaql": "yaql", "contains": "contains"}),
    ("2018-03-02", {}, {}),
    ("2018-08-31", {}, {}),
    ("2021-04-16", {"if": "if_nullable"}, {}),
]

_HOT_ALIASES = {"2016-10-14": ("newton",), "2017-02-24": ("ocata",), "2017-09-01": ("pike",),
                "2018-03-02": ("queens",), "2018-08-31": ("rocky",), "2021-04-16": ("wallaby",)}

_HOT_SECTIONS = frozenset({
    # quirk: Heat lists its placeholder for the absent mappings section, so "__undefined__" is accepted.
    HOT, "description", "parameter_groups", "parameters", "resources", "outputs", "__undefined__"})
_CFN_SECTIONS = frozenset({CFN, HEAT_CFN, "Description", "Mappings", "Parameters", "Resources", "Outputs"})

_CFN_FUNCTIONS = {n: n for n in ("Fn::FindInMap", "Fn::GetAZs", "Ref", "Fn::GetAtt", "Fn::Select", "Fn::Split",
                                 "Fn::Replace", "Fn::Base64", "Fn::MemberListToMap", "Fn::ResourceFacade")}
_CFN_FUNCTIONS["Fn::Join"] = "list_join"
_CFN_CONDITIONS = {"Fn::Equals": "equals", "Ref": "param_ref", "Fn::FindInMap": "Fn::FindInMap",
                   "Fn::Not": "Fn::Not", "Fn::And": "and", "Fn::Or": "or"}


def _describe(kinds: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType({n: KINDS[k].doc for n, k in kinds.items() if k != "removed"})


def _condition_parser(kinds: dict[str, str], conds: dict[str, str], keep_removed: bool) -> dict[str, str]:
    """Heat's parser table inside conditions: ordinary functions become invalid there."""
    table = {n: ("removed" if keep_removed and k == "removed" else "invalid") for n, k in kinds.items()}
    return {**table, **conds}


def _version(key: str, date: str, kind: str, kinds: dict[str, str], conds: dict[str, str],
             sections: frozenset[str], aliases: tuple[str, ...] = (), keep_removed: bool = False) -> TemplateVersion:
    return TemplateVersion(
        key=key, date=date, type=kind, functions=_describe(kinds), condition_functions=_describe(conds),
        sections=sections, aliases=aliases, kinds=MappingProxyType(dict(kinds)),
        condition_kinds=MappingProxyType(_condition_parser(kinds, conds, keep_removed)))


def _build() -> dict[str, TemplateVersion]:
    versions = {}
    kinds: dict[str, str] = {}
    conds: dict[str, str] = {}
    for date, added, added_conds in _HOT_STEPS:
        kinds, conds = {**kinds, **added}, {**conds, **added_conds}
        sections = _HOT_SECTIONS | ({"conditions"} if conds else set())
        v = _version(HOT, date, "hot", kinds, conds, frozenset(sections), _HOT_ALIASES.get(date, ()),
                     keep_removed=bool(conds))
        versions[v.name] = v
    aws = _version(CFN, "2010-09-09", "cfn", {**_CFN_FUNCTIONS, "Fn::If": "Fn::If"}, _CFN_CONDITIONS,
                   _CFN_SECTIONS | {"Conditions"})
    heat = _version(HEAT_CFN, "2012-12-12", "cfn", _CFN_FUNCTIONS, {}, _CFN_SECTIONS)
    return {aws.name: aws, heat.name: heat, **versions}


VERSIONS: dict[str, TemplateVersion] = _build()
ALIASES: dict[str, TemplateVersion] = {f"{v.key}.{a}": v for v in VERSIONS.values() for a in v.aliases}


def lookup_version(name: str) -> TemplateVersion | None:
    """A version by "key.date" or by alias ("heat_template_version.wallaby")."""
    return VERSIONS.get(name) or ALIASES.get(name)


def _text(value: Any) -> Any:
    # YAML loaders other than Heat's turn an unquoted 2018-08-31 into a date; Heat keeps it a string.
    return value.isoformat() if isinstance(value, datetime.date) else value


def template_version(template: Any, *, from_text: bool = False) -> TemplateVersion:
    """The version a template declares, with Heat's errors.

    from_text: the template came as a document (template / template_url), where Heat's parser first
    insists on one of the version keys ("Template format version not found.").
    """
    if not isinstance(template, Mapping):
        raise TemplateError("The template is not a JSON object or YAML mapping.")
    if from_text and not any(k in template for k in (HOT, CFN, HEAT_CFN)):
        raise TemplateError("Template format version not found.", error_type="ValueError")
    present = sorted(k for k in (HOT, CFN, HEAT_CFN) if isinstance(_text(template.get(k)), str))
    if len(present) > 1:
        raise invalid_version(f"Ambiguous versions ({', '.join(present)})")
    if not present:
        raise invalid_version("Template version was not provided")
    key, value = present[0], _text(template[present[0]])
    found = lookup_version(f"{key}.{value}")
    if found is not None:
        return found
    available = sorted([v.date for v in VERSIONS.values() if v.key == key]
                       + [a for v in VERSIONS.values() if v.key == key for a in v.aliases])
    how = "should be one of" if len(available) > 1 else "should be"
    raise invalid_version(f'"{key}: {value}". "{key}" {how}: {", ".join(available)}')


def validate_sections(template: Mapping[str, Any], version: TemplateVersion) -> None:
    """Heat's top-level section check (Template.validate)."""
    for key in template:
        if key not in version.sections:
            raise TemplateError(f"The template section is invalid: {key}", error_type="InvalidTemplateSection")
