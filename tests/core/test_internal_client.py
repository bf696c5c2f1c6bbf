"""core.internal_client.call: a request runs once, whatever its handler raises."""

from __future__ import annotations

import anyio
import pytest
from starlette.responses import JSONResponse

from pocketstack.core import internal_client


class CountingApp:
    """An ASGI app whose POST handler fails with a RuntimeError (a bug in a handler)."""

    def __init__(self) -> None:
        self.posts = 0

    async def __call__(self, scope, receive, send):
        if scope["method"] == "POST":
            self.posts += 1
            raise RuntimeError("the handler broke")
        await JSONResponse({"ok": True})(scope, receive, send)


@pytest.fixture()
def app():
    saved = (internal_client._app, internal_client._base_url)
    app = CountingApp()
    internal_client.configure(app, "http://test.internal")
    yield app
    internal_client.configure(*saved)


def test_a_runtime_error_in_a_handler_is_not_a_second_post(app):
    async def main() -> None:      # a handler or job in a worker thread of the server's loop
        with pytest.raises(RuntimeError, match="the handler broke"):
            await anyio.to_thread.run_sync(lambda: internal_client.call("POST", "/things", json={}))
    anyio.run(main)
    assert app.posts == 1


def test_outside_a_worker_thread_a_loop_of_its_own_runs_the_call_once(app):
    assert internal_client.call("GET", "/things").json() == {"ok": True}
    with pytest.raises(RuntimeError, match="the handler broke"):
        internal_client.call("POST", "/things", json={})
    assert app.posts == 1


def test_from_a_worker_thread_the_call_runs_on_the_servers_loop(app):
    async def main() -> int:
        return await anyio.to_thread.run_sync(lambda: internal_client.call("GET", "/things").status_code)
    assert anyio.run(main) == 200
