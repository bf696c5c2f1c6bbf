"""The cloud under test, seen only through openstacksdk/keystoneauth: catalog, version discovery, HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import discover
from keystoneauth1 import exceptions as ks_exc

Version = tuple[int, ...]


def parse_version(text: str) -> Version:
    """'v2.1', '2.1', '3' -> a comparable tuple (major, minor)."""
    parsed = discover.normalize_version_number(text)
    return tuple(int(p) for p in parsed) + (0,) * max(0, 2 - len(parsed))


def show_version(version: Version) -> str:
    return ".".join(str(p) for p in version)


@dataclass(frozen=True)
class Endpoint:
    catalog_type: str
    url: str
    region: str | None
    interface: str


@dataclass(frozen=True)
class VersionInfo:
    version: Version
    url: str
    status: str
    min_microversion: Version | None
    max_microversion: Version | None

    def describe(self) -> str:
        text = f"v{show_version(self.version)} ({self.status.lower()})"
        if self.max_microversion:
            text += f" microversions {show_version(self.min_microversion or (0, 0))}-"
            text += show_version(self.max_microversion)
        return text


class CloudView:
    """One authenticated connection, with the helpers every check needs."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.session = conn.session
        self.interface: str = conn.config.get_interface() or "public"
        self.region: str | None = conn.config.get_region_name() or None
        self.access = self.session.auth.get_access(self.session)
        self.auth_url: str = str(conn.config.get_auth_args().get("auth_url", ""))
        self._adapters: dict[tuple[str, int], ks_adapter.Adapter] = {}

    @property
    def user_id(self) -> str:
        return str(self.access.user_id)

    @property
    def project_id(self) -> str | None:
        project = self.access.project_id
        return str(project) if project else None

    @property
    def is_admin(self) -> bool:
        return "admin" in {r.lower() for r in self.access.role_names or []}

    # --- catalog ---------------------------------------------------------------
    def catalog_types(self) -> set[str]:
        return set(self.access.service_catalog.get_endpoints().keys())

    def endpoint(self, catalog_types: tuple[str, ...]) -> tuple[Endpoint | None, str]:
        """The first catalog entry of any of the types usable here, or (None, why not)."""
        catalog = self.access.service_catalog.get_endpoints()
        present = [t for t in catalog_types if t in catalog]
        if not present:
            return None, f"no {'/'.join(catalog_types)} service in the catalog"
        for stype in present:
            for ep in catalog[stype]:
                if ep.get("interface") != self.interface:
                    continue
                region = ep.get("region_id") or ep.get("region")
                if self.region and region and region != self.region:
                    continue
                return Endpoint(stype, str(ep.get("url", "")), region, self.interface), ""
        return None, (f"{'/'.join(present)} is in the catalog but has no {self.interface} endpoint"
                      + (f" in region {self.region}" if self.region else ""))

    # --- version discovery -----------------------------------------------------
    def versions(self, ep: Endpoint) -> list[VersionInfo]:
        """Every API version the service's own version document lists (keystoneauth discovery)."""
        data = self.session.get_all_version_data(service_type=ep.catalog_type, interface=ep.interface,
                                                 region_name=ep.region)
        found: list[VersionInfo] = []
        seen: set[tuple[Version, str]] = set()
        for per_interface in data.values():
            for per_type in per_interface.values():
                for items in per_type.values():
                    for item in items:
                        if not item.get("version"):
                            continue
                        info = VersionInfo(
                            version=parse_version(item["version"]), url=str(item.get("url") or ""),
                            status=str(item.get("status") or item.get("raw_status") or "unknown"),
                            min_microversion=_opt_version(item.get("min_microversion")),
                            max_microversion=_opt_version(item.get("max_microversion")))
                        if (info.version, info.url) not in seen:
                            seen.add((info.version, info.url))
                            found.append(info)
        return sorted(found, key=lambda v: v.version)

    # --- HTTP ------------------------------------------------------------------
    def adapter(self, ep: Endpoint, major: int) -> ks_adapter.Adapter:
        """A keystoneauth Adapter on the discovered endpoint of API version major.x (no raising on errors)."""
        key = (ep.catalog_type, major)
        if key not in self._adapters:
            self._adapters[key] = ks_adapter.Adapter(
                session=self.session, service_type=ep.catalog_type, interface=ep.interface,
                region_name=ep.region, min_version=f"{major}.0", max_version=f"{major}.latest", raise_exc=False)
        return self._adapters[key]

    def get_json(self, ep: Endpoint, major: int, path: str, **kwargs: Any) -> tuple[int, Any]:
        """GET a path of the versioned endpoint: (status, parsed body or None)."""
        resp = self.adapter(ep, major).get(path, **kwargs)
        return resp.status_code, _json(resp)

    def get_absolute(self, url: str, authenticated: bool = True) -> tuple[int, Any]:
        resp = self.session.get(url, authenticated=authenticated, raise_exc=False,
                                headers={"Accept": "application/json"})
        return resp.status_code, _json(resp)


def _opt_version(text: Any) -> Version | None:
    return parse_version(str(text)) if text else None


def _json(resp: Any) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def unversioned_root(url: str) -> str:
    """http://h:8080/v1/AUTH_x -> http://h:8080 (for Swift /info)."""
    match = re.match(r"^(.*?)/v\d+(\.\d+)?(/.*)?$", url.rstrip("/"))
    return (match.group(1) if match else url).rstrip("/")


def version_from_url(url: str) -> Version | None:
    match = re.search(r"/v(\d+(?:\.\d+)?)(?:/|$)", url)
    return parse_version(match.group(1)) if match else None


HTTP_ERRORS = (ks_exc.ClientException,)
