"""Ironic's error body: {"error_message": "<JSON text of {faultcode, faultstring, debuginfo}>"}
(ironic/api/method.py format_exception, wrapped by middleware/parsable_error.py); an unauthenticated
call is answered by keystonemiddleware in keystone's format."""

from __future__ import annotations

import json
import re

from starlette.responses import Response

from pocketstack.core.errors import ApiError
from pocketstack.core.http import json_response
from pocketstack.core.routing import ApiRequest
from pocketstack.services.baremetal import versions as v

_UNSUPPORTED = re.compile(r"^Version (\S+) is not supported")


def faultstring(err: ApiError) -> tuple[int, str]:
    """Ironic's wording for the errors core raises before a handler runs."""
    status, message = err.status, err.message
    if status == 403 and "rule" in err.extra:
        message = f"Access was denied to the following resource: {err.extra['rule']}"
    elif status == 406 and (m := _UNSUPPORTED.match(message)):
        requested = m.group(1)
        if not requested.startswith("1."):
            message = (f"Mutually exclusive versions requested. Version {requested} requested but not supported "
                       f"by this service. The supported version range is: [{v.MIN}, {v.MAX}].")
        else:
            message = (f"Version {requested} was requested but the minor version is not supported by this "
                       f"service. The supported version range is: [{v.MIN}, {v.MAX}].")
    elif status == 400 and message.startswith("API Version String"):
        status, message = 406, "Invalid value for X-OpenStack-Ironic-API-Version header"
    elif err.kind == "malformed_json":
        message = "Malformed JSON input"
    return status, message


def render(err: ApiError, rq: ApiRequest | None = None) -> Response:
    if err.status == 401:
        return json_response(401, {"error": {"code": 401, "title": "Unauthorized", "message": err.message}})
    status, message = faultstring(err)
    fault = {"faultcode": "Client" if status < 500 else "Server", "faultstring": message, "debuginfo": None}
    return json_response(status, {"error_message": json.dumps(fault)})
