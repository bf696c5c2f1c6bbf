"""Every start: register the job that reaps expired objects (X-Delete-At); read the ratelimit and
tempauth options."""

from __future__ import annotations

from typing import Any

from pocketstack.core import jobs
from pocketstack.services.object_store import objects, ratelimit, tempauth


def startup(settings: Any) -> None:
    jobs.register(objects.EXPIRE_JOB, objects.expire)
    ratelimit.configure(settings.option("object_store.ratelimit"))
    tempauth.configure(settings.option("object_store.tempauth"), settings.data_dir)
