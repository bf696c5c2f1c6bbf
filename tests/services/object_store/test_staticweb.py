"""StaticWeb: containers served as web sites to anonymous clients (swift staticweb middleware)."""

from __future__ import annotations

from typing import Any

PUBLIC = {"X-Container-Read": ".r:*,.rlistings"}


def site(swift: Any, **meta: str) -> str:
    c = swift.container(**PUBLIC, **{f"X-Container-Meta-Web-{k}": v for k, v in meta.items()})
    for name, data in {"index.html": b"<h1>home</h1>", "a/b.txt": b"bee", "a/index.html": b"sub",
                       "404err.html": b"custom missing"}.items():
        assert swift.put(f"/{c}/{name}", content=data).status_code == 201
    return c


def test_index_redirect_and_subdir(swift: Any, anon: Any) -> None:
    c = site(swift, Index="index.html")
    r = anon.get(f"/{c}", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"].endswith(f"/{c}/")
    assert anon.get(f"/{c}/").content == b"<h1>home</h1>"
    assert anon.get(f"/{c}", follow_redirects=True).content == b"<h1>home</h1>"
    r = anon.get(f"/{c}/a", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"].endswith(f"/{c}/a/")
    assert anon.get(f"/{c}/a/").content == b"sub"
    assert anon.get(f"/{c}/a/b.txt").content == b"bee"
    # with a token the plain API answers, unless X-Web-Mode asks for the site
    assert swift.get(f"/{c}").status_code == 200 and "index.html" in swift.get(f"/{c}").text
    assert swift.get(f"/{c}/", headers={"X-Web-Mode": "true"}).content == b"<h1>home</h1>"


def test_listings_css_and_error_page(swift: Any, anon: Any) -> None:
    c = site(swift, Listings="true", **{"Listings-CSS": "style.css", "Error": "err.html"})
    r = anon.get(f"/{c}/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<link rel="stylesheet" type="text/css" href="style.css" />' in r.text
    assert 'href="index.html"' in r.text and 'href="a/"' in r.text
    r = anon.get(f"/{c}/a/")
    assert 'href="b.txt"' in r.text and 'href="../style.css"' in r.text and 'href="../"' in r.text
    r = anon.get(f"/{c}/missing")
    assert r.status_code == 404 and r.content == b"custom missing"
    assert anon.get(f"/{c}/nope/").status_code == 404


def test_listing_disabled_and_private(swift: Any, anon: Any) -> None:
    c = site(swift, Index="nothere.html")
    r = anon.get(f"/{c}/")
    assert r.status_code == 404 and "Web Listing Disabled" in r.text
    private = swift.container(**{"X-Container-Meta-Web-Listings": "true"})
    assert anon.get(f"/{private}/").status_code == 401
    plain = swift.container(**PUBLIC)
    assert anon.get(f"/{plain}").status_code in (200, 204)
    assert anon.get(f"/{plain}/", headers={"X-Web-Mode": "true"}).status_code == 404
