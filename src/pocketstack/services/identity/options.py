"""Identity's settings, with keystone.conf's names and defaults (section `identity` of the YAML).

    identity:
      token_expiration: 3600
      password_hash_algorithm: bcrypt      # or scrypt
      password_hash_rounds: 12
      security_compliance: {lockout_failure_attempts: 2, lockout_duration: 5, ...}
"""

from __future__ import annotations

from typing import Any

from pocketstack.config import Settings
from pocketstack.core import password_hash

DEFAULTS: dict[str, Any] = {
    "token_expiration": 3600,
    "allow_expired_window": 172800,
    "max_active_keys": 3,
    "password_hash_algorithm": password_hash.DEFAULT_ALGORITHM,
    "password_hash_rounds": password_hash.DEFAULT_ROUNDS,
    "max_password_length": 4096,
    "list_limit": None,
    "security_compliance": {
        "lockout_failure_attempts": None,
        "lockout_duration": 1800,
        "unique_last_password_count": 0,
        "minimum_password_age": 0,
        "password_expires_days": None,
        "password_regex": None,
        "password_regex_description": None,
        "change_password_upon_first_use": False,
        "disable_user_account_days_inactive": None,
    },
}

_current: dict[str, Any] = {}


def load(settings: Settings) -> None:
    merged = {**DEFAULTS, **(settings.options.get("identity") or {})}
    merged["security_compliance"] = {**DEFAULTS["security_compliance"],
                                     **((settings.options.get("identity") or {}).get("security_compliance") or {})}
    _current.clear()
    _current.update(merged)


def get(name: str) -> Any:
    return (_current or DEFAULTS)[name]


def compliance(name: str) -> Any:
    return (_current or DEFAULTS)["security_compliance"][name]
