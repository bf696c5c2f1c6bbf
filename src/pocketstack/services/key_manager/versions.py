"""Key Manager microversions (barbican/api/controllers/versions.py, doc/source/api/microversion_history.rst):
`OpenStack-API-Version: key-manager 1.x`; no header means 1.0."""

from __future__ import annotations

from pocketstack.core.versions import Microversions, V

MIN = V("1.0", "the v1 API")
SECRET_CONSUMERS = V("1.1", "secret consumers; secrets show a 'consumers' list")
DELETE_NEEDS_FORCE = V("1.2", "deleting a secret with consumers needs ?force=true")
MAX = DELETE_NEEDS_FORCE

MICROVERSIONS = Microversions(name="key-manager", min=MIN, max=MAX)
