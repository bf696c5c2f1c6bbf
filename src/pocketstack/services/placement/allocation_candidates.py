"""Allocation candidates: GET /allocation_candidates (api-ref: placement, Allocation candidates;
placement/handlers/allocation_candidate.py, placement/lib.py RequestGroup parsing)."""

from __future__ import annotations

import re
from typing import Any

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.placement import capacity, common
from pocketstack.services.placement import errors as codes
from pocketstack.services.placement import versions as v
from pocketstack.services.placement.candidates import Group, Request, search

# --- schemas (query) -------------------------------------------------------------------------
GROUP_KEYS = ("resources", "required", "member_of", "in_tree")
NUMBERED = re.compile(r"^(resources|required|member_of|in_tree)([1-9][0-9]*)$")
STRING_SUFFIX = re.compile(r"^(resources|required|member_of|in_tree)([a-zA-Z0-9_-]{1,64})$")


def _allowed(ctx: Context) -> set[str]:
    out = {"resources"}
    for since, names in ((v.CANDIDATE_LIMIT, {"limit"}), (v.CANDIDATE_REQUIRED, {"required"}),
                         (v.CANDIDATE_MEMBER_OF, {"member_of"}), (v.GRANULAR, {"group_policy"}),
                         (v.CANDIDATE_IN_TREE, {"in_tree"}), (v.ROOT_REQUIRED, {"root_required"}),
                         (v.SAME_SUBTREE, {"same_subtree"})):
        if ctx.version >= since:
            out |= names
    return out


# --- logic: the query as request groups ------------------------------------------------------
def parse(ctx: Context, rq: ApiRequest) -> Request:
    allowed = _allowed(ctx)
    suffixed = (STRING_SUFFIX if ctx.version >= v.STRING_SUFFIXES else NUMBERED) if ctx.version >= v.GRANULAR else None
    by_suffix: dict[str, dict[str, list[str]]] = {}
    for key in rq.query.keys():
        if key in allowed and key in GROUP_KEYS:
            by_suffix.setdefault("", {})[key] = rq.query_list(key)
        elif suffixed is not None and (m := suffixed.match(key)) and (
                m.group(1) != "in_tree" or ctx.version >= v.CANDIDATE_IN_TREE):
            by_suffix.setdefault(m.group(2), {})[m.group(1)] = rq.query_list(key)
        elif key not in allowed:
            raise common.bad(f"Invalid query string parameters: Additional properties are not allowed "
                             f"('{key}' was unexpected)")
    groups: list[Group] = []
    for suffix, params in sorted(by_suffix.items(), key=lambda kv: (kv[0] != "", kv[0])):
        g = Group(suffix)
        if "resources" in params:
            if len(params["resources"]) > 1:
                raise common.bad(f"Invalid query string parameters: 'resources{suffix}' parameter appears more "
                                 "than once", codes.ILLEGAL_DUPLICATE_QUERYPARAM)
            g.resources = common.parse_resources(params["resources"][0], f"resources{suffix}")
        if "required" in params:
            g.required, g.forbidden = common.parse_traits(ctx, params["required"], f"required{suffix}")
            if len(params["required"]) > 1 and ctx.version < v.ANY_TRAITS:
                raise common.bad(f"Invalid query string parameters: 'required{suffix}' parameter appears more "
                                 "than once", codes.ILLEGAL_DUPLICATE_QUERYPARAM)
        if "member_of" in params:
            g.member_of, g.forbidden_aggs = common.parse_member_of(ctx, params["member_of"])
        if "in_tree" in params:
            value = params["in_tree"][0]
            if not common.is_uuid(value):
                raise common.bad(f"Invalid query string parameters: Expected 'in_tree{suffix}' parameter to be a "
                                 f"format of uuid. Got: {value}", codes.QUERYPARAM_BAD_VALUE)
            g.in_tree = value
        if not g.resources and suffix and ctx.version < v.SAME_SUBTREE:
            orphans = ", ".join(f"{k}{suffix}" for k in params if k != "resources")
            raise common.bad(f"All traits parameters must be associated with resources. Found the following "
                             f"orphaned traits keys: {orphans}" if "required" in params else
                             f"All member_of parameters must be associated with resources. Found the following "
                             f"orphaned member_of keys: {orphans}")
        if not g.resources and not suffix:
            if any(k in params for k in ("required", "member_of", "in_tree")) and ctx.version < v.SAME_SUBTREE:
                raise common.bad("All traits parameters must be associated with resources. Found the following "
                                 "orphaned traits keys: required")
            if ctx.version < v.SAME_SUBTREE and not any(x.resources for x in groups):
                pass
        groups.append(g)
    if not any(g.resources for g in groups):
        raise common.bad("'resources' parameter is required" if ctx.version < v.GRANULAR else
                         "There must be at least one resources or resources[$S] parameter.",
                         codes.QUERYPARAM_MISSING_VALUE)
    req = Request(groups=[g for g in groups if g.resources or g.suffix or g.required or g.member_of or g.in_tree],
                  nested=ctx.version >= v.NESTED_CANDIDATES)
    policy = common.single(rq, "group_policy") if ctx.version >= v.GRANULAR else None
    if policy is not None and policy not in ("none", "isolate"):
        raise common.bad(f"Invalid query string parameters: '{policy}' is not one of ['none', 'isolate']")
    if sum(1 for g in groups if g.suffix and g.resources) > 1 and policy is None:
        raise common.bad('The "group_policy" parameter is required when specifying more than one "resources{N}" '
                         'parameter.', codes.QUERYPARAM_MISSING_VALUE)
    req.group_policy = policy
    limit = common.single(rq, "limit") if ctx.version >= v.CANDIDATE_LIMIT else None
    if limit is not None:
        if not limit.isdigit() or int(limit) < 1:
            raise common.bad(f"Invalid query string parameters: '{limit}' does not match '^[1-9][0-9]*$'")
        req.limit = int(limit)
    root_required = rq.query_list("root_required") if ctx.version >= v.ROOT_REQUIRED else []
    if root_required:
        req.root_required, req.root_forbidden = common.parse_traits(ctx, root_required, "root_required")
    suffixes = {g.suffix for g in groups}
    for text in (rq.query_list("same_subtree") if ctx.version >= v.SAME_SUBTREE else []):
        names = [s.strip() for s in text.split(",")]
        missing = [s for s in names if s not in suffixes]
        if missing or not all(names):
            raise common.bad(f"Real suffixes should be specified in `same_subtree`: {missing} not found in "
                             f"{sorted(s for s in suffixes if s)}.", codes.QUERYPARAM_BAD_VALUE)
        req.same_subtree.append(names)
    in_subtree = {s for names in req.same_subtree for s in names}
    for g in groups:
        if g.suffix and not g.resources and g.suffix not in in_subtree:
            raise common.bad("Resourceless suffixed group request should be specified in `same_subtree` query "
                             f"param: bad group(s) - ['{g.suffix}'].", codes.QUERYPARAM_BAD_VALUE)
    return req


