"""`pocketstack conformance`: check any OpenStack cloud against the RA1 chapter 5 API profile."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pocketstack.conformance.report import Report

__all__ = ["main", "run"]


def run(*args: Any, **kwargs: Any) -> Report:
    """Check a cloud against a profile in-process; see runner.run."""
    from pocketstack.conformance.runner import run as _run
    return _run(*args, **kwargs)


def main(args: argparse.Namespace) -> int:
    """The CLI entry; openstacksdk is imported only here, so `pocketstack serve` never needs it."""
    try:
        from pocketstack.conformance.runner import main as _main
    except ModuleNotFoundError as exc:
        print(f"pocketstack conformance needs openstacksdk (pip install openstacksdk): {exc}", file=sys.stderr)
        return 2
    return _main(args)
