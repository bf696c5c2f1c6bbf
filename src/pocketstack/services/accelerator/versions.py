"""Acceleration microversions (cyborg/api/controllers/v2/versions.py, rest_api_version_history.rst)."""

from __future__ import annotations

from pocketstack.core.versions import Microversions, V

MIN = V("2.0", "the initial v2 API")
PROJECT_ID = V("2.1", "ARQ bind may set project_id (admins)")
DP_BY_NAME = V("2.2", "GET /device_profiles/{name}")
DEVICE_STATUS = V("2.3", "devices show status; enable and disable actions")
MAX = DEVICE_STATUS

MICROVERSIONS = Microversions(
    name="accelerator", min=MIN, max=MAX,
    extra_headers={"OpenStack-API-Minimum-Version": str(MIN), "OpenStack-API-Maximum-Version": str(MAX)})
