"""Unit tests of the Heat template-version registry and intrinsic function evaluator."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from pocketstack.services.orchestration.engine.functions import (
    VERSIONS, TemplateError, dependencies, evaluate_conditions, lookup_version, resolve, resolve_condition,
    select_attribute, template_version, validate, validate_sections)

HOT = {d: VERSIONS[f"heat_template_version.{d}"] for d in (
    "2013-05-23", "2014-10-16", "2015-04-30", "2015-10-15", "2016-04-08", "2016-10-14", "2017-02-24",
    "2017-09-01", "2018-03-02", "2018-08-31", "2021-04-16")}
LATEST = HOT["2021-04-16"]
CFN = VERSIONS["AWSTemplateFormatVersion.2010-09-09"]
HEAT_CFN = VERSIONS["HeatTemplateFormatVersion.2012-12-12"]


class FakeScope:
    def __init__(self, params: dict[str, Any] | None = None, conditions: dict[str, bool] | None = None) -> None:
        self.params = {"OS::stack_name": "st", "name": "web", "count": 3, "flag": True,
                       "json": {"a": {"b": [10, 20]}}, "csv": ["x", "y"], **(params or {})}
        self.resources = {"server": "srv-id", "net": "net-id"}
        self.attrs = {"server": {"first_address": "10.0.0.1", "networks": {"private": ["10.0.0.1"]},
                                 "nothing": None}}
        self.files = {"a.sh": "#!/bin/sh"}
        self.conditions = conditions or {"yes": True, "no": False}
        self.mappings = {"Region": {"r1": {"ami": "ami-1"}}}

    def get_param(self, name: str) -> Any:
        return self.params[name]

    def get_resource(self, name: str) -> Any:
        return self.resources[name]

    def get_attr(self, resource: str, attribute: str | None, path: list[Any]) -> Any:
        attrs = self.attrs.get(resource, {}) if resource in self.resources else self.attrs[resource]
        if attribute is None:
            return attrs
        return select_attribute(attrs.get(attribute), path)

    def get_file(self, key: str) -> str:
        return self.files[key]

    def condition(self, name: str) -> bool:
        return self.conditions[name]

    def resource_facade(self, kind: str) -> Any:
        return {"metadata": {"m": 1}, "deletion_policy": "Delete", "update_policy": {}}[kind]

    def get_mapping(self, name: str) -> Any:
        return self.mappings[name]


def ev(snippet: Any, version: Any = LATEST, **scope: Any) -> Any:
    return resolve(snippet, version, FakeScope(**scope), ["outputs", "o", "value"])


def err(snippet: Any, version: Any = LATEST, **scope: Any) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        ev(snippet, version, **scope)
    return info.value


# --- versions -------------------------------------------------------------------------------------------

def test_version_registry_and_aliases() -> None:
    assert len(VERSIONS) == 13
    assert lookup_version("heat_template_version.wallaby") is LATEST
    assert LATEST.name == "heat_template_version.2021-04-16" and LATEST.aliases == ("wallaby",)
    assert template_version({"heat_template_version": "rocky"}) is HOT["2018-08-31"]
    assert template_version({"AWSTemplateFormatVersion": "2010-09-09"}) is CFN
    import datetime
    assert template_version({"heat_template_version": datetime.date(2015, 4, 30)}) is HOT["2015-04-30"]


def test_version_errors() -> None:
    with pytest.raises(TemplateError) as info:
        template_version({"resources": {}})
    assert str(info.value) == "The template version is invalid: Template version was not provided"
    assert info.value.error_type == "InvalidTemplateVersion"
    with pytest.raises(TemplateError, match="^Template format version not found.$"):
        template_version({"resources": {}}, from_text=True)
    with pytest.raises(TemplateError) as info:
        template_version({"heat_template_version": "2013-05-23", "HeatTemplateFormatVersion": "2012-12-12"})
    assert "Ambiguous versions (HeatTemplateFormatVersion, heat_template_version)" in str(info.value)
    with pytest.raises(TemplateError) as info:
        template_version({"AWSTemplateFormatVersion": "2011"})
    assert str(info.value) == ('The template version is invalid: "AWSTemplateFormatVersion: 2011". '
                               '"AWSTemplateFormatVersion" should be: 2010-09-09')
    with pytest.raises(TemplateError) as info:
        template_version({"heat_template_version": "2012-01-01"})
    assert str(info.value).endswith('should be one of: 2013-05-23, 2014-10-16, 2015-04-30, 2015-10-15, '
                                    '2016-04-08, 2016-10-14, 2017-02-24, 2017-09-01, 2018-03-02, 2018-08-31, '
                                    '2021-04-16, newton, ocata, pike, queens, rocky, wallaby')


def test_sections() -> None:
    validate_sections({"heat_template_version": "x", "conditions": {}}, HOT["2016-10-14"])
    with pytest.raises(TemplateError, match="^The template section is invalid: conditions$"):
        validate_sections({"conditions": {}}, HOT["2016-04-08"])
    with pytest.raises(TemplateError, match="invalid: Conditions"):
        validate_sections({"Conditions": {}}, HEAT_CFN)


def test_function_sets_per_version() -> None:
    assert "Fn::Join" in HOT["2013-05-23"].functions and "Fn::Join" not in HOT["2014-10-16"].functions
    assert "Fn::Select" in HOT["2015-04-30"].functions and "Fn::Select" not in HOT["2015-10-15"].functions
    assert "list_concat" not in HOT["2017-02-24"].functions and "list_concat" in HOT["2017-09-01"].functions
    assert HOT["2016-04-08"].condition_functions == {}
    assert set(HOT["2017-09-01"].condition_functions) == {"get_param", "equals", "not", "and", "or", "yaql",
                                                          "contains"}
    assert LATEST.functions["list_join"] == "A function for joining one or more lists of strings."
    assert HOT["2015-04-30"].functions["list_join"] == "A function for joining strings."
    assert "Fn::If" in CFN.functions and "Fn::If" not in HEAT_CFN.functions


# --- lookups ---------------------------------------------------------------------------------------------

def test_get_param() -> None:
    assert ev({"get_param": "name"}) == "web"
    assert ev({"get_param": ["json", "a", "b", 1]}) == 20
    assert ev({"get_param": ["csv", "1"]}) == "y"
    assert ev({"get_param": ["json", "missing"]}) == ""
    assert ev({"get_param": "OS::stack_name"}) == "st"
    e = err({"get_param": "nope"})
    assert str(e) == "The Parameter (nope) was not provided." and e.error_type == "UserParameterMissing"
    assert str(err({"get_param": []})) == 'Function "get_param" must have arguments'
    assert str(err({"get_param": {"a": 1}})) == 'Argument to "get_param" must be string or list'
    assert str(err({"get_param": [1]})) == 'Parameter name in "get_param" must be string'


def test_get_resource_and_attr() -> None:
    assert ev({"get_resource": "server"}) == "srv-id"
    e = err({"get_resource": "nope"})
    assert str(e) == 'The specified reference "nope" (in unknown) is incorrect.'
    assert ev({"get_attr": ["server", "networks", "private", 0]}) == "10.0.0.1"
    assert ev({"get_attr": ["server", "nothing", "x"]}) is None
    assert ev({"get_attr": ["server"]})["first_address"] == "10.0.0.1"
    assert ev({"get_attr": ["server", "networks", "private", 0]}, HOT["2013-05-23"]) == "10.0.0.1"
    assert str(err({"get_attr": "server"})) == 'Argument to "get_attr" must be a list'
    assert str(err({"get_attr": ["server"]}, HOT["2015-04-30"])) == (
        'Arguments to "get_attr" must be of the form [resource_name, attribute, (path), ...]')
    assert str(err({"get_attr": []})).startswith('Arguments to "get_attr" can be of the next forms')
    assert err({"get_attr": "server"}).with_path() == 'outputs.o.value.get_attr: Argument to "get_attr" must be a list'


def test_get_file_and_facade() -> None:
    assert ev({"get_file": "a.sh"}) == "#!/bin/sh"
    assert str(err({"get_file": "b"})) == 'No content found in the "files" section for get_file path: b'
    assert str(err({"get_file": 1})) == 'Argument to "get_file" must be a string'
    assert ev({"resource_facade": "metadata"}) == {"m": 1}
    assert str(err({"resource_facade": "x"})) == (
        'Incorrect arguments to "resource_facade" should be one of: metadata, deletion_policy, update_policy')
    assert ev({"Fn::ResourceFacade": "DeletionPolicy"}, CFN) == "Delete"


# --- strings ---------------------------------------------------------------------------------------------

def test_str_replace() -> None:
    snippet = {"str_replace": {"template": "Hi $who, $whom", "params": {"$who": "a", "$whom": {"b": 1}}}}
    assert ev(snippet) == 'Hi a, {"b": 1}'
    assert ev({"str_replace": {"template": "ab", "params": {"a": 1, "ab": "X"}}}) == "X"
    assert str(err({"str_replace": ["x"]})) == 'Arguments to "str_replace" must be a map'
    e = err({"str_replace": {"template": "x"}})
    assert str(e).startswith("'\"str_replace\" syntax should be str_replace:\\n")  # KeyError repr, as Heat
    assert str(err({"str_replace": {"template": "x", "params": []}})) == (
        '"str_replace" parameters must be a mapping')
    assert str(err({"str_replace": {"template": 1, "params": {}}})) == '"str_replace" template must be a string'
    assert str(err({"str_replace": {"template": "x", "params": {"x": []}}}, HOT["2015-04-30"])) == (
        '"str_replace" params must be strings or numbers, param x is not valid')
    assert str(err({"str_replace_strict": {"template": "x", "params": {"y": "1", "zz": "2"}}})) == (
        "The following params were not found in the template: zz,y")
    assert str(err({"str_replace_vstrict": {"template": "x", "params": {"x": ""}}})) == (
        "str_replace_vstrict has an undefined or empty value for param x, must be a defined non-empty value")
    assert ev({"Fn::Replace": [{"$a": "b"}, "$a!"]}, CFN) == "b!"
    assert str(err({"Fn::Replace": "x"}, CFN)).startswith('Incorrect arguments to "Fn::Replace" should be: {')


def test_list_join() -> None:
    assert ev({"list_join": [",", ["a", "b"], ["c"]]}) == "a,b,c"
    assert ev({"list_join": [",", ["a", {"k": 1}, None]]}) == 'a,{"k": 1},'
    assert str(err({"list_join": [","]})) == (
        'Incorrect arguments to "list_join" should be: "list_join" : [ " ", [ "str1", "str2"] ...]')
    assert str(err({"list_join": [",", ["a"], ["b"]]}, HOT["2015-04-30"])) == (
        'Incorrect arguments to "list_join" should be: "list_join" : [ " ", [ "str1", "str2"]]')
    assert str(err({"list_join": [",", [1]]}, HOT["2015-04-30"])) == "Items to join must be strings not 1"
    assert str(err({"list_join": [",", [1]]})) == "Items to join must be string, map or list not 1"
    assert str(err({"list_join": [1, ["a"]]})) == '"list_join" delimiter must be a string'
    assert str(err({"list_join": [",", "ab"]})) == '"list_join" must operate on a list'
    assert ev({"Fn::Join": ["-", ["a", {"Ref": "name"}]]}, CFN) == "a-web"


def test_str_split_digest_select_split_base64() -> None:
    assert ev({"str_split": [",", "a,b,c"]}) == ["a", "b", "c"]
    assert ev({"str_split": [",", "a,b,c", 1]}) == "b"
    assert str(err({"str_split": [",", "a,b", 5]})) == 'Incorrect index to "str_split" should be between 0 and 1'
    assert str(err({"str_split": "a"})).startswith('Incorrect arguments to "str_split" should be:')
    assert ev({"digest": ["sha256", "x"]}) == hashlib.sha256(b"x").hexdigest()
    assert str(err({"digest": ["sha256"]})) == 'Function "digest" usage: ["<algorithm>", "<value>"]'
    assert str(err({"digest": "x"})) == 'Argument to function "digest" must be a list of strings'
    assert ev({"Fn::Select": ["1", ["a", "b"]]}, CFN) == "b"
    assert ev({"Fn::Select": ["k", {"k": "v"}]}, CFN) == "v"
    assert ev({"Fn::Select": [5, ["a"]]}, CFN) == ""
    assert str(err({"Fn::Select": [1]}, CFN)) == 'Arguments to "Fn::Select" must be of the form [index, collection]'
    assert ev({"Fn::Split": [",", "a,b"]}, CFN) == ["a", "b"]
    assert ev({"Fn::Base64": "x"}, CFN) == "x"
    assert str(err({"Fn::Base64": 1}, CFN)) == '"Fn::Base64" argument must be a string'
    assert ev({"Fn::GetAZs": ""}, CFN) == ["nova"]


# --- structures ------------------------------------------------------------------------------------------

def test_maps_and_lists() -> None:
    assert ev({"map_merge": [{"a": 1}, {"a": 2, "b": 3}, None]}) == {"a": 2, "b": 3}
    assert str(err({"map_merge": [{"a": 1}, "x"]})) == (
        "Incorrect arguments: Items to merge must be maps. 'x' is type <class 'str'> instead of a dict")
    assert ev({"map_replace": [{"k": "v"}, {"keys": {"k": "K"}, "values": {"v": "V"}}]}) == {"K": "V"}
    assert str(err({"map_replace": [{"a": 1, "b": 2}, {"keys": {"a": "b"}}]})) == (
        "key replacement b collides with a key in the input map")
    assert ev({"list_concat": [["a"], None, ["b"]]}) == ["a", "b"]
    assert ev({"list_concat_unique": [["a"], ["a", "b"]]}) == ["a", "b"]
    assert str(err({"list_concat": [["a"], "b"]})) == (
        'Incorrect arguments: Items to concat must be lists. [["a"], "b"] contains an item that is not a list: "b"')
    assert ev({"filter": [[None], ["a", None]]}) == ["a"]
    assert str(err({"filter": [1]})) == (
        '"filter" expected 2 arguments of the form [values, sequence] but got 1 arguments instead')
    assert ev({"contains": ["a", ["a"]]}) is True
    assert str(err({"contains": ["a", 1]})) == 'Second argument to "contains" should be a sequence.'
    assert ev({"Fn::MemberListToMap": ["Name", "Value", [".member.0.Name=k", ".member.0.Value=v"]]}, CFN) == {
        "k": "v"}
    assert ev({"Fn::FindInMap": ["Region", "r1", "ami"]}, CFN) == "ami-1"


def test_repeat() -> None:
    snippet = {"repeat": {"template": {"port": "%p%", "ip": "%i%"},
                          "for_each": {"%p%": ["80", "443"], "%i%": ["a"]}}}
    assert ev(snippet) == [{"port": "80", "ip": "a"}, {"port": "443", "ip": "a"}]
    flat = {"repeat": {"template": "%a%-%b%", "for_each": {"%a%": ["1", "2"], "%b%": ["x", "y"]},
                       "permutations": False}}
    assert ev(flat) == ["1-x", "2-y"]
    assert str(err({"repeat": {"template": "x", "for_each": {"%a%": "s"}}})) == (
        'The values of the "for_each" argument to "repeat" must be lists or maps')
    assert str(err({"repeat": {"template": "x", "for_each": {"%a%": {"k": 1}}}}, HOT["2015-04-30"])) == (
        'The values of the "for_each" argument to "repeat" must be lists')
    assert str(err({"repeat": {"template": "x", "for_each": {}, "permutations": "no"}})) == (
        '"permutations" should be boolean type for repeat function.')


def test_make_url() -> None:
    url = {"make_url": {"scheme": "https", "host": "::1", "port": 8080, "path": "/a b",
                        "query": {"x": "1/2"}, "username": "u", "password": "p@"}}
    assert ev(url) == "https://u:p%40@[::1]:8080/a%20b?x=1/2"
    assert str(err({"make_url": {"port": 70000}})) == "Invalid URL port 70000, must be in range 1-65535"
    assert str(err({"make_url": {"scheme": "a:"}})) == "URL \"scheme\" should not contain ':'"


def test_yaql() -> None:
    assert ev({"yaql": {"expression": "$.data.v.sum()", "data": {"v": [1, 2, 3]}}}) == 6
    assert str(err({"yaql": {"expression": "x", "bogus": 1}})).startswith("'\"yaql\" syntax should be yaql:")
    assert str(err({"yaql": "x"})) == 'Arguments to "yaql" must be a map.'


# --- conditions and if -----------------------------------------------------------------------------------

def test_if() -> None:
    assert ev({"if": ["yes", "a", "b"]}) == "a"
    assert ev({"if": [{"not": "yes"}, "a", "b"]}) == "b"
    assert ev({"if": [True, {"get_param": "name"}, {"get_param": "nope"}]}) == "web"
    assert ev({"x": {"if": ["no", "a"]}, "y": [1, {"if": ["no", 2]}]}) == {"y": [1]}
    assert ev({"if": ["no", "a"]}) is None
    assert str(err({"if": ["no", "a"]}, HOT["2018-08-31"])).startswith('Arguments to "if" must be of the form')
    assert str(err({"if": ["nope", "a", "b"]})) == 'Invalid condition "nope"'
    e = err({"if": [{"get_resource": "server"}, 1, 2]})
    assert str(e) == 'The function "get_resource" is invalid in this context'
    assert ev({"Fn::If": ["yes", "a", "b"]}, CFN) == "a"


def test_evaluate_conditions() -> None:
    scope = FakeScope(params={"env": "prod"})
    conds = {"prod": {"equals": [{"get_param": "env"}, "prod"]}, "dev": {"not": "prod"},
             "both": {"and": ["prod", {"or": ["dev", True]}]}, "lit": False,
             "has": {"contains": ["prod", ["prod"]]}}
    assert evaluate_conditions(conds, LATEST, scope) == {"prod": True, "dev": False, "both": True, "lit": False,
                                                         "has": True}
    with pytest.raises(TemplateError) as info:
        evaluate_conditions({"a": {"not": "b"}, "b": {"not": "a"}}, LATEST, scope)
    assert str(info.value) == 'Condition validation error: Circular definition for condition "a"'
    with pytest.raises(TemplateError, match='The definition of condition "a" is invalid: b'):
        evaluate_conditions({"a": "b"}, LATEST, scope)
    with pytest.raises(TemplateError, match="Condition definitions must be a map. Found a NoneType instead"):
        evaluate_conditions(None, LATEST, scope)
    with pytest.raises(TemplateError) as info:
        evaluate_conditions({"a": {"equals": [{"get_attr": ["server", "x"]}, 1]}}, LATEST, scope)
    assert info.value.with_path() == (
        'conditions.a.equals[0].get_attr: The function "get_attr" is invalid in this context')
    with pytest.raises(TemplateError, match='The minimum number of condition arguments to "and" is 2.'):
        evaluate_conditions({"a": {"and": [True]}}, LATEST, scope)
    cfn = {"IsProd": {"Fn::Equals": [{"Ref": "env"}, "prod"]}, "NotProd": {"Fn::Not": ["IsProd"]}}
    assert evaluate_conditions(cfn, CFN, scope) == {"IsProd": True, "NotProd": False}
    with pytest.raises(TemplateError, match=r'Arguments to "Fn::Not" must be of the form: \[condition\]'):
        evaluate_conditions({"a": {"Fn::Not": "x"}}, CFN, scope)


def test_resolve_condition() -> None:
    assert resolve_condition("yes", LATEST, FakeScope()) is True
    assert resolve_condition({"not": "yes"}, LATEST, FakeScope()) is False
    with pytest.raises(TemplateError) as info:
        resolve_condition("zzz", LATEST, FakeScope(), ["resources", "r", "condition"])
    assert info.value.with_path() == 'resources.r.condition: Invalid condition "zzz"'


# --- cfn Ref and removed functions -----------------------------------------------------------------------

def test_ref_and_removed() -> None:
    assert ev({"Ref": "server"}, CFN) == "srv-id"
    assert ev({"Ref": "name"}, CFN) == "web"
    assert str(err({"Ref": "zzz"}, CFN)) == 'The specified reference "zzz" (in unknown) is incorrect.'
    assert ev({"Ref": "server"}, HOT["2013-05-23"]) == "srv-id"
    # Unknown to the version: plain data.
    assert ev({"list_concat": [["a"]]}, HOT["2016-10-14"]) == {"list_concat": [["a"]]}
    with pytest.raises(TemplateError) as info:
        validate({"a": [{"Fn::Join": ["", []]}]}, HOT["2014-10-16"], ["resources", "r", "properties"],
                 resources=[], parameters=[], conditions=[])
    assert str(info.value) == ("The template version is invalid: The function Fn::Join is not supported "
                               "in this version of HOT.")
    assert info.value.with_path() == "resources.r.properties.a[0].Fn::Join: " + str(info.value)


# --- validate and dependencies ---------------------------------------------------------------------------

def _validate(snippet: Any, version: Any = LATEST, conditions: Any = ("c",)) -> None:
    validate(snippet, version, ["resources", "bar", "properties"], resources=["server"], parameters=["p"],
             conditions=conditions)


def test_validate_references() -> None:
    _validate({"a": {"get_resource": "server"}, "b": {"get_param": ["p", "x"]}, "c": {"get_param": "OS::stack_id"}})
    with pytest.raises(TemplateError) as info:
        _validate({"Foo": {"list_join": ["", ["a", {"get_resource": "baz"}]]}})
    assert str(info.value) == 'The specified reference "baz" (in bar.Properties.Foo.list_join[1][1]) is incorrect.'
    assert info.value.error_type == "InvalidTemplateReference"
    with pytest.raises(TemplateError, match=r"^The Parameter \(q\) was not provided.$"):
        _validate({"a": {"get_param": "q"}})
    with pytest.raises(TemplateError, match=r'"baz" \(in bar.Properties.x\)'):
        _validate({"x": {"get_attr": ["baz", "a"]}})
    with pytest.raises(TemplateError, match='^Invalid condition "d"$'):
        _validate({"x": {"if": ["d", 1, 2]}})
    _validate({"x": {"if": ["c", 1, {"get_resource": "nope"}]}}, conditions={"c": True})
    with pytest.raises(TemplateError, match="nope"):
        _validate({"x": {"if": ["c", 1, {"get_resource": "nope"}]}})


def test_validate_shapes() -> None:
    with pytest.raises(TemplateError) as info:
        _validate({"x": {"str_replace": "oops"}})
    assert info.value.with_path() == 'resources.bar.properties.x.str_replace: Arguments to "str_replace" must be a map'
    with pytest.raises(TemplateError, match='The "for_each" argument to "repeat" must contain a map'):
        _validate({"x": {"repeat": {"template": "a", "for_each": ["b"]}}})
    with pytest.raises(TemplateError, match="^Bad expression"):
        _validate({"x": {"yaql": {"expression": "$.("}}})
    with pytest.raises(TemplateError, match='^Invalid arguments to "make_url": bogus$'):
        _validate({"x": {"make_url": {"bogus": 1}}})
    _validate({"x": {"str_split": [",", {"get_param": "p"}]}, "y": {"str_replace": {"template": "a",
                                                                                    "params": {"get_param": "p"}}}})


def test_dependencies() -> None:
    snippet = {"a": {"get_resource": "server"}, "b": [{"get_attr": ["net", "x"]}],
               "c": {"if": ["c", {"get_resource": "t"}, {"get_attr": ["f"]}]}, "d": {"get_attr": [{"get_param": "p"},
                                                                                                "x"]}}
    assert dependencies(snippet, LATEST) == {"server", "net", "t", "f"}
    assert dependencies({"Ref": "x", "y": {"Ref": "server"}}, CFN, resources=["server"]) == {"server"}
    assert dependencies({"Fn::GetAtt": ["server", "a"]}, CFN) == {"server"}
