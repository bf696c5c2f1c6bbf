"""Allocation candidate search (placement/objects/allocation_candidate.py, research_context.py), our way:
SQL finds, per requested (resource class, amount), the providers with room for it (one query each); the trees
holding them are loaded in bulk (providers, traits, aggregates); each tree is then solved in memory, group by
group, under group_policy, same_subtree and root_required, until `limit` candidates are found."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.services.placement import capacity, common
from pocketstack.services.placement import tables as t

MAX_COMBINATIONS_PER_TREE = 10000
CHUNK = 500


@dataclass
class Group:
    suffix: str                                     # "" for the unsuffixed group
    resources: dict[str, int] = field(default_factory=dict)
    required: list[set[str]] = field(default_factory=list)    # each set: any of these traits
    forbidden: set[str] = field(default_factory=set)
    member_of: list[set[str]] = field(default_factory=list)
    forbidden_aggs: set[str] = field(default_factory=set)
    in_tree: str | None = None

    @property
    def same_provider(self) -> bool:
        return self.suffix != ""


@dataclass
class Request:
    groups: list[Group]
    group_policy: str | None = None
    limit: int | None = None
    root_required: list[set[str]] = field(default_factory=list)
    root_forbidden: set[str] = field(default_factory=set)
    same_subtree: list[list[str]] = field(default_factory=list)
    nested: bool = True                             # 1.29: nested providers take part


@dataclass
class Provider:
    id: int
    uuid: str
    parent: int | None
    root: int
    traits: set[str]
    aggregates: set[str]


@dataclass
class Result:
    candidates: list[tuple[dict[int, dict[int, int]], dict[str, list[int]]]]   # (rp -> rc -> n, suffix -> rps)
    providers: dict[int, Provider]
    trees: dict[int, list[int]]                      # root -> provider ids
    class_ids: dict[str, int]


def _traits_ok(traits: set[str], required: list[set[str]], forbidden: set[str]) -> bool:
    return all(traits & anyof for anyof in required) and not (traits & forbidden)


def _aggs_ok(p: Provider, root: Provider, g: Group) -> bool:
    aggs = p.aggregates | root.aggregates
    return all(aggs & anyof for anyof in g.member_of) and not (aggs & g.forbidden_aggs)


def search(conn: Connection, req: Request) -> Result:
    wanted = {rc for g in req.groups for rc in g.resources}
    class_ids = common.require_classes(conn, wanted)
    fits: dict[tuple[str, int], dict[int, dict[str, Any]]] = {}
    for g in req.groups:
        for rc, amount in g.resources.items():
            if (rc, amount) not in fits:
                fits[(rc, amount)] = capacity.providers_with(conn, class_ids[rc], amount)
    rp = t.resource_providers
    with_room = {i for rows in fits.values() for i in rows}
    roots_of: dict[int, int] = {}
    for chunk in _chunks(sorted(with_room)):
        roots_of.update(conn.execute(sa.select(rp.c.id, rp.c.root_provider_id).where(rp.c.id.in_(chunk))).all())
    # a tree is a candidate when every group with resources can be met inside it, class by class
    roots: set[int] | None = None
    for g in req.groups:
        if not g.resources:
            continue
        if g.same_provider:
            providers = set.intersection(*(set(fits[(rc, n)]) for rc, n in g.resources.items()))
            trees = {roots_of[i] for i in providers}
        else:
            trees = set.intersection(*({roots_of[i] for i in fits[(rc, n)]} for rc, n in g.resources.items()))
        roots = trees if roots is None else roots & trees
    roots = roots or set()
    in_trees = {g.in_tree for g in req.groups if g.in_tree}
    if in_trees:
        tree_of = dict(conn.execute(sa.select(rp.c.uuid, rp.c.root_provider_id).where(rp.c.uuid.in_(in_trees))).all())
        for g in req.groups:
            if g.in_tree:
                roots &= {tree_of.get(g.in_tree, -1)}
    providers: dict[int, Provider] = {}
    trees: dict[int, list[int]] = {}
    for chunk in _chunks(sorted(roots)):
        rows = conn.execute(sa.select(rp.c.id, rp.c.uuid, rp.c.parent_provider_id, rp.c.root_provider_id).where(
            rp.c.root_provider_id.in_(chunk)).order_by(rp.c.id)).all()
        ids = [r.id for r in rows]
        traits, aggs = capacity.traits_of(conn, ids), capacity.aggregates_of(conn, ids)
        for r in rows:
            providers[r.id] = Provider(r.id, r.uuid, r.parent_provider_id, r.root_provider_id, traits[r.id], aggs[r.id])
            trees.setdefault(r.root_provider_id, []).append(r.id)
    rows_by = {(p, class_ids[rc]): row for (rc, _), found in fits.items() for p, row in found.items()}
    out: list[tuple[dict[int, dict[int, int]], dict[str, list[int]]]] = []
    seen: set[frozenset[tuple[int, int, int]]] = set()
    for root in sorted(trees):
        root_p = providers[root]
        if not _traits_ok(root_p.traits, req.root_required, req.root_forbidden):
            continue
        if not req.nested and len(trees[root]) > 1:
            continue
        for cand in _solve(req, trees[root], providers, root_p, fits, class_ids, rows_by):
            key = frozenset((p, rc, n) for p, rcs in cand[0].items() for rc, n in rcs.items())
            if key in seen:
                continue
            seen.add(key)
            out.append(cand)
            if req.limit is not None and len(out) >= req.limit:
                return Result(out, providers, trees, class_ids)
    return Result(out, providers, trees, class_ids)


def _chunks(items: list[int]) -> Any:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def _group_options(g: Group, tree: list[int], providers: dict[int, Provider], root: Provider,
                   fits: dict[tuple[str, int], dict[int, dict[str, Any]]]) -> list[dict[str, int]]:
    """The ways one group can be met in one tree: {resource class: provider id} (empty for resourceless)."""
    eligible = [i for i in tree if _aggs_ok(providers[i], root, g)]
    if g.same_provider or not g.resources:
        out = []
        for i in eligible:
            if all(i in fits[(rc, n)] for rc, n in g.resources.items()) and \
                    _traits_ok(providers[i].traits, g.required, g.forbidden):
                out.append({rc: i for rc in g.resources} if g.resources else {"": i})
        return out
    per_class = [[i for i in eligible if i in fits[(rc, n)]] for rc, n in g.resources.items()]
    out = []
    for combo in itertools.islice(itertools.product(*per_class), MAX_COMBINATIONS_PER_TREE):
        used = set(combo)
        traits = set().union(*(providers[i].traits for i in used))
        if all(traits & anyof for anyof in g.required) and \
                not any(providers[i].traits & g.forbidden for i in used):
            out.append(dict(zip(g.resources, combo)))
    return out


def _ancestors(p: int, providers: dict[int, Provider]) -> list[int]:
    out = [p]
    while providers[out[-1]].parent is not None:
        out.append(providers[out[-1]].parent)   # type: ignore[arg-type]
    return out


def _solve(req: Request, tree: list[int], providers: dict[int, Provider], root: Provider,
           fits: dict[tuple[str, int], dict[int, dict[str, Any]]], class_ids: dict[str, int],
           rows_by: dict[tuple[int, int], dict[str, Any]]) -> Any:
    groups = [g for g in req.groups if g.resources or g.suffix]   # a bare in_tree filters trees, nothing more
    options = [_group_options(g, tree, providers, root, fits) for g in groups]
    if any(not o for o in options):
        return
    for choice in itertools.islice(itertools.product(*options), MAX_COMBINATIONS_PER_TREE):
        if req.group_policy == "isolate":
            flat = [p for g, c in zip(groups, choice) if g.same_provider for p in set(c.values())]
            if len(flat) != len(set(flat)):
                continue
        totals: dict[int, dict[int, int]] = {}
        mappings: dict[str, list[int]] = {}
        ok = True
        for g, c in zip(groups, choice):
            mappings[g.suffix] = sorted(set(c.values()), key=lambda i: i)
            for rc, p in c.items():
                if rc == "":
                    continue
                rc_id = class_ids[rc]
                totals.setdefault(p, {})
                totals[p][rc_id] = totals[p].get(rc_id, 0) + g.resources[rc]
        for p, rcs in totals.items():
            for rc_id, amount in rcs.items():
                row = rows_by[(p, rc_id)]
                if row["used"] + amount > capacity.capacity(row):
                    ok = False
        if not ok:
            continue
        if req.same_subtree and not all(_same_subtree(s, mappings, providers) for s in req.same_subtree):
            continue
        yield totals, mappings


def _same_subtree(suffixes: list[str], mappings: dict[str, list[int]], providers: dict[int, Provider]) -> bool:
    used = [p for s in suffixes for p in mappings.get(s, [])]
    if not used:
        return True
    for top in used:
        if all(top in _ancestors(p, providers) for p in used):
            return True
    return False
