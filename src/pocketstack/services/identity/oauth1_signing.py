"""OS-OAUTH1 request signatures: RFC 5849 checks through oauthlib (api-ref: identity v3-ext, OS-OAUTH1)."""

from __future__ import annotations

import string
from typing import Any
from urllib.parse import parse_qsl

from oauthlib import oauth1
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header

from pocketstack.core.errors import BadRequest, Unauthorized
from pocketstack.core.routing import ApiRequest

# keystone's verifier alphabet: letters and digits without the easily confused ones
VERIFIER_CHARS = "".join(c for c in string.ascii_letters + string.digits if c not in "jiIl1oO0")
HEX = set("0123456789abcdef")
DUMMY = "0" * 32


def oauth_params(rq: ApiRequest) -> dict[str, str]:
    """The oauth_* parameters of the Authorization header ({} when there is none)."""
    header = rq.headers.get("authorization", "")
    if not header.lower().startswith("oauth "):
        return {}
    try:
        return dict(parse_authorization_header(header))
    except ValueError:
        raise BadRequest("Malformed OAuth Authorization header.") from None


def required(params: dict[str, str], name: str) -> str:
    if not params.get(name):
        raise BadRequest(f"Expecting to find {name} in request. The server could not comply with the request "
                         "since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
    return params[name]


class Validator(oauth1.RequestValidator):
    """Answers oauthlib from rows the caller already loaded: consumer, request token, access token."""

    enforce_ssl = False
    dummy_client = dummy_request_token = dummy_access_token = DUMMY

    def __init__(self, consumer: dict[str, Any] | None, request_token: dict[str, Any] | None = None,
                 access_token: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.consumer, self.request_token, self.access_token = consumer, request_token, access_token

    @staticmethod
    def _hex32(value: str) -> bool:
        return len(value) == 32 and set(value) <= HEX

    def check_client_key(self, client_key: str) -> bool:
        return self._hex32(client_key)

    check_request_token = check_access_token = check_client_key

    def check_nonce(self, nonce: str) -> bool:
        return 0 < len(nonce) <= 64 and nonce.isalnum()

    def check_verifier(self, verifier: str) -> bool:
        return len(verifier) == 8 and set(verifier) <= set(VERIFIER_CHARS)

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return self.consumer is not None and self.consumer["id"] == client_key

    def _owned(self, row: dict[str, Any] | None, client_key: str, token: str) -> bool:
        return row is not None and row["id"] == token and row["consumer_id"] == client_key

    def validate_request_token(self, client_key: str, token: str, request: Any) -> bool:
        return self._owned(self.request_token, client_key, token)

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        return self._owned(self.access_token, client_key, token)

    def validate_verifier(self, client_key: str, token: str, verifier: str, request: Any) -> bool:
        return bool(self.request_token and self.request_token["verifier"] == verifier)

    def get_client_secret(self, client_key: str, request: Any) -> str:
        return self.consumer["secret"] if self.validate_client_key(client_key, request) else DUMMY

    def get_request_token_secret(self, client_key: str, token: str, request: Any) -> str:
        return self.request_token["request_secret"] if self.request_token else DUMMY

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        return self.access_token["access_secret"] if self.access_token else DUMMY

    # Realms, callbacks and nonce storage are not used by keystone's flow (callback is always oob).
    def get_default_realms(self, client_key: str, request: Any) -> list[str]:
        return []

    def get_realms(self, token: str, request: Any) -> list[str]:
        return []

    def get_redirect_uri(self, token: str, request: Any) -> str:
        return "oob"

    def validate_requested_realms(self, client_key: str, realms: Any, request: Any) -> bool:
        return True

    def validate_realms(self, client_key: str, token: str, request: Any, uri: Any = None, realms: Any = None) -> bool:
        return True

    def validate_redirect_uri(self, client_key: str, redirect_uri: str, request: Any) -> bool:
        return True

    def validate_timestamp_and_nonce(self, client_key: str, timestamp: str, nonce: str, request: Any,
                                     request_token: Any = None, access_token: Any = None) -> bool:
        return True

    def verify_request_token(self, token: str, request: Any) -> bool:
        return isinstance(token, str)

    def verify_realms(self, token: str, realms: Any, request: Any) -> bool:
        return True

    def invalidate_request_token(self, client_key: str, request_token: str, request: Any) -> None:
        """The request token row is deleted when the access token is stored."""

    def save_request_token(self, token: Any, request: Any) -> None:
        """We store our own rows; oauthlib's generated token is discarded."""

    def save_access_token(self, token: Any, request: Any) -> None:
        """We store our own rows; oauthlib's generated token is discarded."""

    def save_verifier(self, token: Any, verifier: Any, request: Any) -> None:
        """Verifiers are stored by the authorize call."""


def _check_outcome(status: int, body: str | None, failure: str) -> None:
    if status in (200, 201):
        return
    details = dict(parse_qsl(body or ""))
    if "error" in details:
        raise BadRequest(f"Validation failed with errors: {details['error']}, detail message is: "
                         f"{details.get('error_description', '')}.")
    raise Unauthorized(failure)


def _signed(rq: ApiRequest) -> tuple[str, dict[str, str]]:
    return str(rq.raw.url), {k: v for k, v in rq.headers.items() if k.lower() in ("authorization", "host")}


def verify_request_token_request(rq: ApiRequest, validator: Validator) -> None:
    url, headers = _signed(rq)
    endpoint = oauth1.RequestTokenEndpoint(validator)
    _, body, status = endpoint.create_request_token_response(url, http_method="POST", body=None, headers=headers)
    _check_outcome(status, body, "Invalid signature")


def verify_access_token_request(rq: ApiRequest, validator: Validator) -> None:
    url, headers = _signed(rq)
    endpoint = oauth1.AccessTokenEndpoint(validator)
    _, body, status = endpoint.create_access_token_response(url, http_method="POST", body=None, headers=headers)
    token = validator.request_token or {}
    verifier = oauth_params(rq).get("oauth_verifier")
    failure = "Provided verifier does not match stored verifier" if token.get("verifier") != verifier \
        else "Invalid signature"
    _check_outcome(status, body, failure)


def verify_resource_request(rq: ApiRequest, validator: Validator) -> None:
    url, headers = _signed(rq)
    endpoint = oauth1.ResourceEndpoint(validator)
    valid, _ = endpoint.validate_protected_resource_request(url, http_method="POST", body=None, headers=headers)
    if not valid:
        raise Unauthorized("Could not validate the access token")