def _check_names(conn: Any, req: Request) -> None:
    traits = {n for g in req.groups for s in g.required for n in s} | {n for g in req.groups for n in g.forbidden}
    traits |= {n for s in req.root_required for n in s} | req.root_forbidden
    try:
        common.check_traits_exist(conn, traits)
    except common.ApiError as exc:
        raise common.bad(f"Invalid query string parameters: {exc.message}") from None
    wanted = {rc for g in req.groups for rc in g.resources}
    found = common.class_ids(conn, wanted)
    for rc in sorted(wanted - set(found)):
        raise common.bad(f"Invalid resource class in resources parameter: No such resource class {rc}.")


# --- views -----------------------------------------------------------------------------------
def list_candidates(ctx: Context, rq: ApiRequest) -> Any:
    req = parse(ctx, rq)
    with db.reader() as conn:
        _check_names(conn, req)
        result = search(conn, req)
        shown = {p for alloc, mappings in result.candidates for p in alloc} | {
            p for _, mappings in result.candidates for ps in mappings.values() for p in ps}
        if ctx.version >= v.NESTED_CANDIDATES:
            shown = {p for root in {result.providers[i].root for i in shown} for p in result.trees[root]}
        names = common.class_names(conn)
        inventories = capacity.inventories_of(conn, shown)
        usages = capacity.usages_of(conn, shown)
    requested = set(result.class_ids.values())
    uuid = {i: p.uuid for i, p in result.providers.items()}
    requests = []
    for alloc, mappings in result.candidates:
        if ctx.version >= v.ALLOC_DICT:
            item: dict[str, Any] = {"allocations": {
                uuid[p]: {"resources": {names[rc]: n for rc, n in rcs.items()}} for p, rcs in alloc.items()}}
            if ctx.version >= v.MAPPINGS:
                item["mappings"] = {s: [uuid[p] for p in ps] for s, ps in mappings.items()}
        else:
            item = {"allocations": [{"resource_provider": {"uuid": uuid[p]},
                                     "resources": {names[rc]: n for rc, n in rcs.items()}}
                                    for p, rcs in alloc.items()]}
        requests.append(item)
    summaries: dict[str, Any] = {}
    for p in sorted(shown):
        resources = {names[rc]: {"capacity": capacity.capacity(inv), "used": usages[p].get(rc, 0)}
                     for rc, inv in inventories[p].items()
                     if ctx.version >= v.SUMMARY_ALL_INVENTORY or rc in requested}
        summary: dict[str, Any] = {"resources": resources}
        if ctx.version >= v.CANDIDATE_REQUIRED:
            summary["traits"] = sorted(result.providers[p].traits)
        if ctx.version >= v.NESTED_CANDIDATES:
            prov = result.providers[p]
            summary["parent_provider_uuid"] = uuid.get(prov.parent) if prov.parent else None
            summary["root_provider_uuid"] = uuid[prov.root]
        summaries[uuid[p]] = summary
    return common.answer(ctx, {"allocation_requests": requests, "provider_summaries": summaries})


ROUTES = [
    route("GET", "/allocation_candidates", list_candidates, policy="placement:allocation_candidates:list",
          target=common.admin_target, min_version=v.CANDIDATES),
]
