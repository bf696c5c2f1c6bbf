#!/usr/bin/env python3
"""Autogenerate Alembic migrations from the tables.

    scripts/make_migration.py "message"      # the next revision, from head to the models
    scripts/make_migration.py --initial      # rewrite the initial revision (before a release only)

Read and edit the result before committing it.
"""

import fcntl
import sys
import tempfile
from pathlib import Path

from alembic import command

from pocketstack.core import db

VERSIONS = Path(db.__file__).resolve().parent.parent / "migrations" / "versions"


def main() -> None:
    initial = "--initial" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--initial"]
    message = "initial schema" if initial else (args[0] if args else "change")
    with open(VERSIONS / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if initial:
            for old in VERSIONS.glob("*.py"):
                if old.name != "__init__.py":
                    old.unlink()
        with tempfile.TemporaryDirectory() as tmp:
            cfg = db.alembic_config(f"sqlite:///{Path(tmp) / 'scratch.db'}")
            command.upgrade(cfg, "head")
            command.revision(cfg, message=message, autogenerate=True, rev_id="0001" if initial else None)


if __name__ == "__main__":
    main()
