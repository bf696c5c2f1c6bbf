"""Authentication in the pipeline: X-Auth-Token -> Context, through a validator app.py wires in.

Core knows nothing of tokens; the identity service supplies `TokenValidator`. A failure renders
as keystonemiddleware renders it for every service (the keystone error body and a
`WWW-Authenticate: Keystone uri=...` header).
"""

from __future__ import annotations

from typing import Protocol

from pocketstack.core.context import Context
from pocketstack.core.errors import Unauthorized


class TokenValidator(Protocol):
    def __call__(self, token: str, ctx: Context) -> Context: ...


AUTH_REQUIRED = "The request you have made requires authentication."


def unauthorized(base_url: str, message: str = AUTH_REQUIRED) -> Unauthorized:
    return Unauthorized(message, headers={"WWW-Authenticate": f'Keystone uri="{base_url}/identity"'})
