"""Settings: one dataclass, from command-line options, environment and an optional YAML file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("pocketstack"))


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 5000
    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str | None = None
    workers: int = 1
    admin_password: str | None = None
    public_url: str | None = None          # what the catalog and links say; default http://host:port
    options: dict[str, Any] = field(default_factory=dict)   # per-service sections of the YAML file
    log_level: str = "info"
    log_requests: bool = False             # one readable line per request (`--log-requests`)
    allow_reset: bool = False              # POST /pocketstack/v1/reset may wipe the running cloud
    listeners: dict[str, int] = field(default_factory=dict)  # service type -> port of its own listener
    tls_cert: str | None = None            # PEM certificate (chain): HTTPS on every port (`--tls-cert`)
    tls_key: str | None = None             # its PEM private key (`--tls-key`)
    notifications: str | None = None       # amqp://... or file:///...: where notifications go (off if None)
    host_name: str | None = None           # this host of the cloud (`--host-name`, config `host_name`)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'pocketstack.db'}"

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls_cert else "http"
        return (self.public_url or f"{scheme}://{self.host}:{self.port}").rstrip("/")

    def ssl_options(self) -> dict[str, str]:
        """uvicorn's keyword arguments for HTTPS (none without a certificate)."""
        if not self.tls_cert:
            return {}
        return {"ssl_certfile": self.tls_cert, "ssl_keyfile": self.tls_key or self.tls_cert}

    def listener_url(self, service_type: str) -> str | None:
        """scheme://host:port of a service's own listener (Swift's proxy port), when one runs: the
        public URL's scheme and host with that port."""
        port = self.listeners.get(service_type)
        if not port:
            return None
        parts = urlsplit(self.base_url)
        host = parts.hostname or self.host
        return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}:{port}"

    @property
    def blob_backend(self) -> str:
        """--blob-backend, else `blobs: {backend: ...}` of the config file, else files."""
        return str(self.option("blobs.backend") or "files")

    @property
    def notifications_url(self) -> str | None:
        """--notifications, else `notifications: {url: ...}` of the config file; None: off."""
        return self.notifications or self.option("notifications.url") or None

    def option(self, dotted: str, default: Any = None) -> Any:
        """`settings.option("identity.security_compliance.lockout_duration", 1800)`."""
        node: Any = self.options
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def to_env(self) -> dict[str, str]:
        """How the serve command hands settings to worker processes."""
        import yaml     # (here: a start without a config file parses no YAML)
        return {"POCKETSTACK_SETTINGS": yaml.safe_dump({
            "host": self.host, "port": self.port, "data_dir": str(self.data_dir),
            "database_url": self.database_url, "workers": self.workers,
            "public_url": self.public_url, "options": self.options, "log_level": self.log_level,
            "log_requests": self.log_requests, "allow_reset": self.allow_reset, "listeners": self.listeners,
            "tls_cert": self.tls_cert, "tls_key": self.tls_key, "notifications": self.notifications,
            "host_name": self.host_name})}

    @classmethod
    def from_env(cls) -> Settings:
        import yaml
        raw = yaml.safe_load(os.environ["POCKETSTACK_SETTINGS"])
        raw["data_dir"] = Path(raw["data_dir"])
        return cls(**raw)


def load_options(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    import yaml
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise SystemExit(f"{path}: expected a mapping of service sections")
    return data
