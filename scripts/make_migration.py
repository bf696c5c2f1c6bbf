#!/usr/bin/env python3
"""Autogenerate the next Alembic migration from the tables: scripts/make_migration.py "message".

Compares the models with a scratch SQLite database brought to head, writes the revision file
under src/pocketstack/migrations/versions/. Read and edit the result before committing it.
"""

import sys
import tempfile
from pathlib import Path

from alembic import command

from pocketstack.core import db


def main() -> None:
    message = sys.argv[1] if len(sys.argv) > 1 else "change"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        cfg = db.alembic_config(url)
        command.upgrade(cfg, "head")
        command.revision(cfg, message=message, autogenerate=True)


if __name__ == "__main__":
    main()
