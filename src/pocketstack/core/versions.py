"""API versions and microversion negotiation, for every header style the services use."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pocketstack.core.errors import BadRequest, NotAcceptable

_VERSION_RE = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")


class APIVersion:
    """A microversion, compared with another or with "x.y" text. The comparisons are written out (not
    functools.total_ordering, whose derived operators cost a few calls each: a server list compares
    versions a dozen times per server)."""
    __slots__ = ("major", "minor", "note", "key")

    def __init__(self, text: str, note: str = "") -> None:
        m = _VERSION_RE.match(text.strip())
        if not m:
            raise ValueError(f"invalid version string: {text!r}")
        self.major, self.minor = int(m.group(1)), int(m.group(2))
        self.key = (self.major, self.minor)
        self.note = note

    def _key(self) -> tuple[int, int]:
        return self.key

    @staticmethod
    def _other(other: object) -> tuple[int, int] | None:
        if isinstance(other, APIVersion):
            return other.key
        if isinstance(other, str):
            return APIVersion(other).key
        return None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, APIVersion):
            return self.key == other.key
        return isinstance(other, str) and self.key == APIVersion(other).key

    def __lt__(self, other: object) -> bool:
        key = self._other(other)
        return NotImplemented if key is None else self.key < key

    def __le__(self, other: object) -> bool:
        key = self._other(other)
        return NotImplemented if key is None else self.key <= key

    def __gt__(self, other: object) -> bool:
        key = self._other(other)
        return NotImplemented if key is None else self.key > key

    def __ge__(self, other: object) -> bool:
        key = self._other(other)
        return NotImplemented if key is None else self.key >= key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    __repr__ = __str__


V = APIVersion  # short name for the per-service constant tables


@dataclass
class Microversions:
    """One service's microversion range and header names.

    `name` is the service name in `OpenStack-API-Version: <name> <x.y>`; `legacy` lists the
    service-specific headers (`X-OpenStack-Nova-API-Version`, `X-OpenStack-Ironic-API-Version`).
    """

    name: str
    min: APIVersion
    max: APIVersion
    legacy: tuple[str, ...] = ()
    default: APIVersion | None = None       # when the client sends no header (min if None)
    extra_headers: dict[str, str] = field(default_factory=dict)

    def requested(self, headers: dict[str, str]) -> str | None:
        value = headers.get("openstack-api-version")
        if value:
            for item in value.split(","):
                parts = item.strip().split()
                if len(parts) == 2 and parts[0].lower() == self.name:
                    return parts[1]
        for name in self.legacy:
            if headers.get(name.lower()):
                return headers[name.lower()].strip()
        return None

    def negotiate(self, headers: dict[str, str]) -> APIVersion:
        text = self.requested(headers)
        if text is None:
            return self.default or self.min
        if text.lower() == "latest":
            return self.max
        try:
            version = APIVersion(text)
        except ValueError:
            raise BadRequest(f"API Version String {text} is of invalid format. Must be of format "
                             "MajorNum.MinorNum.") from None
        if not (self.min <= version <= self.max):
            raise NotAcceptable(f"Version {text} is not supported by the API. Minimum is {self.min} "
                                f"and maximum is {self.max}.", min=str(self.min), max=str(self.max))
        return version

    def response_headers(self, version: APIVersion | None) -> dict[str, str]:
        names = ["OpenStack-API-Version", *self.legacy]
        out = {"Vary": ", ".join(names)}
        if version is not None:
            out["OpenStack-API-Version"] = f"{self.name} {version}"
            for name in self.legacy:
                out[name] = str(version)
        out.update(self.extra_headers)
        return out
