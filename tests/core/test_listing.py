"""Paging, sorting and filtering pushed into SQL: keyset markers, several sort keys, page_reverse."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from starlette.datastructures import QueryParams

from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.listing import Listing, next_link

META = sa.MetaData()
ITEMS = sa.Table("items", META, sa.Column("id", sa.String, primary_key=True), sa.Column("name", sa.String),
                 sa.Column("size", sa.Integer))
LISTING = Listing(ITEMS, sort_keys={"id", "name", "size"}, filters={"name": ITEMS.c.name},
                  default_sort=[("name", "asc")])


@pytest.fixture()
def conn():
    engine = sa.create_engine("sqlite://")
    META.create_all(engine)
    with engine.begin() as c:
        c.execute(ITEMS.insert(), [{"id": f"{i:02d}", "name": "ab"[i % 2], "size": i} for i in range(10)])
        yield c


def _page(conn, query: str):
    q = LISTING.parse(QueryParams(query))
    rows, more = LISTING.page(conn, sa.select(ITEMS), q)
    return [r["id"] for r in rows], more


def test_pages_walk_the_whole_set_without_overlap(conn):
    seen, marker = [], ""
    while True:
        ids, more = _page(conn, f"limit=3&sort_key=size&sort_dir=desc{marker}")
        seen += ids
        if not more:
            break
        marker = f"&marker={ids[-1]}"
    assert seen == [f"{i:02d}" for i in reversed(range(10))]


def test_several_sort_keys_and_filters(conn):
    ids, _ = _page(conn, "sort_key=name&sort_dir=desc&sort_key=size&sort_dir=asc&name=a")
    assert ids == ["00", "02", "04", "06", "08"]


def test_page_reverse(conn):
    ids, _ = _page(conn, "sort_key=size&sort_dir=asc&limit=2&marker=05&page_reverse=true")
    assert ids == ["03", "04"]


def test_bad_sort_key_limit_and_marker(conn):
    with pytest.raises(BadRequest):
        _page(conn, "sort_key=password")
    with pytest.raises(BadRequest):
        _page(conn, "limit=-1")
    with pytest.raises(NotFound):
        _page(conn, "marker=nope")


def test_next_link_keeps_the_query():
    link = next_link("http://x/v2.0/networks", QueryParams("limit=2&name=a&marker=old"), "new")
    assert link == "http://x/v2.0/networks?limit=2&name=a&marker=new"
