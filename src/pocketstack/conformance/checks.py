"""Read-only checks: catalog presence, API versions and microversions, extension and capability lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pocketstack.conformance.cloud import (
    HTTP_ERRORS, CloudView, Endpoint, Version, VersionInfo, parse_version, show_version, unversioned_root,
    version_from_url)
from pocketstack.conformance.profile import FeatureGroup, ServiceSpec
from pocketstack.conformance.report import Report, Result, Status


@dataclass
class ServiceState:
    """What the service checks learned, for the feature checks that follow."""
    spec: ServiceSpec
    endpoint: Endpoint | None = None
    versions: list[VersionInfo] = field(default_factory=list)
    error: str = ""

    @property
    def usable(self) -> bool:
        return self.endpoint is not None and not self.error

    @property
    def major(self) -> int:
        return parse_version(self.spec.version)[0]


def _row(spec: ServiceSpec, requirement: str, expected: str, found: str, status: Status, detail: str = "",
         mandatory: bool | None = None) -> Result:
    return Result(spec.type, requirement, expected, found, status,
                  spec.mandatory if mandatory is None else (spec.mandatory and mandatory), spec.ref, detail)


def _expectations(spec: ServiceSpec) -> list[tuple[str, str, bool]]:
    """(requirement, expected, mandatory) for every row a service contributes after 'in catalog'."""
    rows = [("API version", _expected_version(spec), True)]
    rows += [(f"microversion {mv.value}", f"{mv.value} within [min, max]" + (f" ({mv.note})" if mv.note else ""),
              mv.mandatory) for mv in spec.microversions]
    if spec.template_version:
        rows.append((f"template version {spec.template_version}",
                     f"heat_template_version.{spec.template_version} listed", True))
    return rows


def check_service(cv: CloudView, report: Report, spec: ServiceSpec) -> ServiceState:
    state = ServiceState(spec)
    ep, why = cv.endpoint(spec.catalog_types)
    if ep is None:
        report.add(_row(spec, "in catalog", f"{'/'.join(spec.catalog_types)} endpoint", "absent",
                        Status.MISSING, why))
        for requirement, expected, mandatory in _expectations(spec):
            report.add(_row(spec, requirement, expected, "-", Status.MISSING, why, mandatory))
        state.error = why
        return state
    state.endpoint = ep
    report.add(_row(spec, "in catalog", f"{'/'.join(spec.catalog_types)} endpoint", f"{ep.catalog_type} {ep.url}",
                    Status.PASS))
    try:
        state.versions = cv.versions(ep)
    except HTTP_ERRORS as exc:
        state.error = f"version discovery failed: {exc}"
    if not state.versions and (from_url := version_from_url(ep.url)):
        # Swift (and some old services) publish no version document; the catalog URL carries the version.
        state.versions = [VersionInfo(from_url, ep.url, "from endpoint URL", None, None)]
        state.error = ""
    _check_version(report, state)
    for mv in spec.microversions:
        _check_microversion(report, state, mv.value, mv.mandatory, mv.note)
    if spec.template_version:
        _check_template_version(cv, report, state, spec.template_version)
    return state


def _expected_version(spec: ServiceSpec) -> str:
    major = parse_version(spec.version)[0]
    later = f"v{major}.x" + (f" or v{spec.successor_major}.x" if spec.successor_major else "")
    return f"v{spec.version} or later {later}"


def _same_major(state: ServiceState) -> list[VersionInfo]:
    """The listed versions of the profile's major, or of the major that replaced it upstream."""
    same = [v for v in state.versions if v.version[0] == state.major]
    successor = state.spec.successor_major
    return same or [v for v in state.versions if successor is not None and v.version[0] == successor]


def _check_version(report: Report, state: ServiceState) -> None:
    spec = state.spec
    expected = _expected_version(spec)
    if not state.versions:
        report.add(_row(spec, "API version", expected, "none", Status.FAIL,
                        state.error or "the service lists no API version"))
        return
    listed = ", ".join(f"v{show_version(v.version)}" for v in state.versions)
    same = _same_major(state)
    if not same:
        report.add(_row(spec, "API version", expected, listed, Status.FAIL, f"no v{state.major}.x API"))
        return
    best = max(same, key=lambda v: v.version)
    ok = best.version >= parse_version(spec.version)
    detail = "" if ok else f"versions listed: {listed}"
    report.add(_row(spec, "API version", expected, best.describe(), Status.PASS if ok else Status.FAIL, detail))


