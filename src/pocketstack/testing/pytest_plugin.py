"""The pocketstack pytest plugin (installed with the package, entry point `pytest11`).

Fixtures, nothing starts unless a test asks for one:
- `pocketstack_cloud` (session): a throwaway cloud on a free port with a temporary data dir;
  `.url`, `.clouds_yaml`, `.connection()` (demo), `.admin_connection()`, `.reset()`, `.add_fault()`.
- `pocketstack_reset` (function): the same cloud, reset to its first start before the test.
- `pocketstack_config` (session): config sections for the cloud (override it in a conftest.py).
See docs/pytest-plugin.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pocketstack")
    group.addoption("--pocketstack-database-url", default=os.environ.get("POCKETSTACK_PYTEST_DATABASE_URL"),
                    help="run the throwaway cloud on this database (default: SQLite in a temporary dir)")


@pytest.fixture(scope="session")
def pocketstack_config() -> dict[str, Any]:
    """Config sections for the throwaway cloud (see `pocketstack serve --config`); override to change."""
    return {}


@pytest.fixture(scope="session")
def pocketstack_cloud(tmp_path_factory: pytest.TempPathFactory, pocketstack_config: dict[str, Any],
                      pytestconfig: pytest.Config) -> Iterator[Any]:
    from pocketstack.testing.cloud import PocketstackCloud
    cloud = PocketstackCloud(tmp_path_factory.mktemp("pocketstack"), config=pocketstack_config,
                             database_url=pytestconfig.getoption("pocketstack_database_url"))
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture()
def pocketstack_reset(pocketstack_cloud: Any) -> Any:
    """The session's cloud, put back to its first start before this test (well under a second)."""
    pocketstack_cloud.reset()
    return pocketstack_cloud
