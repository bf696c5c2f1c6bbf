"""RA1 chapter 5 profiles: the YAML data in profiles/ loaded into typed, validated objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

PROBES = ("cinder", "neutron_extensions", "swift_info", "keystone_features", "glance_import", "not_probed")


class ProfileError(ValueError):
    """A profile file is missing or malformed."""


@dataclass(frozen=True)
class Microversion:
    value: str
    mandatory: bool = True
    note: str = ""


@dataclass(frozen=True)
class ServiceSpec:
    type: str
    name: str
    ref: str
    mandatory: bool
    version: str
    aliases: tuple[str, ...] = ()
    microversions: tuple[Microversion, ...] = ()
    template_version: str | None = None
    successor_major: int | None = None     # a later major API that replaced this one upstream

    @property
    def catalog_types(self) -> tuple[str, ...]:
        return (self.type, *self.aliases)


@dataclass(frozen=True)
class FeatureGroup:
    group: str
    service: str
    probe: str
    ref: str
    mandatory: tuple[str, ...]
    optional: tuple[str, ...]
    reason: str = ""
    info_keys: dict[str, str | None] = field(default_factory=dict)

    def items(self) -> list[tuple[str, bool]]:
        """(feature, mandatory) pairs, mandatory first, each in profile order."""
        return [(n, True) for n in self.mandatory] + [(n, False) for n in self.optional]


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    source: str
    services: tuple[ServiceSpec, ...]
    features: tuple[FeatureGroup, ...]

    def service(self, service_type: str) -> ServiceSpec | None:
        return next((s for s in self.services if s.type == service_type), None)


def available() -> list[str]:
    folder = resources.files("pocketstack.conformance") / "profiles"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load(name_or_path: str) -> Profile:
    """A bundled profile by name (seed, moselle) or any profile YAML file by path."""
    if name_or_path.endswith((".yaml", ".yml")):
        text = Path(name_or_path).read_text(encoding="utf-8")
    else:
        res = resources.files("pocketstack.conformance") / "profiles" / f"{name_or_path}.yaml"
        if not res.is_file():
            raise ProfileError(f"unknown profile {name_or_path!r} (bundled: {', '.join(available())})")
        text = res.read_text(encoding="utf-8")
    try:
        return parse(yaml.safe_load(text))
    except (KeyError, TypeError, yaml.YAMLError) as exc:
        raise ProfileError(f"malformed profile {name_or_path!r}: {exc!r}") from exc


def _str(value: Any) -> str:
    if value is None:
        raise ProfileError("missing value")
    return str(value)


def parse(data: dict[str, Any]) -> Profile:
    services = []
    for s in data["services"]:
        mvs = tuple(Microversion(_str(m["value"]), bool(m.get("mandatory", True)), str(m.get("note", "")))
                    for m in s.get("microversions") or [])
        services.append(ServiceSpec(
            type=_str(s["type"]), name=_str(s["name"]), ref=_str(s.get("ref", "")),
            mandatory=bool(s.get("mandatory", True)), version=_str(s["version"]),
            aliases=tuple(str(a) for a in s.get("aliases") or []), microversions=mvs,
            template_version=str(s["template_version"]) if s.get("template_version") else None,
            successor_major=int(s["successor_major"]) if s.get("successor_major") else None))
    known = {s.type for s in services}
    groups = []
    for g in data.get("features") or []:
        group = FeatureGroup(
            group=_str(g["group"]), service=_str(g["service"]), probe=_str(g["probe"]), ref=str(g.get("ref", "")),
            mandatory=tuple(str(n) for n in g.get("mandatory") or []),
            optional=tuple(str(n) for n in g.get("optional") or []), reason=str(g.get("reason", "")),
            info_keys={str(k): (None if v is None else str(v)) for k, v in (g.get("info_keys") or {}).items()})
        if group.probe not in PROBES:
            raise ProfileError(f"feature group {group.group}: unknown probe {group.probe!r} (known: {PROBES})")
        if group.service not in known:
            raise ProfileError(f"feature group {group.group}: service {group.service!r} is not in the profile")
        groups.append(group)
    return Profile(name=_str(data["name"]), title=str(data.get("title", "")), source=str(data.get("source", "")),
                   services=tuple(services), features=tuple(groups))
