"""Keystone's links: every entity has links.self, every collection links.self/previous/next."""

from __future__ import annotations

from typing import Any

from pocketstack.core.context import Context


def entity(ctx: Context, path: str) -> dict[str, str]:
    return {"self": f"{ctx.base_url}/identity/v3/{path}"}


def collection(ctx: Context, path: str, query: str = "") -> dict[str, Any]:
    url = f"{ctx.base_url}/identity/v3/{path}" + (f"?{query}" if query else "")
    return {"self": url, "previous": None, "next": None}
