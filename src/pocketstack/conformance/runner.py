"""Run a profile against a cloud (openstack.connect) and report: the `pocketstack conformance` command."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pocketstack.conformance import checks, cinder
from pocketstack.conformance.cloud import HTTP_ERRORS, CloudView
from pocketstack.conformance.guard import Interrupted, interruptible
from pocketstack.conformance.output import render
from pocketstack.conformance.profile import FeatureGroup, ProfileError, load
from pocketstack.conformance.report import Report

Probe = Callable[[CloudView, Report, FeatureGroup, checks.ServiceState], None]


class ConnectError(Exception):
    """The cloud could not be reached or authenticated against."""


def _probes(wait_timeout: float) -> dict[str, Probe]:
    return {
        "neutron_extensions": checks.neutron_extensions,
        "swift_info": checks.swift_info,
        "keystone_features": checks.keystone_features,
        "glance_import": checks.glance_import,
        "not_probed": lambda _cv, report, group, state: checks.not_probed(report, group, state),
        "cinder": lambda cv, report, group, state: cinder.probe_cinder(cv, report, group, state, wait_timeout),
    }


def connect(cloud: str | None) -> CloudView:
    import openstack
    from openstack import exceptions as sdk_exc
    try:
        return CloudView(openstack.connect(cloud=cloud))
    except (sdk_exc.SDKException, *HTTP_ERRORS) as exc:
        raise ConnectError(f"cannot connect to cloud {cloud or '(from OS_* environment)'}: {exc}") from exc


def run(cloud: str | None = None, profile: str = "seed", wait_timeout: float = 60.0,
        view: CloudView | None = None) -> Report:
    """Check one cloud against one profile. Interrupts (Ctrl-C, SIGTERM) end the run after cleanup."""
    started = time.monotonic()
    prof = load(profile)
    cv = view or connect(cloud)
    report = Report(prof.name, prof.title, cloud or "(environment)", cv.auth_url)
    probes = _probes(wait_timeout)
    try:
        with interruptible():
            states = {spec.type: checks.check_service(cv, report, spec) for spec in prof.services}
            for group in prof.features:
                probes[group.probe](cv, report, group, states[group.service])
    except (KeyboardInterrupt, Interrupted):
        report.interrupted = True
    finally:
        report.duration = time.monotonic() - started
    return report


def main(args: argparse.Namespace) -> int:
    fmt: str = getattr(args, "format", "table") or "table"
    output: Any = getattr(args, "output", None)
    try:
        report = run(getattr(args, "os_cloud", None), getattr(args, "profile", "seed") or "seed",
                     float(getattr(args, "wait_timeout", 60.0) or 60.0))
    except (ProfileError, ConnectError) as exc:
        print(f"pocketstack conformance: {exc}", file=sys.stderr)
        return 2
    text = render(report, fmt)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        if fmt != "table":
            sys.stdout.write(render(report, "table"))
        print(f"wrote {fmt} report to {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return report.exit_code()
