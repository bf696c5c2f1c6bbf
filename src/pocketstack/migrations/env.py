"""Alembic environment: one history for the one database."""

from __future__ import annotations

from alembic import context

from pocketstack import services
from pocketstack.core import db

services.load_all()          # registers every table

config = context.config


def run() -> None:
    engine = db.create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        conn.info["immediate"] = True
        context.configure(connection=conn, target_metadata=db.metadata, render_as_batch=True,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()
    engine.dispose()


run()
