"""Every start: register the job that reaps expired objects (X-Delete-At)."""

from __future__ import annotations

from typing import Any

from pocketstack.core import jobs
from pocketstack.services.object_store import objects


def startup(settings: Any) -> None:
    jobs.register(objects.EXPIRE_JOB, objects.expire)
