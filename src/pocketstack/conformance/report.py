"""Check results: one row per requirement, and the report that collects them."""

from __future__ import annotations

import enum
import time
from dataclasses import asdict, dataclass, field
from typing import Any


class Status(str, enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"        # the service is there but does not meet the requirement
    MISSING = "MISSING"  # the service is not in the catalog
    SKIP = "SKIP"        # cannot be checked through the API (or not probed); never fails the run


@dataclass
class Result:
    section: str        # e.g. "identity", "neutron-extensions"
    requirement: str    # e.g. "API version", "address-scope"
    expected: str
    found: str
    status: Status
    mandatory: bool
    ref: str = ""       # RA1 section
    detail: str = ""

    @property
    def blocking(self) -> bool:
        """True when this row makes the run fail."""
        return self.mandatory and self.status in (Status.FAIL, Status.MISSING)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["status"] = self.status.value
        return out


@dataclass
class Report:
    profile: str
    title: str
    cloud: str
    auth_url: str = ""
    started: float = field(default_factory=time.time)
    duration: float = 0.0
    interrupted: bool = False
    results: list[Result] = field(default_factory=list)

    def add(self, result: Result) -> Result:
        self.results.append(result)
        return result

    def find(self, section: str, requirement: str) -> Result | None:
        return next((r for r in self.results if r.section == section and r.requirement == requirement), None)

    def summary(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status}
        for r in self.results:
            counts[r.status.value] += 1
        counts["mandatory_failed"] = sum(1 for r in self.results if r.blocking)
        return counts

    @property
    def passed(self) -> bool:
        return not self.interrupted and not any(r.blocking for r in self.results)

    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 0 if self.passed else 1

    def to_dict(self) -> dict[str, Any]:
        return {"profile": self.profile, "title": self.title, "cloud": self.cloud, "auth_url": self.auth_url,
                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
                "duration_seconds": round(self.duration, 3), "interrupted": self.interrupted,
                "passed": self.passed, "summary": self.summary(),
                "results": [r.to_dict() for r in self.results]}
