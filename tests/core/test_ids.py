"""Request ids as oslo.middleware's request_id middleware takes them."""

from __future__ import annotations

import pytest

from pocketstack.core.ids import global_request_id, new_request_id


def test_a_well_formed_global_request_id_is_kept():
    rid = new_request_id()
    assert global_request_id(rid) == rid


@pytest.mark.parametrize("inbound", [
    None, "", "req-", "abc", "req-not-a-uuid", "b0f6ba1e-4a8e-4f53-9b9a-3f4a0c6d6c0e",
    "req-B0F6BA1E-4A8E-4F53-9B9A-3F4A0C6D6C0E",           # oslo's format is lowercase
    "req-b0f6ba1e-4a8e-4f53-9b9a-3f4a0c6d6c0e\n",          # no trailing newline smuggled in
    "req-b0f6ba1e-4a8e-4f53-9b9a-3f4a0c6d6c0e-extra", "<script>alert(1)</script>", "x" * 10000,
])
def test_anything_else_is_dropped(inbound):
    assert global_request_id(inbound) is None