def _check_microversion(report: Report, state: ServiceState, value: str, mandatory: bool, note: str) -> None:
    spec = state.spec
    wanted: Version = parse_version(value)
    expected = f"{value} within [min, max]" + (f" ({note})" if note else "")
    ranges = [(v.min_microversion or (wanted[0], 0), v.max_microversion) for v in _same_major(state)
              if v.max_microversion]
    if not ranges:
        report.add(_row(spec, f"microversion {value}", expected, "no microversions", Status.FAIL,
                        state.error or f"no v{state.major}.x version advertises a microversion range", mandatory))
        return
    ok = any(lo <= wanted <= hi for lo, hi in ranges)
    found = ", ".join(f"{show_version(lo)}-{show_version(hi)}" for lo, hi in ranges)
    report.add(_row(spec, f"microversion {value}", expected, found, Status.PASS if ok else Status.FAIL,
                    "" if ok else f"{value} is outside the advertised range", mandatory))


def _check_template_version(cv: CloudView, report: Report, state: ServiceState, wanted: str) -> None:
    spec, requirement = state.spec, f"template version {wanted}"
    expected = f"heat_template_version.{wanted} listed"
    assert state.endpoint is not None
    try:
        status, body = cv.get_json(state.endpoint, state.major, "/template_versions")
    except HTTP_ERRORS as exc:
        report.add(_row(spec, requirement, expected, "error", Status.FAIL, str(exc)))
        return
    if status != 200 or not isinstance(body, dict):
        report.add(_row(spec, requirement, expected, f"HTTP {status}", Status.FAIL, "GET /template_versions"))
        return
    names = {str(t.get("version")) for t in body.get("template_versions", []) if isinstance(t, dict)}
    hot = sorted(n.split(".", 1)[1] for n in names if n.startswith("heat_template_version."))
    ok = f"heat_template_version.{wanted}" in names
    report.add(_row(spec, requirement, expected, f"latest {hot[-1]}" if hot else "none",
                    Status.PASS if ok else Status.FAIL, "" if ok else f"listed: {', '.join(hot)}"))


# --- feature groups --------------------------------------------------------------
def feature_row(group: FeatureGroup, name: str, mandatory: bool, expected: str, found: str, status: Status,
                detail: str = "") -> Result:
    return Result(group.group, name, expected, found, status, mandatory, group.ref, detail)


def missing_rows(report: Report, group: FeatureGroup, state: ServiceState, expected: str) -> None:
    status = Status.MISSING if state.endpoint is None else Status.FAIL
    for name, mandatory in group.items():
        report.add(feature_row(group, name, mandatory, expected, "-", status, state.error))


def not_probed(report: Report, group: FeatureGroup, state: ServiceState) -> None:
    if state.endpoint is None:
        missing_rows(report, group, state, "available")
        return
    for name, mandatory in group.items():
        report.add(feature_row(group, name, mandatory, "available", "not probed", Status.SKIP,
                               group.reason or "cannot be checked through the API"))


def neutron_extensions(cv: CloudView, report: Report, group: FeatureGroup, state: ServiceState) -> None:
    expected = "listed in GET /v2.0/extensions"
    if not state.usable:
        missing_rows(report, group, state, expected)
        return
    assert state.endpoint is not None
    try:
        status, body = cv.get_json(state.endpoint, state.major, "/extensions")
    except HTTP_ERRORS as exc:
        status, body = 0, {"error": str(exc)}
    if status != 200 or not isinstance(body, dict) or not isinstance(body.get("extensions"), list):
        state.error = f"GET /extensions answered HTTP {status}: {str(body)[:200]}"
        missing_rows(report, group, state, expected)
        return
    aliases = {str(e.get("alias")) for e in body["extensions"] if isinstance(e, dict)}
    for name, mandatory in group.items():
        ok = name in aliases
        report.add(feature_row(group, name, mandatory, expected, "listed" if ok else "not listed",
                               Status.PASS if ok else Status.FAIL, "" if ok else f"{len(aliases)} extensions listed"))


