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


@view
async def stack_detail(page: Page) -> Response:
    name, sid = page.params["stack_name"], page.params["stack_id"]
    one = f"/stacks/{name}/{sid}"
    stack = (await page.api.get("orchestration", one))["stack"]
    resources = (await page.api.get("orchestration", one + "/resources")).get("resources", [])
    events = (await page.api.get("orchestration", one + "/events")).get("events", [])
    return await page.render("stack.html", stack=stack, resources=resources, events=events,
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
