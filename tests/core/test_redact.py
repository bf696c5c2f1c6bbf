"""Log lines are masked as oslo.utils' mask_password masks them."""

from __future__ import annotations

import logging

import pytest

from pocketstack.core.redact import MaskingFormatter, mask


@pytest.mark.parametrize("line", [
    "{'password': 'hunter2-secret'}",
    '{"adminPass": "hunter2-secret", "name": "vm"}',
    'user password="hunter2-secret"',
    "X-Auth-Token: hunter2-secret",
    "POST /v1/AUTH_x?temp_url_key=hunter2-secret&x=1",
    "X-Account-Meta-Temp-URL-Key: hunter2-secret",
    "credential blob='hunter2-secret'",
])
def test_secrets_are_masked(line):
    masked = mask(line)
    assert "hunter2-secret" not in masked and "***" in masked


def test_other_lines_are_left_alone():
    line = "GET /compute/v2.1/servers/detail?limit=5 200 0.012s 1893B req-658253b8"
    assert mask(line) == line


def test_the_formatter_masks_tracebacks_too():
    try:
        raise ValueError("bad body {'password': 'hunter2-secret'}")
    except ValueError:
        import sys
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed with %s", ("token=hunter2-secret",),
                                   sys.exc_info())
    text = MaskingFormatter("%(message)s").format(record)
    assert "hunter2-secret" not in text and "ValueError" in text


def test_database_errors_never_quote_their_parameters(tmp_path):
    import sqlalchemy as sa

    from pocketstack.core import db
    engine = db.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (k TEXT PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO t VALUES (:k)"), {"k": "hunter2-secret"})
    with pytest.raises(sa.exc.IntegrityError) as err, engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t VALUES (:k)"), {"k": "hunter2-secret"})
    assert "hunter2-secret" not in str(err.value)
    engine.dispose()