def swift_info(cv: CloudView, report: Report, group: FeatureGroup, state: ServiceState) -> None:
    expected = "capability in GET /info"
    if state.endpoint is None:
        missing_rows(report, group, state, expected)
        return
    url = unversioned_root(state.endpoint.url) + "/info"
    try:
        status, body = cv.get_absolute(url, authenticated=False)
    except HTTP_ERRORS as exc:
        status, body = 0, str(exc)
    info = body if status == 200 and isinstance(body, dict) else None
    for name, mandatory in group.items():
        key = group.info_keys.get(name, name)
        if info is None:
            report.add(feature_row(group, name, mandatory, expected, f"HTTP {status}", Status.FAIL,
                                   f"GET {url}: {str(body)[:200]}"))
        elif key is None:
            report.add(feature_row(group, name, mandatory, "GET /info answers", f"{len(info)} capabilities",
                                   Status.PASS))
        else:
            ok = key in info
            report.add(feature_row(group, name, mandatory, f"'{key}' in GET /info", "present" if ok else "absent",
                                   Status.PASS if ok else Status.FAIL))


def _keystone_probes(cv: CloudView) -> dict[str, str | None]:
    """Feature -> path template ({user}, {project}, {domain} are filled in from the token)."""
    return {
        "application_credentials": "/users/{user}/application_credentials",
        "access_rules": "/users/{user}/access_rules",
        "project_tags": "/projects/{project}/tags" if cv.project_id else None,
        "trust": "/OS-TRUST/trusts?trustor_user_id={user}",
        "security_compliance": "/domains/{domain}/config/security_compliance",
        "federation": "/OS-FEDERATION/identity_providers",
        "oauth1": "/OS-OAUTH1/consumers",
    }


def _probe_paths(cv: CloudView, report: Report, group: FeatureGroup, state: ServiceState,
                 paths: dict[str, str | None], judge: Callable[[str, Any], tuple[bool, str]]) -> None:
    """One GET per feature: 2xx and judge() -> PASS, 403 -> SKIP (not allowed to look), else FAIL.

    judge(feature, body) -> (ok, what was found)."""
    if not state.usable:
        missing_rows(report, group, state, "API answers")
        return
    assert state.endpoint is not None
    for name, mandatory in group.items():
        path = paths.get(name)
        if path is None:
            report.add(feature_row(group, name, mandatory, "available", "not probed", Status.SKIP,
                                   group.reason or "cannot be checked through the API"))
            continue
        real = path.format(user=cv.user_id, project=cv.project_id, domain=cv.access.user_domain_id or "default")
        try:
            status, body = cv.get_json(state.endpoint, state.major, real)
        except HTTP_ERRORS as exc:
            status, body = 0, str(exc)
        expected = f"GET {path.split('?')[0]} answers"
        if status == 403:
            report.add(feature_row(group, name, mandatory, expected, "HTTP 403", Status.SKIP,
                                   "this user may not look; run with an admin cloud entry"))
            continue
        ok, found = judge(name, body) if 200 <= status < 300 else (False, f"HTTP {status}")
        report.add(feature_row(group, name, mandatory, expected, found, Status.PASS if ok else Status.FAIL,
                               "" if ok else f"GET {path}: {str(body)[:200]}"))


def keystone_features(cv: CloudView, report: Report, group: FeatureGroup, state: ServiceState) -> None:
    def judge(_name: str, body: Any) -> tuple[bool, str]:
        return isinstance(body, dict), "answers" if isinstance(body, dict) else "no JSON body"

    _probe_paths(cv, report, group, state, _keystone_probes(cv), judge)


def glance_import(cv: CloudView, report: Report, group: FeatureGroup, state: ServiceState) -> None:
    methods = {"import_image": "glance-direct", "web-download import": "web-download"}
    paths: dict[str, str | None] = {name: "/info/import" if name in methods else None for name, _ in group.items()}

    def judge(name: str, body: Any) -> tuple[bool, str]:
        values = (body or {}).get("import-methods", {}).get("value", []) if isinstance(body, dict) else []
        ok = bool(values) if name == "import_image" else methods[name] in values
        return ok, "methods: " + (", ".join(map(str, values)) or "none")

    _probe_paths(cv, report, group, state, paths, judge)
