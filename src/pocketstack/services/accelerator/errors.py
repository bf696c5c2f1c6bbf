"""Cyborg's error body: pecan/wsme's {"faultcode", "faultstring", "debuginfo"} as JSON text inside
{"error_message": ...} (cyborg/api/middleware/parsable_error.py); keystonemiddleware answers 401."""

from __future__ import annotations

import json

from starlette.responses import Response

from pocketstack.core.errors import ApiError
from pocketstack.core.http import json_response
from pocketstack.core.routing import ApiRequest
from pocketstack.services.accelerator import versions as v


def render(err: ApiError, rq: ApiRequest | None = None) -> Response:
    if err.status == 401:
        return json_response(401, {"error": {"code": 401, "title": "Unauthorized", "message": err.message}})
    status, message = err.status, err.message
    if status == 403 and "rule" in err.extra:
        message = f"Access was denied to the following resource: {err.extra['rule']}"
    elif status == 406 and message.startswith("Version "):
        requested = message.split()[1]
        message = (f"Version {requested} was requested but the minor version is not supported by this service. "
                   f"The supported version range is: [{v.MIN}, {v.MAX}].")
    elif status == 400 and message.startswith("API Version String"):
        status, message = 406, "Invalid value for OpenStack-API-Version header"
    fault = {"faultcode": "Client" if status < 500 else "Server", "faultstring": message, "debuginfo": None}
    return json_response(status, {"error_message": json.dumps(fault)})
