"""Orchestration: stacks, launch from template text or file, resources, events, outputs, delete."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from pocketstack.dashboard.web import ROOT, Page, redirect, view

S = ROOT + "/project/stacks"


@view
async def list_stacks(page: Page) -> Response:
    stacks = (await page.api.get("orchestration", "/stacks")).get("stacks", [])
    busy = any(s.get("stack_status", "").endswith("IN_PROGRESS") for s in stacks)
    return await page.render("stacks.html", stacks=stacks, busy=busy)


@view
async def launch_stack(page: Page) -> Response:
    assert page.form is not None
    template = page.field("template")
    upload = page.form.get("template_file")
    if isinstance(upload, UploadFile) and upload.filename:
        template = (await upload.read(1024 * 1024)).decode("utf-8", "replace")
    body: dict[str, Any] = {"stack_name": page.field("stack_name"), "template": template}
    params = {}
    for line in page.field("parameters").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            params[key.strip()] = value.strip()
    if params:
        body["parameters"] = params
    await page.api.post("orchestration", "/stacks", body)
    return redirect(S + "/", ("success", f"Launching stack \"{body['stack_name']}\"."))


def resource_graph(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """Layers for the SVG: a resource sits one column right of the deepest resource it needs
    (Heat lists, for each resource, the resources that require it)."""
    names = {r["resource_name"] for r in resources}
    needs: dict[str, set[str]] = {n: set() for n in names}
    for r in resources:
        for dependent in r.get("required_by") or []:
            if dependent in needs:
                needs[dependent].add(r["resource_name"])
    level: dict[str, int] = {}

    def depth(name: str, seen: frozenset[str] = frozenset()) -> int:
        if name not in level:
            level[name] = 1 + max((depth(d, seen | {name}) for d in needs[name] if d not in seen), default=-1)
        return level[name]
    for n in sorted(names):
        depth(n)
    rows: dict[int, int] = {}
    nodes = {}
    for r in sorted(resources, key=lambda r: (level[r["resource_name"]], r["resource_name"])):
        col = level[r["resource_name"]]
        rows[col] = rows.get(col, 0) + 1
        nodes[r["resource_name"]] = {"name": r["resource_name"], "type": r.get("resource_type", ""),
                                     "status": r.get("resource_status", ""), "x": 20 + 220 * col,
                                     "y": 20 + 60 * (rows[col] - 1)}
    edges = [{"x1": nodes[d]["x"] + 180, "y1": nodes[d]["y"] + 20, "x2": nodes[n]["x"], "y2": nodes[n]["y"] + 20}
             for n in nodes for d in sorted(needs[n])]
    return {"nodes": list(nodes.values()), "edges": edges,
            "width": 40 + 220 * (max(level.values(), default=0) + 1), "height": 40 + 60 * max(rows.values(), default=1)}


@view
async def stack_detail(page: Page) -> Response:
    name, sid = page.params["stack_name"], page.params["stack_id"]
    one = f"/stacks/{name}/{sid}"
    stack = (await page.api.get("orchestration", one))["stack"]
    resources = (await page.api.get("orchestration", one + "/resources")).get("resources", [])
    events = (await page.api.get("orchestration", one + "/events")).get("events", [])
    return await page.render("stack.html", stack=stack, resources=resources, events=events,
                             graph=resource_graph(resources),
                             busy=stack.get("stack_status", "").endswith("IN_PROGRESS"))


@view
async def delete_stack(page: Page) -> Response:
    await page.api.delete("orchestration", f"/stacks/{page.params['stack_name']}/{page.params['stack_id']}")
    return redirect(S + "/", ("success", "Deleting the stack."))


ROUTES = [
    Route(S + "/", list_stacks),
    Route(S + "/", launch_stack, methods=["POST"]),
    Route(S + "/{stack_name}/{stack_id}/", stack_detail),
    Route(S + "/{stack_name}/{stack_id}/delete", delete_stack, methods=["POST"]),
]
