"""core.auth.authenticate: X-Service-Token as keystonemiddleware checks it (service_token_roles_required),
and the service's identity where oslo.policy rules look for it (`service_roles:service`)."""

from __future__ import annotations

import httpx
import pytest

from pocketstack.core.auth import authenticate
from pocketstack.core.context import Context
from pocketstack.core.errors import Unauthorized
from pocketstack.core.policy import Policy, RuleDefault
from tests.conftest import start_cloud, stop_cloud

# token -> (user, project, roles, expired)
TOKENS = {
    "user": ("u1", "p1", ["member"], False),
    "old-user": ("u1", "p1", ["member"], True),
    "nova": ("nova-id", "service-id", ["service", "admin"], False),
}


def validate(token: str, ctx: Context, *, allow_expired: bool = False) -> Context:
    if token not in TOKENS or (TOKENS[token][3] and not allow_expired):
        raise Unauthorized("The request you have made requires authentication.")
    ctx.user_id, ctx.project_id, ctx.roles, _ = TOKENS[token]
    ctx.user_name, ctx.token = ctx.user_id, token
    return ctx


def _ctx() -> Context:
    return Context(request_id="req-1", base_url="http://x")


def test_a_valid_service_token_puts_the_service_beside_the_user():
    ctx = _ctx()
    authenticate(validate, ctx, "user", "nova")
    assert (ctx.user_id, ctx.project_id, ctx.roles) == ("u1", "p1", ["member"])
    assert (ctx.service_user_id, ctx.service_project_id) == ("nova-id", "service-id")
    creds = ctx.policy_credentials()
    assert creds["service_user_id"] == "nova-id" and creds["service_roles"] == ["service", "admin"]
    policy = Policy("compute", [RuleDefault("svc", "service_roles:service"),
                                RuleDefault("user", "role:member")], None)
    assert policy.check("svc", {}, ctx) and policy.check("user", {}, ctx)
    alone = _ctx()
    authenticate(validate, alone, "user", None)
    assert alone.service_user_id is None and not policy.check("svc", {}, alone)


@pytest.mark.parametrize("service_token", ["bogus", "user"])
def test_a_bad_service_token_or_one_without_a_service_role_is_401(service_token):
    with pytest.raises(Unauthorized) as err:
        authenticate(validate, _ctx(), "user", service_token)
    assert err.value.headers["WWW-Authenticate"].startswith("Keystone uri=")


def test_an_expired_user_token_passes_only_with_a_valid_service_token():
    with pytest.raises(Unauthorized):
        authenticate(validate, _ctx(), "old-user", None)
    ctx = _ctx()
    authenticate(validate, ctx, "old-user", "nova")
    assert ctx.user_id == "u1" and ctx.service_user_id == "nova-id"


def test_a_handlers_calls_carry_its_service_token(tmp_path):
    """A request nova serves calls glance with the user's token plus nova's own token as
    X-Service-Token (DevStack's send_service_user_token): an operator rule that admits only calls
    carrying a service token lets the proxy through and refuses the user calling glance directly."""
    policy_dir = tmp_path / "data" / "policy"
    policy_dir.mkdir(parents=True)
    (policy_dir / "image.yaml").write_text('"get_images": "service_roles:service"\n')
    cloud = start_cloud(tmp_path)
    try:
        demo = {"X-Auth-Token": cloud.token("pocketstack")}
        direct = httpx.get(f"{cloud.url}/image/v2/images", headers=demo)
        assert direct.status_code == 403, direct.text
        proxied = httpx.get(f"{cloud.url}/compute/v2.1/images", headers=demo)
        assert proxied.status_code == 200, proxied.text
        assert proxied.json()["images"], "glance answered the proxied call with its images"
    finally:
        stop_cloud(cloud)
